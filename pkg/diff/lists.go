package diff

import (
	"sort"
	"strconv"
)

// How lists are compared. A list is matched by the name of the field that
// holds it, wherever it appears, and only when both sides hold a list there.
//
// Keyed lists pair their elements by a key, so a reordering is not a
// difference; the first key candidate that every element of both sides has,
// as a scalar with no duplicates, is used, otherwise the list stays
// positional:
//
//	portLevelSettings  port.number                [port=9080]
//	subsets            name                       [name=v1]
//	ports              name, number, port         [name=http-9080]
//	endpoints          address                    [address=10.0.0.1]
//	http, tcp, tls     name                       [name=productpage] (ordered)
//
// VirtualService routes are matched by name but Istio applies the first
// route that matches, so a change of their order is reported as its own
// change ("reordered", with the names in each order).
//
// Set lists hold scalars whose order means nothing to Istio: hosts,
// addresses, exportTo, subjectAltNames, gateways. They are compared sorted
// and reported as a whole.
//
// Every other list (match, route, failover, ...) is positional: element i is
// compared with element i.
var keyedLists = map[string]listRule{
	"portLevelSettings": {keys: []listKey{{"port", []string{"port", "number"}}}},
	"subsets":           {keys: []listKey{{"name", []string{"name"}}}},
	"ports": {keys: []listKey{
		{"name", []string{"name"}},
		{"number", []string{"number"}},
		{"port", []string{"port"}},
	}},
	"endpoints": {keys: []listKey{{"address", []string{"address"}}}},
	"http":      {keys: []listKey{{"name", []string{"name"}}}, ordered: true},
	"tcp":       {keys: []listKey{{"name", []string{"name"}}}, ordered: true},
	"tls":       {keys: []listKey{{"name", []string{"name"}}}, ordered: true},
}

var setLists = map[string]bool{
	"hosts":           true,
	"addresses":       true,
	"exportTo":        true,
	"subjectAltNames": true,
	"gateways":        true,
}

type listRule struct {
	keys    []listKey
	ordered bool
}

type listKey struct {
	label string   // shown in paths: [label=value]
	path  []string // where the key is in each element
}

// keyedList is a list whose elements are identified by a key; it replaces
// []any in canonical trees so that paths and the YAML text agree.
type keyedList struct {
	label   string
	keys    []string
	items   []any
	ordered bool
}

// keysOf returns the key of every element, or false when an element lacks
// the key, holds a non-scalar there, or repeats another element's key.
func keysOf(list []any, k listKey) ([]string, bool) {
	keys := make([]string, len(list))
	seen := map[string]bool{}
	for i, e := range list {
		var cur any = e
		for _, f := range k.path {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			cur, ok = m[f]
			if !ok {
				return nil, false
			}
		}
		s, ok := scalarKey(cur)
		if !ok || seen[s] {
			return nil, false
		}
		seen[s] = true
		keys[i] = s
	}
	return keys, true
}

func scalarKey(v any) (string, bool) {
	switch x := normNumber(v).(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// chooseKey picks the first key candidate of the rule that fits every list
// given.
func chooseKey(name string, lists ...[]any) (listKey, listRule, bool) {
	rule, ok := keyedLists[name]
	if !ok {
		return listKey{}, listRule{}, false
	}
next:
	for _, k := range rule.keys {
		for _, l := range lists {
			if _, ok := keysOf(l, k); !ok {
				continue next
			}
		}
		return k, rule, true
	}
	return listKey{}, listRule{}, false
}

// isSetList reports whether a list held by field name is compared as a set.
func isSetList(name string, lists ...[]any) bool {
	if !setLists[name] {
		return false
	}
	for _, l := range lists {
		for _, e := range l {
			if _, ok := scalarKey(e); !ok {
				return false
			}
		}
	}
	return true
}

// sortedSet returns a sorted copy of a set list.
func sortedSet(l []any) []any {
	out := append([]any(nil), l...)
	sort.SliceStable(out, func(i, j int) bool { return lessScalar(out[i], out[j]) })
	return out
}

func lessScalar(a, b any) bool {
	a, b = normNumber(a), normNumber(b)
	ai, aok := a.(int64)
	bi, bok := b.(int64)
	if aok && bok {
		return ai < bi
	}
	as, _ := scalarKey(a)
	bs, _ := scalarKey(b)
	return as < bs
}

// newKeyedList builds a keyed list from items and their keys; unordered
// lists are sorted by key (numerically when every key is a number).
func newKeyedList(k listKey, rule listRule, items []any, keys []string) *keyedList {
	kl := &keyedList{label: k.label, ordered: rule.ordered, items: append([]any(nil), items...), keys: append([]string(nil), keys...)}
	if !rule.ordered {
		idx := make([]int, len(items))
		for i := range idx {
			idx[i] = i
		}
		numeric := true
		nums := make([]int64, len(keys))
		for i, s := range keys {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				numeric = false
				break
			}
			nums[i] = n
		}
		sort.SliceStable(idx, func(a, b int) bool {
			if numeric {
				return nums[idx[a]] < nums[idx[b]]
			}
			return keys[idx[a]] < keys[idx[b]]
		})
		for i, j := range idx {
			kl.items[i] = items[j]
			kl.keys[i] = keys[j]
		}
	}
	return kl
}
