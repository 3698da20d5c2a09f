package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/failover"
	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
)

// The drift and failover rows: `drift --dump` of one proxy holding 20,000
// clusters (the captured istiod dump of cluster1's productpage-v1-a, its
// clusters and endpoints replicated under new hosts around the real ones)
// against the example's translation, next to `istioctl proxy-config all
// --file` on the same dump (5.1 s and 385 MiB measured); and failover's
// computation for 1,000 endpoints in 50 localities.

var (
	driftDump    = "pkg/envoy/testdata/istiod/cluster1.bookinfo-frontends.productpage-v1-a.config_dump.json"
	driftFiles   = []string{"examples/bookinfo/cluster1", "examples/bookinfo/kubernetes/cluster1"}
	driftRef     = measure{wall: 5100 * time.Millisecond, maxRSS: 385 << 10}
	failoverGoal = 100 * time.Millisecond
)

// writeDriftDump writes the bootstrap, n clusters (the dump's own and
// renamed copies of its outbound clusters) and their endpoints.
func writeDriftDump(path string, n int) error {
	var dump struct {
		Configs []map[string]json.RawMessage `json:"configs"`
	}
	if err := readJSON(driftDump, &dump); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, "{\"configs\":[")
	for i, c := range dump.Configs {
		var t string
		_ = json.Unmarshal(c["@type"], &t)
		if i > 0 {
			w.WriteString(",")
		}
		switch {
		case strings.HasSuffix(t, "ClustersConfigDump"):
			var dynamics []json.RawMessage
			_ = json.Unmarshal(c["dynamic_active_clusters"], &dynamics)
			fmt.Fprintf(w, `{"@type":%s,"static_clusters":%s,"dynamic_active_clusters":[`, c["@type"], c["static_clusters"])
			writeReplicas(w, dynamics, n, "cluster")
			w.WriteString("]}")
		case strings.HasSuffix(t, "EndpointsConfigDump"):
			var dynamics []json.RawMessage
			_ = json.Unmarshal(c["dynamic_endpoint_configs"], &dynamics)
			fmt.Fprintf(w, `{"@type":%s,"dynamic_endpoint_configs":[`, c["@type"])
			writeReplicas(w, dynamics, n, "endpoint_config")
			w.WriteString("]}")
		default:
			b, _ := json.Marshal(c)
			w.Write(b)
		}
	}
	fmt.Fprint(w, "]}\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// writeReplicas writes the entries as they are, then renamed copies of the
// outbound ones until there are n.
func writeReplicas(w *bufio.Writer, entries []json.RawMessage, n int, field string) {
	var outbound []json.RawMessage
	var hosts []string
	for i, e := range entries {
		if i > 0 {
			w.WriteString(",")
		}
		w.Write(e)
		var entry map[string]struct {
			Name        string `json:"name"`
			ClusterName string `json:"cluster_name"`
		}
		_ = json.Unmarshal(e, &entry)
		name := entry[field].Name + entry[field].ClusterName
		if h := envoy.ClusterHost(name); h != "" {
			outbound = append(outbound, e)
			hosts = append(hosts, h)
		}
	}
	for i := 0; len(entries)+i < n; i++ {
		k := i % len(outbound)
		first, rest, _ := strings.Cut(hosts[k], ".")
		host := fmt.Sprintf("%s-%d.%s", first, i, rest)
		w.WriteString(",")
		w.Write(bytes.ReplaceAll(outbound[k], []byte("|"+hosts[k]+`"`), []byte("|"+host+`"`)))
	}
}

// driftRow measures drift on the n-cluster dump.
func driftRow(helper, dir, bin string, n int) (row, error) {
	path := filepath.Join(dir, fmt.Sprintf("drift-config_dump-%d.json", n))
	if err := writeDriftDump(path, n); err != nil {
		return row{}, err
	}
	args := []string{"drift", "productpage", "-n", "bookinfo-frontends", "--dump", path}
	for _, f := range driftFiles {
		args = append(args, "-f", f)
	}
	fmt.Fprintf(os.Stderr, "measuring drift, %d clusters...\n", n)
	out, m, err := measureArgs(helper, dir, bin, args)
	if err != nil {
		return row{}, err
	}
	st, _ := os.Stat(path)
	r := row{name: fmt.Sprintf("drift --dump, %d clusters", n), input: filepath.Base(path), size: st.Size(), m: m, output: "drifted"}
	if n == 20000 {
		ref := driftRef
		r.ref = &ref
	}
	if strings.HasSuffix(string(out), ": in sync\n") {
		r.output = "in sync"
	}
	return r, nil
}

// measureArgs is measureRuns with any arguments.
func measureArgs(helper, dir, bin string, args []string) ([]byte, measure, error) {
	var walls []time.Duration
	var out []byte
	var rss int64
	outFile := filepath.Join(dir, "output.txt")
	for i := 0; i < *runs; i++ {
		var stdout, stderr bytes.Buffer
		c := exec.Command(helper, append([]string{outFile, bin}, args...)...)
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil {
			return nil, measure{}, fmt.Errorf("%s %s: %v: %s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
		}
		var wallNS, maxRSS int64
		if _, err := fmt.Sscan(stdout.String(), &wallNS, &maxRSS); err != nil {
			return nil, measure{}, fmt.Errorf("rusage helper: %q: %v", stdout.String(), err)
		}
		rss = max(rss, maxRSS)
		walls = append(walls, time.Duration(wallNS))
		if out == nil {
			b, err := os.ReadFile(outFile)
			if err != nil {
				return nil, measure{}, err
			}
			out = b
		}
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	return out, measure{wall: walls[len(walls)/2], maxRSS: rss}, nil
}

// failoverCompute times failover's computation (priorities as istiod
// assigns them, then the load per level healthy and under three failures)
// for 1,000 endpoints in 50 localities, in this process: the median of
// the runs.
func failoverCompute() time.Duration {
	var eps []locality.Endpoint
	for i := 0; i < 1000; i++ {
		l := i % 50
		eps = append(eps, locality.Endpoint{
			Address: fmt.Sprintf("10.%d.%d.%d", l, i/250, i%250+1), Port: 9080,
			Locality: locality.Locality{Region: fmt.Sprintf("region-%d", l/10), Zone: fmt.Sprintf("zone-%d", l)},
			Cluster:  fmt.Sprintf("cluster%d", l%5), Kind: "Pod",
		})
	}
	in := failover.Input{
		From:      locality.Source{Locality: locality.Locality{Region: "region-0", Zone: "zone-0"}},
		Endpoints: eps,
		Policy:    failover.Policy{OutlierDetection: outlierDetection()},
		Failures: []failover.Failure{
			{Kind: failover.FailLocality, Values: []string{"region-0/zone-0"}},
			{Kind: failover.FailLocality, Values: []string{"region-0"}},
			{Kind: failover.FailCluster, Values: []string{"cluster0", "cluster1"}},
		},
	}
	var walls []time.Duration
	for i := 0; i < 7; i++ {
		start := time.Now()
		failover.Build(in)
		walls = append(walls, time.Since(start))
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	return walls[len(walls)/2]
}

func outlierDetection() *networking.OutlierDetection {
	return &networking.OutlierDetection{MaxEjectionPercent: 100}
}
