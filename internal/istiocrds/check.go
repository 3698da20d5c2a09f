package istiocrds

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CheckGenerated runs a generator (a package path such as
// ./internal/gencolumns, relative to the test's package) into a temporary
// file and fails t when the checked-in file differs: a bump of the module it
// reads (istio.io/api, go-control-plane) without `go generate` is caught.
func CheckGenerated(t testing.TB, generator, checkedIn string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(checkedIn))
	if msg, err := exec.Command("go", "run", generator, "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", generator, err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(checkedIn)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what %s writes now: run go generate", checkedIn, generator)
	}
}

// Main is the main of a generator: it parses the flags, runs run, and on
// error says so on stderr, prefixed by the generator's name, and exits 1.
func Main(name string, run func() error) {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}
