package find

import (
	"bytes"
	"errors"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	vdsnapshot "github.com/kubectl-vd/kubectl-vd/internal/snapshot"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
)

// run executes find with files as the source, on a fixed clock.
func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	cmd := NewCmdFind(streams)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	gold.AssertString(t, filepath.Join("testdata", name+".golden"), got)
}

const cluster1 = "../../../examples/bookinfo/cluster1"

func TestFindFromFiles(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"vd-names", []string{"productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-o", "name"}},
		{"all-names", []string{"productpage", "-n", "bookinfo-frontends", "-o", "name"}},
		{"staging-names", []string{"productpage", "-n", "bookinfo-staging", "-o", "name"}},
		{"rt-table", []string{"productpage", "-n", "bookinfo-frontends", "--kind", "rt"}},
		{"overview", []string{"-A"}},
		{"vd-markdown", []string{"productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-o", "markdown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := run(t, "", append(tc.args, "-f", cluster1)...)
			if err != nil || stderr != "" {
				t.Fatalf("err %v, stderr %q", err, stderr)
			}
			golden(t, tc.name, stdout)
		})
	}
}

func TestFindNothingFoundInFiles(t *testing.T) {
	stdout, stderr, err := run(t, "", "nothing", "-n", "bookinfo-frontends", "-f", cluster1)
	if err != nil || stdout != "" {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
	if want := "no objects translated from parent bookinfo-frontends/nothing in " + cluster1 + "\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}

func TestFindValidation(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"Bad!", "-f", cluster1}, `invalid parent name "Bad!"`},
		{[]string{"p", "-n", "Bad_NS", "-f", cluster1}, `invalid namespace "Bad_NS"`},
		{[]string{"p", "-A", "-f", cluster1}, "-A/--all-namespaces lists every parent: use it without NAME"},
		{[]string{"p", "-o", "xml", "-f", cluster1}, `unknown output format "xml"`},
		{[]string{"p", "-o", "jsonpath={.items[", "-f", cluster1}, "invalid jsonpath template"},
		{[]string{"-o", "tree", "-f", cluster1}, "-o tree needs a parent NAME"},
		// The overview is a table only: a List asked for is not replaced by it.
		{[]string{"-A", "-o", "yaml", "-f", cluster1}, "-o yaml needs a parent NAME"},
		{[]string{"-o", "json", "-f", cluster1}, "-o json needs a parent NAME"},
		{[]string{"p", "-w", "-f", cluster1}, "--watch reads live clusters: it cannot be used with -f"},
		{[]string{"p", "-f", cluster1, "--request-timeout", "abc"}, `invalid --request-timeout "abc"`},
		{[]string{"p", "--kind", "not a kind", "-f", cluster1}, `invalid --kind "not a kind"`},
		{[]string{"p", "-f", "-"}, "standard input is empty"},
		{[]string{"p", "-f", "https://example.com/vd.yaml"}, "https://example.com/vd.yaml: kubectl vd reads local files only, not URLs"},
		// The output is refused before the kubeconfig is read.
		{[]string{"p", "-o", "nope", "--kubeconfig", "/nonexistent/kubeconfig", "--context", "dead"}, `unknown output format "nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			_, _, err := run(t, "", tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var exit *cmdutil.ExitError
			if errors.As(err, &exit) {
				t.Fatalf("validation error carries an exit status: %v", err)
			}
		})
	}
}

func TestTreeFromStdinUsesTheClock(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(cluster1, "productpage-vd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	o := NewOptions(genericiooptions.IOStreams{In: bytes.NewReader(data), Out: &out, ErrOut: &errOut})
	o.Now = func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }
	o.Filenames = []string{"-"}
	o.Output = "tree"
	cmd := NewCmdFind(o.IOStreams)
	if err := o.Complete(cmd, []string{"productpage"}); err != nil {
		t.Fatal(err)
	}
	o.Namespace, o.query.Namespace = "bookinfo-frontends", "bookinfo-frontends"
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "tree-stdin", out.String())
}

const cluster2 = "../../../examples/bookinfo/cluster2"

// snapshot writes what `find -A -o yaml` writes for the two clusters of
// the example, each object annotated with a kube context named unlike its
// Gloo cluster.
func snapshot(t *testing.T) string {
	t.Helper()
	return vdsnapshot.Write(t, map[string]string{"kind-cluster1": cluster1, "kind-cluster2": cluster2})
}

func TestFindPicksContextsOfFiles(t *testing.T) {
	snap := snapshot(t)
	all, stderr, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-f", snap, "-o", "name")
	if err != nil || stderr != "" || len(strings.Split(strings.TrimSpace(all), "\n")) != 6 {
		t.Fatalf("both contexts: err %v, stderr %q:\n%s", err, stderr, all)
	}
	stdout, stderr, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-f", snap, "--context", "kind-cluster2")
	if err != nil || stderr != "" {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
	if strings.Contains(stdout, "kind-cluster1") || strings.Count(stdout, "kind-cluster2 ") != 3 {
		t.Errorf("--context kind-cluster2 shows other contexts:\n%s", stdout)
	}
	_, _, err = run(t, "", "productpage", "-n", "bookinfo-frontends", "-f", snap, "--context", "cluster3")
	if err == nil || err.Error() != `context "cluster3" not found in the files (they hold kind-cluster1, kind-cluster2)` {
		t.Errorf("unknown context: %v", err)
	}
	_, _, err = run(t, "", "productpage", "-n", "bookinfo-frontends", "-f", snap, "--all-contexts")
	if err == nil || err.Error() != "--all-contexts reads live clusters: with -f, pick contexts of the files with --context" {
		t.Errorf("--all-contexts: %v", err)
	}
}

// TestFindPlacesFileObjectsByGlooCluster reads the example's directories,
// whose objects carry Gloo's cluster label and no context annotation, with
// a snapshot of the same objects: one rule places them all, and an object
// read twice is one row.
func TestFindPlacesFileObjectsByGlooCluster(t *testing.T) {
	stdout, stderr, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "--kind", "rt", "-f", cluster1, "-f", cluster2, "-f", cluster1)
	if err != nil || stderr != "" {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
	golden(t, "rt-two-clusters", stdout)
}

func TestFindResourcesInFiles(t *testing.T) {
	stdout, stderr, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "-f", cluster1, "--resources", "se,destinationrules.networking.istio.io", "-o", "name")
	if err != nil || stderr != "" {
		t.Fatalf("err %v, stderr %q", err, stderr)
	}
	want := "destinationrule.networking.istio.io/productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad\nserviceentry.networking.istio.io/vd-productpage-global-bookinfo\n"
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	stdout, _, err = run(t, "", "productpage", "-n", "bookinfo-frontends", "-f", cluster1, "--resources", "se,bogus")
	if err == nil || err.Error() != `unknown resource "bogus" in --resources: not an Istio resource, nor the resource of an object in the files` || stdout != "" {
		t.Errorf("bogus: err %v, stdout %q", err, stdout)
	}
}

func TestFindFileErrors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(cluster1, "productpage-vd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  namespace: ns\n  labels: {gloo.solo.io/parent_name: productpage, gloo.solo.io/parent_namespace: ns}\nspec: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"productpage", "-f", "-", "-f", "-"}, "standard input can be read once: give at most one -f -"},
		{[]string{"productpage", "--kind", "VirtualDestinaton", "-f", "-"}, `unknown --kind "VirtualDestinaton": did you mean VirtualDestination?`},
		{[]string{"productpage", "-n", "ns", "-f", bad}, bad + " (document 2): metadata.name is missing"},
	} {
		stdout, _, err := run(t, string(data), tc.args...)
		if err == nil || err.Error() != tc.want || stdout != "" {
			t.Errorf("%v: err %v, stdout %q; want %q", tc.args, err, stdout, tc.want)
		}
	}
}

func TestFindHintsTheNamespace(t *testing.T) {
	stdout, stderr, err := run(t, "", "productpage", "-f", cluster1)
	if err != nil || stdout != "" {
		t.Fatalf("err %v, stdout %q", err, stdout)
	}
	want := "no objects translated from parent default/productpage in " + cluster1 + "; found in namespace bookinfo-backends, bookinfo-frontends, bookinfo-staging: use -n\n"
	if stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
	// With --kind, only the namespaces of parents of that kind.
	_, stderr, _ = run(t, "", "productpage", "--kind", "rt", "-f", cluster1)
	if want := "no objects translated from RouteTable default/productpage in " + cluster1 + "; found in namespace bookinfo-frontends: use -n\n"; stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}

// -o markdown is one GFM table per kind, with kubectl's columns.
func TestFindMarkdownIsGFMTables(t *testing.T) {
	stdout, _, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-o", "markdown", "-f", cluster1)
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert([]byte(stdout), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	if n := strings.Count(out, "<table>"); n != 3 {
		t.Errorf("%d tables, want one per kind (DestinationRule, ServiceEntry, WorkloadEntry):\n%s", n, out)
	}
	for _, h := range []string{"CONTEXT", "NAMESPACE", "NAME", "HOSTS", "ADDRESS"} {
		if !strings.Contains(out, "<th style=\"text-align:left\">"+h+"</th>") {
			t.Errorf("no header %s in:\n%s", h, out)
		}
	}
}

// -f DIR reads the directory's own files; -R/--recursive also those of the
// directories below, as kubectl does.
func TestFindRecursive(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "cluster1")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(cluster1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(cluster1, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, _, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "-f", dir, "-o", "name"); err == nil || !strings.Contains(err.Error(), "no .yaml, .yml or .json file in directory") {
		t.Fatalf("without -R: err = %v, want no manifest in the directory", err)
	}
	for _, flag := range []string{"-R", "--recursive"} {
		got, _, err := run(t, "", "productpage", "-n", "bookinfo-frontends", "-f", dir, flag, "-o", "name")
		if err != nil {
			t.Fatalf("%s: %v", flag, err)
		}
		if got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", flag, got, want)
		}
	}
}

// Every -o of kubectl's goes through cli-runtime's printers: a go-template
// (with -o or --template alone, as kubectl get takes it) prints what the
// same JSONPath prints.
func TestFindKubectlTemplates(t *testing.T) {
	base := []string{"productpage", "-n", "bookinfo-frontends", "-f", cluster1}
	want, _, err := run(t, "", append(base, "-o", `jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\n"}{end}`)...)
	if err != nil || want == "" {
		t.Fatalf("jsonpath: %q, %v", want, err)
	}
	tmpl := `{{range .items}}{{.kind}}/{{.metadata.name}}{{"\n"}}{{end}}`
	for _, args := range [][]string{{"-o", "go-template=" + tmpl}, {"--template", tmpl}, {"-o", "go-template", "--template", tmpl}} {
		got, _, err := run(t, "", append(append([]string(nil), base...), args...)...)
		if err != nil || got != want {
			t.Errorf("%q: %v, got\n%s\nwant\n%s", args, err, got, want)
		}
	}
}

// As in kubectl get, --template is the go-template of an -o that takes one,
// or of no -o; it does not replace -o json or -o yaml.
func TestFindTemplateFlagWithOutput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--template", "{{.kind}}"}, "List"},
		{[]string{"-o", "go-template", "--template", "{{.kind}}"}, "List"},
		{[]string{"-o", "json", "--template", "{{.kind}}"}, "{\n    \"apiVersion\": \"v1\",\n"},
		{[]string{"-o", "yaml", "--template", "{{.kind}}"}, "apiVersion: v1\nitems:\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			args := append([]string{"productpage", "-n", "bookinfo-frontends", "-f", cluster1}, tc.args...)
			stdout, stderr, err := run(t, "", args...)
			if err != nil || stderr != "" || !strings.HasPrefix(stdout, tc.want) {
				t.Fatalf("err %v, stderr %q, stdout %.60q; want it to start with %q", err, stderr, stdout, tc.want)
			}
		})
	}
}

// -o completes every format the help names: find's own, then kubectl's as
// kubectl get completes them.
func TestFindOutputCompletion(t *testing.T) {
	cmd := NewCmdFind(genericiooptions.NewTestIOStreamsDiscard())
	complete, ok := cmd.GetFlagCompletionFunc("output")
	if !ok {
		t.Fatal("no completion for -o")
	}
	got, _ := complete(cmd, nil, "")
	want := "wide tree markdown json yaml kyaml name go-template go-template-file template templatefile jsonpath jsonpath-as-json jsonpath-file"
	if strings.Join(got, " ") != want {
		t.Errorf("-o <TAB>: %v, want %s", got, want)
	}
}
