package mesh

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// podIPs are the addresses kwok gave the example's pods when istiod's
// answers in pkg/envoy/testdata/istiod were captured (its README).
var podIPs = map[string]string{
	"cluster1/bookinfo-frontends/productpage-v1-a": "10.102.1.1",
	"cluster1/bookinfo-frontends/productpage-v1-b": "10.102.2.1",
	"cluster1/istio-gateways/istio-ingressgateway": "10.102.3.1",
	"cluster2/bookinfo-frontends/productpage-v1-a": "10.103.1.1",
	"cluster2/bookinfo-frontends/productpage-v1-b": "10.103.2.1",
	"cluster2/istio-gateways/istio-ingressgateway": "10.103.3.1",
}

// exampleConfig is examples/bookinfo of one cluster: its translations and
// its Kubernetes side, with the pods' addresses as kwok gave them.
func exampleConfig(t *testing.T, cluster string) *Config {
	t.Helper()
	root := filepath.Join("..", "..", "examples", "bookinfo")
	objs, err := source.ReadFiles([]string{filepath.Join(root, cluster), filepath.Join(root, "kubernetes", cluster)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, errs := FromObjects(cluster, objs)
	if len(errs) > 0 {
		t.Fatalf("decoding the example: %v", errs)
	}
	c.Cluster = cluster
	for _, p := range c.Pods {
		p.Status.PodIP = podIPs[cluster+"/"+p.Namespace+"/"+p.Name]
	}
	return c
}

// edsPriorities is "address:port@priority" for every endpoint of every EDS
// cluster of a dump, by cluster name.
func edsPriorities(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := envoy.ReadConfigDump(f, envoy.ReadOptions{Endpoints: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, cla := range d.Endpoints {
		var eps []string
		for _, l := range cla.GetEndpoints() {
			for _, e := range l.GetLbEndpoints() {
				sa := e.GetEndpoint().GetAddress().GetSocketAddress()
				eps = append(eps, fmt.Sprintf("%s:%d@%d", sa.GetAddress(), sa.GetPortValue(), l.GetPriority()))
			}
		}
		sort.Strings(eps)
		out[cla.GetClusterName()] = eps
	}
	return out
}

// TestPrioritiesEqualIstiods computes, for every outbound EDS cluster of
// every proxy istiod fed (sidecars in two zones and the ingress gateway of
// both clusters), the endpoints and priorities from the configuration, and
// compares them with what istiod sent the proxy.
func TestPrioritiesEqualIstiods(t *testing.T) {
	dumps, err := filepath.Glob(filepath.Join("..", "envoy", "testdata", "istiod", "*.config_dump.json"))
	if err != nil || len(dumps) == 0 {
		t.Fatalf("no dumps: %v", err)
	}
	compared := 0
	for _, dump := range dumps {
		base := filepath.Base(dump)
		parts := strings.SplitN(strings.TrimSuffix(base, ".config_dump.json"), ".", 3)
		cluster, ns, pod := parts[0], parts[1], parts[2]
		cfg := exampleConfig(t, cluster)
		p := cfg.Pod(ns, pod)
		if p == nil {
			t.Fatalf("%s: no pod %s/%s in the example", base, ns, pod)
		}
		src := cfg.SourceOf(p)
		for name, want := range edsPriorities(t, dump) {
			dir, port, subset, host, ok := parseClusterName(name)
			if !ok || dir != "outbound" {
				continue
			}
			if host == "kubernetes.default.svc.cluster.local" {
				// The API server's own Service: the example does not
				// hold it (the apiserver makes it).
				continue
			}
			eps, err := cfg.Endpoints(host, port, ns)
			if err != nil {
				t.Errorf("%s %s: %v", base, name, err)
				continue
			}
			dr := cfg.DestinationRuleFor(host, ns)
			var setting locality.Setting
			if dr != nil {
				setting = locality.SettingOf(locality.Policy(&dr.Spec, port, subset))
				eps = InSubset(eps, &dr.Spec, subset)
			}
			var got []string
			for _, a := range locality.Assign(src, eps, setting) {
				got = append(got, fmt.Sprintf("%s@%d", a.HostPort(), a.Priority))
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s %s:\ncomputed %v\nistiod   %v", base, name, got, want)
			}
			compared++
		}
	}
	// Guard against a test that compares nothing.
	if compared < 12 {
		t.Fatalf("compared %d clusters only", compared)
	}
	t.Logf("%d clusters of %d proxies compared", compared, len(dumps))
}

func parseClusterName(name string) (dir string, port uint32, subset, host string, ok bool) {
	parts := strings.Split(name, "|")
	if len(parts) != 4 {
		return "", 0, "", "", false
	}
	var p uint32
	if _, err := fmt.Sscan(parts[1], &p); err != nil {
		return "", 0, "", "", false
	}
	return parts[0], p, parts[2], parts[3], true
}

// TestPrioritiesEqualIstiodsOnTheSharedFixture does the same on the seed's
// failover scenario computed by Istio's own discovery server: the sidecar
// of productpage in us-east-1/us-east-1a.
func TestPrioritiesEqualIstiodsOnTheSharedFixture(t *testing.T) {
	dir := filepath.Join("testdata", "generated")
	objs, err := source.ReadFiles([]string{filepath.Join(dir, "failover-istio-config.yaml"), filepath.Join(dir, "failover-k8s-objects.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, errs := FromObjects("cluster1", objs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cfg.Cluster = "cluster1"
	var src *locality.Source
	for _, p := range cfg.Pods {
		if strings.HasPrefix(p.Name, "productpage-v1") {
			s := cfg.SourceOf(p)
			src = &s
		}
	}
	if src == nil {
		t.Fatal("no productpage pod in the fixture")
	}
	want := edsPriorities(t, filepath.Join(dir, "failover-sidecar-productpage.config_dump.json"))["outbound|9080||productpage.global"]
	eps, err := cfg.Endpoints("productpage.global", 9080, "bookinfo-frontends")
	if err != nil {
		t.Fatal(err)
	}
	dr := cfg.DestinationRuleFor("productpage.global", "bookinfo-frontends")
	if dr == nil {
		t.Fatal("no DestinationRule in scope")
	}
	var got []string
	for _, a := range locality.Assign(*src, eps, locality.SettingOf(locality.Policy(&dr.Spec, 9080, ""))) {
		got = append(got, fmt.Sprintf("%s@%d", a.HostPort(), a.Priority))
	}
	sort.Strings(got)
	if len(want) != 3 || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("computed %v\nistiod   %v", got, want)
	}
}
