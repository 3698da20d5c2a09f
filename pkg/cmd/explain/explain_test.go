package explain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-logr/logr"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const examples = "../../../examples"

var (
	cluster1 = filepath.Join(examples, "bookinfo", "cluster1")
	cluster2 = filepath.Join(examples, "bookinfo", "cluster2")
	bookinfo = []string{"productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-f", cluster2}
)

func variant(name string, extra ...string) []string {
	args := append([]string{}, bookinfo...)
	for _, c := range []string{"cluster1", "cluster2"} {
		p := filepath.Join(examples, "variants", name, c)
		if _, err := os.Stat(p); err == nil {
			args = append(args, "-f", p)
		}
	}
	return append(args, extra...)
}

type result struct {
	stdout, stderr string
	code           int
}

// run runs explain as main would: errors become one "error: ..." line and
// an exit status.
func run(t *testing.T, setup func(o *Options), args ...string) result {
	t.Helper()
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	_ = in
	o := NewOptions(streams)
	o.IsTerminal = func(io.Writer) bool { return false }
	o.Getenv = func(string) string { return "" }
	if setup != nil {
		setup(o)
	}
	cmd := newCmd(o)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.Execute()
	code := 0
	if err != nil {
		code = 1
		var exit *cmdutil.ExitError
		if errors.As(err, &exit) {
			code = exit.Code
			err = exit.Err
		}
		if err != nil {
			fmt.Fprintf(errOut, "error: %s\n", err)
		}
	}
	return result{out.String(), errOut.String(), code}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	gold.AssertString(t, filepath.Join("testdata", name), got)
}

func TestGoldenOutputs(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
		code   int
	}{
		{"bookinfo.txt.golden", bookinfo, 0},
		{"bookinfo.json.golden", append(bookinfo, "-o", "json"), 0},
		{"bookinfo.dot.golden", append(bookinfo, "-o", "dot"), 0},
		{"bookinfo.mermaid.golden", append(bookinfo, "-o", "mermaid"), 0},
		{"failover-without-outlier-detection.txt.golden", variant("failover-without-outlier-detection"), 1},
		{"failover-without-outlier-detection.dot.golden", variant("failover-without-outlier-detection", "-o", "dot"), 1},
		{"bookinfo.md.golden", append(bookinfo, "-o", "markdown"), 0},
		{"failover-without-outlier-detection.md.golden", variant("failover-without-outlier-detection", "-o", "markdown"), 1},
		{"suppressed.txt.golden", append(bookinfo, "--suppress", "VD203", "--suppress", "VD601=DestinationRule/bookinfo-frontends/*", "--fail-on", "info"), 0},
		{"suppressed-annotation.txt.golden", append(variant("failover-without-outlier-detection"),
			"-f", "testdata/suppress/productpage-destinationrule.yaml", "--suppress", "VD203=*/*/*-172-23-0-6"), 0},
		{"bookinfo.sarif.golden", append(bookinfo, "-o", "sarif"), 0},
		{"failover-without-outlier-detection.sarif.golden", variant("failover-without-outlier-detection", "-o", "sarif",
			"-f", "testdata/suppress/productpage-destinationrule.yaml", "--suppress", "VD203=*/*/*-172-23-0-6"), 0},
		{"suppressed.json.golden", append(bookinfo, "--suppress", "VD203", "-o", "json"), 0},
		{"suppressed.md.golden", append(bookinfo, "--suppress", "VD203", "-o", "markdown"), 0},
		{"all-namespaces.txt.golden", []string{"-A", "-f", cluster1, "-f", cluster2}, 0},
		{"all-namespaces.json.golden", []string{"-A", "-f", cluster1, "-f", cluster2, "-o", "json"}, 0},
		{"all-namespaces.md.golden", []string{"-A", "-f", cluster1, "-f", cluster2, "-o", "markdown", "--suppress", "VD102=*/bookinfo-staging/*"}, 0},
		{"all-namespaces.sarif.golden", []string{"-A", "-f", cluster1, "-f", cluster2, "-o", "sarif", "--suppress", "VD203"}, 0},
		{"namespace.txt.golden", append(variant("failover-without-outlier-detection"), "--suppress", "VD203")[1:], 1},
		{"other-parents.txt.golden", append(variant("conflicting-protocols"), "-f", filepath.Join(examples, "variants", "several-destinationrules", "cluster1")), 0},
		{"orphan-translation.txt.golden", []string{"details", "-n", "bookinfo-backends", "-f", cluster1, "-f", cluster2,
			"-f", filepath.Join(examples, "variants", "orphan-translation", "cluster1")}, 0},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			r := run(t, nil, tc.args...)
			if r.code != tc.code || r.stderr != "" {
				t.Fatalf("exit %d (want %d), stderr %q", r.code, tc.code, r.stderr)
			}
			golden(t, tc.golden, r.stdout)
		})
	}
}

func TestTextFitsHundredColumns(t *testing.T) {
	r := run(t, nil, bookinfo...)
	for i, l := range strings.Split(r.stdout, "\n") {
		if len(l) <= 100 {
			continue
		}
		// Only an object's full name may not be cut.
		if !regexp.MustCompile(`^\s+(objects|)\s+\[cluster\d\] \w+ [a-z0-9.-]+/[a-z0-9.-]+$`).MatchString(l) {
			t.Errorf("line %d is %d columns: %q", i+1, len(l), l)
		}
	}
}

func TestJSONHasModelAndFindings(t *testing.T) {
	r := run(t, nil, append(bookinfo, "-o", "json")...)
	var got struct {
		Chain struct {
			Name     string `json:"name"`
			Clusters []struct {
				Name             string `json:"name"`
				DestinationRules []struct {
					Policies []struct {
						Port             int `json:"port"`
						OutlierDetection struct {
							Consecutive5xxErrors int `json:"consecutive5xxErrors"`
						} `json:"outlierDetection"`
					} `json:"policies"`
				} `json:"destinationRules"`
			} `json:"clusters"`
		} `json:"chain"`
		Findings []struct {
			Code     string `json:"code"`
			Severity string `json:"severity"`
		} `json:"findings"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Chain.Name != "productpage" || len(got.Chain.Clusters) != 2 {
		t.Fatalf("chain %+v", got.Chain)
	}
	if n := got.Chain.Clusters[1].DestinationRules[0].Policies[0].OutlierDetection.Consecutive5xxErrors; n != 5 {
		t.Errorf("cluster2 consecutive5xxErrors %d", n)
	}
	if len(got.Findings) != 3 || got.Findings[0].Code != "VD601" || got.Findings[0].Severity != "warning" || got.Summary["warnings"] != 1 {
		t.Errorf("findings %+v summary %v", got.Findings, got.Summary)
	}
}

func TestFailOn(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{bookinfo, 0},
		{append(bookinfo, "--fail-on", "error"), 0},
		{append(bookinfo, "--fail-on", "warning"), 1},
		{append(bookinfo, "--fail-on", "info"), 1},
		{variant("missing-san"), 1},
		{variant("missing-san", "--fail-on", "none"), 0},
		{variant("missing-san", "-o", "json"), 1},
	} {
		if r := run(t, nil, tc.args...); r.code != tc.code || r.stderr != "" {
			t.Errorf("%v: exit %d (want %d), stderr %q", tc.args[len(bookinfo):], r.code, tc.code, r.stderr)
		}
	}
}

func TestColour(t *testing.T) {
	plain := run(t, nil, bookinfo...).stdout
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	terminal := func(env string) func(o *Options) {
		return func(o *Options) {
			o.IsTerminal = func(io.Writer) bool { return true }
			o.Getenv = func(k string) string {
				if k == "NO_COLOR" {
					return env
				}
				return ""
			}
		}
	}
	coloured := run(t, terminal(""), bookinfo...).stdout
	if !ansi.MatchString(coloured) {
		t.Error("no colour on a terminal")
	}
	if ansi.ReplaceAllString(coloured, "") != plain {
		t.Error("the coloured text differs from the plain one by more than colours")
	}
	if got := run(t, terminal("1"), bookinfo...).stdout; got != plain {
		t.Error("NO_COLOR is not honoured")
	}
	if got := run(t, nil, append(bookinfo, "--color", "always")...).stdout; got != coloured {
		t.Error("--color always differs from a terminal")
	}
	if got := run(t, terminal(""), append(bookinfo, "--color", "never")...).stdout; got != plain {
		t.Error("--color never has colours")
	}
	if ansi.MatchString(run(t, terminal(""), append(bookinfo, "-o", "json")...).stdout) {
		t.Error("colours in JSON")
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-f", cluster1}, "error: no VirtualDestination and no object translated from one in namespace default in the files read\n"},
		{[]string{"productpage", "-A", "-f", cluster1}, "error: -A/--all-namespaces explains every VirtualDestination: use it without NAME"},
		{[]string{"-A", "-f", cluster1, "-o", "dot"}, "error: -o dot draws the chain of one VirtualDestination: give its NAME"},
		{[]string{"a", "b", "-f", cluster1}, "error: explain takes one VirtualDestination NAME, got 2 arguments: a b\n"},
		{[]string{"Bad_Name!", "-f", cluster1}, "error: invalid VirtualDestination name"},
		{append(bookinfo, "-o", "yaml"), "error: unknown output format \"yaml\": use text, json, markdown, sarif, dot or mermaid\n"},
		{append(bookinfo, "--fail-on", "fatal"), "error: invalid --fail-on \"fatal\": use error, warning, info or none\n"},
		{append(bookinfo, "--color", "sometimes"), "error: invalid --color \"sometimes\": use auto, always or never\n"},
		{append(bookinfo, "--all-contexts"), "error: --all-contexts reads live clusters"},
		{append(bookinfo, "--suppress", "VD2"), "error: invalid --suppress \"VD2\": want CODE or CODE=KIND/NAMESPACE/NAME"},
		{append(bookinfo, "--suppress", "VD201=DestinationRule"), "error: invalid --suppress \"VD201=DestinationRule\": the object is KIND/NAMESPACE/NAME"},
		{append(bookinfo, "--context", "kind-cluster3"), "error: context \"kind-cluster3\" not found in the files (they hold cluster1, cluster2)\n"},
		{append(bookinfo, "--no-such-flag"), "error: unknown flag: --no-such-flag\n"},
		{[]string{"productpage", "-f", "testdata/missing.yaml"}, "error: cannot read testdata/missing.yaml: no such file or directory\n"},
		{[]string{"productpage", "-f", cluster1, "-f", cluster2},
			"error: no VirtualDestination default/productpage and no object translated from it in the files read; found in namespace bookinfo-frontends, bookinfo-staging: use -n\n"},
		{[]string{"ratings", "-n", "bookinfo-frontends", "-f", cluster1},
			"error: no VirtualDestination bookinfo-frontends/ratings and no object translated from it in the files read\n"},
		{[]string{"productpage", "-f", "-", "-f", "-"}, "error: standard input can be read once: give at most one -f -\n"},
		{[]string{"productpage", "-f", filepath.Join(examples, "bookinfo", "cluster1"), "-f", "testdata/unreadable/null-spec.yaml"},
			"error: testdata/unreadable/null-spec.yaml (document 2): spec is null\n"},
		{[]string{"productpage", "-f", "testdata/unreadable/no-name.json"},
			"error: testdata/unreadable/no-name.json (document 1, item 2): metadata.name is missing\n"},
	} {
		r := run(t, nil, tc.args...)
		if r.code != exitTrouble || r.stdout != "" || !strings.HasPrefix(r.stderr, tc.stderr) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q (want exit 2 and %q)", tc.args, r.code, r.stdout, r.stderr, tc.stderr)
		}
	}
}

func TestEmptyStdin(t *testing.T) {
	streams, in, out, errOut := genericiooptions.NewTestIOStreams()
	in.WriteString("   \n")
	o := NewOptions(streams)
	cmd := newCmd(o)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs([]string{"productpage", "-f", "-"})
	err := cmd.Execute()
	var exit *cmdutil.ExitError
	if !errors.As(err, &exit) || exit.Code != exitTrouble || exit.Err.Error() != "standard input is empty" || out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("err %v", err)
	}
}

// snapshot writes the example as find -o yaml would for two contexts whose
// names are not the Gloo cluster names.
func snapshot(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	for _, c := range []string{"cluster1", "cluster2"} {
		objs, err := source.ReadFiles([]string{filepath.Join(examples, "bookinfo", c)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			ann := o.Obj.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[source.ContextAnnotation] = "kind-" + c
			o.Obj.SetAnnotations(ann)
			data, err := yaml.Marshal(o.Obj.Object)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("---\n")
			b.Write(data)
		}
	}
	p := filepath.Join(t.TempDir(), "snapshot.yaml")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSnapshotContexts(t *testing.T) {
	snap := snapshot(t)
	r := run(t, nil, "productpage", "-n", "bookinfo-frontends", "-f", snap)
	for _, want := range []string{
		"  found in context kind-cluster1 (cluster cluster1)\n",
		"Cluster cluster1 (context kind-cluster1)\n",
		"Cluster cluster2 (context kind-cluster2)\n",
		"  objects  [kind-cluster1] DestinationRule bookinfo-frontends/",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	// Picking one context of the snapshot.
	r = run(t, nil, "productpage", "-n", "bookinfo-frontends", "-f", snap, "--context", "kind-cluster2")
	if r.code != 0 || strings.Contains(r.stdout, "Cluster cluster1") || !strings.Contains(r.stdout, "Cluster cluster2") {
		t.Errorf("exit %d, stderr %q:\n%s", r.code, r.stderr, r.stdout)
	}
	if !strings.Contains(r.stdout, "no context read serves the Gloo API") {
		t.Errorf("the chain should say it is inferred:\n%s", r.stdout)
	}
}

func TestUnreachableContexts(t *testing.T) {
	// client-go also logs what it returns; the root command discards it.
	klog.SetLogger(logr.Discard())
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: dead1
  cluster: {server: "https://127.0.0.1:1"}
- name: dead2
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: u
  user: {token: x}
contexts:
- name: dead1
  context: {cluster: dead1, user: u}
- name: dead2
  context: {cluster: dead2, user: u}
current-context: dead1
`
	if err := os.WriteFile(kubeconfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "productpage", "-n", "bookinfo-frontends", "--kubeconfig", kubeconfig,
		"--context", "dead1,dead2", "--request-timeout", "3s", "--cache-dir", t.TempDir())
	if r.code != exitTrouble || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q", r.code, r.stdout)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "error: context dead1: ") || !strings.HasPrefix(lines[1], "error: context dead2: ") ||
		lines[2] != "error: no context could be read" {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

// TestDotRendersToPNG draws the dot output with Graphviz.
func TestDotRendersToPNG(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("Graphviz's dot is not installed (apt-get install graphviz)")
	}
	r := run(t, nil, variant("failover-without-outlier-detection", "-o", "dot")...)
	cmd := exec.Command(dot, "-Tpng")
	cmd.Stdin = strings.NewReader(r.stdout)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	png, err := cmd.Output()
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("dot: %v: %s", err, stderr.String())
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10000 {
		t.Fatalf("not a PNG picture (%d bytes)", len(png))
	}
}

// -o markdown is a GitHub-flavoured Markdown table: parsed with the GFM
// table extension, it is one table with the findings' columns and a row
// per finding.
func TestMarkdownIsAGFMTable(t *testing.T) {
	r := run(t, nil, variant("failover-without-outlier-detection", "-o", "markdown")...)
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert([]byte(r.stdout), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	if n := strings.Count(out, "<table>"); n != 1 {
		t.Fatalf("%d tables in:\n%s", n, out)
	}
	for _, h := range []string{"CODE", "SEVERITY", "CLUSTER", "MESSAGE", "OBJECTS", "HINT"} {
		if !strings.Contains(out, "<th style=\"text-align:left\">"+h+"</th>") {
			t.Errorf("no header %s in:\n%s", h, out)
		}
	}
	if rows, findings := strings.Count(out, "<tr>")-1, strings.Count(r.stdout, "\n| VD"); rows != findings || rows == 0 {
		t.Errorf("%d rows for %d findings", rows, findings)
	}
}

// TestSARIFGoldensFollowTheSchema validates every SARIF golden file against
// the official SARIF 2.1.0 schema kept with pkg/explain/render's tests.
func TestSARIFGoldensFollowTheSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "explain", "render", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.sarif.golden"))
	if len(goldens) == 0 {
		t.Fatal("no SARIF golden file")
	}
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %s", g, err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("%s: %s", g, err)
		}
	}
}
