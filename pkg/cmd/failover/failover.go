// Package failover implements `kubectl vd failover`: the priority levels
// istiod gives a source's Envoy for a VirtualDestination's endpoints, and
// where the traffic goes when clusters, localities or hosts fail. Reading
// is pkg/source, the chain pkg/model, the priorities pkg/locality and the
// Envoy arithmetic and output pkg/failover.
package failover

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/bundlecmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/failover"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const example = `  # The priorities productpage-v1-a's Envoy gives productpage.global, and what happens when cluster1 is down
  kubectl vd failover productpage -n bookinfo-frontends --context cluster1 --from productpage-v1-a --down cluster1

  # For a proxy in a locality, with a region down, then with two hosts ejected together
  kubectl vd failover productpage -n bookinfo-frontends --all-contexts --locality us-east-1/us-east-1a \
    --down-locality us-east-1 --eject 10.102.1.1:9080,10.102.2.1:9080

  # Offline, from the translation and the Kubernetes objects of one cluster
  kubectl vd failover productpage -n bookinfo-frontends -f examples/bookinfo/cluster1 \
    -f examples/bookinfo/kubernetes/cluster1 --from productpage-v1-a --down-locality us-east-1/us-east-1a`

// Exit statuses.
const (
	// exitNoEndpoint: a scenario leaves no working endpoint (503).
	exitNoEndpoint = 1
	// exitTrouble: bad arguments, unreadable input, unreachable context.
	exitTrouble = 2
)

// Options holds what failover needs to run.
type Options struct {
	Flags *kube.Flags

	Name      string
	Namespace string
	cmdutil.FilenameOptions
	From          string
	FromNamespace string
	Locality      string
	Port          uint32
	Down          []string
	DownLocality  []string
	Eject         []string
	Output        string
	Bundle        bundlecmd.Flag

	bundle   *bundlecmd.Source
	target   admin.Target
	source   locality.Locality
	failures []failover.Failure
	contexts []string // live contexts
	picks    []string // contexts picked in files

	genericiooptions.IOStreams
}

// NewOptions returns Options with defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{Flags: kube.NewFlags(), IOStreams: streams}
}

// NewCmdFailover returns the failover command.
func NewCmdFailover(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(streams)
	cmd := &cobra.Command{
		Use:   "failover NAME [-n NS] (--from POD|deploy/NAME | --locality R/Z[/S]) [--down CONTEXT | --down-locality R[/Z[/S]] | --eject ADDRESS:PORT]...",
		Short: "Show the priority levels of a VirtualDestination's endpoints for a source, and where traffic goes when some fail",
		Long: `For a source (a pod's proxy, --from, or any proxy in a locality, --locality), show the
priority levels istiod gives the endpoints of the VirtualDestination NAME in each cluster:
the DestinationRule's localityLbSetting and outlier detection in that cluster decide them
(locality failover needs outlier detection, else every endpoint is at priority 0), with the
locality and the cluster behind each endpoint (a WorkloadEntry of an east-west gateway
stands for the cluster behind that gateway).

Then, for each simulated failure, where Envoy sends the requests: a level's health is its
healthy share times the overprovisioning factor 1.4 (capped at 100%), the load spills to the
next levels by that health, outlier detection ejects failing hosts up to maxEjectionPercent
of the cluster (Envoy's default 10%: below 10 endpoints it ejects none), and a level below the panic threshold balances over
all its hosts. istiod sets the panic threshold to outlier detection's minHealthPercent, 0 by
default: panic mode is off, and a cluster with no healthy host answers 503 UH.

Failures (each flag is one scenario; comma-separated values fail together; a value that
takes no endpoint down in any context read is an error):
  --down CONTEXT            every endpoint whose workload runs in that cluster (context or cluster name)
  --down-locality R[/Z[/S]] every endpoint in that region, zone or subzone
  --eject ADDRESS:PORT      that endpoint (or pod/NAME:PORT) fails (outlier detection ejects it when it may)

With -f, objects are read from files: the translations and the Kubernetes objects (pods,
nodes) of the clusters. Objects that name no context (no kubectl-vd/context annotation, no
Gloo cluster label) are used in every context of the files: give one cluster's Kubernetes
objects at a time, or pick the context with --context.

Exit status: 0 when traffic still has somewhere to go in every scenario, 1 when a scenario
leaves no working endpoint (503), 2 on trouble (bad arguments, unreadable input,
unreachable context: the others are still shown).`,
		Example: example,
	}
	cmdutil.Wire(cmd, o, exitTrouble)
	o.Flags.AddFlags(cmd.Flags())
	f := cmd.Flags()
	o.FilenameOptions.AddFlags(cmd, "Read objects from files, directories or - (stdin) instead of clusters; repeatable", true)
	f.StringVar(&o.From, "from", "", "The source: a pod (NAME or pod/NAME) or deploy/NAME (its first ready pod), in --from-namespace")
	f.StringVar(&o.FromNamespace, "from-namespace", "", "Namespace of the --from pod (default: the VirtualDestination's namespace)")
	f.StringVar(&o.Locality, "locality", "", "The source: a proxy in this locality (region/zone[/subzone]) in the VirtualDestination's namespace")
	f.Uint32Var(&o.Port, "port", 0, "The port of the VirtualDestination's host (default: every port)")
	f.StringArrayVar(&o.Down, "down", nil, "Scenario: the endpoints of this cluster (context or cluster name) fail; repeatable")
	f.StringArrayVar(&o.DownLocality, "down-locality", nil, "Scenario: the endpoints in this region[/zone[/subzone]] fail; repeatable")
	f.StringArrayVar(&o.Eject, "eject", nil, "Scenario: the endpoint ADDRESS:PORT (or pod/NAME:PORT) fails and outlier detection ejects it; repeatable")
	f.StringVarP(&o.Output, "output", "o", "", "Output format: text (default), json or markdown")
	o.Bundle.AddTo(cmd)

	cmd.ValidArgsFunction = complete.ParentNames(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	complete.PodFlags(cmd, o.Flags, "from", "from-namespace")
	return cmd
}

// Complete reads the arguments, the contexts and the namespace.
func (o *Options) Complete(_ *cobra.Command, args []string) error {
	var err error
	if o.Name, err = cmdutil.OneName("failover", "VirtualDestination", args); err != nil {
		return err
	}
	if o.Bundle.Given() {
		if o.bundle, err = o.Bundle.Open(o.Flags, o.Filenames); err != nil {
			return err
		}
		o.contexts = o.bundle.Contexts
	} else if len(o.Filenames) > 0 {
		if o.Flags.AllContexts {
			return cmdutil.UsageErrorf("--all-contexts reads live clusters: with -f, pick contexts of the files with --context")
		}
		if err := o.FilenameOptions.Validate(); err != nil {
			return err
		}
		o.picks = o.Flags.ContextNames()
	} else {
		if o.contexts, err = o.Flags.SelectedContexts(); err != nil {
			return err
		}
	}
	fallback := ""
	switch {
	case o.bundle != nil:
		fallback = o.bundle.Namespace
	case len(o.Filenames) > 0:
		fallback = "default"
	}
	if o.Namespace, err = o.Flags.ResolveNamespace(o.contexts, fallback); err != nil {
		return err
	}
	if o.FromNamespace == "" {
		o.FromNamespace = o.Namespace
	}
	return nil
}

// Validate checks the input before any request is made.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateLabelValue("VirtualDestination name", o.Name); err != nil {
		return err
	}
	if err := cmdutil.ValidateNamespace(o.Namespace); err != nil {
		return err
	}
	if err := cmdutil.ValidateNamespace(o.FromNamespace); err != nil {
		return err
	}
	switch {
	case o.From == "" && o.Locality == "":
		return errors.New("failover needs a source: --from POD|deploy/NAME or --locality REGION/ZONE[/SUBZONE]")
	case o.From != "" && o.Locality != "":
		return errors.New("give --from or --locality, not both")
	case o.From != "":
		t, err := admin.ParseTarget(o.From, "")
		if err != nil {
			return fmt.Errorf("--from: %w", err)
		}
		o.target = t
	default:
		l, err := locality.Parse(o.Locality)
		if err != nil {
			return fmt.Errorf("--locality: %w", err)
		}
		if l.Zone == "" {
			return fmt.Errorf("--locality %q: give at least region/zone, as a proxy's locality has both", o.Locality)
		}
		o.source = l
	}
	o.failures = nil
	for _, v := range o.Down {
		vals, err := splitValues("--down", v)
		if err != nil {
			return err
		}
		o.failures = append(o.failures, failover.Failure{Kind: failover.FailCluster, Values: vals})
	}
	for _, v := range o.DownLocality {
		vals, err := splitValues("--down-locality", v)
		if err != nil {
			return err
		}
		for _, l := range vals {
			if _, err := locality.Parse(l); err != nil {
				return fmt.Errorf("--down-locality: %w", err)
			}
		}
		o.failures = append(o.failures, failover.Failure{Kind: failover.FailLocality, Values: vals})
	}
	for _, v := range o.Eject {
		vals, err := splitValues("--eject", v)
		if err != nil {
			return err
		}
		for _, hp := range vals {
			if err := checkHostPort(hp); err != nil {
				return fmt.Errorf("--eject %q: %w", hp, err)
			}
		}
		o.failures = append(o.failures, failover.Failure{Kind: failover.FailEject, Values: vals})
	}
	switch o.Output {
	case "", "text", "json", "markdown":
	default:
		return fmt.Errorf("unknown output format %q: use text, json or markdown", o.Output)
	}
	return nil
}

func splitValues(flag, v string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("%s %q: empty value", flag, v)
		}
		out = append(out, s)
	}
	return out, nil
}

func checkHostPort(hp string) error {
	i := strings.LastIndex(hp, ":")
	if i <= 0 || i == len(hp)-1 {
		return errors.New("use ADDRESS:PORT")
	}
	var port uint64
	if _, err := fmt.Sscanf(hp[i+1:], "%d", &port); err != nil || port == 0 || port > 65535 || fmt.Sprint(port) != hp[i+1:] {
		return errors.New("the port must be a number between 1 and 65535")
	}
	return nil
}

// Run reads the objects, computes a report per context (and port) and
// prints them.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var worlds []*world
	var err error
	if len(o.Filenames) > 0 {
		worlds, err = o.fromFiles()
	} else {
		worlds, err = o.fromContexts(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err != nil {
		return err
	}
	reports, problems := o.reports(worlds)
	for _, p := range problems {
		fmt.Fprintf(o.ErrOut, "error: %s\n", p)
	}
	if len(reports) == 0 {
		if len(problems) == 0 {
			return fmt.Errorf("no context holds a translation of VirtualDestination %s/%s%s", o.Namespace, o.Name, translatedHint(worlds))
		}
		return cmdutil.Exit(exitTrouble, nil)
	}
	if len(problems) == 0 {
		// With every context read, a failure value that takes no endpoint
		// down anywhere is a mistake (a misspelled cluster, an address
		// that is not an endpoint), not a scenario that changes nothing.
		if err := o.checkFailuresMatch(reports); err != nil {
			return err
		}
	}
	switch o.Output {
	case "json":
		err = failover.WriteJSON(o.Out, reports)
	case "markdown":
		err = failover.WriteMarkdown(o.Out, reports)
	default:
		err = failover.WriteText(o.Out, reports)
	}
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return cmdutil.Exit(exitTrouble, nil)
	}
	for _, r := range reports {
		if r.Failing() {
			return cmdutil.Exit(exitNoEndpoint, nil)
		}
	}
	return nil
}

// checkFailuresMatch fails on the first failure value that selects no
// endpoint in any report.
func (o *Options) checkFailuresMatch(reports []*failover.Report) error {
	for i, f := range o.failures {
		for j, v := range f.Values {
			matched := false
			for _, r := range reports {
				if i >= len(r.Scenarios) || !slices.Contains(r.Scenarios[i].Unmatched, j) {
					matched = true
					break
				}
			}
			if matched {
				continue
			}
			vd := o.Namespace + "/" + o.Name
			switch f.Kind {
			case failover.FailCluster:
				return fmt.Errorf("--down %q: no endpoint of VirtualDestination %s runs in that cluster (they run in %s)", v, vd, strings.Join(endpointClusters(reports), ", "))
			case failover.FailLocality:
				return fmt.Errorf("--down-locality %q: no endpoint of VirtualDestination %s is in that locality", v, vd)
			default:
				return fmt.Errorf("--eject %q: no endpoint of VirtualDestination %s has that address and port", v, vd)
			}
		}
	}
	return nil
}

// endpointClusters are the clusters the reports' endpoints run in, sorted.
func endpointClusters(reports []*failover.Report) []string {
	seen := map[string]bool{}
	for _, r := range reports {
		for _, p := range r.Priorities {
			for _, e := range p.Endpoints {
				if e.Cluster != "" {
					seen[e.Cluster] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// translatedHint names the VirtualDestinations the objects read were
// translated from.
func translatedHint(worlds []*world) string {
	var objs []source.Object
	for _, w := range worlds {
		objs = append(objs, w.Objects...)
	}
	return mesh.TranslatedHint(objs)
}
