package printers

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Tree draws parent -> context -> kind -> object. Parents of different kinds
// with the same name are drawn apart, since each has its own translation.
func Tree(w io.Writer, objs []source.Object, now time.Time) error {
	type parentKey struct{ kind, ns, name string }
	byParent := map[parentKey][]source.Object{}
	for _, o := range objs {
		p, _ := source.Parent(o)
		k := parentKey{p.Kind, p.Namespace, p.Name}
		if k.kind == "" {
			k.kind = "(unknown kind)"
		}
		byParent[k] = append(byParent[k], o)
	}
	keys := make([]parentKey, 0, len(byParent))
	for k := range byParent {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.ns != b.ns {
			return a.ns < b.ns
		}
		return a.name < b.name
	})
	for _, k := range keys {
		fmt.Fprintf(w, "%s %s/%s\n", k.kind, k.ns, k.name)
		group := byParent[k]
		source.Sort(group)
		contexts := splitBy(group, func(o source.Object) string { return contextLabel(o.Context) })
		for ci, c := range contexts {
			lastC := ci == len(contexts)-1
			fmt.Fprintf(w, "%s%s\n", branch(lastC), c.key)
			kinds := splitBy(c.objs, func(o source.Object) string { return o.Kind() })
			for ki, kk := range kinds {
				lastK := ki == len(kinds)-1
				fmt.Fprintf(w, "%s%s%s\n", indent(lastC), branch(lastK), kk.key)
				for oi, o := range kk.objs {
					lastO := oi == len(kk.objs)-1
					fmt.Fprintf(w, "%s%s%s%s/%s (%s)\n", indent(lastC), indent(lastK), branch(lastO),
						o.Namespace(), o.Name(), age(o.Obj.GetCreationTimestamp(), metav1.NewTime(now)))
				}
			}
		}
	}
	return nil
}

type objGroup struct {
	key  string
	objs []source.Object
}

// splitBy groups consecutive objects (already sorted) by key.
func splitBy(objs []source.Object, key func(source.Object) string) []objGroup {
	var out []objGroup
	index := map[string]int{}
	for _, o := range objs {
		k := key(o)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, objGroup{key: k})
		}
		out[i].objs = append(out[i].objs, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}

func branch(last bool) string {
	if last {
		return "└── "
	}
	return "├── "
}

func indent(last bool) string {
	if last {
		return "    "
	}
	return "│   "
}

// ParentCount is one row of the overview: a parent and its number of
// translated objects per context.
type ParentCount struct {
	Kind, Namespace, Name string
	Counts                map[string]int
}

// Overview writes one row per parent with a count column per context, so
// that a context lacking a translation shows as 0.
func Overview(w io.Writer, parents []ParentCount, contexts []string, noHeaders bool) error {
	tw := newTabWriter(w)
	if !noHeaders {
		cols := []string{"PARENT KIND", "NAMESPACE", "NAME"}
		for _, c := range contexts {
			cols = append(cols, strings.ToUpper(contextLabel(c)))
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	for _, p := range parents {
		cells := []string{p.Kind, p.Namespace, p.Name}
		for _, c := range contexts {
			cells = append(cells, fmt.Sprint(p.Counts[c]))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
