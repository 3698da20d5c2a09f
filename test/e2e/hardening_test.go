package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

// A cluster serving Istio's CRDs but not Gloo Mesh's is a normal cluster:
// every command reads it without a warning, and explain infers the chain.
func TestIstioOnlyCluster(t *testing.T) {
	c3 := istioOnlyCluster
	t.Run("find", func(t *testing.T) {
		stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", c3, "-o", "name")
		if code != 0 || stderr != "" {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if got, want := strings.Join(lines(stdout), "\n"), strings.Join(productpageNames["cluster2"], "\n"); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("find overview", func(t *testing.T) {
		two, _, _ := runVD(t, "find", "-A", "--context", "cluster2")
		three, stderr, code := runVD(t, "find", "-A", "--context", c3)
		if code != 0 || stderr != "" {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		if want := strings.ReplaceAll(two, "CLUSTER2", "CLUSTER3"); three != want {
			t.Errorf("overview of %s:\n%s\nwant (cluster2's)\n%s", c3, three, want)
		}
	})
	t.Run("diff with the cluster it copies", func(t *testing.T) {
		stdout, stderr, code := runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster2", "--context", c3)
		if code != 0 || stderr != "" {
			t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
		}
	})
	t.Run("explain infers the chain", func(t *testing.T) {
		two, stderr2, code2 := runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster2")
		three, stderr, code := runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", c3)
		if stderr != "" {
			t.Errorf("stderr %q", stderr)
		}
		// The exit status comes from the findings alone: the same
		// translations give the same status whether or not Gloo's API is
		// served there.
		if code != code2 {
			t.Errorf("exit %d, cluster2 (Gloo served) exit %d (stderr %q)", code, code2, stderr2)
		}
		// Its objects name the Gloo cluster they were written for.
		if !strings.Contains(three, "Cluster cluster2 (context "+c3+")\n") || !strings.Contains(three, "ServiceEntry bookinfo-frontends/vd-productpage-global-bookinfo") {
			t.Errorf("explain on %s:\n%s", c3, three)
		}
		if strings.Contains(three, "cannot tell") || two == three {
			t.Errorf("explain on %s:\n%s", c3, three)
		}
	})
	t.Run("completion of parent names", func(t *testing.T) {
		stdout, _, code := runVD(t, "__complete", "find", "--context", c3, "-n", "bookinfo-frontends", "")
		if code != 0 || !strings.Contains(stdout, "productpage") {
			t.Errorf("exit %d:\n%s", code, stdout)
		}
	})
	t.Run("envoy views", func(t *testing.T) {
		admin := startFakeAdmin(t)
		labels := map[string]string{"app": "productpage", "version": "v1"}
		if err := testEnv.PortForwardTo(c3, admin.port); err != nil {
			t.Fatal(err)
		}
		if err := testEnv.ApplyYAML(c3, fakeDeploymentYAML("productpage-v1", labels)); err != nil {
			t.Fatal(err)
		}
		pod := "productpage-v1-" + c3
		if err := testEnv.ApplyYAML(c3, harness.FakePodYAML(envoyNS, pod, labels)); err != nil {
			t.Fatal(err)
		}
		if _, stderr, code := runKubectl(t, "--context", c3, "wait", "-n", envoyNS, "pod/"+pod, "--for=condition=Ready", "--timeout=60s"); code != 0 {
			t.Fatalf("fake pod not Ready: %s", stderr)
		}
		out, errOut, code := vdRetry(t, "endpoints", "deploy/productpage-v1", "-n", envoyNS, "--context", c3,
			"--vd", "productpage", "--vd-namespace", "bookinfo-frontends")
		if code != 0 || errOut != "" || !strings.Contains(out, "productpage.global") {
			t.Errorf("endpoints --vd: exit %d, stderr %q\n%s", code, errOut, out)
		}
		out, errOut, code = vdRetry(t, "clusters", "deploy/productpage-v1", "-n", envoyNS, "--context", c3, "--fqdn", "productpage.global")
		if code != 0 || errOut != "" {
			t.Errorf("clusters: exit %d, stderr %q", code, errOut)
		}
		wantIstioctl(t, out, "failover-sidecar-productpage.config_dump.istioctl-clusters-fqdn-global.txt")
	})
}

// A context whose apiserver stops answering after its discovery was cached
// is answered within about one --request-timeout, even with
// --all-resources (some hundred lists): its first timeout cancels the rest.
func TestFrozenContextCostsOneTimeout(t *testing.T) {
	home := t.TempDir()
	args := []string{"find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--all-resources", "--request-timeout", "2s", "-o", "name"}
	// Warm the discovery cache of both contexts.
	if _, stderr, code := runVDHome(t, home, args...); code != 0 {
		t.Fatalf("warming: exit %d: %s", code, stderr)
	}
	thaw, err := testEnv.FreezeCluster("cluster2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = thaw() })
	start := time.Now()
	stdout, stderr, code := runVDHome(t, home, args...)
	elapsed := time.Since(start)
	if err := thaw(); err != nil {
		t.Fatal(err)
	}
	// Before each context cancelled its own lists, this took one timeout
	// per batch of 8 lists: over 20 s here.
	assertOneContextDown(t, stdout, stderr, code, elapsed, "cluster1", 2*time.Second)
	if !strings.HasPrefix(stderr, "error: context cluster2: ") {
		t.Errorf("stderr = %q", stderr)
	}
}

// --proxy-url, like every connection flag, reaches every context.
func TestProxyURLReachesEveryContext(t *testing.T) {
	proxy := startConnectProxy(t)
	stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", "name",
		"--proxy-url", "http://"+proxy.addr)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if n := len(lines(stdout)); n != 8 {
		t.Errorf("%d objects:\n%s", n, stdout)
	}
	for _, c := range []string{"cluster1", "cluster2"} {
		addr, err := testEnv.APIServerAddr(c)
		if err != nil {
			t.Fatal(err)
		}
		if !proxy.saw(addr) {
			t.Errorf("no CONNECT to %s (%s) through --proxy-url; saw %v", c, addr, proxy.targets())
		}
	}
}

// connectProxy is an HTTP CONNECT proxy that records where it tunnels to.
type connectProxy struct {
	addr string
	mu   sync.Mutex
	seen map[string]bool
}

func (p *connectProxy) saw(target string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[target]
}

func (p *connectProxy) targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k := range p.seen {
		out = append(out, k)
	}
	return out
}

func startConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{addr: l.Addr().String(), seen: map[string]bool{}}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil || req.Method != http.MethodConnect {
					fmt.Fprint(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
					return
				}
				p.mu.Lock()
				p.seen[req.Host] = true
				p.mu.Unlock()
				up, err := net.Dial("tcp", req.Host)
				if err != nil {
					fmt.Fprint(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
					return
				}
				defer up.Close()
				fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				done := make(chan struct{}, 2)
				go func() { io.Copy(up, br); done <- struct{}{} }()
				go func() { io.Copy(c, up); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	t.Cleanup(func() { l.Close() })
	return p
}

// Changes made while a watch's connection was down are replayed when it
// comes back: modified, added and deleted objects alike.
func TestFindWatchReplaysChangesMadeWhileDisconnected(t *testing.T) {
	addr, err := testEnv.APIServerAddr("cluster2")
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := harness.StartProxy(addr, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := testEnv.WriteKubeconfigVia(kubeconfig, map[string]string{"cluster2": proxy.Addr()}); err != nil {
		t.Fatal(err)
	}
	se := func(name string, port int) []byte {
		return []byte(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: watch-replay}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: %s
  namespace: watch-replay
  labels: {gloo.solo.io/parent_name: productpage, gloo.solo.io/parent_namespace: bookinfo-frontends, gloo.solo.io/parent_kind: VirtualDestination}
spec:
  hosts: [%s.global]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{name: http, number: %d, protocol: HTTP}]
`, name, name, port))
	}
	for _, n := range []string{"kept", "removed"} {
		if err := testEnv.ApplyYAML("cluster2", se(n, 9080)); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, n := range []string{"kept", "removed", "added"} {
			_ = testEnv.Delete("cluster2", "serviceentries.networking.istio.io/watch-replay/"+n)
		}
	})

	w := startWatch(t, kubeconfig, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster2", "-w", "-o", "name")
	w.expect(t, "EVENT CONTEXT KIND NAMESPACE/NAME")
	time.Sleep(2 * time.Second)

	proxy.Cut()
	// Long enough for the plugin to see the watch fail and retry against
	// the cut connection before anything changes.
	time.Sleep(3 * time.Second)
	if err := testEnv.ApplyYAML("cluster2", se("kept", 9090)); err != nil {
		t.Fatal(err)
	}
	if err := testEnv.ApplyYAML("cluster2", se("added", 9080)); err != nil {
		t.Fatal(err)
	}
	if err := testEnv.Delete("cluster2", "serviceentries.networking.istio.io/watch-replay/removed"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}

	got := map[string]bool{}
	want := []string{
		"MODIFIED cluster2 ServiceEntry watch-replay/kept",
		"ADDED cluster2 ServiceEntry watch-replay/added",
		"DELETED cluster2 ServiceEntry watch-replay/removed",
	}
	deadline := time.After(60 * time.Second)
	for len(got) < len(want) {
		select {
		case l, ok := <-w.out:
			if !ok {
				t.Fatalf("output ended; stderr %s", w.stderr.String())
			}
			l = strings.Join(strings.Fields(l), " ")
			for _, x := range want {
				if l == x {
					got[x] = true
				}
			}
		case <-deadline:
			t.Fatalf("after the connection came back, saw %v of %v; stderr %s", got, want, w.stderr.String())
		}
	}
	w.stop(t)
	// The break and the return are said on stderr, as warnings.
	for _, want := range []string{"warning: context cluster2: connection lost (cannot reach https://" + proxy.Addr() + ": connection refused)", "warning: context cluster2: connection back"} {
		if !strings.Contains(w.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, w.stderr.String())
		}
	}
	for _, l := range lines(w.stderr.String()) {
		if !strings.HasPrefix(l, "warning: context cluster2: ") {
			t.Errorf("stderr line %q", l)
		}
	}
}

func TestRequestTimeoutHelpSaysTheDefault(t *testing.T) {
	stdout, _, code := runVD(t, "find", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(stdout, "zero means don't timeout") || !strings.Contains(stdout, `0 or unset means 10s: the plugin never waits forever (default "10s")`) {
		t.Errorf("--request-timeout help:\n%s", stdout)
	}
}

// -v shows client-go's requests, as kubectl's -v does; without it nothing
// of client-go's log reaches stderr.
func TestVerbosityShowsRequests(t *testing.T) {
	_, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "-o", "name", "-v", "6")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, `verb="GET" url="https://127.0.0.1:`) || !strings.Contains(stderr, `status="200 OK"`) {
		t.Errorf("-v 6 stderr lacks the requests:\n%s", stderr)
	}
	_, stderr, _ = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,dead", "-o", "name", "--request-timeout", "2s")
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("without -v: %q", stderr)
	}
}

// Ctrl-C ends every command at once with one line, even while a context
// hangs.
func TestCtrlCEndsEveryCommand(t *testing.T) {
	kubeconfig := kubeconfigWith(t, "slow", "https://"+blackHole(t))
	for _, args := range [][]string{
		{"find", "productpage", "-n", "bookinfo-frontends"},
		{"diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1"},
		{"explain", "productpage", "-n", "bookinfo-frontends"},
		{"clusters", "deploy/productpage-v1", "-n", envoyNS},
		{"bundle", "productpage", "-n", "bookinfo-frontends", "-o", "-"},
		{"report", "productpage", "-n", "bookinfo-frontends"},
	} {
		t.Run(args[0], func(t *testing.T) {
			cmd := exec.Command(vdBinary, append(append([]string{"--kubeconfig", kubeconfig}, args...), "--context", "slow", "--request-timeout", "60s")...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("still running 10s after Ctrl-C")
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 || stderr.String() != "error: interrupted\n" {
				t.Errorf("exit %d, stderr %q", code, stderr.String())
			}
		})
	}
}

// The Gloo CRDs removed from a cluster after kubectl's discovery cache saw
// them: the API is not served (a 404 on the list), not a warning.
func TestExplainAfterGlooCRDsWereRemoved(t *testing.T) {
	var crd string
	for _, doc := range strings.Split(string(harness.GlooCRDs), "\n---\n") {
		if strings.Contains(doc, "name: virtualdestinations.networking.gloo.solo.io") {
			crd = doc
		}
	}
	if crd == "" {
		t.Fatal("no VirtualDestination CRD in the harness's bundle")
	}
	c3 := istioOnlyCluster
	if err := testEnv.ApplyYAML(c3, []byte(crd)); err != nil {
		t.Fatal(err)
	}
	removed := false
	t.Cleanup(func() {
		if !removed {
			runKubectl(t, "--context", c3, "delete", "crd", "virtualdestinations.networking.gloo.solo.io", "--wait=true")
		}
	})
	waitFor := func(served bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, _, code := runKubectl(t, "--context", c3, "get", "--raw", "/apis/networking.gloo.solo.io/v2/virtualdestinations")
			if (code == 0) == served {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("virtualdestinations served=%v not reached in 60s", served)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	waitFor(true)
	home := t.TempDir()
	args := []string{"explain", "productpage", "-n", "bookinfo-frontends", "--context", c3}
	_, stderr, want := runVDHome(t, home, args...)
	if stderr != "" {
		t.Fatalf("with the CRD: stderr %q", stderr)
	}
	if _, stderr, code := runKubectl(t, "--context", c3, "delete", "crd", "virtualdestinations.networking.gloo.solo.io", "--wait=true"); code != 0 {
		t.Fatal(stderr)
	}
	removed = true
	waitFor(false)
	// The cache in home still says the Gloo API is served.
	stdout, stderr, code := runVDHome(t, home, args...)
	if stderr != "" || code != want {
		t.Errorf("after the CRD's removal: exit %d (want %d), stderr %q", code, want, stderr)
	}
	if !strings.Contains(stdout, "no context read serves the Gloo API") {
		t.Errorf("the chain is not said to be inferred:\n%s", stdout)
	}
}

// A context whose kubeconfig entry is broken (a certificate file that does
// not exist) is named; the other contexts are still read.
func TestBrokenKubeconfigEntryDoesNotHideTheOthers(t *testing.T) {
	cfg, err := clientcmd.LoadFromFile(testEnv.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	good := cfg.Contexts["cluster1"]
	bad := cfg.Clusters[good.Cluster].DeepCopy()
	bad.CertificateAuthorityData = nil
	bad.CertificateAuthority = "/nonexistent/ca.crt"
	cfg.Clusters["badca"] = bad
	cfg.Contexts["badca"] = &clientcmdapi.Context{Cluster: "badca", AuthInfo: good.AuthInfo}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"find", "productpage", "-n", "bookinfo-frontends", "--context", "badca,cluster1", "-o", "name"},
		{"explain", "productpage", "-n", "bookinfo-frontends", "--context", "badca,cluster1"},
	} {
		t.Run(args[0], func(t *testing.T) {
			stdout, stderr, code := runVD(t, append([]string{"--kubeconfig", path}, args...)...)
			if code == 0 || !strings.Contains(stdout, "productpage") {
				t.Errorf("exit %d, stdout:\n%s", code, stdout)
			}
			if !strings.Contains(stderr, "context") || !strings.Contains(stderr, "badca") || !strings.Contains(stderr, "/nonexistent/ca.crt") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q", stderr)
			}
		})
	}
	if _, stderr, code := runVD(t, "--kubeconfig", path, "find", "productpage", "-n", "bookinfo-frontends", "--context", "badca,cluster1", "-o", "name"); code != 1 || !strings.HasPrefix(stderr, "error: context badca: ") {
		t.Errorf("find: exit %d, stderr %q", code, stderr)
	}
}

// Two contexts of one cluster (an alias) read the same objects: explain
// tells them once.
func TestExplainTwoContextsOfOneCluster(t *testing.T) {
	cfg, err := clientcmd.LoadFromFile(testEnv.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Contexts["c1alias"] = cfg.Contexts["cluster1"].DeepCopy()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	one, _, code1 := runVD(t, "--kubeconfig", path, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1")
	two, stderr, code2 := runVD(t, "--kubeconfig", path, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,c1alias")
	if code1 != code2 || stderr != "" {
		t.Errorf("exit %d alone, %d with the alias; stderr %q", code1, code2, stderr)
	}
	findings := func(s string) string {
		for _, l := range lines(s) {
			if strings.HasPrefix(l, "Findings:") {
				return l
			}
		}
		return ""
	}
	if f1, f2 := findings(one), findings(two); f1 == "" || f1 != f2 {
		t.Errorf("findings %q alone, %q with the alias", f1, f2)
	}
	if n1, n2 := strings.Count(one, "WorkloadEntry bookinfo-frontends/"), strings.Count(two, "WorkloadEntry bookinfo-frontends/"); n1 != n2 {
		t.Errorf("WorkloadEntries told %d times alone, %d with the alias:\n%s", n1, n2, two)
	}
}
