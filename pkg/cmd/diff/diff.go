// Package diff implements `kubectl vd diff`: the translation of a parent
// compared between two contexts, a context and a snapshot, or two snapshot
// files. The comparison itself is pkg/diff; this package picks the two sides
// and prints.
package diff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/bundlecmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	engine "github.com/kubectl-vd/kubectl-vd/pkg/diff"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const example = `  # The translation of the productpage VirtualDestination in two clusters
  kubectl vd diff productpage -n bookinfo-frontends --kind vd --context cluster1 --context cluster2

  # Before and after a policy change: save a snapshot, change, compare
  kubectl vd find productpage -n bookinfo-frontends --context cluster1 -o yaml > before.yaml
  kubectl vd diff productpage -n bookinfo-frontends --context cluster1 --from before.yaml

  # Two snapshot files, or the two contexts of one snapshot
  kubectl vd diff productpage -n bookinfo-frontends -f before.yaml -f after.yaml
  kubectl vd diff productpage -n bookinfo-frontends -f all.yaml --context cluster1,cluster2

  # Only the summary, or the changed fields as JSON
  kubectl vd diff productpage -n bookinfo-frontends --context cluster1,cluster2 --brief
  kubectl vd diff productpage -n bookinfo-frontends --context cluster1,cluster2 -o json`

// Exit statuses, as diff(1) and kubectl diff.
const (
	exitDifferent = 1
	exitTrouble   = 2
)

// Options holds what diff needs to run.
type Options struct {
	Flags *kube.Flags

	Name             string
	Namespace        string
	Kinds            []string
	Resources        []string
	AllResources     bool
	SearchNamespaces []string
	From             string
	FromContext      string
	cmdutil.FilenameOptions
	GlooClusterA string
	GlooClusterB string
	Raw          bool
	Brief        bool
	Output       string
	Color        string
	Bundle       bundlecmd.Flag

	bundle *bundlecmd.Source

	// IsTerminal tells whether a writer is a terminal (colour in auto mode);
	// Getenv reads NO_COLOR. Tests replace both.
	IsTerminal func(io.Writer) bool
	Getenv     func(string) string

	// Completed state.
	query    source.Query
	contexts []string // live contexts, in side order
	picks    []string // contexts picked in files with --context

	genericiooptions.IOStreams
}

// NewOptions returns Options with defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{
		Flags:      kube.NewFlags(),
		Color:      "auto",
		IsTerminal: cmdutil.IsTerminal,
		Getenv:     os.Getenv,
		IOStreams:  streams,
	}
}

// NewCmdDiff returns the diff command.
func NewCmdDiff(streams genericiooptions.IOStreams) *cobra.Command {
	return newCmd(NewOptions(streams))
}

func newCmd(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff NAME [-n NAMESPACE] (--context A --context B | --from SNAPSHOT [--context A] | -f A.yaml -f B.yaml)",
		Short: "Compare the translation of a parent between two clusters, or with a snapshot",
		Long: `Compare what Gloo Mesh translated from the parent(s) named NAME in NAMESPACE on two sides:
two contexts (A and B, in the order given), a snapshot written by "kubectl vd find -o yaml"
(A) and one live context (B), or two snapshot files.

Objects are normalized first: uid, resourceVersion, generation, creationTimestamp,
managedFields, selfLink, status and the kubectl last-applied annotation are dropped. Each
side's Gloo cluster name (read from the context.mesh.gloo.solo.io/cluster or
relay.solo.io/cluster labels, or given with --gloo-cluster-a/-b) is folded to ${CLUSTER} in
object names, cluster labels and gateway names where that makes the two sides agree; spec
values such as subjectAltNames are never folded. --raw compares names as they are.

Objects pair by group, kind, namespace and name, and compare field by field. Lists of named
things pair by key, so their order does not matter: portLevelSettings by port number, ports
by name (or number), subsets by name, endpoints by address; hosts, addresses, exportTo,
subjectAltNames and gateways compare as sets. VirtualService http, tcp and tls routes pair by
name, and a change of their order, which changes which route Istio applies, is reported as
"reordered". Other lists (match, route, failover...) compare position by position.

The output is a summary (only in A, only in B, changed, same) and a unified diff of the
normalized YAML of each changed object, each hunk header naming the changed fields.

Exit status: 0 when both sides are the same, 1 when they differ, 2 on trouble (bad
arguments, unreadable file, unreachable context, nothing found on either side).`,
		Example: example,
	}
	cmdutil.Wire(cmd, o, exitTrouble)
	o.Flags.AddFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringSliceVar(&o.Kinds, "kind", nil, "Parent kinds to match (VirtualDestination or vd, RouteTable or rt, VirtualGateway or vg, ExternalService, ...)")
	f.StringSliceVar(&o.Resources, "resources", nil, "Only compare these Istio resources (serviceentries, dr, ...)")
	f.BoolVar(&o.AllResources, "all-resources", false, "Read every listable resource of live contexts, core kinds included")
	f.StringSliceVar(&o.SearchNamespaces, "search-namespaces", nil, "When a cluster-wide list is forbidden, also read these namespaces")
	f.StringVar(&o.From, "from", "", "Compare a snapshot written by find -o yaml (side A) with the live context (side B)")
	f.StringVar(&o.FromContext, "from-context", "", "With --from: the context to take from a snapshot holding several (default: the live context)")
	o.FilenameOptions.AddFlags(cmd, "Compare two files (or the two contexts of one file) instead of clusters; - is stdin", true)
	cmd.Flags().Lookup("recursive").Usage = "Read the directories given with -f or --from recursively"
	f.StringVar(&o.GlooClusterA, "gloo-cluster-a", "", "Gloo cluster name of side A (default: read from its objects' labels)")
	f.StringVar(&o.GlooClusterB, "gloo-cluster-b", "", "Gloo cluster name of side B (default: read from its objects' labels)")
	f.BoolVar(&o.Raw, "raw", false, "Do not fold cluster names: compare names and labels as they are")
	f.BoolVarP(&o.Brief, "brief", "q", false, "Print the summary only")
	f.StringVarP(&o.Output, "output", "o", "", "Output format: json (the changed fields of every object), markdown (tables to paste into an issue)")
	f.StringVar(&o.Color, "color", o.Color, "Colour the diff: auto (on a terminal unless NO_COLOR is set), always or never")
	o.Bundle.AddTo(cmd)

	cmd.ValidArgsFunction = complete.ParentNames(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	_ = cmd.RegisterFlagCompletionFunc("kind", complete.Kinds)
	return cmd
}

// Complete reads the arguments, the contexts and the namespace.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		return cmdutil.UsageErrorf("diff needs the NAME of a parent")
	case 1:
		o.Name = args[0]
	default:
		return cmdutil.UsageErrorf("diff takes one parent NAME, got %d arguments: %s", len(args), strings.Join(args, " "))
	}
	// The output is checked before the contexts are resolved: an unknown
	// -o is refused whatever the kubeconfig or the clusters are.
	if err := o.validateOutput(); err != nil {
		return cmdutil.Usage(err)
	}
	kinds, err := source.ParseKinds(o.Kinds)
	if err != nil {
		return err
	}
	// A flag value that is wrong is said even when files make it unused.
	if err := o.Flags.ValidateTimeout(); err != nil {
		return err
	}
	if o.Bundle.Given() {
		if o.AllResources {
			return cmdutil.UsageErrorf("--all-resources reads live clusters: a bundle holds the Istio resources")
		}
		if o.bundle, err = o.Bundle.Open(o.Flags, o.Filenames); err != nil {
			return err
		}
		o.contexts = o.bundle.Contexts
	} else if len(o.Filenames) > 0 {
		if o.From != "" {
			return errors.New("--from and -f cannot be used together: --from compares a snapshot with a live context, -f compares files")
		}
		if o.Flags.AllContexts {
			return cmdutil.UsageErrorf("--all-contexts reads live clusters: with -f, pick the contexts of a file with --context")
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
	if o.Flags.Namespace != nil && *o.Flags.Namespace != "" {
		o.Namespace = *o.Flags.Namespace
	} else if o.bundle != nil {
		o.Namespace = o.bundle.Namespace
	} else if len(o.Filenames) > 0 {
		o.Namespace = "default"
	} else if o.Namespace, err = o.Flags.DefaultNamespace(o.contexts); err != nil {
		return err
	}
	o.query = source.Query{
		Name:             o.Name,
		Namespace:        o.Namespace,
		ParentKinds:      kinds,
		Resources:        o.Resources,
		AllResources:     o.AllResources,
		SearchNamespaces: o.SearchNamespaces,
	}
	return nil
}

// validateOutput refuses an unknown -o; it reads the flags only.
func (o *Options) validateOutput() error {
	switch o.Output {
	case "", "json", "markdown":
		return nil
	}
	return fmt.Errorf("unknown output format %q: diff prints text, json with -o json, or markdown with -o markdown", o.Output)
}

// Validate checks the input before any request is made.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateLabelValue("parent name", o.Name); err != nil {
		return err
	}
	if err := cmdutil.ValidateNamespace(o.Namespace); err != nil {
		return err
	}
	for _, ns := range o.SearchNamespaces {
		if err := cmdutil.ValidateNamespace(ns); err != nil {
			return err
		}
	}
	if err := cmdutil.ValidateColor(o.Color); err != nil {
		return err
	}
	for _, c := range []string{o.GlooClusterA, o.GlooClusterB} {
		if c != "" {
			if err := cmdutil.ValidateLabelValue("Gloo cluster name", c); err != nil {
				return err
			}
		}
	}
	if o.FromContext != "" && o.From == "" {
		return errors.New("--from-context picks a context of the --from snapshot: give --from SNAPSHOT")
	}
	switch {
	case len(o.Filenames) > 2:
		return fmt.Errorf("diff compares two sides: got %d files (-f A.yaml -f B.yaml, or one file and --context A --context B)", len(o.Filenames))
	case len(o.Filenames) > 0 && len(o.picks) > 2:
		return fmt.Errorf("with -f, --context picks at most two contexts of the files, got %d", len(o.picks))
	case o.From != "" && len(o.contexts) != 1:
		return fmt.Errorf("--from compares one live context with a snapshot: give one --context, got %d (%s)", len(o.contexts), strings.Join(o.contexts, ", "))
	case len(o.Filenames) == 0 && o.From == "" && len(o.contexts) != 2:
		return fmt.Errorf("diff needs two sides: --context A --context B, --from SNAPSHOT or -f A.yaml -f B.yaml (got %s)", describeContexts(o.contexts))
	}
	return nil
}

func describeContexts(cs []string) string {
	switch len(cs) {
	case 0:
		return "no context"
	case 1:
		return "only context " + cs[0]
	}
	return fmt.Sprintf("%d contexts", len(cs))
}

// Run reads both sides, compares them and prints the result.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	a, b, warnings, err := o.sides(ctx)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintf(o.ErrOut, "warning: %s\n", w)
	}
	if len(a.Objects) == 0 && len(b.Objects) == 0 {
		return fmt.Errorf("no objects translated from %s in %s or %s", o.describeParent(), a.Label, b.Label)
	}
	for _, s := range []engine.Side{a, b} {
		if len(s.Objects) == 0 {
			fmt.Fprintf(o.ErrOut, "no objects translated from %s in %s\n", o.describeParent(), s.Label)
		}
	}
	a.Cluster, b.Cluster = o.GlooClusterA, o.GlooClusterB
	res, err := engine.Compare(a, b, engine.Options{Raw: o.Raw})
	if err != nil {
		return err
	}
	switch o.Output {
	case "json":
		err = engine.WriteJSON(o.Out, res)
	case "markdown":
		err = engine.WriteMarkdown(o.Out, res)
	default:
		err = engine.WriteText(o.Out, res, engine.TextOptions{Brief: o.Brief, Color: o.useColor()})
	}
	if err != nil {
		return err
	}
	switch {
	case len(warnings) > 0:
		// Part of a side could not be read: the comparison is incomplete.
		return cmdutil.Exit(exitTrouble, nil)
	case res.Differs():
		return cmdutil.Exit(exitDifferent, nil)
	}
	return nil
}

func (o *Options) useColor() bool {
	return cmdutil.UseColor(o.Color, o.Out, o.IsTerminal, o.Getenv)
}

// sides reads the two sides the flags name, with the objects of the parent
// only.
func (o *Options) sides(ctx context.Context) (a, b engine.Side, warnings []string, err error) {
	switch {
	case len(o.Filenames) > 0:
		a, b, err = o.fileSides()
		return a, b, nil, err
	case o.From != "":
		// The snapshot first: a bad file fails before any request.
		snap, err := o.snapshotSide(o.contexts[0])
		if err != nil {
			return a, b, nil, err
		}
		live, warnings, err := o.live(ctx)
		if err != nil {
			return a, b, nil, err
		}
		return snap, live[0], warnings, nil
	}
	live, warnings, err := o.live(ctx)
	if err != nil {
		return a, b, nil, err
	}
	return live[0], live[1], warnings, nil
}

// live reads the selected contexts concurrently. A context that cannot be
// read at all is an error; parts that could not be read are warnings.
func (o *Options) live(ctx context.Context) ([]engine.Side, []string, error) {
	var results []source.ContextResult
	if o.bundle != nil {
		results = o.bundle.Translations(o.contexts, o.query)
	} else {
		results = source.TranslationsOf(ctx, o.Flags, o.contexts, o.query)
	}
	if err := source.UnknownResources(results, o.Resources); err != nil {
		return nil, nil, err
	}
	var sides []engine.Side
	var warnings []string
	var failed []string
	for _, r := range results {
		label := r.Context
		if label == "" {
			label = "the current context"
		}
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("context %s: %s", label, source.Describe(r.Err)))
			continue
		}
		for _, g := range r.Gaps {
			warnings = append(warnings, fmt.Sprintf("context %s: %s", label, g))
		}
		sides = append(sides, engine.Side{Label: label, Context: r.Context, Objects: r.Objects})
	}
	if len(failed) > 0 {
		return nil, nil, errors.New(strings.Join(failed, "; "))
	}
	return sides, warnings, nil
}

// snapshotSide reads --from: the snapshot's objects of liveContext, or of
// --from-context, or all of them when the snapshot holds one context.
func (o *Options) snapshotSide(liveContext string) (engine.Side, error) {
	objs, contexts, err := o.readFiles(o.From)
	if err != nil {
		return engine.Side{}, err
	}
	label := fileLabel(o.From)
	pick := o.FromContext
	if pick == "" && len(contexts) > 1 {
		if !contains(contexts, liveContext) {
			return engine.Side{}, fmt.Errorf("snapshot %s holds contexts %s but not %s: pick one with --from-context", label, strings.Join(contexts, ", "), liveContext)
		}
		pick = liveContext
	}
	if pick != "" {
		if objs, err = ofContext(objs, contexts, pick, label); err != nil {
			return engine.Side{}, err
		}
		label += ":" + pick
	}
	return engine.Side{Label: label, Context: pick, Objects: objs}, nil
}

// readFiles reads files as a stream, keeping the translations of the
// parent only, and returns every context the files hold.
func (o *Options) readFiles(paths ...string) ([]source.Object, []string, error) {
	contexts := source.NewPicks(nil)
	resources := source.NewResourceFilter(o.Resources)
	matches := o.query.Matcher()
	var kept source.Latest
	err := source.VisitWith(paths, o.In, o.FilenameOptions.VisitOptions(), func(obj source.Object) error {
		contexts.Keep(obj)
		if resources.Keep(obj) && matches(obj) {
			kept.Add(obj)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := resources.Err(); err != nil {
		return nil, nil, err
	}
	return kept.Objects(), contexts.Contexts(), nil
}

// fileSides reads -f: two files, or the two contexts of one file.
func (o *Options) fileSides() (a, b engine.Side, err error) {
	if len(o.Filenames) == 2 {
		var pickA, pickB string
		switch len(o.picks) {
		case 1:
			pickA, pickB = o.picks[0], o.picks[0]
		case 2:
			pickA, pickB = o.picks[0], o.picks[1]
		}
		if a, err = o.fileSide(o.Filenames[0], pickA); err != nil {
			return a, b, err
		}
		b, err = o.fileSide(o.Filenames[1], pickB)
		return a, b, err
	}
	path := o.Filenames[0]
	label := fileLabel(path)
	objs, contexts, err := o.readFiles(path)
	if err != nil {
		return a, b, err
	}
	picks := o.picks
	if len(picks) < 2 {
		if len(picks) == 1 || len(contexts) != 2 {
			return a, b, fmt.Errorf("one file compares two of its contexts: %s holds %s; give a second -f, or --context A --context B", label, describeFileContexts(contexts))
		}
		picks = contexts
	}
	if picks[0] == picks[1] {
		return a, b, cmdutil.UsageErrorf("--context %s given twice: pick two different contexts of %s", picks[0], label)
	}
	sides := make([]engine.Side, 2)
	for i, p := range picks {
		sel, err := ofContext(objs, contexts, p, label)
		if err != nil {
			return a, b, err
		}
		sides[i] = engine.Side{Label: label + ":" + p, Context: p, Objects: sel}
	}
	return sides[0], sides[1], nil
}

// fileSide reads one -f file; a file holding several contexts needs pick.
func (o *Options) fileSide(path, pick string) (engine.Side, error) {
	objs, contexts, err := o.readFiles(path)
	if err != nil {
		return engine.Side{}, err
	}
	label := fileLabel(path)
	if pick == "" && len(contexts) > 1 {
		return engine.Side{}, fmt.Errorf("%s holds contexts %s: pick one with --context", label, strings.Join(contexts, ", "))
	}
	if pick != "" && len(contexts) > 0 {
		if objs, err = ofContext(objs, contexts, pick, label); err != nil {
			return engine.Side{}, err
		}
		label += ":" + pick
	} else if len(contexts) == 1 {
		pick = contexts[0]
	}
	return engine.Side{Label: label, Context: pick, Objects: objs}, nil
}

func fileLabel(path string) string {
	if path == source.Stdin {
		return "stdin"
	}
	return path
}

func describeFileContexts(cs []string) string {
	switch len(cs) {
	case 0:
		return "no context (no kubectl-vd/context annotation, no Gloo cluster label)"
	case 1:
		return "one context (" + cs[0] + ")"
	}
	return "contexts " + strings.Join(cs, ", ")
}

// ofContext keeps the objects of context ctx, which the file must hold
// (contexts are those it holds).
func ofContext(objs []source.Object, contexts []string, ctx, label string) ([]source.Object, error) {
	if !contains(contexts, ctx) {
		return nil, fmt.Errorf("%s holds no object of context %s (it holds %s)", label, ctx, describeFileContexts(contexts))
	}
	var out []source.Object
	for _, o := range objs {
		if o.Context == ctx {
			out = append(out, o)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func (o *Options) describeParent() string {
	kind := "parent"
	if len(o.query.ParentKinds) > 0 {
		kind = strings.Join(o.query.ParentKinds, " or ")
	}
	return fmt.Sprintf("%s %s/%s", kind, o.Namespace, o.Name)
}
