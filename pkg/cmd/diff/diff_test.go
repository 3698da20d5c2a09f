package diff

import (
	"bytes"
	"errors"
	"flag"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	vdsnapshot "github.com/kubectl-vd/kubectl-vd/internal/snapshot"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/go-logr/logr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const (
	cluster1 = "../../../examples/bookinfo/cluster1"
	cluster2 = "../../../examples/bookinfo/cluster2"
)

func TestMain(m *testing.M) {
	// client-go logs unreachable servers through klog; the command reports
	// them itself.
	klog.SetLogger(logr.Discard())
	flag.Parse()
	os.Exit(m.Run())
}

type env struct {
	stdin    string
	terminal bool
	noColor  string
}

// run runs the command as main does: the exit status of an ExitError, and
// its error as one "error: " line on stderr.
func run(t *testing.T, e env, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	o := NewOptions(genericiooptions.IOStreams{In: strings.NewReader(e.stdin), Out: &out, ErrOut: &errOut})
	o.IsTerminal = func(io.Writer) bool { return e.terminal }
	o.Getenv = func(k string) string {
		if k == "NO_COLOR" {
			return e.noColor
		}
		return ""
	}
	cmd := newCmd(o)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	if err != nil {
		code = 1
		var exit *cmdutil.ExitError
		if errors.As(err, &exit) {
			code = exit.Code
			err = exit.Err
		}
		if err != nil {
			errOut.WriteString("error: " + err.Error() + "\n")
		}
	}
	return out.String(), errOut.String(), code
}

func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	gold.AssertString(t, filepath.Join("testdata", name), got)
}

// snapshot writes what `find -o yaml` writes for the two clusters of the
// example: one List, each object annotated with its context.
func snapshot(t *testing.T) string {
	t.Helper()
	return vdsnapshot.Write(t, map[string]string{"cluster1": cluster1, "cluster2": cluster2})
}

// deadKubeconfig has two contexts whose servers refuse connections.
func deadKubeconfig(t *testing.T) string {
	t.Helper()
	cfg := `apiVersion: v1
kind: Config
clusters:
- name: dead
  cluster:
    server: https://127.0.0.1:1
users:
- name: u
  user:
    token: t
contexts:
- name: dead
  context: {cluster: dead, user: u, namespace: bookinfo-frontends}
- name: dead2
  context: {cluster: dead, user: u}
current-context: dead
`
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFilesOutputs(t *testing.T) {
	base := []string{"productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-f", cluster2}
	for _, tc := range []struct {
		golden string
		env    env
		args   []string
		code   int
	}{
		{"vd.txt", env{}, []string{"--kind", "vd"}, 1},
		{"vd.txt", env{terminal: true, noColor: "1"}, []string{"--kind", "vd"}, 1},
		{"vd.color.txt", env{terminal: true}, []string{"--kind", "vd"}, 1},
		{"vd.color.txt", env{}, []string{"--kind", "vd", "--color", "always"}, 1},
		{"vd.txt", env{terminal: true}, []string{"--kind", "vd", "--color=never"}, 1},
		{"vd.brief.txt", env{}, []string{"--kind", "vd", "--brief"}, 1},
		{"vd.json", env{terminal: true}, []string{"--kind", "vd", "-o", "json"}, 1},
		{"rt.txt", env{}, []string{"--kind", "rt"}, 0},
		{"rt.raw.txt", env{}, []string{"--kind", "rt", "--raw"}, 1},
		{"all.brief.txt", env{}, []string{"-q"}, 1},
		{"vd.md", env{terminal: true}, []string{"--kind", "vd", "-o", "markdown"}, 1},
	} {
		t.Run(tc.golden+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			stdout, stderr, code := run(t, tc.env, append(append([]string(nil), base...), tc.args...)...)
			if code != tc.code || stderr != "" {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr)
			}
			assertGolden(t, tc.golden, stdout)
		})
	}
}

func TestGivenGlooClusterNames(t *testing.T) {
	// Named after other clusters, nothing folds: the VirtualServices no
	// longer pair up.
	stdout, _, code := run(t, env{}, "productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-f", cluster2,
		"--kind", "rt", "--gloo-cluster-a", "east", "--gloo-cluster-b", "west", "-q")
	if code != 1 || !strings.Contains(stdout, "A: "+cluster1+" (Gloo cluster east)") || !strings.Contains(stdout, "1 only in A, 1 only in B") {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
}

func TestSnapshotWithTwoContexts(t *testing.T) {
	snap := snapshot(t)
	for _, args := range [][]string{
		{"-f", snap},
		{"-f", snap, "--context", "cluster1", "--context", "cluster2"},
		{"-f", snap, "--context", "cluster1,cluster2"},
		{"-f", snap, "-f", snap, "--context", "cluster1", "--context", "cluster2"},
		{"-f", "-", "--context", "cluster1,cluster2"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			data, err := os.ReadFile(snap)
			if err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := run(t, env{stdin: string(data)}, append([]string{"productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-o", "json"}, args...)...)
			if code != 1 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, `"path": "spec.trafficPolicy.portLevelSettings[port=9080].outlierDetection.consecutive5xxErrors"`) ||
				!strings.Contains(stdout, `"changed": 1`) || !strings.Contains(stdout, `"onlyInA": 1`) || !strings.Contains(stdout, `"same": 1`) {
				t.Errorf("unexpected result:\n%s", stdout)
			}
			if !strings.Contains(stdout, `"context": "cluster1"`) || !strings.Contains(stdout, `"context": "cluster2"`) {
				t.Errorf("sides should name their contexts:\n%s", stdout)
			}
		})
	}
	// The same context on both sides: same.
	_, stderr, code := run(t, env{}, "productpage", "-n", "bookinfo-frontends", "-f", snap, "-f", cluster2, "--context", "cluster2")
	if code != 0 || stderr != "" {
		t.Errorf("snapshot:cluster2 vs cluster2 files: exit %d, stderr %q", code, stderr)
	}
}

func TestOneSideEmpty(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "other.yaml")
	other := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n"
	if err := os.WriteFile(empty, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, env{}, "productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-f", empty, "-q")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if want := "no objects translated from parent bookinfo-frontends/productpage in " + empty + "\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if !strings.Contains(stdout, "4 only in A") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestErrors(t *testing.T) {
	snap := snapshot(t)
	dead := deadKubeconfig(t)
	emptyFile := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(emptyFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	noCtx := filepath.Join(t.TempDir(), "nocontext.yaml")
	if err := os.WriteFile(noCtx, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Nested 9,990 levels deep (just under what JSON decoders accept): the
	// comparison once took gigabytes, it must now refuse the object.
	deep := filepath.Join(t.TempDir(), "deep.json")
	const levels = 9990
	deepJSON := `{"apiVersion":"networking.istio.io/v1","kind":"EnvoyFilter","metadata":{"name":"productpage-deep","namespace":"bookinfo-frontends",` +
		`"labels":{"gloo.solo.io/parent_name":"productpage","gloo.solo.io/parent_namespace":"bookinfo-frontends"}},"spec":{"x":` +
		strings.Repeat(`{"a":`, levels) + "1" + strings.Repeat("}", levels) + "}}"
	if err := os.WriteFile(deep, []byte(deepJSON), 0o644); err != nil {
		t.Fatal(err)
	}
	pp := []string{"productpage", "-n", "bookinfo-frontends"}
	with := func(args ...string) []string { return append(append([]string(nil), pp...), args...) }
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"-f", cluster1, "-f", cluster2}, "diff needs the NAME of a parent"},
		{"two names", []string{"a", "b", "-f", cluster1, "-f", cluster2}, "diff takes one parent NAME, got 2 arguments: a b"},
		{"invalid name", []string{"Bad_Name!", "-f", cluster1, "-f", cluster2}, `invalid parent name "Bad_Name!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`},
		{"invalid namespace", []string{"productpage", "-n", "Bad NS", "-f", cluster1, "-f", cluster2}, `invalid namespace "Bad NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`},
		{"unknown flag", with("-f", cluster1, "--bogus"), "unknown flag: --bogus"},
		{"bad output", with("-f", cluster1, "-f", cluster2, "-o", "yaml"), `unknown output format "yaml": diff prints text, json with -o json, or markdown with -o markdown`},
		{"bad colour", with("-f", cluster1, "-f", cluster2, "--color", "sometimes"), `invalid --color "sometimes": use auto, always or never`},
		{"three files", with("-f", cluster1, "-f", cluster2, "-f", cluster1), "diff compares two sides: got 3 files (-f A.yaml -f B.yaml, or one file and --context A --context B)"},
		{"from and files", with("-f", cluster1, "--from", snap), "--from and -f cannot be used together: --from compares a snapshot with a live context, -f compares files"},
		{"from-context without from", with("-f", cluster1, "-f", cluster2, "--from-context", "cluster1"), "--from-context picks a context of the --from snapshot: give --from SNAPSHOT"},
		{"all-contexts with files", with("-f", snap, "--all-contexts"), "--all-contexts reads live clusters: with -f, pick the contexts of a file with --context"},
		{"missing file", with("-f", cluster1, "-f", "/nonexistent/b.yaml"), "cannot read /nonexistent/b.yaml: no such file or directory"},
		{"empty file", with("-f", emptyFile, "-f", cluster2), emptyFile + " is empty"},
		{"nothing found", []string{"nope", "-n", "bookinfo-frontends", "-f", cluster1, "-f", cluster2}, "no objects translated from parent bookinfo-frontends/nope in " + cluster1 + " or " + cluster2},
		{"one file without contexts", with("-f", noCtx), "one file compares two of its contexts: " + noCtx + " holds no context (no kubectl-vd/context annotation, no Gloo cluster label); give a second -f, or --context A --context B"},
		{"one file, one context", with("-f", snap, "--context", "cluster1"), "one file compares two of its contexts: " + snap + " holds contexts cluster1, cluster2; give a second -f, or --context A --context B"},
		{"same context twice", with("-f", snap, "--context", "cluster1,cluster1"), "--context cluster1 given twice: pick two different contexts of " + snap},
		{"file with contexts, no pick", with("-f", snap, "-f", cluster2), snap + " holds contexts cluster1, cluster2: pick one with --context"},
		{"context not in file", with("-f", snap, "-f", cluster2, "--context", "cluster3"), snap + " holds no object of context cluster3 (it holds contexts cluster1, cluster2)"},
		{"object nested too deep", with("-f", deep, "-f", cluster2), "EnvoyFilter bookinfo-frontends/productpage-deep nests fields more than 64 levels deep: diff compares objects up to 64 levels"},
		{"stdin twice", with("-f", "-", "-f", "-"), "standard input can be read once: give at most one -f -"},
		{"bad timeout with files", with("-f", cluster1, "-f", cluster2, "--request-timeout", "abc"), `invalid --request-timeout "abc": use a duration such as 5s or 1m`},
		{"one live context", with("--kubeconfig", dead, "--context", "dead"), "diff needs two sides: --context A --context B, --from SNAPSHOT or -f A.yaml -f B.yaml (got only context dead)"},
		{"unknown context", with("--kubeconfig", dead, "--context", "dead,nowhere"), `context "nowhere" not found in kubeconfig`},
		{"missing kubeconfig", with("--kubeconfig", "/nonexistent/config", "--context", "a,b"), "kubeconfig /nonexistent/config: no such file or directory"},
		{"from with two contexts", with("--kubeconfig", dead, "--context", "dead,dead2", "--from", snap), "--from compares one live context with a snapshot: give one --context, got 2 (dead, dead2)"},
		{"from snapshot without the live context", with("--kubeconfig", dead, "--from", snap), "snapshot " + snap + " holds contexts cluster1, cluster2 but not dead: pick one with --from-context"},
		{"from-context not in snapshot", with("--kubeconfig", dead, "--from", snap, "--from-context", "x"), snap + " holds no object of context x (it holds contexts cluster1, cluster2)"},
		{"missing snapshot", with("--kubeconfig", dead, "--from", "/nonexistent/s.yaml"), "cannot read /nonexistent/s.yaml: no such file or directory"},
		{"unreachable contexts", with("--kubeconfig", dead, "--context", "dead,dead2", "--request-timeout", "2s"), "context dead: cannot reach https://127.0.0.1:1: connection refused; context dead2: cannot reach https://127.0.0.1:1: connection refused"},
		{"unreachable live side of --from", with("--kubeconfig", dead, "--from", snap, "--from-context", "cluster1", "--request-timeout", "2s"), "context dead: cannot reach https://127.0.0.1:1: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, env{}, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if want := "error: " + tc.want + "\n"; stderr != want {
				t.Errorf("stderr:\n got %q\nwant %q", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
		})
	}
}

// TestOneFileOfTwoGlooClusters compares the two Gloo clusters of one file
// whose objects carry Gloo's cluster label and no context annotation.
func TestOneFileOfTwoGlooClusters(t *testing.T) {
	var b bytes.Buffer
	for _, dir := range []string{cluster1, cluster2} {
		objs, err := source.ReadFiles([]string{dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			data, err := o.Obj.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("---\n")
			b.Write(data)
			b.WriteString("\n")
		}
	}
	both := filepath.Join(t.TempDir(), "both.yaml")
	if err := os.WriteFile(both, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, env{}, "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-f", both, "-q")
	if code != 1 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "A: "+both+":cluster1 (Gloo cluster cluster1)\nB: "+both+":cluster2 (Gloo cluster cluster2)\n") || !strings.Contains(stdout, "1 changed, 1 only in A, 1 only in B, 1 same") {
		t.Errorf("stdout:\n%s", stdout)
	}
	// The same pair of sides as two directories.
	dirs, _, _ := run(t, env{}, "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "-f", cluster1, "-f", cluster2, "-q")
	if tail := func(s string) string { return s[strings.Index(s, "\n\n"):] }; tail(dirs) != tail(stdout) {
		t.Errorf("one file and two directories differ:\n%s\n---\n%s", stdout, dirs)
	}
}

func TestFilesResourcesAndKinds(t *testing.T) {
	base := []string{"productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-f", cluster2}
	stdout, stderr, code := run(t, env{}, append(base, "--resources", "se", "-q")...)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "ServiceEntry") || strings.Contains(stdout, "DestinationRule") {
		t.Errorf("--resources se: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resources", "bogus"}, `unknown resource "bogus" in --resources: not an Istio resource, nor the resource of an object in the files`},
		{[]string{"--kind", "VirtualDestinaton"}, `unknown --kind "VirtualDestinaton": did you mean VirtualDestination?`},
	} {
		stdout, stderr, code := run(t, env{}, append(base, tc.args...)...)
		if code != 2 || stdout != "" || stderr != "error: "+tc.want+"\n" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, stdout, stderr)
		}
	}
}

func TestUnreadableObjectIsNamed(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	doc := "apiVersion: v1\nkind: List\nitems:\n- apiVersion: networking.istio.io/v1\n  kind: ServiceEntry\n  metadata: {name: 7, namespace: bookinfo-frontends}\n  spec: {}\nmetadata: {}\n"
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := run(t, env{}, "productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-f", bad)
	if want := "error: " + bad + " (document 1, item 1): metadata.name is not a string (a number)\n"; code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
	}
}

// -o markdown is GitHub-flavoured Markdown: the summary table and one table
// of changed paths per changed object.
func TestMarkdownIsGFMTables(t *testing.T) {
	stdout, _, code := run(t, env{}, "productpage", "-n", "bookinfo-frontends", "-f", cluster1, "-f", cluster2, "--kind", "vd", "-o", "markdown")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert([]byte(stdout), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	if n := strings.Count(out, "<table>"); n != 2 {
		t.Fatalf("%d tables, want the summary and one changed object:\n%s", n, out)
	}
	for _, h := range []string{"KIND", "NAMESPACE", "NAME", "STATUS", "PATH", "CHANGE", "A", "B"} {
		if !strings.Contains(out, "<th style=\"text-align:left\">"+h+"</th>") {
			t.Errorf("no header %s in:\n%s", h, out)
		}
	}
}

// -R reads the directories of --from too: its help says so.
func TestRecursiveHelpNamesFrom(t *testing.T) {
	f := NewCmdDiff(genericiooptions.NewTestIOStreamsDiscard()).Flags().Lookup("recursive")
	if f == nil || f.Usage != "Read the directories given with -f or --from recursively" {
		t.Fatalf("-R: %+v", f)
	}
}
