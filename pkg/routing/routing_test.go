package routing

import (
	"fmt"
	"strings"
	"testing"
	"time"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func exact(s string) *networkingv1alpha3.StringMatch {
	return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Exact{Exact: s}}
}
func prefix(s string) *networkingv1alpha3.StringMatch {
	return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Prefix{Prefix: s}}
}
func regex(s string) *networkingv1alpha3.StringMatch {
	return &networkingv1alpha3.StringMatch{MatchType: &networkingv1alpha3.StringMatch_Regex{Regex: s}}
}

func vs(ns, name string, created int, hosts, gateways []string, http ...*networkingv1alpha3.HTTPRoute) *networkingv1.VirtualService {
	v := &networkingv1.VirtualService{}
	v.Namespace, v.Name = ns, name
	v.CreationTimestamp = metav1.NewTime(time.Unix(int64(created), 0))
	v.Spec.Hosts, v.Spec.Gateways, v.Spec.Http = hosts, gateways, http
	return v
}

func route(name string, ms ...*networkingv1alpha3.HTTPMatchRequest) *networkingv1alpha3.HTTPRoute {
	return &networkingv1alpha3.HTTPRoute{Name: name, Match: ms}
}

func TestHostMatches(t *testing.T) {
	// Istio's host matching: "*" is every host; "*.example.com" one or
	// more leading labels; other hosts are compared whole, ignoring case.
	tests := []struct {
		cfg, host string
		want      bool
	}{
		{"*", "productpage.global", true},
		{"*.global", "productpage.global", true},
		{"*.global", "a.b.global", true},
		{"*.global", "global", false},
		{"*.example.com", "example.com", false},
		{"productpage.global", "Productpage.Global", true},
		{"productpage.global", "reviews.global", false},
	}
	for _, tt := range tests {
		if got := HostMatches(tt.cfg, tt.host); got != tt.want {
			t.Errorf("HostMatches(%q, %q) = %v, want %v", tt.cfg, tt.host, got, tt.want)
		}
	}
	if got := ResolveShortName("reviews", "bookinfo"); got != "reviews.bookinfo.svc.cluster.local" {
		t.Errorf("short name: %s", got)
	}
	if got := ResolveShortName("reviews.global", "bookinfo"); got != "reviews.global" {
		t.Errorf("dotted name: %s", got)
	}
}

func TestVisibleAndBound(t *testing.T) {
	sidecar := Proxy{Namespace: "bookinfo-frontends"}
	gw := Proxy{Namespace: "istio-gateways", Router: true, Gateways: []string{"istio-gateways/gw"}}
	local := vs("istio-gateways", "local", 1, []string{"*"}, []string{"gw"}, route("r"))
	local.Spec.ExportTo = []string{"."}
	mesh := vs("bookinfo-frontends", "mesh", 2, []string{"productpage"}, nil, route("r"))
	exported := vs("other", "exported", 3, []string{"productpage.bookinfo-frontends.svc.cluster.local"}, nil, route("r"))
	exported.Spec.ExportTo = []string{"istio-gateways"}
	all := []*networkingv1.VirtualService{local, mesh, exported}

	// exportTo "." keeps a VirtualService in its namespace; gateways bind
	// it to those proxies; no gateways means "mesh" (sidecars only).
	if got := VirtualServicesFor(all, sidecar, "productpage.bookinfo-frontends.svc.cluster.local"); len(got) != 1 || got[0].VS != mesh {
		t.Errorf("sidecar: %v", got)
	}
	if got := VirtualServicesFor(all, gw, "productpage.bookinfo-frontends.svc.cluster.local"); len(got) != 1 || got[0].VS != local {
		t.Errorf("gateway: %v", got)
	}
	if got := VirtualServicesFor(all, Proxy{Namespace: "elsewhere", Router: true, Gateways: []string{"istio-gateways/gw"}}, "x"); len(got) != 0 {
		t.Errorf("exportTo . seen from elsewhere: %v", got)
	}
}

func TestMostSpecificHostAndMerge(t *testing.T) {
	gw := Proxy{Namespace: "istio-gateways", Router: true, Gateways: []string{"istio-gateways/gw"}}
	wild := vs("istio-gateways", "a-wild", 1, []string{"*"}, []string{"gw"}, route("wild"))
	wild2 := vs("istio-gateways", "b-wild", 2, []string{"*"}, []string{"gw"}, route("wild2"))
	suffix := vs("istio-gateways", "suffix", 3, []string{"*.global"}, []string{"gw"}, route("suffix"))
	exactVS := vs("istio-gateways", "exact", 4, []string{"productpage.global"}, []string{"gw"}, route("exact"))
	all := []*networkingv1.VirtualService{exactVS, suffix, wild2, wild}
	check := func(host string, want ...string) {
		t.Helper()
		got := VirtualServicesFor(all, gw, host)
		var names []string
		for _, c := range got {
			names = append(names, c.VS.Name)
		}
		if len(names) != len(want) {
			t.Fatalf("%s: %v, want %v", host, names, want)
		}
		for i := range want {
			if names[i] != want[i] {
				t.Fatalf("%s: %v, want %v", host, names, want)
			}
		}
	}
	check("productpage.global", "exact")     // an exact host beats wildcards
	check("reviews.global", "suffix")        // the longest wildcard next
	check("example.com", "a-wild", "b-wild") // "*": merged in creation order
}

func TestMatches(t *testing.T) {
	v := vs("istio-gateways", "vs", 1, []string{"*"}, []string{"gw"})
	gw := Proxy{Namespace: "istio-gateways", Router: true, Gateways: []string{"istio-gateways/gw"}, Labels: map[string]string{"istio": "ingressgateway", "app": "istio-ingressgateway"}}
	req := func(path string, headers ...string) Request {
		h := map[string]string{}
		for i := 0; i+1 < len(headers); i += 2 {
			h[headers[i]] = headers[i+1]
		}
		return Request{Host: "productpage.global", Port: 80, Path: path, Method: "GET", Scheme: "http", Headers: h}
	}
	tests := []struct {
		name string
		m    *networkingv1alpha3.HTTPMatchRequest
		req  Request
		want bool
	}{
		// uri exact compares the whole path (query excluded).
		{"exact", &networkingv1alpha3.HTTPMatchRequest{Uri: exact("/productpage")}, req("/productpage"), true},
		{"exact trailing slash", &networkingv1alpha3.HTTPMatchRequest{Uri: exact("/productpage")}, req("/productpage/"), false},
		{"exact with query", &networkingv1alpha3.HTTPMatchRequest{Uri: exact("/productpage")}, req("/productpage?u=normal"), true},
		{"exact case", &networkingv1alpha3.HTTPMatchRequest{Uri: exact("/productpage")}, req("/ProductPage"), false},
		{"ignoreUriCase", &networkingv1alpha3.HTTPMatchRequest{Uri: exact("/productpage"), IgnoreUriCase: true}, req("/ProductPage"), true},
		// uri prefix is a string prefix: /static matches /staticx.
		{"prefix", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/static")}, req("/static/x.css"), true},
		{"prefix no separator", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/static")}, req("/staticx"), true},
		// a prefix ending in "/" stays an Envoy prefix for a VirtualService
		// (istiod makes path_separated_prefix only of Ingress and Gateway
		// API routes): /static/ does not take /static.
		{"prefix slash self", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/static/")}, req("/static"), false},
		{"prefix slash other", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/static/")}, req("/staticx"), false},
		{"prefix slash below", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/static/")}, req("/static/x"), true},
		// ignoreUriCase applies to exact and prefix, not to regex (Envoy's
		// case_sensitive does not change safe_regex).
		{"ignoreUriCase prefix", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/static"), IgnoreUriCase: true}, req("/STATIC/x"), true},
		{"ignoreUriCase regex", &networkingv1alpha3.HTTPMatchRequest{Uri: regex("/static/.*"), IgnoreUriCase: true}, req("/STATIC/x"), false},
		// regex: RE2, full match.
		{"regex full", &networkingv1alpha3.HTTPMatchRequest{Uri: regex("/api/v[0-9]+/products")}, req("/api/v1/products"), true},
		{"regex partial", &networkingv1alpha3.HTTPMatchRequest{Uri: regex("/api")}, req("/api/v1/products"), false},
		// headers: value match, {} = present; withoutHeaders {} = absent.
		{"header exact", &networkingv1alpha3.HTTPMatchRequest{Headers: map[string]*networkingv1alpha3.StringMatch{"end-user": exact("jason")}}, req("/", "End-User", "jason"), true},
		{"header exact other", &networkingv1alpha3.HTTPMatchRequest{Headers: map[string]*networkingv1alpha3.StringMatch{"end-user": exact("jason")}}, req("/", "end-user", "bob"), false},
		{"header missing", &networkingv1alpha3.HTTPMatchRequest{Headers: map[string]*networkingv1alpha3.StringMatch{"end-user": exact("jason")}}, req("/"), false},
		{"header present", &networkingv1alpha3.HTTPMatchRequest{Headers: map[string]*networkingv1alpha3.StringMatch{"x": {}}}, req("/", "x", "1"), true},
		{"header prefix", &networkingv1alpha3.HTTPMatchRequest{Headers: map[string]*networkingv1alpha3.StringMatch{"x": prefix("ab")}}, req("/", "x", "abc"), true},
		{"without absent", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": {}}}, req("/"), true},
		{"without present", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": {}}}, req("/", "x", "1"), false},
		{"without value other", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": exact("a")}}, req("/", "x", "b"), true},
		{"without value same", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": exact("a")}}, req("/", "x", "a"), false},
		// istiod sets treat_missing_header_as_empty on a withoutHeaders
		// value match: an absent header is "" and must not match.
		{"without value absent", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": exact("a")}}, req("/"), true},
		{"without regex any absent", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": regex(".*")}}, req("/"), false},
		{"without prefix empty absent", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": exact("")}}, req("/"), false},
		// regex "*" is not RE2: istiod makes it present_match.
		{"header regex star present", &networkingv1alpha3.HTTPMatchRequest{Headers: map[string]*networkingv1alpha3.StringMatch{"x": regex("*")}}, req("/", "x", "1"), true},
		{"header regex star absent", &networkingv1alpha3.HTTPMatchRequest{Headers: map[string]*networkingv1alpha3.StringMatch{"x": regex("*")}}, req("/"), false},
		{"without regex star absent", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": regex("*")}}, req("/"), true},
		{"without regex star present", &networkingv1alpha3.HTTPMatchRequest{WithoutHeaders: map[string]*networkingv1alpha3.StringMatch{"x": regex("*")}}, req("/", "x", ""), false},
		{"query regex star", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": regex("*")}}, req("/p?u=1"), true},
		// authority is the Host header, with the port the URL names.
		{"authority with port", &networkingv1alpha3.HTTPMatchRequest{Authority: exact("productpage.global:9080")}, Request{Host: "productpage.global", Authority: "productpage.global:9080", Port: 9080, Path: "/"}, true},
		{"authority without port", &networkingv1alpha3.HTTPMatchRequest{Authority: exact("productpage.global")}, Request{Host: "productpage.global", Authority: "productpage.global:9080", Port: 9080, Path: "/"}, false},
		// query values are compared as sent (Envoy does not decode them), the first of a repeated key.
		{"query repeated first", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("a")}}, req("/p?u=a&u=b"), true},
		{"query repeated second", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("b")}}, req("/p?u=a&u=b"), false},
		{"query encoded", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("a b")}}, req("/p?u=a%20b"), false},
		{"query encoded raw", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("a%20b")}}, req("/p?u=a%20b"), true},
		{"query no value", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("")}}, req("/p?u"), true},
		{"method", &networkingv1alpha3.HTTPMatchRequest{Method: exact("POST")}, req("/"), false},
		{"port", &networkingv1alpha3.HTTPMatchRequest{Port: 443}, req("/"), false},
		{"port same", &networkingv1alpha3.HTTPMatchRequest{Port: 80}, req("/"), true},
		{"sourceLabels", &networkingv1alpha3.HTTPMatchRequest{SourceLabels: map[string]string{"istio": "ingressgateway"}}, req("/"), true},
		{"sourceLabels other", &networkingv1alpha3.HTTPMatchRequest{SourceLabels: map[string]string{"app": "reviews"}}, req("/"), false},
		{"gateways other", &networkingv1alpha3.HTTPMatchRequest{Gateways: []string{"mesh"}}, req("/"), false},
		{"query exact", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("normal")}}, req("/p?u=normal"), true},
		{"query other", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("normal")}}, req("/p?u=test"), false},
		{"query missing", &networkingv1alpha3.HTTPMatchRequest{QueryParams: map[string]*networkingv1alpha3.StringMatch{"u": exact("normal")}}, req("/p"), false},
	}
	for _, tt := range tests {
		got, err := Matches(tt.m, v, gw, tt.req)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFirstRouteWins(t *testing.T) {
	gw := Proxy{Namespace: "ns", Router: true, Gateways: []string{"ns/gw"}}
	v := vs("ns", "vs", 1, []string{"*"}, []string{"gw"},
		route("exact", &networkingv1alpha3.HTTPMatchRequest{Uri: exact("/productpage")}),
		route("prefix", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/")}),
		route("never", &networkingv1alpha3.HTTPMatchRequest{Uri: prefix("/productpage")}))
	c := VirtualServicesFor([]*networkingv1.VirtualService{v}, gw, "x")
	for path, want := range map[string]string{"/productpage": "exact", "/productpage/": "prefix", "/": "prefix"} {
		s, err := FirstRoute(c, gw, Request{Host: "x", Port: 80, Path: path})
		if err != nil || s == nil || s.Route.Name != want {
			t.Errorf("%s: %+v %v, want %s", path, s, err, want)
		}
	}
}

func TestDestinationsWeights(t *testing.T) {
	dst := func(host string, w int32) *networkingv1alpha3.HTTPRouteDestination {
		return &networkingv1alpha3.HTTPRouteDestination{Destination: &networkingv1alpha3.Destination{Host: host}, Weight: w}
	}
	v := vs("ns", "vs", 1, []string{"a"}, nil)
	for _, tc := range []struct {
		name  string
		route []*networkingv1alpha3.HTTPRouteDestination
		want  string
	}{
		{"one without weight", []*networkingv1alpha3.HTTPRouteDestination{dst("a", 0)}, "a.ns.svc.cluster.local/100"},
		// Weights are kept as written, even summing to less than 100.
		{"less than 100", []*networkingv1alpha3.HTTPRouteDestination{dst("a", 30), dst("b", 40)}, "a.ns.svc.cluster.local/30 b.ns.svc.cluster.local/40"},
		// istiod leaves out a destination of weight 0 among others; one
		// left is the route's single cluster (all the traffic).
		{"zero among others", []*networkingv1alpha3.HTTPRouteDestination{dst("a", 0), dst("b", 40), dst("c", 60)}, "b.ns.svc.cluster.local/40 c.ns.svc.cluster.local/60"},
		{"one left", []*networkingv1alpha3.HTTPRouteDestination{dst("a", 0), dst("b", 40)}, "b.ns.svc.cluster.local/100"},
	} {
		s := &Selected{VS: v, Route: &networkingv1alpha3.HTTPRoute{Route: tc.route}}
		var got []string
		for _, d := range Destinations(s, 80, nil) {
			got = append(got, fmt.Sprintf("%s/%d", d.Host, d.Weight))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.want)
		}
	}
}

func TestInvalidRegex(t *testing.T) {
	v := vs("ns", "vs", 1, []string{"a"}, nil)
	_, err := Matches(&networkingv1alpha3.HTTPMatchRequest{Uri: regex("/v[0-9+")}, v, Proxy{Namespace: "ns"}, Request{Path: "/v1"})
	if err == nil || err.Error() != "invalid regex \"/v[0-9+\": error parsing regexp: missing closing ]: `[0-9+`" {
		t.Errorf("error: %v", err)
	}
}

// TestDelegate: a route delegating to another VirtualService is replaced
// by that one's routes, each match merged with the root route's (a child
// match outside the root's is dropped, as istiod drops conflicts), names
// joined "ROOT-CHILD", destinations resolved in the child's namespace.
func TestDelegate(t *testing.T) {
	gw := Proxy{Namespace: "gwns", Router: true, Gateways: []string{"gwns/gw"}}
	root := vs("gwns", "root", 1, []string{"shop.example.com"}, []string{"gw"},
		&networkingv1alpha3.HTTPRoute{Name: "api", Match: []*networkingv1alpha3.HTTPMatchRequest{{Uri: prefix("/api")}},
			Delegate: &networkingv1alpha3.Delegate{Name: "child", Namespace: "team"}},
		route("rest"))
	child := vs("team", "child", 2, nil, nil,
		&networkingv1alpha3.HTTPRoute{Name: "outside", Match: []*networkingv1alpha3.HTTPMatchRequest{{Uri: prefix("/other")}}},
		&networkingv1alpha3.HTTPRoute{Name: "v1", Match: []*networkingv1alpha3.HTTPMatchRequest{{Uri: prefix("/api/v1")}},
			Route: []*networkingv1alpha3.HTTPRouteDestination{{Destination: &networkingv1alpha3.Destination{Host: "svc"}}}},
		&networkingv1alpha3.HTTPRoute{Name: "all", Route: []*networkingv1alpha3.HTTPRouteDestination{{Destination: &networkingv1alpha3.Destination{Host: "other"}}}})
	all := []*networkingv1.VirtualService{root, child}
	c := VirtualServicesFor(all, gw, "shop.example.com")
	if len(c) != 1 || c[0].VS != root {
		t.Fatalf("candidates: %+v", c)
	}
	for path, want := range map[string]string{"/api/v1/x": "api-v1", "/api/x": "api-all", "/other": "rest", "/": "rest"} {
		s, err := FirstRouteIn(c, all, gw, Request{Host: "shop.example.com", Port: 80, Path: path})
		if err != nil || s == nil || s.Route.GetName() != want {
			t.Errorf("%s: %+v %v, want %s", path, s, err, want)
			continue
		}
		if want == "api-v1" {
			if d := Destinations(s, 80, nil); len(d) != 1 || d[0].Host != "svc.team.svc.cluster.local" || s.VS != root {
				t.Errorf("%s: destinations %+v, VirtualService %s", path, d, s.VS.Name)
			}
		}
	}
	// A delegate that does not exist: the root route is left out.
	s, err := FirstRouteIn(c, []*networkingv1.VirtualService{root}, gw, Request{Host: "shop.example.com", Port: 80, Path: "/api/x"})
	if err != nil || s == nil || s.Route.GetName() != "rest" {
		t.Errorf("missing delegate: %+v %v", s, err)
	}
}
