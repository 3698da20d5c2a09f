package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
	"github.com/kubectl-vd/kubectl-vd/test/meshenv"
)

// The Envoy commands on configuration computed by Istio's own control
// plane: two clusters of their own (so that the other tests' clusters stay
// as they are), each with a real istiod, loaded with examples/bookinfo and
// its Kubernetes side (examples/bookinfo/kubernetes); the Envoy of each
// proxy pod is played by xds-proxy (test/tools/istiod), reached through
// kwok's port-forward like any Envoy. Only this test starts istiod; the
// first run builds pilot-discovery (about 6 minutes, then cached).

const frontends = "bookinfo-frontends"

// istiodMesh is the environment of TestEnvoyWithIstiod.
type istiodMesh struct {
	env     *harness.Env
	proxies meshenv.Proxies
}

func startIstiodMesh(t *testing.T) *istiodMesh {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	began := time.Now()
	env, err := harness.Start(ctx, harness.Options{Clusters: 2, Kwok: true, Istiod: true, OnlyClusterContexts: true, Log: os.Stderr})
	if err != nil {
		t.Fatalf("starting clusters with istiod: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	proxies, err := meshenv.Load(ctx, env, repoRoot)
	if err != nil {
		t.Fatalf("loading bookinfo: %v", err)
	}
	t.Logf("clusters, istiod and %d proxies ready in %s", len(proxies["cluster1"])+len(proxies["cluster2"]), time.Since(began).Round(time.Millisecond))
	for name, rss := range env.ProcessRSS() {
		if strings.Contains(name, "istiod") || strings.Contains(name, "xds-proxy") {
			t.Logf("RSS %s: %d MiB", name, rss>>20)
		}
	}
	return &istiodMesh{env: env, proxies: proxies}
}

// vd runs the plugin against the mesh's clusters.
func (m *istiodMesh) vd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, vdBinary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "KUBECONFIG=" + m.env.Kubeconfig}
	return execute(t, ctx, cmd, commandTimeout)
}

// vdOK runs the plugin until the port-forwards reach the proxies (kwok
// applies a new forward from a watch) and fails the test unless it exits 0
// with nothing on stderr.
func (m *istiodMesh) vdOK(t *testing.T, args ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errOut, code := m.vd(t, args...)
		if code == 0 && errOut == "" {
			return out
		}
		if time.Now().After(deadline) || !strings.Contains(errOut, "port-forward") {
			t.Fatalf("kubectl vd %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// podIP is the IP kwok gave a proxy pod.
func (m *istiodMesh) podIP(t *testing.T, context, namespace, pod string) string {
	t.Helper()
	p := m.proxies.Get(context, namespace, pod)
	if p == nil {
		t.Fatalf("no proxy for %s/%s in %s", namespace, pod, context)
	}
	return p.IP
}

// row is one line of `endpoints -o wide` split into its columns.
func rows(out string) [][]string {
	var rs [][]string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		rs = append(rs, strings.Fields(l))
	}
	return rs
}

func TestEnvoyWithIstiod(t *testing.T) {
	m := startIstiodMesh(t)
	vdArgs := []string{"-n", frontends, "--vd", "productpage", "--vd-namespace", frontends, "-o", "wide"}

	t.Run("clusters of the VirtualDestination in two contexts", func(t *testing.T) {
		out := m.vdOK(t, append([]string{"clusters", "productpage-v1-a", "--context", "cluster1,cluster2"}, vdArgs...)...)
		assertGolden(t, "istiod-clusters-vd-wide-two-contexts", out)
	})

	t.Run("endpoints at istiod's localities and priorities", func(t *testing.T) {
		out := m.vdOK(t, append([]string{"endpoints", "productpage-v1-a", "--context", "cluster1,cluster2"}, vdArgs...)...)
		// The local pods by zone, then the other cluster's east-west
		// gateway from the WorkloadEntry, each at the priority istiod
		// computed for a proxy in zone a.
		var want []string
		for _, c := range []struct{ context, region, remote, remoteLocality string }{
			{"cluster1", "us-east-1", "172.23.0.6", "eu-west-1/eu-west-1a"},
			{"cluster2", "eu-west-1", "172.23.0.5", "us-east-1/us-east-1a"},
		} {
			want = append(want,
				fmt.Sprintf("%s %s:9080 %s/%sa 0", c.context, m.podIP(t, c.context, frontends, "productpage-v1-a"), c.region, c.region),
				fmt.Sprintf("%s %s:9080 %s/%sb 1", c.context, m.podIP(t, c.context, frontends, "productpage-v1-b"), c.region, c.region),
				fmt.Sprintf("%s %s:15443 %s 2", c.context, c.remote, c.remoteLocality),
			)
		}
		var got []string
		for _, r := range rows(out) {
			// CONTEXT ENDPOINT STATUS OUTLIER CLUSTER LOCALITY PRIORITY WEIGHT
			if len(r) != 8 || r[4] != "outbound|9080||productpage.global" {
				t.Fatalf("unexpected row %q in\n%s", r, out)
			}
			got = append(got, strings.Join([]string{r[0], r[1], r[5], r[6]}, " "))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("endpoints:\n%s\nwant (context endpoint locality priority):\n%s", out, strings.Join(want, "\n"))
		}
		// kwok picks the pods' IPs in their node's CIDR, not always the
		// same one: the golden names them, one space between columns
		// (their widths follow the IPs).
		for _, c := range []string{"cluster1", "cluster2"} {
			for _, pod := range []string{"productpage-v1-a", "productpage-v1-b"} {
				out = strings.ReplaceAll(out, m.podIP(t, c, frontends, pod)+":", "<"+c+"/"+pod+">:")
			}
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
		assertGolden(t, "istiod-endpoints-vd-wide-two-contexts", strings.Join(lines, "\n")+"\n")
	})

	t.Run("the ingress gateway routes to the VirtualDestination", func(t *testing.T) {
		out := m.vdOK(t, "clusters", "istio-ingressgateway", "-n", "istio-gateways", "--context", "cluster1", "--fqdn", "productpage.global")
		assertGolden(t, "istiod-gateway-clusters-fqdn-global", out)
	})

	t.Run("a host failing its outlier check", func(t *testing.T) {
		p := m.proxies.Get("cluster1", frontends, "productpage-v1-a")
		if err := p.FailOutlierCheck("outbound|9080||productpage.global", "172.23.0.6:15443", true); err != nil {
			t.Fatal(err)
		}
		defer p.FailOutlierCheck("outbound|9080||productpage.global", "172.23.0.6:15443", false)
		out := m.vdOK(t, append([]string{"endpoints", "productpage-v1-a", "--context", "cluster1"}, vdArgs...)...)
		var failed []string
		for _, r := range rows(out) {
			// ENDPOINT STATUS OUTLIER-CHECK CLUSTER LOCALITY PRIORITY WEIGHT
			if len(r) == 7 && r[2] == "FAILED" {
				failed = append(failed, r[0])
			}
		}
		if strings.Join(failed, " ") != "172.23.0.6:15443" {
			t.Errorf("hosts failing their outlier check: %q in\n%s\nwant 172.23.0.6:15443 only", failed, out)
		}
	})

	t.Run("outlier detection added in cluster2 reaches its proxies within seconds, not a stale one", func(t *testing.T) {
		stale := m.proxies.Get("cluster2", frontends, "productpage-v1-b")
		if err := stale.Stale(); err != nil {
			t.Fatal(err)
		}
		args := func(pod string) []string {
			return []string{"clusters", pod, "-n", frontends, "--context", "cluster2", "--fqdn", "reviews.global", "-o", "wide"}
		}
		before := m.vdOK(t, args("productpage-v1-a")...)
		assertGolden(t, "istiod-reviews-wide-before", before)

		dr, original := reviewsRuleWithOutlierDetection(t)
		began := time.Now()
		if err := m.env.ApplyYAML("cluster2", dr); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := m.env.ApplyYAML("cluster2", original); err != nil {
				t.Errorf("restoring the DestinationRule: %v", err)
			}
		})
		var live string
		for {
			live = m.vdOK(t, args("productpage-v1-a")...)
			if live != before {
				break
			}
			if time.Since(began) > 30*time.Second {
				t.Fatalf("after 30s the live proxy still shows:\n%s", live)
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("the change reached the live proxy's admin API in %s", time.Since(began).Round(10*time.Millisecond))
		assertGolden(t, "istiod-reviews-wide-live", live)
		if !strings.Contains(live, "5xx=3,interval=10s,ejection=1m0s,max=50%") {
			t.Errorf("live proxy:\n%s\nwant the new outlier detection", live)
		}
		if got := m.vdOK(t, args("productpage-v1-b")...); got != before {
			t.Errorf("the stale proxy changed:\n%s\nwant, as before:\n%s", got, before)
		}
	})
}

// reviewsRuleWithOutlierDetection returns cluster2's DestinationRule of
// reviews.global (examples/bookinfo/cluster2/noise.yaml) with outlier
// detection added to its port 9080, and the rule as it is.
func reviewsRuleWithOutlierDetection(t *testing.T) (changed, original []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "examples", "bookinfo", "cluster2", "noise.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				t.Fatal("no DestinationRule of reviews.global in cluster2/noise.yaml")
			}
			t.Fatal(err)
		}
		u := unstructured.Unstructured{Object: obj}
		if u.GetKind() != "DestinationRule" {
			continue
		}
		if host, _, _ := unstructured.NestedString(obj, "spec", "host"); host != "reviews.global" {
			continue
		}
		if original, err = yaml.Marshal(obj); err != nil {
			t.Fatal(err)
		}
		settings, _, _ := unstructured.NestedSlice(obj, "spec", "trafficPolicy", "portLevelSettings")
		if len(settings) != 1 {
			t.Fatalf("reviews.global: %d port level settings, want 1", len(settings))
		}
		settings[0].(map[string]any)["outlierDetection"] = map[string]any{
			"consecutive5xxErrors": int64(3), "interval": "10s", "baseEjectionTime": "1m", "maxEjectionPercent": int64(50),
		}
		if err := unstructured.SetNestedSlice(obj, settings, "spec", "trafficPolicy", "portLevelSettings"); err != nil {
			t.Fatal(err)
		}
		if changed, err = yaml.Marshal(obj); err != nil {
			t.Fatal(err)
		}
		return changed, original
	}
}
