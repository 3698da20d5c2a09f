// Package meshenv loads examples/bookinfo into running test clusters with
// istiod (test/harness) and starts the Envoy of each of its proxy pods, so
// that the end-to-end tests, the demo and `make testdata` see the
// configuration Istio's control plane computes from the translations.
package meshenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

// Proxies are the running proxies by context, then by "namespace/pod".
type Proxies map[string]map[string]*harness.XDSProxy

// Get returns the proxy of a pod in a context, or nil.
func (p Proxies) Get(context, namespace, pod string) *harness.XDSProxy {
	return p[context][namespace+"/"+pod]
}

// ProxyPod is a pod of the example whose Envoy is played: a pod with an
// istio-proxy container; a gateway when its istio label names one.
type ProxyPod struct {
	Namespace, Name string
	Gateway         bool
}

// Load applies, in each cluster of env, examples/bookinfo/<cluster> (the
// Gloo translations) and examples/bookinfo/kubernetes/<cluster> (nodes,
// Services, pods), writes the EndpointSlices, starts istiod where it does
// not run yet, and starts one proxy per proxy pod. Clusters without an
// example folder are left alone.
func Load(ctx context.Context, env *harness.Env, repoRoot string) (Proxies, error) {
	out := Proxies{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(env.Clusters()))
	for i, c := range env.Clusters() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ps, err := loadCluster(ctx, env, repoRoot, c)
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", c, err)
				return
			}
			mu.Lock()
			out[c] = ps
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func loadCluster(ctx context.Context, env *harness.Env, repoRoot, c string) (map[string]*harness.XDSProxy, error) {
	translations := filepath.Join(repoRoot, "examples", "bookinfo", c)
	workloads := filepath.Join(repoRoot, "examples", "bookinfo", "kubernetes", c)
	if _, err := os.Stat(workloads); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err := env.Apply(c, translations, workloads); err != nil {
		return nil, err
	}
	if err := env.WriteEndpointSlices(ctx, c); err != nil {
		return nil, err
	}
	if _, err := env.IstiodDebug(c, "/ready"); err != nil {
		if err := env.StartIstiod(ctx, c); err != nil {
			return nil, err
		}
	}
	pods, err := ProxyPods(workloads)
	if err != nil {
		return nil, err
	}
	out := map[string]*harness.XDSProxy{}
	for _, p := range pods {
		px, err := env.StartProxy(ctx, c, p.Namespace, p.Name, p.Gateway)
		if err != nil {
			return nil, err
		}
		out[p.Namespace+"/"+p.Name] = px
	}
	return out, nil
}

// ProxyPods lists the proxy pods of the YAML files of a folder, sorted.
func ProxyPods(dir string) ([]ProxyPod, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []ProxyPod
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(data)), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			u := &unstructured.Unstructured{Object: m}
			if m == nil || u.GetKind() != "Pod" {
				continue
			}
			containers, _, _ := unstructured.NestedSlice(m, "spec", "containers")
			for _, ct := range containers {
				if cm, _ := ct.(map[string]any); cm["name"] == "istio-proxy" {
					out = append(out, ProxyPod{
						Namespace: u.GetNamespace(), Name: u.GetName(),
						Gateway: strings.HasSuffix(u.GetLabels()["istio"], "gateway"),
					})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name
	})
	return out, nil
}
