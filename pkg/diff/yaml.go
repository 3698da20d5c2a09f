package diff

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// yamlLine is one line of the YAML text of a canonical tree and the path of
// the field it shows, so that hunks of the text diff can name their field.
type yamlLine struct {
	text string
	node *pathNode
}

// pathNode is a path as a link to its parent: the lines of a subtree share
// their ancestors, so a line costs one node whatever its depth (a Path per
// line would cost memory in lines times depth).
type pathNode struct {
	parent *pathNode
	seg    Segment
	depth  int
}

func (n *pathNode) child(s Segment) *pathNode {
	d := 1
	if n != nil {
		d = n.depth + 1
	}
	return &pathNode{parent: n, seg: s, depth: d}
}

// path returns the node's path from the root.
func (n *pathNode) path() Path {
	if n == nil {
		return nil
	}
	p := make(Path, n.depth)
	for c := n; c != nil; c = c.parent {
		p[c.depth-1] = c.seg
	}
	return p
}

// toYAML renders a canonical tree the way kubectl does (keys sorted, lists
// at their key's indentation) with keyed lists in canonical order, so that
// the text diff shows what the structural comparison found.
func toYAML(root map[string]any) []yamlLine {
	var e yamlEmitter
	e.mapBody(root, "", "", nil)
	return e.lines
}

type yamlEmitter struct {
	lines []yamlLine
	// quoted remembers how the strings that need the YAML encoder are
	// written: values such as durations repeat in every route.
	quoted map[string]string
}

func (e *yamlEmitter) scalar(v any) string {
	s, ok := v.(string)
	if !ok || plainString(s) {
		return scalarText(v)
	}
	if t, ok := e.quoted[s]; ok {
		return t
	}
	if e.quoted == nil {
		e.quoted = map[string]string{}
	}
	t := scalarText(s)
	e.quoted[s] = t
	return t
}

func (e *yamlEmitter) emit(text string, p *pathNode) {
	e.lines = append(e.lines, yamlLine{text: text, node: p})
}

// mapBody writes the entries of m at indent; the first entry starts with
// first instead of indent ("- " for a list element).
func (e *yamlEmitter) mapBody(m map[string]any, indent, first string, p *pathNode) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		lead := indent
		if i == 0 {
			lead = first
		}
		q := p.child(field(k))
		key := e.scalar(k) + ":"
		switch v := m[k].(type) {
		case map[string]any:
			if len(v) == 0 {
				e.emit(lead+key+" {}", q)
				continue
			}
			e.emit(lead+key, q)
			e.mapBody(v, indent+"  ", indent+"  ", q)
		case []any, *keyedList:
			items, segs := listItems(v)
			if len(items) == 0 {
				e.emit(lead+key+" []", q)
				continue
			}
			e.emit(lead+key, q)
			e.list(items, segs, indent, q)
		default:
			e.emit(lead+key+" "+e.scalar(v), q)
		}
	}
}

func (e *yamlEmitter) list(items []any, segs []Segment, indent string, p *pathNode) {
	for i, item := range items {
		q := p.child(segs[i])
		switch v := item.(type) {
		case map[string]any:
			if len(v) == 0 {
				e.emit(indent+"- {}", q)
				continue
			}
			e.mapBody(v, indent+"  ", indent+"- ", q)
		case []any, *keyedList:
			sub, subSegs := listItems(v)
			if len(sub) == 0 {
				e.emit(indent+"- []", q)
				continue
			}
			e.emit(indent+"-", q)
			e.list(sub, subSegs, indent+"  ", q)
		default:
			e.emit(indent+"- "+e.scalar(v), q)
		}
	}
}

func listItems(v any) ([]any, []Segment) {
	switch x := v.(type) {
	case *keyedList:
		segs := make([]Segment, len(x.items))
		for i := range x.items {
			segs[i] = keyed(x.label, x.keys[i])
		}
		return x.items, segs
	case []any:
		segs := make([]Segment, len(x))
		for i := range x {
			segs[i] = index(i)
		}
		return x, segs
	}
	return nil, nil
}

// scalarText writes a scalar as YAML would, quoting strings that would
// otherwise read as another type; strings spanning lines are written as
// double-quoted JSON strings so that every value stays on one line.
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		if plainString(x) {
			return x
		}
		if !strings.ContainsAny(x, "\n\r\t") {
			if out, err := yaml.Marshal(x); err == nil {
				s := strings.TrimSuffix(string(out), "\n")
				if !strings.Contains(s, "\n") {
					return s
				}
			}
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(x)
		return strings.TrimSuffix(b.String(), "\n")
	}
	out, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(out)
}

// plainString reports whether YAML writes s as it is, unquoted: a letter or
// a slash then letters, digits and . / _ - (names, hosts, URL paths), and
// not one of
// the words YAML 1.1 reads as a boolean or null. It spares most scalars a
// trip through the YAML encoder; the others take it.
func plainString(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z' || s[0] == '/') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '/' || c == '_' || c == '-') {
			return false
		}
	}
	switch strings.ToLower(s) {
	case "y", "yes", "n", "no", "true", "false", "on", "off", "null":
		return false
	}
	return true
}
