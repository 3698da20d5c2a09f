package find

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmdutil"
)

var update = flag.Bool("update", false, "rewrite the golden files")

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
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
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
		{[]string{"p", "-w", "-f", cluster1}, "--watch reads live clusters: it cannot be used with -f"},
		{[]string{"p", "--kind", "not a kind", "-f", cluster1}, `invalid --kind "not a kind"`},
		{[]string{"p", "-f", "-"}, "standard input is empty"},
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
