package render

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// Width is the column the narrative wraps at.
const Width = 100

// TextOptions tune the narrative.
type TextOptions struct {
	// Color adds ANSI colours (the caller decides: terminal, NO_COLOR).
	Color bool
}

// Text writes the narrative: the VirtualDestination, then each cluster's
// chain, then the findings sorted by severity.
func Text(w io.Writer, r *Report, o TextOptions) error {
	bw := bufio.NewWriter(w)
	t := &textWriter{w: bw, style: style{on: o.Color}, r: r}
	t.parent()
	for _, cl := range r.Chain.Clusters {
		t.blank()
		t.cluster(cl)
	}
	t.blank()
	t.findings()
	return bw.Flush()
}

type textWriter struct {
	w     *bufio.Writer
	style style
	r     *Report
}

func (t *textWriter) blank() { t.w.WriteString("\n") }

// line writes one line at an indent, as is (styled text must be prepared
// by the caller).
func (t *textWriter) line(indent int, s string) {
	t.w.WriteString(strings.Repeat(" ", indent))
	t.w.WriteString(s)
	t.w.WriteString("\n")
}

// para writes prose wrapped at Width; the first line starts with lead
// (already styled, of visible width leadWidth) and the next ones are
// indented to hang under the text.
func (t *textWriter) para(indent int, lead string, leadWidth int, text string, paint func(string) string) {
	lines := wrap(text, Width-indent-leadWidth)
	for i, l := range lines {
		if paint != nil {
			l = paint(l)
		}
		if i == 0 {
			t.line(indent, lead+l)
		} else {
			t.line(indent+leadWidth, l)
		}
	}
}

// list writes "label a, b, c" wrapped at commas.
func (t *textWriter) list(indent int, label string, items []string) {
	t.para(indent, label+" ", len(label)+1, strings.Join(items, ", "), nil)
}

func (t *textWriter) header(indent int, ref model.Ref) {
	t.line(indent, t.style.kind(ref.Kind)+" "+t.style.bold(nsName(ref)))
	fs := t.r.findingsOf(ref)
	if len(fs) == 0 {
		return
	}
	codes := make([]string, len(fs))
	for i, f := range fs {
		codes[i] = f.Code
	}
	t.line(indent+2, t.style.severity(worst(fs), "! see "+strings.Join(uniq(codes), ", ")))
}

func nsName(r model.Ref) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

func (t *textWriter) parent() {
	ch := t.r.Chain
	t.line(0, t.style.kind("VirtualDestination")+" "+t.style.bold(ch.Namespace+"/"+ch.Name))
	switch {
	case ch.ParentFound():
		vd := ch.VirtualDestinations[0]
		var where []string
		for _, v := range ch.VirtualDestinations {
			where = append(where, contextName(v.Ref.Context, v.Cluster))
		}
		t.list(2, "found in", where)
		for _, v := range ch.VirtualDestinations {
			if v.Error != "" {
				t.para(2, "", 0, contextName(v.Ref.Context, v.Cluster)+": "+v.Error, t.style.err)
			}
		}
		if len(vd.Hosts) > 0 {
			t.list(2, "hosts", vd.Hosts)
		}
		var ports []string
		for _, p := range vd.Ports {
			s := strconv.FormatInt(p.Number, 10)
			if p.Protocol != "" {
				s += "/" + p.Protocol
			}
			if p.TargetPort != "" {
				s += " (target " + p.TargetPort + ")"
			}
			ports = append(ports, s)
		}
		if len(ports) > 0 {
			t.list(2, "ports", ports)
		}
		for _, s := range vd.Services {
			t.para(2, "service ", 8, serviceSelector(s), nil)
		}
	case ch.GlooAPIServed():
		var where []string
		for _, c := range ch.Contexts {
			if c.GlooAPI && c.Error == "" {
				where = append(where, contextName(c.Name, c.Cluster))
			}
		}
		t.para(2, "", 0, "not found in "+strings.Join(where, ", ")+"; the chain below is inferred from its translations", t.style.warn)
		if len(ch.Hosts) > 0 {
			t.list(2, "hosts (from the ServiceEntries)", ch.Hosts)
		}
	default:
		t.para(2, "", 0, "no context read serves the Gloo API (networking.gloo.solo.io): the chain below is inferred from its translations", t.style.dim)
		if len(ch.Hosts) > 0 {
			t.list(2, "hosts (from the ServiceEntries)", ch.Hosts)
		}
	}
}

func contextName(ctx, cluster string) string {
	switch {
	case ctx == "":
		return "the files read"
	case cluster == "" || cluster == ctx:
		return "context " + ctx
	}
	return "context " + ctx + " (cluster " + cluster + ")"
}

func serviceSelector(s model.VDService) string {
	var parts []string
	if s.Name != "" {
		parts = append(parts, "name "+s.Name)
	}
	if len(s.Labels) > 0 {
		parts = append(parts, "labels "+model.LabelsString(s.Labels))
	}
	if s.Namespace != "" {
		parts = append(parts, "in namespace "+s.Namespace)
	}
	if s.Cluster != "" {
		parts = append(parts, "in cluster "+s.Cluster)
	} else {
		parts = append(parts, "in every cluster")
	}
	return strings.Join(parts, ", ")
}

func (t *textWriter) cluster(cl model.Cluster) {
	title := "Cluster " + cl.Name
	if cl.Name == "" {
		title = "Objects of no known cluster"
	}
	var ctxs []string
	for _, c := range cl.Contexts {
		if c != "" && c != cl.Name {
			ctxs = append(ctxs, c)
		}
	}
	if len(ctxs) > 0 {
		title += " (context " + strings.Join(ctxs, ", ") + ")"
	}
	t.line(0, t.style.bold(title))
	for _, c := range t.r.Chain.Contexts {
		if c.Cluster == cl.Name && c.Error != "" {
			t.para(2, "", 0, "context "+c.Name+" could not be read: "+c.Error, t.style.err)
		}
	}
	if cl.Unreadable {
		return
	}
	if !cl.HasTranslation() {
		if cl.Name != "" && !cl.IstioAPI && len(cl.VirtualServices) == 0 {
			t.line(2, t.style.dim("does not serve networking.istio.io: nothing to translate into"))
			return
		}
		t.line(2, t.style.warn("no object translated from the VirtualDestination"))
	}
	// Each WorkloadEntry is told once, under the first ServiceEntry that
	// selects it: many ServiceEntries sharing a selector would otherwise
	// repeat them all, a text growing with their product.
	sel := model.Select(&cl)
	st := &selectionTold{sel: sel, told: make([]bool, len(cl.WorkloadEntries)), teller: make([]int, len(sel.Groups))}
	for g := range st.teller {
		st.teller[g] = -1
	}
	for si, se := range cl.ServiceEntries {
		t.serviceEntry(cl, si, se, st)
	}
	// WorkloadEntries no ServiceEntry selects.
	for wi, we := range cl.WorkloadEntries {
		if !sel.Selected(wi) {
			t.workloadEntry(2, we)
		}
	}
	for _, dr := range cl.DestinationRules {
		t.destinationRule(dr)
	}
	for _, o := range cl.Others {
		t.header(2, o)
	}
	// Objects of other parents (or written by hand) for the same hosts,
	// which Istio merges with the translation's.
	if len(cl.OtherServiceEntries)+len(cl.OtherDestinationRules) > 0 {
		t.line(2, t.style.bold("Also for "+strings.Join(t.r.Chain.Hosts, ", ")))
		for _, se := range cl.OtherServiceEntries {
			t.header(4, se.Ref)
			t.list(6, "hosts", se.Hosts)
			if len(se.Addresses) > 0 {
				t.list(6, "addresses", se.Addresses)
			}
			var ports []string
			for _, p := range se.Ports {
				ports = append(ports, portString(p))
			}
			if len(ports) > 0 {
				t.list(6, "ports", ports)
			}
			t.list(6, "exported to", exportTo(se.ExportTo))
		}
		for _, dr := range cl.OtherDestinationRules {
			t.header(4, dr.Ref)
			t.line(6, "host "+dr.Host)
			t.list(6, "exported to", exportTo(dr.ExportTo))
			if len(dr.Subsets) > 0 {
				t.list(6, "subsets", dr.Subsets)
			}
		}
	}
	if len(cl.VirtualServices) > 0 {
		t.line(2, t.style.bold("Routed to by"))
		for _, vs := range cl.VirtualServices {
			t.virtualService(vs)
		}
	} else if cl.HasTranslation() {
		t.line(2, t.style.dim("no VirtualService routes to "+strings.Join(t.r.Chain.Hosts, ", ")))
	}
}

// selectionTold remembers, while a cluster is told, which WorkloadEntries
// have been and under which ServiceEntry each selector's were.
type selectionTold struct {
	sel    *model.Selection
	told   []bool // per WorkloadEntry
	teller []int  // per selector group, the ServiceEntry that told them, -1 before
}

func countWorkloadEntries(n int) string {
	if n == 1 {
		return "1 WorkloadEntry"
	}
	return strconv.Itoa(n) + " WorkloadEntries"
}

func (t *textWriter) serviceEntry(cl model.Cluster, si int, se model.ServiceEntry, st *selectionTold) {
	t.header(2, se.Ref)
	if se.Error != "" {
		t.para(4, "", 0, se.Error, t.style.err)
		return
	}
	t.list(4, "hosts", se.Hosts)
	if len(se.Addresses) > 0 {
		t.list(4, "addresses", se.Addresses)
	}
	var ports []string
	for _, p := range se.Ports {
		ports = append(ports, portString(p))
	}
	if len(ports) > 0 {
		t.list(4, "ports", ports)
	}
	t.line(4, "location "+se.Location+", resolution "+se.Resolution)
	t.list(4, "exported to", exportTo(se.ExportTo))
	if len(se.WorkloadSelector) > 0 {
		t.line(4, "local endpoints: workloads labelled "+model.LabelsString(se.WorkloadSelector))
	}
	g := st.sel.GroupOf(si)
	if g < 0 {
		return
	}
	group := st.sel.Groups[g]
	labels := model.LabelsString(group.Selector)
	if first := st.teller[g]; first >= 0 {
		if n := len(group.Workloads); n > 0 {
			t.para(4, "", 0, fmt.Sprintf("selects the %s labelled %s told under %s", countWorkloadEntries(n), labels,
				cl.ServiceEntries[first].Ref), nil)
		}
		return
	}
	st.teller[g] = si
	already := 0
	for _, wi := range group.Workloads {
		if st.told[wi] {
			already++
			continue
		}
		st.told[wi] = true
		t.workloadEntry(4, cl.WorkloadEntries[wi])
	}
	if already > 0 {
		t.para(4, "", 0, fmt.Sprintf("also selects %s labelled %s told above", countWorkloadEntries(already), labels), nil)
	}
}

// exportTo spells out Istio's exportTo values.
func exportTo(e []string) []string {
	if len(e) == 0 {
		return []string{"every namespace (no exportTo)"}
	}
	out := make([]string, len(e))
	for i, x := range e {
		switch x {
		case ".":
			out[i] = ". (its own namespace)"
		case "*":
			out[i] = "* (every namespace)"
		case "~":
			out[i] = "~ (no namespace)"
		default:
			out[i] = x
		}
	}
	return out
}

func (t *textWriter) workloadEntry(indent int, we model.WorkloadEntry) {
	t.header(indent, we.Ref)
	if we.Error != "" {
		t.para(indent+2, "", 0, we.Error, t.style.err)
		return
	}
	to := "endpoint " + we.Address
	if we.RemoteCluster != "" {
		to = "to cluster " + we.RemoteCluster + " via " + we.Address
	}
	if we.Network != "" {
		to += " (network " + we.Network + ")"
	}
	t.line(indent+2, to)
	loc := "locality " + we.Locality
	if we.Locality == "" {
		loc = t.style.warn("no locality")
	}
	if we.Weight != 0 {
		loc += fmt.Sprintf(", weight %d", we.Weight)
	}
	t.line(indent+2, loc)
	var ports []string
	for _, k := range sortedKeys(we.Ports) {
		ports = append(ports, fmt.Sprintf("%s -> %d", k, we.Ports[k]))
	}
	if len(ports) == 0 {
		ports = []string{"none mapped"}
	}
	t.list(indent+2, "ports", ports)
	if we.ServiceAccount != "" {
		t.line(indent+2, "service account "+we.ServiceAccount)
	}
}

func (t *textWriter) destinationRule(dr model.DestinationRule) {
	t.header(2, dr.Ref)
	if dr.Error != "" {
		t.para(4, "", 0, dr.Error, t.style.err)
		return
	}
	t.line(4, "host "+dr.Host)
	t.list(4, "exported to", exportTo(dr.ExportTo))
	if len(dr.Subsets) > 0 {
		t.list(4, "subsets", dr.Subsets)
	}
	if len(dr.Policies) == 0 {
		t.line(4, "no traffic policy")
	}
	for _, p := range dr.Policies {
		t.line(4, p.Scope())
		t.policy(6, p)
	}
}

func (t *textWriter) policy(indent int, p model.TrafficPolicy) {
	if p.TLS != nil {
		tls := "tls " + p.TLS.Mode
		if p.TLS.SNI != "" {
			tls += ", sni " + p.TLS.SNI
		}
		if p.TLS.CredentialName != "" {
			tls += ", credential " + p.TLS.CredentialName
		}
		t.line(indent, tls)
		for _, san := range p.TLS.SubjectAltNames {
			t.line(indent+2, "accepts "+san)
		}
	} else {
		t.line(indent, "tls not set (Istio's automatic mTLS)")
	}
	if lb := p.LoadBalancer; lb != nil {
		var parts []string
		if lb.Simple != "" {
			parts = append(parts, lb.Simple)
		}
		if lb.ConsistentHash {
			parts = append(parts, "consistent hash")
		}
		if l := lb.Locality; l != nil {
			parts = append(parts, localityString(p, l))
		}
		if len(parts) == 0 {
			parts = append(parts, "default")
		}
		t.line(indent, "load balancer "+strings.Join(parts, ", "))
	}
	if od := p.OutlierDetection; od != nil {
		t.para(indent, "outlier detection ", 18, outlierString(od), nil)
	} else if p.LocalityFailover() {
		t.line(indent, t.style.err("no outlier detection: locality failover is ignored"))
	}
	if len(p.ConnectionPool) > 0 {
		t.para(indent, "connection pool ", 16, flatten("", p.ConnectionPool), nil)
	}
}

func localityString(p model.TrafficPolicy, l *model.LocalityLB) string {
	if !p.LocalityEnabled() {
		return "locality load balancing off"
	}
	var parts []string
	for _, f := range l.Failover {
		parts = append(parts, "fail over from "+f.From+" to "+f.To)
	}
	if len(l.FailoverPriority) > 0 {
		parts = append(parts, "failover priority "+strings.Join(l.FailoverPriority, " "))
	}
	for _, d := range l.Distribute {
		var to []string
		for _, k := range sortedKeys(d.To) {
			to = append(to, fmt.Sprintf("%s %d%%", k, d.To[k]))
		}
		parts = append(parts, "from "+d.From+" send "+strings.Join(to, ", "))
	}
	if len(parts) == 0 {
		return "locality failover (nearest locality first)"
	}
	return "locality " + strings.Join(parts, "; ")
}

func outlierString(od *model.OutlierDetection) string {
	var parts []string
	if od.Consecutive5xxErrors != nil {
		parts = append(parts, fmt.Sprintf("eject after %d consecutive 5xx", *od.Consecutive5xxErrors))
	}
	if od.ConsecutiveGatewayErrors != nil {
		parts = append(parts, fmt.Sprintf("after %d consecutive gateway errors", *od.ConsecutiveGatewayErrors))
	}
	if od.ConsecutiveLocalOriginFailures != nil {
		parts = append(parts, fmt.Sprintf("after %d local origin failures", *od.ConsecutiveLocalOriginFailures))
	}
	if od.Interval != "" {
		parts = append(parts, "checked every "+od.Interval)
	}
	if od.BaseEjectionTime != "" {
		parts = append(parts, "ejected for "+od.BaseEjectionTime)
	}
	if od.MaxEjectionPercent != 0 {
		parts = append(parts, fmt.Sprintf("up to %d%% of endpoints", od.MaxEjectionPercent))
	}
	if od.MinHealthPercent != 0 {
		parts = append(parts, fmt.Sprintf("while at least %d%% are healthy", od.MinHealthPercent))
	}
	if len(parts) == 0 {
		return "on (Envoy's defaults)"
	}
	return strings.Join(parts, ", ")
}

// flatten prints a JSON object as a.b=v pairs.
func flatten(prefix string, m map[string]any) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := m[k].(map[string]any); ok {
			parts = append(parts, flatten(key, sub))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%v", key, m[k]))
	}
	return strings.Join(parts, ", ")
}

func (t *textWriter) virtualService(vs model.VirtualService) {
	t.header(4, vs.Ref)
	if vs.Error != "" {
		t.para(6, "", 0, vs.Error, t.style.err)
		return
	}
	switch {
	case vs.Translated:
		t.line(6, "translated from the VirtualDestination")
	case vs.Parent != nil:
		p := vs.Parent
		t.line(6, "from "+p.Kind+" "+p.Namespace+"/"+p.Name)
	default:
		t.line(6, "written by hand (no Gloo parent)")
	}
	if len(vs.Gateways) > 0 {
		t.list(6, "gateways", vs.Gateways)
	} else {
		t.line(6, "gateways mesh (sidecars)")
	}
	t.list(6, "hosts", vs.Hosts)
	t.list(6, "exported to", exportTo(vs.ExportTo))
	for _, r := range vs.Routes {
		var dests []string
		for _, d := range r.Destinations {
			dests = append(dests, destinationString(d))
		}
		name := r.Protocol + " route"
		if r.Name != "" {
			name += " " + r.Name
		}
		t.para(6, name+" -> ", len(name)+4, strings.Join(dests, ", "), nil)
		for _, m := range r.Matches {
			t.para(8, "when ", 5, m, nil)
		}
	}
}

func destinationString(d model.Destination) string {
	s := d.Host
	if d.Port != 0 {
		s += ":" + strconv.Itoa(int(d.Port))
	}
	if d.Subset != "" {
		s += " subset " + d.Subset
	}
	if d.Weight != 0 {
		s += fmt.Sprintf(" (%d%%)", d.Weight)
	}
	if d.Mirror {
		s += " (mirror)"
	}
	return s
}

func (t *textWriter) findings() {
	fs := t.r.Findings
	suppressed := ""
	if n := t.r.Summary.Suppressed; n > 0 {
		suppressed = fmt.Sprintf(" (%d suppressed)", n)
	}
	if len(fs) == 0 {
		t.line(0, t.style.bold("Findings: none"+suppressed))
		return
	}
	s := t.r.Summary
	var counts []string
	for _, c := range []struct {
		n    int
		name string
	}{{s.Errors, "error"}, {s.Warnings, "warning"}, {s.Infos, "info"}} {
		if c.n > 0 {
			name := c.name
			if c.n > 1 && c.name != "info" {
				name += "s"
			}
			counts = append(counts, fmt.Sprintf("%d %s", c.n, name))
		}
	}
	t.line(0, t.style.bold("Findings: "+strings.Join(counts, ", ")+suppressed))
	for _, f := range fs {
		t.blank()
		where := f.Cluster
		if where == "" {
			where = clustersOf(f)
		}
		head := fmt.Sprintf("%-7s %s", strings.ToUpper(f.Severity.String()), f.Code)
		if where != "" {
			head += "  " + where
		}
		t.line(0, t.style.severity(f.Severity, head))
		t.para(2, "", 0, f.Message, nil)
		for i, o := range f.Objects {
			lead := "         "
			if i == 0 {
				lead = "objects  "
			}
			t.line(2, lead+objectString(o))
		}
		t.para(2, "hint     ", 9, f.Hint, t.style.dim)
	}
}

func clustersOf(f explain.Finding) string {
	var cs []string
	for _, o := range f.Objects {
		if o.Context != "" {
			cs = append(cs, o.Context)
		}
	}
	return strings.Join(uniq(cs), ", ")
}

func objectString(r model.Ref) string {
	s := r.Kind + " " + nsName(r)
	if r.Context != "" {
		s = "[" + r.Context + "] " + s
	}
	return s
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// wrap splits text into lines of at most width runes, at spaces; a word
// longer than width stays whole on its own line.
func wrap(text string, width int) []string {
	if width < 20 {
		width = 20
	}
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	cur := words[0]
	for _, w := range words[1:] {
		if len([]rune(cur))+1+len([]rune(w)) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		cur += " " + w
	}
	return append(lines, cur)
}

// style paints text with ANSI colours when on.
type style struct{ on bool }

func (s style) paint(code, text string) string {
	if !s.on || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) bold(t string) string { return s.paint("1", t) }
func (s style) kind(t string) string { return s.paint("36", t) }
func (s style) dim(t string) string  { return s.paint("2", t) }
func (s style) warn(t string) string { return s.paint("33", t) }
func (s style) err(t string) string  { return s.paint("31", t) }

func (s style) severity(sev explain.Severity, t string) string {
	switch sev {
	case explain.Error:
		return s.paint("1;31", t)
	case explain.Warning:
		return s.paint("1;33", t)
	case explain.Info:
		return s.paint("1;34", t)
	}
	return t
}

func portString(p model.ServicePort) string {
	s := fmt.Sprintf("%s %d/%s", p.Name, p.Number, p.Protocol)
	if p.TargetPort != 0 {
		s += fmt.Sprintf(" (target %d)", p.TargetPort)
	}
	return s
}
