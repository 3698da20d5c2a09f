package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

// The clusters serve the Istio and Gloo CRDs to the admin, refuse the
// limited user, and log requests.
func TestHarnessClusters(t *testing.T) {
	stdout, stderr, code := runKubectl(t, "--context", "cluster2", "get", "crd", "-o", "name")
	if code != 0 {
		t.Fatalf("kubectl get crd: exit %d: %s", code, stderr)
	}
	for _, crd := range []string{
		"serviceentries.networking.istio.io",
		"workloadentries.networking.istio.io",
		"destinationrules.networking.istio.io",
		"virtualservices.networking.istio.io",
		"virtualdestinations.networking.gloo.solo.io",
		"routetables.networking.gloo.solo.io",
		"failoverpolicies.resilience.policy.gloo.solo.io",
		"outlierdetectionpolicies.resilience.policy.gloo.solo.io",
	} {
		if !strings.Contains(stdout, "customresourcedefinition.apiextensions.k8s.io/"+crd+"\n") {
			t.Errorf("cluster2 does not list CRD %s", crd)
		}
	}

	_, stderr, code = runKubectl(t, "--context", "cluster1-limited", "get", "serviceentries", "-A")
	if code == 0 || !strings.Contains(stderr, "Forbidden") || !strings.Contains(stderr, `User "limited"`) {
		t.Errorf("limited user listing serviceentries: exit %d, stderr %q; want Forbidden", code, stderr)
	}

	_, stderr, code = runKubectl(t, "--context", "dead", "get", "ns")
	if code == 0 || !strings.Contains(stderr, "connection refused") {
		t.Errorf("dead context: exit %d, stderr %q; want connection refused", code, stderr)
	}

	// A request only this test makes, so that the check holds whatever the
	// other tests of the suite asked before.
	marker := fmt.Sprintf("smoke-%d", time.Now().UnixNano())
	if _, stderr, code := runKubectl(t, "--context", "cluster2", "get", "crd", "-l", "harness-check="+marker); code != 0 {
		t.Fatalf("kubectl get crd -l: exit %d, %s", code, stderr)
	}
	events, err := testEnv.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range events {
		if strings.HasPrefix(ev.UserAgent, "kubectl/") && ev.Verb == "list" && strings.Contains(ev.RequestURI, marker) {
			seen[ev.Cluster] = true
		}
	}
	if !seen["cluster2"] || seen["cluster1"] {
		t.Errorf("audit logs: kubectl's list of CRDs logged by %v, want by cluster2 only", seen)
	}
}

// A port-forward to port 15000 of a fake pod reaches the local server
// PortForwardTo names.
func TestHarnessPortForwardToFakePod(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "admin %s", r.URL.Path)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	if err := testEnv.PortForwardTo("cluster1", l.Addr().(*net.TCPAddr).Port); err != nil {
		t.Fatal(err)
	}
	if err := testEnv.ApplyYAML("cluster1", harness.FakePodYAML("harness-test", "proxy", map[string]string{"app": "proxy"})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = testEnv.Delete("cluster1", "pods/harness-test/proxy") })
	if _, stderr, code := runKubectl(t, "--context", "cluster1", "wait", "-n", "harness-test", "pod/proxy", "--for=condition=Ready", "--timeout=60s"); code != 0 {
		t.Fatalf("fake pod not Ready: %s", stderr)
	}

	local, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	localPort := local.Addr().(*net.TCPAddr).Port
	local.Close()
	pf := exec.Command("kubectl", "--kubeconfig", testEnv.Kubeconfig, "--context", "cluster1", "-n", "harness-test",
		"port-forward", "pod/proxy", fmt.Sprintf("%d:15000", localPort))
	pf.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pf.Process.Kill(); _ = pf.Wait() })

	// kwok applies the ClusterPortForward from a watch and kubectl opens
	// its local port asynchronously: retry until both are in place.
	url := fmt.Sprintf("http://127.0.0.1:%d/config_dump", localPort)
	var body string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if body = string(data); body == "admin /config_dump" {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("GET %s through the port-forward: got %q, want %q", url, body, "admin /config_dump")
}
