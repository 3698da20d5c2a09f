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
	for _, k := range virtualDestinationsIn(in.Objects, o.Namespace) {
		var ch *model.Chain
		if len(o.Filenames) > 0 {
			ch = model.Build(model.FileInput(k.name, k.namespace, in.Objects))
		} else {
			ch = model.Build(model.Input{Name: k.name, Namespace: k.namespace, Objects: in.Objects, Contexts: in.Contexts})
		}
		if !ch.ParentFound() && !anyTranslation(ch) {
			continue
		}
		kept, suppressed := explain.Suppress(ch, explain.Run(ch), o.suppressions)
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
