package source

import (
	"fmt"
	"sort"
	"strings"
)

//go:generate go run ./internal/genresources

// Picks applies --context to objects read from files, and remembers every
// context the files hold for the messages.
type Picks struct {
	want  map[string]bool
	names []string
	seen  map[string]bool
}

// NewPicks picks the contexts named (none: every context).
func NewPicks(names []string) *Picks {
	p := &Picks{want: map[string]bool{}, seen: map[string]bool{}}
	for _, n := range names {
		if !p.want[n] {
			p.want[n] = true
			p.names = append(p.names, n)
		}
	}
	return p
}

// Keep reports whether an object is of a picked context.
func (p *Picks) Keep(o Object) bool {
	p.seen[o.Context] = true
	return len(p.want) == 0 || p.want[o.Context]
}

// Contexts are the contexts the files hold (sorted, without "").
func (p *Picks) Contexts() []string {
	var out []string
	for c := range p.seen {
		if c != "" {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// Err names the first picked context the files do not hold.
func (p *Picks) Err() error {
	for _, n := range p.names {
		if p.seen[n] {
			continue
		}
		if held := p.Contexts(); len(held) > 0 {
			return fmt.Errorf("context %q not found in the files (they hold %s)", n, strings.Join(held, ", "))
		}
		return fmt.Errorf("context %q not found: the files record no context", n)
	}
	return nil
}

// Latest keeps, of the objects read twice (same context, group, kind,
// namespace and name), the one read last, as kubectl apply would leave it,
// so that a later file overrides an earlier one.
type Latest struct {
	index map[objectKey]int
	objs  []Object
}

type objectKey struct{ ctx, group, kind, ns, name string }

// Add keeps o, replacing an earlier read of the same object.
func (l *Latest) Add(o Object) {
	if l.index == nil {
		l.index = map[objectKey]int{}
	}
	k := objectKey{o.Context, o.Group(), o.Kind(), o.Namespace(), o.Name()}
	if i, ok := l.index[k]; ok {
		l.objs[i] = o
		return
	}
	l.index[k] = len(l.objs)
	l.objs = append(l.objs, o)
}

// Has reports whether an object of the same identity was kept.
func (l *Latest) Has(o Object) bool {
	_, ok := l.index[objectKey{o.Context, o.Group(), o.Kind(), o.Namespace(), o.Name()}]
	return ok
}

// Objects are the objects kept, in the order first read.
func (l *Latest) Objects() []Object { return l.objs }

// ResourceOf is the API resource of an object read from a file, which
// comes without discovery: the Istio resource of its kind, else one named
// after its kind.
func ResourceOf(o Object) Resource {
	gvk := o.Obj.GroupVersionKind()
	for _, r := range istioResources {
		if r.Kind == gvk.Kind && r.GVR.Group == gvk.Group {
			return r
		}
	}
	singular := strings.ToLower(gvk.Kind)
	plural := singular + "s"
	switch {
	case o.Resource != "":
		plural = o.Resource
	case strings.HasSuffix(singular, "s"), strings.HasSuffix(singular, "x"), strings.HasSuffix(singular, "ch"):
		plural = singular + "es"
	case strings.HasSuffix(singular, "y") && !strings.HasSuffix(singular, "ay") && !strings.HasSuffix(singular, "ey"):
		plural = strings.TrimSuffix(singular, "y") + "ies"
	}
	return Resource{GVR: gvk.GroupVersion().WithResource(plural), Kind: gvk.Kind, Singular: singular, Namespaced: true}
}

// ResourceFilter applies --resources to objects read from files.
type ResourceFilter struct {
	names   []string
	matched map[string]bool
}

// NewResourceFilter keeps the objects of the resources named (none: all).
func NewResourceFilter(names []string) *ResourceFilter {
	return &ResourceFilter{names: resourceNames(names), matched: map[string]bool{}}
}

// Keep reports whether an object is of a resource named.
func (f *ResourceFilter) Keep(o Object) bool {
	if len(f.names) == 0 {
		return true
	}
	r := ResourceOf(o)
	keep := false
	for _, n := range f.names {
		if resourceMatches(r, n) {
			f.matched[n] = true
			keep = true
		}
	}
	return keep
}

// Err names the --resources values that are neither an Istio resource nor
// the resource of any object read.
func (f *ResourceFilter) Err() error {
	var unknown []string
	for _, n := range f.names {
		if !f.matched[n] && len(FilterResources(istioResources, []string{n})) == 0 {
			unknown = append(unknown, n)
		}
	}
	return unknownResources(unknown, "not an Istio resource, nor the resource of an object in the files")
}

// UnknownResources names the --resources values that no readable context
// serves (a typo, not a resource missing from one cluster).
func UnknownResources(results []ContextResult, names []string) error {
	names = resourceNames(names)
	if len(names) == 0 {
		return nil
	}
	missing := map[string]int{}
	readable := 0
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		readable++
		for _, n := range r.Unserved {
			missing[n]++
		}
	}
	var unknown []string
	for _, n := range names {
		if readable > 0 && missing[n] == readable {
			unknown = append(unknown, n)
		}
	}
	return unknownResources(unknown, "no context read serves it")
}

func unknownResources(names []string, why string) error {
	switch len(names) {
	case 0:
		return nil
	case 1:
		return usageError{fmt.Errorf("unknown resource %q in --resources: %s", names[0], why)}
	}
	return usageError{fmt.Errorf("unknown resources %s in --resources: %s", strings.Join(quoteAll(names), ", "), why)}
}

// unserved are the names that match none of resources.
func unserved(resources []Resource, names []string) []string {
	var out []string
	for _, n := range resourceNames(names) {
		if len(FilterResources(resources, []string{n})) == 0 {
			out = append(out, n)
		}
	}
	return out
}

// resourceNames splits comma-separated values and drops empty ones.
func resourceNames(values []string) []string {
	var out []string
	for _, v := range values {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}
