package envoy

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"testing/iotest"
)

// trimmed keeps at most three elements of every list of a fixture and
// compacts it: the same structure in a few kilobytes, which the fuzzer
// mutates and minimises far faster than the whole file.
func trimmed(f *testing.F, data []byte) []byte {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		f.Fatal(err)
	}
	var trim func(any) any
	trim = func(v any) any {
		switch x := v.(type) {
		case []any:
			if len(x) > 3 {
				x = x[:3]
			}
			for i := range x {
				x[i] = trim(x[i])
			}
			return x
		case map[string]any:
			for k := range x {
				x[k] = trim(x[k])
			}
		}
		return v
	}
	out, err := json.Marshal(trim(v))
	if err != nil {
		f.Fatal(err)
	}
	return out
}

func addSeeds(f *testing.F, names ...string) {
	for _, n := range names {
		f.Add(trimmed(f, readTestdata(f, n)))
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"configs":null}`, `{"configs":[null,{}]}`,
		`{"cluster_statuses":[{"host_statuses":[{"address":{"pipe":{"path":"/x"}}}]}]}`,
		`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","static_clusters":[{"cluster":{"name":"x","@type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","metadata":{"filter_metadata":{"istio":{"config":1}}}}}]}]}`} {
		f.Add([]byte(s))
	}
}

// FuzzDecodeConfigDump checks that no input makes the config dump readers
// panic, that the streaming reader gives the same result however the input
// is split, and that it agrees with go-control-plane's decoding whenever
// that succeeds.
func FuzzDecodeConfigDump(f *testing.F) {
	addSeeds(f, append(modernDumps, "eds-only-sidecar.endpoints_config_dump.json",
		"odd/clusters.config_dump.json", "odd/eds.config_dump.json")...)
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := ReadOptions{ClusterJSON: true, Endpoints: true}
		dump, err := ReadConfigDump(bytes.NewReader(data), opts)
		dump2, err2 := ReadConfigDump(iotest.OneByteReader(bytes.NewReader(data)), opts)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("buffered and byte-by-byte reads disagree: %v / %v", err, err2)
		}
		if err == nil {
			if len(dump.Clusters) != len(dump2.Clusters) {
				t.Fatalf("%d clusters vs %d", len(dump.Clusters), len(dump2.Clusters))
			}
			for _, c := range dump.Clusters {
				_, _, _ = DecodeCluster(c.Raw)
			}
		}
		full, ferr := DecodeConfigDump(data)
		if ferr != nil {
			return
		}
		var notDump *NotDumpError
		if errors.As(err, &notDump) && len(full.Sections) == 0 {
			return // {} is an empty dump to protobuf, an obvious mistake to us
		}
		if err != nil {
			t.Fatalf("go-control-plane decodes the dump, the streaming reader fails: %v", err)
		}
		if len(dump.Clusters) != len(full.Clusters) {
			t.Fatalf("streamed %d clusters, decoded %d", len(dump.Clusters), len(full.Clusters))
		}
		for i, c := range full.Clusters {
			want, got := summaryOf(c), dump.Clusters[i]
			if got.Name != want.Name || got.Type != want.Type || got.Config != want.Config || got.HasConfig != want.HasConfig {
				t.Fatalf("cluster %d: streamed %+v, decoded %+v", i, got, want)
			}
		}
		if len(dump.Endpoints) != len(full.Endpoints) {
			t.Fatalf("streamed %d endpoint configs, decoded %d", len(dump.Endpoints), len(full.Endpoints))
		}
	})
}

// FuzzDecodeClusters does the same for /clusters?format=json.
func FuzzDecodeClusters(f *testing.F) {
	addSeeds(f, "clusters.json", "failover-sidecar-productpage.clusters.json", "odd/health-number.clusters.json",
		"odd/health-name.clusters.json", "odd/priority-name.clusters.json", "odd/stat-type-name.clusters.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadClusters(bytes.NewReader(data), true)
		got2, err2 := ReadClusters(iotest.OneByteReader(bytes.NewReader(data)), false)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("buffered and byte-by-byte reads disagree: %v / %v", err, err2)
		}
		if err == nil {
			if len(got) != len(got2) {
				t.Fatalf("%d clusters vs %d", len(got), len(got2))
			}
			for _, c := range got {
				_, _ = DecodeClusterStatus(c.Raw)
			}
		}
		full, ferr := DecodeClusters(data)
		if ferr != nil {
			return
		}
		var notClusters *NotClustersError
		if errors.As(err, &notClusters) && len(full.GetClusterStatuses()) == 0 {
			return
		}
		if err != nil {
			t.Fatalf("go-control-plane decodes the answer, the streaming reader fails: %v", err)
		}
		if len(got) != len(full.GetClusterStatuses()) {
			t.Fatalf("streamed %d clusters, decoded %d", len(got), len(full.GetClusterStatuses()))
		}
		for i, cs := range full.GetClusterStatuses() {
			if got[i].Name != cs.GetName() || len(got[i].Hosts) != len(cs.GetHostStatuses()) {
				t.Fatalf("cluster %d differs", i)
			}
			for j, h := range cs.GetHostStatuses() {
				g := got[i].Hosts[j]
				if g.Port != h.GetAddress().GetSocketAddress().GetPortValue() || g.Status != int32(h.GetHealthStatus().GetEdsHealthStatus()) ||
					g.FailedOutlier != h.GetHealthStatus().GetFailedOutlierCheck() {
					t.Fatalf("cluster %d host %d: %+v vs %v", i, j, g, h)
				}
			}
		}
	})
}
