package envoy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var modernDumps = []string{
	"compare-small.config_dump.json",
	"istio-1.21-waypoint-httpbin.config_dump.json",
	"failover-sidecar-productpage.config_dump.json",
	// Captured from proxies fed by a real istiod (make testdata).
	"istiod/cluster1.bookinfo-frontends.productpage-v1-a.config_dump.json",
	"istiod/cluster2.bookinfo-frontends.productpage-v1-b.config_dump.json",
	"istiod/cluster1.istio-gateways.istio-ingressgateway.config_dump.json",
}

// summaryOf is what the table needs of a fully decoded cluster, computed
// with go-control-plane's types.
func summaryOf(c *clusterv3.Cluster) ClusterSummary {
	s := ClusterSummary{Name: c.GetName(), Type: c.GetType().String()}
	if md, ok := c.GetMetadata().GetFilterMetadata()["istio"]; ok {
		if v, ok := md.GetFields()["config"]; ok {
			s.HasConfig = true
			s.Config = v.GetStringValue()
		}
	}
	return s
}

func sameSummaries(t *testing.T, stream []ClusterSummary, full []*clusterv3.Cluster) {
	t.Helper()
	if len(stream) != len(full) {
		t.Fatalf("streamed %d clusters, decoded %d", len(stream), len(full))
	}
	for i, c := range full {
		want := summaryOf(c)
		got := stream[i]
		if got.Name != want.Name || got.Type != want.Type || got.Config != want.Config || got.HasConfig != want.HasConfig {
			t.Errorf("cluster %d: streamed %+v, decoded %+v", i, got, want)
		}
	}
}

func TestStreamingAgreesWithFullDecoding(t *testing.T) {
	for _, name := range modernDumps {
		t.Run(name, func(t *testing.T) {
			data := readTestdata(t, name)
			full, err := DecodeConfigDump(data)
			if err != nil {
				t.Fatal(err)
			}
			// One byte at a time: every value crosses buffer refills.
			dump, err := ReadConfigDump(iotest.OneByteReader(bytes.NewReader(data)), ReadOptions{Endpoints: true})
			if err != nil {
				t.Fatal(err)
			}
			sameSummaries(t, dump.Clusters, full.Clusters)
			if len(dump.Endpoints) != len(full.Endpoints) {
				t.Errorf("streamed %d endpoint configs, decoded %d", len(dump.Endpoints), len(full.Endpoints))
			}
			for i := range full.Endpoints {
				if dump.Endpoints[i].GetClusterName() != full.Endpoints[i].GetClusterName() {
					t.Errorf("endpoint config %d: %q vs %q", i, dump.Endpoints[i].GetClusterName(), full.Endpoints[i].GetClusterName())
				}
			}
		})
	}
}

func TestClusterJSONIsKept(t *testing.T) {
	data := readTestdata(t, "failover-sidecar-productpage.config_dump.json")
	dump, err := ReadConfigDump(bytes.NewReader(data), ReadOptions{ClusterJSON: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dump.Clusters) != 31 {
		t.Fatalf("got %d clusters", len(dump.Clusters))
	}
	for _, c := range dump.Clusters {
		typed, legacy, err := DecodeCluster(c.Raw)
		if err != nil || legacy {
			t.Fatalf("%s: %v legacy=%v", c.Name, err, legacy)
		}
		if typed.GetName() != c.Name {
			t.Errorf("raw JSON of %s decodes as %s", c.Name, typed.GetName())
		}
	}
	if dump.Endpoints != nil || dump.HasEndpoints {
		t.Errorf("endpoints read without being asked for")
	}
}

func TestOrderIsDynamicThenStatic(t *testing.T) {
	dump, err := ReadConfigDump(bytes.NewReader(readTestdata(t, "failover-sidecar-productpage.config_dump.json")), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	seenStatic := false
	for _, c := range dump.Clusters {
		if !c.Dynamic {
			seenStatic = true
		} else if seenStatic {
			t.Fatalf("dynamic cluster %s after a static one", c.Name)
		}
	}
	if !seenStatic {
		t.Fatal("no static cluster")
	}
}

func TestLegacyDumpIsRead(t *testing.T) {
	data := readTestdata(t, "describe-productpage-v1-7bbd79f8fd-k6j79.config_dump.json")
	dump, err := ReadConfigDump(bytes.NewReader(data), ReadOptions{ClusterJSON: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dump.Clusters) != 83 {
		t.Fatalf("got %d clusters", len(dump.Clusters))
	}
	var details *ClusterSummary
	for i := range dump.Clusters {
		if !dump.Clusters[i].Legacy {
			t.Errorf("%s not marked legacy", dump.Clusters[i].Name)
		}
		if dump.Clusters[i].Name == "outbound|9080||details.default.svc.cluster.local" {
			details = &dump.Clusters[i]
		}
	}
	if details == nil || details.Type != "EDS" || details.Config != "/apis/networking/v1alpha3/namespaces/default/destination-rule/details" {
		t.Fatalf("details cluster: %+v", details)
	}
	c, legacy, err := DecodeCluster(details.Raw)
	if err != nil || !legacy || c.GetName() != details.Name || c.GetType() != clusterv3.Cluster_EDS {
		t.Errorf("legacy cluster through the v3 schema: %v %v %v", c, legacy, err)
	}
	_, err = DecodeConfigDump(data)
	var le *LegacyError
	if !errors.As(err, &le) {
		t.Errorf("full decoding of a legacy dump: %v", err)
	}
}

func TestUnknownSectionsAndTypesAreTolerated(t *testing.T) {
	dump := `{"configs":[
	 {"@type":"type.googleapis.com/envoy.admin.v9.FutureConfigDump","x":{"y":[1,2]}},
	 {"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","future_field":true,
	  "dynamic_warming_clusters":[{"cluster":{"@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","name":"warming"}}],
	  "dynamic_active_clusters":[{"cluster":{"@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","name":"outbound|80||a.b",
	    "type":"EDS","transport_socket":{"name":"x","typed_config":{"@type":"type.googleapis.com/vendor.Secret","k":1}}}},
	   {"cluster":null}, {"version_info":"1"}]}],
	 "future_top":{}}`
	d, err := ReadConfigDump(strings.NewReader(dump), ReadOptions{ClusterJSON: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Clusters) != 1 || d.Clusters[0].Name != "outbound|80||a.b" || d.Clusters[0].Type != "EDS" {
		t.Fatalf("clusters: %+v", d.Clusters)
	}
	full, err := DecodeConfigDump([]byte(dump))
	if err != nil {
		t.Fatal(err)
	}
	sameSummaries(t, d.Clusters, full.Clusters)
	if _, _, err := DecodeCluster(d.Clusters[0].Raw); err != nil {
		t.Errorf("cluster with an unknown Any: %v", err)
	}
}

func TestAnyWithTypeLast(t *testing.T) {
	dump := `{"configs":[{"dynamic_active_clusters":[{"cluster":{"name":"late","type":"STRICT_DNS","@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster"}}],
	"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump"}]}`
	d, err := ReadConfigDump(strings.NewReader(dump), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Clusters) != 1 || d.Clusters[0].Name != "late" || d.Clusters[0].Type != "STRICT_DNS" {
		t.Fatalf("got %+v", d.Clusters)
	}
}

func TestBadDumps(t *testing.T) {
	for in, want := range map[string]string{
		``:                        "unexpected end of JSON input",
		`[]`:                      "not an Envoy /config_dump answer: expected a JSON object, not an array",
		`{"cluster_statuses":[]}`: "not an Envoy /config_dump answer: it is a /clusters answer",
		`{}`:                      `not an Envoy /config_dump answer: no "configs" list`,
		`{"configs":[` + strings.Repeat(" ", 70000) + `{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","static_clusters":[{"cluster":{"@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","type":true}}]}]}`: `expected an integer, found boolean (at byte 70177)`,
		`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","static_clusters":[{"cluster":{"@type":"type.googleapis.com/google.protobuf.StringValue","value":"x"}}]}]}`:                                       `unexpected type "type.googleapis.com/google.protobuf.StringValue" where a Cluster was expected`,
		`{"configs":[]} trailing`: "invalid character 't' after top-level value",
		"\x00\x01binary":          "invalid character '\\x00' looking for beginning of value",
	} {
		_, err := ReadConfigDump(strings.NewReader(in), ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: got %v, want %q", in, err, want)
		}
	}
}

func TestClustersJSON(t *testing.T) {
	for _, name := range []string{"clusters.json", "failover-sidecar-productpage.clusters.json",
		"istiod/cluster1.bookinfo-frontends.productpage-v1-a.clusters.json", "istiod/cluster2.istio-gateways.istio-ingressgateway.clusters.json"} {
		t.Run(name, func(t *testing.T) {
			data := readTestdata(t, name)
			full, err := DecodeClusters(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ReadClusters(iotest.OneByteReader(bytes.NewReader(data)), true)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(full.GetClusterStatuses()) {
				t.Fatalf("streamed %d clusters, decoded %d", len(got), len(full.GetClusterStatuses()))
			}
			for i, cs := range full.GetClusterStatuses() {
				if got[i].Name != cs.GetName() || got[i].EDSServiceName != cs.GetEdsServiceName() || len(got[i].Hosts) != len(cs.GetHostStatuses()) {
					t.Fatalf("cluster %d: %+v vs %v", i, got[i], cs)
				}
				for j, h := range cs.GetHostStatuses() {
					want := HostSummary{
						Port:          h.GetAddress().GetSocketAddress().GetPortValue(),
						Status:        int32(h.GetHealthStatus().GetEdsHealthStatus()),
						FailedOutlier: h.GetHealthStatus().GetFailedOutlierCheck(),
						Weight:        h.GetWeight(),
						Priority:      h.GetPriority(),
						Locality:      Locality{h.GetLocality().GetRegion(), h.GetLocality().GetZone(), h.GetLocality().GetSubZone()},
					}
					if sa := h.GetAddress().GetSocketAddress(); sa != nil {
						want.Address = sa.GetAddress()
					} else {
						want.Address = "unix://" + h.GetAddress().GetPipe().GetPath()
					}
					if got[i].Hosts[j] != want {
						t.Errorf("cluster %s host %d: %+v, want %+v", cs.GetName(), j, got[i].Hosts[j], want)
					}
				}
				again, err := DecodeClusterStatus(got[i].Raw)
				if err != nil || again.GetName() != cs.GetName() {
					t.Errorf("raw JSON of %s: %v", cs.GetName(), err)
				}
			}
		})
	}
}

func TestClustersJSONDetails(t *testing.T) {
	got, err := ReadClusters(bytes.NewReader(readTestdata(t, "clusters.json")), false)
	if err != nil {
		t.Fatal(err)
	}
	var unix, failed int
	for _, c := range got {
		for _, h := range c.Hosts {
			if strings.HasPrefix(h.Address, "unix://") {
				unix++
			}
			if h.FailedOutlier {
				failed++
			}
		}
	}
	if unix != 1 || failed != 1 {
		t.Errorf("unix sockets %d, failed outlier checks %d", unix, failed)
	}
	if _, err := ReadClusters(strings.NewReader(`{"configs":[]}`), false); err == nil || !strings.Contains(err.Error(), "it is a /config_dump") {
		t.Errorf("config dump read as clusters: %v", err)
	}
	// istioctl reads /clusters with the jsonpb reader, which rejects enum
	// names the enum does not define: so does ReadClusters, naming it.
	_, err = ReadClusters(strings.NewReader(`{"cluster_statuses":[{"name":"a"},{"host_statuses":[{},{"health_status":{"eds_health_status":"SICK"}}]}]}`), false)
	if want := `cluster_statuses[1]: host_statuses[1].health_status.eds_health_status: "SICK" is not a value of envoy.config.core.v3.HealthStatus (istioctl rejects the answer too)`; err == nil || err.Error() != want {
		t.Errorf("unknown health status: %v, want %s", err, want)
	}
}

func TestLocalityString(t *testing.T) {
	for l, want := range map[Locality]string{
		{}:                          "",
		{Region: "r"}:               "r",
		{Region: "r", Zone: "z"}:    "r/z",
		{"r", "z", "s"}:             "r/z/s",
		{Region: "r", SubZone: "s"}: "r",
	} {
		if got := l.String(); got != want {
			t.Errorf("%+v: %q", l, got)
		}
	}
	_ = corev3.HealthStatus_HEALTHY
}

func TestReadConfigDumpKeepAndNode(t *testing.T) {
	f, err := os.Open("testdata/istiod/cluster1.bookinfo-frontends.productpage-v1-a.config_dump.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keep := func(name string) bool { return name == "outbound|9080||productpage.global" }
	d, err := ReadConfigDump(f, ReadOptions{ClusterJSON: true, Endpoints: true, Keep: keep, Node: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Clusters) != 1 || d.Clusters[0].Name != "outbound|9080||productpage.global" || d.Clusters[0].Raw == nil {
		t.Errorf("clusters kept: %+v", d.Clusters)
	}
	if len(d.Endpoints) != 1 || d.Endpoints[0].GetClusterName() != "outbound|9080||productpage.global" {
		t.Errorf("endpoints kept: %d", len(d.Endpoints))
	}
	if d.Node == nil || d.Node.GetMetadata().GetFields()["LABELS"].GetStructValue().GetFields()["topology.kubernetes.io/zone"].GetStringValue() != "us-east-1a" || d.Node.GetMetadata().GetFields()["CLUSTER_ID"].GetStringValue() != "cluster1" {
		t.Errorf("node: %v", d.Node)
	}
}
