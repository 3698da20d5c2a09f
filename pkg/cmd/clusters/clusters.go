// Package clusters implements `kubectl vd clusters`: the Envoy clusters of
// one proxy, as `istioctl proxy-config clusters` prints them.
package clusters

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

const long = `Print the Envoy clusters of one proxy, read from its admin API (/config_dump) through
a Kubernetes port-forward to the pod's admin port, or from a saved config dump.

The default output is the text of "istioctl proxy-config clusters" for the same dump and
filters, byte for byte: SERVICE FQDN, PORT, SUBSET, DIRECTION, TYPE and DESTINATION RULE
(NAME.NAMESPACE of the DestinationRule that shaped the cluster). -o json and -o yaml print the
clusters themselves, as istioctl does. Dumps whose clusters are of Envoy's retired v2 API
(envoy.api.v2.Cluster, old Istio releases) are read too; -o json prints those clusters as the
dump holds them.

-o wide adds what failover debugging needs:
  TLS MODE           ISTIO_MUTUAL, MUTUAL or SIMPLE from the cluster's transport socket;
                     ISTIO_MUTUAL(auto) for Istio's auto mTLS (mTLS to endpoints labelled
                     tlsMode=istio, plain text to the others); - for plain text
  SNI                the SNI sent upstream
  LOCALITY LB        weighted or zone-aware (Envoy locality load balancing), and
                     failover(p0-pN) when EDS places endpoints at priorities above 0
                     (Istio's locality failover); live, the EDS section is read too
  OUTLIER DETECTION  consecutive 5xx (and gateway errors), interval, base ejection time and
                     maximum ejection percentage, Envoy's defaults filled in

The proxy is a pod NAME (or pod/NAME), deploy/NAME (the first ready pod of the deployment),
or -l SELECTOR (the first ready pod it selects), in -n NAMESPACE or the context's namespace.
With several contexts (--context a,b or --all-contexts) the same proxy is read in each,
concurrently, and a first CONTEXT column tells the rows apart (-o json|yaml: an object keyed
by context); a context that fails is reported on stderr, the others are printed, and the exit
status is 1.

--vd NAME keeps the clusters of the hosts of that VirtualDestination: the hosts of the
ServiceEntries Gloo translated from it (labels gloo.solo.io/parent_name=NAME,
parent_namespace=--vd-namespace, parent_kind=VirtualDestination), read in the pod's context;
with -f, from --translations files written by "kubectl vd find -o yaml".

Values Envoy's schema does not define are read as istioctl reads them, so that the table
stays istioctl's (a type "BOGUS" prints as STATIC, a cluster without "@type" as an empty row),
and each is named once on stderr with a warning line: the discovery type in the table, every
enum value of the cluster with -o wide|json|yaml. A saved /clusters?format=json answer has no
cluster types nor DestinationRules: this command needs a /config_dump.`

const example = `  # The clusters of the productpage proxy, as istioctl shows them
  kubectl vd clusters deploy/productpage-v1 -n bookinfo-frontends

  # Only the clusters of the productpage VirtualDestination, with TLS, failover and outlier detection
  kubectl vd clusters deploy/productpage-v1 -n bookinfo-frontends --vd productpage -o wide

  # The same proxy in two clusters
  kubectl vd clusters deploy/productpage-v1 -n bookinfo-frontends --context cluster1,cluster2

  # From a saved dump, filtered like istioctl
  kubectl exec deploy/productpage-v1 -c istio-proxy -- curl -s localhost:15000/config_dump > dump.json
  kubectl vd clusters -f dump.json --fqdn productpage.global --port 9080 -o json

  # Offline --vd: the VirtualDestination's ServiceEntries from a find snapshot
  kubectl vd find productpage -n bookinfo-frontends -o yaml > snap.yaml
  kubectl vd clusters -f dump.json --vd productpage --vd-namespace bookinfo-frontends --translations snap.yaml`

// Options are the options of the clusters command.
type Options struct {
	Proxy  *proxycmd.Options
	Output string
	Filter writer.ClusterFilter
}

// NewCmdClusters returns the clusters command.
func NewCmdClusters(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{Proxy: proxycmd.NewOptions(streams)}
	cmd := &cobra.Command{
		Use:     "clusters (POD | deploy/NAME | -l SELECTOR | -f DUMP) [-n NAMESPACE]",
		Aliases: []string{"cluster"},
		Short:   "Print the Envoy clusters of a proxy, as istioctl proxy-config clusters does",
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
	o.Proxy.AddFlags(cmd, "Read a saved Envoy /config_dump (JSON) instead of a pod; - reads stdin")
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", writer.FormatShort, "Output format: short, wide, json, yaml or markdown (the short table to paste into an issue)")
	f.StringVar(&o.Filter.FQDN, "fqdn", "", "Filter clusters by substring of Service FQDN field")
	f.StringVar(&o.Filter.Direction, "direction", "", "Filter clusters by Direction field")
	f.StringVar(&o.Filter.Subset, "subset", "", "Filter clusters by substring of Subset field")
	f.IntVar(&o.Filter.Port, "port", 0, "Filter clusters by Port field")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		[]cobra.Completion{"short", "wide", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("direction", cobra.FixedCompletions(
		[]cobra.Completion{"inbound", "outbound"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the arguments. The output is checked first, before the
// contexts are resolved: an unknown -o is refused whatever the kubeconfig
// or the clusters are.
func (o *Options) Complete(args []string) error {
	if err := writer.ValidateFormat(o.Output); err != nil {
		return cmdutil.Usage(err)
	}
	return o.Proxy.Complete("clusters", args, 1)
}

// Validate checks the flags.
func (o *Options) Validate() error {
	if o.Filter.Port < 0 || o.Filter.Port > 65535 {
		return fmt.Errorf("invalid --port %d", o.Filter.Port)
	}
	return o.Proxy.Validate()
}

// Run reads the proxies and prints their clusters.
func (o *Options) Run(ctx context.Context) error {
	wide := o.Output == writer.FormatWide
	opts := envoy.ReadOptions{ClusterJSON: o.Output != writer.FormatShort && o.Output != "" && o.Output != writer.FormatMarkdown, Endpoints: wide}
	path := admin.ClustersDumpPath
	if wide {
		path = admin.ClustersAndEDSDumpPath
	}
	results := o.Proxy.Run(ctx, func(ctx context.Context, p proxycmd.Proxy) (any, error) {
		dump, err := p.Source.ConfigDump(ctx, path, opts)
		if err != nil {
			return nil, err
		}
		if !dump.HasClusters {
			return nil, fmt.Errorf("%s: the config dump has no clusters section (envoy.admin.v3.ClustersConfigDump)", p.Source)
		}
		if len(dump.Clusters) == 0 {
			return nil, fmt.Errorf("%s: %w", p.Source, envoy.ErrNoClusters)
		}
		return writer.ClusterSet{Context: p.Context, Dump: dump, Hosts: p.Hosts}, nil
	})
	if ctx.Err() != nil {
		// Interrupted: every proxy would say so.
		return ctx.Err()
	}
	var sets []writer.ClusterSet
	for _, r := range results {
		if r.Err == nil {
			sets = append(sets, r.Value.(writer.ClusterSet))
		}
	}
	filter := o.Filter
	if len(sets) > 0 {
		var err error
		switch o.Output {
		case writer.FormatJSON, writer.FormatYAML:
			err = writer.PrintClusterDump(o.Proxy.Out, sets, filter, o.Output, o.Proxy.Warn())
		default:
			err = writer.PrintClusterSummary(o.Proxy.Out, sets, filter, writer.ClusterOptions{Wide: wide, Markdown: o.Output == writer.FormatMarkdown, ContextColumn: o.Proxy.ContextColumn(), Warn: o.Proxy.Warn()})
		}
		if err != nil {
			return err
		}
	}
	return o.Proxy.Report(results)
}
