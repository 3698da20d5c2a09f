package trace

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// podIPs are the addresses kwok gave the example's pods when the dumps of
// pkg/envoy/testdata/istiod were captured (its README): the files have no
// pod status.
var podIPs = map[string]string{
	"cluster1/bookinfo-frontends/productpage-v1-a": "10.102.1.1",
	"cluster1/bookinfo-frontends/productpage-v1-b": "10.102.2.1",
	"cluster1/istio-gateways/istio-ingressgateway": "10.102.3.1",
	"cluster2/bookinfo-frontends/productpage-v1-a": "10.103.1.1",
	"cluster2/bookinfo-frontends/productpage-v1-b": "10.103.2.1",
	"cluster2/istio-gateways/istio-ingressgateway": "10.103.3.1",
}

func readConfig(t testing.TB, name string, paths ...string) *mesh.Config {
	t.Helper()
	objs, err := source.ReadFiles(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, errs := mesh.FromObjects(name, objs)
	if len(errs) > 0 {
		t.Fatalf("decoding: %v", errs)
	}
	return c
}

func exampleObjects(t testing.TB, cluster string) []source.Object {
	t.Helper()
	root := filepath.Join("..", "..", "examples", "bookinfo")
	objs, err := source.ReadFiles([]string{filepath.Join(root, cluster), filepath.Join(root, "kubernetes", cluster)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func configOf(t testing.TB, cluster string, objs []source.Object) *mesh.Config {
	t.Helper()
	c, errs := mesh.FromObjects(cluster, objs)
	if len(errs) > 0 {
		t.Fatalf("decoding: %v", errs)
	}
	c.Cluster = cluster
	for _, p := range c.Pods {
		p.Status.PodIP = podIPs[cluster+"/"+p.Namespace+"/"+p.Name]
	}
	return c
}

func exampleConfig(t testing.TB, cluster string) *mesh.Config {
	return configOf(t, cluster, exampleObjects(t, cluster))
}

func fileOpener(path string) DumpOpener {
	return func(int) (io.ReadCloser, error) { return os.Open(path) }
}

// gatewayRequests are sent to the ingress gateway (Service port 80): every
// route of the bookinfo translation and of the noise's reviews RouteTable,
// and near misses.
var gatewayRequests = []string{
	"http://bookinfo.example.com/productpage",
	"http://bookinfo.example.com/productpage?u=normal",
	"http://bookinfo.example.com/productpage/",
	"http://bookinfo.example.com/productpagex",
	"http://bookinfo.example.com/ProductPage",
	"http://bookinfo.example.com/static",
	"http://bookinfo.example.com/static/css/bootstrap.min.css",
	"http://bookinfo.example.com/staticx",
	"http://bookinfo.example.com/stati",
	"http://bookinfo.example.com/login",
	"http://bookinfo.example.com/login/",
	"http://bookinfo.example.com/logout",
	"http://bookinfo.example.com/logoutx",
	"http://bookinfo.example.com/api/v1/products",
	"http://bookinfo.example.com/api/v1/products/0/reviews",
	"http://bookinfo.example.com/api/v1/productsx",
	"http://bookinfo.example.com/api/v1/product",
	"http://bookinfo.example.com/reviews",
	"http://bookinfo.example.com/reviews/0",
	"http://bookinfo.example.com/",
	"http://bookinfo.example.com/details",
	"http://productpage.global/productpage",
	"http://10.0.0.1/productpage",
	"http://bookinfo.example.com:80/productpage",
	"http://bookinfo.example.com:8080/productpage",
	"http://bookinfo.example.com:443/productpage",
	"http://bookinfo.example.com/productpage#POST",
	"http://bookinfo.example.com/static#HEAD",
	"http://bookinfo.example.com/login?next=%2Fproductpage",
	"http://bookinfo.example.com/productpage?u=test&x=1",
	"http://bookinfo.example.com./productpage",
	"http://172.18.0.5/productpage -H Host: bookinfo.example.com",
	"http://bookinfo.example.com/static/../productpage",
	"http://bookinfo.example.com/%70roductpage",
	"http://bookinfo.example.com/productpage?u=normal&u=test",
	"http://bookinfo.example.com/productpage?u=%6eormal",
}

// sidecarRequests are sent by a productpage sidecar.
var sidecarRequests = []string{
	"http://productpage.global:9080/productpage",
	"http://productpage.global:9080/",
	"http://productpage.global:9080/static/x",
	"http://PRODUCTPAGE.GLOBAL:9080/",
	"http://254.154.115.171:9080/",
	"http://productpage:9080/productpage",
	"http://productpage.bookinfo-frontends:9080/",
	"http://productpage.bookinfo-frontends.svc.cluster.local:9080/api/v1/products",
	"http://reviews.global:9080/reviews/0",
	"http://productpage.staging.global:9080/",
	"http://unknown.example.com:9080/",
	"http://productpage.global/",
	"http://productpage.global:9081/",
	"http://istio-ingressgateway.istio-gateways/productpage",
	"http://istio-ingressgateway.istio-gateways.svc.cluster.local:80/",
	// Absolute names (a trailing dot): the sidecar's virtual hosts list
	// each service's FQDN with one too.
	"http://productpage.global.:9080/productpage",
	"http://reviews.global.:9080/reviews/0",
	"http://productpage.bookinfo-frontends.svc.cluster.local.:9080/",
	"http://productpage.:9080/",
	// A Host header names the virtual host, whatever address the URL
	// connects to (curl -H 'Host: ...' http://IP/).
	"http://10.9.9.9:9080/reviews/0 -H Host: reviews.global",
	"http://10.9.9.9:9080/ -H host: productpage.global:9080",
	"http://reviews.global:9080/ -H Host: unknown.example.com",
	// Paths the proxy normalizes before routing.
	"http://productpage.global:9080/static/../productpage",
	"http://productpage.global:9080/product%70age",
	"http://productpage.global:9080/productpage?u=%6eormal&u=test",
}

// request reads a test request: a "#METHOD" suffix sets the method, a
// " -H Name: value" suffix a header.
func request(t *testing.T, raw string) Request {
	t.Helper()
	method := "GET"
	var headers []string
	if u, h, ok := strings.Cut(raw, " -H "); ok {
		raw, headers = u, []string{h}
	}
	if u, m, ok := strings.Cut(raw, "#"); ok {
		raw, method = u, m
	}
	r, err := ParseRequest(raw, method, headers)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestConfigAndProxyAgreeOnIstiodDumps traces every request from every
// proxy istiod fed (both clusters: the ingress gateway and the two
// productpage sidecars) twice, from examples/bookinfo and from the proxy's
// dump, and requires both traces to agree: routed or not the same way, the
// same VirtualService, route, clusters and weights, and the endpoints with
// the priorities istiod put in the dump's EDS.
func TestConfigAndProxyAgreeOnIstiodDumps(t *testing.T) {
	dumps, err := filepath.Glob(filepath.Join("..", "envoy", "testdata", "istiod", "*.config_dump.json"))
	if err != nil || len(dumps) != 6 {
		t.Fatalf("dumps: %v %v", dumps, err)
	}
	traced, routed, withEndpoints := 0, 0, 0
	for _, dump := range dumps {
		base := filepath.Base(dump)
		cluster := strings.SplitN(base, ".", 2)[0]
		objs := exampleObjects(t, cluster)
		cfg := configOf(t, cluster, objs)
		requests := sidecarRequests
		if strings.Contains(base, "ingressgateway") {
			requests = gatewayRequests
		}
		for _, raw := range requests {
			req := request(t, raw)
			proxy, node, err := ProxyTrace(fileOpener(dump), req, ProxyOptions{})
			if err != nil {
				t.Fatalf("%s %s: proxy: %v", base, raw, err)
			}
			src := SourceOf(node)
			conf, err := ConfigTrace(cfg, src, req)
			if err != nil {
				t.Fatalf("%s %s: config: %v", base, raw, err)
			}
			// The command types only the VirtualServices that can name
			// the host: the trace must not change.
			if filtered, err := ConfigTrace(configOf(t, cluster, RelevantObjects(objs, req)), src, req); err != nil || !reflect.DeepEqual(filtered, conf) {
				t.Errorf("%s %s: with the relevant objects only: %+v %v, want %+v", base, raw, filtered, err, conf)
			}
			if diffs := Compare(conf, proxy); len(diffs) > 0 {
				t.Errorf("%s %s %s: the traces differ:\n  %s\nconfig %+v\nproxy  %+v", base, req.Method, raw, strings.Join(diffs, "\n  "), conf, proxy)
			}
			traced++
			if conf.Routed {
				routed++
			}
			for _, d := range proxy.Destinations {
				if len(d.Endpoints) > 0 {
					withEndpoints++
				}
			}
		}
	}
	if traced < 40*3 || routed == 0 || withEndpoints == 0 {
		t.Fatalf("traced %d requests, %d routed, %d destinations with endpoints", traced, routed, withEndpoints)
	}
	t.Logf("%d traces (%d distinct requests), %d routed, %d destinations with endpoints compared", traced, len(gatewayRequests)+len(sidecarRequests), routed, withEndpoints)
}

// TestConfigAndProxyAgreeOnTheSharedFixture does the same on the failover
// scenario Istio's own discovery server computed for a productpage sidecar
// in us-east-1/us-east-1a.
func TestConfigAndProxyAgreeOnTheSharedFixture(t *testing.T) {
	dir := filepath.Join("..", "mesh", "testdata", "generated")
	cfg := readConfig(t, "cluster1", filepath.Join(dir, "failover-istio-config.yaml"), filepath.Join(dir, "failover-k8s-objects.yaml"))
	cfg.Cluster = "cluster1"
	dump := filepath.Join(dir, "failover-sidecar-productpage.config_dump.json")
	n := 0
	for _, raw := range append(sidecarRequests, "http://details.bookinfo-backends:9080/details/0", "http://reviews.bookinfo-backends.svc.cluster.local:9080/") {
		req := request(t, raw)
		proxy, node, err := ProxyTrace(fileOpener(dump), req, ProxyOptions{})
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		conf, err := ConfigTrace(cfg, SourceOf(node), req)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if diffs := Compare(conf, proxy); len(diffs) > 0 {
			t.Errorf("%s: the traces differ:\n  %s\nconfig %+v\nproxy  %+v", raw, strings.Join(diffs, "\n  "), conf, proxy)
		}
		if strings.HasPrefix(raw, "http://productpage.global:9080/") {
			if len(proxy.Destinations) != 1 || len(proxy.Destinations[0].Endpoints) != 3 {
				t.Errorf("%s: %+v", raw, proxy.Destinations)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("productpage.global not traced")
	}
}
