// Package trace implements `kubectl vd trace`: where an HTTP request sent
// from a proxy goes, by the Istio configuration and by the proxy's own
// configuration, and whether both agree.
package trace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
	"github.com/kubectl-vd/kubectl-vd/pkg/trace"
)

const long = `Trace where an HTTP request goes from a proxy, twice, and say whether both agree:

1. By the configuration (live, or the files of -f): the VirtualServices the proxy sees
   (exportTo, gateway binding, Istio's host matching with wildcards and short names, gateway
   VirtualServices merged), the first http route the request matches (uri, headers, method,
   port, sourceLabels, gateways, query parameters), its rewrite, redirect, direct response,
   fault or mirror, the destinations and weights; per destination the DestinationRule in
   scope, the ServiceEntry or Service, the Envoy cluster name Istio gives it
   (outbound|PORT|SUBSET|HOST) and its endpoints with the priority istiod assigns them for
   the proxy's locality.
2. By the proxy (--from live: its /config_dump and /clusters through a port-forward to its
   admin port; --dump: a saved /config_dump?include_eds): the listener and route configuration
   of the port, the virtual host by Envoy's domain rules, the first route by Envoy's matchers,
   its action, the VirtualService named in its metadata, the cluster and its EDS endpoints by
   priority, with their health.
3. Where both exist, what differs: another cluster, a missing route, other endpoints or
   priorities. A stale proxy, or one that rejected an update, shows here.

The URL is http://HOST[:PORT]/PATH[?QUERY]; its path is routed as the proxies normalize it
(dot segments, escaped unreserved characters), its query parameters as sent. A route to a
cluster istiod does not make (an undefined subset, an undeclared host) is 503 NC, not routed.
From a sidecar, short host names resolve as the sidecar's namespace resolves them, and PORT
is the service port. From a gateway, PORT is the
gateway Service's port (80 by default); its listener and route configuration are Istio's
(route configuration http.TARGETPORT, TARGETPORT from the gateway's Service when the
configuration holds it, else the configuration with virtual hosts named HOST:PORT), or
--proxy-port's.

Offline, --dump gives the proxy (its locality, namespace and kind come from the dump's node)
and -f the configuration: the translations and the Kubernetes objects they select (Services,
EndpointSlices, Pods, Nodes). Without a dump, --from-gateway NS/NAME (a gateway pod or
Service) or --from-namespace NS (a sidecar of that namespace) names the source, with
--locality REGION/ZONE[/SUBZONE] when no pod says it.

With several contexts (--context a,b or --all-contexts) one block is printed per context; a
context that fails is reported and the others are still traced.

Exit status: 0 routed and agreeing; 1 not routed (404, no route) or disagreeing; 2 on trouble.`

const example = `  # From the ingress gateway of two clusters
  kubectl vd trace http://bookinfo.example.com/productpage --from deploy/istio-ingressgateway -n istio-gateways --context cluster1,cluster2

  # From a sidecar, with a header
  kubectl vd trace http://reviews:9080/reviews/0 --from deploy/productpage-v1 -n bookinfo-frontends -H 'end-user: jason'

  # Offline: a saved config dump and the configuration as files
  kubectl exec -n istio-gateways deploy/istio-ingressgateway -- curl -s 'localhost:15000/config_dump?include_eds' > gw.json
  kubectl vd trace http://bookinfo.example.com/productpage --dump gw.json -f examples/bookinfo/cluster1 -f examples/bookinfo/kubernetes/cluster1`

// Output formats.
const (
	formatText     = ""
	formatWide     = "wide"
	formatJSON     = "json"
	formatMarkdown = "markdown"
)

// Options are the options of the trace command.
type Options struct {
	Flags    *kube.Flags
	From     string
	Selector string
	Headers  []string
	Method   string
	Output   string
	Dump     string
	cmdutil.FilenameOptions
	FromGateway   string
	FromNamespace string
	Locality      string
	ProxyPort     int
	AdminPort     int

	request  trace.Request
	target   admin.Target
	locality *locality.Locality
	contexts []string

	genericiooptions.IOStreams
}

// NewCmdTrace returns the trace command.
func NewCmdTrace(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{Flags: kube.NewFlags(), AdminPort: admin.DefaultAdminPort, Method: "GET", IOStreams: streams}
	cmd := &cobra.Command{
		Use:     "trace URL [--from POD|deploy/NAME|-l SELECTOR] [-n NAMESPACE] | URL --dump FILE [-f FILES] | URL -f FILES (--from-gateway NS/NAME | --from-namespace NS) [--locality R/Z]",
		Short:   "Trace where an HTTP request goes from a proxy, by the Istio configuration and by the proxy, and whether they agree",
		Long:    long,
		Example: example,
		Args:    cmdutil.UsageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return cmdutil.Exit(2, err)
			}
			if err := o.Validate(); err != nil {
				return cmdutil.Exit(2, err)
			}
			return o.Run(cmd.Context())
		},
	}
	fs := cmd.Flags()
	o.Flags.AddFlags(fs)
	fs.StringVar(&o.From, "from", "", "The source proxy: POD, pod/NAME or deploy/NAME in -n NAMESPACE (read live through a port-forward)")
	fs.StringVarP(&o.Selector, "selector", "l", "", "The source proxy: the first ready pod matching this label selector")
	fs.StringArrayVarP(&o.Headers, "header", "H", nil, "A request header, 'Name: value' (repeatable)")
	fs.StringVarP(&o.Method, "request", "X", o.Method, "The request method (upper-cased, as the routes compare it)")
	fs.StringVarP(&o.Output, "output", "o", "", "Output format: wide, json or markdown (default: text)")
	fs.StringVar(&o.Dump, "dump", "", "A saved /config_dump?include_eds of the source proxy")
	o.FilenameOptions.AddFlags(cmd, "Files or directories holding the configuration (translations, Services, EndpointSlices, Pods, Nodes); - reads stdin", true)
	fs.StringVar(&o.FromGateway, "from-gateway", "", "Without a proxy: the gateway NAMESPACE/NAME (a pod, or a Service) the request enters")
	fs.StringVar(&o.FromNamespace, "from-namespace", "", "Without a proxy: a sidecar of this namespace sends the request")
	fs.StringVar(&o.Locality, "locality", "", "The source's locality REGION/ZONE[/SUBZONE] when no pod or dump says it")
	fs.IntVar(&o.ProxyPort, "proxy-port", 0, "The proxy's listener port (a gateway's target port), when not Istio's")
	fs.IntVar(&o.AdminPort, "proxy-admin-port", o.AdminPort, "Envoy admin port of the proxy")
	cmd.ValidArgsFunction = cobra.NoFileCompletions
	complete.RegisterConnectionFlags(cmd, o.Flags)
	_ = cmd.RegisterFlagCompletionFunc("from", complete.Pods(o.Flags))
	_ = cmd.RegisterFlagCompletionFunc("from-namespace", complete.Namespaces(o.Flags))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]cobra.Completion{"wide", "json", "markdown"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// offline tells whether the trace reads files only.
func (o *Options) offline() bool { return o.Dump != "" || len(o.Filenames) > 0 }

// Complete reads the URL and the flags' values.
func (o *Options) Complete(args []string) error {
	var err error
	if o.request, err = trace.ParseRequest(args[0], o.Method, o.Headers); err != nil {
		return err
	}
	if o.Locality != "" {
		l, err := locality.Parse(o.Locality)
		if err != nil || l.Region == "" {
			return fmt.Errorf("invalid --locality %q: use REGION/ZONE[/SUBZONE]", o.Locality)
		}
		o.locality = &l
	}
	if o.offline() {
		return nil
	}
	if o.From != "" || o.Selector != "" {
		if o.target, err = admin.ParseTarget(o.From, o.Selector); err != nil {
			return fmt.Errorf("--from: %s", err)
		}
	}
	o.contexts, err = o.Flags.SelectedContexts()
	return err
}

// Validate checks that the flags go together.
func (o *Options) Validate() error {
	switch o.Output {
	case formatText, formatWide, formatJSON, formatMarkdown:
	default:
		return cmdutil.UsageErrorf("invalid output format %q: use wide, json or markdown", o.Output)
	}
	if err := o.FilenameOptions.Validate(); err != nil {
		return err
	}
	if o.ProxyPort < 0 || o.ProxyPort > 65535 || o.AdminPort < 1 || o.AdminPort > 65535 {
		return errors.New("--proxy-port and --proxy-admin-port take a port between 1 and 65535")
	}
	if o.FromGateway != "" && o.FromNamespace != "" {
		return cmdutil.UsageErrorf("give --from-gateway or --from-namespace, not both")
	}
	if o.FromGateway != "" {
		ns, name, ok := strings.Cut(o.FromGateway, "/")
		if !ok || cmdutil.ValidateNamespace(ns) != nil || name == "" {
			return cmdutil.UsageErrorf("invalid --from-gateway %q: use NAMESPACE/NAME", o.FromGateway)
		}
	}
	if o.FromNamespace != "" {
		if err := cmdutil.ValidateNamespace(o.FromNamespace); err != nil {
			return err
		}
	}
	proxy := o.From != "" || o.Selector != ""
	noProxy := o.FromGateway != "" || o.FromNamespace != ""
	if o.offline() {
		if proxy {
			return cmdutil.UsageErrorf("--from and -l read a live proxy; offline, give --dump FILE")
		}
		if o.Flags.AllContexts || len(o.Flags.Contexts) > 0 {
			return cmdutil.UsageErrorf("--context and --all-contexts choose live clusters; --dump and -f read files")
		}
		if o.Dump == "" && !noProxy {
			return cmdutil.UsageErrorf("-f without --dump needs --from-gateway NS/NAME or --from-namespace NS")
		}
		if o.Dump == "-" {
			for _, f := range o.Filenames {
				if f == "-" {
					return cmdutil.UsageErrorf("standard input (-) can be read only once")
				}
			}
		}
		return nil
	}
	if proxy && noProxy {
		return cmdutil.UsageErrorf("give --from (or -l), or --from-gateway/--from-namespace, not both")
	}
	if !proxy && !noProxy {
		return cmdutil.UsageErrorf("trace needs a source: --from POD|deploy/NAME, -l SELECTOR, --from-gateway NS/NAME or --from-namespace NS (or --dump FILE)")
	}
	return nil
}

// Run traces the request and prints it.
func (o *Options) Run(ctx context.Context) error {
	// A proxy's dump is streamed through short-lived buffers (one cluster
	// or assignment at a time): collecting them sooner keeps the peak
	// memory of a many-thousand-cluster dump low, for little time. Files
	// of configuration alone are decoded into objects that live on, where
	// collecting sooner only costs time.
	if o.Dump != "" || !o.offline() {
		debug.SetGCPercent(50)
	}
	var results []trace.Result
	if o.offline() {
		r, err := o.runOffline()
		if err != nil {
			return cmdutil.Exit(2, err)
		}
		results = []trace.Result{r}
	} else {
		results = o.runLive(ctx)
	}
	if ctx != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if len(results) == 1 && results[0].Error != "" {
		// One context: its error is the whole answer, as elsewhere.
		return cmdutil.Exit(2, errors.New(results[0].Error))
	}
	out := trace.Output{Request: o.request, Traces: results}
	var err error
	switch o.Output {
	case formatJSON:
		err = trace.WriteJSON(o.Out, out)
	case formatMarkdown:
		err = trace.WriteMarkdown(o.Out, out)
	default:
		err = trace.WriteText(o.Out, out, o.Output == formatWide)
	}
	if err != nil {
		return cmdutil.Exit(2, err)
	}
	code := 0
	for _, r := range results {
		switch {
		case r.Error != "":
			if len(results) > 1 {
				fmt.Fprintf(o.ErrOut, "error: context %s: %s\n", r.Context, r.Error)
			}
			code = 2
		case !r.Routed() && code == 0:
			code = 1
		}
	}
	if code != 0 {
		return cmdutil.Exit(code, nil)
	}
	return nil
}

// runOffline traces from files.
func (o *Options) runOffline() (trace.Result, error) {
	in := trace.Input{Locality: o.locality, Proxy: trace.ProxyOptions{ProxyPort: uint32(o.ProxyPort)}}
	if len(o.Filenames) > 0 {
		var objs []source.Object
		err := source.VisitWith(o.Filenames, o.In, o.VisitOptions(), func(obj source.Object) error {
			if trace.Relevant(obj, o.request) {
				objs = append(objs, obj)
			}
			return nil
		})
		if err != nil {
			return trace.Result{}, err
		}
		cfg, errs := mesh.FromObjects("", objs)
		if len(errs) > 0 {
			return trace.Result{}, errs[0]
		}
		in.Config = cfg
	}
	if o.Dump != "" {
		open, err := o.dumpOpener()
		if err != nil {
			return trace.Result{}, err
		}
		in.Dump = open
	}
	if o.FromGateway != "" || o.FromNamespace != "" {
		src, err := o.namedSource(in.Config)
		if err != nil {
			return trace.Result{}, err
		}
		in.Source = src
	}
	r, err := trace.Run(in, o.request)
	if err != nil {
		return r, describeDumpError(o.Dump, err)
	}
	return r, nil
}

// dumpOpener opens --dump for each pass; standard input is read once and
// kept.
func (o *Options) dumpOpener() (trace.DumpOpener, error) {
	if o.Dump == "-" {
		if o.In == nil {
			return nil, errors.New("no standard input to read")
		}
		data, err := io.ReadAll(o.In)
		if err != nil {
			return nil, err
		}
		return func(int) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, nil
	}
	st, err := os.Stat(o.Dump)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %s", o.Dump, pathError(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a saved /config_dump", o.Dump)
	}
	return func(int) (io.ReadCloser, error) {
		f, err := os.Open(o.Dump)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %s", o.Dump, pathError(err))
		}
		return f, nil
	}, nil
}

func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// describeDumpError words a failure to read the dump as one line.
func describeDumpError(name string, err error) error {
	var de *trace.DumpError
	if !errors.As(err, &de) {
		return err
	}
	var nd *envoy.NotDumpError
	if errors.As(err, &nd) {
		return fmt.Errorf("%s: %s", displayName(name), err)
	}
	return fmt.Errorf("%s: %s", displayName(name), admin.DescribeDecodeError(de.Err))
}

func displayName(p string) string {
	if p == "-" {
		return "standard input"
	}
	return p
}

// namedSource is the source --from-gateway or --from-namespace names.
func (o *Options) namedSource(cfg *mesh.Config) (*trace.Source, error) {
	if o.FromNamespace != "" {
		if o.locality == nil {
			return nil, errors.New("--from-namespace needs --locality REGION/ZONE[/SUBZONE] (the sidecar's locality decides the endpoints' priorities)")
		}
		return &trace.Source{Kind: "sidecar", Namespace: o.FromNamespace, Name: "*"}, nil
	}
	ns, name, _ := strings.Cut(o.FromGateway, "/")
	src := &trace.Source{Kind: "gateway", Namespace: ns, Name: name}
	if cfg == nil {
		return src, nil
	}
	if p := cfg.Pod(ns, name); p != nil {
		s := cfg.SourceOf(p)
		src.Labels, src.Locality, src.Cluster, src.Network = p.Labels, s.Locality, s.Cluster, s.Network
		return src, nil
	}
	for _, svc := range cfg.Services {
		if svc.Namespace == ns && svc.Name == name {
			src.Labels = svc.Spec.Selector
			// The Service's pods say the locality when one is known.
			for _, p := range cfg.Pods {
				if p.Namespace == ns && selectedBy(p.Labels, svc.Spec.Selector) {
					src.Labels, src.Locality = p.Labels, cfg.PodLocality(p)
					break
				}
			}
			if src.Locality == (locality.Locality{}) && o.locality == nil {
				return nil, fmt.Errorf("no pod of gateway Service %s says its locality: give --locality REGION/ZONE[/SUBZONE]", o.FromGateway)
			}
			return src, nil
		}
	}
	return nil, fmt.Errorf("no gateway pod or Service %s in the files", o.FromGateway)
}

func selectedBy(labels, selector map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// runLive traces in every selected context concurrently.
func (o *Options) runLive(ctx context.Context) []trace.Result {
	if ctx == nil {
		ctx = context.Background()
	}
	configs := source.MeshConfigs(ctx, o.Flags, o.contexts, nil)
	results := make([]trace.Result, len(configs))
	var wg sync.WaitGroup
	for i, c := range configs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := o.traceContext(ctx, c)
			r.Context = c.Context
			if err != nil {
				r.Error = oneLine(err.Error())
			}
			results[i] = r
		}()
	}
	wg.Wait()
	return results
}

func (o *Options) traceContext(ctx context.Context, c source.ContextResult) (trace.Result, error) {
	if c.Err != nil {
		return trace.Result{}, errors.New(source.Describe(c.Err))
	}
	cfg, errs := mesh.FromObjects(c.Context, trace.RelevantObjects(c.Objects, o.request))
	if len(errs) > 0 {
		return trace.Result{}, errs[0]
	}
	in := trace.Input{Context: c.Context, Config: cfg, Locality: o.locality, Proxy: trace.ProxyOptions{ProxyPort: uint32(o.ProxyPort)}}
	if o.FromGateway != "" || o.FromNamespace != "" {
		src, err := o.namedSource(cfg)
		if err != nil {
			return trace.Result{}, err
		}
		in.Source = src
		return trace.Run(in, o.request)
	}
	cl, err := o.Flags.Cluster(c.Context)
	if err != nil {
		return trace.Result{}, err
	}
	ns := cl.ContextNamespace()
	podName, err := admin.ResolvePod(ctx, cl, ns, o.target)
	if err != nil {
		return trace.Result{}, err
	}
	if p := cfg.Pod(ns, podName); p != nil && !hasProxy(p) {
		return trace.Result{}, fmt.Errorf("pod %s/%s has no istio-proxy container: it sends its requests without a sidecar, and there is no proxy to trace", ns, podName)
	}
	pod := &admin.Pod{Cluster: cl, Namespace: ns, Name: podName, AdminPort: o.AdminPort}
	defer pod.Close()
	if p := cfg.Pod(ns, podName); p != nil {
		s := cfg.SourceOf(p)
		in.Source = &trace.Source{Namespace: ns, Name: podName, Labels: p.Labels, Locality: s.Locality, Cluster: s.Cluster, Network: s.Network}
	}
	// Health comes from /clusters, as the proxy sees its hosts now.
	statuses, err := pod.Clusters(ctx, false)
	if err != nil {
		return trace.Result{}, err
	}
	health := map[string]string{}
	for _, cs := range statuses {
		for _, h := range cs.Hosts {
			status := corev3.HealthStatus(h.Status).String()
			if status == "UNKNOWN" {
				status = "HEALTHY" // Envoy's /clusters reads an unset status as healthy
			}
			if h.FailedOutlier {
				status += ",FAILED_OUTLIER_CHECK"
			}
			health[cs.Name+" "+hostPort(h.Address, h.Port)] = status
		}
	}
	in.Proxy.Health = func(cluster, hostPort string) (string, bool) {
		v, ok := health[cluster+" "+hostPort]
		return v, ok
	}
	in.Dump = func(pass int) (io.ReadCloser, error) {
		path := "config_dump"
		if pass == 2 {
			path = admin.ClustersAndEDSDumpPath
		}
		return fetch(ctx, pod, path)
	}
	return trace.Run(in, o.request)
}

// hasProxy tells whether a pod runs Istio's proxy: an istio-proxy
// container, or init container (a native sidecar); a gateway's pod runs
// it as its one container.
func hasProxy(p *corev1.Pod) bool {
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for _, c := range cs {
			if c.Name == "istio-proxy" {
				return true
			}
		}
	}
	return false
}

func hostPort(addr string, port uint32) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + strconv.Itoa(int(port))
	}
	return addr + ":" + strconv.Itoa(int(port))
}

// fetch reads one admin answer into memory-light pieces: the trace
// streams it through its scanner while it arrives.
func fetch(ctx context.Context, pod *admin.Pod, path string) (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() {
		err := pod.Get(ctx, path, func(r io.Reader) error {
			_, err := io.Copy(pw, r)
			return err
		})
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
