package envoy

import (
	"os"
	"strings"
	"testing"
)

func TestReadRouteDumpAndClusterData(t *testing.T) {
	path := "testdata/istiod/cluster1.istio-gateways.istio-ingressgateway.config_dump.json"
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := ReadRouteDump(f, RouteQuery{Ports: func(p uint32) bool { return p == 8080 }, KeepRoute: func(n string) bool { return n == "http.8080" }})
	if err != nil {
		t.Fatal(err)
	}
	n := rd.Node
	if n == nil || !n.Router || n.Namespace != "istio-gateways" || n.Name != "istio-ingressgateway" || n.Locality.String() != "us-east-1/us-east-1b" || n.ClusterID != "cluster1" {
		t.Errorf("node: %+v", n)
	}
	if len(rd.Listeners) != 1 || rd.Listeners[0].Name != "0.0.0.0_8080" || strings.Join(rd.Listeners[0].RouteNames, ",") != "http.8080" {
		t.Errorf("listeners: %+v", rd.Listeners)
	}
	if len(rd.Routes) != 1 || rd.Routes[0].GetName() != "http.8080" || len(rd.Routes[0].GetVirtualHosts()) != 1 {
		t.Fatalf("routes: %v", rd.RouteNames)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	want := "outbound|9080||productpage.global"
	cd, err := ReadClusterData(f, map[string]bool{want: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cd.Clusters) != 1 || cd.Clusters[want].Type != "EDS" || len(cd.Endpoints) != 1 || !cd.HasEndpoints {
		t.Errorf("cluster data: %+v", cd)
	}
	if got := len(cd.Endpoints[want].GetEndpoints()); got != 3 {
		t.Errorf("%d localities, want 3", got)
	}
}

func TestReadRouteDumpNotADump(t *testing.T) {
	for _, in := range []string{`{"cluster_statuses": []}`, `[]`, `not json`} {
		if _, err := ReadRouteDump(strings.NewReader(in), RouteQuery{}); err == nil {
			t.Errorf("%s: no error", in)
		}
	}
}
