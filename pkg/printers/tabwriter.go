package printers

import (
	"io"

	"github.com/liggitt/tabwriter"
	"k8s.io/cli-runtime/pkg/printers"
)

// newTabWriter is kubectl's table layout (two spaces between columns).
func newTabWriter(w io.Writer) *tabwriter.Writer { return printers.GetNewTabWriter(w) }

// Table writes a kubectl-style table: an upper-case header, then the rows,
// columns two spaces apart.
func Table(w io.Writer, header []string, rows [][]string) error {
	tw := newTabWriter(w)
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			if i > 0 {
				if _, err := io.WriteString(tw, "\t"); err != nil {
					return err
				}
			}
			if _, err := io.WriteString(tw, c); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(tw, "\n"); err != nil {
			return err
		}
	}
	return tw.Flush()
}
