package main

// The file benchmarks: `kubectl vd find -f` on a snapshot of about 200 MB
// (220,000 objects, one List as `find -A -o yaml` writes it for two
// contexts), and find, diff and explain on files where one object carries
// a 100 MB annotation. Peak memory is the child's rusage Maxrss; the ratio
// to the input size is the figure to watch (target: at most 2 for the
// snapshot).

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"sigs.k8s.io/yaml"
)

var (
	filesOnly   = flag.Bool("files-only", false, "run the file benchmarks only (no cluster needed)")
	skipFiles   = flag.Bool("skip-files", false, "skip the file benchmarks")
	fileParents = flag.Int("file-parents", 11000, "parents per context in the snapshot (10 objects each, 2 contexts)")
	fileRuns    = flag.Int("file-runs", 3, "runs of each file command; the median is reported")
	annotationM = flag.Int("annotation-mib", 100, "size of the large annotation, MiB")
)

func benchFiles() error {
	dir, err := os.MkdirTemp("", "vd-bench-files")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	r := &runner{home: dir}

	snap := filepath.Join(dir, "snapshot.yaml")
	start := time.Now()
	n, err := writeSnapshot(snap, *fileParents)
	if err != nil {
		return err
	}
	size := fileSize(snap)
	fmt.Fprintf(os.Stderr, "wrote %s: %d objects, %.1f MiB in %s\n", snap, n, float64(size)/(1<<20), time.Since(start).Round(time.Second))

	fmt.Println()
	fmt.Println("file                          command                                                  wall      peak RSS    RSS / input")
	parent := fmt.Sprintf("svc-%05d", *fileParents/2)
	// answers: diff exits 1 when the sides differ, explain when it finds an
	// error; both are answers there, not failures.
	row := func(label, what string, input int64, answers bool, args ...string) error {
		m, err := r.timeN(func() (measure, error) {
			if answers {
				return r.execStatus(r.cmd(*bin, args...))
			}
			m, _, err := r.exec(r.cmd(*bin, args...))
			return m, err
		}, *fileRuns)
		if err != nil {
			return err
		}
		rss := m.maxRSS * 1024
		fmt.Printf("%-29s %-56s %7.2fs %8.1f MiB %8.2f\n", label, what, m.wall.Seconds(), float64(rss)/(1<<20), float64(rss)/float64(input))
		return nil
	}
	snapLabel := fmt.Sprintf("snapshot %.0f MiB, %dk objs", float64(size)/(1<<20), n/1000)
	if err := row(snapLabel, "find "+parent+" -n bench -f", size, false, "find", parent, "-n", "bench", "-f", snap); err != nil {
		return err
	}
	if err := row(snapLabel, "find "+parent+" -n bench -f -o yaml", size, false, "find", parent, "-n", "bench", "-f", snap, "-o", "yaml"); err != nil {
		return err
	}
	// With --context every item is decoded (the contexts the file holds
	// are checked), as in diff and explain.
	if err := row(snapLabel, "find "+parent+" -n bench -f --context kind-cluster1", size, false, "find", parent, "-n", "bench", "-f", snap, "--context", "kind-cluster1"); err != nil {
		return err
	}
	for _, c := range []struct {
		what string
		args []string
	}{
		{"diff " + parent + " -n bench -f -q", []string{"diff", parent, "-n", "bench", "-f", snap, "-q"}},
		{"explain " + parent + " -n bench -f", []string{"explain", parent, "-n", "bench", "-f", snap}},
	} {
		if err := row(snapLabel, c.what, size, true, c.args...); err != nil {
			return err
		}
	}

	// One object of the parent's translation carries a huge annotation.
	big, small := filepath.Join(dir, "annotation.yaml"), filepath.Join(dir, "small.yaml")
	if err := writeAnnotated(big, *annotationM<<20); err != nil {
		return err
	}
	if err := writeAnnotated(small, 0); err != nil {
		return err
	}
	annSize := int64(*annotationM << 20)
	annLabel := fmt.Sprintf("one %d MiB annotation", *annotationM)
	for _, c := range []struct {
		what string
		args []string
	}{
		{"find productpage -f", []string{"find", "productpage", "-n", "bookinfo-frontends", "-f", big}},
		{"diff productpage -f -f -q", []string{"diff", "productpage", "-n", "bookinfo-frontends", "-f", big, "-f", small, "-q"}},
		{"explain productpage -f", []string{"explain", "productpage", "-n", "bookinfo-frontends", "-f", big}},
	} {
		if err := row(annLabel, c.what, annSize, true, c.args...); err != nil {
			return err
		}
	}
	return nil
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// writeSnapshot writes, as `find -A -o yaml` does for two contexts, one
// List of parents x 10 translated objects per context, item by item.
func writeSnapshot(path string, parents int) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("apiVersion: v1\nitems:\n")
	n := 0
	for _, ctx := range []string{"cluster1", "cluster2"} {
		for i := 0; i < parents; i++ {
			for _, obj := range translation(ctx, fmt.Sprintf("svc-%05d", i), "bench", i) {
				data, err := yaml.Marshal([]any{obj})
				if err != nil {
					return n, err
				}
				w.Write(data)
				n++
			}
		}
	}
	w.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	if err := w.Flush(); err != nil {
		return n, err
	}
	return n, f.Close()
}

// translation is what Gloo writes for one VirtualDestination in one
// cluster: a ServiceEntry, 3 WorkloadEntries, a DestinationRule, 2
// VirtualServices, 2 AuthorizationPolicies and a Sidecar, with Gloo's
// labels and the fields an API server adds.
func translation(ctx, parent, ns string, i int) []map[string]any {
	labels := map[string]any{
		"agent.gloo.solo.io":                  "gloo-mesh",
		"cluster.multicluster.solo.io":        "",
		"context.mesh.gloo.solo.io/cluster":   ctx,
		"context.mesh.gloo.solo.io/namespace": ns,
		"context.mesh.gloo.solo.io/workspace": "bench",
		"gloo.solo.io/parent_cluster":         ctx,
		"gloo.solo.io/parent_group":           "networking.gloo.solo.io",
		"gloo.solo.io/parent_kind":            "VirtualDestination",
		"gloo.solo.io/parent_name":            parent,
		"gloo.solo.io/parent_namespace":       ns,
		"gloo.solo.io/parent_version":         "v2",
		"owner.gloo.solo.io/name":             "gloo-mesh",
		"reconciler.mesh.gloo.solo.io/name":   "translator",
		"relay.solo.io/cluster":               ctx,
	}
	seq := 0
	obj := func(group, kind, name string, spec map[string]any) map[string]any {
		seq++
		return map[string]any{
			"apiVersion": group + "/v1", "kind": kind,
			"metadata": map[string]any{
				"name": name, "namespace": ns, "labels": labels,
				"annotations":       map[string]any{"kubectl-vd/context": "kind-" + ctx},
				"creationTimestamp": "2026-11-30T10:00:00Z", "generation": 1,
				"resourceVersion": fmt.Sprint(100000 + i*10 + seq),
				"uid":             fmt.Sprintf("%08x-%04x-4000-8000-%012x", i, seq, i*10+seq),
			},
			"spec": spec,
		}
	}
	host := parent + ".global"
	out := []map[string]any{obj("networking.istio.io", "ServiceEntry", "vd-"+parent+"-global-bench", map[string]any{
		"addresses": []any{fmt.Sprintf("254.%d.%d.1", i/250, i%250)}, "exportTo": []any{"bench", "istio-gateways"},
		"hosts": []any{host}, "location": "MESH_INTERNAL", "resolution": "STATIC",
		"ports":            []any{map[string]any{"name": "http-9080", "number": 9080, "protocol": "HTTP"}},
		"workloadSelector": map[string]any{"labels": map[string]any{"app": parent}}})}
	for j := 0; j < 3; j++ {
		out = append(out, obj("networking.istio.io", "WorkloadEntry", fmt.Sprintf("vd-%s-global-bench-%d", parent, j), map[string]any{
			"address": fmt.Sprintf("10.%d.%d.%d", i/250, i%250, j), "labels": map[string]any{"app": parent},
			"locality": "region1/zone1", "network": ctx, "ports": map[string]any{"http-9080": 15443}}))
	}
	out = append(out, obj("networking.istio.io", "DestinationRule", parent+"-global-virtual-dest", map[string]any{
		"exportTo": []any{"bench"}, "host": host,
		"trafficPolicy": map[string]any{"tls": map[string]any{"mode": "ISTIO_MUTUAL", "sni": host}}}))
	for j := 0; j < 2; j++ {
		out = append(out, obj("networking.istio.io", "VirtualService", fmt.Sprintf("rt-%s-%d", parent, j), map[string]any{
			"hosts": []any{host}, "http": []any{map[string]any{"name": "route",
				"route": []any{map[string]any{"destination": map[string]any{"host": host, "port": map[string]any{"number": 9080}}}}}}}))
		out = append(out, obj("security.istio.io", "AuthorizationPolicy", fmt.Sprintf("ap-%s-%d", parent, j), map[string]any{
			"action": "ALLOW", "selector": map[string]any{"matchLabels": map[string]any{"app": parent}}}))
	}
	out = append(out, obj("networking.istio.io", "Sidecar", "sc-"+parent, map[string]any{
		"egress": []any{map[string]any{"hosts": []any{"./*", "istio-system/*"}}}}))
	return out
}

// writeAnnotated writes the translation of bookinfo-frontends/productpage
// in cluster1, its ServiceEntry carrying an annotation of size bytes.
func writeAnnotated(path string, size int) error {
	objs := translation("cluster1", "productpage", "bookinfo-frontends", 1)
	if size > 0 {
		md := objs[0]["metadata"].(map[string]any)
		md["annotations"] = map[string]any{"kubectl-vd/context": "kind-cluster1", "example.com/blob": strings.Repeat("x", size)}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	for _, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			return err
		}
		w.WriteString("---\n")
		w.Write(data)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// timeN runs f n times and returns the median (files need no warm-up).
func (r *runner) timeN(f func() (measure, error), n int) (measure, error) {
	var ms []measure
	for i := 0; i < max(n, 1); i++ {
		m, err := f()
		if err != nil {
			return measure{}, err
		}
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].wall < ms[j].wall })
	m := ms[len(ms)/2]
	for _, x := range ms {
		m.maxRSS = max(m.maxRSS, x.maxRSS)
	}
	return m, nil
}

// execStatus runs c, taking exit status 1 (diff: the sides differ;
// explain: a finding) as an answer.
func (r *runner) execStatus(c *exec.Cmd) (measure, error) {
	c.Stdout = nil
	c.Stderr = os.Stderr
	start := time.Now()
	err := c.Run()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		return measure{}, fmt.Errorf("%s: %w", strings.Join(c.Args, " "), err)
	}
	m := measure{wall: time.Since(start)}
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss
	}
	return m, nil
}
