package source

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// threeContexts are flags for contexts a and b, and c whose client
// certificate file is missing: its clients cannot be built.
func threeContexts(t *testing.T) *kube.Flags {
	t.Helper()
	dir := t.TempDir()
	return flagsFor(t, dir, `apiVersion: v1
kind: Config
clusters: [{name: k, cluster: {server: "https://127.0.0.1:1"}}]
users:
- {name: u, user: {token: t}}
- {name: broken, user: {client-certificate: `+filepath.Join(dir, "missing.crt")+`, client-key: `+filepath.Join(dir, "missing.key")+`}}
contexts:
- {name: a, context: {cluster: k, user: u}}
- {name: b, context: {cluster: k, user: u}}
- {name: c, context: {cluster: k, user: broken}}
current-context: a
`)
}

// flagsFor are the connection flags of a kubeconfig written in dir, with a
// discovery cache of their own.
func flagsFor(t *testing.T, dir, kubeconfig string) *kube.Flags {
	t.Helper()
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	f := kube.NewFlags()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse([]string{"--kubeconfig", config, "--cache-dir", filepath.Join(dir, "cache")}); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestEachContextKeepsTheOrderAndEveryError(t *testing.T) {
	f := threeContexts(t)
	results := EachContext(context.Background(), f, []string{"c", "b", "a"}, func(_ context.Context, c *kube.Cluster) (string, error) {
		if c.Context == "b" {
			return "", errors.New("b failed")
		}
		return "read " + c.Context, nil
	})
	if len(results) != 3 {
		t.Fatalf("%d results, want 3", len(results))
	}
	if r := results[0]; r.Context != "c" || !errors.Is(r.Err, fs.ErrNotExist) {
		t.Errorf("c: %+v, want the error of its clients", r)
	}
	if r := results[1]; r.Context != "b" || r.Err == nil || r.Err.Error() != "b failed" {
		t.Errorf("b: %+v, want its read's error", r)
	}
	if r := results[2]; r.Context != "a" || r.Err != nil || r.Value != "read a" {
		t.Errorf("a: %+v, want its value", r)
	}
}

// A context that never answers does not hold the others past ctx.
func TestEachContextReturnsWhenTheContextEnds(t *testing.T) {
	f := threeContexts(t)
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	results := EachContext(ctx, f, []string{"a", "b"}, func(_ context.Context, c *kube.Cluster) (int, error) {
		if c.Context == "a" {
			cancel()
			return 1, nil
		}
		<-release
		return 2, nil
	})
	if r := results[1]; r.Context != "b" || !errors.Is(r.Err, context.Canceled) {
		t.Errorf("b: %+v, want the context's end", r)
	}
	if r := results[0]; r.Context != "a" || (r.Err == nil && r.Value != 1) {
		t.Errorf("a: %+v", r)
	}
}
