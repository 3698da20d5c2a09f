// Package routing finds, as istiod would configure a proxy, which
// VirtualService route an HTTP request takes: the VirtualServices visible to
// the proxy (exportTo, gateway binding), Istio's host matching (short names,
// wildcards, the most specific host first), gateway VirtualServices merged,
// and the first HTTP route whose match the request satisfies. It works on
// istio.io/client-go networking v1 types and reads no cluster.
package routing

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"
	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// DomainSuffix is the cluster's DNS domain, as istiod's default.
const DomainSuffix = "cluster.local"

// MeshGateway is the gateway name standing for every sidecar.
const MeshGateway = "mesh"

// Proxy is the proxy the request leaves from.
type Proxy struct {
	Namespace string
	Labels    map[string]string
	// Gateways are the Gateways ("NS/NAME") that select a gateway proxy
	// and have a server on the request's port; empty for a sidecar.
	Gateways []string
	// Router tells a gateway from a sidecar.
	Router bool
}

// Request is the HTTP request as the proxy receives it.
type Request struct {
	// Host is the host of the URL, resolved to its FQDN when it is a short
	// name of a service (ResolveHost).
	Host string
	// Authority is the Host header as sent: the host, with ":PORT" when
	// the URL names a port ("" stands for Host).
	Authority string
	// Port is the port the request is sent to: the service port for a
	// sidecar, the Gateway server's port for a gateway.
	Port    uint32
	Path    string // path and query
	Method  string
	Scheme  string
	Headers map[string]string
}

// ResolveShortName turns a short host name of a configuration in namespace
// ns into its FQDN, as istiod reads VirtualService and destination hosts:
// a name without a dot is a Service of ns; others are kept.
func ResolveShortName(host, ns string) string {
	if host == "" || strings.HasPrefix(host, "*") || strings.Contains(host, ".") {
		return host
	}
	return host + "." + ns + ".svc." + DomainSuffix
}

// SearchNames are the names a sidecar in namespace ns tries for host, in
// order, as its resolv.conf search list does (ns.svc.cluster.local,
// svc.cluster.local, cluster.local), the name itself first when it has a
// dot.
func SearchNames(host, ns string) []string {
	var out []string
	if strings.Contains(host, ".") {
		out = append(out, host)
	}
	out = append(out, host+"."+ns+".svc."+DomainSuffix, host+".svc."+DomainSuffix, host+"."+DomainSuffix)
	if !strings.Contains(host, ".") {
		out = append(out, host)
	}
	return out
}

// HostMatches is Istio's host matching of a configured host (maybe a
// wildcard, "*" or "*.example.com") against a request's host: a wildcard
// stands for one or more leading labels, so "*.example.com" matches
// "a.example.com" and "a.b.example.com" but not "example.com".
func HostMatches(configured, host string) bool {
	configured, host = strings.ToLower(configured), strings.ToLower(host)
	if configured == "*" {
		return true
	}
	if strings.HasPrefix(configured, "*") {
		return strings.HasSuffix(host, configured[1:]) && len(host) > len(configured)-1
	}
	return configured == host
}

// specificity orders matching hosts: an exact host first, then the longest
// wildcard.
func specificity(configured string) int {
	if !strings.HasPrefix(configured, "*") {
		return 1 << 30
	}
	return len(configured)
}

// Visible tells whether a configuration in namespace cfgNS with exportTo is
// visible from namespace ns: no exportTo or "*" is everywhere, "." its own
// namespace, else the namespaces listed.
func Visible(exportTo []string, cfgNS, ns string) bool {
	if len(exportTo) == 0 {
		return true
	}
	for _, e := range exportTo {
		switch e {
		case "*":
			return true
		case ".":
			if cfgNS == ns {
				return true
			}
		case "~":
		default:
			if e == ns {
				return true
			}
		}
	}
	return false
}

// gatewayName is a VirtualService's gateway reference as NS/NAME ("mesh"
// kept as it is).
func gatewayName(ref, vsNS string) string {
	if ref == MeshGateway || strings.Contains(ref, "/") {
		return ref
	}
	return vsNS + "/" + ref
}

// boundGateways are the gateways a route or match applies to: its own list
// when it has one, else the VirtualService's, else "mesh".
func boundGateways(list []string, vsNS string) []string {
	if len(list) == 0 {
		return []string{MeshGateway}
	}
	out := make([]string, len(list))
	for i, g := range list {
		out[i] = gatewayName(g, vsNS)
	}
	return out
}

func (p Proxy) bound(gateways []string) bool {
	for _, g := range gateways {
		if !p.Router && g == MeshGateway {
			return true
		}
		if p.Router {
			for _, pg := range p.Gateways {
				if g == pg {
					return true
				}
			}
		}
	}
	return false
}

// Candidate is a VirtualService that applies to the request's host, with
// the host of it that matched.
type Candidate struct {
	VS   *networkingv1.VirtualService
	Host string
}

// SortConfigs orders VirtualServices as istiod does before merging: by
// creation time, then name, then namespace.
func SortConfigs(vss []*networkingv1.VirtualService) {
	sort.SliceStable(vss, func(i, j int) bool {
		a, b := vss[i], vss[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Namespace < b.Namespace
	})
}

// VirtualServicesFor returns the VirtualServices that configure the
// request's host for the proxy, in the order their routes are tried: those
// visible from the proxy's namespace and bound to it (a sidecar: "mesh";
// a gateway: one of its Gateways) whose most specific host matches. A
// gateway merges every VirtualService of that host (routes concatenated in
// creation order); a sidecar takes the oldest.
func VirtualServicesFor(vss []*networkingv1.VirtualService, p Proxy, host string) []Candidate {
	sorted := append([]*networkingv1.VirtualService(nil), vss...)
	SortConfigs(sorted)
	var out []Candidate
	best := -1
	for _, vs := range sorted {
		if vs == nil || !Visible(vs.Spec.ExportTo, vs.Namespace, p.Namespace) {
			continue
		}
		if !p.bound(boundGateways(vs.Spec.Gateways, vs.Namespace)) && !anyRouteBound(vs, p) {
			continue
		}
		matched, spec := "", -1
		for _, h := range vs.Spec.Hosts {
			h = ResolveShortName(h, vs.Namespace)
			if HostMatches(h, host) && specificity(h) > spec {
				matched, spec = h, specificity(h)
			}
		}
		if spec < 0 {
			continue
		}
		switch {
		case spec > best:
			best = spec
			out = []Candidate{{VS: vs, Host: matched}}
		case spec == best && (p.Router || len(out) == 0):
			out = append(out, Candidate{VS: vs, Host: matched})
		}
	}
	if len(out) > 1 && p.Router {
		// Merged only when they name the same host.
		var same []Candidate
		for _, c := range out {
			if c.Host == out[0].Host {
				same = append(same, c)
			}
		}
		out = same
	}
	return out
}

// anyRouteBound tells whether a match of the VirtualService names one of
// the proxy's gateways itself (match-level gateways override the
// VirtualService's).
func anyRouteBound(vs *networkingv1.VirtualService, p Proxy) bool {
	for _, r := range vs.Spec.Http {
		for _, m := range r.GetMatch() {
			if len(m.GetGateways()) > 0 && p.bound(boundGateways(m.GetGateways(), vs.Namespace)) {
				return true
			}
		}
	}
	return false
}

// Selected is the route a request takes.
type Selected struct {
	VS    *networkingv1.VirtualService
	Host  string // the VirtualService host that matched
	Index int    // index of the http route in the VirtualService
	Route *networkingv1alpha3.HTTPRoute
	// Match is the index of the match that was satisfied, -1 for a route
	// without matches (it takes everything).
	Match int
	// Delegate is the VirtualService the route was delegated to (its
	// namespace resolves the destinations' short names), or nil.
	Delegate *networkingv1.VirtualService
}

// FirstRoute returns the first http route of the candidates (in order)
// that the request satisfies, or nil. Routes whose matches are all bound to
// other gateways, ports or source labels do not exist for this proxy, as
// istiod leaves them out.
func FirstRoute(cands []Candidate, p Proxy, req Request) (*Selected, error) {
	return FirstRouteIn(cands, nil, p, req)
}

// FirstRouteIn is FirstRoute with the VirtualServices that delegated
// routes can name: a route with a delegate is replaced by the delegate's
// routes, as istiod merges them (see delegated); one whose delegate is not
// there, or not exported to the root's namespace, is left out.
func FirstRouteIn(cands []Candidate, all []*networkingv1.VirtualService, p Proxy, req Request) (*Selected, error) {
	for _, c := range cands {
		for i, r := range c.VS.Spec.Http {
			if d := r.GetDelegate(); d != nil {
				child := findDelegate(all, d, c.VS.Namespace)
				if child == nil {
					continue
				}
				for _, dr := range child.Spec.Http {
					merged, conflict := delegated(r, dr)
					if conflict {
						continue
					}
					j, ok, err := routeMatches(merged, c.VS, p, req)
					if err != nil {
						return nil, fmt.Errorf("VirtualService %s/%s: %s", child.Namespace, child.Name, err)
					}
					if ok {
						return &Selected{VS: c.VS, Host: c.Host, Index: i, Route: merged, Match: j, Delegate: child}, nil
					}
				}
				continue
			}
			j, ok, err := routeMatches(r, c.VS, p, req)
			if err != nil {
				return nil, fmt.Errorf("VirtualService %s/%s: %s", c.VS.Namespace, c.VS.Name, err)
			}
			if ok {
				return &Selected{VS: c.VS, Host: c.Host, Index: i, Route: r, Match: j}, nil
			}
		}
	}
	return nil, nil
}

// routeMatches tells whether the request takes route r of vs, and by
// which match (-1: a route without matches, bound to the proxy).
func routeMatches(r *networkingv1alpha3.HTTPRoute, vs *networkingv1.VirtualService, p Proxy, req Request) (int, bool, error) {
	if len(r.GetMatch()) == 0 {
		return -1, p.bound(boundGateways(vs.Spec.Gateways, vs.Namespace)), nil
	}
	for j, m := range r.GetMatch() {
		ok, err := Matches(m, vs, p, req)
		if err != nil || ok {
			return j, ok, err
		}
	}
	return 0, false, nil
}

// findDelegate is the VirtualService a delegate names (its namespace
// defaulting to the root's), when it exports itself to the root's
// namespace.
func findDelegate(all []*networkingv1.VirtualService, d *networkingv1alpha3.Delegate, rootNS string) *networkingv1.VirtualService {
	ns := d.GetNamespace()
	if ns == "" {
		ns = rootNS
	}
	for _, vs := range all {
		if vs != nil && vs.Namespace == ns && vs.Name == d.GetName() && Visible(vs.Spec.ExportTo, vs.Namespace, rootNS) {
			return vs
		}
	}
	return nil
}

// delegated is a delegate's route as istiod merges it under the root
// route: each pair of root and delegate matches merged (the delegate's
// fields over the root's), pairs that conflict (a delegate uri, scheme,
// method, authority or header outside the root's, another port) left out,
// conflict when none is left; the name "ROOT-DELEGATE"; rewrite, fault,
// direct response, mirror and headers from the root when the delegate has
// none.
func delegated(root, leaf *networkingv1alpha3.HTTPRoute) (*networkingv1alpha3.HTTPRoute, bool) {
	out := proto.Clone(leaf).(*networkingv1alpha3.HTTPRoute)
	switch {
	case len(root.GetMatch()) == 0:
	case len(leaf.GetMatch()) == 0:
		out.Match = root.GetMatch()
	default:
		out.Match = nil
		for _, rm := range root.GetMatch() {
			for _, lm := range leaf.GetMatch() {
				if matchConflict(rm, lm) {
					continue
				}
				out.Match = append(out.Match, mergeMatch(rm, lm))
			}
		}
		if len(out.Match) == 0 {
			return nil, true
		}
	}
	switch {
	case out.Name == "":
		out.Name = root.GetName()
	case root.GetName() != "":
		out.Name = root.GetName() + "-" + out.Name
	}
	if out.Rewrite == nil {
		out.Rewrite = root.GetRewrite()
	}
	if out.Fault == nil {
		out.Fault = root.GetFault()
	}
	if out.DirectResponse == nil {
		out.DirectResponse = root.GetDirectResponse()
	}
	if out.Mirror == nil && len(out.Mirrors) == 0 {
		out.Mirror, out.Mirrors = root.GetMirror(), root.GetMirrors()
	}
	if out.Headers == nil {
		out.Headers = root.GetHeaders()
	}
	return out, false
}

func matchConflict(root, leaf *networkingv1alpha3.HTTPMatchRequest) bool {
	pairs := [][2]*networkingv1alpha3.StringMatch{{root.GetUri(), leaf.GetUri()}, {root.GetScheme(), leaf.GetScheme()}, {root.GetMethod(), leaf.GetMethod()}, {root.GetAuthority(), leaf.GetAuthority()}}
	for k, v := range leaf.GetHeaders() {
		pairs = append(pairs, [2]*networkingv1alpha3.StringMatch{root.GetHeaders()[k], v})
	}
	for _, p := range pairs {
		if stringMatchConflict(p[0], p[1]) {
			return true
		}
	}
	if root.GetIgnoreUriCase() != leaf.GetIgnoreUriCase() && root.GetUri() != nil && leaf.GetUri() != nil {
		return true
	}
	return root.GetPort() != 0 && leaf.GetPort() != 0 && root.GetPort() != leaf.GetPort()
}

// stringMatchConflict: a delegate's match must lie within the root's (an
// exact or prefix under a root prefix, the same exact, the same regex).
func stringMatchConflict(root, leaf *networkingv1alpha3.StringMatch) bool {
	if presence(root) || presence(leaf) {
		return false
	}
	if r := root.GetRegex(); r != "" {
		return leaf.GetRegex() != r
	}
	if leaf.GetRegex() != "" {
		return true
	}
	if e := root.GetExact(); e != "" {
		return leaf.GetExact() != e
	}
	if p := root.GetPrefix(); p != "" {
		if lp := leaf.GetPrefix(); lp != "" {
			return !strings.HasPrefix(lp, p)
		}
		return !strings.HasPrefix(leaf.GetExact(), p)
	}
	return false
}

// mergeMatch is the delegate's match with the root's fields it lacks.
func mergeMatch(root, leaf *networkingv1alpha3.HTTPMatchRequest) *networkingv1alpha3.HTTPMatchRequest {
	out := proto.Clone(leaf).(*networkingv1alpha3.HTTPMatchRequest)
	if out.Uri == nil {
		out.Uri, out.IgnoreUriCase = root.GetUri(), root.GetIgnoreUriCase()
	}
	if out.Scheme == nil {
		out.Scheme = root.GetScheme()
	}
	if out.Method == nil {
		out.Method = root.GetMethod()
	}
	if out.Authority == nil {
		out.Authority = root.GetAuthority()
	}
	if out.Port == 0 {
		out.Port = root.GetPort()
	}
	for _, kv := range []struct {
		dst *map[string]*networkingv1alpha3.StringMatch
		src map[string]*networkingv1alpha3.StringMatch
	}{{&out.Headers, root.GetHeaders()}, {&out.WithoutHeaders, root.GetWithoutHeaders()}, {&out.QueryParams, root.GetQueryParams()}} {
		for k, v := range kv.src {
			if *kv.dst == nil {
				*kv.dst = map[string]*networkingv1alpha3.StringMatch{}
			}
			if _, ok := (*kv.dst)[k]; !ok {
				(*kv.dst)[k] = v
			}
		}
	}
	if len(out.SourceLabels) == 0 {
		out.SourceLabels = root.GetSourceLabels()
	}
	if len(out.Gateways) == 0 {
		out.Gateways = root.GetGateways()
	}
	if out.SourceNamespace == "" {
		out.SourceNamespace = root.GetSourceNamespace()
	}
	return out
}

// Matches tells whether the request satisfies an HTTPMatchRequest, with
// the semantics of Istio's VirtualService reference: every field given
// must match (AND); uri, scheme, method and authority are StringMatches
// (exact, prefix, regex: RE2, full match); headers must match, with an
// empty StringMatch meaning "present"; withoutHeaders must not (an absent
// header satisfies it); queryParams compare the parameter's value (an
// empty match: present); port is the destination port; sourceLabels are a
// subset of the proxy's labels; gateways (when given) replace the
// VirtualService's; sourceNamespace is the proxy's namespace.
func Matches(m *networkingv1alpha3.HTTPMatchRequest, vs *networkingv1.VirtualService, p Proxy, req Request) (bool, error) {
	gws := m.GetGateways()
	if len(gws) == 0 {
		gws = vs.Spec.Gateways
	}
	if !p.bound(boundGateways(gws, vs.Namespace)) {
		return false, nil
	}
	if m.GetPort() != 0 && m.GetPort() != req.Port {
		return false, nil
	}
	for k, v := range m.GetSourceLabels() {
		if pv, ok := p.Labels[k]; !ok || pv != v {
			return false, nil
		}
	}
	if m.GetSourceNamespace() != "" && m.GetSourceNamespace() != p.Namespace {
		return false, nil
	}
	path := req.Path
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if u := m.GetUri(); u != nil {
		ok, err := uriMatch(u, vs, path, m.GetIgnoreUriCase())
		if err != nil || !ok {
			return false, err
		}
	}
	for _, f := range []struct {
		sm *networkingv1alpha3.StringMatch
		v  string
	}{{m.GetScheme(), req.Scheme}, {m.GetMethod(), req.Method}, {m.GetAuthority(), authority(req)}} {
		if f.sm == nil {
			continue
		}
		ok, err := StringMatches(f.sm, f.v, false)
		if err != nil || !ok {
			return false, err
		}
	}
	for name, sm := range m.GetHeaders() {
		v, present := header(req.Headers, name)
		if !present {
			return false, nil
		}
		if presence(sm) {
			continue
		}
		ok, err := StringMatches(sm, v, false)
		if err != nil || !ok {
			return false, err
		}
	}
	for name, sm := range m.GetWithoutHeaders() {
		v, present := header(req.Headers, name)
		if presence(sm) {
			// present_match, inverted: the header must be absent.
			if present {
				return false, nil
			}
			continue
		}
		// istiod sets treat_missing_header_as_empty on the inverted value
		// match: an absent header is compared as "".
		ok, err := StringMatches(sm, v, false)
		if err != nil {
			return false, err
		}
		if ok {
			return false, nil
		}
	}
	if len(m.GetQueryParams()) > 0 {
		q := query(req.Path)
		for name, sm := range m.GetQueryParams() {
			v, present := q[name]
			if !present {
				return false, nil
			}
			if presence(sm) {
				continue
			}
			ok, err := StringMatches(sm, v, false)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

func authority(req Request) string {
	if req.Authority != "" {
		return req.Authority
	}
	return req.Host
}

// RouteSemanticsAnnotation marks the VirtualServices istiod makes of
// Ingresses ("ingress") and Gateway API routes ("gateway"): only their uri
// prefixes are path-separated.
const RouteSemanticsAnnotation = "internal.istio.io/route-semantics"

// uriMatch: exact and regex on the path without query; a prefix is a
// plain string prefix ("/api/" does not take "/api"), except in the
// VirtualServices istiod makes of Ingresses and Gateway API routes, whose
// prefixes other than "/" become Envoy's path_separated_prefix of the
// prefix without its trailing "/" (taking that path itself too).
// ignoreUriCase applies to exact and prefix only, as Envoy's
// case_sensitive does not change safe_regex.
func uriMatch(u *networkingv1alpha3.StringMatch, vs *networkingv1.VirtualService, path string, ignoreCase bool) (bool, error) {
	switch t := u.GetMatchType().(type) {
	case *networkingv1alpha3.StringMatch_Prefix:
		if sem := vs.GetAnnotations()[RouteSemanticsAnnotation]; (sem == "ingress" || sem == "gateway") && t.Prefix != "/" {
			base := strings.TrimSuffix(t.Prefix, "/")
			if ignoreCase {
				path, base = strings.ToLower(path), strings.ToLower(base)
			}
			return path == base || strings.HasPrefix(path, base+"/"), nil
		}
	case *networkingv1alpha3.StringMatch_Regex:
		ignoreCase = false
	}
	return StringMatches(u, path, ignoreCase)
}

// StringMatches evaluates an Istio StringMatch: exact, prefix, or regex
// (RE2, the whole value must match, as Envoy's safe_regex).
func StringMatches(sm *networkingv1alpha3.StringMatch, v string, ignoreCase bool) (bool, error) {
	switch t := sm.GetMatchType().(type) {
	case *networkingv1alpha3.StringMatch_Exact:
		if ignoreCase {
			return strings.EqualFold(v, t.Exact), nil
		}
		return v == t.Exact, nil
	case *networkingv1alpha3.StringMatch_Prefix:
		if ignoreCase {
			return strings.HasPrefix(strings.ToLower(v), strings.ToLower(t.Prefix)), nil
		}
		return strings.HasPrefix(v, t.Prefix), nil
	case *networkingv1alpha3.StringMatch_Regex:
		expr := `^(?:` + t.Regex + `)$`
		if ignoreCase {
			expr = `(?i)` + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			// Worded on the regex as written, not on its anchored form.
			if _, rawErr := regexp.Compile(t.Regex); rawErr != nil {
				err = rawErr
			}
			return false, fmt.Errorf("invalid regex %q: %s", t.Regex, err)
		}
		return re.MatchString(v), nil
	}
	return true, nil
}

// presence tells whether istiod makes a header or query parameter match a
// present_match: an empty StringMatch, or the regex "*" (not RE2; Istio
// reads it as "any value").
func presence(sm *networkingv1alpha3.StringMatch) bool {
	if sm == nil || sm.GetMatchType() == nil {
		return true
	}
	r, ok := sm.GetMatchType().(*networkingv1alpha3.StringMatch_Regex)
	return ok && r.Regex == "*"
}

// header finds a request header; Istio's header names are lower case and
// HTTP's are case-insensitive.
func header(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// query gives each parameter's first value as sent, as Envoy's route
// matching reads the query string: split on "&", then on the first "=",
// nothing percent-decoded; a name without "=" has the value "".
func query(path string) map[string]string {
	out := map[string]string{}
	_, q, ok := strings.Cut(path, "?")
	if !ok {
		return out
	}
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if _, seen := out[k]; !seen {
			out[k] = v
		}
	}
	return out
}

// Destination is one destination of a route, resolved.
type Destination struct {
	Host   string // FQDN
	Subset string
	Port   uint32
	Weight int32
}

// Destinations of a selected route: hosts resolved in the VirtualService's
// namespace, the port the route names or else the request's (portFor can
// give the only port of a service), weights as written. As istiod builds
// the route, a destination of weight 0 among others is left out, and a
// single destination left takes all the traffic (weight 100).
func Destinations(s *Selected, reqPort uint32, portFor func(host string) uint32) []Destination {
	var out []Destination
	ns := s.VS.Namespace
	if s.Delegate != nil {
		ns = s.Delegate.Namespace
	}
	for _, d := range s.Route.GetRoute() {
		if d.GetWeight() == 0 && len(s.Route.GetRoute()) > 1 {
			continue
		}
		dst := d.GetDestination()
		h := ResolveShortName(dst.GetHost(), ns)
		port := dst.GetPort().GetNumber()
		if port == 0 && portFor != nil {
			port = portFor(h)
		}
		if port == 0 {
			port = reqPort
		}
		w := d.GetWeight()
		if w == 0 && len(s.Route.GetRoute()) == 1 {
			w = 100
		}
		out = append(out, Destination{Host: h, Subset: dst.GetSubset(), Port: port, Weight: w})
	}
	if len(out) == 1 {
		out[0].Weight = 100
	}
	return out
}

// ClusterName is the Envoy cluster istiod gives an outbound destination.
func ClusterName(host string, port uint32, subset string) string {
	return fmt.Sprintf("outbound|%d|%s|%s", port, subset, host)
}
