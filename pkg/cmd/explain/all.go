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
	told := map[string]bool{}
	index := newObjectIndex(in.Objects)
	for _, k := range virtualDestinationsIn(in.Objects, o.Namespace) {
		var ch *model.Chain
		if len(o.Filenames) > 0 {
			ch = model.Build(index.fileInput(k))
		} else {
			ch = model.Build(index.input(k, in.Contexts))
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
	err := source.VisitWith(o.Filenames, o.In, o.VisitOptions(), func(obj source.Object) error {
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

// objectIndex builds each VirtualDestination's Input from everything
// read. Handing every object to model.Build (or model.FileInput) for every
// VirtualDestination decodes each ServiceEntry and DestinationRule of every
// other VirtualDestination again, which grows with the square of the
// VirtualDestinations (500 of them took minutes). The index hands over
// the ServiceEntries and DestinationRules that can be in the chain:
// translated from it, or naming one of its hosts exactly (Build and
// FileInput keep no other), every version read of each; and adds back
// what the others count for: the Gloo clusters their labels name (which
// place a context in a cluster) and, from files, the contexts read.
type objectIndex struct {
	all []source.Object
	// other marks the Istio ServiceEntries and DestinationRules, cluster
	// is the Gloo cluster their labels name (with a context).
	other    []bool
	cluster  []string
	versions map[objectKey][]int
	byParent map[vdKey][]int
	byHost   map[string][]int
	// vds are the indexes of the VirtualDestinations.
	vds []int
	// fileContexts are the contexts of the objects, as FileInput tells
	// them.
	fileContexts []model.Context
}

// objectKey names an object in any context: all the versions of an object
// read go together, whatever they say.
type objectKey struct{ kind, ns, name string }

func newObjectIndex(objs []source.Object) *objectIndex {
	x := &objectIndex{
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
			if ob.Kind() == model.KindVirtualDestination {
				x.vds = append(x.vds, i)
			}
		case model.GroupIstioNetworking:
			c.IstioAPI = true
		}
		if ob.Group() != model.GroupIstioNetworking || (ob.Kind() != model.KindServiceEntry && ob.Kind() != model.KindDestinationRule) {
			continue
		}
		x.other[i] = true
		if ob.Context != "" {
			x.cluster[i] = source.GlooCluster(ob)
		}
		k := objectKey{ob.Kind(), ob.Namespace(), ob.Name()}
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
		x.fileContexts = append(x.fileContexts, *contexts[n])
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

// objects are those that can be in the chain of k, and the Gloo clusters
// the others name, per context.
func (x *objectIndex) objects(k vdKey) ([]source.Object, map[string]map[string]int) {
	// The chain's hosts: those of the VirtualDestination and of the
	// ServiceEntries translated from it (every version read).
	hosts := map[string]bool{}
	for _, i := range x.vds {
		if ob := x.all[i]; ob.Namespace() == k.namespace && ob.Name() == k.name {
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
		for _, j := range x.versions[objectKey{ob.Kind(), ob.Namespace(), ob.Name()}] {
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
		if c := x.cluster[i]; c != "" {
			if hints[ob.Context] == nil {
				hints[ob.Context] = map[string]int{}
			}
			hints[ob.Context][c]++
		}
	}
	return objs, hints
}

// input is the Input of k with every object read from contexts.
func (x *objectIndex) input(k vdKey, contexts []model.Context) model.Input {
	objs, hints := x.objects(k)
	return model.Input{Name: k.name, Namespace: k.namespace, Objects: objs, Contexts: contexts, ClusterHints: hints}
}

// fileInput is model.FileInput of every object read from files for k.
func (x *objectIndex) fileInput(k vdKey) model.Input {
	objs, hints := x.objects(k)
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
	in.Contexts = append([]model.Context(nil), x.fileContexts...)
	return in
}
