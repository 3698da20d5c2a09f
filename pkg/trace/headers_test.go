package trace

import (
	"path/filepath"
	"testing"
)

// TestHeaderRoutesConfigSide traces requests that differ by headers,
// query parameters and method through testdata/header-routes.yaml, on the
// configuration side only (no istiod dump holds these routes).
func TestHeaderRoutesConfigSide(t *testing.T) {
	root := filepath.Join("..", "..", "examples", "bookinfo")
	cfg := readConfig(t, "cluster1", filepath.Join(root, "cluster1"), filepath.Join("testdata", "kubernetes", "cluster1.yaml"), filepath.Join("testdata", "header-routes.yaml"))
	cfg.Cluster = "cluster1"
	_, node, err := ProxyTrace(gatewayDump("cluster1"), request(t, "http://x/"), ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := SourceOf(node)
	for _, tc := range []struct {
		url      string
		headers  []string
		method   string
		route    string
		reason   string
		clusters string
	}{
		{"http://headers.example.com/productpage", []string{"End-User: jason"}, "GET", "jason", "routed", "outbound|9080||reviews.global"},
		{"http://headers.example.com/productpage", []string{"end-user: bob"}, "GET", "rest", "routed", "outbound|9080||productpage.global"},
		{"http://headers.example.com/api/v1", []string{"x-beta: "}, "GET", "beta", "routed", "outbound|9080||productpage.global"},
		{"http://headers.example.com/api/v1", nil, "GET", "rest", "routed", "outbound|9080||productpage.global"},
		{"http://headers.example.com/v2/x", nil, "GET", "versioned", "routed", "outbound|9080||productpage.global outbound|9080||reviews.global"},
		{"http://headers.example.com/v2/x", []string{"x-debug: 1"}, "GET", "rest", "routed", "outbound|9080||productpage.global"},
		{"http://headers.example.com/v2", nil, "GET", "rest", "routed", "outbound|9080||productpage.global"},
		{"http://headers.example.com/p?u=normal", nil, "GET", "query", "redirect 302 to /productpage", ""},
		{"http://headers.example.com/p?u=test", nil, "POST", "post", "direct response 405", ""},
		{"http://headers.example.com/fault", nil, "GET", "fault", "routed", "outbound|9080||productpage.global"},
		{"http://headers.example.com/v1only", nil, "GET", "subset", "routed", "outbound|9080|v1|productpage.global"},
		// Another host: the example's VirtualServices for "*".
		{"http://other.example.com/productpage", []string{"end-user: jason"}, "GET", "productpage-productpage", "routed", "outbound|9080||productpage.global"},
	} {
		req, err := ParseRequest(tc.url, tc.method, tc.headers)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ConfigTrace(cfg, src, req)
		if err != nil {
			t.Fatal(err)
		}
		var clusters string
		for i, d := range got.Destinations {
			if i > 0 {
				clusters += " "
			}
			clusters += d.EnvoyCluster
		}
		if got.Route != tc.route || got.Reason != tc.reason || clusters != tc.clusters {
			t.Errorf("%s %s %v: route %q, %q, %q; want %q, %q, %q", tc.method, tc.url, tc.headers, got.Route, got.Reason, clusters, tc.route, tc.reason, tc.clusters)
		}
		if tc.route == "fault" && got.Fault != "abort 503 (100%)" {
			t.Errorf("fault: %q", got.Fault)
		}
		if tc.route == "subset" {
			d := got.Destinations[0]
			// Only the pods of version v1 (not the east-west gateway's
			// WorkloadEntry), all at priority 0: no outlier detection.
			if d.Subset != "v1" || d.DestinationRule != "istio-gateways/productpage-subsets" || len(d.Endpoints) != 2 || d.Endpoints[0].Priority != 0 || d.Endpoints[1].Priority != 0 {
				t.Errorf("subset v1: %+v", d)
			}
		}
		if tc.route == "rest" && got.Rewrite != "uri /" {
			t.Errorf("rewrite: %q", got.Rewrite)
		}
	}
}

// TestMissingCluster: a route to a subset no DestinationRule defines, or to
// a host no service declares, has no Envoy cluster (istiod makes none):
// Envoy answers 503 NC, and the configuration side says so.
func TestMissingCluster(t *testing.T) {
	root := filepath.Join("..", "..", "examples", "bookinfo")
	cfg := readConfig(t, "cluster1", filepath.Join(root, "cluster1"), filepath.Join("testdata", "kubernetes", "cluster1.yaml"), filepath.Join("testdata", "missing-cluster.yaml"))
	cfg.Cluster = "cluster1"
	_, node, err := ProxyTrace(gatewayDump("cluster1"), request(t, "http://x/"), ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := SourceOf(node)
	for _, tc := range []struct {
		url    string
		routed bool
		reason string
		notes  int
	}{
		{"http://missing.example.com/subset", false, "no cluster outbound|9080|nosuch|productpage.global (503 NC)", 1},
		{"http://missing.example.com/host", false, "no cluster outbound|80||nowhere.example.org (503 NC)", 1},
		{"http://missing.example.com/half", true, "routed", 1},
		{"http://missing.example.com/port", false, "no cluster outbound|9999||productpage.global (503 NC)", 1},
		// istiod leaves out every destination of weight 0 among others.
		{"http://missing.example.com/zero", false, "every destination has weight 0: no cluster to send to", 0},
	} {
		got, err := ConfigTrace(cfg, src, request(t, tc.url))
		if err != nil {
			t.Fatal(err)
		}
		if got.Routed != tc.routed || got.Reason != tc.reason || len(got.Notes) != tc.notes {
			t.Errorf("%s: routed %v %q notes %q; want %v %q %d notes", tc.url, got.Routed, got.Reason, got.Notes, tc.routed, tc.reason, tc.notes)
		}
	}
	// A mirror is shown by its Envoy cluster, and compared.
	got, err := ConfigTrace(cfg, src, request(t, "http://missing.example.com/mirror"))
	if err != nil || got.Mirror != "outbound|9080||reviews.global" {
		t.Fatalf("mirror: %+v %v", got, err)
	}
	if d := Compare(got, &Trace{Routed: true, Reason: "routed", VirtualService: got.VirtualService, Route: got.Route, Destinations: got.Destinations}); len(d) != 1 || d[0] != "mirror: configuration outbound|9080||reviews.global, proxy (none)" {
		t.Errorf("differences: %q", d)
	}
}
