package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

// The proxy commands against fake pods: kwok forwards port 15000 of every
// fake pod of a cluster to fakeAdmin, a local server answering with saved
// Envoy admin answers, so the plugin's own port-forwards through the API
// servers are real.

const envoyNS = "envoy-test"

var (
	envoyData   = filepath.Join("..", "..", "pkg", "envoy", "testdata")
	istioctlOut = filepath.Join("..", "..", "pkg", "envoy", "writer", "testdata", "istioctl")
)

// Behaviours of the fake admin API.
const (
	adminOK int32 = iota
	admin500
	adminGarbage
	adminHang
)

type fakeAdmin struct {
	port int
	mode atomic.Int32
	srv  *http.Server
}

func startFakeAdmin(t *testing.T) *fakeAdmin {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join(envoyData, "failover-sidecar-productpage.config_dump.json"))
	if err != nil {
		t.Fatal(err)
	}
	clusters, err := os.ReadFile(filepath.Join(envoyData, "failover-sidecar-productpage.clusters.json"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &fakeAdmin{port: l.Addr().(*net.TCPAddr).Port}
	a.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch a.mode.Load() {
		case admin500:
			http.Error(w, "envoy admin: something broke", http.StatusInternalServerError)
			return
		case adminGarbage:
			fmt.Fprint(w, "<html>this is not Envoy</html>")
			return
		case adminHang:
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		switch {
		case r.URL.Path == "/config_dump":
			w.Write(dump)
		case r.URL.Path == "/clusters" && r.URL.Query().Get("format") == "json":
			w.Write(clusters)
		default:
			http.NotFound(w, r)
		}
	})}
	go a.srv.Serve(l)
	t.Cleanup(func() { a.srv.Close() })
	return a
}

func fakeDeploymentYAML(name string, labels map[string]string) []byte {
	var sel strings.Builder
	for k, v := range labels {
		fmt.Fprintf(&sel, "      %s: %s\n", k, v)
	}
	return []byte(fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s
spec:
  selector:
    matchLabels:
%s  template:
    metadata:
      labels:
%s    spec:
      containers:
      - name: istio-proxy
        image: docker.io/istio/proxyv2:fake
`, name, envoyNS, sel.String(), strings.ReplaceAll(sel.String(), "      ", "        ")))
}

// setUpProxies makes, in both clusters, a ready fake pod of a deployment
// productpage-v1, and in cluster1 a pending pod.
func setUpProxies(t *testing.T, admin *fakeAdmin) {
	t.Helper()
	labels := map[string]string{"app": "productpage", "version": "v1"}
	for _, c := range []string{"cluster1", "cluster2"} {
		if err := testEnv.PortForwardTo(c, admin.port); err != nil {
			t.Fatal(err)
		}
		if err := testEnv.ApplyYAML(c, fakeDeploymentYAML("productpage-v1", labels)); err != nil {
			t.Fatal(err)
		}
		pod := "productpage-v1-" + c
		if err := testEnv.ApplyYAML(c, harness.FakePodYAML(envoyNS, pod, labels)); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := runKubectl(t, "--context", c, "wait", "-n", envoyNS, "pod/"+pod, "--for=condition=Ready", "--timeout=60s"); code != 0 {
			t.Fatalf("fake pod not Ready in %s: %s", c, stderr)
		}
	}
	// No nodeName: no kubelet ever runs it.
	pending := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: pending\n  namespace: %s\nspec:\n  containers:\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:fake\n", envoyNS)
	if err := testEnv.ApplyYAML("cluster1", []byte(pending)); err != nil {
		t.Fatal(err)
	}
}

// vdRetry runs the plugin until the port-forwards reach the fake admin API
// (kwok applies ClusterPortForwards from a watch, within moments).
func vdRetry(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, errOut, code := runVD(t, args...)
		if code == 0 || time.Now().After(deadline) || !strings.Contains(errOut, "port-forward") {
			return out, errOut, code
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func wantIstioctl(t *testing.T, got, name string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join(istioctlOut, name))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from istioctl's %s\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func TestEnvoyProxyCommands(t *testing.T) {
	admin := startFakeAdmin(t)
	setUpProxies(t, admin)

	t.Run("clusters of a pod, as istioctl", func(t *testing.T) {
		out, errOut, code := vdRetry(t, "clusters", "productpage-v1-cluster1", "-n", envoyNS, "--context", "cluster1")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		wantIstioctl(t, out, "failover-sidecar-productpage.config_dump.istioctl-clusters.txt")
	})
	t.Run("endpoints of a deployment, as istioctl", func(t *testing.T) {
		out, errOut, code := vdRetry(t, "endpoints", "deploy/productpage-v1", "-n", envoyNS, "--context", "cluster2")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		wantIstioctl(t, out, "failover-sidecar-productpage.clusters.istioctl-endpoints.txt")
	})
	t.Run("selector and filters", func(t *testing.T) {
		out, errOut, code := vdRetry(t, "clusters", "-l", "app=productpage", "-n", envoyNS, "--context", "cluster1", "--fqdn", "productpage.global")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		wantIstioctl(t, out, "failover-sidecar-productpage.config_dump.istioctl-clusters-fqdn-global.txt")
	})
	t.Run("vd wide in two contexts", func(t *testing.T) {
		out, errOut, code := vdRetry(t, "endpoints", "deploy/productpage-v1", "-n", envoyNS, "--context", "cluster1,cluster2",
			"--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "-o", "wide")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		assertGolden(t, "envoy-endpoints-vd-wide-two-contexts", out)
	})
	t.Run("vd clusters wide", func(t *testing.T) {
		out, errOut, code := vdRetry(t, "clusters", "deploy/productpage-v1", "-n", envoyNS, "--context", "cluster1",
			"--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "-o", "wide")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		assertGolden(t, "envoy-clusters-vd-wide", out)
	})
	t.Run("json in two contexts", func(t *testing.T) {
		out, errOut, code := vdRetry(t, "clusters", "deploy/productpage-v1", "-n", envoyNS, "--context", "cluster1,cluster2", "--fqdn", "productpage.global", "-o", "yaml")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		assertGolden(t, "envoy-clusters-yaml-two-contexts", out)
	})
	t.Run("a hung admin API is bounded by --request-timeout", func(t *testing.T) {
		admin.mode.Store(adminHang)
		defer admin.mode.Store(adminOK)
		out, errOut, code := vdRetry(t, "endpoints", "productpage-v1-cluster1", "-n", envoyNS, "--context", "cluster1", "--request-timeout", "2s")
		want := "error: pod envoy-test/productpage-v1-cluster1: the Envoy admin API on port 15000 did not answer in time\n"
		if code != 1 || out != "" || errOut != want {
			t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
		}
	})
	t.Run("trace: a hung admin API is bounded by --request-timeout", func(t *testing.T) {
		admin.mode.Store(adminHang)
		defer admin.mode.Store(adminOK)
		out, errOut, code := vdRetry(t, "trace", "http://productpage.global:9080/", "--from", "productpage-v1-cluster1", "-n", envoyNS, "--context", "cluster1", "--request-timeout", "2s")
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "did not answer in time") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("one context failing does not hide the other", func(t *testing.T) {
		out, errOut, code := vdRetry(t, "clusters", "productpage-v1-cluster1", "-n", envoyNS, "--context", "cluster1,cluster2", "--fqdn", "productpage.global")
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		if want := "error: context cluster2: pod envoy-test/productpage-v1-cluster1 not found\n"; errOut != want {
			t.Errorf("stderr %q, want %q", errOut, want)
		}
		assertGolden(t, "envoy-clusters-one-context-failing", out)
	})

	for _, tc := range []struct {
		name string
		mode int32
		args []string
		want string
	}{
		{"pod not running", adminOK, []string{"clusters", "pending"}, "error: pod envoy-test/pending is not running (phase Pending)\n"},
		{"no such pod", adminOK, []string{"endpoints", "nope"}, "error: pod envoy-test/nope not found\n"},
		{"no such deployment", adminOK, []string{"endpoints", "deploy/nope"}, "error: deployment envoy-test/nope not found\n"},
		{"admin answers 500", admin500, []string{"clusters", "productpage-v1-cluster1"},
			"error: pod envoy-test/productpage-v1-cluster1: the Envoy admin API answered 500 Internal Server Error to GET /config_dump: envoy admin: something broke\n"},
		{"garbage answer", adminGarbage, []string{"endpoints", "productpage-v1-cluster1"},
			"error: pod envoy-test/productpage-v1-cluster1: /clusters: not JSON, not an Envoy admin API answer (invalid character '<' looking for beginning of value)\n"},
		{"vd without translation", adminOK, []string{"clusters", "productpage-v1-cluster1", "--vd", "nothing-here"},
			"error: no ServiceEntry translated from VirtualDestination envoy-test/nothing-here\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin.mode.Store(tc.mode)
			defer admin.mode.Store(adminOK)
			args := append(tc.args, "-n", envoyNS, "--context", "cluster1")
			out, errOut, code := vdRetry(t, args...)
			if code != 1 || out != "" || errOut != tc.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, stderr %q", code, out, errOut, tc.want)
			}
		})
	}

	t.Run("port-forward refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if err := testEnv.PortForwardTo("cluster1", closed); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = testEnv.PortForwardTo("cluster1", admin.port) }()
		// Until kwok picks the change up, the old target still answers.
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, errOut, code := runVD(t, "clusters", "productpage-v1-cluster1", "-n", envoyNS, "--context", "cluster1", "--request-timeout", "5s")
			if code != 0 {
				t.Logf("stderr: %s", errOut)
				if out != "" || strings.Count(errOut, "\n") != 1 ||
					!strings.HasPrefix(errOut, "error: pod envoy-test/productpage-v1-cluster1: port-forward failed: ") ||
					!strings.Contains(errOut, "refused") {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the port-forward still reaches the admin API")
			}
			time.Sleep(500 * time.Millisecond)
		}
	})
}
