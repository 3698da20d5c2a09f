package trace

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestDumpWithoutEDS: a dump saved without ?include_eds has no endpoints
// to show; the trace says so rather than "none", and does not count the
// configuration's endpoints as differences.
func TestDumpWithoutEDS(t *testing.T) {
	open := fileOpener(filepath.Join("..", "envoy", "testdata", "describe-productpage-v1-7bbd79f8fd-k6j79.config_dump.json"))
	got, _, err := ProxyTrace(open, request(t, "http://reviews.default.svc.cluster.local:9080/"), ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Routed || len(got.Destinations) != 1 || !got.EndpointsUnknown {
		t.Fatalf("proxy trace: %+v", got)
	}
	cfg := &Trace{Routed: true, Reason: "routed", Route: got.Route, VirtualService: got.VirtualService, Destinations: []Destination{got.Destinations[0]}}
	cfg.Destinations[0].Endpoints = []Endpoint{{Address: "10.0.0.1", Port: 9080, Locality: "r/z"}}
	if diffs := Compare(cfg, got); len(diffs) != 0 {
		t.Errorf("differences: %q", diffs)
	}
}

// TestProxyMissingCluster: a route whose every cluster the proxy lacks is
// not routed (Envoy answers 503 NC), as the configuration side says.
func TestProxyMissingCluster(t *testing.T) {
	const dump = `{"configs": [
 {"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump", "bootstrap": {"node": {"id": "sidecar~10.0.0.1~a-1.ns~ns.svc.cluster.local", "metadata": {"NAMESPACE": "ns"}}}},
 {"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump", "dynamic_route_configs": [{"route_config": {"@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "name": "9080",
   "virtual_hosts": [{"name": "b.ns.svc.cluster.local:9080", "domains": ["b.ns.svc.cluster.local", "b", "b:9080"], "routes": [{"name": "r", "match": {"prefix": "/"}, "route": {"cluster": "outbound|9080|nosuch|b.ns.svc.cluster.local"}}]}]}}]},
 {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"},
 {"@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump"}
]}`
	open := func(int) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(dump)), nil }
	got, _, err := ProxyTrace(open, request(t, "http://b:9080/"), ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Routed || got.Reason != "no cluster outbound|9080|nosuch|b.ns.svc.cluster.local (503 NC)" {
		t.Errorf("proxy trace: routed %v, %q, notes %q", got.Routed, got.Reason, got.Notes)
	}
}

// TestAddressWithoutService: an address no Service or ServiceEntry of the
// configuration has (saved files often lack the cluster IPs) is said so.
func TestAddressWithoutService(t *testing.T) {
	dir := filepath.Join("..", "mesh", "testdata", "generated")
	cfg := readConfig(t, "cluster1", filepath.Join(dir, "failover-istio-config.yaml"), filepath.Join(dir, "failover-k8s-objects.yaml"))
	_, node, err := ProxyTrace(fileOpener(filepath.Join(dir, "failover-sidecar-productpage.config_dump.json")), request(t, "http://x/"), ProxyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ConfigTrace(cfg, SourceOf(node), request(t, "http://10.9.9.9:9080/"))
	if err != nil || got.Reason != "passthrough: no Service or ServiceEntry of the configuration has address 10.9.9.9" {
		t.Errorf("%+v %v", got, err)
	}
}
