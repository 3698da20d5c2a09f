package source

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func object(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: default\n"
}

// As kubectl's -f: a directory gives its own .yaml, .yml and .json files,
// and those of the directories below only with -R.
func TestDirectoriesAreReadRecursivelyOnlyWithRecursive(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "top.yaml", object("top"))
	write(t, dir, "notes.txt", "not read")
	write(t, dir, filepath.Join("sub", "mid.yml"), object("mid"))
	write(t, dir, filepath.Join("sub", "deeper", "deep.json"), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep","namespace":"default"}}`)
	for _, tc := range []struct {
		recursive bool
		want      []string
	}{
		{false, []string{"top"}},
		{true, []string{"deep", "mid", "top"}},
	} {
		var got []string
		err := VisitWith([]string{dir}, nil, VisitOptions{Recursive: tc.recursive}, func(o Object) error {
			got = append(got, o.Name())
			return nil
		})
		if err != nil {
			t.Fatalf("recursive %v: %v", tc.recursive, err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("recursive %v: read %v, want %v", tc.recursive, got, tc.want)
		}
	}
	// A directory whose manifests are all below it holds none without -R.
	only := t.TempDir()
	if err := os.Mkdir(filepath.Join(only, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, only, filepath.Join("sub", "a.yaml"), object("a"))
	if err := Visit([]string{only}, nil, func(Object) error { return nil }); err == nil || !strings.Contains(err.Error(), "no .yaml, .yml or .json file") {
		t.Errorf("err = %v, want no manifest in directory", err)
	}
}

func TestURLsAreRefused(t *testing.T) {
	for _, p := range []string{"https://example.com/vd.yaml", "HTTP://example.com/vd.yaml"} {
		err := CheckPaths([]string{p})
		if err == nil {
			t.Fatalf("%s: no error", p)
		}
		if want := p + ": kubectl vd reads local files only, not URLs: download the file and give its path"; err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
		if u, ok := err.(interface{ UsageError() bool }); !ok || !u.UsageError() {
			t.Errorf("%s: not a usage error", p)
		}
	}
	if err := CheckPaths([]string{"http.yaml", "dir/https:/x"}); err != nil {
		t.Errorf("local paths refused: %v", err)
	}
}
