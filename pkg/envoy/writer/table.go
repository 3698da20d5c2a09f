package writer

import (
	"bufio"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
)

// table lays out rows the way text/tabwriter does with istioctl's settings
// (minimum width 0, padding 5, padded with spaces, no flags): every column
// but the last is as wide as its widest cell plus 5, and the last cell of a
// row is written as is. It streams the result instead of buffering the
// whole text as tabwriter does, which matters for tens of thousands of
// rows. Cells holding bytes that tabwriter treats specially (tabs, line
// breaks, its escape byte) go through tabwriter itself, so the output stays
// the same in every case.
type table struct {
	rows    [][]string
	special bool
	// markdown writes the rows (the first is the header) as a
	// GitHub-flavoured Markdown table instead.
	markdown bool
}

const tablePadding = 5

func (t *table) add(cells ...string) {
	for _, c := range cells {
		if strings.ContainsAny(c, "\t\v\f\n\r\xff") {
			t.special = true
		}
	}
	t.rows = append(t.rows, cells)
}

func (t *table) write(out io.Writer) error {
	if t.markdown {
		if len(t.rows) == 0 {
			return nil
		}
		return printers.MarkdownTable(out, t.rows[0], t.rows[1:])
	}
	if t.special || !t.rectangular() {
		return t.writeTabwriter(out)
	}
	if len(t.rows) == 0 {
		return nil
	}
	n := len(t.rows[0])
	widths := make([]int, n)
	for _, r := range t.rows {
		for i, c := range r[:n-1] {
			if w := utf8.RuneCountInString(c) + tablePadding; w > widths[i] {
				widths[i] = w
			}
		}
	}
	spaces := strings.Repeat(" ", maxInt(widths))
	w := bufio.NewWriterSize(out, 64<<10)
	for _, r := range t.rows {
		for i, c := range r[:n-1] {
			w.WriteString(c)
			w.WriteString(spaces[:widths[i]-utf8.RuneCountInString(c)])
		}
		w.WriteString(r[n-1])
		w.WriteByte('\n')
	}
	return w.Flush()
}

func (t *table) rectangular() bool {
	for _, r := range t.rows {
		if len(r) != len(t.rows[0]) || len(r) == 0 {
			return false
		}
	}
	return true
}

func (t *table) writeTabwriter(out io.Writer) error {
	w := newTable(out)
	for _, r := range t.rows {
		if _, err := io.WriteString(w, strings.Join(r, "\t")+"\n"); err != nil {
			return err
		}
	}
	return w.Flush()
}

func maxInt(v []int) int {
	m := 0
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	return m
}
