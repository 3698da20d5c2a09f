package find

import (
	"sort"

	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// printOverview counts the translated objects of every parent per context.
func (o *Options) printOverview(results []source.ContextResult) error {
	type key struct{ kind, ns, name string }
	counts := map[key]map[string]int{}
	var contexts []string
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		contexts = append(contexts, r.Context)
		for _, obj := range r.Objects {
			p, ok := source.Parent(obj)
			if !ok {
				continue
			}
			k := key{p.Kind, p.Namespace, p.Name}
			if counts[k] == nil {
				counts[k] = map[string]int{}
			}
			counts[k][r.Context]++
		}
	}
	rows := make([]printers.ParentCount, 0, len(counts))
	for k, c := range counts {
		rows = append(rows, printers.ParentCount{Kind: k.kind, Namespace: k.ns, Name: k.name, Counts: c})
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	if len(rows) == 0 {
		where := "namespace " + o.Namespace
		if o.query.Namespace == "" {
			where = "any namespace"
		}
		for _, r := range results {
			if r.Err == nil {
				o.errorf("no Gloo parent with translations in %s in %s\n", where, contextName(r.Context))
			}
		}
		return nil
	}
	return printers.Overview(o.Out, rows, contexts, o.NoHeaders)
}

func contextName(c string) string {
	if c == "" {
		return "the current context"
	}
	return c
}
