package explain

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/explain/render"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// vdKey names one VirtualDestination.
type vdKey struct{ namespace, name string }

// runAll explains every VirtualDestination of the namespace (of every
// namespace with -A): everything is read once, then each chain is built
// from it.
func (o *Options) runAll(ctx context.Context) error {
	var in model.Input
	var problems, warnings []string
	if len(o.Filenames) > 0 {
		var err error
		if in, err = o.allFromFiles(); err != nil {
			return err
		}
	} else {
		in, problems, warnings = o.fromContexts(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
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

	var reports []*render.Report
	var files *fileIndex
	told := map[string]bool{}
	if len(o.Filenames) > 0 {
		files = newFileIndex(in.Objects)
	}
	for _, k := range virtualDestinationsIn(in.Objects, o.Namespace) {
		var ch *model.Chain
		if files != nil {
			ch = model.Build(files.input(k))
		} else {
			ch = model.Build(model.Input{Name: k.name, Namespace: k.namespace, Objects: in.Objects, Contexts: in.Contexts})
		}
		if !ch.ParentFound() && !anyTranslation(ch) {
			continue
		}
		kept, suppressed := explain.Suppress(ch, explain.Run(ch), o.suppressions)
		// An object can be in several chains: told once.
		for _, w := range explain.AnnotationProblems(ch) {
			if !told[w] {
				told[w] = true
				fmt.Fprintf(o.ErrOut, "warning: %s\n", w)
			}
		}
		r := render.NewReport(ch, kept)
		r.SetSuppressed(suppressed)
		reports = append(reports, r)
	}
	if len(reports) == 0 {
		return cmdutil.Exit(exitTrouble, errors.New(o.noneFound(in)))
	}
	ov := render.NewOverview(reports)
	var err error
	switch o.Output {
	case "json":
		err = render.OverviewJSON(o.Out, ov)
	case "markdown":
		err = render.OverviewMarkdown(o.Out, ov)
	case "sarif":
		err = render.SARIF(o.Out, ov.Reports)
	default:
		err = render.OverviewText(o.Out, ov, render.TextOptions{Color: o.useColor()})
	}
	if err != nil {
		return err
	}
	switch {
	case len(problems) > 0 || len(warnings) > 0:
		return cmdutil.Exit(exitTrouble, nil)
	case explain.AtLeast(ov.Findings(), o.failOn):
		return cmdutil.Exit(exitFindings, nil)
	}
	return nil
}

func (o *Options) noneFound(in model.Input) string {
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
	scope := "in namespace " + o.Namespace
	if o.AllNamespaces {
		scope = "in any namespace"
	}
	return fmt.Sprintf("no VirtualDestination and no object translated from one %s in %s", scope, where)
}

// allFromFiles reads every object of -f (of the contexts picked with
// --context), placed in its context.
func (o *Options) allFromFiles() (model.Input, error) {
	picks := source.NewPicks(o.picks)
	var in model.Input
	contexts := map[string]bool{}
	err := source.Visit(o.Filenames, o.In, func(obj source.Object) error {
		if picks.Keep(obj) {
			obj.Context = source.FileContext(obj)
			contexts[obj.Context] = true
			in.Objects = append(in.Objects, obj)
		}
		return nil
	})
	if err != nil {
		return model.Input{}, err
	}
	if err := picks.Err(); err != nil {
		return model.Input{}, err
	}
	for c := range contexts {
		in.Contexts = append(in.Contexts, model.Context{Name: c})
	}
	if len(in.Contexts) == 0 {
		// Files that hold no object of the contexts picked: still read.
		in.Contexts = append(in.Contexts, model.Context{})
	}
	return in, nil
}

// virtualDestinationsIn lists the VirtualDestinations of namespace ("" for
// all) that the objects hold or that translations name as their parent.
func virtualDestinationsIn(objs []source.Object, namespace string) []vdKey {
	set := map[vdKey]bool{}
	for _, ob := range objs {
		if ob.Obj == nil {
			continue
		}
		if ob.Group() == model.GroupGlooNetworking && ob.Kind() == model.KindVirtualDestination {
			if namespace == "" || ob.Namespace() == namespace {
				set[vdKey{ob.Namespace(), ob.Name()}] = true
			}
			continue
		}
		if p, ok := source.Parent(ob); ok && (p.Kind == "" || p.Kind == model.KindVirtualDestination) {
			if namespace == "" || p.Namespace == namespace {
				set[vdKey{p.Namespace, p.Name}] = true
			}
		}
	}
	out := make([]vdKey, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].namespace != out[j].namespace {
			return out[i].namespace < out[j].namespace
		}
		return out[i].name < out[j].name
	})
	return out
}

// fileIndex builds each VirtualDestination's Input from the objects of the
// files: model.FileInput of every object for every VirtualDestination
// would encode each ServiceEntry and DestinationRule of every other
// VirtualDestination again, which grows with the square of the
// VirtualDestinations (500 of them took minutes). The index hands
// FileInput the ServiceEntries and DestinationRules that can be in the
// chain (translated from it, or naming one of its hosts: FileInput keeps
// no other) and adds back what the others count for: the contexts read
// and the Gloo clusters they name.
type fileIndex struct {
	all []source.Object
	// otherIdx marks the Istio ServiceEntries and DestinationRules; their
	// Gloo cluster (after FileContext) and the indexes of every version of
	// one object, by parent and by host.
	other    []bool
	cluster  []string
	versions map[objectKey][]int
	byParent map[vdKey][]int
	byHost   map[string][]int
	contexts []model.Context
}

type objectKey struct{ ctx, kind, ns, name string }

func newFileIndex(objs []source.Object) *fileIndex {
	x := &fileIndex{
		all: objs, other: make([]bool, len(objs)), cluster: make([]string, len(objs)),
		versions: map[objectKey][]int{}, byParent: map[vdKey][]int{}, byHost: map[string][]int{},
	}
	contexts := map[string]*model.Context{}
	var names []string
	for i, ob := range objs {
		if ob.Obj == nil {
			continue
		}
		ctx := source.FileContext(ob)
		c, ok := contexts[ctx]
		if !ok {
			c = &model.Context{Name: ctx}
			contexts[ctx] = c
			names = append(names, ctx)
		}
		switch ob.Group() {
		case model.GroupGlooNetworking:
			c.GlooAPI = true
		case model.GroupIstioNetworking:
			c.IstioAPI = true
		}
		if ob.Group() != model.GroupIstioNetworking || (ob.Kind() != model.KindServiceEntry && ob.Kind() != model.KindDestinationRule) {
			continue
		}
		x.other[i] = true
		if ctx != "" {
			x.cluster[i] = source.GlooCluster(ob)
		}
		k := objectKey{ctx, ob.Kind(), ob.Namespace(), ob.Name()}
		x.versions[k] = append(x.versions[k], i)
		if p, ok := source.Parent(ob); ok && (p.Kind == "" || p.Kind == model.KindVirtualDestination) {
			pk := vdKey{p.Namespace, p.Name}
			x.byParent[pk] = append(x.byParent[pk], i)
		}
		for _, h := range specHosts(ob) {
			x.byHost[h] = append(x.byHost[h], i)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		x.contexts = append(x.contexts, *contexts[n])
	}
	return x
}

// specHosts are spec.host and spec.hosts, lower case.
func specHosts(ob source.Object) []string {
	var out []string
	spec, _ := ob.Obj.Object["spec"].(map[string]any)
	if h, ok := spec["host"].(string); ok {
		out = append(out, strings.ToLower(h))
	}
	if l, ok := spec["hosts"].([]any); ok {
		for _, v := range l {
			if h, ok := v.(string); ok {
				out = append(out, strings.ToLower(h))
			}
		}
	}
	return out
}

// input is model.FileInput of every object for the VirtualDestination k.
func (x *fileIndex) input(k vdKey) model.Input {
	// The chain's hosts: those of the VirtualDestination and of the
	// ServiceEntries translated from it (every version read: FileInput
	// narrows them down to the last one).
	hosts := map[string]bool{}
	for _, ob := range x.all {
		if ob.Obj != nil && ob.Group() == model.GroupGlooNetworking && ob.Kind() == model.KindVirtualDestination &&
			ob.Namespace() == k.namespace && ob.Name() == k.name {
			for _, h := range specHosts(ob) {
				hosts[h] = true
			}
		}
	}
	for _, i := range x.byParent[k] {
		if x.all[i].Kind() == model.KindServiceEntry {
			for _, h := range specHosts(x.all[i]) {
				hosts[h] = true
			}
		}
	}
	keep := map[int]bool{}
	add := func(i int) {
		ob := x.all[i]
		for _, j := range x.versions[objectKey{source.FileContext(ob), ob.Kind(), ob.Namespace(), ob.Name()}] {
			keep[j] = true
		}
	}
	for _, i := range x.byParent[k] {
		add(i)
	}
	for h := range hosts {
		for _, i := range x.byHost[h] {
			add(i)
		}
	}
	objs := make([]source.Object, 0, len(x.all))
	hints := map[string]map[string]int{}
	for i, ob := range x.all {
		if !x.other[i] || keep[i] {
			objs = append(objs, ob)
			continue
		}
		// Left out: FileInput would only have counted its Gloo cluster.
		if c := x.cluster[i]; c != "" {
			ctx := source.FileContext(ob)
			if hints[ctx] == nil {
				hints[ctx] = map[string]int{}
			}
			hints[ctx][c]++
		}
	}
	in := model.FileInput(k.name, k.namespace, objs)
	if in.ClusterHints == nil {
		in.ClusterHints = map[string]map[string]int{}
	}
	for ctx, m := range hints {
		if in.ClusterHints[ctx] == nil {
			in.ClusterHints[ctx] = map[string]int{}
		}
		for c, n := range m {
			in.ClusterHints[ctx][c] += n
		}
	}
	in.Contexts = append([]model.Context(nil), x.contexts...)
	return in
}
