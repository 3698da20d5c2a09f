// Package find implements `kubectl vd find`: every object Gloo translated
// from a parent, in every selected context.
package find

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	cliprinters "k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/bundlecmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const example = `  # Everything translated from the parents named productpage in bookinfo-frontends
  kubectl vd find productpage -n bookinfo-frontends

  # The same in two clusters, only VirtualDestination parents, with more columns
  kubectl vd find productpage -n bookinfo-frontends --context cluster1,cluster2 --kind vd -o wide

  # Save a snapshot of every context, and read it back later without a cluster
  kubectl vd find productpage -n bookinfo-frontends --all-contexts -o yaml > snapshot.yaml
  kubectl vd find productpage -n bookinfo-frontends -f snapshot.yaml

  # Draw parent -> context -> kind -> object
  kubectl vd find productpage -n bookinfo-frontends --all-contexts -o tree

  # Every parent that has translations, with a count per context
  kubectl vd find -A --all-contexts`

// Options holds what find needs to run.
type Options struct {
	Flags *kube.Flags

	Name             string
	Namespace        string
	AllNamespaces    bool
	Kinds            []string
	Resources        []string
	AllResources     bool
	SearchNamespaces []string
	cmdutil.FilenameOptions
	Output string
	// PrintFlags print -o yaml, json, name, jsonpath, go-template... as
	// kubectl get does; Output is its --output. custom-columns is not
	// offered: its printer is kubectl's own (k8s.io/kubectl), not
	// cli-runtime's, and that module would bring kubectl's dependencies
	// into the plugin.
	PrintFlags *genericclioptions.PrintFlags
	NoHeaders  bool
	Watch      bool
	Bundle     bundlecmd.Flag

	// Completed state.
	bundle   *bundlecmd.Source
	query    source.Query
	contexts []string                    // live contexts
	picks    []string                    // contexts picked in files with --context
	printer  cliprinters.ResourcePrinter // a kubectl output, else nil
	// elsewhere are the namespaces where files hold translations of a
	// parent of that name, for the hint when none is in the namespace.
	elsewhere []string
	// Now is the clock for ages of objects read from files (tests set it).
	Now func() time.Time

	genericiooptions.IOStreams
}

// NewOptions returns Options with defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	o := &Options{Flags: kube.NewFlags(), IOStreams: streams, Now: time.Now, PrintFlags: genericclioptions.NewPrintFlags("")}
	o.PrintFlags.OutputFormat = &o.Output
	// As kubectl get: --template makes a go-template of no -o, and never
	// replaces an -o given (-o json --template X prints JSON).
	o.PrintFlags.OutputFlagSpecified = func() bool { return o.Output != "" }
	return o
}

// ownFormats are the outputs find prints itself; every other -o is
// kubectl's, through PrintFlags.
var ownFormats = map[string]bool{"": true, "wide": true, "tree": true, "markdown": true}

// NewCmdFind returns the find command.
func NewCmdFind(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(streams)
	cmd := &cobra.Command{
		Use:   "find [NAME] [-n NAMESPACE]",
		Short: "List the objects Gloo translated from a parent, in every context",
		Long: `Find every object Gloo Mesh translated from the parent(s) named NAME in NAMESPACE
(a VirtualDestination, RouteTable, VirtualGateway, ExternalService, policy...), in every
selected context. Objects are matched by their gloo.solo.io/parent_name and parent_namespace
labels across all namespaces, so the VirtualService a RouteTable puts in istio-gateways is found
too. Every served resource of every *.istio.io API group is scanned.

Without NAME, find lists the parents that have translations (in NAMESPACE, or in every
namespace with -A) and counts their objects per context.

With -f, objects are read from files, directories or stdin, as a stream: each object is in
the context its kubectl-vd/context annotation names (find -o yaml writes it for several
contexts), else in the Gloo cluster its labels name; --context picks contexts of the files,
--resources and --kind apply as live, and an object found in two files is shown once, from
the last.`,
		Example: example,
		Args:    cmdutil.UsageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return cmdutil.Usage(err)
			}
			return o.Run(cmd.Context())
		},
	}
	o.Flags.AddFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "Without NAME: list the parents of every namespace")
	cmd.Flags().StringSliceVar(&o.Kinds, "kind", nil, "Parent kinds to match (VirtualDestination or vd, RouteTable or rt, VirtualGateway or vg, ExternalService, ...)")
	cmd.Flags().StringSliceVar(&o.Resources, "resources", nil, "Only scan these Istio resources (serviceentries, dr, virtualservice.networking.istio.io, ...)")
	cmd.Flags().BoolVar(&o.AllResources, "all-resources", false, "Scan every listable resource of every API group, core kinds such as Secrets included")
	cmd.Flags().StringSliceVar(&o.SearchNamespaces, "search-namespaces", nil, "When a cluster-wide list is forbidden, also read these namespaces (the parent's namespace is always read)")
	o.FilenameOptions.AddFlags(cmd, "Read objects from files, directories or - (stdin) instead of clusters", true)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: wide, tree, markdown (tables to paste into an issue), or kubectl's: "+strings.Join(o.PrintFlags.AllowedFormats(), ", ")+" (jsonpath=TEMPLATE, go-template=TEMPLATE...)")
	// --template and --allow-missing-template-keys, as kubectl get has them.
	o.PrintFlags.TemplatePrinterFlags.AddFlags(cmd)
	cmd.Flags().BoolVar(&o.NoHeaders, "no-headers", false, "Do not print table headers")
	cmd.Flags().BoolVarP(&o.Watch, "watch", "w", false, "After the listing, stream changes to translated objects until interrupted")
	o.Bundle.AddTo(cmd)

	cmd.ValidArgsFunction = complete.ParentNames(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	_ = cmd.RegisterFlagCompletionFunc("kind", complete.Kinds)
	_ = cmd.RegisterFlagCompletionFunc("resources", complete.IstioResources(o.Flags))
	_ = cmd.RegisterFlagCompletionFunc("search-namespaces", complete.Namespaces(o.Flags))
	// Every format the help names: find's own, then kubectl's as kubectl
	// get completes them.
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(
		append([]cobra.Completion{"wide", "tree", "markdown"}, o.PrintFlags.AllowedFormats()...), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete fills in the query, the contexts and the namespace.
func (o *Options) Complete(cmd *cobra.Command, args []string) error {
	if len(args) == 1 {
		o.Name = args[0]
	}
	kinds, err := source.ParseKinds(o.Kinds)
	if err != nil {
		return err
	}
	if t := o.PrintFlags.TemplatePrinterFlags.TemplateArgument; o.Output == "" && t != nil && *t != "" {
		// kubectl get prints --template without -o as a go-template.
		o.Output = "go-template"
	}
	// The output is checked before the contexts are resolved: an unknown
	// -o is refused whatever the kubeconfig or the clusters are.
	if err := o.validateOutput(); err != nil {
		return cmdutil.Usage(err)
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
		o.contexts, o.Now = o.bundle.Contexts, o.bundle.Now
	} else if len(o.Filenames) == 0 {
		if o.contexts, err = o.Flags.SelectedContexts(); err != nil {
			return err
		}
	} else {
		if o.Flags.AllContexts {
			return cmdutil.UsageErrorf("--all-contexts reads live clusters: with -f, pick contexts of the files with --context")
		}
		if err := o.FilenameOptions.Validate(); err != nil {
			return err
		}
		o.picks = o.Flags.ContextNames()
	}
	if o.Flags.Namespace != nil && *o.Flags.Namespace != "" {
		o.Namespace = *o.Flags.Namespace
	} else if o.bundle != nil {
		o.Namespace = o.bundle.Namespace
	} else if !o.AllNamespaces {
		if len(o.Filenames) > 0 {
			o.Namespace = "default"
		} else if o.Namespace, err = o.Flags.DefaultNamespace(o.contexts); err != nil {
			return err
		}
	}
	ns := o.Namespace
	if o.AllNamespaces && o.Name == "" {
		ns = ""
	}
	o.query = source.Query{
		Name:             o.Name,
		Namespace:        ns,
		ParentKinds:      kinds,
		Resources:        o.Resources,
		AllResources:     o.AllResources,
		SearchNamespaces: o.SearchNamespaces,
	}
	return nil
}

// Validate checks the input before any request is made.
func (o *Options) Validate() error {
	if o.Name != "" {
		if err := cmdutil.ValidateLabelValue("parent name", o.Name); err != nil {
			return err
		}
	}
	if o.AllNamespaces && o.Name != "" {
		return errors.New("-A/--all-namespaces lists every parent: use it without NAME")
	}
	if o.query.Namespace != "" {
		if err := cmdutil.ValidateNamespace(o.query.Namespace); err != nil {
			return err
		}
	}
	for _, ns := range o.SearchNamespaces {
		if err := cmdutil.ValidateNamespace(ns); err != nil {
			return err
		}
	}
	if o.Watch && len(o.Filenames) > 0 {
		return errors.New("--watch reads live clusters: it cannot be used with -f")
	}
	if o.Watch && o.bundle != nil {
		return errors.New("--watch reads live clusters: it cannot be used with --bundle")
	}
	if o.Watch && o.Name == "" {
		return errors.New("--watch needs a parent NAME")
	}
	return nil
}

// validateOutput refuses an unknown -o and builds kubectl's printer; it
// reads the flags only.
func (o *Options) validateOutput() error {
	format, template, _ := strings.Cut(o.Output, "=")
	if !ownFormats[o.Output] {
		if format == "jsonpath" || format == "jsonpath-as-json" {
			// The template's own error, worded as find always did.
			if err := printers.ValidateJSONPath(template); err != nil {
				return err
			}
		}
		p, err := o.PrintFlags.ToPrinter()
		if genericclioptions.IsNoCompatiblePrinterError(err) {
			return fmt.Errorf("unknown output format %q: use wide, tree, markdown or one of kubectl's: %s", o.Output, strings.Join(o.PrintFlags.AllowedFormats(), ", "))
		}
		if err != nil {
			return err
		}
		o.printer = p
	}
	// Without NAME the output is the overview, a table: any other -o is
	// refused rather than answered with it.
	if o.Name == "" && o.Output != "" && o.Output != "wide" {
		return fmt.Errorf("-o %s needs a parent NAME", format)
	}
	return nil
}

// Run looks the translations up and prints them.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	results, err := o.lookup(ctx)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		// Interrupted while listing: every context would say so.
		return ctx.Err()
	}
	if o.Name == "" {
		if err := o.printOverview(results); err != nil {
			return err
		}
		return o.exitStatus(results, false)
	}
	if err := o.print(results); err != nil {
		return err
	}
	status := o.exitStatus(results, true)
	if o.Watch {
		if werr := o.watch(ctx, results); werr != nil {
			return werr
		}
	}
	return status
}

func (o *Options) lookup(ctx context.Context) ([]source.ContextResult, error) {
	if len(o.Filenames) > 0 {
		return o.readFiles()
	}
	if o.bundle != nil {
		results := o.bundle.Translations(o.contexts, o.query)
		if err := source.UnknownResources(results, o.Resources); err != nil {
			return nil, err
		}
		return results, nil
	}
	tables := o.Output == "" || o.Output == "wide" || o.Output == "tree" || o.Output == "markdown" || o.Name == ""
	results := source.TranslationsOf(ctx, o.Flags, o.contexts, o.query, source.Options{Tables: tables})
	if err := source.UnknownResources(results, o.Resources); err != nil {
		return nil, err
	}
	return results, nil
}

// readFiles reads the files as a stream and keeps only the objects the
// output shows: translations of the parent, of the picked contexts and
// resources, each once (a later file overrides an earlier one).
func (o *Options) readFiles() ([]source.ContextResult, error) {
	picks := source.NewPicks(o.picks)
	resources := source.NewResourceFilter(o.Resources)
	matches := o.query.Matcher()
	anyNamespace := o.query
	anyNamespace.Namespace = ""
	elsewhere := anyNamespace.Matcher()
	namespaces := map[string]bool{}
	var kept source.Latest
	// Decoding is most of the time spent reading a snapshot: when nothing
	// needs every object (no --context or --resources to check against
	// what the files hold), skip the List items whose text cannot hold the
	// labels asked for (label values are never escaped in YAML or JSON).
	opts := o.FilenameOptions.VisitOptions()
	if len(o.picks) == 0 && len(o.Resources) == 0 {
		key, name := []byte(source.LabelParentName), []byte(o.Name)
		opts.MayHold = func(text []byte) bool {
			return bytes.Contains(text, key) && bytes.Contains(text, name)
		}
	}
	err := source.VisitWith(o.Filenames, o.In, opts, func(obj source.Object) error {
		picked := picks.Keep(obj)
		if !resources.Keep(obj) || !picked {
			return nil
		}
		if matches(obj) {
			kept.Add(obj)
		} else if o.Name != "" && elsewhere(obj) {
			p, _ := source.Parent(obj)
			namespaces[p.Namespace] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := picks.Err(); err != nil {
		return nil, err
	}
	if err := resources.Err(); err != nil {
		return nil, err
	}
	for ns := range namespaces {
		o.elsewhere = append(o.elsewhere, ns)
	}
	sort.Strings(o.elsewhere)
	objs := kept.Objects()
	source.Sort(objs)
	return groupByContext(objs), nil
}

func groupByContext(objs []source.Object) []source.ContextResult {
	var out []source.ContextResult
	for _, obj := range objs {
		if len(out) == 0 || out[len(out)-1].Context != obj.Context {
			out = append(out, source.ContextResult{Context: obj.Context})
		}
		out[len(out)-1].Objects = append(out[len(out)-1].Objects, obj)
	}
	return out
}

func allObjects(results []source.ContextResult) []source.Object {
	var objs []source.Object
	for _, r := range results {
		objs = append(objs, r.Objects...)
	}
	source.Sort(objs)
	return objs
}

func (o *Options) print(results []source.ContextResult) error {
	objs := allObjects(results)
	severalContexts := len(results) > 1 || len(source.Contexts(objs)) > 1
	w := o.Out
	if o.printer != nil {
		return printers.Print(w, o.printer, objs, severalContexts)
	}
	switch o.Output {
	case "tree":
		return printers.Tree(w, objs, o.Now())
	}
	if len(objs) == 0 {
		return nil
	}
	opts := printers.TableOptions{Wide: o.Output == "wide", NoHeaders: o.NoHeaders, Markdown: o.Output == "markdown"}
	if len(o.Filenames) > 0 || o.bundle != nil {
		// Ages as of the bundle's capture time, as they read live.
		return printers.ObjectTables(w, objs, opts, metav1.NewTime(o.Now()))
	}
	return printers.Tables(w, results, opts)
}

// exitStatus reports failed contexts and gaps on stderr, and a line for each
// context where nothing was found.
func (o *Options) exitStatus(results []source.ContextResult, sayNothing bool) error {
	failed := false
	for _, r := range results {
		label := r.Context
		if label == "" {
			label = "the current context"
		}
		if r.Err != nil {
			fmt.Fprintf(o.ErrOut, "error: context %s: %s\n", label, source.Describe(r.Err))
			failed = true
			continue
		}
		for _, g := range r.Gaps {
			fmt.Fprintf(o.ErrOut, "warning: context %s: %s\n", label, g)
			failed = true
		}
		if sayNothing && len(r.Objects) == 0 {
			fmt.Fprintf(o.ErrOut, "no objects translated from %s in %s\n", o.describeParent(), label)
		}
	}
	if len(o.Filenames) > 0 && len(results) == 0 && sayNothing {
		hint := ""
		if len(o.elsewhere) > 0 {
			hint = fmt.Sprintf("; found in namespace %s: use -n", strings.Join(o.elsewhere, ", "))
		}
		fmt.Fprintf(o.ErrOut, "no objects translated from %s in %s%s\n", o.describeParent(), strings.Join(o.Filenames, ", "), hint)
	}
	if failed {
		return cmdutil.Exit(1, nil)
	}
	return nil
}

func (o *Options) describeParent() string {
	kind := "parent"
	if len(o.query.ParentKinds) > 0 {
		kind = strings.Join(o.query.ParentKinds, " or ")
	}
	return fmt.Sprintf("%s %s/%s", kind, o.Namespace, o.Name)
}

var _ io.Writer = (*strings.Builder)(nil)

func (o *Options) errorf(format string, args ...any) {
	fmt.Fprintf(o.ErrOut, format, args...)
}
