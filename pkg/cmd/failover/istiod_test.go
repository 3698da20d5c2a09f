package failover

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

const (
	istiodDumps = "../../envoy/testdata/istiod"
	// generated is the shared fixture of Istio's own discovery server,
	// copied byte for byte (see ../../mesh/testdata/SOURCE.md).
	generated = "../../mesh/testdata/generated"
	globalEDS = "outbound|9080||productpage.global"
)

// edsPriorities reads, from a config dump, the priority istiod gave each
// endpoint of productpage.global, keyed by the workload name istiod writes
// in the endpoint's metadata (a pod or a WorkloadEntry): "NAME=PRIORITY".
func edsPriorities(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := envoy.ReadConfigDump(f, envoy.ReadOptions{Endpoints: true, Keep: func(n string) bool { return n == globalEDS }})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Endpoints) != 1 {
		t.Fatalf("%s: %d assignments of %s", path, len(d.Endpoints), globalEDS)
	}
	var out []string
	for _, l := range d.Endpoints[0].GetEndpoints() {
		for _, e := range l.GetLbEndpoints() {
			wl := e.GetMetadata().GetFilterMetadata()["istio"].GetFields()["workload"].GetStringValue()
			name, _, _ := strings.Cut(wl, ";")
			out = append(out, fmt.Sprintf("%s=%d", name, l.GetPriority()))
		}
	}
	sort.Strings(out)
	return out
}

// computed runs failover -o json and returns "NAME=PRIORITY" per endpoint:
// pods read from files are named by their pod name (pod/NAME), others by
// the WorkloadEntry their address comes from.
func computed(t *testing.T, names map[string]string, args ...string) []string {
	t.Helper()
	r := run(t, append(args, "-o", "json")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep struct {
		Priorities []struct {
			Priority  uint32 `json:"priority"`
			Endpoints []struct {
				Address string `json:"address"`
			} `json:"endpoints"`
		} `json:"priorities"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var out []string
	for _, p := range rep.Priorities {
		for _, e := range p.Endpoints {
			name := strings.TrimPrefix(e.Address, "pod/")
			if n, ok := names[e.Address]; ok {
				name = n
			}
			out = append(out, fmt.Sprintf("%s=%d", name, p.Priority))
		}
	}
	sort.Strings(out)
	return out
}

// weNames names the east-west gateway WorkloadEntries of the example by
// their address.
var weNames = map[string]string{
	"172.23.0.6": "vd-productpage-global-bookinfo-app-productpage-172-23-0-6",
	"172.23.0.5": "vd-productpage-global-bookinfo-app-productpage-172-23-0-5",
	"172.23.0.7": "vd-productpage-global-bookinfo-app-productpage-172-23-0-7",
}

// TestPrioritiesMatchIstiod: the priorities failover computes from the
// example's files equal those a real istiod put in the EDS of each
// captured proxy (pkg/envoy/testdata/istiod: both productpage sidecars and
// the ingress gateway, in both clusters), and those of Istio's own fake
// discovery server in the generated fixture.
func TestPrioritiesMatchIstiod(t *testing.T) {
	for _, c := range []string{"cluster1", "cluster2"} {
		for _, src := range []struct{ ns, pod string }{
			{"bookinfo-frontends", "productpage-v1-a"},
			{"bookinfo-frontends", "productpage-v1-b"},
			{"istio-gateways", "istio-ingressgateway"},
		} {
			t.Run(c+"/"+src.pod, func(t *testing.T) {
				want := edsPriorities(t, filepath.Join(istiodDumps, fmt.Sprintf("%s.%s.%s.config_dump.json", c, src.ns, src.pod)))
				got := computed(t, weNames, "productpage", "-n", "bookinfo-frontends",
					"-f", filepath.Join(examples, "bookinfo", c), "-f", filepath.Join(examples, "bookinfo", "kubernetes", c),
					"--from", src.pod, "--from-namespace", src.ns)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("priorities\n got %v\nwant %v (istiod's EDS)", got, want)
				}
			})
		}
	}
	t.Run("generated", func(t *testing.T) {
		want := edsPriorities(t, filepath.Join(generated, "failover-sidecar-productpage.config_dump.json"))
		names := map[string]string{"10.102.1.10": "productpage-v1-7c9d8f5b6d-x2k9p"}
		for k, v := range weNames {
			names[k] = v
		}
		got := computed(t, names, "productpage", "-n", "bookinfo-frontends",
			"-f", filepath.Join(generated, "failover-istio-config.yaml"), "-f", filepath.Join(generated, "failover-k8s-objects.yaml"),
			"--from", "deploy/productpage-v1")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("priorities\n got %v\nwant %v (istiod's EDS)", got, want)
		}
	})
}

// TestPrioritiesByIstiodRule covers source localities no captured proxy
// has: another zone of the endpoints' region, and a region with no
// endpoint. No dump exists for them, so the expectation is the rule as
// istiod's code states it (pilot/pkg/networking/core/loadbalancer:
// applyLocalityFailover with util.LbPriority): 0 for the same
// region/zone/subzone, 1 for the same zone, 2 for the same region, 3
// elsewhere, then the priorities renumbered 0..N without gaps.
func TestPrioritiesByIstiodRule(t *testing.T) {
	tests := []struct {
		cluster, locality string
		want              []string
	}{
		// cluster1's endpoints: its pods in us-east-1a and 1b, cluster2's
		// east-west gateway in eu-west-1/eu-west-1a.
		{"cluster1", "us-east-1/us-east-1c", []string{"productpage-v1-a=0", "productpage-v1-b=0", "vd-productpage-global-bookinfo-app-productpage-172-23-0-6=1"}},
		{"cluster1", "eu-west-1/eu-west-1b", []string{"productpage-v1-a=1", "productpage-v1-b=1", "vd-productpage-global-bookinfo-app-productpage-172-23-0-6=0"}},
		{"cluster1", "ap-south-1/ap-south-1a", []string{"productpage-v1-a=0", "productpage-v1-b=0", "vd-productpage-global-bookinfo-app-productpage-172-23-0-6=0"}},
		// cluster2's: its pods in eu-west-1a and 1b, cluster1's gateway in
		// us-east-1/us-east-1a.
		{"cluster2", "eu-west-1/eu-west-1c", []string{"productpage-v1-a=0", "productpage-v1-b=0", "vd-productpage-global-bookinfo-app-productpage-172-23-0-5=1"}},
		{"cluster2", "us-east-1/us-east-1a", []string{"productpage-v1-a=1", "productpage-v1-b=1", "vd-productpage-global-bookinfo-app-productpage-172-23-0-5=0"}},
		{"cluster2", "ap-south-1/ap-south-1a", []string{"productpage-v1-a=0", "productpage-v1-b=0", "vd-productpage-global-bookinfo-app-productpage-172-23-0-5=0"}},
	}
	for _, tt := range tests {
		t.Run(tt.cluster+"/"+tt.locality, func(t *testing.T) {
			got := computed(t, weNames, "productpage", "-n", "bookinfo-frontends",
				"-f", filepath.Join(examples, "bookinfo", tt.cluster), "-f", filepath.Join(examples, "bookinfo", "kubernetes", tt.cluster),
				"--locality", tt.locality)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("priorities\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}
