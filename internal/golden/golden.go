// Package golden compares the output of tests with golden files, and
// rewrites them with -update after an intended change of output (review the
// diff before committing).
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/internal/textdiff"
)

var update = flag.Bool("update", false, "rewrite the golden files with this run's output (never another tool's)")

// Update reports whether the run was asked to rewrite golden files.
func Update() bool { return *update }

// Assert compares got with the golden file at path; with -update it writes
// got there instead (creating the folder).
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	compare(t, path, got, " (run with -update to accept it)")
}

// AssertString is Assert for text.
func AssertString(t testing.TB, path, got string) {
	t.Helper()
	Assert(t, path, []byte(got))
}

// AssertFixed compares got with a file no -update may rewrite: another
// tool's output, such as istioctl's, that this program must match.
func AssertFixed(t testing.TB, path, got string) {
	t.Helper()
	compare(t, path, []byte(got), "")
}

func compare(t testing.TB, path string, got []byte, hint string) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v%s", err, hint)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s%s:\n%s", path, hint, firstDifference(string(want), string(got)))
	}
}

// firstDifference names the first line where want and got differ.
func firstDifference(want, got string) string {
	n, w, g := textdiff.FirstLine(want, got)
	return fmt.Sprintf("line %d:\n  want %q\n  got  %q", n, w, g)
}
