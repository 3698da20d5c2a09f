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
	path Path
}

// toYAML renders a canonical tree the way kubectl does (keys sorted, lists
// at their key's indentation) with keyed lists in canonical order, so that
// the text diff shows what the structural comparison found.
func toYAML(root map[string]any) []yamlLine {
	var e yamlEmitter
	e.mapBody(root, "", "", nil)
	return e.lines
}

type yamlEmitter struct{ lines []yamlLine }

func (e *yamlEmitter) emit(text string, p Path) {
	e.lines = append(e.lines, yamlLine{text: text, path: p})
}

// mapBody writes the entries of m at indent; the first entry starts with
// first instead of indent ("- " for a list element).
func (e *yamlEmitter) mapBody(m map[string]any, indent, first string, p Path) {
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
		q := p.with(field(k))
		key := scalarText(k) + ":"
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
			e.emit(lead+key+" "+scalarText(v), q)
		}
	}
}

func (e *yamlEmitter) list(items []any, segs []Segment, indent string, p Path) {
	for i, item := range items {
		q := p.with(segs[i])
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
			e.emit(indent+"- "+scalarText(v), q)
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
