// Package endpoints implements `kubectl vd endpoints`: the endpoints of the
// Envoy clusters of one proxy, as `istioctl proxy-config endpoints` prints
// them, with locality, priority and weight on demand.
package endpoints

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/proxycmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/writer"
)

const long = `Print the endpoints of the Envoy clusters of one proxy, read from its admin API
(/clusters?format=json) through a Kubernetes port-forward to the pod's admin port, or from
saved files.

The default output is the text of "istioctl proxy-config endpoints" for the same input and
filters, byte for byte: ENDPOINT, STATUS (EDS health), OUTLIER CHECK (FAILED when outlier
detection ejected the host) and CLUSTER. -o json and -o yaml print the clusters that have a
matching endpoint, as istioctl does.

-o wide adds LOCALITY, PRIORITY and WEIGHT, what locality failover is decided on. They come
from the EDS assignments of /config_dump?include_eds (read too when live; with files, give
the config dump as a second -f), and, for endpoints EDS does not list, from what /clusters
reports.

The proxy is a pod NAME (or pod/NAME), deploy/NAME (the first ready pod of the deployment),
or -l SELECTOR (the first ready pod it selects), in -n NAMESPACE or the context's namespace.
With several contexts (--context a,b or --all-contexts) the same proxy is read in each,
concurrently, and a first CONTEXT column tells the rows apart (-o json|yaml: an object keyed
by context); a context that fails is reported on stderr, the others are printed, and the exit
status is 1.

--vd NAME keeps the endpoints of the clusters of that VirtualDestination's hosts: the hosts of
the ServiceEntries Gloo translated from it (labels gloo.solo.io/parent_name=NAME,
parent_namespace=--vd-namespace, parent_kind=VirtualDestination), read in the pod's context;
with -f, from --translations files written by "kubectl vd find -o yaml".

With only a saved config dump (-f DUMP, from /config_dump?include_eds), the table is
istioctl's EDS view ("istioctl proxy-config eds"): NAME, STATUS, LOCALITY and CLUSTER of the
endpoints the control plane assigned (--address then matches ADDRESS:PORT); -o wide adds
PRIORITY and WEIGHT, -o json|yaml prints the assignments.

--cluster filters Envoy clusters by name, as in istioctl; kubectl's --cluster flag (a
kubeconfig cluster) is not available on this command.

Enum values Envoy does not define: in a /clusters answer, a name (eds_health_status "SICK")
is refused with one line saying where, as istioctl refuses the answer; a number is kept (an
unknown health status prints an empty STATUS, as in istioctl) and named on stderr with a
warning line. In a config dump's EDS section, an unknown name reads as unset (UNKNOWN) and a
number is kept, as istioctl reads them, and each is named on stderr.`

const example = `  # The endpoints of the productpage proxy, as istioctl shows them
  kubectl vd endpoints deploy/productpage-v1 -n bookinfo-frontends

  # The endpoints of the productpage VirtualDestination with locality, priority and weight
  kubectl vd endpoints deploy/productpage-v1 -n bookinfo-frontends --vd productpage -o wide

  # Hosts ejected or unhealthy, in two clusters
  kubectl vd endpoints deploy/productpage-v1 -n bookinfo-frontends --context cluster1,cluster2 --status unhealthy

  # From saved files: /clusters for the table, the config dump for the wide columns
  kubectl exec deploy/productpage-v1 -c istio-proxy -- curl -s 'localhost:15000/clusters?format=json' > clusters.json
  kubectl exec deploy/productpage-v1 -c istio-proxy -- curl -s 'localhost:15000/config_dump?include_eds' > dump.json
  kubectl vd endpoints -f clusters.json -f dump.json -o wide --cluster 'outbound|9080||productpage.global'`

// Options are the options of the endpoints command.
type Options struct {
	Proxy  *proxycmd.Options
	Output string
	Filter writer.EndpointFilter
	port   int
}

// NewCmdEndpoints returns the endpoints command.
func NewCmdEndpoints(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{Proxy: proxycmd.NewOptions(streams)}
	cmd := &cobra.Command{
		Use:     "endpoints (POD | deploy/NAME | -l SELECTOR | -f CLUSTERS [-f DUMP] | -f DUMP) [-n NAMESPACE]",
		Aliases: []string{"endpoint", "ep"},
		Short:   "Print the endpoints of the Envoy clusters of a proxy, as istioctl proxy-config endpoints does",
		Long:    long,
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return cmdutil.Usage(err)
			}
			return o.Run(cmd.Context())
		},
	}
	// --cluster filters Envoy clusters, as in istioctl: kubectl's
	// --cluster (a kubeconfig cluster) is left out of this command.
	o.Proxy.Flags.ClusterName = nil
	o.Proxy.AddFlags(cmd, "Read a saved /clusters?format=json answer (and, for -o wide, a /config_dump?include_eds) instead of a pod; - reads stdin")
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", writer.FormatShort, "Output format: short, wide, json, yaml or markdown (the short table to paste into an issue)")
	f.StringVar(&o.Filter.Address, "address", "", "Filter endpoints by address field")
	f.IntVar(&o.port, "port", 0, "Filter endpoints by Port field")
	f.StringVar(&o.Filter.Cluster, "cluster", "", "Filter endpoints by cluster name field")
	f.StringVar(&o.Filter.Status, "status", "", "Filter endpoints by status field (healthy, unhealthy, draining, timeout, degraded, unknown)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]cobra.Completion{"short", "wide", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(
		[]cobra.Completion{"healthy", "unhealthy", "draining", "timeout", "degraded", "unknown"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the arguments. The output is checked first, before the
// contexts are resolved: an unknown -o is refused whatever the kubeconfig
// or the clusters are.
func (o *Options) Complete(args []string) error {
	if err := writer.ValidateFormat(o.Output); err != nil {
		return cmdutil.Usage(err)
	}
	return o.Proxy.Complete("endpoints", args, 2)
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.port < 0 || o.port > 65535 {
		return fmt.Errorf("invalid --port %d", o.port)
	}
	o.Filter.Port = uint32(o.port)
	if err := writer.ValidateStatus(o.Filter.Status); err != nil {
		return err
	}
	return o.Proxy.Validate()
}

// Run reads the proxies and prints their endpoints.
func (o *Options) Run(ctx context.Context) error {
	wide := o.Output == writer.FormatWide
	keepJSON := o.Output == writer.FormatJSON || o.Output == writer.FormatYAML
	results := o.Proxy.Run(ctx, func(ctx context.Context, p proxycmd.Proxy) (any, error) {
		set := writer.EndpointSet{Context: p.Context, Hosts: p.Hosts}
		eds := envoy.ReadOptions{Endpoints: true}
		if files, ok := p.Source.(*admin.Files); ok {
			if err := files.Load(eds, keepJSON); err != nil {
				return nil, err
			}
			if !files.HasClusters() && files.HasConfigDump() {
				// Only a config dump: istioctl's EDS view.
				dump, err := files.ConfigDump(ctx, "", eds)
				if err != nil {
					return nil, err
				}
				if !dump.HasEndpoints {
					return nil, fmt.Errorf("%s has no EDS section: save /config_dump?include_eds, or /clusters?format=json", files)
				}
				return writer.EDSSet{Context: p.Context, Endpoints: dump.Endpoints, Hosts: p.Hosts, Notes: dump.Notes}, nil
			}
		}
		var err error
		if set.Clusters, err = p.Source.Clusters(ctx, keepJSON); err != nil {
			return nil, err
		}
		if wide {
			files, offline := p.Source.(*admin.Files)
			if !offline || files.HasConfigDump() {
				dump, err := p.Source.ConfigDump(ctx, admin.EDSDumpPath, eds)
				if err != nil {
					return nil, err
				}
				set.EDS = dump.Endpoints
			}
		}
		return set, nil
	})
	if ctx.Err() != nil {
		// Interrupted: every proxy would say so.
		return ctx.Err()
	}
	var sets []writer.EndpointSet
	var edsSets []writer.EDSSet
	for _, r := range results {
		switch v := r.Value.(type) {
		case writer.EndpointSet:
			sets = append(sets, v)
		case writer.EDSSet:
			edsSets = append(edsSets, v)
		}
	}
	if len(edsSets) > 0 {
		var err error
		switch o.Output {
		case writer.FormatJSON, writer.FormatYAML:
			err = writer.PrintEDS(o.Proxy.Out, edsSets, o.Filter, o.Output, o.Proxy.Warn())
		default:
			err = writer.PrintEDSSummary(o.Proxy.Out, edsSets, o.Filter, writer.EndpointOptions{Wide: wide, Markdown: o.Output == writer.FormatMarkdown, Warn: o.Proxy.Warn()})
		}
		if err != nil {
			return err
		}
	}
	if len(sets) > 0 {
		var err error
		switch o.Output {
		case writer.FormatJSON, writer.FormatYAML:
			err = writer.PrintEndpoints(o.Proxy.Out, sets, o.Filter, o.Output, o.Proxy.Warn())
		default:
			err = writer.PrintEndpointsSummary(o.Proxy.Out, sets, o.Filter, writer.EndpointOptions{Wide: wide, Markdown: o.Output == writer.FormatMarkdown, ContextColumn: o.Proxy.ContextColumn(), Warn: o.Proxy.Warn()})
		}
		if err != nil {
			return err
		}
	}
	return o.Proxy.Report(results)
}
