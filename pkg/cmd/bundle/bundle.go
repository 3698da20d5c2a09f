// Package bundle implements `kubectl vd bundle`: one archive of what the
// other commands read for a parent in every context, to read later with
// --bundle, attach to an issue, or compare with another bundle.
package bundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
	"github.com/kubectl-vd/kubectl-vd/pkg/version"
)

const long = `Save in one archive what the other commands read for the parent NAME in NAMESPACE, in
every selected context, to read it later without the clusters (every command takes
--bundle FILE and prints what it printed live), attach it to an issue, or compare two of them:

  contexts/N-CONTEXT/objects.yaml   the Gloo parents (the VirtualDestination, the parents the
                                    translations name), the translations (what find returns),
                                    every VirtualService (what explain reads), and the
                                    Kubernetes objects they select: the Services of the
                                    VirtualDestination's services and of the hosts naming a
                                    Service, their EndpointSlices, the pods these Services and
                                    the ServiceEntries' workloadSelectors select, and their nodes;
                                    and the mesh configuration failover and drift read (every
                                    Istio networking object, Service, EndpointSlice, Pod, Node)
  proxies/N-CONTEXT-NS-POD/         config_dump.json (/config_dump?include_eds) and clusters.json
                                    (/clusters?format=json) of each --proxy, through a
                                    port-forward to the pod's admin port
  manifest.json                     the contexts (name, Gloo cluster, server version, the APIs
                                    served), the kubectl-vd version, the time, what could not be
                                    read in each context, and what was scrubbed

Secrets are never read. Anything that looks like a PEM private key ("-----BEGIN ... PRIVATE
KEY-----", plain or base64-encoded once or more) is replaced in every file, config dumps
included (SDS secrets, inline TLS keys), and the manifest names the files and objects where
it was.

The archive is deterministic: entries sorted, mode 0644, owner 0:0, modification time the
time of the capture, so two bundles of the same state are the same bytes apart from that
time.

A context that cannot be read never hides the others: the bundle holds what could be read,
names the rest in its manifest and on stderr, and the exit status is 1. Exit status 2: bad
arguments, or the archive could not be written.`

const example = `  # The productpage VirtualDestination in two clusters
  kubectl vd bundle productpage -n bookinfo-frontends --context cluster1,cluster2 -o productpage.tar.gz

  # With the config dumps of the productpage proxy of each cluster
  kubectl vd bundle productpage -n bookinfo-frontends --all-contexts \
    --proxy deploy/productpage-v1 --proxy-namespace bookinfo-frontends -o productpage.tar.gz

  # Read it back as live
  kubectl vd find productpage --bundle productpage.tar.gz
  kubectl vd explain productpage --bundle productpage.tar.gz
  kubectl vd endpoints deploy/productpage-v1 --bundle productpage.tar.gz -o wide`

// Options holds what bundle needs to run.
type Options struct {
	Flags *kube.Flags

	Name             string
	Namespace        string
	Kinds            []string
	SearchNamespaces []string
	Proxies          []string
	ProxySelectors   []string
	ProxyNamespace   string
	AdminPort        int
	Output           string

	// Now is the capture clock (tests set it).
	Now func() time.Time

	contexts []string
	kinds    []string
	proxies  []bundle.ProxyRequest

	genericiooptions.IOStreams
}

// NewOptions returns Options with defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{Flags: kube.NewFlags(), AdminPort: admin.DefaultAdminPort, Now: time.Now, IOStreams: streams}
}

// NewCmdBundle returns the bundle command.
func NewCmdBundle(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(streams)
	cmd := &cobra.Command{
		Use:     "bundle NAME [-n NAMESPACE] -o FILE.tar.gz",
		Short:   "Save what every command reads for a parent, in every context, in one archive",
		Long:    long,
		Example: example,
	}
	cmdutil.Wire(cmd, o, 2)
	o.Flags.AddFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringSliceVar(&o.Kinds, "kind", nil, "Parent kinds to match (VirtualDestination or vd, RouteTable or rt, ...); default: any")
	f.StringSliceVar(&o.SearchNamespaces, "search-namespaces", nil, "When a cluster-wide list is forbidden, also read these namespaces")
	f.StringArrayVar(&o.Proxies, "proxy", nil, "Save the admin answers of this proxy in every context: POD, pod/NAME or deploy/NAME; repeatable")
	f.StringArrayVarP(&o.ProxySelectors, "proxy-selector", "l", nil, "Save the admin answers of the first ready pod this label selector picks (-l as in clusters and endpoints); repeatable")
	f.StringVar(&o.ProxyNamespace, "proxy-namespace", "", "Namespace of the proxies (default: the context's namespace)")
	f.IntVar(&o.AdminPort, "proxy-admin-port", o.AdminPort, "Envoy admin port of the proxies")
	f.StringVarP(&o.Output, "output", "o", "", "The archive to write (FILE.tar.gz; - for standard output)")
	cmd.ValidArgsFunction = complete.ParentNames(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	_ = cmd.RegisterFlagCompletionFunc("kind", complete.Kinds)
	_ = cmd.RegisterFlagCompletionFunc("proxy", complete.Pods(o.Flags))
	_ = cmd.RegisterFlagCompletionFunc("proxy-namespace", complete.Namespaces(o.Flags))
	return cmd
}

// Complete reads the arguments, contexts, namespace and proxies.
func (o *Options) Complete(_ *cobra.Command, args []string) error {
	var err error
	if o.Name, err = cmdutil.OneName("bundle", "parent", args); err != nil {
		return err
	}
	if o.kinds, err = source.ParseKinds(o.Kinds); err != nil {
		return err
	}
	if o.contexts, err = o.Flags.SelectedContexts(); err != nil {
		return err
	}
	if o.Namespace, err = o.Flags.DefaultNamespace(o.contexts); err != nil {
		return err
	}
	for _, p := range o.Proxies {
		for _, v := range strings.Split(p, ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			t, err := admin.ParseTarget(v, "")
			if err != nil {
				return cmdutil.Usage(fmt.Errorf("--proxy: %s", err))
			}
			o.proxies = append(o.proxies, bundle.ProxyRequest{Namespace: o.ProxyNamespace, Target: t})
		}
	}
	for _, sel := range o.ProxySelectors {
		t, err := admin.ParseTarget("", sel)
		if err != nil {
			return cmdutil.Usage(fmt.Errorf("--proxy-selector: %s", err))
		}
		o.proxies = append(o.proxies, bundle.ProxyRequest{Namespace: o.ProxyNamespace, Target: t})
	}
	return nil
}

// Validate checks the input before any request is made.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateLabelValue("parent name", o.Name); err != nil {
		return err
	}
	if err := cmdutil.ValidateNamespace(o.Namespace); err != nil {
		return err
	}
	for _, ns := range append(append([]string(nil), o.SearchNamespaces...), o.ProxyNamespace) {
		if ns == "" {
			continue
		}
		if err := cmdutil.ValidateNamespace(ns); err != nil {
			return err
		}
	}
	if o.ProxyNamespace != "" && len(o.proxies) == 0 {
		return errors.New("--proxy-namespace goes with --proxy or --proxy-selector")
	}
	if o.AdminPort < 1 || o.AdminPort > 65535 {
		return fmt.Errorf("invalid --proxy-admin-port %d: use a port between 1 and 65535", o.AdminPort)
	}
	if o.Output == "" {
		return errors.New("give the archive to write with -o FILE.tar.gz (- for standard output)")
	}
	if o.Output != "-" {
		if st, err := os.Stat(o.Output); err == nil && st.IsDir() {
			return fmt.Errorf("-o %s is a directory: give the archive's file name", o.Output)
		}
	}
	return nil
}

// Run reads the contexts and writes the archive.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	now := o.Now()
	contents := bundle.Capture(ctx, o.Flags, o.contexts, bundle.CaptureOptions{
		Name: o.Name, Namespace: o.Namespace, Kinds: o.kinds, Proxies: o.proxies,
		AdminPort: o.AdminPort, SearchNamespaces: o.SearchNamespaces,
	}, now)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	info := version.Get()
	contents.Manifest.KubectlVD = bundle.BuildInfo{Version: info.Version, Commit: info.Commit}
	m, err := o.write(contents)
	if err != nil {
		return err
	}
	failed := m.Failed()
	for _, f := range failed {
		fmt.Fprintf(o.ErrOut, "error: %s\n", f)
	}
	if read := len(m.Contexts) - contextsNotRead(m); read > 0 && !contents.FindsParent() {
		fmt.Fprintf(o.ErrOut, "warning: no context read holds %s/%s or an object translated from it: the bundle holds the mesh configuration only\n", m.Parent.Namespace, m.Parent.Name)
	}
	o.summary(m)
	if len(failed) > 0 {
		return cmdutil.Exit(1, nil)
	}
	return nil
}

// write writes the archive to a temporary file next to -o and renames it:
// a failed run leaves no half archive.
func (o *Options) write(c *bundle.Contents) (bundle.Manifest, error) {
	if o.Output == "-" {
		return bundle.Write(o.Out, c)
	}
	dir := filepath.Dir(o.Output)
	tmp, err := os.CreateTemp(dir, ".kubectl-vd-bundle-*")
	if err != nil {
		return bundle.Manifest{}, fmt.Errorf("cannot write %s: %s", o.Output, pathError(err))
	}
	defer os.Remove(tmp.Name())
	m, err := bundle.Write(tmp, c)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return m, fmt.Errorf("cannot write %s: %s", o.Output, pathError(err))
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return m, fmt.Errorf("cannot write %s: %s", o.Output, pathError(err))
	}
	if err := os.Rename(tmp.Name(), o.Output); err != nil {
		return m, fmt.Errorf("cannot write %s: %s", o.Output, pathError(err))
	}
	return m, nil
}

func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// summary says what the archive holds, on stderr when the archive went to
// standard output.
func (o *Options) summary(m bundle.Manifest) {
	w := o.Out
	name := o.Output
	if o.Output == "-" {
		w, name = o.ErrOut, "standard output"
	}
	objects, read := 0, 0
	for _, c := range m.Contexts {
		objects += c.Objects
		if c.Error == "" {
			read++
		}
	}
	proxies := 0
	for _, p := range m.Proxies {
		if p.Error == "" {
			proxies++
		}
	}
	keys := 0
	for _, s := range m.Scrubbed {
		keys += s.Keys
	}
	fmt.Fprintf(w, "bundle %s: %s/%s, %d of %s read, %s, %s, %s scrubbed\n", name, m.Parent.Namespace, m.Parent.Name,
		read, plural(len(m.Contexts), "context"), plural(objects, "object"), plural(proxies, "proxy"), plural(keys, "private key"))
}

func contextsNotRead(m bundle.Manifest) int {
	n := 0
	for _, c := range m.Contexts {
		if c.Error != "" {
			n++
		}
	}
	return n
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") && !strings.HasSuffix(what, "ey") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(what, "y"))
	}
	return fmt.Sprintf("%d %ss", n, what)
}
