// Command envoy-testdata captures Envoy admin answers computed by a real
// istiod into pkg/envoy/testdata/istiod, so that unit tests of the Envoy
// commands run on them without clusters: it starts two clusters with istiod
// (test/harness), loads examples/bookinfo and its Kubernetes side
// (test/meshenv), and saves /config_dump?include_eds and
// /clusters?format=json of every proxy, then stops the clusters.
// `make testdata` runs it.
//
// Usage: go run ./test/cmd/envoy-testdata [-out DIR]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
	"github.com/kubectl-vd/kubectl-vd/test/meshenv"
)

func main() {
	out := flag.String("out", filepath.Join("pkg", "envoy", "testdata", "istiod"), "folder to write the captures to (replaced)")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "envoy-testdata:", err)
		os.Exit(1)
	}
}

func run(outDir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	if !filepath.IsAbs(outDir) {
		outDir = filepath.Join(root, outDir)
	}
	env, err := harness.Start(ctx, harness.Options{Clusters: 2, Kwok: true, Istiod: true, OnlyClusterContexts: true, Log: os.Stderr})
	if err != nil {
		return err
	}
	defer env.Stop()
	proxies, err := meshenv.Load(ctx, env, root)
	if err != nil {
		return err
	}
	version, err := (harness.Tool{Dir: "istiod", VersionOf: "istio.io/istio"}).Version(root)
	if err != nil {
		return err
	}

	if err := os.RemoveAll(outDir); err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	var rows []string
	for _, c := range env.Clusters() {
		keys := make([]string, 0, len(proxies[c]))
		for k := range proxies[c] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := proxies[c][k]
			base := fmt.Sprintf("%s.%s.%s", c, p.Namespace, p.Pod)
			for _, f := range []struct{ path, suffix, what string }{
				{"/config_dump?include_eds", ".config_dump.json", "`/config_dump?include_eds`"},
				{"/clusters?format=json", ".clusters.json", "`/clusters?format=json`"},
			} {
				data, err := get(ctx, p.AdminURL()+f.path)
				if err != nil {
					return fmt.Errorf("%s %s/%s: %w", c, p.Namespace, p.Pod, err)
				}
				if err := os.WriteFile(filepath.Join(outDir, base+f.suffix), data, 0o644); err != nil {
					return err
				}
				rows = append(rows, fmt.Sprintf("| `%s%s` | %s of the %s %s/%s (IP %s) in %s |", base, f.suffix, f.what, kind(k), p.Namespace, p.Pod, p.IP, c))
			}
		}
	}
	readme := fmt.Sprintf(readmeText, version, strings.Join(rows, "\n"))
	if err := os.WriteFile(filepath.Join(outDir, "README.md"), []byte(readme), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %d files to %s\n", len(rows)+1, outDir)
	return nil
}

func kind(key string) string {
	if strings.HasPrefix(key, "istio-gateways/") {
		return "gateway"
	}
	return "sidecar"
}

// get fetches one admin answer, re-indented so that the files diff well.
func get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", " "); err != nil {
		return nil, fmt.Errorf("GET %s: not JSON: %w", url, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

const readmeText = `# Envoy admin answers computed by a real istiod

Made by ` + "`make testdata`" + ` (` + "`go run ./test/cmd/envoy-testdata`" + `); do not edit, run it again.

How: two local clusters (etcd + kube-apiserver, kwok for the nodes and pods) each run istiod
(pilot-discovery from istio.io/istio %s, built by test/harness) with the mesh config of Gloo's
workshop: trust domain, cluster id and network = the cluster's name, mesh id mesh1. They hold
examples/bookinfo (Gloo's translations: ServiceEntry productpage.global, the WorkloadEntry of the
other cluster's east-west gateway, the DestinationRule with locality failover and outlier
detection, the RouteTable's VirtualService) and examples/bookinfo/kubernetes (nodes in two zones,
the productpage Service with a pod per zone, the ingress gateway), with EndpointSlices written by
the harness. The Envoy of each proxy pod is played by xds-proxy (test/tools/istiod/xdsproxy): it
connects to its cluster's istiod with the node pilot-agent would build for the pod, subscribes
over delta ADS as Envoy does (CDS, EDS, LDS, RDS) and answers Envoy's admin API with what it
received, in Envoy's JSON. Clusters, endpoints (addresses, localities, priorities), listeners
and routes are istiod's; the bootstrap is Istio's template rendered for the pod. No traffic
flows: host statistics are zero, every host is HEALTHY and none failed an outlier check, there
are no secrets (they come from pilot-agent's SDS), and ` + "`last_updated`" + ` times are those of the
capture.

| file | what it is |
|---|---|
%s
`
