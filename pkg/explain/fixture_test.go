package explain

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const examples = "../../examples"

// fixture is a set of objects per context, starting from the bookinfo
// example, that a test changes before building the chain.
type fixture struct {
	t    *testing.T
	objs []source.Object
}

// bookinfo reads examples/bookinfo, each folder as the context of its name.
func bookinfo(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t}
	for _, c := range []string{"cluster1", "cluster2"} {
		f.dir(c, filepath.Join(examples, "bookinfo", c))
	}
	return f
}

// dir adds the objects of a folder, in context ctx.
func (f *fixture) dir(ctx, path string) *fixture {
	f.t.Helper()
	objs, err := source.ReadFiles([]string{path}, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range objs {
		objs[i].Context = ctx
	}
	f.objs = append(f.objs, objs...)
	return f
}

// variant adds a variant's folders over the example.
func (f *fixture) variant(name string) *fixture {
	f.t.Helper()
	for _, c := range []string{"cluster1", "cluster2"} {
		p := filepath.Join(examples, "variants", name, c)
		if matches, _ := filepath.Glob(filepath.Join(p, "*.yaml")); len(matches) > 0 {
			f.dir(c, p)
		}
	}
	return f
}

// with adds (or, same identity, replaces) objects given as YAML.
func (f *fixture) with(ctx, yaml string) *fixture {
	f.t.Helper()
	objs, err := source.Decode("test YAML", []byte(yaml))
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range objs {
		objs[i].Context = ctx
	}
	f.objs = append(f.objs, objs...)
	return f
}

// without drops the objects of a context whose kind and name match
// (name "" for every object of the kind, kind "" for every object).
func (f *fixture) without(ctx, kind, name string) *fixture {
	var kept []source.Object
	for _, o := range f.objs {
		if o.Context == ctx && (kind == "" || o.Kind() == kind) && (name == "" || o.Name() == name) {
			continue
		}
		kept = append(kept, o)
	}
	f.objs = kept
	return f
}

// edit changes, in the objects of a context with that kind and name, the
// YAML text: old must be found.
func (f *fixture) edit(ctx, kind, name string, fn func(o source.Object)) *fixture {
	f.t.Helper()
	found := false
	for _, o := range f.objs {
		if o.Context == ctx && o.Kind() == kind && o.Name() == name {
			fn(o)
			found = true
		}
	}
	if !found {
		f.t.Fatalf("no %s %s in %s", kind, name, ctx)
	}
	return f
}

func (f *fixture) chain(name, ns string) *model.Chain {
	return model.Build(model.FileInput(name, ns, f.objs))
}

func (f *fixture) productpage() *model.Chain { return f.chain("productpage", "bookinfo-frontends") }

// keys names findings as "CODE cluster Kind/name,Kind/name" for
// comparisons.
func keys(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		var objs []string
		for _, o := range f.Objects {
			objs = append(objs, o.Context+":"+o.Kind+"/"+o.Name)
		}
		out = append(out, f.Code+" "+f.Cluster+" "+strings.Join(objs, ","))
	}
	sort.Strings(out)
	return out
}

// only returns the findings of one check.
func only(code string, fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// runCheck runs one check as Run would.
func runCheck(t *testing.T, code string, ch *model.Chain) []Finding {
	t.Helper()
	c, ok := Lookup(code)
	if !ok {
		t.Fatalf("no check %s", code)
	}
	fs := c.run(ch)
	for i := range fs {
		fs[i] = c.stamp(fs[i])
	}
	Sort(fs)
	return fs
}

func expectKeys(t *testing.T, got []Finding, want ...string) {
	t.Helper()
	g := keys(got)
	sort.Strings(want)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n  got  %q\n  want %q", g, want)
		for _, f := range got {
			t.Logf("%s: %s", f.Code, f.Message)
		}
	}
}

// set changes a field of an object's content.
func set(path []string, value any) func(o source.Object) {
	return func(o source.Object) {
		m := o.Obj.Object
		for _, p := range path[:len(path)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		if value == nil {
			delete(m, path[len(path)-1])
			return
		}
		m[path[len(path)-1]] = value
	}
}

// portLevel edits the first port-level setting of a DestinationRule.
func portLevel(fn func(pl map[string]any)) func(o source.Object) {
	return func(o source.Object) {
		tp := o.Obj.Object["spec"].(map[string]any)["trafficPolicy"].(map[string]any)
		pls := tp["portLevelSettings"].([]any)
		fn(pls[0].(map[string]any))
	}
}
