// Package route selects, as Envoy's HTTP router does, the virtual host and
// the route of a RouteConfiguration that a request takes. It works on
// go-control-plane's routev3 types and has no other input than the request.
//
// Semantics follow Envoy's documentation of
// envoy.config.route.v3.VirtualHost.domains, RouteMatch, HeaderMatcher and
// QueryParameterMatcher; what Envoy can match on but a trace cannot know
// (runtime fractions, TLS context, dynamic metadata, filter state, cookies
// beyond the Cookie header) is reported as unsupported rather than guessed.
package route

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// Request is what the router sees of an HTTP request.
type Request struct {
	// Authority is the Host header as sent (host, or host:port when the
	// URL names a port).
	Authority string
	Method    string
	Scheme    string
	// Path is the :path header: path and query.
	Path string
	// Headers are the other request headers, names in any case.
	Headers map[string]string
}

// header returns the value of a header by Envoy's name for it, pseudo
// headers included.
func (r Request) header(name string) (string, bool) {
	switch strings.ToLower(name) {
	case ":authority", "host":
		return r.Authority, true
	case ":method":
		return r.Method, r.Method != ""
	case ":scheme":
		return r.Scheme, r.Scheme != ""
	case ":path":
		return r.Path, true
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// pathOnly is the path without query and fragment: Envoy's path matchers
// (prefix, path, safe_regex, path_separated_prefix) ignore both.
func (r Request) pathOnly() string {
	p := r.Path
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

// query gives each query parameter's first value as sent: Envoy's route
// matching (Utility::parseQueryString) splits on "&" and the first "=",
// decodes nothing, and a name without "=" has the value "".
func (r Request) query() map[string]string {
	out := map[string]string{}
	_, q, ok := strings.Cut(r.Path, "?")
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

// SelectVirtualHost picks the virtual host for authority as Envoy does
// (RouteMatcher::findVirtualHost): an exact domain first, then the longest
// suffix wildcard ("*.example.com", "*-bar.example.com"), then the longest
// prefix wildcard ("example.*"), then "*". Matching ignores case. A
// wildcard stands for at least one character. With
// ignore_port_in_host_matching (istiod sets it) the port of the authority
// is dropped first. It returns nil when none matches (Envoy answers 404
// with no route, "NR").
func SelectVirtualHost(rc *routev3.RouteConfiguration, authority string) *routev3.VirtualHost {
	host := MatchHost(authority, rc.GetIgnorePortInHostMatching())
	var best *routev3.VirtualHost
	bestScore := 0
	for _, vh := range rc.GetVirtualHosts() {
		// The first virtual host wins among equals.
		if sc := DomainScore(vh.GetDomains(), host); sc > bestScore {
			best, bestScore = vh, sc
		}
	}
	return best
}

// MatchHost is the host a route configuration matches domains against:
// the authority in lower case, without its port when the configuration
// ignores ports.
func MatchHost(authority string, ignorePort bool) string {
	host := strings.ToLower(authority)
	if ignorePort {
		host = stripPort(host)
	}
	return host
}

// Scores of DomainScore, by Envoy's order of precedence.
const (
	scoreDefault = 1
	scorePrefix  = 1 << 20
	scoreSuffix  = 2 << 20
	scoreExact   = 3 << 20
)

// DomainScore ranks how a virtual host's domains take host (MatchHost's):
// 0 when none does; an exact domain above any suffix wildcard, a suffix
// wildcard above any prefix wildcard, longer wildcards above shorter ones,
// "*" last. A reader that cannot hold every virtual host keeps the best
// scored one.
func DomainScore(domains []string, host string) int {
	best := 0
	for _, d := range domains {
		d = strings.ToLower(d)
		sc := 0
		switch {
		case d == "*":
			sc = scoreDefault
		case d == host:
			sc = scoreExact
		case strings.HasPrefix(d, "*"):
			if suf := d[1:]; len(host) > len(suf) && strings.HasSuffix(host, suf) {
				sc = scoreSuffix + len(suf)
			}
		case strings.HasSuffix(d, "*"):
			if pre := d[:len(d)-1]; len(host) > len(pre) && strings.HasPrefix(host, pre) {
				sc = scorePrefix + len(pre)
			}
		}
		best = max(best, sc)
	}
	return best
}

// stripPort drops a trailing ":port" (an IPv6 literal keeps its
// brackets).
func stripPort(h string) string {
	i := strings.LastIndexByte(h, ':')
	if i < 0 || strings.Contains(h[i:], "]") {
		return h
	}
	if _, err := strconv.Atoi(h[i+1:]); err != nil {
		return h
	}
	return h[:i]
}

// Unsupported says that a route uses a matcher a trace cannot evaluate;
// the route is taken as not matching and the reason kept.
type Unsupported struct {
	Route  int
	Reason string
}

// SelectRoute returns the index of the first route of vh whose match the
// request satisfies (Envoy's routes are tried in order, the first match
// wins), or -1. Routes skipped because they use something a trace cannot
// evaluate are listed.
func SelectRoute(vh *routev3.VirtualHost, req Request) (int, []Unsupported) {
	var skipped []Unsupported
	for i, r := range vh.GetRoutes() {
		ok, why := Matches(r.GetMatch(), req)
		if why != "" {
			skipped = append(skipped, Unsupported{Route: i, Reason: why})
			continue
		}
		if ok {
			return i, skipped
		}
	}
	return -1, skipped
}

// Matches tells whether the request satisfies m. A non-empty reason means
// m uses a matcher the trace cannot evaluate.
func Matches(m *routev3.RouteMatch, req Request) (bool, string) {
	if m == nil {
		return false, ""
	}
	caseSensitive := m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	path := req.pathOnly()
	switch ps := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		if !hasPrefix(path, ps.Prefix, caseSensitive) {
			return false, ""
		}
	case *routev3.RouteMatch_Path:
		if !equal(path, ps.Path, caseSensitive) {
			return false, ""
		}
	case *routev3.RouteMatch_SafeRegex:
		// safe_regex matches the whole path (RE2, full match), and is
		// not affected by case_sensitive.
		ok, err := fullMatch(ps.SafeRegex.GetRegex(), path)
		if err != nil {
			return false, err.Error()
		}
		if !ok {
			return false, ""
		}
	case *routev3.RouteMatch_PathSeparatedPrefix:
		// The path equals the prefix, or continues it after a "/".
		p := ps.PathSeparatedPrefix
		if !equal(path, p, caseSensitive) && !hasPrefix(path, p+"/", caseSensitive) {
			return false, ""
		}
	case *routev3.RouteMatch_ConnectMatcher_:
		if !strings.EqualFold(req.Method, "CONNECT") {
			return false, ""
		}
	case *routev3.RouteMatch_PathMatchPolicy:
		return false, "path_match_policy (URI templates) is not evaluated"
	case nil:
		return false, "route match without a path specifier"
	}
	if m.GetRuntimeFraction() != nil {
		return false, "runtime_fraction is not evaluated"
	}
	if m.GetTlsContext() != nil || len(m.GetDynamicMetadata()) > 0 || len(m.GetFilterState()) > 0 || len(m.GetCookies()) > 0 {
		return false, "TLS context, dynamic metadata, filter state and cookie matchers are not evaluated"
	}
	if m.GetGrpc() != nil {
		ct, _ := req.header("content-type")
		if !strings.HasPrefix(ct, "application/grpc") {
			return false, ""
		}
	}
	for _, h := range m.GetHeaders() {
		ok, why := MatchHeader(h, req)
		if why != "" || !ok {
			return false, why
		}
	}
	if qps := m.GetQueryParameters(); len(qps) > 0 {
		q := req.query()
		for _, qp := range qps {
			ok, why := matchQuery(qp, q)
			if why != "" || !ok {
				return false, why
			}
		}
	}
	return true, ""
}

// MatchHeader evaluates one HeaderMatcher as Envoy's
// HeaderUtility::matchHeaders does: an absent header matches only
// present_match false (or present_match true inverted), unless
// treat_missing_header_as_empty; a present header matches when the value
// matches, XOR invert_match.
func MatchHeader(h *routev3.HeaderMatcher, req Request) (bool, string) {
	value, present := req.header(h.GetName())
	if !present && !h.GetTreatMissingHeaderAsEmpty() {
		pm, isPresent := h.GetHeaderMatchSpecifier().(*routev3.HeaderMatcher_PresentMatch)
		if !isPresent {
			// present_match unset stands for "present" when nothing else is said.
			if h.GetHeaderMatchSpecifier() == nil {
				return h.GetInvertMatch(), ""
			}
			return false, ""
		}
		return pm.PresentMatch == h.GetInvertMatch(), ""
	}
	var ok bool
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case nil:
		ok = true
	case *routev3.HeaderMatcher_PresentMatch:
		ok = s.PresentMatch
	case *routev3.HeaderMatcher_ExactMatch:
		ok = value == s.ExactMatch
	case *routev3.HeaderMatcher_PrefixMatch:
		ok = strings.HasPrefix(value, s.PrefixMatch)
	case *routev3.HeaderMatcher_SuffixMatch:
		ok = strings.HasSuffix(value, s.SuffixMatch)
	case *routev3.HeaderMatcher_ContainsMatch:
		ok = strings.Contains(value, s.ContainsMatch)
	case *routev3.HeaderMatcher_SafeRegexMatch:
		var err error
		if ok, err = fullMatch(s.SafeRegexMatch.GetRegex(), value); err != nil {
			return false, err.Error()
		}
	case *routev3.HeaderMatcher_RangeMatch:
		n, err := strconv.ParseInt(value, 10, 64)
		ok = err == nil && n >= s.RangeMatch.GetStart() && n < s.RangeMatch.GetEnd()
	case *routev3.HeaderMatcher_StringMatch:
		var why string
		if ok, why = StringMatch(s.StringMatch, value); why != "" {
			return false, why
		}
	default:
		return false, fmt.Sprintf("header matcher %T is not evaluated", s)
	}
	return ok != h.GetInvertMatch(), ""
}

// matchQuery evaluates a QueryParameterMatcher: present_match asks for the
// parameter; string_match compares its (first) value; a matcher with
// neither asks for the parameter to be present.
func matchQuery(qp *routev3.QueryParameterMatcher, q map[string]string) (bool, string) {
	val, present := q[qp.GetName()]
	switch s := qp.GetQueryParameterMatchSpecifier().(type) {
	case *routev3.QueryParameterMatcher_PresentMatch:
		return present == s.PresentMatch, ""
	case *routev3.QueryParameterMatcher_StringMatch:
		if !present {
			return false, ""
		}
		return StringMatch(s.StringMatch, val)
	}
	return present, ""
}

// StringMatch evaluates Envoy's StringMatcher (exact, prefix, suffix,
// contains, safe_regex full match; ignore_case for all but safe_regex).
func StringMatch(m *matcherv3.StringMatcher, v string) (bool, string) {
	ic := m.GetIgnoreCase()
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return equal(v, p.Exact, !ic), ""
	case *matcherv3.StringMatcher_Prefix:
		return hasPrefix(v, p.Prefix, !ic), ""
	case *matcherv3.StringMatcher_Suffix:
		if ic {
			return strings.HasSuffix(strings.ToLower(v), strings.ToLower(p.Suffix)), ""
		}
		return strings.HasSuffix(v, p.Suffix), ""
	case *matcherv3.StringMatcher_Contains:
		if ic {
			return strings.Contains(strings.ToLower(v), strings.ToLower(p.Contains)), ""
		}
		return strings.Contains(v, p.Contains), ""
	case *matcherv3.StringMatcher_SafeRegex:
		ok, err := fullMatch(p.SafeRegex.GetRegex(), v)
		if err != nil {
			return false, err.Error()
		}
		return ok, ""
	}
	return false, "string matcher without a pattern"
}

// fullMatch is Envoy's safe_regex: RE2, and the whole value must match.
func fullMatch(expr, v string) (bool, error) {
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		if _, rawErr := regexp.Compile(expr); rawErr != nil {
			err = rawErr
		}
		return false, fmt.Errorf("invalid regex %q: %s", expr, err)
	}
	return re.MatchString(v), nil
}

func equal(a, b string, caseSensitive bool) bool {
	if caseSensitive {
		return a == b
	}
	return strings.EqualFold(a, b)
}

func hasPrefix(s, p string, caseSensitive bool) bool {
	if caseSensitive {
		return strings.HasPrefix(s, p)
	}
	return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p)
}

// Action is what a route does, flattened.
type Action struct {
	// Kind is "route", "redirect", "direct_response" or another action's name.
	Kind string
	// Clusters are the destination clusters with their weights (one with
	// weight 0 for a single cluster).
	Clusters []WeightedCluster
	// ClusterHeader is set when the cluster is taken from a header.
	ClusterHeader string
	// Status is the direct response's status, or the redirect's.
	Status uint32
	// Redirect is the redirect's target, as "scheme://host:port/path".
	Redirect      string
	PrefixRewrite string
	HostRewrite   string
	// Mirrors are the clusters requests are mirrored to.
	Mirrors []string
}

// WeightedCluster is one cluster of a route action.
type WeightedCluster struct {
	Name   string
	Weight uint32
}

// ActionOf flattens the action of r.
func ActionOf(r *routev3.Route) Action {
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		ra := a.Route
		out := Action{Kind: "route", PrefixRewrite: ra.GetPrefixRewrite(), HostRewrite: ra.GetHostRewriteLiteral()}
		for _, m := range ra.GetRequestMirrorPolicies() {
			out.Mirrors = append(out.Mirrors, m.GetCluster())
		}
		switch cs := ra.GetClusterSpecifier().(type) {
		case *routev3.RouteAction_Cluster:
			out.Clusters = []WeightedCluster{{Name: cs.Cluster}}
		case *routev3.RouteAction_WeightedClusters:
			for _, c := range cs.WeightedClusters.GetClusters() {
				out.Clusters = append(out.Clusters, WeightedCluster{Name: c.GetName(), Weight: c.GetWeight().GetValue()})
			}
		case *routev3.RouteAction_ClusterHeader:
			out.ClusterHeader = cs.ClusterHeader
		}
		return out
	case *routev3.Route_Redirect:
		rd := a.Redirect
		status := uint32(301)
		switch rd.GetResponseCode() {
		case routev3.RedirectAction_FOUND:
			status = 302
		case routev3.RedirectAction_SEE_OTHER:
			status = 303
		case routev3.RedirectAction_TEMPORARY_REDIRECT:
			status = 307
		case routev3.RedirectAction_PERMANENT_REDIRECT:
			status = 308
		}
		target := rd.GetHostRedirect()
		if rd.GetPortRedirect() != 0 {
			target += ":" + strconv.Itoa(int(rd.GetPortRedirect()))
		}
		target += rd.GetPathRedirect() + rd.GetPrefixRewrite()
		return Action{Kind: "redirect", Status: status, Redirect: target}
	case *routev3.Route_DirectResponse:
		return Action{Kind: "direct_response", Status: a.DirectResponse.GetStatus()}
	case *routev3.Route_FilterAction:
		return Action{Kind: "filter_action"}
	case *routev3.Route_NonForwardingAction:
		return Action{Kind: "non_forwarding"}
	}
	return Action{Kind: "none"}
}

// IstioConfig is the Istio configuration a route was made from: the
// "config" path of its istio filter metadata
// ("/apis/networking.istio.io/v1/namespaces/NS/virtual-service/NAME"),
// given back as NS/NAME; "" when absent.
func IstioConfig(r *routev3.Route) string {
	fm := r.GetMetadata().GetFilterMetadata()["istio"]
	if fm == nil {
		return ""
	}
	v := fm.GetFields()["config"].GetStringValue()
	if v == "" {
		return ""
	}
	parts := strings.Split(strings.Trim(v, "/"), "/")
	// apis, group/version..., namespaces, NS, kind, NAME
	for i := 0; i+3 < len(parts); i++ {
		if parts[i] == "namespaces" {
			return parts[i+1] + "/" + parts[i+3]
		}
	}
	return v
}
