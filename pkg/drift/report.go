package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
)

// ProxyResult is one proxy compared with its translation.
type ProxyResult struct {
	Context     string       `json:"context"`
	Proxy       Proxy        `json:"proxy"`
	InSync      bool         `json:"inSync"`
	Differences []Difference `json:"differences"`
	// Error is set when the proxy could not be compared.
	Error string `json:"error,omitempty"`

	state State
}

// Report is every proxy and the comparison across contexts.
type Report struct {
	Proxies        []ProxyResult  `json:"proxies"`
	AcrossContexts []Disagreement `json:"acrossContexts"`
}

// Drifted reports whether a proxy differs from its translation or proxies
// of two contexts disagree.
func (r *Report) Drifted() bool {
	if len(r.AcrossContexts) > 0 {
		return true
	}
	for _, p := range r.Proxies {
		if !p.InSync && p.Error == "" {
			return true
		}
	}
	return false
}

// KeepHosts is the filter for envoy.ReadOptions.Keep: the outbound
// clusters of the hosts.
func KeepHosts(hosts []string) func(string) bool {
	set := map[string]bool{}
	for _, h := range hosts {
		set[h] = true
	}
	return func(name string) bool {
		_, _, host, ok := ParseClusterName(name)
		return ok && set[host]
	}
}

// FromDump decodes the kept clusters of a dump (read with ClusterJSON and
// Endpoints) into their state.
func FromDump(d *envoy.Dump) (State, error) {
	var clusters []*clusterv3.Cluster
	for _, c := range d.Clusters {
		if c.Raw == nil {
			continue
		}
		cl, _, err := envoy.DecodeCluster(c.Raw)
		if err != nil {
			return nil, fmt.Errorf("cluster %q: %w", c.Name, err)
		}
		if cl != nil {
			clusters = append(clusters, cl)
		}
	}
	return Actual(clusters, d.Endpoints), nil
}

// NewProxyResult compares a proxy's state with the expected one.
func NewProxyResult(context string, p Proxy, actual, expected State) ProxyResult {
	d := Compare(actual, expected)
	if d == nil {
		d = []Difference{}
	}
	return ProxyResult{Context: context, Proxy: p, InSync: len(d) == 0, Differences: d, state: actual}
}

// NewReport gathers the proxies and compares those of different contexts.
func NewReport(results []ProxyResult) *Report {
	r := &Report{Proxies: results, AcrossContexts: []Disagreement{}}
	var holders []Holder
	for _, p := range results {
		if p.Error == "" && p.state != nil {
			holders = append(holders, Holder{Context: p.Context, Proxy: p.Proxy.String(), State: p.state})
		}
	}
	if a := Across(holders); a != nil {
		r.AcrossContexts = a
	}
	return r
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// WriteText writes one line per proxy ("in sync", or the number of
// differences followed by one line each), then the disagreements across
// contexts.
func WriteText(w io.Writer, r *Report) error {
	for _, p := range r.Proxies {
		head := fmt.Sprintf("context %s, proxy %s", contextLabel(p.Context), p.Proxy)
		switch {
		case p.Error != "":
			fmt.Fprintf(w, "%s: not compared: %s\n", head, p.Error)
		case p.InSync:
			fmt.Fprintf(w, "%s: in sync\n", head)
		default:
			fmt.Fprintf(w, "%s: %d difference%s (proxy -> expected)\n", head, len(p.Differences), plural(len(p.Differences)))
			for _, d := range p.Differences {
				fmt.Fprintf(w, "  %s: %s -> %s\n", d.Path(), d.Proxy, d.Expected)
			}
		}
	}
	if len(r.AcrossContexts) > 0 {
		fmt.Fprintf(w, "across contexts: %d field%s held differently\n", len(r.AcrossContexts), plural(len(r.AcrossContexts)))
		for _, a := range r.AcrossContexts {
			fmt.Fprintf(w, "  %s %s: %s\n", a.Cluster, a.Field, valuesLine(a.Values))
		}
	}
	return nil
}

// valuesLine groups holders by value: "2 (cluster1 ns/a, cluster1 ns/b); 5 (cluster2 ns/a)".
func valuesLine(values map[string]string) string {
	by := map[string][]string{}
	for who, v := range values {
		by[v] = append(by[v], who)
	}
	vals := make([]string, 0, len(by))
	for v := range by {
		vals = append(vals, v)
	}
	sort.Strings(vals)
	var parts []string
	for _, v := range vals {
		sort.Strings(by[v])
		parts = append(parts, fmt.Sprintf("%s (%s)", v, strings.Join(by[v], ", ")))
	}
	return strings.Join(parts, "; ")
}

// WriteMarkdown writes the differences and disagreements as tables.
func WriteMarkdown(w io.Writer, r *Report) error {
	var rows [][]string
	for _, p := range r.Proxies {
		switch {
		case p.Error != "":
			rows = append(rows, []string{contextLabel(p.Context), p.Proxy.String(), "", "", "not compared: " + p.Error, ""})
		case p.InSync:
			rows = append(rows, []string{contextLabel(p.Context), p.Proxy.String(), "", "", "in sync", ""})
		}
		for _, d := range p.Differences {
			rows = append(rows, []string{contextLabel(p.Context), p.Proxy.String(), d.Cluster, d.Field, d.Proxy, d.Expected})
		}
	}
	if err := printers.MarkdownTable(w, []string{"CONTEXT", "PROXY", "CLUSTER", "FIELD", "PROXY VALUE", "EXPECTED"}, rows); err != nil {
		return err
	}
	if len(r.AcrossContexts) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	var across [][]string
	for _, a := range r.AcrossContexts {
		across = append(across, []string{a.Cluster, a.Field, valuesLine(a.Values)})
	}
	return printers.MarkdownTable(w, []string{"CLUSTER", "FIELD", "VALUES ACROSS CONTEXTS"}, across)
}

func contextLabel(c string) string {
	if c == "" {
		return "(files)"
	}
	return c
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
