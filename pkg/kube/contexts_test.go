package kube

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:1"}
- name: c2
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: u
  user: {token: t}
contexts:
- name: kind-cluster1
  context: {cluster: c1, user: u, namespace: bookinfo-frontends}
- name: kind-cluster2
  context: {cluster: c2, user: u}
current-context: kind-cluster1
`

func flagsFor(t *testing.T, config string, args ...string) *Flags {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if config != "" {
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := NewFlags()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.AddFlags(fs)
	if err := fs.Parse(append([]string{"--kubeconfig", path}, args...)); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSelectedContexts(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{name: "current context", want: "kind-cluster1"},
		{name: "repeated", args: []string{"--context", "kind-cluster2", "--context", "kind-cluster1"}, want: "kind-cluster2,kind-cluster1"},
		{name: "comma separated, duplicates once", args: []string{"--context", "kind-cluster1,kind-cluster2,kind-cluster1"}, want: "kind-cluster1,kind-cluster2"},
		{name: "all contexts sorted", args: []string{"--all-contexts"}, want: "kind-cluster1,kind-cluster2"},
		{name: "unknown", args: []string{"--context", "nope"}, wantErr: `context "nope" not found in kubeconfig`},
		{name: "both", args: []string{"--all-contexts", "--context", "kind-cluster1"}, wantErr: "--all-contexts and --context cannot be used together"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := flagsFor(t, kubeconfig, tc.args...).SelectedContexts()
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != tc.want {
				t.Fatalf("contexts = %v, want %s", got, tc.want)
			}
		})
	}
}

func TestMissingAndBrokenKubeconfig(t *testing.T) {
	_, err := flagsFor(t, "").SelectedContexts()
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") || !strings.HasPrefix(err.Error(), "kubeconfig ") {
		t.Fatalf("missing kubeconfig: error = %v", err)
	}
	_, err = flagsFor(t, "clusters: [this is: not: yaml").SelectedContexts()
	if err == nil || !strings.HasPrefix(err.Error(), "cannot load kubeconfig: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("broken kubeconfig: error = %v", err)
	}
}

func TestDefaultNamespaceAndTimeout(t *testing.T) {
	f := flagsFor(t, kubeconfig)
	ns, err := f.DefaultNamespace([]string{"kind-cluster1"})
	if err != nil || ns != "bookinfo-frontends" {
		t.Fatalf("namespace = %q, %v", ns, err)
	}
	ns, err = f.DefaultNamespace([]string{"kind-cluster2"})
	if err != nil || ns != "default" {
		t.Fatalf("namespace = %q, %v", ns, err)
	}
	if d := f.RequestTimeout(); d != DefaultRequestTimeout {
		t.Fatalf("default timeout = %v", d)
	}
	f = flagsFor(t, kubeconfig, "--request-timeout", "3s", "-n", "other")
	if d := f.RequestTimeout(); d != 3*time.Second {
		t.Fatalf("timeout = %v", d)
	}
	if ns, _ := f.DefaultNamespace(nil); ns != "other" {
		t.Fatalf("-n ignored: %q", ns)
	}
	c, err := f.Cluster("kind-cluster2")
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.Timeout != 3*time.Second || c.Config.Host != "https://127.0.0.1:2" {
		t.Fatalf("cluster config: timeout %v host %s", c.Config.Timeout, c.Config.Host)
	}
	if err := flagsFor(t, kubeconfig, "--request-timeout", "soon").ValidateTimeout(); err == nil {
		t.Fatal("malformed --request-timeout accepted")
	}
}

// TestEveryConnectionFlagReachesEachContext sets every exported field of
// kubectl's ConfigFlags and checks that the per-context copy keeps it: a
// field added by a later cli-runtime fails here until it is carried over.
func TestEveryConnectionFlagReachesEachContext(t *testing.T) {
	f := NewFlags()
	src := reflect.ValueOf(f.ConfigFlags).Elem()
	wrapped := false
	for i := 0; i < src.NumField(); i++ {
		field := src.Type().Field(i)
		if !field.IsExported() {
			continue
		}
		v := src.Field(i)
		switch field.Type {
		case reflect.TypeOf((*string)(nil)):
			s := "value-of-" + field.Name
			v.Set(reflect.ValueOf(&s))
		case reflect.TypeOf((*bool)(nil)):
			b := true
			v.Set(reflect.ValueOf(&b))
		case reflect.TypeOf((*[]string)(nil)):
			l := []string{"value-of-" + field.Name}
			v.Set(reflect.ValueOf(&l))
		case reflect.TypeOf(f.ConfigFlags.WrapConfigFn):
			v.Set(reflect.ValueOf(func(c *rest.Config) *rest.Config { wrapped = true; return c }))
		default:
			t.Fatalf("ConfigFlags.%s has type %s, which this test does not know how to set: teach it, and check the copy", field.Name, field.Type)
		}
	}
	timeout := "3s"
	f.Timeout = &timeout

	got := reflect.ValueOf(f.forContext("other")).Elem()
	for i := 0; i < src.NumField(); i++ {
		field := src.Type().Field(i)
		if !field.IsExported() {
			continue
		}
		switch field.Name {
		case "Context":
			if c := *got.Field(i).Interface().(*string); c != "other" {
				t.Errorf("Context = %q, want other", c)
			}
		case "WrapConfigFn":
			fn := got.Field(i).Interface().(func(*rest.Config) *rest.Config)
			cfg := fn(&rest.Config{})
			if !wrapped {
				t.Errorf("the user's WrapConfigFn was not called")
			}
			if cfg.UserAgent != UserAgent {
				t.Errorf("UserAgent = %q, want %q", cfg.UserAgent, UserAgent)
			}
		default:
			if !reflect.DeepEqual(got.Field(i).Interface(), src.Field(i).Interface()) {
				t.Errorf("ConfigFlags.%s is not copied to the context's flags", field.Name)
			}
		}
	}
}
