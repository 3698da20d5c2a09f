package writer

import (
	"bytes"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

func input(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func dumpOf(t *testing.T, name string, opts envoy.ReadOptions) *envoy.Dump {
	t.Helper()
	d, err := envoy.ReadConfigDump(bytes.NewReader(input(t, name)), opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func clustersOf(t *testing.T, name string) []envoy.ClusterStatus {
	t.Helper()
	cs, err := envoy.ReadClusters(bytes.NewReader(input(t, name)), true)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// lacksFinalNewline names the istioctl golden files saved without the
// newline istioctl ends its output with (fmt.Fprintln).
var lacksFinalNewline = map[string]bool{"pc-endpoints-clustersjson.clusterfiltered.txt": true}

// istioctlGolden compares with an istioctl output, byte for byte.
func istioctlGolden(t *testing.T, got []byte, name string) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("testdata", "istioctl", name))
	if err != nil {
		t.Fatal(err)
	}
	if lacksFinalNewline[name] {
		want = append(want, '\n')
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from istioctl's %s\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// ownGolden compares with this program's golden file, rewritten by -update.
func ownGolden(t *testing.T, got []byte, name string) {
	t.Helper()
	gold.Assert(t, filepath.Join("testdata", name+".golden"), got)
}

func TestClusterTablesMatchIstioctl(t *testing.T) {
	for _, tc := range []struct {
		dump, golden string
		filter       ClusterFilter
	}{
		{"compare-small.config_dump.json", "pc-clusters.compare-small.txt", ClusterFilter{}},
		{"istio-1.21-waypoint-httpbin.config_dump.json", "pc-clusters.istio-1.21-waypoint-httpbin.txt", ClusterFilter{}},
		{"compare-small.config_dump.json", "pc-clusters-port8000.compare-small.txt", ClusterFilter{Port: 8000}},
		{"istio-1.21-waypoint-httpbin.config_dump.json", "pc-clusters-port8000.istio-1.21-waypoint-httpbin.txt", ClusterFilter{Port: 8000}},
		{"failover-sidecar-productpage.config_dump.json", "failover-sidecar-productpage.config_dump.istioctl-clusters.txt", ClusterFilter{}},
		{"failover-sidecar-productpage.config_dump.json", "failover-sidecar-productpage.config_dump.istioctl-clusters-fqdn-global.txt", ClusterFilter{FQDN: "productpage.global"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var out bytes.Buffer
			sets := []ClusterSet{{Dump: dumpOf(t, tc.dump, envoy.ReadOptions{})}}
			if err := PrintClusterSummary(&out, sets, tc.filter, ClusterOptions{}); err != nil {
				t.Fatal(err)
			}
			istioctlGolden(t, out.Bytes(), tc.golden)
		})
	}
}

func TestClusterJSONMatchesIstioctl(t *testing.T) {
	for _, tc := range []struct{ dump, golden string }{
		{"compare-small.config_dump.json", "pc-clusters.compare-small.json"},
		{"istio-1.21-waypoint-httpbin.config_dump.json", "pc-clusters.istio-1.21-waypoint-httpbin.json"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			var out, warn bytes.Buffer
			sets := []ClusterSet{{Dump: dumpOf(t, tc.dump, envoy.ReadOptions{ClusterJSON: true})}}
			if err := PrintClusterDump(&out, sets, ClusterFilter{}, FormatJSON, &warn); err != nil {
				t.Fatal(err)
			}
			istioctlGolden(t, out.Bytes(), tc.golden)
			if warn.Len() != 0 {
				t.Errorf("warnings: %s", warn.String())
			}
		})
	}
}

func TestEndpointTablesMatchIstioctl(t *testing.T) {
	istioPolicy := "outbound|15014||istio-policy.istio-system.svc.cluster.local"
	for _, tc := range []struct {
		name, input, golden string
		filter              EndpointFilter
	}{
		{"all", "clusters.json", "pc-endpoints-clustersjson.clustersummary.txt", EndpointFilter{}},
		{"cluster", "clusters.json", "pc-endpoints-clustersjson.clustersummaryfiltered.txt", EndpointFilter{Cluster: istioPolicy}},
		{"cluster-case", "clusters.json", "pc-endpoints-clustersjson.clustersummaryfiltered.txt", EndpointFilter{Cluster: strings.ToUpper(istioPolicy)}},
		{"address", "clusters.json", "pc-endpoints-clustersjson.clustersummaryfiltered.txt", EndpointFilter{Address: "172.17.0.14"}},
		{"port", "clusters.json", "pc-endpoints-clustersjson.clustersummaryfiltered.txt", EndpointFilter{Port: 15014}},
		{"status", "clusters.json", "pc-endpoints-clustersjson.status-unhealthy.txt", EndpointFilter{Status: "unhealthy"}},
		{"port-9080", "clusters.json", "pc-endpoints-clustersjson.port-9080.txt", EndpointFilter{Port: 9080}},
		{"failover", "failover-sidecar-productpage.clusters.json", "failover-sidecar-productpage.clusters.istioctl-endpoints.txt", EndpointFilter{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			sets := []EndpointSet{{Clusters: clustersOf(t, tc.input)}}
			if err := PrintEndpointsSummary(&out, sets, tc.filter, EndpointOptions{}); err != nil {
				t.Fatal(err)
			}
			istioctlGolden(t, out.Bytes(), tc.golden)
		})
	}
}

func TestEndpointJSONMatchesIstioctl(t *testing.T) {
	for _, tc := range []struct {
		name, input, golden string
		filter              EndpointFilter
	}{
		{"all", "clusters.json", "pc-endpoints-clustersjson.clustersnofiltered.txt", EndpointFilter{}},
		{"cluster", "clusters.json", "pc-endpoints-clustersjson.clusterfiltered.txt", EndpointFilter{Cluster: "outbound|15014||istio-policy.istio-system.svc.cluster.local"}},
		{"address", "clusters.json", "pc-endpoints-clustersjson.clusterfiltered.txt", EndpointFilter{Address: "172.17.0.14"}},
		{"port", "clusters.json", "pc-endpoints-clustersjson.clusterfiltered.txt", EndpointFilter{Port: 15014}},
		{"status", "clusters.json", "pc-endpoints-clustersjson.clusterfiltered.txt", EndpointFilter{Status: "UNHEALTHY"}},
		{"multihosts", "clusters.json", "pc-endpoints-clustersjson.clustermultihostsfiltered.txt", EndpointFilter{Cluster: "outbound|9080||reviews.default.svc.cluster.local"}},
		{"reviews", "clusters.json", "pc-endpoints-clustersjson.cluster-reviews.json", EndpointFilter{Cluster: "outbound|9080||reviews.default.svc.cluster.local"}},
		{"global", "failover-sidecar-productpage.clusters.json", "failover-sidecar-productpage.clusters.istioctl-endpoints-global.json", EndpointFilter{Cluster: "outbound|9080||productpage.global"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, warn bytes.Buffer
			sets := []EndpointSet{{Clusters: clustersOf(t, tc.input)}}
			if err := PrintEndpoints(&out, sets, tc.filter, FormatJSON, &warn); err != nil {
				t.Fatal(err)
			}
			istioctlGolden(t, out.Bytes(), tc.golden)
			if warn.Len() != 0 {
				t.Errorf("warnings: %s", warn.String())
			}
		})
	}
}

func TestEDSViewMatchesIstioctl(t *testing.T) {
	for _, tc := range []struct {
		name, dump, golden string
		filter             EndpointFilter
		json               bool
	}{
		{"all", "eds-only-sidecar.endpoints_config_dump.json", "pc-endpoints-eds.emptyfilter_output.txt", EndpointFilter{}, false},
		{"all-json", "eds-only-sidecar.endpoints_config_dump.json", "pc-endpoints-eds.emptyfilter_output.json", EndpointFilter{}, true},
		{"port", "eds-only-sidecar.endpoints_config_dump.json", "pc-endpoints-eds.portfilter_output.txt", EndpointFilter{Port: 8080}, false},
		{"port-json", "eds-only-sidecar.endpoints_config_dump.json", "pc-endpoints-eds.portfilter_output.json", EndpointFilter{Port: 8080}, true},
		{"failover", "failover-sidecar-productpage.config_dump.json", "failover-sidecar-productpage.config_dump.istioctl-eds.txt", EndpointFilter{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			sets := []EDSSet{{Endpoints: dumpOf(t, tc.dump, envoy.ReadOptions{Endpoints: true}).Endpoints}}
			var err error
			if tc.json {
				err = PrintEDS(&out, sets, tc.filter, FormatJSON, nil)
			} else {
				err = PrintEDSSummary(&out, sets, tc.filter, EndpointOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			istioctlGolden(t, out.Bytes(), tc.golden)
		})
	}
}

// section is the block of an istioctl `proxy-config all` output that
// starts with the line starting with header, up to the next empty line.
func section(t *testing.T, name, header string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "istioctl", name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	var out []string
	for i, l := range lines {
		if strings.HasPrefix(l, header) {
			for _, m := range lines[i:] {
				if strings.TrimSpace(m) == "" {
					break
				}
				out = append(out, m)
			}
			break
		}
	}
	if out == nil {
		t.Fatalf("%s: no section %q", name, header)
	}
	return []byte(strings.Join(out, ""))
}

// istioctl's `proxy-config all` prints the same cluster and EDS tables with
// a NAME column: the writers give its sections byte for byte.
func TestProxyConfigAllSections(t *testing.T) {
	for _, tc := range []struct{ dump, golden string }{
		{"istio-1.21-waypoint-httpbin.config_dump.json", "pc-all.istio-1.21-waypoint-httpbin.txt"},
		{"istio-1.21-waypoint-httpbin.config_dump.json", "pc-all-withheaders.istio-1.21-waypoint-httpbin.txt"},
		{"failover-sidecar-productpage.config_dump.json", "failover-sidecar-productpage.config_dump.istioctl-all.txt"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			d := dumpOf(t, tc.dump, envoy.ReadOptions{Endpoints: true})
			var clusters, eds bytes.Buffer
			if err := PrintClusterSummary(&clusters, []ClusterSet{{Dump: d}}, ClusterFilter{}, ClusterOptions{typePrefix: true}); err != nil {
				t.Fatal(err)
			}
			if want := section(t, tc.golden, "NAME   "); !bytes.Equal(clusters.Bytes(), want) {
				t.Errorf("cluster section differs\n--- got ---\n%s\n--- want ---\n%s", clusters.Bytes(), want)
			}
			if err := PrintEDSSummary(&eds, []EDSSet{{Endpoints: d.Endpoints}}, EndpointFilter{}, EndpointOptions{typePrefix: true}); err != nil {
				t.Fatal(err)
			}
			if want := edsSection(t, tc.golden); !bytes.Equal(eds.Bytes(), want) {
				t.Errorf("endpoint section differs\n--- got ---\n%s\n--- want ---\n%s", eds.Bytes(), want)
			}
		})
	}
}

// edsSection is the endpoint table of a `proxy-config all` output: the
// block whose header has STATUS and LOCALITY.
func edsSection(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "istioctl", name))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range strings.SplitAfter(string(data), "\n\n") {
		first, _, _ := strings.Cut(block, "\n")
		if strings.HasPrefix(first, "NAME") && strings.Contains(first, "LOCALITY") {
			if strings.HasSuffix(block, "\n\n") {
				block = block[:len(block)-1]
			}
			return []byte(block)
		}
	}
	t.Fatalf("%s: no endpoint section", name)
	return nil
}
