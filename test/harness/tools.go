package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Tool is a program the end-to-end tests run, built from a pinned module
// under test/tools/<Dir>. Its version is the version that module's go.mod
// requires of VersionOf, so bumping the tool is one go.mod edit.
type Tool struct {
	// Name is the program's name, and the first part of its file name in
	// the cache.
	Name string
	// Dir is the tools module under test/tools.
	Dir string
	// Package is the main package to build.
	Package string
	// VersionOf is the module whose required version names the build.
	VersionOf string
	// LDFlags returns the linker flags for a version.
	LDFlags func(version string) string
	// Why says, on a first build, why it is needed and what it costs.
	Why string
}

// Names of the tools.
const (
	KubeAPIServer        = "kube-apiserver"
	Etcd                 = "etcd"
	Kwok                 = "kwok"
	Krew                 = "krew"
	ValidateKrewManifest = "validate-krew-manifest"
	GoReleaser           = "goreleaser"
)

func stripped(string) string { return "-s -w" }

// Tools lists every tool, in build order.
var Tools = []Tool{
	{
		Name: Etcd, Dir: "etcd", Package: "go.etcd.io/etcd/server/v3", VersionOf: "go.etcd.io/etcd/server/v3",
		LDFlags: stripped,
		Why:     "the storage of each test cluster (about 1 minute)",
	},
	{
		Name: KubeAPIServer, Dir: "kube", Package: "k8s.io/kubernetes/cmd/kube-apiserver", VersionOf: "k8s.io/kubernetes",
		// Without the version stamped in, the server reports
		// v0.0.0-master+$Format:%H$, which kubectl cannot parse.
		LDFlags: func(v string) string {
			major, minor := "", ""
			if parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3); len(parts) >= 2 {
				major, minor = parts[0], parts[1]
			}
			return strings.Join([]string{
				"-s -w",
				"-X k8s.io/component-base/version.gitVersion=" + v,
				"-X k8s.io/component-base/version.gitMajor=" + major,
				"-X k8s.io/component-base/version.gitMinor=" + minor,
				"-X k8s.io/client-go/pkg/version.gitVersion=" + v,
			}, " ")
		},
		Why: "a real Kubernetes API server for each test cluster; this compiles most of Kubernetes: " +
			"4 to 7 minutes and about 2.7 GB of memory the first time",
	},
	{
		Name: Kwok, Dir: "kwok", Package: "sigs.k8s.io/kwok/cmd/kwok", VersionOf: "sigs.k8s.io/kwok",
		LDFlags: stripped,
		Why:     "plays the kubelet of fake nodes so that pods and port-forwards work without a container runtime (about 1 minute)",
	},
	{
		Name: Krew, Dir: "krew", Package: "sigs.k8s.io/krew/cmd/krew", VersionOf: "sigs.k8s.io/krew",
		LDFlags: stripped,
		Why:     "installs the plugin from its Krew manifest in the packaging tests (seconds)",
	},
	{
		Name: ValidateKrewManifest, Dir: "krew", Package: "sigs.k8s.io/krew/cmd/validate-krew-manifest", VersionOf: "sigs.k8s.io/krew",
		LDFlags: stripped,
		Why:     "Krew's own manifest validation (seconds)",
	},
	{
		Name: PilotDiscovery, Dir: "istiod", Package: "istio.io/istio/pilot/cmd/pilot-discovery", VersionOf: "istio.io/istio",
		LDFlags: stripped,
		Why: "Istio's control plane (istiod), run in the clusters of the tests of the Envoy commands; this compiles most of Istio: " +
			"about 6 minutes and 2.3 GB of memory the first time",
	},
	{
		Name: GoReleaser, Dir: "goreleaser", Package: "github.com/goreleaser/goreleaser/v2", VersionOf: "github.com/goreleaser/goreleaser/v2",
		// Without it GoReleaser reports its version as "devel".
		LDFlags: func(v string) string { return "-s -w -X main.version=" + v },
		Why:     "builds the release archives, checksums and Krew manifest for make dist and the packaging test (2 to 4 minutes)",
	},
}

// LookupTool returns the tool of a name.
func LookupTool(name string) (Tool, bool) {
	for _, t := range Tools {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// CacheDir is where built tools and detached clusters live, outside the
// repository so that they survive clean clones:
// ${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-vd.
func CacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "kubectl-vd"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot locate the cache directory: %w", err)
	}
	return filepath.Join(home, ".cache", "kubectl-vd"), nil
}

// ToolsDir is the folder of built tools.
func ToolsDir() (string, error) {
	c, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, "tools"), nil
}

// Version reads the tool's version from its tools module's go.mod.
func (t Tool) Version(repoRoot string) (string, error) {
	return requiredVersion(filepath.Join(repoRoot, "test", "tools", t.Dir, "go.mod"), t.VersionOf)
}

// ToolPath returns where a tool of a version is (or will be) cached.
func ToolPath(name, version string) (string, error) {
	dir, err := ToolsDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, name+"-"+version), nil
}

// BuildTools makes sure the named tools (all of Tools when none is named)
// are built, building the missing ones one after the other, and returns
// their paths by name. Progress goes to log. A lock file serialises
// concurrent callers so that only one of them builds; a build goes to a
// temporary file renamed into place, so an interrupted build leaves no half
// binary behind.
func BuildTools(ctx context.Context, repoRoot string, log io.Writer, names ...string) (map[string]string, error) {
	if log == nil {
		log = io.Discard
	}
	var want []Tool
	if len(names) == 0 {
		want = Tools
	}
	for _, n := range names {
		t, ok := LookupTool(n)
		if !ok {
			return nil, fmt.Errorf("unknown tool %q", n)
		}
		want = append(want, t)
	}
	paths := map[string]string{}
	var missing []Tool
	versions := map[string]string{}
	for _, t := range want {
		v, err := t.Version(repoRoot)
		if err != nil {
			return nil, fmt.Errorf("version of %s: %w", t.Name, err)
		}
		versions[t.Name] = v
		p, err := ToolPath(t.Name, v)
		if err != nil {
			return nil, err
		}
		paths[t.Name] = p
		if !isExecutable(p) {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return paths, nil
	}

	dir, err := ToolsDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, ".lock"), log)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Holding the lock, any temporary file is a leftover of a build that
	// was killed.
	if stale, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*")); len(stale) > 0 {
		for _, f := range stale {
			_ = os.Remove(f)
		}
	}

	for _, t := range missing {
		p := paths[t.Name]
		if isExecutable(p) { // built by another process while we waited
			continue
		}
		if err := buildTool(ctx, repoRoot, t, versions[t.Name], p, log); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

func buildTool(ctx context.Context, repoRoot string, t Tool, version, dest string, log io.Writer) error {
	fmt.Fprintf(log, "building %s %s (%s) into %s: %s; later runs reuse it\n", t.Name, version, t.Package, dest, t.Why)
	tmp := fmt.Sprintf("%s.tmp-%d", dest, os.Getpid())
	defer os.Remove(tmp) // no-op after the rename
	args := []string{"build", "-C", filepath.Join(repoRoot, "test", "tools", t.Dir), "-trimpath"}
	if f := t.LDFlags(version); f != "" {
		args = append(args, "-ldflags", f)
	}
	args = append(args, "-o", tmp, t.Package)
	cmd := exec.CommandContext(ctx, goBinary(), args...)
	cmd.Stdout = log
	cmd.Stderr = log
	// On cancel, let go stop its compilers rather than orphan them.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	start := time.Now()
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("building %s: %w", t.Name, ctx.Err())
		}
		return fmt.Errorf("building %s with go %s: %w", t.Name, strings.Join(args, " "), err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return err
	}
	fmt.Fprintf(log, "built %s in %s\n", t.Name, time.Since(start).Round(time.Second))
	return nil
}

// goBinary is the go command on PATH, else the one of the toolchain that
// built this program.
func goBinary() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// lockFile takes an exclusive flock on path, waiting (and saying so) while
// another process holds it. The lock dies with the process, so a killed
// build never leaves a stale lock.
func lockFile(ctx context.Context, path string, log io.Writer) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !said && log != nil {
			fmt.Fprintf(log, "waiting for another process building tools (lock %s)\n", path)
			said = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// RepoRoot finds the repository root from the working directory: the
// nearest folder up whose go.mod declares the plugin's module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && f[1] == modulePath {
					return dir, nil
				}
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the kubectl-vd repository (no go.mod of " + modulePath + " above the working directory)")
		}
		dir = parent
	}
}

const modulePath = "github.com/kubectl-vd/kubectl-vd"
