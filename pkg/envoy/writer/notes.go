package writer

import (
	"fmt"
	"io"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

// notes gathers, while a view is printed, what the input held that Envoy's
// schema does not define, for the objects printed, and reports it on the
// warning writer: one line per field and problem, however many objects
// share it, so that the tables stay istioctl's and nothing is shown as if
// it were valid without a word.
type notes struct {
	context string
	order   []string
	groups  map[string]*noteGroup
}

type noteGroup struct {
	first envoy.Note
	more  int
}

func (n *notes) add(list ...envoy.Note) {
	for _, note := range list {
		if n.groups == nil {
			n.groups = map[string]*noteGroup{}
		}
		k := note.Key()
		if g, ok := n.groups[k]; ok {
			g.more++
			continue
		}
		n.groups[k] = &noteGroup{first: note}
		n.order = append(n.order, k)
	}
}

// print writes the warnings of one proxy.
func (n *notes) print(w io.Writer) {
	if w == nil {
		return
	}
	prefix := "warning: "
	if n.context != "" {
		prefix += "context " + n.context + ": "
	}
	for _, k := range n.order {
		g := n.groups[k]
		line := prefix + g.first.String()
		if g.more > 0 {
			line += fmt.Sprintf(" (and %d more like it)", g.more)
		}
		fmt.Fprintln(w, line)
	}
}
