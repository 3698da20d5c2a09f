package printers

import (
	"io"

	"github.com/liggitt/tabwriter"
	"k8s.io/cli-runtime/pkg/printers"
)

// newTabWriter is kubectl's table layout (two spaces between columns).
func newTabWriter(w io.Writer) *tabwriter.Writer { return printers.GetNewTabWriter(w) }
