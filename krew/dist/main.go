// Command dist builds the release of kubectl-vd: one archive per platform
// (.tar.gz, .zip for Windows) holding the binary and LICENSE, a
// checksums.txt in sha256sum's format, and the Krew manifest rendered from
// its template with each archive's download URI and sha256.
//
// Run it from the repository root (krew/dist.sh does):
//
//	go run ./krew/dist -version v0.1.0 -ldflags "-s -w -X ..."
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/util/version"
	"sigs.k8s.io/yaml"
)

// DefaultPlatforms are the platforms a release is built for.
const DefaultPlatforms = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64,windows/amd64"

// Config says what to build and where.
type Config struct {
	// Version is the release, a semantic version with a leading v.
	Version string
	// LDFlags are passed to go build; the default stamps Version only.
	LDFlags string
	// Package is the main package to build.
	Package string
	// OutDir receives the archives and checksums.txt.
	OutDir string
	// Manifest is the Krew manifest to write (its file name must be
	// vd.yaml: Krew names the plugin after it).
	Manifest string
	// Template is the manifest's text/template.
	Template string
	// BaseURL is where releases are downloaded from; an archive's URI is
	// BaseURL/VERSION/ARCHIVE.
	BaseURL string
	// License is copied into every archive.
	License string
	// Platforms are GOOS/GOARCH pairs.
	Platforms []Platform
	// Jobs is how many builds run at once.
	Jobs int
	// ManifestOnly renders the manifest from the archives already in
	// OutDir, without building.
	ManifestOnly bool
	// ModTime is the time stamped on the files inside the archives.
	ModTime time.Time
	// Log receives progress.
	Log io.Writer
}

// Platform is one target of the release.
type Platform struct {
	OS, Arch string
}

// Binary is the executable's name on the platform.
func (p Platform) Binary() string {
	if p.OS == "windows" {
		return "kubectl-vd.exe"
	}
	return "kubectl-vd"
}

// Archive is the archive's file name for a version.
func (p Platform) Archive(version string) string {
	ext := ".tar.gz"
	if p.OS == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("kubectl-vd_%s_%s_%s%s", version, p.OS, p.Arch, ext)
}

// ParsePlatforms reads "os/arch,os/arch".
func ParsePlatforms(s string) ([]Platform, error) {
	var out []Platform
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		osName, arch, ok := strings.Cut(part, "/")
		if !ok || osName == "" || arch == "" || strings.Contains(arch, "/") {
			return nil, fmt.Errorf("invalid platform %q: use OS/ARCH such as linux/amd64", part)
		}
		out = append(out, Platform{OS: osName, Arch: arch})
	}
	if len(out) == 0 {
		return nil, errors.New("no platform given")
	}
	return out, nil
}

// ValidateVersion checks that v is a version Krew accepts: a semantic
// version with a leading v.
func ValidateVersion(v string) error {
	if !strings.HasPrefix(v, "v") {
		return fmt.Errorf("version %q is not a release version such as v0.1.0 (Krew requires a semantic version with a leading v): tag the release or set VERSION=v0.1.0", v)
	}
	if _, err := version.ParseSemantic(v); err != nil {
		return fmt.Errorf("version %q is not a semantic version such as v0.1.0 (Krew requires one): tag the release or set VERSION=v0.1.0", v)
	}
	return nil
}

// Artifact is one archive built for a platform.
type Artifact struct {
	Platform
	// Path is the archive's path; Name its file name.
	Path, Name string
	Sha256     string
}

// platformData is what the manifest template sees of a platform.
type platformData struct {
	OS, Arch, URI, Sha256, Bin, Archive string
}

// Run builds the release.
func Run(ctx context.Context, c Config) ([]Artifact, error) {
	if err := ValidateVersion(c.Version); err != nil {
		return nil, err
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.Jobs < 1 {
		c.Jobs = 1
	}
	tmpl, err := loadTemplate(c.Template)
	if err != nil {
		return nil, err
	}
	var arts []Artifact
	if c.ManifestOnly {
		arts, err = existingArtifacts(c)
	} else {
		arts, err = buildAll(ctx, c)
	}
	if err != nil {
		return nil, err
	}
	if !c.ManifestOnly {
		if err := writeChecksums(filepath.Join(c.OutDir, "checksums.txt"), arts); err != nil {
			return nil, err
		}
	}
	manifest, err := Render(tmpl, c.Version, c.BaseURL, arts)
	if err != nil {
		return nil, err
	}
	if err := CheckManifest(manifest, filepath.Base(c.Manifest), c.Version, len(arts)); err != nil {
		return nil, fmt.Errorf("rendered manifest %s: %w", c.Manifest, err)
	}
	if err := os.MkdirAll(filepath.Dir(c.Manifest), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(c.Manifest, manifest, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(c.Log, "wrote %s\n", c.Manifest)
	return arts, nil
}

func loadTemplate(path string) (*template.Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifest template: %w", err)
	}
	t, err := template.New(filepath.Base(path)).Option("missingkey=error").Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("manifest template: %w", err)
	}
	return t, nil
}

// Render fills the manifest template.
func Render(t *template.Template, version, baseURL string, arts []Artifact) ([]byte, error) {
	data := struct {
		Version   string
		Platforms []platformData
	}{Version: version}
	for _, a := range arts {
		data.Platforms = append(data.Platforms, platformData{
			OS:      a.OS,
			Arch:    a.Arch,
			URI:     strings.TrimSuffix(baseURL, "/") + "/" + version + "/" + a.Name,
			Sha256:  a.Sha256,
			Bin:     a.Binary(),
			Archive: a.Name,
		})
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("manifest template: %w", err)
	}
	return buf.Bytes(), nil
}

var sha256Pattern = regexp.MustCompile(`^[a-f0-9]{64}$`)

// CheckManifest catches a broken template before Krew does: the fields Krew
// requires, a sha256 string per platform (quoted: an unquoted all-digit sum
// would be read as a number), the plugin named after the file.
func CheckManifest(b []byte, fileName, version string, platforms int) error {
	var m struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Version          string `json:"version"`
			ShortDescription string `json:"shortDescription"`
			Platforms        []struct {
				URI      string              `json:"uri"`
				Sha256   any                 `json:"sha256"`
				Bin      string              `json:"bin"`
				Selector map[string]any      `json:"selector"`
				Files    []map[string]string `json:"files"`
			} `json:"platforms"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("not valid YAML for a Krew manifest: %w", err)
	}
	switch {
	case m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2":
		return fmt.Errorf("apiVersion is %q", m.APIVersion)
	case m.Kind != "Plugin":
		return fmt.Errorf("kind is %q", m.Kind)
	case m.Metadata.Name+".yaml" != fileName:
		return fmt.Errorf("plugin %q written to %s: Krew wants the file named %s.yaml", m.Metadata.Name, fileName, m.Metadata.Name)
	case m.Spec.Version != version:
		return fmt.Errorf("spec.version is %q, not %q", m.Spec.Version, version)
	case m.Spec.ShortDescription == "" || strings.ContainsAny(m.Spec.ShortDescription, "\r\n"):
		return errors.New("spec.shortDescription must be one non-empty line")
	case len(m.Spec.Platforms) != platforms:
		return fmt.Errorf("%d platforms, want %d", len(m.Spec.Platforms), platforms)
	}
	for i, p := range m.Spec.Platforms {
		s, ok := p.Sha256.(string)
		if !ok || !sha256Pattern.MatchString(s) {
			return fmt.Errorf("spec.platforms[%d].sha256 %v is not a quoted sha256 string", i, p.Sha256)
		}
		if p.URI == "" || p.Bin == "" || len(p.Selector) == 0 {
			return fmt.Errorf("spec.platforms[%d] needs uri, bin and selector", i)
		}
	}
	return nil
}

func existingArtifacts(c Config) ([]Artifact, error) {
	var arts []Artifact
	for _, p := range c.Platforms {
		name := p.Archive(c.Version)
		path := filepath.Join(c.OutDir, name)
		sum, err := fileSha256(path)
		if err != nil {
			return nil, fmt.Errorf("archive for %s/%s: %w (build it first)", p.OS, p.Arch, err)
		}
		arts = append(arts, Artifact{Platform: p, Path: path, Name: name, Sha256: sum})
	}
	return arts, nil
}

// buildAll builds every platform, c.Jobs at a time, and archives each.
func buildAll(ctx context.Context, c Config) ([]Artifact, error) {
	license, err := os.ReadFile(c.License)
	if err != nil {
		return nil, fmt.Errorf("license: %w", err)
	}
	if err := os.MkdirAll(c.OutDir, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(c.OutDir, ".build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	arts := make([]Artifact, len(c.Platforms))
	errs := make([]error, len(c.Platforms))
	sem := make(chan struct{}, c.Jobs)
	var wg sync.WaitGroup
	for i, p := range c.Platforms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			a, err := buildOne(ctx, c, p, work, license)
			if err != nil {
				errs[i] = fmt.Errorf("%s/%s: %w", p.OS, p.Arch, err)
				cancel()
				return
			}
			fmt.Fprintf(c.Log, "built %s\n", a.Path)
			arts[i] = a
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, err
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return arts, nil
}

func buildOne(ctx context.Context, c Config, p Platform, work string, license []byte) (Artifact, error) {
	bin := filepath.Join(work, p.OS+"_"+p.Arch, p.Binary())
	cmd := exec.CommandContext(ctx, goTool(), "build", "-trimpath", "-ldflags", c.LDFlags, "-o", bin, c.Package)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Arch)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return Artifact{}, fmt.Errorf("go build: %v\n%s", err, strings.TrimSpace(out.String()))
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		return Artifact{}, err
	}
	files := []archiveFile{
		{Name: p.Binary(), Mode: 0o755, Data: exe},
		{Name: "LICENSE", Mode: 0o644, Data: license},
	}
	name := p.Archive(c.Version)
	path := filepath.Join(c.OutDir, name)
	var data []byte
	if p.OS == "windows" {
		data, err = zipArchive(files, c.ModTime)
	} else {
		data, err = tarGzArchive(files, c.ModTime)
	}
	if err != nil {
		return Artifact{}, err
	}
	if err := writeFileAtomic(path, data, 0o644); err != nil {
		return Artifact{}, err
	}
	sum := sha256.Sum256(data)
	return Artifact{Platform: p, Path: path, Name: name, Sha256: hex.EncodeToString(sum[:])}, nil
}

func goTool() string {
	if g := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(g) {
		return g
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

type archiveFile struct {
	Name string
	Mode int64
	Data []byte
}

// tarGzArchive writes files at the root of a gzip-compressed tar, with
// fixed owners and times so that equal inputs give equal archives.
func tarGzArchive(files []archiveFile, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hdr := &tar.Header{
			Name:    f.Name,
			Mode:    f.Mode,
			Size:    int64(len(f.Data)),
			ModTime: mtime,
			Uname:   "root",
			Gname:   "root",
			Format:  tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipArchive writes files at the root of a zip, deflated.
func zipArchive(files []archiveFile, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		hdr := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mtime}
		hdr.SetMode(os.FileMode(f.Mode))
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeChecksums(path string, arts []Artifact) error {
	var b strings.Builder
	for _, a := range arts {
		fmt.Fprintf(&b, "%s  %s\n", a.Sha256, a.Name)
	}
	return writeFileAtomic(path, []byte(b.String()), 0o644)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func fileSha256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// modTime is $SOURCE_DATE_EPOCH when set (reproducible builds), else now.
func modTime() (time.Time, error) {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid SOURCE_DATE_EPOCH %q", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Now().UTC().Truncate(time.Second), nil
}

func main() {
	c := Config{Log: os.Stderr}
	var platforms string
	flag.StringVar(&c.Version, "version", "", "release version, such as v0.1.0 (required)")
	flag.StringVar(&c.LDFlags, "ldflags", "", "go build -ldflags (default: -s -w and the version stamped in)")
	flag.StringVar(&c.Package, "package", "./cmd/kubectl-vd", "main package to build")
	flag.StringVar(&c.OutDir, "out", "dist", "folder for the archives and checksums.txt")
	flag.StringVar(&c.Manifest, "manifest", "plugins/vd.yaml", "Krew manifest to write")
	flag.StringVar(&c.Template, "template", "krew/vd.yaml.tmpl", "Krew manifest template")
	flag.StringVar(&c.BaseURL, "base-url", "https://github.com/kubectl-vd/kubectl-vd/releases/download", "download URL of releases; archives are at BASE/VERSION/ARCHIVE")
	flag.StringVar(&c.License, "license", "LICENSE", "license file put in every archive")
	flag.StringVar(&platforms, "platforms", DefaultPlatforms, "OS/ARCH pairs, comma-separated")
	flag.IntVar(&c.Jobs, "j", min(runtime.NumCPU(), 5), "builds run at once")
	flag.BoolVar(&c.ManifestOnly, "manifest-only", false, "render the manifest from the archives already in -out, without building")
	flag.Parse()

	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "error: %s\n", err)
		os.Exit(1)
	}
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}
	if c.Version == "" {
		fail(errors.New("-version is required"))
	}
	var err error
	if c.Platforms, err = ParsePlatforms(platforms); err != nil {
		fail(err)
	}
	if c.ModTime, err = modTime(); err != nil {
		fail(err)
	}
	if c.LDFlags == "" {
		c.LDFlags = "-s -w -X github.com/kubectl-vd/kubectl-vd/pkg/version.Version=" + c.Version
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := Run(ctx, c); err != nil {
		fail(err)
	}
}
