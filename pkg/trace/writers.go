package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
)

// Output is what the writers print.
type Output struct {
	Request Request  `json:"-"`
	Traces  []Result `json:"traces"`
}

// WriteJSON writes {"traces": [...]}, indented.
func WriteJSON(w io.Writer, o Output) error {
	if o.Traces == nil {
		o.Traces = []Result{}
	}
	for i := range o.Traces {
		if o.Traces[i].Differences == nil {
			o.Traces[i].Differences = []string{}
		}
	}
	b, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes one block per context, readable as kubectl describe's.
// wide adds the endpoints' weights and health, and the proxy's listener,
// route configuration and virtual host.
func WriteText(w io.Writer, o Output, wide bool) error {
	for i, r := range o.Traces {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeTextResult(w, o.Request, r, wide)
	}
	return nil
}

func writeTextResult(w io.Writer, req Request, r Result, wide bool) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if r.Context != "" {
		fmt.Fprintf(tw, "Context:\t%s\n", r.Context)
	}
	if r.Source != "" {
		fmt.Fprintf(tw, "Source:\t%s\n", r.Source)
	}
	fmt.Fprintf(tw, "Request:\t%s\n", req.line())
	if r.Error != "" {
		fmt.Fprintf(tw, "Error:\t%s\n", r.Error)
		tw.Flush()
		return
	}
	fmt.Fprintf(tw, "Result:\t%s\n", verdict(r))
	tw.Flush()
	if r.Config != nil {
		fmt.Fprintln(w, "Configuration:")
		writeTextTrace(w, r.Config, false, wide)
	}
	if r.Proxy != nil {
		fmt.Fprintln(w, "Proxy:")
		writeTextTrace(w, r.Proxy, true, wide)
	}
	if r.Config != nil && r.Proxy != nil {
		if len(r.Differences) == 0 {
			fmt.Fprintln(w, "Differences:  none")
		} else {
			fmt.Fprintln(w, "Differences:")
			for _, d := range r.Differences {
				fmt.Fprintf(w, "  %s\n", d)
			}
		}
	}
}

// verdict sums a context up in one line.
func verdict(r Result) string {
	routed := "routed"
	for _, t := range []*Trace{r.Config, r.Proxy} {
		if t != nil && !t.Routed {
			routed = "not routed"
		}
	}
	switch {
	case r.Config == nil || r.Proxy == nil:
		return routed
	case r.Agree:
		return routed + "; the configuration and the proxy agree"
	}
	return routed + "; the configuration and the proxy DISAGREE"
}

func writeTextTrace(w io.Writer, t *Trace, proxy, wide bool) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	if proxy && wide {
		fmt.Fprintf(tw, "  Listener:\t%s\n", orNone(t.Listener))
		fmt.Fprintf(tw, "  Route configuration:\t%s\n", orNone(t.RouteConfig))
		fmt.Fprintf(tw, "  Virtual host:\t%s\n", orNone(t.VirtualHost))
	}
	fmt.Fprintf(tw, "  Outcome:\t%s\n", t.Reason)
	fmt.Fprintf(tw, "  VirtualService:\t%s\n", orNone(t.VirtualService))
	fmt.Fprintf(tw, "  Route:\t%s\n", orNone(t.Route))
	if t.Rewrite != "" {
		fmt.Fprintf(tw, "  Rewrite:\t%s\n", t.Rewrite)
	}
	if t.Fault != "" {
		fmt.Fprintf(tw, "  Fault:\t%s\n", t.Fault)
	}
	if t.Mirror != "" {
		fmt.Fprintf(tw, "  Mirror:\t%s\n", t.Mirror)
	}
	tw.Flush()
	for _, d := range t.Destinations {
		port := ""
		if d.Port != 0 {
			port = ":" + strconv.Itoa(int(d.Port))
		}
		subset := ""
		if d.Subset != "" {
			subset = " subset " + d.Subset
		}
		fmt.Fprintf(w, "  Destination %s%s%s (weight %d)\n", d.Host, port, subset, d.Weight)
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintf(tw, "    Envoy cluster:\t%s\n", d.EnvoyCluster)
		if d.Service != "" {
			fmt.Fprintf(tw, "    Service:\t%s\n", d.Service)
		}
		if d.EnvoyCluster != PassthroughCluster {
			fmt.Fprintf(tw, "    DestinationRule:\t%s\n", orNone(d.DestinationRule))
		}
		tw.Flush()
		if len(d.Endpoints) == 0 {
			switch {
			case d.EnvoyCluster == PassthroughCluster:
			case t.EndpointsUnknown:
				fmt.Fprintln(w, "    Endpoints:        unknown (no EDS in the dump)")
			default:
				fmt.Fprintln(w, "    Endpoints:        none")
			}
			continue
		}
		fmt.Fprintln(w, "    Endpoints:")
		tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		header := "      PRIORITY\tADDRESS\tLOCALITY"
		if wide {
			header += "\tWEIGHT\tHEALTH"
		}
		fmt.Fprintln(tw, header)
		for _, e := range d.Endpoints {
			line := fmt.Sprintf("      %d\t%s\t%s", e.Priority, e.hostPort(), orNone(e.Locality))
			if wide {
				h := e.Health
				if h == "" {
					h = "-"
				}
				line += fmt.Sprintf("\t%d\t%s", e.Weight, h)
			}
			fmt.Fprintln(tw, line)
		}
		tw.Flush()
	}
	for _, n := range t.Notes {
		fmt.Fprintf(w, "  Note: %s\n", n)
	}
}

// WriteMarkdown writes, per context, a table of the steps side by side and
// a table of the endpoints, with pkg/printers' Markdown tables.
func WriteMarkdown(w io.Writer, o Output) error {
	for i, r := range o.Traces {
		if i > 0 {
			fmt.Fprintln(w)
		}
		title := r.Context
		if title == "" {
			title = "trace"
		}
		fmt.Fprintf(w, "### %s\n\n", title)
		fmt.Fprintf(w, "`%s` from %s: %s\n\n", o.Request.line(), orNone(r.Source), mdVerdict(r))
		if r.Error != "" {
			continue
		}
		var sides []*Trace
		header := []string{"step"}
		if r.Config != nil {
			sides, header = append(sides, r.Config), append(header, "configuration")
		}
		if r.Proxy != nil {
			sides, header = append(sides, r.Proxy), append(header, "proxy")
		}
		row := func(name string, f func(*Trace) string) []string {
			out := []string{name}
			for _, t := range sides {
				out = append(out, f(t))
			}
			return out
		}
		rows := [][]string{
			row("outcome", func(t *Trace) string { return t.Reason }),
			row("VirtualService", func(t *Trace) string { return orNone(t.VirtualService) }),
			row("route", func(t *Trace) string { return orNone(t.Route) }),
			row("clusters", func(t *Trace) string {
				var cs []string
				for _, d := range t.Destinations {
					cs = append(cs, fmt.Sprintf("%s (%d)", d.EnvoyCluster, d.Weight))
				}
				return orNone(strings.Join(cs, ", "))
			}),
		}
		// Rows a side has something for, as text shows them.
		for _, opt := range []struct {
			name string
			f    func(*Trace) string
		}{{"rewrite", func(t *Trace) string { return t.Rewrite }}, {"fault", func(t *Trace) string { return t.Fault }}, {"mirror", func(t *Trace) string { return t.Mirror }}} {
			for _, t := range sides {
				if opt.f(t) != "" {
					rows = append(rows, row(opt.name, func(t *Trace) string { return orNone(opt.f(t)) }))
					break
				}
			}
		}
		if err := printers.MarkdownTable(w, header, rows); err != nil {
			return err
		}
		var eps [][]string
		for _, side := range []struct {
			name string
			t    *Trace
		}{{"configuration", r.Config}, {"proxy", r.Proxy}} {
			if side.t == nil {
				continue
			}
			for _, d := range side.t.Destinations {
				for _, e := range d.Endpoints {
					eps = append(eps, []string{side.name, d.EnvoyCluster, strconv.Itoa(int(e.Priority)), e.hostPort(), e.Locality, strconv.Itoa(int(e.Weight)), e.Health})
				}
			}
		}
		if len(eps) > 0 {
			fmt.Fprintln(w)
			if err := printers.MarkdownTable(w, []string{"side", "cluster", "priority", "address", "locality", "weight", "health"}, eps); err != nil {
				return err
			}
		}
		if len(r.Differences) > 0 {
			fmt.Fprintln(w)
			for _, d := range r.Differences {
				fmt.Fprintf(w, "- %s\n", d)
			}
		}
		var notes []string
		for _, side := range []struct {
			name string
			t    *Trace
		}{{"configuration", r.Config}, {"proxy", r.Proxy}} {
			if side.t != nil {
				for _, n := range side.t.Notes {
					notes = append(notes, fmt.Sprintf("- note (%s): %s", side.name, n))
				}
			}
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
		}
	}
	return nil
}

func mdVerdict(r Result) string {
	if r.Error != "" {
		return "error: " + r.Error
	}
	return verdict(r)
}
