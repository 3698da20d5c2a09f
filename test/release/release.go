// Package release reads the release's own files the way the services that
// consume them do: the Krew manifest template as krew-release-bot fills it,
// the GitHub workflows as GitHub reads them, and the Makefile's targets.
// The packaging tests (test/e2e) and this package's tests compare them with
// what `make dist` builds.
package release

import (
	"bytes"
	"fmt"
	"github.com/kubectl-vd/kubectl-vd/internal/textdiff"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	yaml "go.yaml.in/yaml/v3"
)

// KrewTemplate is the template krew-release-bot fills on a release
// (release.yml names it with krew_template_file).
const KrewTemplate = "krew/.krew.yaml"

// RenderKrewTemplate fills a krew-release-bot template for a tag: its
// .TagName, and its addURIAndSha "URL" .TagName, which writes the archive's
// URI (itself a template of .TagName) and the sha256 that sha256Of returns
// for it (the bot downloads the published archive to compute it).
func RenderKrewTemplate(path, tag string, sha256Of func(uri string) (string, error)) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var shaErr error
	funcs := template.FuncMap{
		"addURIAndSha": func(uriTemplate, tag string) (string, error) {
			t, err := template.New("uri").Parse(uriTemplate)
			if err != nil {
				return "", err
			}
			var uri bytes.Buffer
			if err := t.Execute(&uri, struct{ TagName string }{tag}); err != nil {
				return "", err
			}
			sum, err := sha256Of(uri.String())
			if err != nil {
				shaErr = err
				return "", err
			}
			// The bot's own layout: the sha256 line under the uri line, at
			// the indentation of a platform's fields.
			return fmt.Sprintf("uri: %s\n    sha256: %s", uri.String(), sum), nil
		},
	}
	t, err := template.New(filepath.Base(path)).Funcs(funcs).Parse(string(text))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := t.Execute(&out, struct{ TagName string }{tag}); err != nil {
		if shaErr != nil {
			return nil, shaErr
		}
		return nil, err
	}
	return out.Bytes(), nil
}

// Workflow is a GitHub Actions workflow, as far as this repository uses
// the syntax.
type Workflow struct {
	Name        string               `yaml:"name"`
	On          map[string]yaml.Node `yaml:"on"`
	Permissions map[string]string    `yaml:"permissions"`
	Jobs        map[string]Job       `yaml:"jobs"`
}

// Job is a workflow's job.
type Job struct {
	RunsOn         string `yaml:"runs-on"`
	TimeoutMinutes int    `yaml:"timeout-minutes"`
	Steps          []Step `yaml:"steps"`
}

// Step is one step of a job: a command (Run) or an action (Uses).
type Step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// ReadWorkflow parses a workflow file strictly: a key this repository does
// not use is an error, which catches a misspelt one.
func ReadWorkflow(path string) (*Workflow, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var w Workflow
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &w, nil
}

var targetLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9_.-]*)\s*:([^=]|$)`)

// MakeTargets lists the targets a Makefile defines, sorted.
func MakeTargets(makefile string) ([]string, error) {
	b, err := os.ReadFile(makefile)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if m := targetLine.FindStringSubmatch(l); m != nil && !strings.HasPrefix(m[1], ".") {
			seen[m[1]] = true
		}
	}
	var out []string
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// MakeStep checks that a workflow step's command calls the Makefile rather
// than repeating a recipe: `make TARGET` of a target the Makefile defines,
// which it returns. A package install on the CI machine (sudo apt-get ...)
// is the one other command allowed; it returns "".
func MakeStep(run string, targets []string) (string, error) {
	cmd := strings.TrimSpace(run)
	if strings.HasPrefix(cmd, "sudo apt-get ") && !strings.ContainsAny(strings.ReplaceAll(cmd, "&& sudo apt-get ", ""), ";&|\n") {
		return "", nil
	}
	f := strings.Fields(cmd)
	if len(f) != 2 || f[0] != "make" || strings.ContainsAny(cmd, "\n;&|") {
		return "", fmt.Errorf("runs %q, want `make TARGET`", cmd)
	}
	for _, t := range targets {
		if t == f[1] {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("runs make %s, which the Makefile does not define", f[1])
}

// SameManifest compares two Krew manifests as Krew reads them: the same
// fields and values, platforms in any order. The error names the first
// difference.
func SameManifest(a, b []byte) error {
	var ma, mb map[string]any
	if err := yaml.Unmarshal(a, &ma); err != nil {
		return fmt.Errorf("first manifest: %w", err)
	}
	if err := yaml.Unmarshal(b, &mb); err != nil {
		return fmt.Errorf("second manifest: %w", err)
	}
	sortPlatforms(ma)
	sortPlatforms(mb)
	ja, _ := yaml.Marshal(ma)
	jb, _ := yaml.Marshal(mb)
	if n, x, y := textdiff.FirstLine(string(ja), string(jb)); n > 0 {
		return fmt.Errorf("line %d of the normalised manifests: %q != %q", n, x, y)
	}
	return nil
}

// sortPlatforms orders spec.platforms by os then arch.
func sortPlatforms(m map[string]any) {
	spec, _ := m["spec"].(map[string]any)
	ps, _ := spec["platforms"].([]any)
	key := func(p any) string {
		pm, _ := p.(map[string]any)
		sel, _ := pm["selector"].(map[string]any)
		ml, _ := sel["matchLabels"].(map[string]any)
		return fmt.Sprint(ml["os"], "/", ml["arch"])
	}
	sort.SliceStable(ps, func(i, j int) bool { return key(ps[i]) < key(ps[j]) })
}
