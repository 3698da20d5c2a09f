package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// graph is the picture of a chain, independent of the drawing language:
// the VirtualDestination, then one group per cluster holding its
// ServiceEntries, WorkloadEntries, DestinationRules, VirtualServices and
// gateways, and the edges between them.
type graph struct {
	title  string
	root   node
	groups []group
	edges  []edge
}

type nodeKind string

const (
	kindVD      nodeKind = "vd"
	kindSE      nodeKind = "se"
	kindWE      nodeKind = "we"
	kindDR      nodeKind = "dr"
	kindVS      nodeKind = "vs"
	kindGateway nodeKind = "gw"
	kindMissing nodeKind = "missing"
)

type node struct {
	id    string
	kind  nodeKind
	lines []string
	// severity of the worst finding naming the node (0: none), and the
	// codes of those findings.
	severity explain.Severity
	codes    []string
	dashed   bool
}

type group struct {
	id    string
	label string
	nodes []node
}

type edge struct {
	from, to, label string
	dashed          bool
}

// buildGraph lays the chain out.
func buildGraph(r *Report) *graph {
	ch := r.Chain
	g := &graph{title: "VirtualDestination " + ch.Namespace + "/" + ch.Name}
	if s := summaryLine(r.Summary); s != "" {
		g.title += " - " + s
	}
	g.root = node{id: "vd", kind: kindVD, lines: []string{"VirtualDestination", ch.Namespace + "/" + ch.Name}}
	switch {
	case ch.ParentFound():
		vd := ch.VirtualDestinations[0]
		var ports []string
		for _, p := range vd.Ports {
			ports = append(ports, strconv.FormatInt(p.Number, 10)+"/"+p.Protocol)
		}
		g.root.lines = append(g.root.lines, strings.Join(vd.Hosts, " ")+" "+strings.Join(ports, " "))
		for _, v := range ch.VirtualDestinations {
			r.mark(&g.root, v.Ref)
		}
	case ch.GlooAPIServed():
		g.root.lines = append(g.root.lines, "not found: inferred from its translations")
		g.root.dashed = true
	default:
		g.root.lines = append(g.root.lines, "Gloo API not served: inferred from its translations")
		g.root.dashed = true
	}
	// Findings about the VirtualDestination without naming an object.
	for ci, cl := range ch.Clusters {
		g.groups = append(g.groups, r.clusterGroup(g, ci, cl))
	}
	return g
}

func summaryLine(s Summary) string {
	var parts []string
	if s.Errors > 0 {
		parts = append(parts, plural(s.Errors, "error"))
	}
	if s.Warnings > 0 {
		parts = append(parts, plural(s.Warnings, "warning"))
	}
	if s.Infos > 0 {
		parts = append(parts, fmt.Sprintf("%d info", s.Infos))
	}
	if len(parts) == 0 {
		parts = append(parts, "no findings")
	}
	if s.Suppressed > 0 {
		parts = append(parts, fmt.Sprintf("%d suppressed", s.Suppressed))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, s string) string {
	if n == 1 {
		return "1 " + s
	}
	return fmt.Sprintf("%d %ss", n, s)
}

// mark records on a node the findings that name ref.
func (r *Report) mark(n *node, ref model.Ref) {
	for _, f := range r.findingsOf(ref) {
		if f.Severity > n.severity {
			n.severity = f.Severity
		}
		n.codes = append(n.codes, f.Code)
	}
	n.codes = uniq(n.codes)
	sort.Strings(n.codes)
}

func (r *Report) clusterGroup(g *graph, ci int, cl model.Cluster) group {
	id := func(kind string, i int) string { return fmt.Sprintf("c%d_%s%d", ci, kind, i) }
	label := cl.Name
	if cl.Name == "" {
		label = "no known cluster"
	}
	var ctxs []string
	for _, c := range cl.Contexts {
		if c != "" && c != cl.Name {
			ctxs = append(ctxs, c)
		}
	}
	if len(ctxs) > 0 {
		label += " (context " + strings.Join(ctxs, ", ") + ")"
	}
	gr := group{id: fmt.Sprintf("cluster_%d", ci), label: label}

	if cl.Unreadable || !cl.HasTranslation() {
		n := node{id: id("none", 0), kind: kindMissing, dashed: true}
		switch {
		case cl.Unreadable:
			n.lines = []string{"could not be read"}
		default:
			n.lines = []string{"no translation"}
		}
		// Cluster-level findings (no translation) name the VirtualDestination.
		for _, f := range r.Findings {
			if f.Cluster == cl.Name && f.Code == "VD101" {
				n.severity = f.Severity
				n.codes = []string{f.Code}
			}
		}
		gr.nodes = append(gr.nodes, n)
		g.edges = append(g.edges, edge{from: g.root.id, to: n.id, dashed: true})
	}

	seIDs := map[int]string{}
	for i, se := range cl.ServiceEntries {
		n := node{id: id("se", i), kind: kindSE, lines: []string{"ServiceEntry", nsName(se.Ref)}}
		if se.Error == "" {
			var ports []string
			for _, p := range se.Ports {
				ports = append(ports, fmt.Sprintf("%s %d/%s", p.Name, p.Number, p.Protocol))
			}
			n.lines = append(n.lines, strings.Join(se.Hosts, " ")+" "+strings.Join(se.Addresses, " "), strings.Join(ports, " "),
				"exportTo "+strings.Join(exportTo(se.ExportTo), " "))
		}
		r.mark(&n, se.Ref)
		gr.nodes = append(gr.nodes, n)
		seIDs[i] = n.id
		g.edges = append(g.edges, edge{from: g.root.id, to: n.id, label: "translates to"})
	}
	sel := model.Select(&cl)
	for i, we := range cl.WorkloadEntries {
		n := node{id: id("we", i), kind: kindWE, lines: []string{"WorkloadEntry", nsName(we.Ref)}}
		if we.Error == "" {
			to := we.Address
			if we.RemoteCluster != "" {
				to = "to " + we.RemoteCluster + " via " + we.Address
			}
			loc := "locality " + we.Locality
			if we.Locality == "" {
				loc = "no locality"
			}
			var ports []string
			for _, k := range sortedKeys(we.Ports) {
				ports = append(ports, fmt.Sprintf("%s->%d", k, we.Ports[k]))
			}
			n.lines = append(n.lines, to, loc, strings.Join(ports, " "))
		}
		r.mark(&n, we.Ref)
		gr.nodes = append(gr.nodes, n)
		// The selecting entries from the index, in ServiceEntry order.
		var selecting []int
		for _, gi := range sel.GroupsOf(i) {
			selecting = append(selecting, sel.Groups[gi].Entries...)
		}
		sort.Ints(selecting)
		for _, si := range selecting {
			g.edges = append(g.edges, edge{from: seIDs[si], to: n.id, label: "endpoint"})
		}
		if len(selecting) == 0 {
			g.edges = append(g.edges, edge{from: g.root.id, to: n.id, label: "not selected", dashed: true})
		}
	}
	for i, dr := range cl.DestinationRules {
		n := node{id: id("dr", i), kind: kindDR, lines: []string{"DestinationRule", nsName(dr.Ref)}}
		for _, p := range dr.Policies {
			n.lines = append(n.lines, p.Scope()+": "+policyShort(p))
		}
		r.mark(&n, dr.Ref)
		gr.nodes = append(gr.nodes, n)
		linked := false
		for si, se := range cl.ServiceEntries {
			if model.HostIn(dr.Host, se.Hosts) {
				g.edges = append(g.edges, edge{from: seIDs[si], to: n.id, label: "policy"})
				linked = true
			}
		}
		if !linked {
			g.edges = append(g.edges, edge{from: g.root.id, to: n.id, label: "translates to"})
		}
	}
	gateways := map[string]string{}
	var gwOrder []string
	missing := map[string]string{}
	for i, vs := range cl.VirtualServices {
		n := node{id: id("vs", i), kind: kindVS, lines: []string{"VirtualService", nsName(vs.Ref)}}
		if vs.Parent != nil && !vs.Translated {
			n.lines = append(n.lines, "from "+vs.Parent.Kind+" "+vs.Parent.Namespace+"/"+vs.Parent.Name)
		}
		r.mark(&n, vs.Ref)
		gr.nodes = append(gr.nodes, n)
		for _, gw := range gatewayNames(vs) {
			gid, ok := gateways[gw]
			if !ok {
				gid = id("gw", len(gateways))
				gateways[gw] = gid
				gwOrder = append(gwOrder, gw)
			}
			g.edges = append(g.edges, edge{from: gid, to: n.id, label: "binds"})
		}
		// One edge per (target, port).
		seen := map[string]bool{}
		for _, rt := range vs.Routes {
			for _, d := range rt.Destinations {
				if !d.InChain {
					continue
				}
				label := "routes"
				if d.Port != 0 {
					label += " :" + strconv.Itoa(int(d.Port))
				}
				if d.Subset != "" {
					label += " " + d.Subset
				}
				var targets []string
				for si, se := range cl.ServiceEntries {
					if model.HostIn(d.Host, se.Hosts) {
						targets = append(targets, seIDs[si])
					}
				}
				if len(targets) == 0 {
					mid, ok := missing[d.Host]
					if !ok {
						mid = id("missing", len(missing))
						missing[d.Host] = mid
						mn := node{id: mid, kind: kindMissing, dashed: true, lines: []string{d.Host, "no ServiceEntry declares it"},
							severity: explain.Error}
						gr.nodes = append(gr.nodes, mn)
					}
					targets = []string{mid}
				}
				for _, tgt := range targets {
					if key := tgt + label; !seen[key] {
						seen[key] = true
						g.edges = append(g.edges, edge{from: n.id, to: tgt, label: label})
					}
				}
			}
		}
	}
	for _, gw := range gwOrder {
		gr.nodes = append(gr.nodes, node{id: gateways[gw], kind: kindGateway, lines: gatewayLabel(gw)})
	}
	return gr
}

// gatewayNames are the gateways a VirtualService binds to, as
// namespace/name ("mesh" for sidecars).
func gatewayNames(vs model.VirtualService) []string {
	if len(vs.Gateways) == 0 {
		return []string{"mesh"}
	}
	var out []string
	for _, gw := range vs.Gateways {
		if gw == "mesh" || strings.Contains(gw, "/") {
			out = append(out, gw)
			continue
		}
		out = append(out, vs.Ref.Namespace+"/"+gw)
	}
	return out
}

func gatewayLabel(gw string) []string {
	if gw == "mesh" {
		return []string{"mesh", "(sidecars)"}
	}
	return []string{"Gateway", gw}
}

func policyShort(p model.TrafficPolicy) string {
	var parts []string
	if p.TLS != nil {
		s := p.TLS.Mode
		if n := len(p.TLS.SubjectAltNames); n > 0 {
			var tds []string
			for _, san := range p.TLS.SubjectAltNames {
				if td := model.TrustDomain(san); td != "" {
					tds = append(tds, td)
				}
			}
			if len(tds) == n {
				s += " SANs " + strings.Join(uniq(tds), ",")
			} else {
				s += fmt.Sprintf(" %d SANs", n)
			}
		}
		parts = append(parts, s)
	}
	if p.LocalityEnabled() {
		parts = append(parts, "locality LB")
	}
	if od := p.OutlierDetection; od != nil {
		s := "outlier"
		if od.Consecutive5xxErrors != nil {
			s += fmt.Sprintf(" 5xx=%d", *od.Consecutive5xxErrors)
		}
		if od.MaxEjectionPercent != 0 {
			s += fmt.Sprintf(" max=%d%%", od.MaxEjectionPercent)
		}
		parts = append(parts, s)
	} else if p.LocalityFailover() {
		parts = append(parts, "NO outlier detection")
	}
	if len(parts) == 0 {
		return "defaults"
	}
	return strings.Join(parts, ", ")
}

func (n node) label() []string {
	lines := n.lines
	if len(n.codes) > 0 {
		lines = append(append([]string{}, lines...), "! "+strings.Join(n.codes, " "))
	}
	return lines
}

// Colours of the picture.
var (
	kindFill = map[nodeKind]string{
		kindVD: "#e4dcff", kindSE: "#dcefff", kindWE: "#e2f5e2", kindDR: "#fff5cc",
		kindVS: "#eeeeee", kindGateway: "#f7f7f7", kindMissing: "#ffffff",
	}
	severityColour = map[explain.Severity]string{
		explain.Error: "#d62728", explain.Warning: "#ff7f0e", explain.Info: "#1f77b4",
	}
)
