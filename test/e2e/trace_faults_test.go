package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
	"github.com/kubectl-vd/kubectl-vd/test/meshenv"
)

// TestTraceLiveFaults traces live through what goes wrong with contexts
// and pods: a dead context next to a live one, a pod without a sidecar, a
// selector matching two pods. Its clusters have the dead context the
// other istiod test leaves out.
func TestTraceLiveFaults(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	env, err := harness.Start(ctx, harness.Options{Clusters: 2, Kwok: true, Istiod: true, Log: os.Stderr})
	if err != nil {
		t.Fatalf("starting clusters with istiod: %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	proxies, err := meshenv.Load(ctx, env, repoRoot)
	if err != nil {
		t.Fatalf("loading bookinfo: %v", err)
	}
	m := &istiodMesh{env: env, proxies: proxies}
	url := "http://bookinfo.example.com/productpage"

	t.Run("a dead context next to a live one", func(t *testing.T) {
		// Let the port-forward come up first.
		m.vdOK(t, "trace", url, "--from", "istio-ingressgateway", "-n", "istio-gateways", "--context", "cluster1")
		began := time.Now()
		out, errOut, code := m.vd(t, "trace", url, "--from", "istio-ingressgateway", "-n", "istio-gateways", "--context", "cluster1,dead", "--request-timeout", "3s")
		if code != 2 || !strings.Contains(out, "routed; the configuration and the proxy agree") {
			t.Fatalf("exit %d, stdout:\n%s\nstderr %q", code, out, errOut)
		}
		if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "error: context dead: ") {
			t.Errorf("stderr %q, want one line naming context dead", errOut)
		}
		t.Logf("with a dead context: %s", time.Since(began).Round(time.Millisecond))
	})

	t.Run("only a dead context", func(t *testing.T) {
		out, errOut, code := m.vd(t, "trace", url, "--from", "istio-ingressgateway", "-n", "istio-gateways", "--context", "dead", "--request-timeout", "3s")
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "error: ") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("a pod without a sidecar", func(t *testing.T) {
		pod := []byte(`apiVersion: v1
kind: Pod
metadata:
  name: plain
  namespace: bookinfo-frontends
  labels: {app: plain}
spec:
  nodeName: cluster1-worker
  containers:
  - name: app
    image: busybox
`)
		if err := m.env.ApplyYAML("cluster1", pod); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := m.vd(t, "trace", "http://productpage.global:9080/", "--from", "plain", "-n", frontends, "--context", "cluster1", "--request-timeout", "5s")
		if code != 2 || out != "" || errOut != "error: pod bookinfo-frontends/plain has no istio-proxy container: it sends its requests without a sidecar, and there is no proxy to trace\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("a selector matching two pods", func(t *testing.T) {
		out := m.vdOK(t, "trace", "http://productpage.global:9080/", "-l", "app=productpage", "-n", frontends, "--context", "cluster1")
		if !strings.Contains(out, "Source:   sidecar bookinfo-frontends/productpage-v1-") || !strings.Contains(out, "routed; the configuration and the proxy agree") {
			t.Fatalf("stdout:\n%s", out)
		}
		t.Logf("%s", strings.SplitN(out, "\n", 2)[0])
	})
}
