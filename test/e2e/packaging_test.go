package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
	"github.com/kubectl-vd/kubectl-vd/test/release"
)

// releaseVersion is the tag the packaging tests release.
const releaseVersion = "v0.1.0"

// releasePlatforms are the archives a release holds.
var releasePlatforms = []string{"darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64", "windows_amd64"}

// distTimeout bounds one `make dist`: five cross-compilations, minutes with
// a cold Go build cache (plus GoReleaser's own build the first time).
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
// goEnv is this process's environment without what a calling make passes
// to the makes it runs (MAKELEVEL, MAKEFLAGS, MFLAGS): under `make test` the
// tests' own make runs would otherwise print "Entering directory" lines.
func goEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "MAKELEVEL", "MAKEFLAGS", "MFLAGS", "MAKEOVERRIDES":
			continue
		}
		env = append(env, kv)
	}
	return env
}

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

func archiveName(version, platform string) string {
	if strings.HasPrefix(platform, "windows") {
		return "kubectl-vd_" + version + "_" + platform + ".zip"
	}
	return "kubectl-vd_" + version + "_" + platform + ".tar.gz"
}

// entry is a file of an archive as an unpacker sees it.
type entry struct {
	Mode    os.FileMode
	ModTime time.Time
}

// archiveEntries lists the files of an archive by name.
func archiveEntries(t *testing.T, path string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			out[f.Name] = entry{f.Mode(), f.Modified.UTC()}
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
		out[h.Name] = entry{h.FileInfo().Mode(), h.ModTime.UTC()}
	}
	return out
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

// The release as `make dist` builds it with GoReleaser, in a temporary clone
// of the working tree: an untagged tree gives a snapshot whose version Krew
// accepts; a tagged one gives archives and checksums that are byte-identical
// from one run to the next, a manifest (plugins/vd.yaml) that krew/.krew.yaml
// reproduces, that Krew's validator accepts and that installs every platform,
// and an offline `kubectl krew install` after which `kubectl vd version`
// shows the tag, the commit and the commit's date. Last, the checked-in
// plugins/vd.yaml is rebuilt from its own commit: same bytes.
//
// This is the one test that cross-compiles (four `make dist`, five
// platforms each); the runs after the first hit Go's build cache.
func TestRelease(t *testing.T) {
	krew, validate := krewTools(t)
	clone := cloneWorkTree(t)
	commit := gitIn(t, clone, "rev-parse", "--short", "HEAD")

	t.Run("untagged tree gives a snapshot", func(t *testing.T) {
		for _, tag := range strings.Fields(gitIn(t, clone, "tag", "--points-at", "HEAD", "--list", "v*")) {
			gitIn(t, clone, "tag", "-d", tag)
		}
		stdout := makeDist(t, clone)
		if !strings.Contains(stdout, "dist/ holds a snapshot") {
			t.Errorf("make dist on an untagged tree:\n%s", stdout)
		}
		manifest := filepath.Join(clone, "dist", "krew", "vd.yaml")
		m := readManifest(t, manifest)
		if !regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+-snapshot-` + commit + `$`).MatchString(m.Spec.Version) {
			t.Errorf("snapshot version %q, want vX.Y.Z-snapshot-%s", m.Spec.Version, commit)
		}
		if _, err := os.Stat(filepath.Join(clone, "dist", archiveName(m.Spec.Version, "linux_amd64"))); err != nil {
			t.Errorf("snapshot archive: %v", err)
		}
		path := "PATH=" + kubectlDir(t)
		if _, stderr, code := runEnv(t, time.Minute, []string{path}, "", validate, "-manifest", manifest, "-skip-install"); code != 0 {
			t.Errorf("validate-krew-manifest on the snapshot's manifest: exit %d\n%s", code, stderr)
		}
		if st := gitIn(t, clone, "status", "--porcelain"); st != "" {
			t.Errorf("a snapshot changed the tree (plugins/vd.yaml is the release's):\n%s", st)
		}
	})

	// The same tagged commit, twice.
	gitIn(t, clone, "tag", "-f", releaseVersion)
	distDir := filepath.Join(clone, "dist")
	stdout := makeDist(t, clone)
	if !strings.Contains(stdout, "dist/ holds the release "+releaseVersion) {
		t.Errorf("make dist on a tagged tree:\n%s", stdout)
	}
	first := releaseFiles(t, distDir)
	makeDist(t, clone)
	second := releaseFiles(t, distDir)
	var names []string
	for name := range second {
		names = append(names, name)
	}
	sort.Strings(names)
	var want []string
	for _, p := range releasePlatforms {
		want = append(want, archiveName(releaseVersion, p))
	}
	want = append(want, "checksums.txt", filepath.Join("krew", "vd.yaml"))
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("dist holds\n  %v\nwant\n  %v", names, want)
	}
	for _, name := range names {
		if !bytes.Equal(first[name], second[name]) {
			t.Errorf("%s differs between two make dist of the same commit", name)
		}
	}
	manifestBytes := second[filepath.Join("krew", "vd.yaml")]
	if b, err := os.ReadFile(filepath.Join(clone, "plugins", "vd.yaml")); err != nil || !bytes.Equal(b, manifestBytes) {
		t.Errorf("plugins/vd.yaml is not dist/krew/vd.yaml (%v)", err)
	}

	// Each archive: the binary (executable), LICENSE and README.md, at its
	// root, dated by the commit.
	sums := map[string]string{}
	for _, p := range releasePlatforms {
		bin := "kubectl-vd"
		if strings.HasPrefix(p, "windows") {
			bin = "kubectl-vd.exe"
		}
		name := archiveName(releaseVersion, p)
		got := archiveEntries(t, filepath.Join(distDir, name))
		wantEntries := map[string]entry{
			bin:         {0o755, commitDate},
			"LICENSE":   {0o644, commitDate},
			"README.md": {0o644, commitDate},
		}
		if !reflect.DeepEqual(got, wantEntries) {
			t.Errorf("%s holds %v, want %v", name, got, wantEntries)
		}
		sums[name] = sha256Hex(second[name])
	}
	// checksums.txt in sha256sum's format: "SUM  NAME", one per archive.
	listed := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(string(second["checksums.txt"]), "\n"), "\n") {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Errorf("checksums.txt: malformed line %q", l)
		}
		listed[name] = sum
	}
	if !reflect.DeepEqual(listed, sums) {
		t.Errorf("checksums.txt:\n%s\nwant the sums %v", second["checksums.txt"], sums)
	}

	// The manifest: one platform per archive, with its URI and sha256.
	manifest := filepath.Join(clone, "plugins", "vd.yaml")
	m := readManifest(t, manifest)
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "vd" || m.Spec.Version != releaseVersion {
		t.Errorf("manifest header: %+v", m)
	}
	if len(m.Spec.Platforms) != len(releasePlatforms) {
		t.Fatalf("manifest has %d platforms, want %d", len(m.Spec.Platforms), len(releasePlatforms))
	}
	for _, pl := range m.Spec.Platforms {
		p := pl.Selector.MatchLabels["os"] + "_" + pl.Selector.MatchLabels["arch"]
		wantURI := releaseBaseURL + releaseVersion + "/" + archiveName(releaseVersion, p)
		if pl.URI != wantURI {
			t.Errorf("%s: uri %s, want %s", p, pl.URI, wantURI)
		}
		if pl.Sha256 != sums[archiveName(releaseVersion, p)] {
			t.Errorf("%s: sha256 %s, archive has %s", p, pl.Sha256, sums[archiveName(releaseVersion, p)])
		}
	}

	// krew-release-bot's manifest: krew/.krew.yaml filled with the tag and
	// the archives' sums gives the same manifest.
	rendered, err := release.RenderKrewTemplate(filepath.Join(clone, release.KrewTemplate), releaseVersion, func(uri string) (string, error) {
		b, ok := second[strings.TrimPrefix(uri, releaseBaseURL+releaseVersion+"/")]
		if !ok {
			return "", fmt.Errorf("no archive %s in dist", uri)
		}
		return sha256Hex(b), nil
	})
	if err != nil {
		t.Fatalf("%s: %v", release.KrewTemplate, err)
	}
	if err := release.SameManifest(rendered, manifestBytes); err != nil {
		t.Errorf("%s filled by the bot differs from GoReleaser's manifest: %v", release.KrewTemplate, err)
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
	if err := os.WriteFile(localManifest, bytes.ReplaceAll(manifestBytes, []byte(releaseBaseURL), []byte(srv.URL+"/")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runEnv(t, 5*time.Minute, []string{path}, "", validate, "-manifest", localManifest); code != 0 {
		t.Errorf("validate-krew-manifest with installs: exit %d\n%s", code, stderr)
	} else if !strings.Contains(stderr, "all 5 spec.platforms installed fine") {
		t.Errorf("validate-krew-manifest did not install the 5 platforms:\n%s", stderr)
	}

	// kubectl krew install from the archive of this machine, then kubectl vd.
	platform := runtime.GOOS + "_" + runtime.GOARCH
	archive := filepath.Join(distDir, archiveName(releaseVersion, platform))
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
		"Git commit: " + commit + "\n" +
		"Build date: " + commitDate.Format(time.RFC3339) + "\n"
	if code != 0 || !strings.HasPrefix(stdout, wantVersion) || !strings.Contains(stdout, "Platform:   "+runtime.GOOS+"/"+runtime.GOARCH+"\n") {
		t.Errorf("kubectl vd version: exit %d\nstdout:\n%s\nstderr:\n%s\nwant it to start with:\n%s", code, stdout, stderr, wantVersion)
	}
	stdout, _, code = runEnv(t, time.Minute, env, "", "kubectl", "vd", "--version")
	if code != 0 || !strings.HasPrefix(stdout, "kubectl-vd "+releaseVersion+" (commit "+commit+", built "+commitDate.Format(time.RFC3339)+", go") {
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

	t.Run("checked-in manifest is a rebuild of its release", func(t *testing.T) {
		want, err := os.ReadFile(filepath.Join(repoRoot, "plugins", "vd.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		version := readManifest(t, filepath.Join(repoRoot, "plugins", "vd.yaml")).Spec.Version
		commit := checkedInReleaseCommit(t, version)
		dir := filepath.Join(t.TempDir(), "kubectl-vd")
		gitIn(t, "", "clone", "--quiet", "--no-checkout", repoRoot, dir)
		gitIn(t, dir, "checkout", "--quiet", "--detach", commit)
		gitIn(t, dir, "tag", "-f", version)
		makeDist(t, dir)
		got, err := os.ReadFile(filepath.Join(dir, "dist", "krew", "vd.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("make dist of %s at %s gives another manifest than plugins/vd.yaml:\n%s", version, commit, got)
		}
	})
}

// releaseBaseURL is where a release's archives are downloaded from, the tag
// and the archive's name following.
const releaseBaseURL = "https://github.com/kubectl-vd/kubectl-vd/releases/download/"

// commitDate is the date of the commit the release test builds; the
// binaries and the archives' entries carry it.
var commitDate = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// checkedInRelease is the release plugins/vd.yaml describes while the
// repository has no tag of its version: `make dist` on this commit tagged
// with that version writes it (README: "Releasing").
var checkedInRelease = struct{ Version, Commit string }{"v0.1.0", "72b7bb9dc78adf64cdc59a4d1b73f696a96061eb"}

// checkedInReleaseCommit is the commit plugins/vd.yaml was built from: its
// version's tag, else the documented checkedInRelease.
func checkedInReleaseCommit(t *testing.T, version string) string {
	t.Helper()
	if c, _, code := runEnv(t, time.Minute, os.Environ(), repoRoot, "git", "rev-parse", "--verify", "--quiet", "refs/tags/"+version+"^{commit}"); code == 0 {
		return strings.TrimSpace(c)
	}
	if version != checkedInRelease.Version {
		t.Fatalf("plugins/vd.yaml describes %s, which has no tag here; the documented release is %s", version, checkedInRelease.Version)
	}
	if _, _, code := runEnv(t, time.Minute, os.Environ(), repoRoot, "git", "cat-file", "-e", checkedInRelease.Commit+"^{commit}"); code != 0 {
		t.Fatalf("commit %s, which plugins/vd.yaml was built from, is not in this repository (a shallow clone, or rewritten history)", checkedInRelease.Commit)
	}
	return checkedInRelease.Commit
}

// gitIn runs git in dir (the working directory when empty) with a fixed
// identity and commit date, and returns its output without the final
// newline.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	date := commitDate.Format(time.RFC3339)
	env := append(os.Environ(),
		"GIT_AUTHOR_NAME=kubectl-vd tests", "GIT_AUTHOR_EMAIL=tests@kubectl-vd.invalid", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=kubectl-vd tests", "GIT_COMMITTER_EMAIL=tests@kubectl-vd.invalid", "GIT_COMMITTER_DATE="+date)
	stdout, stderr, code := runEnv(t, 2*time.Minute, env, dir, "git", args...)
	if code != 0 {
		t.Fatalf("git %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return strings.TrimSuffix(stdout, "\n")
}

// cloneWorkTree clones the repository into a temporary folder and commits
// there, dated commitDate, the working tree as it is (changed, new and
// deleted files; ignored ones left out), so that the release is built from
// what is being tested.
func cloneWorkTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "kubectl-vd")
	gitIn(t, "", "clone", "--quiet", repoRoot, dir)
	gitIn(t, dir, "rm", "-r", "--quiet", ".")
	for _, f := range strings.Split(gitIn(t, repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard"), "\x00") {
		if f == "" {
			continue
		}
		src := filepath.Join(repoRoot, f)
		st, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) { // deleted, not yet committed
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !st.Mode().IsRegular() {
			t.Fatalf("%s: not a regular file", f)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, dir, "add", "--all")
	gitIn(t, dir, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", "the working tree under test")
	return dir
}

// makeDist runs `make dist` in dir and returns its standard output.
func makeDist(t *testing.T, dir string) string {
	t.Helper()
	start := time.Now()
	stdout, stderr, code := runEnv(t, distTimeout, goEnv(), dir, "make", "dist")
	if code != 0 {
		t.Fatalf("make dist: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Logf("make dist in %s", time.Since(start).Round(time.Second))
	return stdout
}

// releaseFiles reads what a release publishes from dist: the archives,
// checksums.txt and krew/vd.yaml, by path under dist.
func releaseFiles(t *testing.T, distDir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	names, err := filepath.Glob(filepath.Join(distDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, filepath.Join(distDir, "krew", "vd.yaml"))
	for _, p := range names {
		rel, _ := filepath.Rel(distDir, p)
		if !strings.HasSuffix(rel, ".tar.gz") && !strings.HasSuffix(rel, ".zip") && rel != "checksums.txt" && rel != filepath.Join("krew", "vd.yaml") {
			continue // GoReleaser's own records (config, metadata, build folders)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[rel] = b
	}
	return out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
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

// A release's version is its tag: `make dist VERSION=...` says so in one
// line instead of building something else than asked.
func TestDistRefusesAVersionOtherThanTheTag(t *testing.T) {
	stdout, stderr, code := runEnv(t, time.Minute, goEnv(), repoRoot, "make", "dist", "VERSION=v9.9.9")
	want := "Makefile:"
	wantEnd := "*** make dist takes its version from the v* tag at HEAD: git tag v9.9.9, then make dist.  Stop.\n"
	if code != 2 || stdout != "" || !strings.HasPrefix(stderr, want) || !strings.HasSuffix(stderr, wantEnd) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line ending %q", code, stdout, stderr, wantEnd)
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
