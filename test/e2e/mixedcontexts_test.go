package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// assertUserFailure checks what every failure a user can cause must look
// like: a non-zero exit, and stderr made of whole "error: " or "warning: "
// lines, never a panic or a stack trace.
func assertUserFailure(t *testing.T, what, stderr string, code int) {
	t.Helper()
	if code == 0 {
		t.Errorf("%s: exit 0, want non-zero", what)
	}
	if stderr == "" || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("%s: stderr %q is not whole lines", what, stderr)
	}
	for _, l := range lines(stderr) {
		// "no objects translated from ..." is find's and diff's word for
		// a context read that holds nothing: not a failure.
		if !strings.HasPrefix(l, "error: ") && !strings.HasPrefix(l, "warning: ") && !strings.HasPrefix(l, "no objects translated from ") {
			t.Errorf("%s: stderr line %q is neither an error nor a warning", what, l)
		}
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		t.Errorf("%s: stderr holds a panic: %q", what, stderr)
	}
}

// One dead, one RBAC-limited and one Istio-only context among the live ones:
// find, diff and completion show what the readable contexts hold and name
// each bad one in one line.
func TestMixedContextsFindDiffCompletion(t *testing.T) {
	stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends",
		"--context", "cluster1,cluster2-limited,dead,"+istioOnlyCluster, "--request-timeout", "3s", "-o", "name")
	assertUserFailure(t, "find", stderr, code)
	for _, name := range productpageNames["cluster1"] {
		if !strings.Contains(stdout, name+"\n") {
			t.Errorf("find: %s missing from stdout:\n%s", name, stdout)
		}
	}
	if !strings.Contains(stderr, "context dead: ") {
		t.Errorf("find: the dead context is not named: %q", stderr)
	}
	if !strings.Contains(stderr, "cluster2-limited") {
		t.Errorf("find: the limited context is not named: %q", stderr)
	}

	stdout, stderr, code = runVD(t, "find", "-A", "--context", "cluster1,cluster2-limited,dead", "--request-timeout", "3s")
	assertUserFailure(t, "find -A", stderr, code)
	if !strings.Contains(stdout, "VirtualDestination") || !strings.Contains(stdout, "productpage") {
		t.Errorf("find -A: the readable context's parents are missing:\n%s", stdout)
	}

	for _, bad := range []string{"dead", "cluster2-limited"} {
		_, stderr, code = runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--context", bad, "--request-timeout", "3s")
		assertUserFailure(t, "diff with "+bad, stderr, code)
		if code != 2 || !strings.Contains(stderr, bad) {
			t.Errorf("diff with %s: exit %d, stderr %q: want exit 2 naming it", bad, code, stderr)
		}
	}
	snapshot := filepath.Join(t.TempDir(), "snapshots", "a", "snapshot.yaml")
	if err := os.MkdirAll(filepath.Dir(snapshot), 0o755); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "-o", "yaml")
	if code != 0 {
		t.Fatalf("snapshot: exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(snapshot, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(snapshot))
	stdout, stderr, code = runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--from", root, "-R", "-q")
	if code != 0 || !strings.Contains(stdout, "4 same") {
		t.Errorf("diff --from DIR -R: exit %d\n%s%s", code, stdout, stderr)
	}
	_, stderr, code = runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--context", "dead", "--from", snapshot, "--request-timeout", "3s")
	assertUserFailure(t, "diff --from with a dead context", stderr, code)

	env := completionEnv(t)
	start := time.Now()
	got := choices(kubectlComplete(t, env, "find", "--context", "cluster2-limited,dead,cluster1", "-n", "bookinfo-frontends", "prod"))
	if strings.Join(got, " ") != "productpage" {
		t.Errorf("completion with a dead and a limited context: %v, want [productpage]", got)
	}
	if el := time.Since(start); el > 8*time.Second {
		t.Errorf("completion took %s", el)
	}
}

// A frozen apiserver (it accepts connections and never answers) costs one
// --request-timeout, in find, diff and completion, and is named.
func TestFrozenContextFindDiffCompletion(t *testing.T) {
	home := t.TempDir()
	// Warm the discovery cache, as a user's has been.
	if _, stderr, code := runVDHome(t, home, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", "name"); code != 0 {
		t.Fatalf("warming: exit %d: %s", code, stderr)
	}
	thaw, err := testEnv.FreezeCluster("cluster2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = thaw() })

	runs := [][]string{
		{"find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--request-timeout", "1s", "-o", "yaml"},
		{"find", "-A", "--context", "cluster2,cluster1", "--request-timeout", "1s"},
		{"diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--context", "cluster2", "--request-timeout", "1s"},
		{"clusters", "deploy/productpage-v1", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--request-timeout", "1s"},
		{"endpoints", "-l", "app=productpage", "-n", "bookinfo-frontends", "--context", "cluster2,cluster1", "--request-timeout", "1s"},
	}
	for _, args := range runs {
		what := strings.Join(args, " ")
		start := time.Now()
		stdout, stderr, code := runVDHome(t, home, args...)
		elapsed := time.Since(start)
		assertUserFailure(t, what, stderr, code)
		if !strings.Contains(stderr, "context cluster2: ") {
			t.Errorf("%s: the frozen context is not named: %q", what, stderr)
		}
		if args[0] != "find" && args[0] != "diff" && !strings.Contains(stderr, "context cluster1: ") {
			// No proxy runs in cluster1 here: its own error is shown too.
			t.Errorf("%s: cluster1's answer is hidden: %q", what, stderr)
		}
		if elapsed > time.Second+timeoutMargin {
			t.Errorf("%s: took %s with --request-timeout 1s", what, elapsed)
		}
		if args[0] == "find" && !strings.Contains(stdout, "productpage") {
			t.Errorf("%s: cluster1's objects are missing:\n%s", what, stdout)
		}
		t.Logf("%s: exit %d, %s\nstderr: %s", what, code, elapsed, stderr)
	}

	env := append(completionEnv(t), "HOME="+home)
	start := time.Now()
	got := choices(kubectlComplete(t, env, "find", "--context", "cluster2,cluster1", "-n", "bookinfo-frontends", "--request-timeout", "1s", "prod"))
	if strings.Join(got, " ") != "productpage" {
		t.Errorf("completion with a frozen context: %v, want [productpage]", got)
	}
	if el := time.Since(start); el > 8*time.Second {
		t.Errorf("completion with a frozen context took %s", el)
	}
}
