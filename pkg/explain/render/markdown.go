package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
)

// Markdown writes the findings as a GitHub-flavoured Markdown table under a
// one-line summary, to paste into an issue or a pull request.
func Markdown(w io.Writer, r *Report) error {
	ch := r.Chain
	if _, err := fmt.Fprintf(w, "**VirtualDestination %s/%s**: %s\n\n", ch.Namespace, ch.Name, summaryLine(r.Summary)); err != nil {
		return err
	}
	if len(r.Findings) == 0 {
		return nil
	}
	rows := make([][]string, 0, len(r.Findings))
	for _, f := range r.Findings {
		objs := make([]string, 0, len(f.Objects))
		for _, o := range f.Objects {
			s := o.String()
			if o.Context != "" {
				s = "[" + o.Context + "] " + s
			}
			objs = append(objs, s)
		}
		cluster := f.Cluster
		if cluster == "" {
			cluster = "(all)"
		}
		rows = append(rows, []string{f.Code, strings.ToUpper(f.Severity.String()), cluster, f.Message, strings.Join(objs, "\n"), f.Hint})
	}
	return printers.MarkdownTable(w, []string{"CODE", "SEVERITY", "CLUSTER", "MESSAGE", "OBJECTS", "HINT"}, rows)
}
