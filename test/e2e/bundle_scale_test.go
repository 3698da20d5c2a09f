package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scaleObjects are n Istio objects of each of four kinds, translated from
// n/4 parents: a hundred times the examples' objects for n = 650.
func scaleObjects(n int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bundle-scale\n")
	labels := func(i int) string {
		return fmt.Sprintf("  labels:\n    gloo.solo.io/parent_name: scale-%d\n    gloo.solo.io/parent_namespace: bundle-scale\n    gloo.solo.io/parent_kind: VirtualDestination\n    gloo.solo.io/parent_group: networking.gloo.solo.io\n", i/4)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: se-%d\n  namespace: bundle-scale\n%sspec:\n  hosts: [scale-%d.global]\n  location: MESH_INTERNAL\n  resolution: STATIC\n  ports: [{number: 9080, name: http, protocol: HTTP}]\n", i, labels(i), i)
		fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: dr-%d\n  namespace: bundle-scale\n%sspec:\n  host: scale-%d.global\n  trafficPolicy: {outlierDetection: {consecutive5xxErrors: 5}}\n", i, labels(i), i)
		fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata:\n  name: we-%d\n  namespace: bundle-scale\n%sspec:\n  address: 10.9.%d.%d\n  locality: us-east-1/us-east-1a\n", i, labels(i), i/250, i%250)
		fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs-%d\n  namespace: bundle-scale\n%sspec:\n  hosts: [scale-%d.global]\n  http: [{route: [{destination: {host: scale-%d.global}}]}]\n", i, labels(i), i, i)
	}
	return []byte(b.String())
}

// Bundles of a cluster holding a hundred times the examples' objects:
// the same bytes but for the capture time, and their size and cost logged
// (never asserted).
func TestBundleOfALargeCluster(t *testing.T) {
	if err := testEnv.ApplyYAML("cluster2", scaleObjects(650)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, kind := range []string{"serviceentries", "destinationrules", "workloadentries", "virtualservices"} {
			for i := 0; i < 650; i++ {
				_ = testEnv.Delete("cluster2", fmt.Sprintf("%s.networking.istio.io/bundle-scale/%s-%d", kind, map[string]string{"serviceentries": "se", "destinationrules": "dr", "workloadentries": "we", "virtualservices": "vs"}[kind], i))
			}
		}
	})
	dir := t.TempDir()
	var files []string
	for i := 0; i < 2; i++ {
		file := filepath.Join(dir, fmt.Sprintf("b%d.tar.gz", i))
		files = append(files, file)
		_, stderr, code := run(t, "", "/usr/bin/time", "-f", "time: %e s, max RSS %M KB", vdBinary, "bundle", "scale-3", "-n", "bundle-scale", "--context", "cluster2", "-o", file)
		if code != 0 {
			t.Fatalf("bundle: exit %d: %s", code, stderr)
		}
		st, _ := os.Stat(file)
		t.Logf("bundle of %d objects: %s, %d bytes", 4*650, strings.TrimSpace(stderr), st.Size())
	}
	a, b := bundleEntries(t, files[0]), bundleEntries(t, files[1])
	if len(a) != len(b) {
		t.Errorf("%d and %d entries", len(a), len(b))
	}
	for name, data := range a {
		if name != "manifest.json" && !bytes.Equal(data, b[name]) {
			t.Errorf("entry %s differs between two bundles of the same state", name)
		}
	}
	if normalizeManifest(a["manifest.json"]) != normalizeManifest(b["manifest.json"]) {
		t.Errorf("the manifests differ but for the time:\n%s\n%s", a["manifest.json"], b["manifest.json"])
	}
	_, stderr, code := run(t, "", "/usr/bin/time", "-f", "time: %e s, max RSS %M KB", vdBinary, "find", "scale-3", "--bundle", files[0], "-o", "name")
	t.Logf("find --bundle: exit %d, %s", code, strings.TrimSpace(stderr))
	if code != 0 {
		t.Errorf("find --bundle: exit %d: %s", code, stderr)
	}
}
