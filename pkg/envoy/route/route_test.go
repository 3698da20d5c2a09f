package route

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func re(s string) *matcherv3.RegexMatcher { return &matcherv3.RegexMatcher{Regex: s} }

func TestSelectVirtualHost(t *testing.T) {
	rc := &routev3.RouteConfiguration{VirtualHosts: []*routev3.VirtualHost{
		{Name: "exact", Domains: []string{"productpage.global", "productpage.global:9080"}},
		{Name: "suffix-short", Domains: []string{"*.com"}},
		{Name: "suffix-long", Domains: []string{"*.example.com"}},
		{Name: "prefix", Domains: []string{"api.*"}},
		{Name: "default", Domains: []string{"*"}},
	}}
	// Envoy's documented order (VirtualHost.domains): exact names, then
	// suffix wildcards, then prefix wildcards, then "*"; the longest
	// wildcard wins; a wildcard matches at least one character.
	tests := []struct{ host, want string }{
		{"productpage.global", "exact"},
		{"PRODUCTPAGE.global:9080", "exact"},
		{"productpage.global:80", "default"},
		{"a.example.com", "suffix-long"},
		{"a.b.example.com", "suffix-long"},
		{".example.com", "suffix-short"},
		{"foo.com", "suffix-short"},
		{"api.example.com", "suffix-long"}, // suffix wildcards before prefix ones
		{"api.local", "prefix"},
		{"api.", "default"},
		{"other", "default"},
	}
	for _, tt := range tests {
		vh := SelectVirtualHost(rc, tt.host)
		if got := vh.GetName(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.host, got, tt.want)
		}
	}
	rc.IgnorePortInHostMatching = true
	if vh := SelectVirtualHost(rc, "productpage.global:80"); vh.GetName() != "exact" {
		t.Errorf("ignore_port_in_host_matching: got %s, want exact", vh.GetName())
	}
	if vh := SelectVirtualHost(&routev3.RouteConfiguration{VirtualHosts: rc.VirtualHosts[:1]}, "x"); vh != nil {
		t.Errorf("no domain matches: got %s, want none (404 NR)", vh.Name)
	}
}

func TestMatches(t *testing.T) {
	prefix := func(p string) *routev3.RouteMatch {
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: p}}
	}
	path := func(p string) *routev3.RouteMatch {
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: p}}
	}
	regex := func(p string) *routev3.RouteMatch {
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_SafeRegex{SafeRegex: re(p)}}
	}
	sep := func(p string) *routev3.RouteMatch {
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: p}}
	}
	withHeaders := func(m *routev3.RouteMatch, hs ...*routev3.HeaderMatcher) *routev3.RouteMatch {
		m.Headers = hs
		return m
	}
	withQuery := func(m *routev3.RouteMatch, qs ...*routev3.QueryParameterMatcher) *routev3.RouteMatch {
		m.QueryParameters = qs
		return m
	}
	exactHeader := func(name, v string) *routev3.HeaderMatcher {
		return &routev3.HeaderMatcher{Name: name, HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: v}}}}
	}
	present := func(name string, p, invert bool) *routev3.HeaderMatcher {
		return &routev3.HeaderMatcher{Name: name, InvertMatch: invert, HeaderMatchSpecifier: &routev3.HeaderMatcher_PresentMatch{PresentMatch: p}}
	}
	insensitive := prefix("/API")
	insensitive.CaseSensitive = wrapperspb.Bool(false)
	tests := []struct {
		name string
		m    *routev3.RouteMatch
		req  Request
		want bool
	}{
		// path is an exact match of the path without query (RouteMatch.path).
		{"path equal", path("/productpage"), Request{Path: "/productpage"}, true},
		{"path trailing slash", path("/productpage"), Request{Path: "/productpage/"}, false},
		{"path ignores query", path("/productpage"), Request{Path: "/productpage?u=1"}, true},
		{"path is case sensitive by default", path("/productpage"), Request{Path: "/ProductPage"}, false},
		// prefix is a plain string prefix: /static matches /staticx.
		{"prefix", prefix("/static"), Request{Path: "/static/css"}, true},
		{"prefix without separator", prefix("/static"), Request{Path: "/staticx"}, true},
		{"prefix miss", prefix("/static"), Request{Path: "/stati"}, false},
		{"prefix case_sensitive false", insensitive, Request{Path: "/api/v1"}, true},
		// path_separated_prefix: the prefix, then the end or a "/".
		{"separated equal", sep("/static"), Request{Path: "/static"}, true},
		{"separated slash", sep("/static"), Request{Path: "/static/a"}, true},
		{"separated other", sep("/static"), Request{Path: "/staticx"}, false},
		{"separated query", sep("/static"), Request{Path: "/static?x=1"}, true},
		// safe_regex: RE2, the whole path must match.
		{"regex full", regex("/api/v[0-9]+/products"), Request{Path: "/api/v1/products"}, true},
		{"regex not partial", regex("/api/v[0-9]+"), Request{Path: "/api/v1/products"}, false},
		{"regex alternation anchored", regex("/a|/b"), Request{Path: "/bc"}, false},
		// headers: exact on value; absent header does not match a value matcher.
		{"header exact", withHeaders(prefix("/"), exactHeader("end-user", "jason")), Request{Path: "/", Headers: map[string]string{"End-User": "jason"}}, true},
		{"header exact other", withHeaders(prefix("/"), exactHeader("end-user", "jason")), Request{Path: "/", Headers: map[string]string{"end-user": "bob"}}, false},
		{"header exact absent", withHeaders(prefix("/"), exactHeader("end-user", "jason")), Request{Path: "/"}, false},
		{"header present", withHeaders(prefix("/"), present("x", true, false)), Request{Path: "/", Headers: map[string]string{"x": ""}}, true},
		{"header present absent", withHeaders(prefix("/"), present("x", true, false)), Request{Path: "/"}, false},
		// Istio's withoutHeaders {} becomes present_match + invert_match: absent.
		{"header absent", withHeaders(prefix("/"), present("x", true, true)), Request{Path: "/"}, true},
		{"header absent but present", withHeaders(prefix("/"), present("x", true, true)), Request{Path: "/", Headers: map[string]string{"x": "1"}}, false},
		{"header prefix", withHeaders(prefix("/"), &routev3.HeaderMatcher{Name: "x", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Prefix{Prefix: "ab"}}}}), Request{Path: "/", Headers: map[string]string{"x": "abc"}}, true},
		{"header regex full", withHeaders(prefix("/"), &routev3.HeaderMatcher{Name: "x", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: re("a.")}}}}), Request{Path: "/", Headers: map[string]string{"x": "abc"}}, false},
		{"method", withHeaders(prefix("/"), exactHeader(":method", "GET")), Request{Path: "/", Method: "GET"}, true},
		{"method other", withHeaders(prefix("/"), exactHeader(":method", "GET")), Request{Path: "/", Method: "POST"}, false},
		// query parameters: string_match on the value, present_match.
		{"query exact", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "normal"}}}}), Request{Path: "/p?u=normal"}, true},
		{"query exact other", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "normal"}}}}), Request{Path: "/p?u=test"}, false},
		{"query present", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_PresentMatch{PresentMatch: true}}), Request{Path: "/p"}, false},
		// Envoy's route matching reads the query string without decoding
		// it, and compares the first value of a repeated parameter.
		{"query encoded", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "a b"}}}}), Request{Path: "/p?u=a%20b"}, false},
		{"query encoded raw", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "a%20b"}}}}), Request{Path: "/p?u=a%20b"}, true},
		{"query repeated", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "b"}}}}), Request{Path: "/p?u=a&u=b"}, false},
		{"query bad escape", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_PresentMatch{PresentMatch: true}}), Request{Path: "/p?x=%zz&u=1"}, true},
		{"query semicolon", withQuery(prefix("/"), &routev3.QueryParameterMatcher{Name: "u", QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "1;2"}}}}), Request{Path: "/p?u=1;2"}, true},
	}
	for _, tt := range tests {
		got, why := Matches(tt.m, tt.req)
		if why != "" {
			t.Errorf("%s: unsupported: %s", tt.name, why)
		}
		if got != tt.want {
			t.Errorf("%s: %s on %+v: got %v, want %v", tt.name, tt.m, tt.req, got, tt.want)
		}
	}
}

func TestSelectRouteFirstMatchWins(t *testing.T) {
	vh := &routev3.VirtualHost{Routes: []*routev3.Route{
		{Name: "exact", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Path{Path: "/productpage"}}},
		{Name: "all", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}},
		{Name: "never", Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/productpage"}}},
	}}
	for path, want := range map[string]int{"/productpage": 0, "/productpage/": 1, "/x": 1} {
		if got, _ := SelectRoute(vh, Request{Path: path}); got != want {
			t.Errorf("%s: route %d, want %d", path, got, want)
		}
	}
	empty := &routev3.VirtualHost{}
	if got, _ := SelectRoute(empty, Request{Path: "/"}); got != -1 {
		t.Errorf("no routes: %d, want -1", got)
	}
}

func TestActionOf(t *testing.T) {
	weighted := &routev3.Route{Action: &routev3.Route_Route{Route: &routev3.RouteAction{
		ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: &routev3.WeightedCluster{Clusters: []*routev3.WeightedCluster_ClusterWeight{
			{Name: "outbound|9080|v1|reviews.global", Weight: wrapperspb.UInt32(80)},
			{Name: "outbound|9080|v2|reviews.global", Weight: wrapperspb.UInt32(20)},
		}}},
		PrefixRewrite: "/",
	}}}
	a := ActionOf(weighted)
	if a.Kind != "route" || len(a.Clusters) != 2 || a.Clusters[1].Weight != 20 || a.PrefixRewrite != "/" {
		t.Errorf("weighted: %+v", a)
	}
	mirrored := &routev3.Route{Action: &routev3.Route_Route{Route: &routev3.RouteAction{
		ClusterSpecifier:      &routev3.RouteAction_Cluster{Cluster: "outbound|9080||reviews.global"},
		RequestMirrorPolicies: []*routev3.RouteAction_RequestMirrorPolicy{{Cluster: "outbound|9080||ratings.global"}},
	}}}
	if a := ActionOf(mirrored); len(a.Mirrors) != 1 || a.Mirrors[0] != "outbound|9080||ratings.global" {
		t.Errorf("mirrored: %+v", a)
	}
	redirect := &routev3.Route{Action: &routev3.Route_Redirect{Redirect: &routev3.RedirectAction{
		PathRewriteSpecifier: &routev3.RedirectAction_PathRedirect{PathRedirect: "/productpage"},
		ResponseCode:         routev3.RedirectAction_FOUND,
	}}}
	if a := ActionOf(redirect); a.Kind != "redirect" || a.Status != 302 || a.Redirect != "/productpage" {
		t.Errorf("redirect: %+v", a)
	}
	direct := &routev3.Route{Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 405}}}
	if a := ActionOf(direct); a.Kind != "direct_response" || a.Status != 405 {
		t.Errorf("direct response: %+v", a)
	}
}
