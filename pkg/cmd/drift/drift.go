// Package drift implements `kubectl vd drift`: what each selected proxy
// holds for a VirtualDestination's hosts, compared field by field with what
// the translation in its cluster implies, and the proxies of different
// clusters compared with one another. Reading is pkg/source and
// pkg/envoy/admin, the expected state pkg/mesh and pkg/drift.
package drift

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/bundlecmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/drift"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const example = `  # Is productpage-v1-a's Envoy in cluster1 in sync with the translation of productpage?
  kubectl vd drift productpage -n bookinfo-frontends --context cluster1 --proxy productpage-v1-a

  # Every productpage proxy in both clusters, and what the clusters hold differently
  kubectl vd drift productpage -n bookinfo-frontends --context cluster1,cluster2 -l app=productpage

  # Offline: saved dumps against the translations and the Kubernetes objects
  kubectl vd drift productpage -n bookinfo-frontends --dump productpage-v1-a.config_dump.json \
    -f examples/bookinfo/cluster1 -f examples/bookinfo/kubernetes/cluster1`

// Exit statuses.
const (
	exitDrift   = 1
	exitTrouble = 2
)

// dumpPath asks a live proxy for what drift compares: clusters, endpoints
// and the bootstrap (for the node).
const dumpPath = "config_dump?include_eds=true"

// Options holds what drift needs to run.
type Options struct {
	Flags *kube.Flags

	Name      string
	Namespace string
	cmdutil.FilenameOptions
	Proxy          string
	Selector       string
	ProxyNamespace string
	Dumps          []string
	AdminPort      int
	TrustDomain    string
	Output         string
	Bundle         bundlecmd.Flag

	bundle   *bundlecmd.Source
	target   admin.Target
	contexts []string

	genericiooptions.IOStreams
}

// NewOptions returns Options with defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{Flags: kube.NewFlags(), AdminPort: admin.DefaultAdminPort, IOStreams: streams}
}

// NewCmdDrift returns the drift command.
func NewCmdDrift(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(streams)
	cmd := &cobra.Command{
		Use:   "drift NAME [-n NS] (--proxy POD|deploy/NAME | -l SELECTOR | --dump FILE...) [--context ...|--all-contexts] [-f FILES]",
		Short: "Compare what proxies hold for a VirtualDestination with what its translation implies",
		Long: `For the VirtualDestination NAME, in each context, compare what each selected proxy holds for
its hosts with what the translation in that context implies:

  clusters   one per ServiceEntry port (outbound|PORT||HOST) and per DestinationRule subset
             (outbound|PORT|SUBSET|HOST); a missing or extra one is a difference
  fields     type, lbPolicy, localityWeightedLb, connectTimeout, circuitBreakers.*,
             healthyPanicThreshold, outlierDetection.* (every field, with the defaults istiod
             and Envoy fill in), tls.mode, tls.sni, tls.subjectAltNames
  endpoints  endpoints[ADDRESS:PORT].locality, .priority, .weight, .localityWeight: the
             WorkloadEntries and selected pods, with the priorities istiod assigns for the
             proxy's locality (read from the node of its dump)

Each proxy prints "in sync" or one line per difference: the field's path, the proxy's value
and the expected one. Then, across contexts, the fields proxies of two clusters hold with
different values for the same Envoy cluster (endpoints excepted).

Live, proxies are read through a port-forward to their admin port; --proxy takes a pod or
deploy/NAME, -l every running pod it selects, in --proxy-namespace. Offline, --dump reads
saved /config_dump?include_eds answers (- for standard input) and -f the translations and
Kubernetes objects (pods, nodes); each dump is compared in the context of its CLUSTER_ID. Pods read from files without
an IP take the address the dump's endpoints give them (by the istio workload metadata), else
they are named pod/NAME.
SANs expected when a DestinationRule names none are the workloads' service accounts in
--trust-domain (default: the cluster's name, as in Gloo's workshop).

Exit status: 0 when every proxy is in sync and the clusters agree, 1 on drift, 2 on trouble
(bad arguments, unreadable input, unreachable context or proxy: the others are still shown).`,
		Example: example,
	}
	cmdutil.Wire(cmd, o, exitTrouble)
	o.Flags.AddFlags(cmd.Flags())
	f := cmd.Flags()
	o.FilenameOptions.AddFlags(cmd, "With --dump: the translations and Kubernetes objects, from files, directories or - (stdin); repeatable", true)
	f.StringVar(&o.Proxy, "proxy", "", "The proxy: a pod (NAME or pod/NAME) or deploy/NAME (its first ready pod)")
	f.StringVarP(&o.Selector, "selector", "l", "", "The proxies: every running pod this label selector picks")
	f.StringVar(&o.ProxyNamespace, "proxy-namespace", "", "Namespace of the proxies (default: the VirtualDestination's namespace)")
	f.StringArrayVar(&o.Dumps, "dump", nil, "A saved /config_dump?include_eds answer to compare (offline, with -f), or - (stdin); repeatable")
	f.IntVar(&o.AdminPort, "proxy-admin-port", o.AdminPort, "Envoy admin port of the proxies")
	f.StringVar(&o.TrustDomain, "trust-domain", "", "Trust domain of the expected SPIFFE identities (default: the cluster's name)")
	f.StringVarP(&o.Output, "output", "o", "", "Output format: text (default), json or markdown")
	o.Bundle.AddTo(cmd)
	cmd.ValidArgsFunction = complete.ParentNames(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	complete.PodFlags(cmd, o.Flags, "proxy", "proxy-namespace")
	return cmd
}

// Complete reads the arguments, the contexts and the namespaces.
func (o *Options) Complete(_ *cobra.Command, args []string) error {
	var err error
	if o.Name, err = cmdutil.OneName("drift", "VirtualDestination", args); err != nil {
		return err
	}
	sources := 0
	for _, s := range []bool{o.Proxy != "", o.Selector != "", len(o.Dumps) > 0} {
		if s {
			sources++
		}
	}
	switch {
	case sources == 0:
		return cmdutil.UsageErrorf("drift needs proxies: --proxy POD|deploy/NAME, -l SELECTOR, or --dump FILE with -f")
	case sources > 1:
		return cmdutil.UsageErrorf("give one of --proxy, -l and --dump")
	}
	if len(o.Dumps) > 0 {
		if len(o.Filenames) == 0 {
			return cmdutil.UsageErrorf("--dump compares with translations read from files: add -f FILES (the translations and the Kubernetes objects)")
		}
		if o.Flags.AllContexts || len(o.Flags.Contexts) > 0 {
			return cmdutil.UsageErrorf("--context and --all-contexts choose live clusters; --dump and -f read files")
		}
		if err := source.CheckPaths(append(append([]string{}, o.Filenames...), o.Dumps...)); err != nil {
			return err
		}
	} else if o.Bundle.Given() {
		if o.bundle, err = o.Bundle.Open(o.Flags, o.Filenames); err != nil {
			return err
		}
		o.contexts = o.bundle.Contexts
	} else {
		if len(o.Filenames) > 0 {
			return cmdutil.UsageErrorf("-f goes with --dump: live proxies are compared with their cluster's translation")
		}
		if o.contexts, err = o.Flags.SelectedContexts(); err != nil {
			return err
		}
	}
	fallback := ""
	switch {
	case o.bundle != nil:
		fallback = o.bundle.Namespace
	case len(o.Dumps) > 0:
		fallback = "default"
	}
	if o.Namespace, err = o.Flags.ResolveNamespace(o.contexts, fallback); err != nil {
		return err
	}
	if o.ProxyNamespace == "" {
		o.ProxyNamespace = o.Namespace
	}
	return nil
}

// Validate checks the input before any request is made.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateLabelValue("VirtualDestination name", o.Name); err != nil {
		return err
	}
	for _, ns := range []string{o.Namespace, o.ProxyNamespace} {
		if err := cmdutil.ValidateNamespace(ns); err != nil {
			return err
		}
	}
	if o.Proxy != "" || o.Selector != "" {
		t, err := admin.ParseTarget(o.Proxy, o.Selector)
		if err != nil {
			return err
		}
		o.target = t
	}
	if o.AdminPort < 1 || o.AdminPort > 65535 {
		return fmt.Errorf("invalid --proxy-admin-port %d: use a port between 1 and 65535", o.AdminPort)
	}
	switch o.Output {
	case "", "text", "json", "markdown":
	default:
		return fmt.Errorf("unknown output format %q: use text, json or markdown", o.Output)
	}
	return nil
}

// contextData is one context's configuration and the chain's hosts there.
type contextData struct {
	name  string
	cfg   *mesh.Config
	hosts []string
	err   error
}

// Run reads, compares and prints.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var results []drift.ProxyResult
	var problems []string
	var err error
	if len(o.Dumps) > 0 {
		results, problems, err = o.offline()
	} else {
		results, problems, err = o.live(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(o.ErrOut, "error: %s\n", p)
	}
	if len(results) == 0 {
		if len(problems) == 0 {
			return errors.New("no proxy to compare")
		}
		return cmdutil.Exit(exitTrouble, nil)
	}
	report := drift.NewReport(results)
	switch o.Output {
	case "json":
		err = drift.WriteJSON(o.Out, report)
	case "markdown":
		err = drift.WriteMarkdown(o.Out, report)
	default:
		err = drift.WriteText(o.Out, report)
	}
	if err != nil {
		return err
	}
	switch {
	case len(problems) > 0:
		return cmdutil.Exit(exitTrouble, nil)
	case report.Drifted():
		return cmdutil.Exit(exitDrift, nil)
	}
	return nil
}

// contextsOf builds each context's configuration and finds the hosts of
// the VirtualDestination's translation there.
func (o *Options) contextsOf(byContext map[string][]source.Object, order []string, errs map[string]error) []*contextData {
	in := model.Input{Name: o.Name, Namespace: o.Namespace}
	for _, n := range order {
		c := model.Context{Name: n}
		if errs[n] != nil {
			c.Error = errs[n].Error()
		}
		in.Contexts = append(in.Contexts, c)
		in.Objects = append(in.Objects, byContext[n]...)
	}
	ch := model.Build(in)
	clusterOf := map[string]string{}
	for _, c := range ch.Contexts {
		clusterOf[c.Name] = c.Cluster
	}
	var out []*contextData
	for _, n := range order {
		d := &contextData{name: n, err: errs[n]}
		out = append(out, d)
		if d.err != nil {
			continue
		}
		cfg, cerrs := mesh.FromObjects(n, byContext[n])
		if len(cerrs) > 0 {
			d.err = cerrs[0]
			continue
		}
		if cfg.Cluster == "" {
			cfg.Cluster = clusterOf[n]
		}
		d.cfg = cfg
		if cl := ch.Cluster(clusterOf[n]); cl != nil {
			set := map[string]bool{}
			for _, se := range cl.ServiceEntries {
				for _, h := range se.Hosts {
					set[h] = true
				}
			}
			for h := range set {
				d.hosts = append(d.hosts, h)
			}
			sort.Strings(d.hosts)
		}
		if len(d.hosts) == 0 {
			d.err = noTranslationError{fmt.Sprintf("no ServiceEntry translated from VirtualDestination %s/%s%s", o.Namespace, o.Name, mesh.TranslatedHint(byContext[n]))}
		}
	}
	return out
}

// compare reads one dump's node and kept clusters and compares them.
func (o *Options) compare(d *contextData, dump *envoy.Dump) drift.ProxyResult {
	if dump.Node == nil {
		return drift.ProxyResult{Context: d.name, Error: "the dump has no bootstrap node: save /config_dump?include_eds (without a mask)"}
	}
	p := drift.ProxyOf(dump.Node)
	if !dump.HasClusters {
		// Without the section every cluster would read as absent.
		return drift.ProxyResult{Context: d.name, Proxy: p, Error: "the dump has no clusters section: save /config_dump?include_eds (without a mask)"}
	}
	if !dump.HasEndpoints {
		return drift.ProxyResult{Context: d.name, Proxy: p, Error: "the dump has no endpoints: save /config_dump?include_eds"}
	}
	actual, err := drift.FromDump(dump)
	if err != nil {
		return drift.ProxyResult{Context: d.name, Proxy: p, Error: err.Error()}
	}
	if p.Cluster == "" {
		p.Cluster = d.cfg.Cluster
	}
	expected, err := drift.Expected(d.cfg, d.hosts, p, drift.Mesh{TrustDomain: o.TrustDomain})
	if err != nil {
		return drift.ProxyResult{Context: d.name, Proxy: p, Error: err.Error()}
	}
	return drift.NewProxyResult(d.name, p, actual, expected)
}

// offline reads the files per context and compares each dump in the
// context its node's CLUSTER_ID names (or the only one).
func (o *Options) offline() ([]drift.ProxyResult, []string, error) {
	byContext := map[string][]source.Object{}
	var unplaced []source.Object
	err := source.VisitWith(o.Filenames, o.In, o.FilenameOptions.VisitOptions(), func(obj source.Object) error {
		obj.Context = source.FileContext(obj)
		if obj.Context == "" {
			unplaced = append(unplaced, obj)
		} else {
			byContext[obj.Context] = append(byContext[obj.Context], obj)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(byContext) == 0 {
		byContext[""] = nil
	}
	var order []string
	for n := range byContext {
		order = append(order, n)
	}
	sort.Strings(order)
	for _, n := range order {
		var latest source.Latest
		for _, obj := range byContext[n] {
			latest.Add(obj)
		}
		for _, u := range unplaced {
			u.Context = n
			latest.Add(u)
		}
		byContext[n] = latest.Objects()
	}
	contexts := o.contextsOf(byContext, order, nil)
	var results []drift.ProxyResult
	var problems []string
	for _, path := range o.Dumps {
		dump, err := readDump(path, o.In, contexts)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s", path, err))
			continue
		}
		d := pickContext(contexts, dump)
		if d == nil {
			problems = append(problems, fmt.Sprintf("%s: no context of the files is cluster %q (the dump's CLUSTER_ID)", path, drift.ProxyOf(dump.Node).Cluster))
			continue
		}
		if d.err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", contextLabel(d.name), d.err))
			continue
		}
		withIPs := *d
		withIPs.cfg = withDumpAddresses(d.cfg, byContext[d.name], dump)
		r := o.compare(&withIPs, dump)
		if r.Error != "" {
			problems = append(problems, fmt.Sprintf("%s: %s", path, r.Error))
		}
		results = append(results, r)
	}
	return results, problems, nil
}

// readDump reads a saved dump, from stdin for "-" (a dump piped from the
// proxy's admin port).
func readDump(path string, stdin io.Reader, contexts []*contextData) (*envoy.Dump, error) {
	r := stdin
	if path != source.Stdin {
		f, err := os.Open(path)
		if err != nil {
			return nil, errors.New(strings.TrimPrefix(err.Error(), "open "+path+": "))
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			return nil, errors.New("is a directory, not a saved /config_dump answer")
		}
		r = f
	}
	var hosts []string
	for _, d := range contexts {
		hosts = append(hosts, d.hosts...)
	}
	dump, err := envoy.ReadConfigDump(r, envoy.ReadOptions{ClusterJSON: true, Endpoints: true, Node: true, Keep: drift.KeepHosts(hosts)})
	if err != nil {
		return nil, errors.New(admin.DescribeDecodeError(err))
	}
	return dump, nil
}

// pickContext is the context of the dump's cluster, or the only context.
func pickContext(contexts []*contextData, dump *envoy.Dump) *contextData {
	cluster := ""
	if dump.Node != nil {
		cluster = drift.ProxyOf(dump.Node).Cluster
	}
	for _, d := range contexts {
		if cluster != "" && (d.cfg != nil && d.cfg.Cluster == cluster || d.name == cluster) {
			return d
		}
	}
	// Files that name no context at all stand for the dump's cluster.
	if len(contexts) == 1 && (cluster == "" || contexts[0].name == "") {
		return contexts[0]
	}
	return nil
}

// withDumpAddresses gives the pods of the files that have no IP the
// address the dump's endpoints name them by (istio workload metadata
// "NAME;NAMESPACE;..."), so that files saved without pod IPs can be
// compared.
func withDumpAddresses(cfg *mesh.Config, objs []source.Object, dump *envoy.Dump) *mesh.Config {
	addr := map[string]string{}
	for _, cla := range dump.Endpoints {
		for _, l := range cla.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				wl := e.GetMetadata().GetFilterMetadata()["istio"].GetFields()["workload"].GetStringValue()
				parts := strings.Split(wl, ";")
				if len(parts) < 2 {
					continue
				}
				addr[parts[1]+"/"+parts[0]] = e.GetEndpoint().GetAddress().GetSocketAddress().GetAddress()
			}
		}
	}
	changed := false
	out := make([]source.Object, len(objs))
	for i, ob := range objs {
		out[i] = ob
		if ob.Obj == nil || ob.Group() != "" || ob.Kind() != "Pod" {
			continue
		}
		if ip, _, _ := unstructured.NestedString(ob.Obj.Object, "status", "podIP"); ip != "" {
			continue
		}
		a, ok := addr[ob.Namespace()+"/"+ob.Name()]
		if !ok {
			// Not in the dump: still expected, named.
			a = "pod/" + ob.Name()
		}
		cp := ob
		cp.Obj = ob.Obj.DeepCopy()
		_ = unstructured.SetNestedField(cp.Obj.Object, a, "status", "podIP")
		out[i] = cp
		changed = true
	}
	if !changed {
		return cfg
	}
	nc, _ := mesh.FromObjects(cfg.Context, out)
	if nc.Cluster == "" {
		nc.Cluster = cfg.Cluster
	}
	return nc
}

// live reads every context's configuration, then each selected proxy's
// dump, concurrently.
func (o *Options) live(ctx context.Context) ([]drift.ProxyResult, []string, error) {
	namespaces := []string{o.Namespace}
	if o.ProxyNamespace != o.Namespace {
		namespaces = append(namespaces, o.ProxyNamespace)
	}
	var res []source.ContextResult
	if o.bundle != nil {
		res = o.bundle.MeshConfigs(o.contexts)
	} else {
		res = source.MeshConfigs(ctx, o.Flags, o.contexts, namespaces)
	}
	byContext := map[string][]source.Object{}
	errs := map[string]error{}
	var order []string
	var problems []string
	for _, r := range res {
		order = append(order, r.Context)
		if r.Err != nil {
			errs[r.Context] = errors.New(source.Describe(r.Err))
			continue
		}
		for _, g := range r.Gaps {
			problems = append(problems, fmt.Sprintf("context %s: %s", r.Context, source.Describe(g)))
		}
		byContext[r.Context] = r.Objects
	}
	contexts := o.contextsOf(byContext, order, errs)
	type job struct {
		d   *contextData
		pod string
	}
	var jobs []job
	translated := 0
	for _, d := range contexts {
		if _, ok := d.err.(noTranslationError); !ok {
			translated++
		}
	}
	for _, d := range contexts {
		if _, ok := d.err.(noTranslationError); ok && translated > 0 {
			// Not every context holds the translation (a management
			// cluster does not).
			continue
		}
		if d.err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", contextLabel(d.name), d.err))
			continue
		}
		pods, err := o.selectPods(ctx, d)
		if err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", contextLabel(d.name), err))
			continue
		}
		for _, p := range pods {
			jobs = append(jobs, job{d, p})
		}
	}
	results := make([]drift.ProxyResult, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = o.liveProxy(ctx, j.d, j.pod)
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.Error != "" {
			problems = append(problems, fmt.Sprintf("context %s, proxy %s: %s", contextLabel(r.Context), r.Proxy, r.Error))
		}
	}
	return results, problems, nil
}

func (o *Options) liveProxy(ctx context.Context, d *contextData, pod string) drift.ProxyResult {
	var src admin.Source
	if o.bundle != nil {
		saved, err := o.bundle.FindProxy(d.name, o.ProxyNamespace, admin.Target{Kind: "pod", Name: pod})
		if err != nil {
			return drift.ProxyResult{Context: d.name, Proxy: drift.Proxy{Namespace: o.ProxyNamespace, Name: pod}, Error: err.Error()}
		}
		src = o.bundle.ProxySource(saved)
	} else {
		c, err := o.Flags.Cluster(d.name)
		if err != nil {
			return drift.ProxyResult{Context: d.name, Proxy: drift.Proxy{Namespace: o.ProxyNamespace, Name: pod}, Error: err.Error()}
		}
		src = &admin.Pod{Cluster: c, Namespace: o.ProxyNamespace, Name: pod, AdminPort: o.AdminPort}
	}
	defer src.Close()
	dump, err := src.ConfigDump(ctx, dumpPath, envoy.ReadOptions{ClusterJSON: true, Endpoints: true, Node: true, Keep: drift.KeepHosts(d.hosts)})
	if err != nil {
		return drift.ProxyResult{Context: d.name, Proxy: drift.Proxy{Namespace: o.ProxyNamespace, Name: pod}, Error: err.Error()}
	}
	return o.compare(d, dump)
}

// selectPods names the proxies of a context: --proxy (a pod or a
// deployment's first ready pod) or every running pod -l selects.
func (o *Options) selectPods(ctx context.Context, d *contextData) ([]string, error) {
	if o.target.Selector == "" {
		if o.target.Kind == "deployment" && o.bundle != nil {
			// The pod the bundle saved for the deployment.
			saved, err := o.bundle.FindProxy(d.name, o.ProxyNamespace, o.target)
			if err != nil {
				return nil, err
			}
			return []string{saved.Pod}, nil
		}
		if o.target.Kind == "deployment" {
			c, err := o.Flags.Cluster(d.name)
			if err != nil {
				return nil, err
			}
			pod, err := admin.ResolvePod(ctx, c, o.ProxyNamespace, o.target)
			if err != nil {
				return nil, err
			}
			return []string{pod}, nil
		}
		if d.cfg.Pod(o.ProxyNamespace, o.target.Name) == nil {
			return nil, fmt.Errorf("pod %s/%s not found", o.ProxyNamespace, o.target.Name)
		}
		return []string{o.target.Name}, nil
	}
	sel, err := labels.Parse(o.target.Selector)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range d.cfg.Pods {
		if p.Namespace == o.ProxyNamespace && sel.Matches(labels.Set(p.Labels)) && p.Status.Phase == "Running" && p.DeletionTimestamp == nil {
			out = append(out, p.Name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no running pod in namespace %s matches %s", o.ProxyNamespace, o.target.Selector)
	}
	if o.bundle != nil {
		// Of those, the proxies the bundle saved.
		var saved []string
		for _, p := range out {
			if _, err := o.bundle.FindProxy(d.name, o.ProxyNamespace, admin.Target{Kind: "pod", Name: p}); err == nil {
				saved = append(saved, p)
			}
		}
		if len(saved) == 0 {
			return nil, fmt.Errorf("bundle %s holds no proxy of the pods %s selects in namespace %s", o.Bundle.Path, o.target.Selector, o.ProxyNamespace)
		}
		out = saved
	}
	return out, nil
}

// noTranslationError: the context holds no translation of the
// VirtualDestination.
type noTranslationError struct{ msg string }

func (e noTranslationError) Error() string { return e.msg }

func contextLabel(c string) string {
	if c == "" {
		return "(files)"
	}
	return c
}
