package explain

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/diff"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// maxListedChanges bounds the fields a VD601 message lists.
const maxListedChanges = 4

// checkCrossClusterDifference: the ServiceEntries and DestinationRules
// Gloo writes for one VirtualDestination should be the same in every
// cluster once cluster names are folded; a difference means a policy has
// not reached every cluster, or was applied to some only. WorkloadEntries
// differ by nature (each cluster points at the others) and are left out.
func checkCrossClusterDifference(ch *model.Chain) []Finding {
	type side struct {
		cluster string
		objs    []source.Object
		refs    map[string]model.Ref // kind/namespace/name -> ref
	}
	var sides []side
	for _, cl := range ch.Clusters {
		if cl.Name == "" {
			continue
		}
		s := side{cluster: cl.Name, refs: map[string]model.Ref{}}
		// An object too deep to compare is left out of the comparison
		// rather than failing it for the others.
		for _, se := range cl.ServiceEntries {
			if diff.CheckDepth(se.Object) != nil {
				continue
			}
			s.objs = append(s.objs, se.Object)
			s.refs[refKey(se.Ref.Kind, se.Ref.Namespace, se.Ref.Name)] = se.Ref
		}
		for _, dr := range cl.DestinationRules {
			if diff.CheckDepth(dr.Object) != nil {
				continue
			}
			s.objs = append(s.objs, dr.Object)
			s.refs[refKey(dr.Ref.Kind, dr.Ref.Namespace, dr.Ref.Name)] = dr.Ref
		}
		if len(s.objs) > 0 {
			sides = append(sides, s)
		}
	}
	if len(sides) < 2 {
		return nil
	}
	var out []Finding
	base := sides[0]
	for _, other := range sides[1:] {
		res, err := diff.Compare(
			diff.Side{Label: base.cluster, Cluster: base.cluster, Objects: base.objs},
			diff.Side{Label: other.cluster, Cluster: other.cluster, Objects: other.objs},
			diff.Options{},
		)
		if err != nil {
			continue
		}
		for _, od := range res.Objects {
			if od.Status != diff.Changed {
				continue
			}
			var lines []string
			for _, c := range od.Changes {
				if !strings.HasPrefix(c.Path.String(), "spec") {
					continue
				}
				lines = append(lines, describeChange(c, base.cluster, other.cluster))
			}
			if len(lines) == 0 {
				continue
			}
			if len(lines) > maxListedChanges {
				n := len(lines) - maxListedChanges
				lines = append(lines[:maxListedChanges], fmt.Sprintf("%d more field(s)", n))
			}
			refA := base.refs[refKey(od.Kind, od.Namespace, od.NameA)]
			refB := other.refs[refKey(od.Kind, od.Namespace, od.NameB)]
			out = append(out, Finding{
				Message: fmt.Sprintf("%s %s/%s is translated differently in %s and %s: %s", od.Kind, od.Namespace,
					strings.ReplaceAll(od.Name, diff.ClusterPlaceholder, "<cluster>"), base.cluster, other.cluster, strings.Join(lines, "; ")),
				Objects: []model.Ref{refA, refB},
				Hint: fmt.Sprintf("Gloo translates a VirtualDestination the same way in every cluster: check that the policies selecting it "+
					"apply everywhere, and that the Gloo agents of %s and %s are connected and up to date "+
					"(kubectl vd diff %s -n %s --kind vd --context %s --context %s).",
					base.cluster, other.cluster, ch.Name, ch.Namespace, orCluster(refA.Context, base.cluster), orCluster(refB.Context, other.cluster)),
			})
		}
	}
	return out
}

func orCluster(ctx, cluster string) string {
	if ctx != "" {
		return ctx
	}
	return cluster
}

func refKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

func describeChange(c diff.Change, a, b string) string {
	p := c.Path.String()
	switch c.Type {
	case diff.Added:
		return fmt.Sprintf("%s is %s in %s only", p, valueOnly(c.New), b)
	case diff.Removed:
		return fmt.Sprintf("%s is %s in %s only", p, valueOnly(c.Old), a)
	case diff.Reordered:
		return fmt.Sprintf("%s are in another order in %s than in %s", p, b, a)
	}
	return fmt.Sprintf("%s is %s in %s, %s in %s", p, compact(c.Old), a, compact(c.New), b)
}

// valueOnly says what a field present on one side only holds: its value
// when short and scalar, else that it is set.
func valueOnly(v any) string {
	switch v.(type) {
	case map[string]any, []any:
		return "set"
	}
	return compact(v)
}

func compact(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(data)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
