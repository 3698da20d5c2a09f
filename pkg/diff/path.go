package diff

import (
	"strconv"
	"strings"
)

// Segment is one step of a field path: a map key, a list position, or the
// key of an element of a keyed list.
type Segment struct {
	// Field is a map key (when Index < 0 and KeyName == "").
	Field string
	// Index is a position in a positional list, -1 otherwise.
	Index int
	// KeyName and KeyValue identify an element of a keyed list
	// ([port=9080], [name=http-9080]).
	KeyName, KeyValue string
}

func field(name string) Segment        { return Segment{Field: name, Index: -1} }
func index(i int) Segment              { return Segment{Index: i} }
func keyed(name, value string) Segment { return Segment{KeyName: name, KeyValue: value, Index: -1} }

func (s Segment) isField() bool { return s.Index < 0 && s.KeyName == "" }

// Path is a field path from the root of an object.
type Path []Segment

// with returns a copy of p with s appended; paths are shared between
// siblings, so they are never appended to in place.
func (p Path) with(s Segment) Path {
	out := make(Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, s)
}

// String renders a path as in
// spec.trafficPolicy.portLevelSettings[port=9080].outlierDetection and
// metadata.labels["gloo.solo.io/parent_name"].
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.KeyName != "":
			b.WriteString("[" + s.KeyName + "=" + quoteIfNeeded(s.KeyValue, "[]=\"") + "]")
		case s.Index >= 0:
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		case plainField(s.Field):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Field)
		default:
			b.WriteString("[" + strconv.Quote(s.Field) + "]")
		}
	}
	return b.String()
}

// HasPrefix reports whether q is p or an ancestor of p.
func (p Path) HasPrefix(q Path) bool {
	if len(q) > len(p) {
		return false
	}
	for i := range q {
		if p[i] != q[i] {
			return false
		}
	}
	return true
}

func plainField(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func quoteIfNeeded(s, special string) string {
	if s == "" || strings.ContainsAny(s, special) || strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	return s
}
