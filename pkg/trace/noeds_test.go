package trace

import (
	"path/filepath"
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
