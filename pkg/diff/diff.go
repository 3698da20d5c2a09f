// Package diff compares the translations of a Gloo parent on two sides
// (two clusters, a cluster and a snapshot, two snapshots). It normalizes the
// objects, folds each side's Gloo cluster name, pairs the objects and
// compares them field by field, with lists of named things matched by key.
// It reads no cluster: sides are lists of source.Object.
package diff

import (
	"encoding/json"
	"sort"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Status is the outcome of the comparison of one object.
type Status string

const (
	Same    Status = "same"
	Changed Status = "changed"
	OnlyInA Status = "only-in-a"
	OnlyInB Status = "only-in-b"
)

// ChangeType says how a field differs.
type ChangeType string

const (
	// Modified: the field is on both sides with different values.
	Modified ChangeType = "changed"
	// Added: the field is only on side B.
	Added ChangeType = "added"
	// Removed: the field is only on side A.
	Removed ChangeType = "removed"
	// Reordered: the routes of a VirtualService are the same but in another
	// order; Old and New list their names.
	Reordered ChangeType = "reordered"
)

// Side is one of the two things compared.
type Side struct {
	// Label names the side in the output (a context, a file).
	Label string
	// Context is the kube context the objects come from, when known.
	Context string
	// Cluster is the Gloo cluster name of the side; when empty it is read
	// from the objects' labels (InferCluster).
	Cluster string
	Objects []source.Object
}

// Options change how objects are compared.
type Options struct {
	// Raw turns cluster name folding off.
	Raw bool
}

// SideInfo describes a side in a Result.
type SideInfo struct {
	Label   string `json:"label"`
	Context string `json:"context,omitempty"`
	// Cluster is the Gloo cluster name used for folding ("" when unknown).
	Cluster string `json:"cluster,omitempty"`
}

// Result is the comparison of two sides.
type Result struct {
	A       SideInfo     `json:"a"`
	B       SideInfo     `json:"b"`
	Raw     bool         `json:"raw,omitempty"`
	Summary Summary      `json:"summary"`
	Objects []ObjectDiff `json:"objects"`
}

// Summary counts the objects by status.
type Summary struct {
	Changed int `json:"changed"`
	OnlyInA int `json:"onlyInA"`
	OnlyInB int `json:"onlyInB"`
	Same    int `json:"same"`
}

// Differs reports whether anything differs between the two sides.
func (r *Result) Differs() bool {
	return r.Summary.Changed+r.Summary.OnlyInA+r.Summary.OnlyInB > 0
}

// ObjectDiff is the comparison of one object (or pair of objects).
type ObjectDiff struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	// Name is the name both sides share, with ClusterPlaceholder when the
	// two names differ only by their clusters.
	Name string `json:"name"`
	// NameA and NameB are the real names on each side ("" when absent).
	NameA   string   `json:"nameA,omitempty"`
	NameB   string   `json:"nameB,omitempty"`
	Status  Status   `json:"status"`
	Changes []Change `json:"changes,omitempty"`

	// canonical trees of each side, nil when absent
	a, b map[string]any
}

// Change is one field that differs.
type Change struct {
	Path Path
	Type ChangeType
	// Old is the value on side A (unset when Added), New on side B (unset
	// when Removed).
	Old, New any
}

// MarshalJSON writes {"path", "type", "old", "new"}, old and new present
// only when the field is on that side.
func (c Change) MarshalJSON() ([]byte, error) {
	out := struct {
		Path string          `json:"path"`
		Type ChangeType      `json:"type"`
		Old  json.RawMessage `json:"old,omitempty"`
		New  json.RawMessage `json:"new,omitempty"`
	}{Path: c.Path.String(), Type: c.Type}
	var err error
	if c.Type != Added {
		if out.Old, err = json.Marshal(c.Old); err != nil {
			return nil, err
		}
	}
	if c.Type != Removed {
		if out.New, err = json.Marshal(c.New); err != nil {
			return nil, err
		}
	}
	return json.Marshal(out)
}

type objKey struct{ group, kind, namespace, name string }

func keyOf(o source.Object, name string) objKey {
	return objKey{o.Group(), o.Kind(), o.Namespace(), name}
}

// Compare compares side a with side b. An object nested deeper than
// MaxDepth is an error.
func Compare(a, b Side, opts Options) (*Result, error) {
	for _, s := range []Side{a, b} {
		for _, o := range s.Objects {
			if err := CheckDepth(o); err != nil {
				return nil, err
			}
		}
	}
	r := &Result{
		A:   SideInfo{Label: a.Label, Context: a.Context, Cluster: a.Cluster},
		B:   SideInfo{Label: b.Label, Context: b.Context, Cluster: b.Cluster},
		Raw: opts.Raw,
	}
	if r.A.Cluster == "" {
		r.A.Cluster = InferCluster(a.Objects)
	}
	if r.B.Cluster == "" {
		r.B.Cluster = InferCluster(b.Objects)
	}
	ca, cb := r.A.Cluster, r.B.Cluster
	if opts.Raw {
		ca, cb = "", ""
	}
	as, bs := dedupe(a.Objects), dedupe(b.Objects)

	// Pair by real name first, then what is left by folded name, so that
	// folding never separates objects whose names already agree.
	pairOf := make([]int, len(as))
	usedB := make([]bool, len(bs))
	byName := map[objKey]int{}
	for j, o := range bs {
		byName[keyOf(o, o.Name())] = j
	}
	for i, o := range as {
		pairOf[i] = -1
		if j, ok := byName[keyOf(o, o.Name())]; ok && !usedB[j] {
			pairOf[i], usedB[j] = j, true
		}
	}
	byFolded := map[objKey]int{}
	for j := len(bs) - 1; j >= 0; j-- {
		if !usedB[j] {
			byFolded[keyOf(bs[j], fold(bs[j].Name(), cb))] = j
		}
	}
	for i, o := range as {
		if pairOf[i] >= 0 {
			continue
		}
		if j, ok := byFolded[keyOf(o, fold(o.Name(), ca))]; ok && !usedB[j] {
			pairOf[i], usedB[j] = j, true
		}
	}

	for i, o := range as {
		if pairOf[i] < 0 {
			r.Objects = append(r.Objects, ObjectDiff{
				Group: o.Group(), Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name(), NameA: o.Name(),
				Status: OnlyInA, a: canonOne(nil, Normalize(o.Obj.Object)).(map[string]any),
			})
			continue
		}
		p := bs[pairOf[i]]
		w := &walker{ca: ca, cb: cb}
		ta, tb := w.walk(nil, Normalize(o.Obj.Object), Normalize(p.Obj.Object))
		d := ObjectDiff{
			Group: o.Group(), Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name(),
			NameA: o.Name(), NameB: p.Name(), Status: Same, Changes: w.changes,
		}
		d.a, _ = ta.(map[string]any)
		d.b, _ = tb.(map[string]any)
		if o.Name() != p.Name() {
			d.Name = fold(o.Name(), ca)
		}
		if len(w.changes) > 0 {
			d.Status = Changed
		}
		r.Objects = append(r.Objects, d)
	}
	for j, o := range bs {
		if !usedB[j] {
			r.Objects = append(r.Objects, ObjectDiff{
				Group: o.Group(), Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name(), NameB: o.Name(),
				Status: OnlyInB, b: canonOne(nil, Normalize(o.Obj.Object)).(map[string]any),
			})
		}
	}
	sort.SliceStable(r.Objects, func(i, j int) bool {
		x, y := r.Objects[i], r.Objects[j]
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		if x.Group != y.Group {
			return x.Group < y.Group
		}
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Status < y.Status
	})
	for _, o := range r.Objects {
		switch o.Status {
		case Same:
			r.Summary.Same++
		case Changed:
			r.Summary.Changed++
		case OnlyInA:
			r.Summary.OnlyInA++
		case OnlyInB:
			r.Summary.OnlyInB++
		}
	}
	return r, nil
}

// dedupe keeps the first of several objects with the same group, kind,
// namespace and name (a file given twice, a directory and a file in it).
func dedupe(objs []source.Object) []source.Object {
	seen := map[objKey]bool{}
	out := make([]source.Object, 0, len(objs))
	for _, o := range objs {
		if o.Obj == nil {
			continue
		}
		k := keyOf(o, o.Name())
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, o)
	}
	return out
}
