package printers

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The checked-in printer columns are what `go generate ./pkg/printers`
// writes from the istio.io/api version go.mod requires: a version bump
// without a regeneration fails here.
func TestIstioColumnsAreCurrent(t *testing.T) {
	out := filepath.Join(t.TempDir(), "istio_columns.go")
	cmd := exec.Command("go", "run", "./internal/gencolumns", "-o", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gencolumns: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("istio_columns.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("istio_columns.go is not what gencolumns writes now: run go generate ./pkg/printers")
	}
}
