package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	vdprinters "github.com/kubectl-vd/kubectl-vd/pkg/printers"
)

// WriteMarkdown writes the comparison as GitHub-flavoured Markdown, ready
// to paste into an issue or a pull request: the sides, the summary table,
// and for each changed object a table of its changed field paths with the
// value on each side (compact JSON).
func WriteMarkdown(w io.Writer, r *Result) error {
	if _, err := fmt.Fprintf(w, "**A**: %s  \n**B**: %s\n\n", vdprinters.MarkdownText(sideText(r.A)), vdprinters.MarkdownText(sideText(r.B))); err != nil {
		return err
	}
	rows := make([][]string, 0, len(r.Objects))
	for _, d := range r.Objects {
		ns := d.Namespace
		if ns == "" {
			ns = "-"
		}
		rows = append(rows, []string{d.Kind, ns, d.Name, StatusText(d.Status)})
	}
	if err := vdprinters.MarkdownTable(w, []string{"KIND", "NAMESPACE", "NAME", "STATUS"}, rows); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\n%s\n", summaryText(r.Summary)); err != nil {
		return err
	}
	for _, d := range r.Objects {
		if d.Status != Changed {
			continue
		}
		ref := d.Kind + " " + d.Name
		if d.Namespace != "" {
			ref = d.Kind + " " + d.Namespace + "/" + d.Name
		}
		if _, err := fmt.Fprintf(w, "\n**%s**\n\n", vdprinters.MarkdownText(ref)); err != nil {
			return err
		}
		rows := make([][]string, 0, len(d.Changes))
		for _, c := range d.Changes {
			old, new := "", ""
			if c.Type != Added {
				old = compactJSON(c.Old)
			}
			if c.Type != Removed {
				new = compactJSON(c.New)
			}
			rows = append(rows, []string{"`" + c.Path.String() + "`", string(c.Type), old, new})
		}
		if err := vdprinters.MarkdownTable(w, []string{"PATH", "CHANGE", "A", "B"}, rows); err != nil {
			return err
		}
	}
	return nil
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(b))
}
