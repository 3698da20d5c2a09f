// Package proxycmd holds what the proxy commands (clusters, endpoints)
// share: choosing the proxy (a pod, deploy/NAME, -l, or saved files), the
// contexts to run in, the --vd filter, and running the work of every
// context concurrently so that one failing context never hides the others.
package proxycmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/bundlecmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Options are the proxy selection flags.
type Options struct {
	Flags *kube.Flags
	// -f names saved admin answers, files only: no -R.
	cmdutil.FilenameOptions
	Selector     string
	AdminPort    int
	VD           string
	VDNamespace  string
	Translations []string
	Bundle       bundlecmd.Flag

	// Set by Complete.
	bundle   *bundlecmd.Source
	proxyNS  string // the proxy's namespace in the bundle, "" for any
	Target   admin.Target
	contexts []string
	// vdNamespace is the VirtualDestination's namespace when known before
	// the contexts are read (-n, --vd-namespace, or "default" offline).
	vdNamespace string

	genericiooptions.IOStreams
}

// NewOptions returns the options with their defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{Flags: kube.NewFlags(), AdminPort: admin.DefaultAdminPort, IOStreams: streams}
}

// AddFlags binds the flags and their completion.
func (o *Options) AddFlags(cmd *cobra.Command, what string) {
	fs := cmd.Flags()
	o.Flags.AddFlags(fs)
	o.FilenameOptions.AddFlags(cmd, what, false)
	fs.StringVarP(&o.Selector, "selector", "l", "", "Read the first ready pod matching this label selector")
	fs.IntVar(&o.AdminPort, "proxy-admin-port", o.AdminPort, "Envoy admin port of the proxy")
	fs.StringVar(&o.VD, "vd", "", "Keep only what belongs to the hosts of this VirtualDestination (read from its ServiceEntries)")
	fs.StringVar(&o.VDNamespace, "vd-namespace", "", "Namespace of the --vd VirtualDestination (default: the pod's namespace, or default with -f)")
	fs.StringSliceVar(&o.Translations, "translations", nil, "With -f and --vd: files (find -o yaml snapshots) holding the VirtualDestination's ServiceEntries")
	o.Bundle.AddTo(cmd)
	cmd.ValidArgsFunction = complete.Pods(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	_ = cmd.RegisterFlagCompletionFunc("vd", complete.ParentNames(o.Flags))
	_ = cmd.RegisterFlagCompletionFunc("vd-namespace", complete.Namespaces(o.Flags))
}

// Offline tells whether the proxy is read from files.
func (o *Options) Offline() bool { return len(o.Filenames) > 0 }

// Complete reads the arguments and resolves the contexts.
func (o *Options) Complete(cmdName string, args []string, maxFiles int) error {
	if len(args) > 1 {
		return cmdutil.UsageErrorf("%s reads one proxy, got %d arguments: %s", cmdName, len(args), strings.Join(args, " "))
	}
	arg := ""
	if len(args) == 1 {
		arg = args[0]
	}
	// A flag value that is wrong is said even when files make it unused.
	if err := o.Flags.ValidateTimeout(); err != nil {
		return err
	}
	if o.Bundle.Given() {
		return o.completeBundle(cmdName, arg)
	}
	if o.Offline() {
		if arg != "" || o.Selector != "" {
			return cmdutil.UsageErrorf("give a pod or -f files, not both")
		}
		// Standard input given twice is said as such, before the count of
		// files it makes.
		stdin := 0
		for _, f := range append(append([]string{}, o.Filenames...), o.Translations...) {
			if f == "-" {
				stdin++
			}
		}
		if stdin > 1 {
			return cmdutil.UsageErrorf("standard input (-) can be read only once")
		}
		if len(o.Filenames) > maxFiles {
			return cmdutil.UsageErrorf("%s reads %s, got %d files", cmdName, maxFilesText[maxFiles], len(o.Filenames))
		}
		if o.Flags.AllContexts || len(o.Flags.Contexts) > 0 {
			return cmdutil.UsageErrorf("--context and --all-contexts choose live clusters; -f reads files")
		}
		if err := o.FilenameOptions.Validate(); err != nil {
			return err
		}
		if err := source.CheckPaths(o.Translations); err != nil {
			return err
		}
		o.vdNamespace = o.VDNamespace
		if o.vdNamespace == "" && o.Flags.Namespace != nil && *o.Flags.Namespace != "" {
			o.vdNamespace = *o.Flags.Namespace
		}
		if o.vdNamespace == "" {
			o.vdNamespace = "default"
		}
		if o.VD != "" && len(o.Translations) == 0 {
			return errors.New("--vd with -f needs --translations FILE: a find -o yaml snapshot holding the VirtualDestination's ServiceEntries")
		}
		return nil
	}
	if arg == "" && o.Selector == "" {
		return cmdutil.UsageErrorf("%s needs a pod (NAME, pod/NAME, deploy/NAME), -l SELECTOR, or -f FILE", cmdName)
	}
	if len(o.Translations) > 0 {
		return errors.New("--translations is for -f; live, the ServiceEntries are read from the pod's context")
	}
	t, err := admin.ParseTarget(arg, o.Selector)
	if err != nil {
		return err
	}
	o.Target = t
	if o.contexts, err = o.Flags.SelectedContexts(); err != nil {
		return err
	}
	o.vdNamespace = o.VDNamespace
	return nil
}

var maxFilesText = map[int]string{1: "one file (a saved /config_dump)", 2: "one or two files (a saved /clusters?format=json, and a /config_dump for -o wide)"}

// Validate checks the flags before any request.
func (o *Options) Validate() error {
	if o.AdminPort < 1 || o.AdminPort > 65535 {
		return fmt.Errorf("invalid --proxy-admin-port %d: use a port between 1 and 65535", o.AdminPort)
	}
	if o.Flags.Namespace != nil && *o.Flags.Namespace != "" {
		if err := cmdutil.ValidateNamespace(*o.Flags.Namespace); err != nil {
			return err
		}
	}
	if o.VD != "" {
		if err := cmdutil.ValidateLabelValue("VirtualDestination name", o.VD); err != nil {
			return err
		}
	}
	if o.VDNamespace != "" {
		if err := cmdutil.ValidateNamespace(o.VDNamespace); err != nil {
			return err
		}
	}
	if o.VD == "" && (len(o.Translations) > 0 || o.VDNamespace != "") {
		return errors.New("--translations and --vd-namespace go with --vd")
	}
	return nil
}

// Proxy is one proxy to read: its context, where to read it and the hosts
// --vd keeps (nil without --vd).
type Proxy struct {
	Context string
	Source  admin.Source
	Hosts   map[string]bool
}

// Result is the outcome of one proxy.
type Result = source.Result[any]

// ContextColumn tells whether the output needs a CONTEXT column.
func (o *Options) ContextColumn() bool { return len(o.contexts) > 1 }

// Run reads the proxy of every selected context (or the files) with fn,
// concurrently, and returns the results in context order.
func (o *Options) Run(ctx context.Context, fn func(ctx context.Context, p Proxy) (any, error)) []Result {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.bundle != nil {
		results := make([]Result, len(o.contexts))
		for i, name := range o.contexts {
			v, err := o.runBundle(ctx, name, fn)
			results[i] = Result{Context: name, Value: v, Err: err}
		}
		return results
	}
	if o.Offline() {
		p := Proxy{Source: &admin.Files{Paths: o.Filenames, Stdin: o.In}}
		var err error
		if o.VD != "" {
			if p.Hosts, err = o.hostsFromFiles(); err != nil {
				return []Result{{Err: err}}
			}
		}
		v, err := fn(ctx, p)
		return []Result{{Value: v, Err: err}}
	}
	return source.EachContext(ctx, o.Flags, o.contexts, func(ctx context.Context, c *kube.Cluster) (any, error) {
		return o.runContext(ctx, c, fn)
	})
}

func (o *Options) runContext(ctx context.Context, c *kube.Cluster, fn func(ctx context.Context, p Proxy) (any, error)) (any, error) {
	ns := c.ContextNamespace()
	pod, err := admin.ResolvePod(ctx, c, ns, o.Target)
	if err != nil {
		return nil, err
	}
	p := Proxy{Context: c.Context, Source: &admin.Pod{Cluster: c, Namespace: ns, Name: pod, AdminPort: o.AdminPort}}
	defer p.Source.Close()
	if o.VD != "" {
		vdns := o.vdNamespace
		if vdns == "" {
			vdns = ns
		}
		if p.Hosts, err = liveHosts(ctx, c, o.VD, vdns); err != nil {
			return nil, err
		}
	}
	return fn(ctx, p)
}

// Report prints the errors of failed contexts and tells the command what
// to return: nil when all succeeded, the error itself for one proxy, an
// exit status 1 (errors already printed) for several.
func (o *Options) Report(results []Result) error {
	var failed []Result
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if len(results) == 1 {
		return failed[0].Err
	}
	for _, r := range failed {
		fmt.Fprintf(o.ErrOut, "error: context %s: %s\n", r.Context, kube.OneLine(r.Err.Error()))
	}
	return cmdutil.Exit(1, nil)
}

// Warn is where writers report what they print differently from istioctl.
func (o *Options) Warn() io.Writer { return o.ErrOut }

func vdQuery(name, namespace string) source.Query {
	return source.Query{Name: name, Namespace: namespace, ParentKinds: []string{"VirtualDestination"}}
}

// liveHosts reads the hosts of the ServiceEntries translated from a
// VirtualDestination, in all namespaces of a cluster.
func liveHosts(ctx context.Context, c *kube.Cluster, name, namespace string) (map[string]bool, error) {
	sel := vdQuery(name, namespace).Selector().String()
	hosts, served, err := source.ServiceEntryHosts(ctx, c, sel)
	if err != nil {
		return nil, fmt.Errorf("listing ServiceEntries: %s", source.Describe(err))
	}
	if !served {
		return nil, errors.New("the cluster serves no ServiceEntries (networking.istio.io): is Istio installed?")
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("no ServiceEntry translated from VirtualDestination %s/%s", namespace, name)
	}
	return hosts, nil
}

func (o *Options) hostsFromFiles() (map[string]bool, error) {
	// Read as a stream, keeping only the ServiceEntries of the
	// VirtualDestination.
	matches := vdQuery(o.VD, o.vdNamespace).Matcher()
	var ses []source.Object
	err := source.Visit(o.Translations, o.In, func(obj source.Object) error {
		if obj.Kind() == "ServiceEntry" && matches(obj) {
			ses = append(ses, obj)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	hosts := hostsOf(ses)
	if len(hosts) == 0 {
		return nil, fmt.Errorf("no ServiceEntry translated from VirtualDestination %s/%s in %s", o.vdNamespace, o.VD, strings.Join(o.Translations, ", "))
	}
	return hosts, nil
}

func hostsOf(objs []source.Object) map[string]bool {
	hosts := map[string]bool{}
	for _, obj := range objs {
		list, _, _ := unstructuredStrings(obj.Obj.Object, "spec", "hosts")
		for _, h := range list {
			hosts[h] = true
		}
	}
	return hosts
}

func unstructuredStrings(obj map[string]any, fields ...string) ([]string, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[f]
	}
	list, ok := cur.([]any)
	if !ok {
		return nil, false, nil
	}
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, true, nil
}

// completeBundle resolves the proxy and the contexts in a bundle: the
// contexts picked with --context, else those where the bundle holds the
// proxy; the proxy's namespace is -n, else the one it was saved in.
func (o *Options) completeBundle(cmdName, arg string) error {
	if arg == "" && o.Selector == "" {
		return cmdutil.UsageErrorf("%s needs a pod (NAME, pod/NAME, deploy/NAME) or -l SELECTOR saved in the bundle", cmdName)
	}
	if len(o.Translations) > 0 {
		return errors.New("--translations is for -f; with --bundle, the ServiceEntries are read from the bundle")
	}
	t, err := admin.ParseTarget(arg, o.Selector)
	if err != nil {
		return err
	}
	o.Target = t
	if o.bundle, err = o.Bundle.Open(o.Flags, o.Filenames); err != nil {
		return err
	}
	if o.Flags.Namespace != nil && *o.Flags.Namespace != "" {
		o.proxyNS = *o.Flags.Namespace
	}
	o.contexts = o.bundle.Contexts
	if len(o.Flags.ContextNames()) == 0 && !o.Flags.AllContexts {
		o.contexts = o.bundle.ProxyContexts(o.proxyNS, t)
		if len(o.contexts) == 0 {
			where := ""
			if o.proxyNS != "" {
				where = " in namespace " + o.proxyNS
			}
			return cmdutil.Exit(bundlecmd.ExitBadBundle, fmt.Errorf("bundle %s holds no proxy %s%s", o.Bundle.Path, t, where))
		}
	}
	o.vdNamespace = o.VDNamespace
	return nil
}

// runBundle reads the proxy saved in one context of the bundle.
func (o *Options) runBundle(ctx context.Context, name string, fn func(ctx context.Context, p Proxy) (any, error)) (any, error) {
	if c, ok := o.bundle.Context(name); ok && c.Error != "" {
		return nil, errors.New(c.Error)
	}
	saved, err := o.bundle.FindProxy(name, o.proxyNS, o.Target)
	if err != nil {
		return nil, err
	}
	p := Proxy{Context: name, Source: o.bundle.ProxySource(saved)}
	if o.VD != "" {
		vdns := o.vdNamespace
		if vdns == "" {
			vdns = saved.Namespace
		}
		matches := vdQuery(o.VD, vdns).Matcher()
		var ses []source.Object
		for _, obj := range o.bundle.Objects(name) {
			if obj.Kind() == "ServiceEntry" && matches(obj) {
				ses = append(ses, obj)
			}
		}
		if p.Hosts = hostsOf(ses); len(p.Hosts) == 0 {
			return nil, fmt.Errorf("no ServiceEntry translated from VirtualDestination %s/%s", vdns, o.VD)
		}
	}
	return fn(ctx, p)
}
