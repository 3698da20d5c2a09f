package render

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
)

// Overview is the explanation of several VirtualDestinations (a namespace,
// or all of them): each one's report and a summary per VirtualDestination
// and cluster.
type Overview struct {
	Reports []*Report     `json:"virtualDestinations"`
	Rows    []OverviewRow `json:"summary"`
	Total   Summary       `json:"total"`
}

// OverviewRow counts the findings of one VirtualDestination in one Gloo
// cluster (Cluster "" for the findings across clusters) and names the
// contexts of that cluster.
type OverviewRow struct {
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Cluster   string   `json:"cluster"`
	Contexts  []string `json:"contexts"`
	Summary
}

// NewOverview sums up reports, sorted by namespace and name.
func NewOverview(reports []*Report) *Overview {
	sort.SliceStable(reports, func(i, j int) bool {
		a, b := reports[i].Chain, reports[j].Chain
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	ov := &Overview{Reports: reports, Rows: []OverviewRow{}}
	for _, r := range reports {
		rows := map[string]*OverviewRow{}
		var order []string
		row := func(cluster string) *OverviewRow {
			if x, ok := rows[cluster]; ok {
				return x
			}
			x := &OverviewRow{Namespace: r.Chain.Namespace, Name: r.Chain.Name, Cluster: cluster, Contexts: []string{}}
			if cl := r.Chain.Cluster(cluster); cl != nil {
				x.Contexts = append(x.Contexts, cl.Contexts...)
			}
			rows[cluster] = x
			order = append(order, cluster)
			return x
		}
		for _, cl := range r.Chain.Clusters {
			row(cl.Name)
		}
		count := func(f explain.Finding, suppressed bool) {
			x := row(f.Cluster)
			switch {
			case suppressed:
				x.Suppressed++
			case f.Severity == explain.Error:
				x.Errors++
			case f.Severity == explain.Warning:
				x.Warnings++
			default:
				x.Infos++
			}
		}
		for _, f := range r.Findings {
			count(f, false)
		}
		for _, f := range r.Suppressed {
			count(f, true)
		}
		sort.SliceStable(order, func(i, j int) bool {
			// Findings across clusters last.
			if (order[i] == "") != (order[j] == "") {
				return order[j] == ""
			}
			return order[i] < order[j]
		})
		for _, c := range order {
			ov.Rows = append(ov.Rows, *rows[c])
		}
		ov.Total.Errors += r.Summary.Errors
		ov.Total.Warnings += r.Summary.Warnings
		ov.Total.Infos += r.Summary.Infos
		ov.Total.Suppressed += r.Summary.Suppressed
	}
	return ov
}

// Findings are those of every report.
func (ov *Overview) Findings() []explain.Finding {
	var out []explain.Finding
	for _, r := range ov.Reports {
		out = append(out, r.Findings...)
	}
	return out
}

func (ov *Overview) tableRows() (header []string, rows [][]string) {
	header = []string{"NAMESPACE", "NAME", "CLUSTER", "CONTEXTS", "ERRORS", "WARNINGS", "INFOS", "SUPPRESSED"}
	for _, x := range ov.Rows {
		cluster, contexts := x.Cluster, strings.Join(x.Contexts, ",")
		if cluster == "" {
			cluster = "(across clusters)"
		}
		if contexts == "" {
			contexts = "-"
		}
		rows = append(rows, []string{x.Namespace, x.Name, cluster, contexts,
			strconv.Itoa(x.Errors), strconv.Itoa(x.Warnings), strconv.Itoa(x.Infos), strconv.Itoa(x.Suppressed)})
	}
	return header, rows
}

// OverviewText writes, for each VirtualDestination, a line with its
// counts and its findings as the narrative ends, then a kubectl-style table
// of the counts per VirtualDestination and cluster.
func OverviewText(w io.Writer, ov *Overview, o TextOptions) error {
	bw := bufio.NewWriter(w)
	st := style{on: o.Color}
	for _, r := range ov.Reports {
		t := &textWriter{w: bw, style: st, r: r}
		t.line(0, st.bold(fmt.Sprintf("VirtualDestination %s/%s", r.Chain.Namespace, r.Chain.Name)))
		t.findings()
		t.blank()
	}
	fmt.Fprintf(bw, "%s: %s\n\n", plural(len(ov.Reports), "VirtualDestination"), summaryLine(ov.Total))
	header, rows := ov.tableRows()
	if err := printers.Table(bw, header, rows); err != nil {
		return err
	}
	return bw.Flush()
}

// OverviewMarkdown writes the table of counts, then each
// VirtualDestination's findings as Markdown writes them.
func OverviewMarkdown(w io.Writer, ov *Overview) error {
	if _, err := fmt.Fprintf(w, "**%s**: %s\n\n", plural(len(ov.Reports), "VirtualDestination"), summaryLine(ov.Total)); err != nil {
		return err
	}
	header, rows := ov.tableRows()
	if err := printers.MarkdownTable(w, header, rows); err != nil {
		return err
	}
	for _, r := range ov.Reports {
		// One blank line between sections, whether one ends with a table
		// or with its summary line.
		var b strings.Builder
		if err := Markdown(&b, r); err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n"+strings.TrimRight(b.String(), "\n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// OverviewJSON writes the overview as indented JSON.
func OverviewJSON(w io.Writer, ov *Overview) error {
	return writeJSON(w, ov)
}
