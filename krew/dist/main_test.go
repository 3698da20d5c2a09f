package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"sigs.k8s.io/yaml"
)

func TestParsePlatforms(t *testing.T) {
	got, err := ParsePlatforms(DefaultPlatforms)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Archive("v0.1.0")+":"+p.Binary())
	}
	want := "kubectl-vd_v0.1.0_linux_amd64.tar.gz:kubectl-vd kubectl-vd_v0.1.0_linux_arm64.tar.gz:kubectl-vd " +
		"kubectl-vd_v0.1.0_darwin_amd64.tar.gz:kubectl-vd kubectl-vd_v0.1.0_darwin_arm64.tar.gz:kubectl-vd " +
		"kubectl-vd_v0.1.0_windows_amd64.zip:kubectl-vd.exe"
	if strings.Join(names, " ") != want {
		t.Errorf("got %s", strings.Join(names, " "))
	}
	for _, bad := range []string{"", "linux", "linux/", "/amd64", "linux/amd64/v2"} {
		if _, err := ParsePlatforms(bad); err == nil {
			t.Errorf("ParsePlatforms(%q) accepted", bad)
		}
	}
}

func TestValidateVersion(t *testing.T) {
	for _, ok := range []string{"v0.1.0", "v1.2.3-rc.1", "v0.1.0-3-g3779467-dirty", "v1.0.0+build.5", "v0.0.0-dev"} {
		if err := ValidateVersion(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.1.0", "3779467-dirty", "v0.1", "vX"} {
		if err := ValidateVersion(bad); err == nil || !strings.Contains(err.Error(), "VERSION=v0.1.0") {
			t.Errorf("ValidateVersion(%q) = %v", bad, err)
		}
	}
}

func testArtifacts(sum string) []Artifact {
	ps, _ := ParsePlatforms(DefaultPlatforms)
	var arts []Artifact
	for _, p := range ps {
		arts = append(arts, Artifact{Platform: p, Name: p.Archive("v0.1.0"), Sha256: sum})
	}
	return arts
}

// The real template renders a manifest Krew's rules accept, with the sums
// quoted: an all-digit sum left bare would be read as a number.
func TestRenderTemplate(t *testing.T) {
	tmpl, err := loadTemplate(filepath.Join("..", "vd.yaml.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	digits := strings.Repeat("0123456789", 6) + "0123"
	arts := testArtifacts(digits)
	b, err := Render(tmpl, "v0.1.0", "https://example.com/releases/download/", arts)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckManifest(b, "vd.yaml", "v0.1.0", len(arts)); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	var m struct {
		Spec struct {
			Version   string `json:"version"`
			Platforms []struct {
				URI      string `json:"uri"`
				Bin      string `json:"bin"`
				Selector struct {
					MatchLabels map[string]string `json:"matchLabels"`
				} `json:"selector"`
				Files []map[string]string `json:"files"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	w := m.Spec.Platforms[4]
	if w.URI != "https://example.com/releases/download/v0.1.0/kubectl-vd_v0.1.0_windows_amd64.zip" ||
		w.Bin != "kubectl-vd.exe" || w.Selector.MatchLabels["os"] != "windows" || w.Selector.MatchLabels["arch"] != "amd64" ||
		len(w.Files) != 2 || w.Files[0]["from"] != "kubectl-vd.exe" || w.Files[1]["from"] != "LICENSE" {
		t.Errorf("windows platform: %+v", w)
	}

	// A template that forgets the quotes is caught.
	bare, err := Render(parseTemplate(t, strings.Replace(readFile(t, filepath.Join("..", "vd.yaml.tmpl")), `sha256: "{{ .Sha256 }}"`, `sha256: {{ .Sha256 }}`, 1)), "v0.1.0", "https://x", testArtifacts(strings.Repeat("1", 64)))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckManifest(bare, "vd.yaml", "v0.1.0", 5); err == nil || !strings.Contains(err.Error(), "quoted sha256") {
		t.Errorf("bare all-digit sha256 accepted: %v", err)
	}
	if err := CheckManifest(b, "kubectl-vd.yaml", "v0.1.0", 5); err == nil {
		t.Error("a manifest file not named after the plugin was accepted")
	}
}

func readFile(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func parseTemplate(t *testing.T, text string) *template.Template {
	p := filepath.Join(t.TempDir(), "vd.yaml.tmpl")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	tmpl, err := loadTemplate(p)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestArchives(t *testing.T) {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	files := []archiveFile{{Name: "kubectl-vd", Mode: 0o755, Data: []byte("bin")}, {Name: "LICENSE", Mode: 0o644, Data: []byte("license")}}

	tgz, err := tarGzArchive(files, mtime)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := tarGzArchive(files, mtime)
	if !bytes.Equal(tgz, again) {
		t.Error("the same files gave different tar.gz archives")
	}
	gz, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		got = append(got, h.Name+":"+h.FileInfo().Mode().String()+":"+string(data)+":"+h.ModTime.UTC().Format(time.RFC3339))
	}
	if want := "kubectl-vd:-rwxr-xr-x:bin:2025-01-02T03:04:05Z LICENSE:-rw-r--r--:license:2025-01-02T03:04:05Z"; strings.Join(got, " ") != want {
		t.Errorf("tar.gz holds %v", got)
	}

	z, err := zipArchive(files, mtime)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		got = append(got, f.Name+":"+f.Mode().String()+":"+string(data))
	}
	if want := "kubectl-vd:-rwxr-xr-x:bin LICENSE:-rw-r--r--:license"; strings.Join(got, " ") != want {
		t.Errorf("zip holds %v", got)
	}
}

// -manifest-only renders from the archives in the folder, and names the
// missing one.
func TestManifestOnly(t *testing.T) {
	dir := t.TempDir()
	ps, _ := ParsePlatforms("linux/amd64,windows/amd64")
	if err := os.WriteFile(filepath.Join(dir, ps[0].Archive("v0.1.0")), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Config{
		Version: "v0.1.0", OutDir: dir, Manifest: filepath.Join(dir, "out", "vd.yaml"),
		Template: filepath.Join("..", "vd.yaml.tmpl"), BaseURL: "http://127.0.0.1:1", Platforms: ps, ManifestOnly: true,
	}
	if _, err := Run(context.Background(), c); err == nil || !strings.Contains(err.Error(), "windows/amd64") {
		t.Fatalf("missing windows archive: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ps[1].Archive("v0.1.0")), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	arts, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	// sha256("a")
	if arts[0].Sha256 != "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" {
		t.Errorf("sha256 %s", arts[0].Sha256)
	}
	b := readFile(t, c.Manifest)
	if !strings.Contains(b, "uri: http://127.0.0.1:1/v0.1.0/kubectl-vd_v0.1.0_linux_amd64.tar.gz\n    sha256: \"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb\"") {
		t.Errorf("manifest:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "checksums.txt")); err == nil {
		t.Error("-manifest-only wrote checksums.txt")
	}
}

func TestRunRejectsBadVersionBeforeBuilding(t *testing.T) {
	dir := t.TempDir()
	_, err := Run(context.Background(), Config{Version: "main", OutDir: filepath.Join(dir, "dist")})
	if err == nil || !strings.Contains(err.Error(), `version "main"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dist")); err == nil {
		t.Error("dist folder created for a rejected version")
	}
}
