package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

// timeoutMargin is what a bounded call may take beyond --request-timeout:
// process start, discovery of the live contexts, printing. It guards
// against hangs, not for speed (which make bench measures).
const timeoutMargin = 15 * time.Second

func TestFindDeadContextDoesNotHideTheOthers(t *testing.T) {
	start := time.Now()
	stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,dead", "--request-timeout", "3s", "-o", "name")
	elapsed := time.Since(start)
	assertOneContextDown(t, stdout, stderr, code, elapsed, "cluster1", 3*time.Second)
	if !strings.HasPrefix(stderr, "error: context dead: cannot reach https://127.0.0.1:") || !strings.HasSuffix(stderr, ": connection refused\n") {
		t.Errorf("stderr = %q", stderr)
	}
}

// assertOneContextDown checks a `find -o name` over two contexts one of
// which could not be read: exit 1, the live context's objects on stdout, one
// line on stderr (its wording is the caller's to check), and an end within
// the request timeout (plus timeoutMargin: a guard against hangs, not a
// speed test).
func assertOneContextDown(t *testing.T, stdout, stderr string, code int, elapsed time.Duration, live string, timeout time.Duration) {
	t.Helper()
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if got, want := strings.Join(lines(stdout), "\n"), strings.Join(productpageNames[live], "\n"); got != want {
		t.Errorf("live context's objects: got\n%s\nwant\n%s", got, want)
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	if elapsed > timeout+timeoutMargin {
		t.Errorf("took %s with --request-timeout %s", elapsed, timeout)
	}
}

// blackHole accepts connections and never answers: a context whose server
// hangs.
func blackHole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// kubeconfigWith writes a copy of the test kubeconfig with one more context.
func kubeconfigWith(t *testing.T, name, server string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(testEnv.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, InsecureSkipTLSVerify: true}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: "x"}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFindSlowContextIsBoundedByTheRequestTimeout(t *testing.T) {
	kubeconfig := kubeconfigWith(t, "slow", "https://"+blackHole(t))
	start := time.Now()
	stdout, stderr, code := runVD(t, "--kubeconfig", kubeconfig, "find", "productpage", "-n", "bookinfo-frontends", "--context", "slow,cluster2", "--request-timeout", "2s", "-o", "name")
	elapsed := time.Since(start)
	assertOneContextDown(t, stdout, stderr, code, elapsed, "cluster2", 2*time.Second)
	if !strings.HasPrefix(stderr, "error: context slow: ") || !strings.Contains(stderr, "timed out") {
		t.Errorf("stderr = %q", stderr)
	}
}

// TestFindAPIServerStoppedDuringTheTest runs on clusters of its own, since it
// stops one.
func TestFindAPIServerStoppedDuringTheTest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := harness.Start(ctx, harness.Options{Clusters: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	for _, c := range env.Clusters() {
		if err := env.Apply(c, filepath.Join(repoRoot, "examples", "bookinfo", c)); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--kubeconfig", env.Kubeconfig, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--request-timeout", "3s", "-o", "name"}
	stdout, _, code := runVD(t, args...)
	if code != 0 || len(lines(stdout)) != 8 {
		t.Fatalf("before the stop: exit %d, %q", code, stdout)
	}
	if err := env.StopCluster("cluster2"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stdout, stderr, code := runVD(t, args...)
	elapsed := time.Since(start)
	assertOneContextDown(t, stdout, stderr, code, elapsed, "cluster1", 3*time.Second)
	if !strings.HasPrefix(stderr, "error: context cluster2: cannot reach https://127.0.0.1:") {
		t.Errorf("stderr = %q", stderr)
	}
}

const limitedRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: istio-reader
  namespace: bookinfo-frontends
rules:
- apiGroups: [networking.istio.io, security.istio.io, telemetry.istio.io, extensions.istio.io]
  resources: ["*"]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: limited-istio-reader
  namespace: bookinfo-frontends
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: istio-reader
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: limited
`

func TestFindRBACLimitedUserGetsTheNamespacesItCanRead(t *testing.T) {
	if err := testEnv.ApplyYAML("cluster1", []byte(limitedRBAC)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testEnv.DeleteYAML("cluster1", []byte(limitedRBAC)) })
	// RBAC is evaluated from an informer cache: give it a moment.
	var stdout, stderr string
	var code int
	for i := 0; i < 20; i++ {
		stdout, stderr, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1-limited", "-o", "name")
		if len(lines(stdout)) == 3 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	want := []string{productpageNames["cluster1"][0], productpageNames["cluster1"][1], productpageNames["cluster1"][3]}
	if got := strings.Join(lines(stdout), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("objects: got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (a partial answer)", code)
	}
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "warning: context cluster1-limited: cannot list ") ||
		!strings.Contains(stderr, "virtualservices") || !strings.HasSuffix(stderr, "across all namespaces (forbidden); read namespace(s) bookinfo-frontends only\n") {
		t.Errorf("stderr = %q", stderr)
	}

	// A namespace given with --search-namespaces that cannot be read either
	// is named.
	_, stderr, _ = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1-limited", "--search-namespaces", "istio-gateways", "--resources", "virtualservices", "-o", "name")
	if want := "warning: context cluster1-limited: cannot list virtualservices across all namespaces (forbidden); read namespace(s) bookinfo-frontends only; also forbidden: virtualservices in istio-gateways\n" +
		"no objects translated from parent bookinfo-frontends/productpage in cluster1-limited\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}

// watchRun is a running `find -w`.
type watchRun struct {
	cmd    *exec.Cmd
	out    chan string
	stdout io.Reader
	stderr *strings.Builder
}

// startWatch runs the plugin with -w (args after the kubeconfig) until
// stop.
func startWatch(t *testing.T, kubeconfig string, args ...string) *watchRun {
	t.Helper()
	cmd := exec.Command(vdBinary, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "KUBECONFIG=" + kubeconfig}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w := &watchRun{cmd: cmd, out: make(chan string, 100), stdout: stdout, stderr: &strings.Builder{}}
	cmd.Stderr = w.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			w.out <- s.Text()
		}
		close(w.out)
	}()
	return w
}

// expect waits for a line starting with prefix (blanks folded).
func (w *watchRun) expect(t *testing.T, prefix string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-w.out:
			if !ok {
				t.Fatalf("output ended before %q; stderr %s", prefix, w.stderr.String())
			}
			if strings.HasPrefix(strings.Join(strings.Fields(l), " "), prefix) {
				return
			}
		case <-deadline:
			t.Fatalf("no line %q within 30s; stderr %s", prefix, w.stderr.String())
		}
	}
}

// stop sends Ctrl-C and checks that the plugin ends with exit 0.
func (w *watchRun) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range w.out {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- w.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after Ctrl-C: %v (stderr %q)", err, w.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10s after Ctrl-C")
	}
}

func TestFindWatchStreamsChanges(t *testing.T) {
	w := startWatch(t, testEnv.Kubeconfig, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-w", "-o", "name")
	expect := func(prefix string) { t.Helper(); w.expect(t, prefix) }
	expect("EVENT CONTEXT KIND NAMESPACE/NAME")
	// The watches are up once the header is out; give the servers a moment
	// to register them.
	time.Sleep(2 * time.Second)
	se := func(port int) []byte {
		return []byte(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: watch-test}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: watched
  namespace: watch-test
  labels: {gloo.solo.io/parent_name: productpage, gloo.solo.io/parent_namespace: bookinfo-frontends, gloo.solo.io/parent_kind: VirtualDestination}
spec:
  hosts: [watched.global]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{name: http, number: %d, protocol: HTTP}]
`, port))
	}
	if err := testEnv.ApplyYAML("cluster2", se(9080)); err != nil {
		t.Fatal(err)
	}
	expect("ADDED cluster2 ServiceEntry watch-test/watched")
	if err := testEnv.ApplyYAML("cluster2", se(9090)); err != nil {
		t.Fatal(err)
	}
	expect("MODIFIED cluster2 ServiceEntry watch-test/watched")
	if err := testEnv.Delete("cluster2", "serviceentries.networking.istio.io/watch-test/watched"); err != nil {
		t.Fatal(err)
	}
	expect("DELETED cluster2 ServiceEntry watch-test/watched")

	w.stop(t)
	if w.stderr.String() != "" {
		t.Errorf("stderr = %q", w.stderr.String())
	}
}
