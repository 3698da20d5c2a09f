package e2e

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

// releaseVersion is the version the packaging tests build.
const releaseVersion = "v0.1.0"

// releasePlatforms are the archives a release holds.
var releasePlatforms = []string{"darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64", "windows_amd64"}

// distTimeout bounds `krew/dist.sh`: five cross-compilations, minutes
// with a cold Go build cache.
const distTimeout = 30 * time.Minute

// runEnv runs a program with exactly env (plus a fresh HOME unless given)
// and returns stdout, stderr and the exit status.
func runEnv(t *testing.T, timeout time.Duration, env []string, dir, program string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Dir = dir
	cmd.Env = env
	hasHome := false
	for _, e := range env {
		hasHome = hasHome || strings.HasPrefix(e, "HOME=")
	}
	if !hasHome {
		cmd.Env = append(cmd.Env, "HOME="+t.TempDir())
	}
	return execute(t, ctx, cmd, timeout)
}

// kubectlDir is the folder of the kubectl the tests run.
func kubectlDir(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("kubectl is not on PATH: %v", err)
	}
	return filepath.Dir(p)
}

// goEnv is the environment go needs to build: the caller's, where the Go
// caches are configured.
func goEnv() []string { return os.Environ() }

// link makes dir/name point to target.
func link(t *testing.T, target, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// buildRelease runs krew/dist.sh into temporary folders and returns the
// archives' folder and the manifest's path.
func buildRelease(t *testing.T) (distDir, manifest string) {
	t.Helper()
	distDir = filepath.Join(t.TempDir(), "dist")
	manifest = filepath.Join(t.TempDir(), "plugins", "vd.yaml")
	env := append(goEnv(),
		"LDFLAGS=-s -w -X github.com/kubectl-vd/kubectl-vd/pkg/version.Version="+releaseVersion+
			" -X github.com/kubectl-vd/kubectl-vd/pkg/version.Commit=e2e1234"+
			" -X github.com/kubectl-vd/kubectl-vd/pkg/version.Date=2025-01-02T03:04:05Z")
	start := time.Now()
	_, stderr, code := runEnv(t, distTimeout, env, repoRoot, filepath.Join(repoRoot, "krew", "dist.sh"),
		releaseVersion, "-out", distDir, "-manifest", manifest)
	if code != 0 {
		t.Fatalf("krew/dist.sh exited %d:\n%s", code, stderr)
	}
	t.Logf("release built in %s", time.Since(start).Round(time.Second))
	return distDir, manifest
}

func archiveName(platform string) string {
	if strings.HasPrefix(platform, "windows") {
		return "kubectl-vd_" + releaseVersion + "_" + platform + ".zip"
	}
	return "kubectl-vd_" + releaseVersion + "_" + platform + ".tar.gz"
}

// archiveEntries lists name -> mode of the files of an archive.
func archiveEntries(t *testing.T, path string) map[string]os.FileMode {
	t.Helper()
	out := map[string]os.FileMode{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			out[f.Name] = f.Mode()
		}
		return out
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[h.Name] = h.FileInfo().Mode()
	}
	return out
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// krewManifest is the part of a Krew manifest the tests read.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version   string `json:"version"`
		Platforms []struct {
			URI      string `json:"uri"`
			Sha256   string `json:"sha256"`
			Bin      string `json:"bin"`
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
		} `json:"platforms"`
	} `json:"spec"`
}

func readManifest(t *testing.T, path string) krewManifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m krewManifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// krewTools returns the krew and validate-krew-manifest binaries (built by
// the harness if missing).
func krewTools(t *testing.T) (krew, validate string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tools, err := harness.BuildTools(ctx, repoRoot, os.Stderr, harness.Krew, harness.ValidateKrewManifest)
	if err != nil {
		t.Fatalf("building krew: %v", err)
	}
	return tools[harness.Krew], tools[harness.ValidateKrewManifest]
}

// The release: archives for every platform holding the binary and LICENSE,
// checksums, a manifest that Krew's validator accepts and that installs on
// every platform from its URIs, and an install through `kubectl krew` after
// which `kubectl vd version` runs.
func TestReleaseInstallsWithKrew(t *testing.T) {
	krew, validate := krewTools(t)
	distDir, manifest := buildRelease(t)

	// The archives, and nothing else but checksums.txt.
	entries, err := os.ReadDir(distDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var want []string
	for _, p := range releasePlatforms {
		want = append(want, archiveName(p))
	}
	want = append(want, "checksums.txt")
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("dist holds\n  %v\nwant\n  %v", names, want)
	}

	// Each archive: the binary (executable) and LICENSE, at its root.
	sums := map[string]string{}
	for _, p := range releasePlatforms {
		bin := "kubectl-vd"
		if strings.HasPrefix(p, "windows") {
			bin = "kubectl-vd.exe"
		}
		path := filepath.Join(distDir, archiveName(p))
		got := archiveEntries(t, path)
		if len(got) != 2 || got[bin]&0o111 == 0 || got["LICENSE"] == 0 {
			t.Errorf("%s holds %v, want an executable %s and LICENSE", archiveName(p), got, bin)
		}
		sums[archiveName(p)] = sha256File(t, path)
	}
	// checksums.txt in sha256sum's format: "SUM  NAME", one per archive.
	checksums, err := os.ReadFile(filepath.Join(distDir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(checksums), "\n"), "\n") {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Errorf("checksums.txt: malformed line %q", l)
		}
		listed[name] = sum
	}
	if !reflect.DeepEqual(listed, sums) {
		t.Errorf("checksums.txt:\n%s\nwant the sums %v", checksums, sums)
	}

	// The manifest: one platform per archive, with its URI and sha256.
	m := readManifest(t, manifest)
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "vd" || m.Spec.Version != releaseVersion {
		t.Errorf("manifest header: %+v", m)
	}
	if len(m.Spec.Platforms) != len(releasePlatforms) {
		t.Fatalf("manifest has %d platforms, want %d", len(m.Spec.Platforms), len(releasePlatforms))
	}
	for _, pl := range m.Spec.Platforms {
		p := pl.Selector.MatchLabels["os"] + "_" + pl.Selector.MatchLabels["arch"]
		wantURI := "https://github.com/kubectl-vd/kubectl-vd/releases/download/" + releaseVersion + "/" + archiveName(p)
		if pl.URI != wantURI {
			t.Errorf("%s: uri %s, want %s", p, pl.URI, wantURI)
		}
		if got := sha256File(t, filepath.Join(distDir, archiveName(p))); pl.Sha256 != got {
			t.Errorf("%s: sha256 %s, archive has %s", p, pl.Sha256, got)
		}
	}

	// kubectl and kubectl-krew, and nothing else, on PATH.
	binDir := filepath.Join(t.TempDir(), "bin")
	link(t, krew, binDir, "kubectl-krew")
	path := "PATH=" + binDir + string(os.PathListSeparator) + kubectlDir(t)

	// Krew's validator on the release manifest (its URIs do not exist yet).
	if _, stderr, code := runEnv(t, time.Minute, []string{path}, "", validate, "-manifest", manifest, "-skip-install"); code != 0 {
		t.Errorf("validate-krew-manifest -skip-install: exit %d\n%s", code, stderr)
	}

	// The same manifest served from 127.0.0.1: the validator installs every
	// platform from its URI and checks that LICENSE is extracted.
	srv := httptest.NewServer(http.StripPrefix("/"+releaseVersion+"/", http.FileServer(http.Dir(distDir))))
	defer srv.Close()
	localManifest := filepath.Join(t.TempDir(), "vd.yaml")
	_, stderr, code := runEnv(t, 5*time.Minute, goEnv(), repoRoot, filepath.Join(repoRoot, "krew", "dist.sh"),
		releaseVersion, "-manifest-only", "-out", distDir, "-manifest", localManifest, "-base-url", srv.URL)
	if code != 0 {
		t.Fatalf("krew/dist.sh -manifest-only: exit %d\n%s", code, stderr)
	}
	if _, stderr, code := runEnv(t, 5*time.Minute, []string{path}, "", validate, "-manifest", localManifest); code != 0 {
		t.Errorf("validate-krew-manifest with installs: exit %d\n%s", code, stderr)
	} else if !strings.Contains(stderr, "all 5 spec.platforms installed fine") {
		t.Errorf("validate-krew-manifest did not install the 5 platforms:\n%s", stderr)
	}

	// kubectl krew install from the archive of this machine, then kubectl vd.
	platform := runtime.GOOS + "_" + runtime.GOARCH
	archive := filepath.Join(distDir, archiveName(platform))
	if _, err := os.Stat(archive); err != nil {
		t.Fatalf("no release archive for this machine (%s)", platform)
	}
	krewRoot := filepath.Join(t.TempDir(), "krew")
	env := []string{path, "KREW_ROOT=" + krewRoot}
	if _, stderr, code := runEnv(t, 2*time.Minute, env, "", "kubectl", "krew", "install", "--manifest="+manifest, "--archive="+archive); code != 0 {
		t.Fatalf("kubectl krew install: exit %d\n%s", code, stderr)
	}
	env = []string{path + string(os.PathListSeparator) + filepath.Join(krewRoot, "bin"), "KREW_ROOT=" + krewRoot}
	stdout, stderr, code := runEnv(t, time.Minute, env, "", "kubectl", "vd", "version")
	wantVersion := "Version:    " + releaseVersion + "\n" +
		"Git commit: e2e1234\n" +
		"Build date: 2025-01-02T03:04:05Z\n"
	if code != 0 || !strings.HasPrefix(stdout, wantVersion) || !strings.Contains(stdout, "Platform:   "+runtime.GOOS+"/"+runtime.GOARCH+"\n") {
		t.Errorf("kubectl vd version: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	stdout, _, code = runEnv(t, time.Minute, env, "", "kubectl", "vd", "--version")
	if code != 0 || !strings.HasPrefix(stdout, "kubectl-vd "+releaseVersion+" (commit e2e1234, built 2025-01-02T03:04:05Z, go") {
		t.Errorf("kubectl vd --version: exit %d: %q", code, stdout)
	}
	stdout, _, code = runEnv(t, time.Minute, env, "", "kubectl", "plugin", "list")
	if code != 0 || !strings.Contains(stdout, filepath.Join(krewRoot, "bin", "kubectl-vd")+"\n") {
		t.Errorf("kubectl plugin list: exit %d: %q", code, stdout)
	}
	// Krew's receipt, and LICENSE next to the binary.
	for _, f := range []string{filepath.Join("receipts", "vd.yaml"), filepath.Join("store", "vd", releaseVersion, "LICENSE")} {
		if _, err := os.Stat(filepath.Join(krewRoot, f)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
}

// The checked-in manifest is what Krew's validator accepts.
func TestCheckedInManifestIsValid(t *testing.T) {
	_, validate := krewTools(t)
	manifest := filepath.Join(repoRoot, "plugins", "vd.yaml")
	m := readManifest(t, manifest)
	if m.Spec.Version != releaseVersion {
		t.Errorf("plugins/vd.yaml: version %s, want %s", m.Spec.Version, releaseVersion)
	}
	platforms := map[string]bool{}
	for _, pl := range m.Spec.Platforms {
		platforms[pl.Selector.MatchLabels["os"]+"_"+pl.Selector.MatchLabels["arch"]] = true
	}
	for _, p := range releasePlatforms {
		if !platforms[p] {
			t.Errorf("plugins/vd.yaml has no platform %s", p)
		}
	}
	path := "PATH=" + kubectlDir(t)
	if _, stderr, code := runEnv(t, time.Minute, []string{path}, "", validate, "-manifest", manifest, "-skip-install"); code != 0 {
		t.Errorf("validate-krew-manifest plugins/vd.yaml: exit %d\n%s", code, stderr)
	}
}

// dist refuses a version Krew would reject, in one line.
func TestDistRejectsANonSemanticVersion(t *testing.T) {
	_, stderr, code := runEnv(t, 5*time.Minute, goEnv(), repoRoot, filepath.Join(repoRoot, "krew", "dist.sh"),
		"3779467-dirty", "-out", t.TempDir(), "-manifest", filepath.Join(t.TempDir(), "vd.yaml"))
	want := `error: version "3779467-dirty" is not a release version such as v0.1.0`
	if code == 0 || !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q, want one line starting %q", code, stderr, want)
	}
}

// make install puts kubectl-vd and kubectl_complete-vd in PREFIX, and kubectl
// finds the plugin there.
func TestMakeInstall(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "bin")
	bin := filepath.Join(t.TempDir(), "kubectl-vd")
	_, stderr, code := runEnv(t, 10*time.Minute, goEnv(), repoRoot, "make", "install", "PREFIX="+prefix, "BIN="+bin, "VERSION="+releaseVersion)
	if code != 0 {
		t.Fatalf("make install: exit %d\n%s", code, stderr)
	}
	for _, f := range []string{"kubectl-vd", "kubectl_complete-vd"} {
		fi, err := os.Stat(filepath.Join(prefix, f))
		if err != nil || fi.Mode()&0o111 == 0 {
			t.Errorf("%s not installed as an executable: %v", f, err)
		}
	}
	env := []string{"PATH=" + prefix + string(os.PathListSeparator) + kubectlDir(t)}
	stdout, stderr, code := runEnv(t, time.Minute, env, "", "kubectl", "plugin", "list")
	if code != 0 || !strings.Contains(stdout, filepath.Join(prefix, "kubectl-vd")+"\n") {
		t.Errorf("kubectl plugin list: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	stdout, _, code = runEnv(t, time.Minute, env, "", "kubectl", "vd", "version", "-o", "json")
	if code != 0 || !strings.Contains(stdout, `"version": "`+releaseVersion+`"`) {
		t.Errorf("kubectl vd version -o json: exit %d: %s", code, stdout)
	}
	// The completion helper is what kubectl runs for `kubectl vd <TAB>`.
	stdout, _, code = runEnv(t, time.Minute, env, "", "kubectl", "__complete", "vd", "vers")
	if code != 0 || stdout != "version\tPrint the version, git commit, build date and Go version\n:4\n" {
		t.Errorf("kubectl __complete vd vers: exit %d: %q", code, stdout)
	}
}
