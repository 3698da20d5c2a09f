package release

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// root is the repository root, two folders up from this package.
var root = filepath.Join("..", "..")

// runsMake reports a step that does not call the Makefile (MakeStep).
func runsMake(t *testing.T, file string, s Step, targets []string) string {
	t.Helper()
	target, err := MakeStep(s.Run, targets)
	if err != nil {
		t.Errorf("%s: step %q %v", file, s.Name, err)
	}
	return target
}

// onKeys lists a workflow's triggers.
func onKeys(w *Workflow) []string {
	var out []string
	for k := range w.On {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The pull request workflow runs the README's test command, `make test`,
// and nothing the Makefile already does.
func TestCIWorkflowRunsMakeTest(t *testing.T) {
	targets, err := MakeTargets(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, ".github", "workflows", "ci.yml")
	w, err := ReadWorkflow(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := onKeys(w); !reflect.DeepEqual(got, []string{"pull_request", "push"}) {
		t.Errorf("ci.yml runs on %v, want pull_request and push", got)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "\nmake test ") {
		t.Fatal("README.md no longer gives `make test` as the test command")
	}
	var made []string
	for name, j := range w.Jobs {
		if j.RunsOn == "" || j.TimeoutMinutes == 0 {
			t.Errorf("ci.yml job %s: runs-on %q, timeout-minutes %d", name, j.RunsOn, j.TimeoutMinutes)
		}
		for _, s := range j.Steps {
			if s.Run != "" {
				if tg := runsMake(t, "ci.yml", s, targets); tg != "" {
					made = append(made, tg)
				}
			}
		}
	}
	if !reflect.DeepEqual(made, []string{"test"}) {
		t.Errorf("ci.yml runs make %v, want make test once", made)
	}
}

// The release workflow runs on v* tags: `make release` publishes, then
// krew-release-bot fills the Krew template that exists in the repository.
func TestReleaseWorkflowRunsMakeReleaseThenKrewReleaseBot(t *testing.T) {
	targets, err := MakeTargets(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, ".github", "workflows", "release.yml")
	w, err := ReadWorkflow(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := onKeys(w); !reflect.DeepEqual(got, []string{"push"}) {
		t.Fatalf("release.yml runs on %v, want push", got)
	}
	var push struct {
		Tags     []string `yaml:"tags"`
		Branches []string `yaml:"branches"`
	}
	node := w.On["push"]
	if err := node.Decode(&push); err != nil || !reflect.DeepEqual(push.Tags, []string{"v*"}) || len(push.Branches) != 0 {
		t.Errorf("release.yml push trigger: %+v (%v), want tags [v*] only", push, err)
	}
	if w.Permissions["contents"] != "write" {
		t.Errorf("release.yml permissions %v: publishing a release needs contents: write", w.Permissions)
	}
	if len(w.Jobs) != 1 {
		t.Fatalf("release.yml has %d jobs, want one (the bot needs the published release)", len(w.Jobs))
	}
	var order []string
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			switch {
			case s.Run != "":
				if tg := runsMake(t, "release.yml", s, targets); tg != "" {
					order = append(order, "make "+tg)
					if s.Env["GITHUB_TOKEN"] != "${{ secrets.GITHUB_TOKEN }}" {
						t.Errorf("release.yml: make %s without GITHUB_TOKEN", tg)
					}
				}
			case strings.HasPrefix(s.Uses, "rajatjindal/krew-release-bot@"):
				order = append(order, "krew-release-bot")
				tmpl := s.With["krew_template_file"]
				if tmpl != KrewTemplate {
					t.Errorf("krew-release-bot template %q, want %s", tmpl, KrewTemplate)
				}
				if _, err := os.Stat(filepath.Join(root, tmpl)); err != nil {
					t.Errorf("krew-release-bot template: %v", err)
				}
			case strings.Contains(s.Uses, "goreleaser"):
				t.Errorf("release.yml uses %s: GoReleaser runs through make release", s.Uses)
			case s.Uses == "actions/checkout@v4":
				// GoReleaser's changelog needs the tags and history.
				if s.With["fetch-depth"] != "0" {
					t.Errorf("release.yml checks out with fetch-depth %q, want 0", s.With["fetch-depth"])
				}
			}
		}
	}
	if want := []string{"make release", "krew-release-bot"}; !reflect.DeepEqual(order, want) {
		t.Errorf("release.yml steps %v, want %v", order, want)
	}
}

// A step that repeats a Makefile recipe instead of calling its target is
// refused, and so is a target the Makefile lacks.
func TestMakeStep(t *testing.T) {
	targets := []string{"dist", "release", "test"}
	for _, c := range []struct{ run, target, err string }{
		{run: "make test", target: "test"},
		{run: "  make release\n", target: "release"},
		{run: "sudo apt-get update -qq && sudo apt-get install -y -qq graphviz"},
		{run: "go test -count=1 ./...", err: "runs \"go test -count=1 ./...\", want `make TARGET`"},
		{run: "make test && go test ./...", err: "runs \"make test && go test ./...\", want `make TARGET`"},
		{run: "sudo apt-get install -y graphviz; go test ./...", err: "runs \"sudo apt-get install -y graphviz; go test ./...\", want `make TARGET`"},
		{run: "make lint", err: "runs make lint, which the Makefile does not define"},
		{run: "goreleaser release --clean", err: "runs \"goreleaser release --clean\", want `make TARGET`"},
	} {
		got, err := MakeStep(c.run, targets)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != c.target || gotErr != c.err {
			t.Errorf("MakeStep(%q) = %q, %q; want %q, %q", c.run, got, gotErr, c.target, c.err)
		}
	}
}

// Two manifests differing only in the order of platforms are the same;
// a changed field is named.
func TestSameManifest(t *testing.T) {
	a := []byte("spec:\n  version: v1.0.0\n  platforms:\n  - {selector: {matchLabels: {os: linux, arch: amd64}}, bin: a}\n  - {selector: {matchLabels: {os: darwin, arch: arm64}}, bin: a}\n")
	b := []byte("spec:\n  platforms:\n  - selector:\n      matchLabels: {arch: arm64, os: darwin}\n    bin: a\n  - {bin: a, selector: {matchLabels: {os: linux, arch: amd64}}}\n  version: v1.0.0\n")
	if err := SameManifest(a, b); err != nil {
		t.Errorf("same manifests: %v", err)
	}
	c := []byte(strings.Replace(string(b), "version: v1.0.0", "version: v1.0.1", 1))
	if err := SameManifest(a, c); err == nil || !strings.Contains(err.Error(), `"    version: v1.0.0" != "    version: v1.0.1"`) {
		t.Errorf("different versions: %v", err)
	}
}

func TestMakeTargets(t *testing.T) {
	got, err := MakeTargets(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"build", "dist", "release", "test", "tools"} {
		if !slices.Contains(got, want) {
			t.Errorf("targets %v lack %s", got, want)
		}
	}
	for _, notTarget := range []string{"SHELL", "BIN", "GORELEASER", "PHONY", "ifeq"} {
		if slices.Contains(got, notTarget) {
			t.Errorf("targets %v include %s", got, notTarget)
		}
	}
}

// krew/.krew.yaml, filled as krew-release-bot fills it for the checked-in
// manifest's version and archives, is that manifest: the description,
// caveats, platforms, URIs and binaries that the bot sends to krew-index
// are those GoReleaser writes into plugins/vd.yaml.
func TestKrewTemplateGivesTheCheckedInManifest(t *testing.T) {
	manifestPath := filepath.Join(root, "plugins", "vd.yaml")
	b, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := yaml.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	spec, _ := manifest["spec"].(map[string]any)
	version, _ := spec["version"].(string)
	sums := map[string]string{}
	platforms, _ := spec["platforms"].([]any)
	for _, p := range platforms {
		pm, _ := p.(map[string]any)
		uri, _ := pm["uri"].(string)
		sum, _ := pm["sha256"].(string)
		sums[uri] = sum
	}
	if version == "" || len(sums) != 5 {
		t.Fatalf("plugins/vd.yaml: version %q, %d archives", version, len(sums))
	}
	rendered, err := RenderKrewTemplate(filepath.Join(root, KrewTemplate), version, func(uri string) (string, error) {
		if s, ok := sums[uri]; ok {
			return s, nil
		}
		return "", fmt.Errorf("plugins/vd.yaml has no archive %s", uri)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := SameManifest(rendered, b); err != nil {
		t.Errorf("%s filled for %s differs from plugins/vd.yaml: %v\n%s", KrewTemplate, version, err, rendered)
	}
}

// The filled template is what the bot would send: the tag in the version and
// the archive names, the sum of each archive.
func TestRenderKrewTemplate(t *testing.T) {
	out, err := RenderKrewTemplate(filepath.Join(root, KrewTemplate), "v9.8.7", func(uri string) (string, error) {
		return "sum-of-" + filepath.Base(uri), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\n  version: v9.8.7\n",
		"\n    uri: https://github.com/kubectl-vd/kubectl-vd/releases/download/v9.8.7/kubectl-vd_v9.8.7_windows_amd64.zip\n    sha256: sum-of-kubectl-vd_v9.8.7_windows_amd64.zip\n    bin: kubectl-vd.exe\n",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("rendered template lacks %q:\n%s", want, out)
		}
	}
	_, err = RenderKrewTemplate(filepath.Join(root, KrewTemplate), "v9.8.7", func(uri string) (string, error) {
		return "", fmt.Errorf("no archive %s", filepath.Base(uri))
	})
	if err == nil || err.Error() != "no archive kubectl-vd_v9.8.7_linux_amd64.tar.gz" {
		t.Errorf("a missing archive: %v", err)
	}
}
