// Package explain implements `kubectl vd explain`: the chain of a
// VirtualDestination in every cluster, told as a narrative, with the
// misconfigurations found along it. Reading is pkg/source, the chain is
// pkg/model, the checks pkg/explain and the output pkg/explain/render.
package explain

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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/bundlecmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/explain/render"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const example = `  # The chain of the productpage VirtualDestination in two clusters, and what is wrong with it
  kubectl vd explain productpage -n bookinfo-frontends --context cluster1,cluster2

  # In CI: fail on warnings too
  kubectl vd explain productpage -n bookinfo-frontends --all-contexts --fail-on warning

  # From a snapshot written by find -o yaml
  kubectl vd find productpage -n bookinfo-frontends --all-contexts -o yaml > snap.yaml
  kubectl vd explain productpage -n bookinfo-frontends -f snap.yaml

  # Every VirtualDestination of every namespace, for CI
  kubectl vd explain -A --all-contexts -o sarif > explain.sarif

  # A picture of the chain
  kubectl vd explain productpage -n bookinfo-frontends --all-contexts -o dot | dot -Tpng > chain.png
  kubectl vd explain productpage -n bookinfo-frontends --all-contexts -o mermaid`

// Exit statuses.
const (
	// exitFindings: a finding at or above --fail-on.
	exitFindings = 1
	// exitTrouble: bad arguments, unreadable input, unreachable context.
	exitTrouble = 2
)

// Resources explain reads besides the translations.
var virtualDestinations = schema.GroupVersionResource{Group: model.GroupGlooNetworking, Version: "v2", Resource: "virtualdestinations"}

// Options holds what explain needs to run.
type Options struct {
	Flags *kube.Flags

	Name      string
	Namespace string
	cmdutil.FilenameOptions
	SearchNamespaces []string
	Output           string
	FailOn           string
	Color            string
	Suppress         []string
	AllNamespaces    bool
	Bundle           bundlecmd.Flag

	bundle *bundlecmd.Source

	// IsTerminal tells whether a writer is a terminal (colour in auto mode);
	// Getenv reads NO_COLOR. Tests replace both.
	IsTerminal func(io.Writer) bool
	Getenv     func(string) string

	failOn       explain.Severity
	suppressions []explain.Suppression
	contexts     []string // live contexts
	picks        []string // contexts picked in files with --context

	genericiooptions.IOStreams
}

// NewOptions returns Options with defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{
		Flags:      kube.NewFlags(),
		FailOn:     "error",
		Color:      "auto",
		IsTerminal: cmdutil.IsTerminal,
		Getenv:     os.Getenv,
		IOStreams:  streams,
	}
}

// NewCmdExplain returns the explain command.
func NewCmdExplain(streams genericiooptions.IOStreams) *cobra.Command {
	return newCmd(NewOptions(streams))
}

func newCmd(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "explain [NAME] [-n NAMESPACE | -A]",
		Short: "Explain what a VirtualDestination became in every cluster, and what is wrong with it",
		Long: `Build the chain of the VirtualDestination NAME in NAMESPACE in every selected context: the
Gloo object itself where a context serves networking.gloo.solo.io (else the chain is inferred
from its translations), then per Gloo cluster its ServiceEntry (hosts, VIP, ports, exportTo),
WorkloadEntries (address, port map, locality, network), DestinationRule (TLS mode and
subjectAltNames per port, load balancer, locality failover, outlier detection, connection
pool) and the VirtualServices of any parent that route to its hosts, with their matches and
gateways.

The chain is told as an indented narrative, followed by findings sorted by severity, each
with a stable code, the objects involved and a hint (in brackets, the istioctl analyze or Kiali
code of the same problem):

` + checkTable() + `

--suppress CODE[=KIND/NAMESPACE/NAME] silences the findings of a code (also an istioctl IST or
Kiali KIA code), for every object or for the findings naming that object; the annotation
` + explain.SuppressAnnotation + `: "VD201,IST0130" on an object silences those codes for the findings naming
it (a code there that is no check's is told in a warning). Suppressed findings are counted,
not shown, and do not count for the exit status.

Without NAME, explain checks every VirtualDestination of NAMESPACE (-A: of every namespace):
those the Gloo API serves, and those the translations name in their parent labels where it is
not served. It prints each one's findings, then a table of the counts per VirtualDestination
and cluster (-o markdown, json and sarif too); the exit status is the worst of them.

With -f, objects are read from files (find -o yaml snapshots keep each object's context;
other objects are placed by their Gloo cluster label, and a later file overrides an object of
an earlier one). --context then picks contexts of the files.

Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 on trouble (bad
arguments, unreadable file, unreachable context: the others are still shown).`,
		Example: example,
	}
	cmdutil.Wire(cmd, o, exitTrouble)
	o.Flags.AddFlags(cmd.Flags())
	f := cmd.Flags()
	o.FilenameOptions.AddFlags(cmd, "Read objects from files, directories or - (stdin) instead of clusters; repeatable", true)
	f.StringSliceVar(&o.SearchNamespaces, "search-namespaces", nil, "When a cluster-wide list is forbidden, also read these namespaces")
	f.StringVarP(&o.Output, "output", "o", "", "Output format: text (default), json (chain and findings), markdown (the findings as a table to paste into an issue), sarif (SARIF 2.1.0 for CI), dot or mermaid (a picture)")
	f.StringVar(&o.FailOn, "fail-on", o.FailOn, "Exit 1 when a finding has this severity or a higher one: error, warning, info or none")
	f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Without NAME: explain the VirtualDestinations of every namespace")
	f.StringArrayVar(&o.Suppress, "suppress", nil, "Do not report findings of CODE (VD, IST or KIA code), or only those naming KIND/NAMESPACE/NAME (* wildcards): CODE or CODE=KIND/NAMESPACE/NAME; repeatable. The annotation "+explain.SuppressAnnotation+`: "CODE,CODE" on an object does the same for the findings naming it`)
	f.StringVar(&o.Color, "color", o.Color, "Colour the text: auto (on a terminal unless NO_COLOR is set), always or never")
	o.Bundle.AddTo(cmd)

	cmd.ValidArgsFunction = complete.ParentNames(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	return cmd
}

// checkTable lists the checks, one line each.
func checkTable() string {
	var b strings.Builder
	for _, c := range explain.Checks() {
		also := ""
		if a := c.Analyzers(); a != "none" {
			also = " [" + a + "]"
		}
		fmt.Fprintf(&b, "  %s %-8s %s%s\n", c.Code, c.Severity, c.Title, also)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// Complete reads the arguments, the contexts and the namespace.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	switch len(args) {
	case 0:
		// Every VirtualDestination of the namespace (or of all with -A).
	case 1:
		o.Name = args[0]
		if o.AllNamespaces {
			return cmdutil.UsageErrorf("-A/--all-namespaces explains every VirtualDestination: use it without NAME")
		}
	default:
		return cmdutil.UsageErrorf("explain takes one VirtualDestination NAME, got %d arguments: %s", len(args), strings.Join(args, " "))
	}
	var err error
	if o.Bundle.Given() {
		if o.bundle, err = o.Bundle.Open(o.Flags, o.Filenames); err != nil {
			return err
		}
		if !o.bundle.HoldsKind(model.KindVirtualDestination) {
			return fmt.Errorf("bundle %s holds the translations of %s parents only (taken with --kind): explain reads a VirtualDestination's", o.Bundle.Path, strings.Join(o.bundle.Manifest.Parent.Kinds, ", "))
		}
		o.contexts = o.bundle.Contexts
	} else if len(o.Filenames) > 0 {
		if o.Flags.AllContexts {
			return cmdutil.UsageErrorf("--all-contexts reads live clusters: with -f, pick contexts of the files with --context")
		}
		if err := source.CheckPaths(o.Filenames); err != nil {
			return err
		}
		o.picks = o.Flags.ContextNames()
	} else {
		if o.contexts, err = o.Flags.SelectedContexts(); err != nil {
			return err
		}
	}
	switch {
	case o.AllNamespaces:
		o.Namespace = ""
	case o.Flags.Namespace != nil && *o.Flags.Namespace != "":
		o.Namespace = *o.Flags.Namespace
	case o.bundle != nil:
		o.Namespace = o.bundle.Namespace
	case len(o.Filenames) > 0:
		o.Namespace = "default"
	default:
		if o.Namespace, err = o.Flags.DefaultNamespace(o.contexts); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the input before any request is made.
func (o *Options) Validate() error {
	if o.Name != "" {
		if err := cmdutil.ValidateLabelValue("VirtualDestination name", o.Name); err != nil {
			return err
		}
	}
	if !o.AllNamespaces {
		if err := cmdutil.ValidateNamespace(o.Namespace); err != nil {
			return err
		}
	}
	for _, ns := range o.SearchNamespaces {
		if err := cmdutil.ValidateNamespace(ns); err != nil {
			return err
		}
	}
	switch o.Output {
	case "", "text", "json", "dot", "mermaid", "markdown", "sarif":
	default:
		return fmt.Errorf("unknown output format %q: use text, json, markdown, sarif, dot or mermaid", o.Output)
	}
	if o.Name == "" && (o.Output == "dot" || o.Output == "mermaid") {
		return fmt.Errorf("-o %s draws the chain of one VirtualDestination: give its NAME", o.Output)
	}
	sev, ok := explain.ParseSeverity(o.FailOn)
	if !ok {
		return fmt.Errorf("invalid --fail-on %q: use error, warning, info or none", o.FailOn)
	}
	o.failOn = sev
	o.suppressions = nil
	for _, s := range o.Suppress {
		sup, err := explain.ParseSuppression(s)
		if err != nil {
			return err
		}
		o.suppressions = append(o.suppressions, sup)
	}
	if err := cmdutil.ValidateColor(o.Color); err != nil {
		return err
	}
	return nil
}

// Run reads the objects, builds the chain, runs the checks and prints.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Name == "" {
		return o.runAll(ctx)
	}
	var in model.Input
	var problems, warnings, elsewhere []string
	if len(o.Filenames) > 0 {
		var err error
		if in, elsewhere, err = o.fromFiles(); err != nil {
			return err
		}
	} else if o.bundle != nil {
		in, problems, warnings = o.bundle.ExplainInput(o.contexts, o.Name, o.Namespace)
		elsewhere = otherNamespaces(in.Objects, o.Name, o.Namespace)
	} else {
		in, problems, warnings = o.fromContexts(ctx)
		if ctx.Err() != nil {
			// Interrupted: every context would say so.
			return ctx.Err()
		}
		elsewhere = otherNamespaces(in.Objects, o.Name, o.Namespace)
	}
	for _, p := range problems {
		fmt.Fprintf(o.ErrOut, "error: %s\n", p)
	}
	for _, w := range warnings {
		fmt.Fprintf(o.ErrOut, "warning: %s\n", w)
	}
	readable := 0
	for _, c := range in.Contexts {
		if c.Error == "" {
			readable++
		}
	}
	if readable == 0 {
		return cmdutil.Exit(exitTrouble, errors.New("no context could be read"))
	}

	ch := model.Build(in)
	if !ch.ParentFound() && !anyTranslation(ch) {
		return o.nothingFound(in, ch, elsewhere)
	}
	kept, suppressed := explain.Suppress(ch, explain.Run(ch), o.suppressions)
	for _, w := range explain.AnnotationProblems(ch) {
		fmt.Fprintf(o.ErrOut, "warning: %s\n", w)
	}
	report := render.NewReport(ch, kept)
	report.SetSuppressed(suppressed)
	var err error
	switch o.Output {
	case "json":
		err = render.JSON(o.Out, report)
	case "dot":
		err = render.Dot(o.Out, report)
	case "mermaid":
		err = render.Mermaid(o.Out, report)
	case "markdown":
		err = render.Markdown(o.Out, report)
	case "sarif":
		err = render.SARIF(o.Out, []*render.Report{report})
	default:
		err = render.Text(o.Out, report, render.TextOptions{Color: o.useColor()})
	}
	if err != nil {
		return err
	}
	switch {
	case len(problems) > 0 || len(warnings) > 0:
		// Part of what should have been read was not: the explanation is
		// incomplete.
		return cmdutil.Exit(exitTrouble, nil)
	case explain.AtLeast(report.Findings, o.failOn):
		return cmdutil.Exit(exitFindings, nil)
	}
	return nil
}

func anyTranslation(ch *model.Chain) bool {
	for _, cl := range ch.Clusters {
		if cl.HasTranslation() {
			return true
		}
	}
	return false
}

// nothingFound explains an empty result in one line, suggesting the
// namespace when files hold the VirtualDestination elsewhere.
func (o *Options) nothingFound(in model.Input, ch *model.Chain, elsewhere []string) error {
	where := "the files read"
	if len(o.Filenames) == 0 {
		var names []string
		for _, c := range in.Contexts {
			if c.Error == "" {
				names = append(names, c.Name)
			}
		}
		where = "context " + strings.Join(names, ", ")
	}
	msg := fmt.Sprintf("no VirtualDestination %s/%s and no object translated from it in %s", o.Namespace, o.Name, where)
	if !ch.GlooAPIServed() {
		msg += " (the Gloo API is not served there)"
	}
	if len(elsewhere) > 0 {
		msg += fmt.Sprintf("; found in namespace %s: use -n", strings.Join(elsewhere, ", "))
	}
	return cmdutil.Exit(exitTrouble, errors.New(msg))
}

func otherNamespaces(objs []source.Object, name, namespace string) []string {
	set := map[string]bool{}
	for _, o := range objs {
		addOtherNamespace(set, o, name, namespace)
	}
	return sortedSet(set)
}

// addOtherNamespace records the namespace of a VirtualDestination of that
// name, or of the parent of a translation of that name, outside namespace.
func addOtherNamespace(set map[string]bool, o source.Object, name, namespace string) {
	if o.Obj == nil {
		return
	}
	if o.Group() == model.GroupGlooNetworking && o.Kind() == model.KindVirtualDestination && o.Name() == name && o.Namespace() != namespace {
		set[o.Namespace()] = true
	}
	if p, ok := source.Parent(o); ok && p.Name == name && p.Namespace != namespace && (p.Kind == "" || p.Kind == model.KindVirtualDestination) {
		set[p.Namespace] = true
	}
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

func (o *Options) useColor() bool {
	return cmdutil.UseColor(o.Color, o.Out, o.IsTerminal, o.Getenv)
}

// fromFiles reads -f as a stream, keeping what the chain uses, of the
// contexts picked with --context, and the namespaces where the files hold
// the VirtualDestination (or its translations) elsewhere.
func (o *Options) fromFiles() (model.Input, []string, error) {
	picks := source.NewPicks(o.picks)
	b := model.NewFileInput(o.Name, o.Namespace)
	elsewhere := map[string]bool{}
	err := source.VisitWith(o.Filenames, o.In, o.VisitOptions(), func(obj source.Object) error {
		if picks.Keep(obj) {
			addOtherNamespace(elsewhere, obj, o.Name, o.Namespace)
			b.Add(obj)
		}
		return nil
	})
	if err != nil {
		return model.Input{}, nil, err
	}
	if err := picks.Err(); err != nil {
		return model.Input{}, nil, err
	}
	return b.Input(), sortedSet(elsewhere), nil
}

// fromContexts reads the selected contexts concurrently: the translations,
// the VirtualDestination where the Gloo API is served, and every
// VirtualService. It returns one problem per context that could not be
// read and one warning per part that could not.
func (o *Options) fromContexts(ctx context.Context) (model.Input, []string, []string) {
	in := model.Input{Name: o.Name, Namespace: o.Namespace}
	var problems, warnings []string
	var clusters []*kube.Cluster
	for _, c := range o.contexts {
		cl, err := o.Flags.Cluster(c)
		if err != nil {
			problems = append(problems, err.Error())
			in.Contexts = append(in.Contexts, model.Context{Name: c, Error: err.Error()})
			continue
		}
		clusters = append(clusters, cl)
	}
	q := source.Query{
		Name:             o.Name,
		Namespace:        o.Namespace,
		ParentKinds:      []string{model.KindVirtualDestination},
		SearchNamespaces: o.SearchNamespaces,
	}
	results := source.Translations(ctx, clusters, q)

	extras := make([]contextExtras, len(clusters))
	var wg sync.WaitGroup
	for i, c := range clusters {
		if results[i].Err != nil {
			extras[i].ctx = model.Context{Name: c.Context, Error: source.Describe(results[i].Err)}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			extras[i] = o.readExtras(ctx, c)
		}()
	}
	wg.Wait()

	for i, r := range results {
		label := contextLabel(r.Context)
		e := extras[i]
		if r.Err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", label, source.Describe(r.Err)))
			in.Contexts = append(in.Contexts, e.ctx)
			continue
		}
		for _, g := range r.Gaps {
			warnings = append(warnings, fmt.Sprintf("context %s: %s", label, g))
		}
		for _, w := range e.warnings {
			warnings = append(warnings, fmt.Sprintf("context %s: %s", label, w))
		}
		in.Objects = append(in.Objects, r.Objects...)
		in.Objects = append(in.Objects, e.objs...)
		in.Contexts = append(in.Contexts, e.ctx)
	}
	return in, problems, warnings
}

func contextLabel(c string) string {
	if c == "" {
		return "(current)"
	}
	return c
}

// contextExtras is what explain reads in a context besides the
// translations.
type contextExtras struct {
	ctx      model.Context
	objs     []source.Object
	warnings []string
}

// readExtras reads, in one context, the VirtualDestination (when the Gloo
// API is served) and the VirtualServices of every namespace.
func (o *Options) readExtras(ctx context.Context, c *kube.Cluster) (e contextExtras) {
	e.ctx = model.Context{Name: c.Context}
	served, err := source.Served(ctx, c, virtualDestinations)
	if err != nil {
		e.warnings = append(e.warnings, "cannot tell whether the Gloo API is served: "+source.Describe(err))
	}
	if served {
		e.ctx.GlooAPI = true
		objs, err := source.List(ctx, c, virtualDestinations, o.Namespace, "")
		switch {
		case apierrors.IsNotFound(err):
			// The discovery cache is older than the CRDs' removal: the
			// API is not served. Refresh the cache for the next run.
			c.Discovery.Invalidate()
			e.ctx.GlooAPI = false
		case err != nil:
			e.warnings = append(e.warnings, "cannot read VirtualDestinations: "+source.Describe(err))
			e.ctx.GlooAPI = false
		}
		for _, ob := range objs {
			if o.Name == "" || ob.Name() == o.Name {
				e.objs = append(e.objs, ob)
			}
		}
	}
	gvr, ok, err := source.PreferredResource(ctx, c, model.GroupIstioNetworking, "virtualservices")
	if err != nil {
		e.warnings = append(e.warnings, "cannot tell whether Istio is served: "+source.Describe(err))
	}
	if !ok {
		return e
	}
	e.ctx.IstioAPI = true
	e.objs = append(e.objs, o.readHostObjects(ctx, c)...)
	objs, err := source.List(ctx, c, gvr, "", "")
	if err == nil {
		e.objs = append(e.objs, objs...)
		return e
	}
	if apierrors.IsNotFound(err) {
		// A discovery cache older than the CRDs' removal.
		c.Discovery.Invalidate()
		e.ctx.IstioAPI = false
		return e
	}
	if !apierrors.IsForbidden(err) {
		e.warnings = append(e.warnings, "cannot list VirtualServices: "+source.Describe(err))
		return e
	}
	// Forbidden across namespaces: read the namespaces named.
	var readable []string
	for _, ns := range uniqueStrings(append([]string{o.Namespace}, o.SearchNamespaces...)) {
		objs, err := source.List(ctx, c, gvr, ns, "")
		if err != nil {
			continue
		}
		readable = append(readable, ns)
		e.objs = append(e.objs, objs...)
	}
	what := "no namespace could be read"
	if len(readable) > 0 {
		what = "read only namespace(s) " + strings.Join(readable, ", ")
	}
	e.warnings = append(e.warnings, "cannot list VirtualServices across all namespaces (forbidden); "+what+
		": routes from other namespaces are not shown")
	return e
}

// readHostObjects reads the ServiceEntries and DestinationRules of every
// namespace: those of other parents that name a host of the chain are
// merged by Istio with the translation's (checks VD104, VD602, VD603). The
// chain itself is read by label, so a list that fails or is forbidden only
// narrows these checks to the namespaces named.
func (o *Options) readHostObjects(ctx context.Context, c *kube.Cluster) []source.Object {
	var out []source.Object
	for _, resource := range []string{"serviceentries", "destinationrules"} {
		gvr, ok, err := source.PreferredResource(ctx, c, model.GroupIstioNetworking, resource)
		if err != nil || !ok {
			continue
		}
		objs, err := source.List(ctx, c, gvr, "", "")
		if err == nil {
			out = append(out, objs...)
			continue
		}
		for _, ns := range uniqueStrings(append([]string{o.Namespace}, o.SearchNamespaces...)) {
			if objs, err := source.List(ctx, c, gvr, ns, ""); err == nil {
				out = append(out, objs...)
			}
		}
	}
	return out
}

func uniqueStrings(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
