package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Dot writes the chain as a Graphviz digraph: the VirtualDestination on
// the left, one box per cluster, nodes named by findings outlined in the
// colour of their worst severity.
func Dot(w io.Writer, r *Report) error {
	g := buildGraph(r)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "digraph %s {\n", dotQuote(r.Chain.Namespace+"/"+r.Chain.Name))
	fmt.Fprintf(b, "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=%s];\n",
		dotQuote(g.title+"\noutlined: red error, orange warning, blue info"))
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, color=\"#555555\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n")
	writeDotNode(b, "  ", g.root)
	for _, gr := range g.groups {
		fmt.Fprintf(b, "  subgraph %s {\n", dotQuote(gr.id))
		fmt.Fprintf(b, "    label=%s;\n    style=\"rounded\";\n    color=\"#999999\";\n", dotQuote(gr.label))
		for _, n := range gr.nodes {
			writeDotNode(b, "    ", n)
		}
		b.WriteString("  }\n")
	}
	for _, e := range g.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotQuote(e.label))
		}
		if e.dashed {
			attrs = append(attrs, "style=dashed")
		}
		a := ""
		if len(attrs) > 0 {
			a = " [" + strings.Join(attrs, ", ") + "]"
		}
		fmt.Fprintf(b, "  %s -> %s%s;\n", dotQuote(e.from), dotQuote(e.to), a)
	}
	b.WriteString("}\n")
	return b.Flush()
}

func writeDotNode(b *bufio.Writer, indent string, n node) {
	attrs := []string{"label=" + dotQuote(strings.Join(n.label(), "\n")), "fillcolor=" + dotQuote(kindFill[n.kind])}
	style := "rounded,filled"
	if n.dashed {
		style += ",dashed"
	}
	attrs = append(attrs, "style="+dotQuote(style))
	if c, ok := severityColour[n.severity]; ok {
		attrs = append(attrs, "color="+dotQuote(c), "penwidth=3", "fontcolor="+dotQuote(c))
	}
	fmt.Fprintf(b, "%s%s [%s];\n", indent, dotQuote(n.id), strings.Join(attrs, ", "))
}

// dotQuote makes a DOT string: quotes and backslashes escaped, newlines
// as \n (centred lines).
func dotQuote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, `"`, `\"`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return `"` + s + `"`
}
