package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"
)

// TextOptions control the text output.
type TextOptions struct {
	// Brief prints the summary only.
	Brief bool
	// Color adds ANSI colours (the caller decides: terminal, NO_COLOR).
	Color bool
	// Context is the number of unchanged lines around each change (3 when 0).
	Context int
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// StatusText is how the summary shows a status.
func StatusText(s Status) string {
	switch s {
	case OnlyInA:
		return "only in A"
	case OnlyInB:
		return "only in B"
	}
	return string(s)
}

// WriteText writes the summary table (objects and their status, under a
// header naming the two sides) and, unless Brief, a unified diff of the
// normalized YAML of each changed object with the changed field paths in
// its hunk headers.
func WriteText(w io.Writer, r *Result, o TextOptions) error {
	paint := func(code, s string) string {
		if !o.Color || s == "" {
			return s
		}
		return code + s + ansiReset
	}
	var b strings.Builder
	fmt.Fprintf(&b, "A: %s\n", sideText(r.A))
	fmt.Fprintf(&b, "B: %s\n", sideText(r.B))
	b.WriteString("\n")
	tw := printers.GetNewTabWriter(&b)
	fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tSTATUS")
	for _, d := range r.Objects {
		st := StatusText(d.Status)
		switch d.Status {
		case Changed:
			st = paint(ansiYellow, st)
		case OnlyInA:
			st = paint(ansiRed, st)
		case OnlyInB:
			st = paint(ansiGreen, st)
		}
		ns := d.Namespace
		if ns == "" {
			ns = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Kind, ns, d.Name, st)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n" + summaryText(r.Summary) + "\n")
	if !o.Brief {
		ctx := o.Context
		if ctx <= 0 {
			ctx = 3
		}
		for _, d := range r.Objects {
			if d.Status == Changed {
				b.WriteString("\n")
				writeObjectDiff(&b, r, d, ctx, paint)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sideText(s SideInfo) string {
	t := s.Label
	if s.Cluster != "" && s.Cluster != s.Label {
		t += " (Gloo cluster " + s.Cluster + ")"
	}
	return t
}

func summaryText(s Summary) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(s.Changed, "changed")
	add(s.OnlyInA, "only in A")
	add(s.OnlyInB, "only in B")
	add(s.Same, "same")
	if len(parts) == 0 {
		return "no objects"
	}
	return strings.Join(parts, ", ")
}

func objectRef(d ObjectDiff, name string) string {
	kind := d.Kind
	if d.Group != "" {
		kind += "." + d.Group
	}
	if d.Namespace != "" {
		name = d.Namespace + "/" + name
	}
	return kind + " " + name
}

func writeObjectDiff(b *strings.Builder, r *Result, d ObjectDiff, context int, paint func(string, string) string) {
	la, lb := toYAML(d.a), toYAML(d.b)
	ta, tb := texts(la), texts(lb)
	b.WriteString(paint(ansiBold, "--- "+r.A.Label+" "+objectRef(d, d.NameA)) + "\n")
	b.WriteString(paint(ansiBold, "+++ "+r.B.Label+" "+objectRef(d, d.NameB)) + "\n")
	idx := newChangeIndex(d.Changes)
	for _, h := range hunks(lineDiff(ta, tb), context) {
		header := fmt.Sprintf("@@ -%s +%s @@", span(h.aStart, h.aLen), span(h.bStart, h.bLen))
		if paths := hunkPaths(h, la, lb, idx); paths != "" {
			header += " " + paths
		}
		b.WriteString(paint(ansiCyan, header) + "\n")
		for _, e := range h.edits {
			switch e.op {
			case opEqual:
				b.WriteString(" " + ta[e.a] + "\n")
			case opDelete:
				b.WriteString(paint(ansiRed, "-"+ta[e.a]) + "\n")
			case opInsert:
				b.WriteString(paint(ansiGreen, "+"+tb[e.b]) + "\n")
			}
		}
	}
}

func texts(lines []yamlLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}

// span writes a hunk range as unified diffs do: 1-based start, length
// omitted when 1, start of the preceding line when empty.
func span(start, n int) string {
	switch n {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

// hunkPaths names the changes a hunk shows: the changed field paths that
// contain one of its changed lines, in order; the lines' own paths only when
// no change contains them.
func hunkPaths(h hunk, la, lb []yamlLine, idx changeIndex) string {
	var matched, own []string
	seen := map[string]bool{}
	for _, e := range h.edits {
		var p Path
		switch e.op {
		case opDelete:
			p = la[e.a].node.path()
		case opInsert:
			p = lb[e.b].node.path()
		default:
			continue
		}
		if c, ok := idx.containing(p); ok {
			if name := c.Path.String(); !seen[name] {
				seen[name] = true
				matched = append(matched, name)
			}
			continue
		}
		if name := p.String(); !seen[name] {
			seen[name] = true
			own = append(own, name)
		}
	}
	if len(matched) > 0 {
		return joinPaths(matched)
	}
	return joinPaths(own)
}

// maxHunkPaths bounds the paths a hunk header names: a hunk over thousands
// of changed routes stays one readable line.
const maxHunkPaths = 5

func joinPaths(paths []string) string {
	if len(paths) <= maxHunkPaths {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:maxHunkPaths], ", "), len(paths)-maxHunkPaths)
}

// changeIndex finds the first change (in the walk's order) whose path is a
// line's path or one of its ancestors by looking each ancestor up, instead
// of trying every change for every changed line.
type changeIndex struct {
	changes []Change
	byPath  map[string][]int // Path.String() -> indexes in changes, ascending
}

func newChangeIndex(changes []Change) changeIndex {
	idx := changeIndex{changes: changes, byPath: make(map[string][]int, len(changes))}
	for i, c := range changes {
		k := c.Path.String()
		idx.byPath[k] = append(idx.byPath[k], i)
	}
	return idx
}

func (idx changeIndex) containing(p Path) (Change, bool) {
	best := -1
	for n := 0; n <= len(p); n++ {
		for _, i := range idx.byPath[p[:n].String()] {
			// Two paths may print alike; the change must really contain p.
			if (best < 0 || i < best) && p.HasPrefix(idx.changes[i].Path) {
				best = i
				break
			}
		}
	}
	if best < 0 {
		return Change{}, false
	}
	return idx.changes[best], true
}

// WriteJSON writes the result as indented JSON: the two sides, the summary
// and every object with its status and changed fields.
func WriteJSON(w io.Writer, r *Result) error {
	out := *r
	if out.Objects == nil {
		out.Objects = []ObjectDiff{}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
