package diff

import (
	"fmt"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// MaxDepth is how deeply the fields of an object compared may nest (the
// object itself is level 1). The deepest Istio and Gloo objects, EnvoyFilter
// patches included, stay well under 30 levels; the comparison and its YAML
// text cost memory growing with the depth (each line is indented by it), so
// a deeper object is refused rather than compared.
const MaxDepth = 64

// CheckDepth returns an error naming the object when its fields nest deeper
// than MaxDepth. It walks iteratively and stops at the first level too deep,
// so any object costs it little.
func CheckDepth(o source.Object) error {
	if o.Obj == nil || depthWithin(o.Obj.Object, MaxDepth) {
		return nil
	}
	name := o.Name()
	if ns := o.Namespace(); ns != "" {
		name = ns + "/" + name
	}
	where := ""
	if o.Context != "" {
		where = " in " + o.Context
	}
	return fmt.Errorf("%s %s%s nests fields more than %d levels deep: diff compares objects up to %d levels", o.Kind(), name, where, MaxDepth, MaxDepth)
}

// depthWithin reports whether v nests at most limit levels of maps and
// lists.
func depthWithin(v any, limit int) bool {
	type item struct {
		v     any
		depth int
	}
	stack := []item{{v, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := it.v.(type) {
		case map[string]any:
			if it.depth > limit {
				return false
			}
			for _, e := range x {
				stack = append(stack, item{e, it.depth + 1})
			}
		case []any:
			if it.depth > limit {
				return false
			}
			for _, e := range x {
				stack = append(stack, item{e, it.depth + 1})
			}
		}
	}
	return true
}
