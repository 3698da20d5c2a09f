package diff

import (
	"sort"
)

// walker compares two normalized trees and returns their canonical forms
// (keyed lists as *keyedList, sorted where order means nothing, cluster
// names folded where that makes the sides agree), recording every change.
type walker struct {
	ca, cb  string // Gloo cluster names to fold ("" for none)
	changes []Change
}

func (w *walker) add(c Change) { w.changes = append(w.changes, c) }

func (w *walker) walk(p Path, a, b any) (any, any) {
	if foldable(p) {
		if sa, ok := a.(string); ok {
			if sb, ok := b.(string); ok && sa != sb {
				if fa, fb := fold(sa, w.ca), fold(sb, w.cb); fa == fb {
					a, b = fa, fb
				}
			}
		}
	}
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			return w.walkMap(p, x, y)
		}
	case []any:
		if y, ok := b.([]any); ok {
			return w.walkList(p, x, y)
		}
	default:
		switch b.(type) {
		case map[string]any, []any:
		default:
			if a != b {
				w.add(Change{Path: p, Type: Modified, Old: a, New: b})
			}
			return a, b
		}
	}
	ca, cb := canonOne(p, a), canonOne(p, b)
	w.add(Change{Path: p, Type: Modified, Old: plain(ca), New: plain(cb)})
	return ca, cb
}

func (w *walker) walkMap(p Path, a, b map[string]any) (any, any) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	ca, cb := make(map[string]any, len(a)), make(map[string]any, len(b))
	for _, k := range keys {
		q := p.with(field(k))
		va, inA := a[k]
		vb, inB := b[k]
		switch {
		case inA && inB:
			ca[k], cb[k] = w.walk(q, va, vb)
		case inA:
			ca[k] = canonOne(q, va)
			w.add(Change{Path: q, Type: Removed, Old: plain(ca[k])})
		default:
			cb[k] = canonOne(q, vb)
			w.add(Change{Path: q, Type: Added, New: plain(cb[k])})
		}
	}
	return ca, cb
}

func (w *walker) walkList(p Path, a, b []any) (any, any) {
	name := lastField(p)
	if isSetList(name, a, b) {
		sa, sb := sortedSet(a), sortedSet(b)
		if foldableList(p) && !equalScalars(sa, sb) {
			fa, fb := sortedSet(foldAll(a, w.ca)), sortedSet(foldAll(b, w.cb))
			if equalScalars(fa, fb) {
				sa, sb = fa, fb
			}
		}
		if !equalScalars(sa, sb) {
			w.add(Change{Path: p, Type: Modified, Old: sa, New: sb})
		}
		return sa, sb
	}
	if k, rule, ok := chooseKey(name, a, b); ok {
		keysA, _ := keysOf(a, k)
		keysB, _ := keysOf(b, k)
		la, lb := newKeyedList(k, rule, a, keysA), newKeyedList(k, rule, b, keysB)
		posB := map[string]int{}
		for j, key := range lb.keys {
			posB[key] = j
		}
		inA := map[string]bool{}
		var commonA []string
		for i, key := range la.keys {
			inA[key] = true
			q := p.with(keyed(k.label, key))
			if j, ok := posB[key]; ok {
				la.items[i], lb.items[j] = w.walk(q, la.items[i], lb.items[j])
				commonA = append(commonA, key)
				continue
			}
			la.items[i] = canonOne(q, la.items[i])
			w.add(Change{Path: q, Type: Removed, Old: plain(la.items[i])})
		}
		var commonB []string
		for j, key := range lb.keys {
			if inA[key] {
				commonB = append(commonB, key)
				continue
			}
			q := p.with(keyed(k.label, key))
			lb.items[j] = canonOne(q, lb.items[j])
			w.add(Change{Path: q, Type: Added, New: plain(lb.items[j])})
		}
		if rule.ordered && !equalStrings(commonA, commonB) {
			w.add(Change{Path: p, Type: Reordered, Old: stringsAny(la.keys), New: stringsAny(lb.keys)})
		}
		return la, lb
	}
	ca, cb := make([]any, len(a)), make([]any, len(b))
	for i := 0; i < len(a) || i < len(b); i++ {
		q := p.with(index(i))
		switch {
		case i < len(a) && i < len(b):
			ca[i], cb[i] = w.walk(q, a[i], b[i])
		case i < len(a):
			ca[i] = canonOne(q, a[i])
			w.add(Change{Path: q, Type: Removed, Old: plain(ca[i])})
		default:
			cb[i] = canonOne(q, b[i])
			w.add(Change{Path: q, Type: Added, New: plain(cb[i])})
		}
	}
	return ca, cb
}

// canonOne returns the canonical form of a value present on one side only.
func canonOne(p Path, v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = canonOne(p.with(field(k)), e)
		}
		return m
	case []any:
		name := lastField(p)
		if isSetList(name, x) {
			return sortedSet(x)
		}
		if k, rule, ok := chooseKey(name, x); ok {
			keys, _ := keysOf(x, k)
			kl := newKeyedList(k, rule, x, keys)
			for i := range kl.items {
				kl.items[i] = canonOne(p.with(keyed(k.label, kl.keys[i])), kl.items[i])
			}
			return kl
		}
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = canonOne(p.with(index(i)), e)
		}
		return l
	}
	return v
}

// plain turns a canonical value back into plain JSON values.
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plain(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = plain(e)
		}
		return l
	case *keyedList:
		l := make([]any, len(x.items))
		for i, e := range x.items {
			l[i] = plain(e)
		}
		return l
	}
	return v
}

func lastField(p Path) string {
	if len(p) == 0 || !p[len(p)-1].isField() {
		return ""
	}
	return p[len(p)-1].Field
}

func foldAll(l []any, cluster string) []any {
	out := make([]any, len(l))
	for i, e := range l {
		if s, ok := e.(string); ok {
			out[i] = fold(s, cluster)
		} else {
			out[i] = e
		}
	}
	return out
}

func equalScalars(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func stringsAny(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}
