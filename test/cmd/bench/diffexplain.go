package main

// Benchmarks of commands that read files only (no cluster): the memory diff
// needs for a large VirtualService, and the length of explain's text when
// many ServiceEntries select the same WorkloadEntries. Both print a ratio
// that must stay bounded whatever the input size.

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

var (
	diffRoutes   = flag.Int("diff-routes", 4000, "routes of each VirtualService in the diff memory benchmark")
	explainPairs = flag.Int("explain-pairs", 1000, "ServiceEntry/WorkloadEntry pairs in the explain output benchmark")
)

// Targets the ratios are judged against.
const (
	diffMemoryTarget  = 10 // peak memory / input size
	explainLineTarget = 20 // output lines / objects
)

// fileBenchmarks runs the diff and explain benchmarks on generated files.
func fileBenchmarks() error {
	dir, err := os.MkdirTemp("", "vd-bench-files")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := diffMemory(dir, *diffRoutes); err != nil {
		return err
	}
	return explainLines(dir, *explainPairs)
}

// runFile runs the plugin on files and returns its output and peak memory
// (KiB); exit statuses in ok are not errors (diff exits 1 when the sides
// differ, explain when it has findings).
func runFile(ok []int, args ...string) ([]byte, int64, error) {
	c := exec.Command(*bin, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	c.Env = append(os.Environ(), "KUBECONFIG="+os.DevNull)
	err := c.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		for _, code := range ok {
			if exit.ExitCode() == code {
				err = nil
			}
		}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w: %s", strings.Join(c.Args, " "), err, strings.TrimSpace(errb.String()))
	}
	var rss int64
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return out.Bytes(), rss, nil
}

// diffMemory compares two VirtualServices of n routes where every route
// differs (its timeout), the worst case for a line diff: as many changed
// lines as routes.
func diffMemory(dir string, n int) error {
	a, b := filepath.Join(dir, "routes-a.yaml"), filepath.Join(dir, "routes-b.yaml")
	size := int64(0)
	for i, path := range []string{a, b} {
		data := routeTable(n, fmt.Sprintf("%ds", 5*(i+1)))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
		size += int64(len(data))
	}
	args := []string{"diff", "big", "-n", "bench", "--kind", "rt", "-f", a, "-f", b}
	out, rss, err := runFile([]int{1}, args...)
	if err != nil {
		return err
	}
	// The plugin's floor: the same command on one-route objects (the
	// binary, its libraries and the Go runtime), so that the memory the
	// comparison itself takes can be told apart.
	small := filepath.Join(dir, "routes-small.yaml")
	if err := os.WriteFile(small, routeTable(1, "5s"), 0o644); err != nil {
		return err
	}
	_, floor, err := runFile([]int{0}, "diff", "big", "-n", "bench", "--kind", "rt", "-f", small, "-f", small)
	if err != nil {
		return err
	}
	mib := func(kib int64) float64 { return float64(kib) / 1024 }
	fmt.Printf("diff, two %d-route VirtualServices (every route changed): input %.1f MiB, output %d lines, peak memory %.1f MiB "+
		"(floor %.1f MiB): memory/input %.1f, (memory-floor)/input %.1f (target <= %d)\n",
		n, float64(size)/(1<<20), bytes.Count(out, []byte("\n")), mib(rss), mib(floor),
		float64(rss*1024)/float64(size), float64((rss-floor)*1024)/float64(size), diffMemoryTarget)
	return nil
}

func routeTable(n int, timeout string) []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: routetable-big-bench-cluster1-gateways
  namespace: bench
  labels:
    context.mesh.gloo.solo.io/cluster: cluster1
    gloo.solo.io/parent_kind: RouteTable
    gloo.solo.io/parent_name: big
    gloo.solo.io/parent_namespace: bench
spec:
  gateways:
  - virtualgateway-north-south
  hosts:
  - '*'
  http:
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `  - name: route-%05d
    match:
    - uri:
        prefix: /svc-%05d
    route:
    - destination:
        host: svc-%05d.global
        port:
          number: 9080
    timeout: %s
    retries:
      attempts: 3
      perTryTimeout: 2s
`, i, i, i, timeout)
	}
	return []byte(b.String())
}

// explainLines explains a VirtualDestination translated into n
// ServiceEntries that all select the same n WorkloadEntries.
func explainLines(dir string, n int) error {
	path := filepath.Join(dir, "pairs.yaml")
	if err := os.WriteFile(path, sharedSelectors(n), 0o644); err != nil {
		return err
	}
	out, rss, err := runFile([]int{1}, "explain", "wide", "-n", "bench", "-f", path, "--color", "never")
	if err != nil {
		return err
	}
	lines := bytes.Count(out, []byte("\n"))
	objects := 2*n + 2
	fmt.Printf("explain, %d ServiceEntries selecting the same %d WorkloadEntries: %d objects, %d lines, peak memory %.1f MiB: lines/objects %.1f (target <= %d)\n",
		n, n, objects, lines, float64(rss)/1024, float64(lines)/float64(objects), explainLineTarget)
	return nil
}

func sharedSelectors(n int) []byte {
	var b strings.Builder
	labels := `  labels:
    context.mesh.gloo.solo.io/cluster: cluster1
    gloo.solo.io/parent_kind: VirtualDestination
    gloo.solo.io/parent_name: wide
    gloo.solo.io/parent_namespace: bench
`
	b.WriteString(`apiVersion: networking.gloo.solo.io/v2
kind: VirtualDestination
metadata:
  name: wide
  namespace: bench
spec:
  hosts:
  - wide.global
  ports:
  - number: 9080
    protocol: HTTP
  services:
  - labels:
      app: wide
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: wide-global
  namespace: bench
` + labels + `spec:
  host: wide.global
  trafficPolicy:
    tls:
      mode: ISTIO_MUTUAL
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: vd-wide-%05d
  namespace: bench
%sspec:
  hosts:
  - wide-%05d.global
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - name: http-9080
    number: 9080
    protocol: HTTP
  workloadSelector:
    labels:
      app: wide
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vd-wide-we-%05d
  namespace: bench
%sspec:
  address: 10.%d.%d.%d
  labels:
    app: wide
  locality: us-east-1/us-east-1a
  network: cluster2
  ports:
    http-9080: 15443
`, i, labels, i, i, labels, i/65536, (i/256)%256, i%256)
	}
	return []byte(b.String())
}
