package failover

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	kprinters "k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
)

// WriteJSON writes the reports: one object for one report, a list for
// several (one per context).
func WriteJSON(w io.Writer, reports []*Report) error {
	var v any = reports
	if len(reports) == 1 {
		v = reports[0]
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// WriteText writes each report: the source and settings, the priority
// table, then one table per failure, each with its outcome.
func WriteText(w io.Writer, reports []*Report) error {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, r.title())
		fmt.Fprintln(w, r.settingsLine())
		for _, n := range r.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
		fmt.Fprintln(w)
		if err := levelTable(w, r.Priorities); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\n", outcomeLine(r.Outcome))
		for _, s := range r.Scenarios {
			fmt.Fprintf(w, "\nif %s:\n", strings.TrimPrefix(s.Failure, "--"))
			if err := levelTable(w, s.Priorities); err != nil {
				return err
			}
			for _, n := range s.Notes {
				fmt.Fprintf(w, "note: %s\n", n)
			}
			fmt.Fprintf(w, "%s\n", outcomeLine(s.Outcome))
		}
	}
	return nil
}

func (r *Report) title() string {
	s := r.Source
	who := "a proxy in " + s.Locality
	if s.Proxy != "" {
		who = s.Proxy + " (" + s.Locality + ")"
	}
	where := ""
	if s.Cluster != "" {
		where = " in " + s.Cluster
	}
	if s.Context != "" && s.Context != s.Cluster {
		where += " (context " + s.Context + ")"
	}
	return fmt.Sprintf("%s:%d as seen by %s%s", s.Host, s.Port, who, where)
}

func (r *Report) settingsLine() string {
	st := r.Settings
	var parts []string
	parts = append(parts, "locality failover "+onOff(st.LocalityFailover))
	if st.OutlierDetection {
		parts = append(parts, fmt.Sprintf("outlier detection on (maxEjectionPercent %d)", st.MaxEjectionPercent))
	} else {
		parts = append(parts, "outlier detection off")
	}
	if st.PanicThreshold == 0 {
		parts = append(parts, "panic threshold 0% (disabled)")
	} else {
		parts = append(parts, fmt.Sprintf("panic threshold %d%%", st.PanicThreshold))
	}
	parts = append(parts, fmt.Sprintf("overprovisioning factor %s", factor(st.OverprovisioningFactor)))
	return strings.Join(parts, ", ")
}

func factor(f uint32) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%d.%02d", f/100, f%100), "0"), ".")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func outcomeLine(o Outcome) string {
	if o.Reason == "" {
		return o.Status
	}
	return o.Status + ": " + o.Reason
}

var levelHeader = []string{"PRIORITY", "LOAD", "ENDPOINT", "LOCALITY", "CLUSTER", "WEIGHT", "HEALTHY"}

func levelRows(levels []Priority) [][]string {
	var rows [][]string
	for _, l := range levels {
		prio := fmt.Sprint(l.Priority)
		load := fmt.Sprintf("%d%%", l.Load)
		if l.Panic {
			load += " (panic)"
		}
		if len(l.Endpoints) == 0 {
			rows = append(rows, []string{prio, load, "(none)", "", "", "", ""})
			continue
		}
		for i, e := range l.Endpoints {
			p, ld := prio, load
			if i > 0 {
				p, ld = "", ""
			}
			rows = append(rows, []string{p, ld, hostPort(e.Address, e.Port), e.Locality, orDash(e.Cluster), fmt.Sprint(e.Weight), health(e)})
		}
	}
	return rows
}

func health(e Endpoint) string {
	switch {
	case e.Down && !e.Healthy:
		return "no (down, ejected)"
	case e.Down:
		return "yes (down, not ejected)"
	case e.Healthy:
		return "yes"
	}
	return "no"
}

func levelTable(w io.Writer, levels []Priority) error {
	tw := kprinters.GetNewTabWriter(w)
	fmt.Fprintln(tw, strings.Join(levelHeader, "\t"))
	for _, r := range levelRows(levels) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func hostPort(addr string, port uint32) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + uitoa(port)
	}
	return addr + ":" + uitoa(port)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteMarkdown writes each report as Markdown: a heading, the settings,
// and a table per case, to paste into an issue.
func WriteMarkdown(w io.Writer, reports []*Report) error {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "### %s\n\n%s\n", r.title(), r.settingsLine())
		for _, n := range r.Notes {
			fmt.Fprintf(w, "\n> %s\n", n)
		}
		fmt.Fprintf(w, "\n**healthy** (%s)\n\n", outcomeLine(r.Outcome))
		if err := printers.MarkdownTable(w, levelHeader, levelRows(r.Priorities)); err != nil {
			return err
		}
		for _, s := range r.Scenarios {
			fmt.Fprintf(w, "\n**%s** (%s)\n\n", s.Failure, outcomeLine(s.Outcome))
			for _, n := range s.Notes {
				fmt.Fprintf(w, "> %s\n\n", n)
			}
			if err := printers.MarkdownTable(w, levelHeader, levelRows(s.Priorities)); err != nil {
				return err
			}
		}
	}
	return nil
}
