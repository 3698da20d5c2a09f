// Package e2e runs the built kubectl-vd binary against real local clusters:
// two etcd + kube-apiserver pairs with the Istio and Gloo Mesh CRDs and kwok
// fake nodes (see test/harness), loaded with examples/bookinfo.
//
// Contexts of the kubeconfig: cluster1, cluster2, cluster3 (admin),
// clusterN-limited (a user RBAC grants nothing), dead (a closed port).
// cluster3 serves Istio's CRDs but not Gloo Mesh's (istioOnlyCluster), and
// holds cluster2's translations without their Gloo parents.
// Run: go test ./test/e2e/ [-run X] [-update] (the first run builds
// kube-apiserver, which takes minutes; later runs take seconds).
package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

var (
	// testEnv is the clusters every test of the package shares. Tests may
	// add objects (in namespaces of their own, to stay independent) but
	// must leave examples/bookinfo as loaded.
	testEnv *harness.Env
	// vdBinary is the plugin, built once for the package.
	vdBinary string
	// repoRoot is the repository root.
	repoRoot string
)

// istioOnlyCluster serves Istio's CRDs but not Gloo Mesh's.
const istioOnlyCluster = "cluster3"

// commandTimeout bounds one run of the plugin or kubectl: a hang fails the
// test that caused it instead of the whole package timing out.
const commandTimeout = 2 * time.Minute

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	if repoRoot, err = harness.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	tmp, err := os.MkdirTemp("", "kubectl-vd-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 2
	}
	defer os.RemoveAll(tmp)

	vdBinary = filepath.Join(tmp, "kubectl-vd")
	build := exec.Command("go", "build", "-o", vdBinary, "./cmd/kubectl-vd")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building kubectl-vd:", err)
		return 2
	}

	// Missing tools are built here (minutes, said on stderr), never
	// skipped: a skipped end-to-end suite would pass without testing.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	testEnv, err = harness.Start(ctx, harness.Options{Clusters: 3, IstioOnly: []string{istioOnlyCluster}, AuditLog: true, Kwok: true, Log: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting clusters:", err)
		return 2
	}
	defer testEnv.Stop()

	for _, c := range testEnv.Clusters() {
		dir := filepath.Join(repoRoot, "examples", "bookinfo", c)
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := testEnv.Apply(c, dir); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: loading %s: %v\n", dir, err)
			return 2
		}
	}
	// The Istio-only cluster holds what Gloo wrote into cluster2.
	if err := testEnv.ApplyIstioOnly(istioOnlyCluster, filepath.Join(repoRoot, "examples", "bookinfo", "cluster2")); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: loading %s: %v\n", istioOnlyCluster, err)
		return 2
	}
	code := m.Run()
	if err := assertPluginMadeNoWrites(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: read-only check:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// runVD runs the plugin with the test kubeconfig and returns its stdout,
// stderr and exit status.
func runVD(t *testing.T, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	return runVDStdin(t, "", args...)
}

// runVDStdin is runVD with stdin.
func runVDStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	return run(t, stdin, vdBinary, args...)
}

// runKubectl runs /usr/bin/kubectl (or kubectl on PATH) the same way.
func runKubectl(t *testing.T, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	return run(t, "", "kubectl", args...)
}

// run runs a program with KUBECONFIG set to the test clusters and a fresh
// HOME (so kubectl's discovery cache starts empty for every run), and no
// other environment than PATH.
func run(t *testing.T, stdin, program string, args ...string) (string, string, int) {
	t.Helper()
	return runIn(t, t.TempDir(), stdin, program, args...)
}

// runVDHome is runVD with a given HOME, whose kubectl discovery cache
// (~/.kube/cache) outlives one run.
func runVDHome(t *testing.T, home string, args ...string) (string, string, int) {
	t.Helper()
	return runIn(t, home, "", vdBinary, args...)
}

func runIn(t *testing.T, home, stdin, program string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"KUBECONFIG=" + testEnv.Kubeconfig,
	}
	cmd.Stdin = strings.NewReader(stdin)
	return execute(t, ctx, cmd, commandTimeout)
}

// execute runs cmd (made with exec.CommandContext(ctx, ...)) and returns its
// stdout, stderr and exit status; a command still running after timeout
// fails the test with what it printed.
func execute(t *testing.T, ctx context.Context, cmd *exec.Cmd, timeout time.Duration) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: still running after %s\nstdout:\n%s\nstderr:\n%s", filepath.Base(cmd.Path), strings.Join(cmd.Args[1:], " "), timeout, stdout.String(), stderr.String())
	}
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("running %s: %v", cmd.Path, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// assertGolden compares got with testdata/NAME.golden, or writes it there
// with -update.
func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	gold.AssertString(t, filepath.Join("testdata", name+".golden"), got)
}
