package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
)

// Mermaid writes the chain as a Mermaid flowchart, nodes named by findings
// in a class per severity.
func Mermaid(w io.Writer, r *Report) error {
	g := buildGraph(r)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "---\ntitle: %s\n---\n", mermaidTitle(g.title))
	b.WriteString("flowchart LR\n")
	writeMermaidNode(b, "  ", g.root)
	for _, gr := range g.groups {
		fmt.Fprintf(b, "  subgraph %s[\"%s\"]\n", gr.id, mermaidText(gr.label))
		for _, n := range gr.nodes {
			writeMermaidNode(b, "    ", n)
		}
		b.WriteString("  end\n")
	}
	for _, e := range g.edges {
		arrow := "-->"
		if e.dashed {
			arrow = "-.->"
		}
		if e.label != "" {
			fmt.Fprintf(b, "  %s %s|\"%s\"| %s\n", e.from, arrow, mermaidText(e.label), e.to)
		} else {
			fmt.Fprintf(b, "  %s %s %s\n", e.from, arrow, e.to)
		}
	}
	for _, k := range []nodeKind{kindVD, kindSE, kindWE, kindDR, kindVS, kindGateway, kindMissing} {
		fmt.Fprintf(b, "  classDef %s fill:%s,stroke:#555555\n", k, kindFill[k])
	}
	for _, s := range []explain.Severity{explain.Error, explain.Warning, explain.Info} {
		c := severityColour[s]
		fmt.Fprintf(b, "  classDef finding_%s stroke:%s,stroke-width:3px,color:%s\n", s, c, c)
	}
	var classes []string
	collect := func(n node) {
		classes = append(classes, fmt.Sprintf("  class %s %s", n.id, n.kind))
		if n.severity != 0 {
			classes = append(classes, fmt.Sprintf("  class %s finding_%s", n.id, n.severity))
		}
	}
	collect(g.root)
	for _, gr := range g.groups {
		for _, n := range gr.nodes {
			collect(n)
		}
	}
	b.WriteString(strings.Join(classes, "\n") + "\n")
	return b.Flush()
}

func writeMermaidNode(b *bufio.Writer, indent string, n node) {
	lines := n.label()
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = mermaidText(l)
	}
	open, close := "(", ")"
	if n.dashed {
		open, close = "[/", "/]"
	}
	fmt.Fprintf(b, "%s%s%s\"%s\"%s\n", indent, n.id, open, strings.Join(esc, "<br/>"), close)
}

// mermaidText escapes what Mermaid would read as markup in a quoted label.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "|", "#124;")
	return r.Replace(s)
}

func mermaidTitle(s string) string {
	return strings.NewReplacer(":", " ", "\n", " ").Replace(s)
}
