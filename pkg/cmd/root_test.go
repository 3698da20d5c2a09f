package cmd

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Usage errors are one line that points at the help of the command they
// concern; other errors are one line without it.
func TestExecuteErrorLines(t *testing.T) {
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"find", "--frobnicate"}, 1, "error: unknown flag: --frobnicate. See 'kubectl vd find -h' for help and examples\n"},
		{[]string{"find", "a", "b"}, 1, "error: accepts at most 1 arg(s), received 2. See 'kubectl vd find -h' for help and examples\n"},
		{[]string{"version", "extra"}, 1, "error: unknown command \"extra\" for \"kubectl vd version\". See 'kubectl vd version -h' for help and examples\n"},
		{[]string{"explain", "x", "--frobnicate"}, 2, ""},
		{[]string{"explain", "a", "b"}, 2, ""},
		{[]string{"diff", "a", "b"}, 2, "error: diff takes one parent NAME, got 2 arguments: a b. See 'kubectl vd diff -h' for help and examples\n"},
		{[]string{"clusters", "a", "b"}, 1, "error: clusters reads one proxy, got 2 arguments: a b. See 'kubectl vd clusters -h' for help and examples\n"},
		{[]string{"find", "x", "-f", "-", "-f", "-"}, 1, "error: standard input can be read once: give at most one -f -. See 'kubectl vd find -h' for help and examples\n"},
		{[]string{"find", "x", "-f", "-", "--kind", "VirtualDestinaton"}, 1, "error: unknown --kind \"VirtualDestinaton\": did you mean VirtualDestination? See 'kubectl vd find -h' for help and examples\n"},
		{[]string{"bogus"}, 1, "error: unknown command \"bogus\" for \"kubectl vd\". See 'kubectl vd -h' for help and examples\n"},
		{[]string{"find", "productpage", "-f", "/nonexistent/file.yaml"}, 1, "error: cannot read /nonexistent/file.yaml: no such file or directory\n"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Execute(tc.args, genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut.String())
			}
			if tc.stderr == "" {
				if !strings.HasSuffix(errOut.String(), ". See 'kubectl vd explain -h' for help and examples\n") || strings.Count(errOut.String(), "\n") != 1 {
					t.Errorf("stderr = %q", errOut.String())
				}
				return
			}
			if errOut.String() != tc.stderr {
				t.Errorf("stderr = %q\nwant     %q", errOut.String(), tc.stderr)
			}
		})
	}
}

// Every command that reads -f directories reads them as kubectl does:
// -R reads the directories below.
func TestEveryFilenameFlagHasRecursive(t *testing.T) {
	root := NewRootCmd(genericiooptions.NewTestIOStreamsDiscard())
	for _, c := range root.Commands() {
		f := c.Flags().Lookup("filename")
		if f == nil || !strings.Contains(f.Usage, "director") {
			continue
		}
		if r := c.Flags().Lookup("recursive"); r == nil || r.Shorthand != "R" {
			t.Errorf("%s reads directories with -f but has no -R/--recursive", c.Name())
		}
	}
}
