package admin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{
		"productpage-v1-abc":       {Kind: "pod", Name: "productpage-v1-abc"},
		"pod/productpage-v1-abc":   {Kind: "pod", Name: "productpage-v1-abc"},
		"po/x":                     {Kind: "pod", Name: "x"},
		"deploy/productpage-v1":    {Kind: "deployment", Name: "productpage-v1"},
		"deployments.apps/reviews": {Kind: "deployment", Name: "reviews"},
		"Deployment/reviews":       {Kind: "deployment", Name: "reviews"},
	} {
		got, err := ParseTarget(in, "")
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"svc/x":       `"svc/x": only pods (NAME or pod/NAME) and deployments (deploy/NAME) can be read`,
		"pod/Bad_Pod": `invalid pod name "Bad_Pod"`,
		"deploy/":     `invalid deployment name ""`,
	} {
		if _, err := ParseTarget(in, ""); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	if got, err := ParseTarget("", "app=productpage"); err != nil || got.Selector != "app=productpage" || got.String() != "pods selected by app=productpage" {
		t.Errorf("selector: %+v %v", got, err)
	}
	if _, err := ParseTarget("", "app in ("); err == nil {
		t.Error("bad selector accepted")
	}
	if _, err := ParseTarget("x", "app=y"); err == nil {
		t.Error("pod and selector accepted together")
	}
}

func TestFilesTellDumpsAndClustersApart(t *testing.T) {
	dir := filepath.Join("..", "testdata")
	f := &Files{Paths: []string{filepath.Join(dir, "failover-sidecar-productpage.clusters.json"), filepath.Join(dir, "failover-sidecar-productpage.config_dump.json")}}
	if err := f.Load(envoy.ReadOptions{Endpoints: true}, false); err != nil {
		t.Fatal(err)
	}
	cs, err := f.Clusters(context.Background(), false)
	if err != nil || len(cs) != 31 {
		t.Fatalf("clusters: %d %v", len(cs), err)
	}
	d, err := f.ConfigDump(context.Background(), EDSDumpPath, envoy.ReadOptions{Endpoints: true})
	if err != nil || len(d.Endpoints) != 31 || !f.HasConfigDump() {
		t.Fatalf("dump: %v", err)
	}
	if f.String() != strings.Join(f.Paths, ", ") {
		t.Errorf("name %q", f.String())
	}
}

func TestFilesErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	if err := os.WriteFile(empty, []byte("  \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    *Files
		want string
	}{
		{&Files{Paths: []string{"-"}}, "no standard input to read"},
		{&Files{Paths: []string{"-"}, Stdin: strings.NewReader("")}, "standard input: empty, not an Envoy admin API answer"},
		{&Files{Paths: []string{dir}}, dir + " is a directory, not a saved Envoy admin answer"},
		{&Files{Paths: []string{filepath.Join(dir, "missing.json")}}, "cannot read " + filepath.Join(dir, "missing.json") + ": no such file or directory"},
		{&Files{Paths: []string{"-"}, Stdin: strings.NewReader(`{"x":1}`)}, `standard input: not an Envoy admin API answer: no "configs" nor "cluster_statuses" list`},
	} {
		_, err := tc.f.Clusters(context.Background(), false)
		if err == nil || err.Error() != tc.want {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func TestErrorSinkPrefersTheForwardingCause(t *testing.T) {
	s := &errorSink{}
	if s.last() != "" || s.hasCause() {
		t.Fatal("empty sink reports an error")
	}
	s.Error(errors.New("EOF"), "Error copying from local connection to remote stream")
	if s.last() != "port-forward failed: EOF" || s.hasCause() {
		t.Errorf("got %q", s.last())
	}
	s.Error(errors.New("error forwarding port 15000 to pod x: dial tcp 127.0.0.1:1: connect: connection refused"), forwardFailure)
	s.Error(errors.New("EOF"), "Error closing listener")
	if want := "port-forward failed: error forwarding port 15000 to pod x: dial tcp 127.0.0.1:1: connect: connection refused"; s.last() != want || !s.hasCause() {
		t.Errorf("got %q", s.last())
	}
	s.reset()
	if s.last() != "" {
		t.Error("reset kept errors")
	}
}
