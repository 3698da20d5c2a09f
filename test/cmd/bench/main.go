// Command bench measures `kubectl vd find` against what it replaces, on local
// clusters started by the test harness: (a) the lab's loop, one `kubectl get
// CRD -l ... -n NS` per Istio CRD and context; (b) `kubectl vd find` over both
// contexts; (c) a single `kubectl get serviceentries -A -l ...` on one
// context. It prints the median wall time of each, the ratios b/a and b/c,
// and peak memory, at the example size and with 2,000 parents and 20,000
// translated objects (plus unrelated Istio objects) per cluster.
//
// First, on generated files and without clusters: files.go measures find,
// diff and explain on a 200 MB snapshot and on a 100 MB annotation;
// diffexplain.go the peak memory of diff on two 4,000-route VirtualServices
// against their size, and the lines explain prints for 1,000 ServiceEntries
// selecting the same 1,000 WorkloadEntries against the objects
// (--files-only runs these alone). Then, with clusters, remote.go measures a
// frozen context and contexts behind latency proxies.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

var (
	bin     = flag.String("bin", "bin/kubectl-vd", "the kubectl-vd binary to measure")
	runs    = flag.Int("runs", 5, "runs of each command; the median is reported")
	parents = flag.Int("parents", 2000, "parents in the large setup (10 objects each)")
	skipBig = flag.Bool("skip-large", false, "measure the example size only")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type measure struct {
	wall   time.Duration
	maxRSS int64 // KiB
}

func run() error {
	abs, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	*bin = abs
	if !*skipFiles {
		if err := benchFiles(); err != nil {
			return err
		}
		if err := fileBenchmarks(); err != nil {
			return err
		}
	}
	if *filesOnly {
		return nil
	}
	ctx := context.Background()
	// kwok plays the proxy pods' kubelets (port-forward) for the drift
	// benchmark.
	env, err := harness.Start(ctx, harness.Options{Clusters: 2, Kwok: true, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer env.Stop()
	for _, c := range []string{"cluster1", "cluster2"} {
		if err := env.Apply(c, filepath.Join("examples", "bookinfo", c)); err != nil {
			return err
		}
	}
	home, err := os.MkdirTemp("", "vd-bench-home")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	r := &runner{kubeconfig: env.Kubeconfig, home: home}

	fmt.Println("size      (a) lab loop, 2 contexts   (b) kubectl vd find, 2 contexts   (c) kubectl get se -A, 1 context   b/a     b/c")
	if err := r.report("example"); err != nil {
		return err
	}
	if err := benchFrozen(env, r); err != nil {
		return err
	}
	if err := benchRemote(env, r); err != nil {
		return err
	}
	if err := benchDrift(ctx, env, r); err != nil {
		return err
	}
	if *skipBig {
		return nil
	}
	for _, c := range []string{"cluster1", "cluster2"} {
		start := time.Now()
		n, err := load(ctx, env, c, *parents)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "loaded %d objects into %s in %s\n", n, c, time.Since(start).Round(time.Second))
	}
	return r.report(fmt.Sprintf("%dk", *parents*10/1000))
}

type runner struct{ kubeconfig, home string }

func (r *runner) cmd(name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), "KUBECONFIG="+r.kubeconfig, "HOME="+r.home)
	return c
}

// time runs f runs times (after one warm-up that fills kubectl's discovery
// cache, as a user's would be) and returns the median.
func (r *runner) time(f func() (measure, error)) (measure, error) {
	if _, err := f(); err != nil {
		return measure{}, err
	}
	var ms []measure
	for i := 0; i < *runs; i++ {
		m, err := f()
		if err != nil {
			return measure{}, err
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].wall < ms[j].wall })
	return ms[len(ms)/2], nil
}

// exec runs c; exit statuses other than 0 are errors unless listed in ok
// (drift exits 1 when it finds drift).
func (r *runner) exec(c *exec.Cmd, ok ...int) (measure, string, error) {
	var out strings.Builder
	c.Stdout = &out
	c.Stderr = os.Stderr
	start := time.Now()
	if err := c.Run(); err != nil && !slices.Contains(ok, c.ProcessState.ExitCode()) {
		return measure{}, "", fmt.Errorf("%s: %w", strings.Join(c.Args, " "), err)
	}
	m := measure{wall: time.Since(start)}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss
	}
	return m, out.String(), nil
}

// labLoop is find-translation.sh: list the CRDs, then one kubectl get per
// Istio CRD, for each context in turn.
func (r *runner) labLoop() (measure, error) {
	var total measure
	for _, ctx := range []string{"cluster1", "cluster2"} {
		m, out, err := r.exec(r.cmd("kubectl", "--context", ctx, "get", "crd", "-o", "name"))
		if err != nil {
			return measure{}, err
		}
		total.wall += m.wall
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.Contains(l, "istio") {
				continue
			}
			crd := strings.TrimPrefix(l, "customresourcedefinition.apiextensions.k8s.io/")
			m, _, err := r.exec(r.cmd("kubectl", "--context", ctx, "get", crd, "-l", "gloo.solo.io/parent_name=productpage", "-n", "bookinfo-frontends", "--ignore-not-found"))
			if err != nil {
				return measure{}, err
			}
			total.wall += m.wall
			total.maxRSS = max(total.maxRSS, m.maxRSS)
		}
	}
	return total, nil
}

func (r *runner) report(size string) error {
	a, err := r.time(r.labLoop)
	if err != nil {
		return err
	}
	b, err := r.time(func() (measure, error) {
		m, _, err := r.exec(r.cmd(*bin, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2"))
		return m, err
	})
	if err != nil {
		return err
	}
	c, err := r.time(func() (measure, error) {
		m, _, err := r.exec(r.cmd("kubectl", "--context", "cluster1", "get", "serviceentries", "-A", "-l", "gloo.solo.io/parent_name=productpage"))
		return m, err
	})
	if err != nil {
		return err
	}
	cell := func(m measure) string {
		return fmt.Sprintf("%7.3fs %5.1f MiB", m.wall.Seconds(), float64(m.maxRSS)/1024)
	}
	fmt.Printf("%-9s %-26s %-33s %-32s %-7.3f %-7.3f\n", size, cell(a), cell(b), cell(c),
		b.wall.Seconds()/a.wall.Seconds(), b.wall.Seconds()/c.wall.Seconds())
	return nil
}

// load creates n parents' translations (a ServiceEntry, 3 WorkloadEntries,
// a DestinationRule, 2 VirtualServices, 2 AuthorizationPolicies, a Sidecar:
// 10 objects each) and, for noise, n unlabelled ServiceEntries.
func load(ctx context.Context, env *harness.Env, context string, n int) (int, error) {
	if err := env.ApplyYAML(context, []byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bench\n")); err != nil {
		return 0, err
	}
	cfg, err := env.RESTConfig(context)
	if err != nil {
		return 0, err
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	type item struct {
		gvr schema.GroupVersionResource
		obj *unstructured.Unstructured
	}
	work := make(chan item, 64)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	created := 0
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				_, err := dyn.Resource(it.gvr).Namespace(it.obj.GetNamespace()).Create(ctx, it.obj, metav1.CreateOptions{})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil {
					created++
				}
				mu.Unlock()
			}
		}()
	}
	gvr := func(group, res string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: group, Version: "v1", Resource: res}
	}
	ns := "bench"
	for i := 0; i < n; i++ {
		parent := fmt.Sprintf("svc-%04d", i)
		labels := map[string]any{
			"gloo.solo.io/parent_name": parent, "gloo.solo.io/parent_namespace": ns,
			"gloo.solo.io/parent_kind": "VirtualDestination", "context.mesh.gloo.solo.io/cluster": context,
		}
		obj := func(kind, name string, spec map[string]any) *unstructured.Unstructured {
			group := "networking.istio.io"
			if kind == "AuthorizationPolicy" {
				group = "security.istio.io"
			}
			return &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": group + "/v1", "kind": kind,
				"metadata": map[string]any{"name": name, "namespace": ns, "labels": labels},
				"spec":     spec,
			}}
		}
		host := parent + ".global"
		work <- item{gvr("networking.istio.io", "serviceentries"), obj("ServiceEntry", "vd-"+parent, map[string]any{
			"hosts": []any{host}, "location": "MESH_INTERNAL", "resolution": "STATIC",
			"ports": []any{map[string]any{"name": "http-9080", "number": int64(9080), "protocol": "HTTP"}}})}
		for j := 0; j < 3; j++ {
			work <- item{gvr("networking.istio.io", "workloadentries"), obj("WorkloadEntry", fmt.Sprintf("vd-%s-%d", parent, j), map[string]any{
				"address": fmt.Sprintf("10.%d.%d.%d", i/250, i%250, j), "ports": map[string]any{"http-9080": int64(15443)}})}
		}
		work <- item{gvr("networking.istio.io", "destinationrules"), obj("DestinationRule", parent+"-virtual-dest", map[string]any{"host": host})}
		for j := 0; j < 2; j++ {
			work <- item{gvr("networking.istio.io", "virtualservices"), obj("VirtualService", fmt.Sprintf("rt-%s-%d", parent, j), map[string]any{
				"hosts": []any{host}, "http": []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": host}}}}}})}
			work <- item{gvr("security.istio.io", "authorizationpolicies"), obj("AuthorizationPolicy", fmt.Sprintf("ap-%s-%d", parent, j), map[string]any{})}
		}
		work <- item{gvr("networking.istio.io", "sidecars"), obj("Sidecar", "sc-"+parent, map[string]any{})}
		noise := obj("ServiceEntry", "unrelated-"+parent, map[string]any{"hosts": []any{parent + ".example.com"}, "location": "MESH_EXTERNAL", "resolution": "DNS"})
		noise.SetLabels(nil)
		work <- item{gvr("networking.istio.io", "serviceentries"), noise}
	}
	close(work)
	wg.Wait()
	return created, firstErr
}
