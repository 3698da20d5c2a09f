package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// TestTraceWithIstiod traces /productpage from the ingress gateway of two
// clusters whose proxies istiod configures, then changes the route in
// cluster2 while its gateway proxy is stale: the disagreement is reported
// for cluster2 only.
func TestTraceWithIstiod(t *testing.T) {
	m := startIstiodMesh(t)
	url := "http://bookinfo.example.com/productpage"
	args := []string{"trace", url, "--from", "istio-ingressgateway", "-n", "istio-gateways", "--context", "cluster1,cluster2"}
	// kwok picks the pods' IPs in their node's CIDR: the golden names them,
	// one space between columns (their widths follow the IPs).
	named := func(out string) string {
		for _, c := range []string{"cluster1", "cluster2"} {
			for _, pod := range []string{"productpage-v1-a", "productpage-v1-b"} {
				out = strings.ReplaceAll(out, m.podIP(t, c, frontends, pod)+":", "<"+c+"/"+pod+">:")
			}
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
		return strings.Join(lines, "\n") + "\n"
	}

	t.Run("agree in both clusters", func(t *testing.T) {
		out := m.vdOK(t, args...)
		assertGolden(t, "trace-gateway-two-contexts", named(out))
	})

	t.Run("from a sidecar, with the health /clusters reports", func(t *testing.T) {
		p := m.proxies.Get("cluster1", frontends, "productpage-v1-a")
		if err := p.FailOutlierCheck("outbound|9080||productpage.global", "172.23.0.6:15443", true); err != nil {
			t.Fatal(err)
		}
		defer p.FailOutlierCheck("outbound|9080||productpage.global", "172.23.0.6:15443", false)
		out := m.vdOK(t, "trace", "http://productpage.global:9080/", "--from", "productpage-v1-a", "-n", frontends, "--context", "cluster1", "-o", "wide")
		if !strings.Contains(out, "routed; the configuration and the proxy agree") {
			t.Fatalf("want agreement:\n%s", out)
		}
		var failed []string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) == 5 && strings.Contains(f[4], "FAILED_OUTLIER_CHECK") {
				failed = append(failed, f[1])
			}
		}
		if strings.Join(failed, " ") != "172.23.0.6:15443" {
			t.Errorf("hosts failing their outlier check: %q in\n%s", failed, out)
		}
	})

	t.Run("an unknown --from pod", func(t *testing.T) {
		out, errOut, code := m.vd(t, "trace", url, "--from", "nope", "-n", "istio-gateways", "--context", "cluster1")
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "nope") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("a route changed in cluster2 while its gateway is stale", func(t *testing.T) {
		if err := m.proxies.Get("cluster2", "istio-gateways", "istio-ingressgateway").Stale(); err != nil {
			t.Fatal(err)
		}
		changed, original := productpageRouteToReviews(t)
		if err := m.env.ApplyYAML("cluster2", changed); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := m.env.ApplyYAML("cluster2", original); err != nil {
				t.Errorf("restoring the VirtualService: %v", err)
			}
		})
		// The configuration is read live: wait until the change is seen.
		deadline := time.Now().Add(30 * time.Second)
		var out, errOut string
		var code int
		for {
			out, errOut, code = m.vd(t, append(args, "-o", "json")...)
			if code == 1 && strings.Contains(out, "reviews.global") || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if code != 1 || errOut != "" {
			t.Fatalf("exit %d (want 1), stderr %q\n%s", code, errOut, out)
		}
		var got struct {
			Traces []struct {
				Context     string   `json:"context"`
				Agree       bool     `json:"agree"`
				Differences []string `json:"differences"`
			} `json:"traces"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Traces) != 2 || !got.Traces[0].Agree || got.Traces[1].Agree || got.Traces[0].Context != "cluster1" || got.Traces[1].Context != "cluster2" {
			t.Fatalf("want cluster1 agreeing and cluster2 not:\n%s", out)
		}
		text, _, code := m.vd(t, args...)
		if code != 1 {
			t.Fatalf("text: exit %d", code)
		}
		assertGolden(t, "trace-gateway-stale-cluster2", named(text))
	})
}

// productpageRouteToReviews returns cluster2's VirtualService of the
// productpage RouteTable with its destination changed to reviews.global,
// and the VirtualService as it is.
func productpageRouteToReviews(t *testing.T) (changed, original []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "examples", "bookinfo", "cluster2", "productpage-routetable.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("no VirtualService in cluster2/productpage-routetable.yaml")
			}
			t.Fatal(err)
		}
		if (&unstructured.Unstructured{Object: obj}).GetKind() != "VirtualService" {
			continue
		}
		if original, err = yaml.Marshal(obj); err != nil {
			t.Fatal(err)
		}
		routes, _, _ := unstructured.NestedSlice(obj, "spec", "http")
		dst := routes[0].(map[string]any)["route"].([]any)[0].(map[string]any)["destination"].(map[string]any)
		dst["host"] = "reviews.global"
		if err := unstructured.SetNestedSlice(obj, routes, "spec", "http"); err != nil {
			t.Fatal(err)
		}
		if changed, err = yaml.Marshal(obj); err != nil {
			t.Fatal(err)
		}
		return changed, original
	}
}
