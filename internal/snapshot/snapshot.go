// Package snapshot writes, for tests, what `kubectl vd find -o yaml` writes
// for several contexts: one List whose objects carry the context they were
// read in.
package snapshot

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Write reads the folder of each context (context name -> folder) and
// writes them as one snapshot in a temporary folder of t; it returns the
// file's path.
func Write(t testing.TB, folders map[string]string) string {
	t.Helper()
	var objs []source.Object
	for ctx, dir := range folders {
		read, err := source.ReadFiles([]string{dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range read {
			o.Context = ctx
			objs = append(objs, o)
		}
	}
	source.Sort(objs)
	var b bytes.Buffer
	if err := printers.YAML(&b, objs, true); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
