package diff

import (
	"bytes"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// assertGolden compares got with testdata/name, or rewrites it with -update.
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	gold.Assert(t, filepath.Join("testdata", name), got)
}

// side reads a side from a test file; context and cluster are left for
// the engine to infer.
func side(t *testing.T, label, path string) Side {
	t.Helper()
	objs, err := source.ReadFiles([]string{filepath.Join("testdata", path)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Side{Label: label, Objects: objs}
}

func compareFiles(t *testing.T, dir string, opts Options) *Result {
	t.Helper()
	b := dir + "/b.yaml"
	if _, err := os.Stat(filepath.Join("testdata", dir, "b.json")); err == nil {
		b = dir + "/b.json"
	}
	return mustCompare(t, side(t, "cluster1", dir+"/a.yaml"), side(t, "cluster2", b), opts)
}

func mustCompare(t *testing.T, a, b Side, opts Options) *Result {
	t.Helper()
	r, err := Compare(a, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func render(t *testing.T, r *Result, o TextOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteText(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func renderJSON(t *testing.T, r *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGoldenOutputs(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		opts Options
		out  string
	}{
		{dir: "vd-clusters", out: "vd-clusters/diff"},
		{dir: "routes", out: "routes/diff"},
		{dir: "routes", opts: Options{Raw: true}, out: "routes/raw"},
		{dir: "fields", out: "fields/diff"},
		{dir: "snapshot", out: "snapshot/diff"},
	} {
		t.Run(tc.out, func(t *testing.T) {
			r := compareFiles(t, tc.dir, tc.opts)
			assertGolden(t, tc.out+".txt.golden", render(t, r, TextOptions{}))
			assertGolden(t, tc.out+".json.golden", renderJSON(t, r))
		})
	}
}

func TestGoldenColourAndBrief(t *testing.T) {
	r := compareFiles(t, "vd-clusters", Options{})
	assertGolden(t, "vd-clusters/diff.color.golden", render(t, r, TextOptions{Color: true}))
	assertGolden(t, "vd-clusters/brief.txt.golden", render(t, r, TextOptions{Brief: true}))
}
