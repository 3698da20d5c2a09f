package bundlecmd

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-vd/kubectl-vd/pkg/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

func writeBundle(t *testing.T) string {
	t.Helper()
	c := &bundle.Contents{
		Manifest: bundle.Manifest{
			Created: time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC),
			Parent:  bundle.Parent{Name: "productpage", Namespace: "bookinfo-frontends"},
			Contexts: []bundle.Context{
				{Name: "cluster1"}, {Name: "cluster2"},
			},
		},
		Objects: map[string][]source.Object{},
	}
	var buf bytes.Buffer
	if _, err := bundle.Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "b.tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpen(t *testing.T) {
	path := writeBundle(t)
	ns := func(s string) *string { return &s }
	for _, c := range []struct {
		name      string
		contexts  []string
		all       bool
		namespace *string
		files     []string
		want      string
		code      int
		usage     bool
	}{
		{name: "every context by default", want: "cluster1,cluster2 bookinfo-frontends"},
		{name: "--all-contexts", all: true, want: "cluster1,cluster2 bookinfo-frontends"},
		{name: "picked, in the order given", contexts: []string{"cluster2,cluster1", "cluster2"}, namespace: ns("other"), want: "cluster2,cluster1 other"},
		{name: "unknown context", contexts: []string{"cluster3"}, code: ExitBadBundle, want: `bundle ` + path + ` holds no context "cluster3" (it holds cluster1, cluster2)`},
		{name: "with -f", files: []string{"x.yaml"}, usage: true, want: "--bundle and -f both name what to read: give one of them"},
		{name: "--all-contexts and --context", all: true, contexts: []string{"cluster1"}, usage: true, want: "--all-contexts and --context cannot be used together"},
	} {
		t.Run(c.name, func(t *testing.T) {
			flags := kube.NewFlags()
			flags.Contexts, flags.AllContexts = c.contexts, c.all
			if c.namespace != nil {
				flags.Namespace = c.namespace
			}
			f := &Flag{Path: path}
			s, err := f.Open(flags, c.files)
			if err != nil {
				var exit *cmdutil.ExitError
				switch {
				case c.usage && !cmdutil.IsUsage(err):
					t.Errorf("%v is not a usage error", err)
				case c.code != 0 && (!errors.As(err, &exit) || exit.Code != c.code):
					t.Errorf("%v: want exit status %d", err, c.code)
				}
				if err.Error() != c.want {
					t.Errorf("error %q, want %q", err, c.want)
				}
				return
			}
			got := strings.Join(s.Contexts, ",") + " " + s.Namespace
			if got != c.want || !s.Now().Equal(time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)) {
				t.Errorf("got %q at %v, want %q", got, s.Now(), c.want)
			}
		})
	}
}

// A file that is not a bundle is one line and exit status 2.
func TestOpenBadBundle(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(writeBundle(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"yaml.tar.gz":      []byte("apiVersion: v1\nkind: List\n"),
		"truncated.tar.gz": good[:len(good)/2],
		"one-line.tar.gz":  []byte("not a bundle\n"),
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := (&Flag{Path: p}).Open(kube.NewFlags(), nil)
		var exit *cmdutil.ExitError
		if !errors.As(err, &exit) || exit.Code != ExitBadBundle || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), p+" is not a kubectl-vd bundle: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
