package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

// failover and drift live, on configuration computed by a real istiod in
// two clusters (the environment of TestEnvoyWithIstiod, started once for
// both commands: istiod and the proxies are the heaviest processes of the
// suite).

const globalCluster = "outbound|9080||productpage.global"

// proxyPriorities reads, from a proxy's own /config_dump?include_eds
// (decoded by pkg/envoy), "ADDRESS:PORT=PRIORITY" for productpage.global.
func proxyPriorities(t *testing.T, p *harness.XDSProxy) []string {
	t.Helper()
	resp, err := http.Get(p.AdminURL() + "/config_dump?include_eds")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	d, err := envoy.ReadConfigDump(resp.Body, envoy.ReadOptions{Endpoints: true, Keep: func(n string) bool { return n == globalCluster }})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, cla := range d.Endpoints {
		for _, l := range cla.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				sa := e.GetEndpoint().GetAddress().GetSocketAddress()
				out = append(out, fmt.Sprintf("%s:%d=%d", sa.GetAddress(), sa.GetPortValue(), l.GetPriority()))
			}
		}
	}
	sort.Strings(out)
	return out
}

type failoverJSON struct {
	Source struct {
		Context string `json:"context"`
		Proxy   string `json:"proxy"`
	} `json:"source"`
	Priorities []struct {
		Priority  uint32 `json:"priority"`
		Load      uint32 `json:"load"`
		Endpoints []struct {
			Address string `json:"address"`
			Port    uint32 `json:"port"`
		} `json:"endpoints"`
	} `json:"priorities"`
	Scenarios []struct {
		Failure string `json:"failure"`
		Outcome struct {
			Status string `json:"status"`
		} `json:"outcome"`
	} `json:"scenarios"`
}

func (r failoverJSON) priorities() []string {
	var out []string
	for _, p := range r.Priorities {
		for _, e := range p.Endpoints {
			out = append(out, fmt.Sprintf("%s:%d=%d", e.Address, e.Port, p.Priority))
		}
	}
	sort.Strings(out)
	return out
}

func TestFailoverAndDriftWithIstiod(t *testing.T) {
	m := startIstiodMesh(t)

	t.Run("failover priorities equal the proxies' EDS priorities in both contexts", func(t *testing.T) {
		for _, src := range []struct{ ns, pod string }{
			{frontends, "productpage-v1-a"}, {frontends, "productpage-v1-b"}, {"istio-gateways", "istio-ingressgateway"},
		} {
			out, errOut, code := m.vd(t, "failover", "productpage", "-n", frontends, "--context", "cluster1,cluster2",
				"--from", src.pod, "--from-namespace", src.ns, "--down", "cluster1", "-o", "json")
			if code != 0 || errOut != "" {
				t.Fatalf("failover --from %s: exit %d: %s", src.pod, code, errOut)
			}
			var reports []failoverJSON
			if err := json.Unmarshal([]byte(out), &reports); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(reports) != 2 {
				t.Fatalf("%d reports, want one per context:\n%s", len(reports), out)
			}
			for _, r := range reports {
				want := proxyPriorities(t, m.proxies.Get(r.Source.Context, src.ns, src.pod))
				if got := r.priorities(); strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%s in %s: priorities %v, the proxy's EDS has %v", src.pod, r.Source.Context, got, want)
				}
				if len(r.Scenarios) != 1 || r.Scenarios[0].Outcome.Status != "ok" {
					t.Errorf("%s in %s: --down cluster1: %+v, want traffic going elsewhere", src.pod, r.Source.Context, r.Scenarios)
				}
			}
		}
	})

	t.Run("failover exits 1 when a scenario leaves no endpoint", func(t *testing.T) {
		out, errOut, code := m.vd(t, "failover", "productpage", "-n", frontends, "--context", "cluster1",
			"--from", "deploy/productpage-v1-a-does-not-exist")
		if code != 2 || !strings.HasPrefix(errOut, "error: ") || out != "" {
			t.Errorf("missing deployment: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		out, errOut, code = m.vd(t, "failover", "productpage", "-n", frontends, "--context", "cluster1",
			"--from", "productpage-v1-a", "--down", "cluster1,cluster2")
		if code != 1 || errOut != "" || !strings.Contains(out, "503: ") {
			t.Errorf("everything down: exit %d, stderr %q\n%s", code, errOut, out)
		}
	})

	t.Run("drift: every proxy in sync, cluster2 behind cluster1 on consecutive 5xx", func(t *testing.T) {
		out, errOut, code := m.vd(t, "drift", "productpage", "-n", frontends, "--context", "cluster1,cluster2", "-l", "app=productpage")
		if code != 1 || errOut != "" {
			t.Fatalf("exit %d (want 1: the clusters disagree), stderr %q\n%s", code, errOut, out)
		}
		want := `context cluster1, proxy bookinfo-frontends/productpage-v1-a: in sync
context cluster1, proxy bookinfo-frontends/productpage-v1-b: in sync
context cluster2, proxy bookinfo-frontends/productpage-v1-a: in sync
context cluster2, proxy bookinfo-frontends/productpage-v1-b: in sync
across contexts: 1 field held differently
  outbound|9080||productpage.global outlierDetection.consecutive5xx: 2 (cluster1 bookinfo-frontends/productpage-v1-a, cluster1 bookinfo-frontends/productpage-v1-b); 5 (cluster2 bookinfo-frontends/productpage-v1-a, cluster2 bookinfo-frontends/productpage-v1-b)
`
		if out != want {
			t.Errorf("got\n%s\nwant\n%s", out, want)
		}
	})

	t.Run("drift reports exactly the changed fields on a stale proxy", func(t *testing.T) {
		stale := m.proxies.Get("cluster1", frontends, "productpage-v1-b")
		if err := stale.Stale(); err != nil {
			t.Fatal(err)
		}
		changed, original := globalRuleChanged(t)
		if err := m.env.ApplyYAML("cluster1", changed); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := m.env.ApplyYAML("cluster1", original); err != nil {
				t.Errorf("restoring the DestinationRule: %v", err)
			}
		})
		drift := func(pod string) (string, string, int) {
			return m.vd(t, "drift", "productpage", "-n", frontends, "--context", "cluster1", "--proxy", pod)
		}
		// The live proxy takes the change: in sync again once it has.
		began := time.Now()
		for {
			out, errOut, code := drift("productpage-v1-a")
			if code == 0 && errOut == "" {
				break
			}
			if time.Since(began) > 30*time.Second {
				t.Fatalf("after 30s the live proxy is still not in sync: exit %d %s\n%s", code, errOut, out)
			}
			time.Sleep(300 * time.Millisecond)
		}
		out, errOut, code := drift("productpage-v1-b")
		want := `context cluster1, proxy bookinfo-frontends/productpage-v1-b: 2 differences (proxy -> expected)
  outbound|9080||productpage.global outlierDetection.consecutive5xx: 2 -> 4
  outbound|9080||productpage.global outlierDetection.interval: 5s -> 7s
`
		if code != 1 || errOut != "" || out != want {
			t.Errorf("stale proxy: exit %d, stderr %q\n%s\nwant\n%s", code, errOut, out, want)
		}
	})
}

// globalRuleChanged returns cluster1's DestinationRule of productpage.global
// with consecutive5xxErrors 4 and interval 7s, and the rule as it is.
func globalRuleChanged(t *testing.T) (changed, original []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "examples", "bookinfo", "cluster1", "productpage-vd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("no DestinationRule in cluster1/productpage-vd.yaml")
			}
			t.Fatal(err)
		}
		if (&unstructured.Unstructured{Object: obj}).GetKind() != "DestinationRule" {
			continue
		}
		if original, err = yaml.Marshal(obj); err != nil {
			t.Fatal(err)
		}
		settings, _, _ := unstructured.NestedSlice(obj, "spec", "trafficPolicy", "portLevelSettings")
		od := settings[0].(map[string]any)["outlierDetection"].(map[string]any)
		od["consecutive5xxErrors"] = int64(4)
		od["interval"] = "7s"
		if err := unstructured.SetNestedSlice(obj, settings, "spec", "trafficPolicy", "portLevelSettings"); err != nil {
			t.Fatal(err)
		}
		if changed, err = yaml.Marshal(obj); err != nil {
			t.Fatal(err)
		}
		return changed, original
	}
}
