// Command envoybench measures `kubectl vd clusters -f` and
// `kubectl vd endpoints -f` on large synthetic Envoy admin answers: a
// /config_dump of 5,000 and 20,000 clusters and a /clusters?format=json of
// as many clusters with 3 hosts each, made by replicating the real clusters
// of a fixture under new names and addresses. It runs the built binary,
// reads wall time and peak memory (max RSS) from rusage, checks that the
// output is the one a full decoding with go-control-plane's types gives,
// and prints a table with the ratios to istioctl's figures on the same
// sizes (measured on a 20,000-cluster dump: clusters 2.2 s / 350 MiB,
// endpoints 4.7 s / 550 MiB). With --drift (the default) it also measures
// `kubectl vd drift --dump` on a 20,000-cluster dump next to `istioctl
// proxy-config all --file` (5.1 s / 385 MiB) and failover's computation for
// 1,000 endpoints in 50 localities (target 100 ms); see drift.go. With
// --trace (the default) it measures `kubectl vd trace` from a whole
// 20,000-cluster proxy dump (listeners, routes, EDS) next to the same
// istioctl figure, and a configuration trace among 2,000 VirtualServices
// of 10 routes; see trace.go.
//
//	go run ./test/cmd/envoybench --bin bin/kubectl-vd
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/writer"
)

var (
	bin        = flag.String("bin", "bin/kubectl-vd", "the kubectl-vd binary to measure")
	runs       = flag.Int("runs", 3, "runs of each command; the median wall time is reported")
	sizes      = flag.String("clusters", "5000,20000", "cluster counts to generate")
	dumpSrc    = flag.String("dump", "pkg/envoy/testdata/failover-sidecar-productpage.config_dump.json", "config dump whose clusters are replicated")
	statSrc    = flag.String("clusters-json", "pkg/envoy/testdata/failover-sidecar-productpage.clusters.json", "/clusters answer whose 3-host clusters are replicated")
	keep       = flag.String("keep", "", "write the generated files to this folder and keep them")
	noVerify   = flag.Bool("no-verify", false, "skip checking the output against a full decoding")
	driftBench = flag.Bool("drift", true, "also measure drift on a 20,000-cluster dump and failover's computation")
	indentBy   = flag.String("indent", " ", "indentation of the generated JSON (sizes close to the reference inputs with one space)")
)

// reference is istioctl on the 20,000-cluster inputs.
var reference = map[string]measure{
	"clusters":  {wall: 2200 * time.Millisecond, maxRSS: 350 << 10},
	"endpoints": {wall: 4700 * time.Millisecond, maxRSS: 550 << 10},
}

type measure struct {
	wall   time.Duration
	maxRSS int64 // KiB
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "envoybench:", err)
		os.Exit(1)
	}
}

type row struct {
	name, input string
	size        int64
	m           measure
	ref         *measure
	output      string
	// target is the goal printed when there is no reference.
	target string
}

func run() error {
	abs, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("%s: build it first (make build)", *bin)
	}
	dir := *keep
	if dir == "" {
		if dir, err = os.MkdirTemp("", "envoybench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gen, err := newGenerator(*dumpSrc, *statSrc)
	if err != nil {
		return err
	}
	helper, err := buildHelper(dir)
	if err != nil {
		return err
	}
	var rows []row
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("invalid --clusters %q", s)
		}
		dump := filepath.Join(dir, fmt.Sprintf("config_dump-%d.json", n))
		stats := filepath.Join(dir, fmt.Sprintf("clusters-%d.json", n))
		if err := gen.writeDump(dump, n); err != nil {
			return err
		}
		hosts, err := gen.writeClusters(stats, n)
		if err != nil {
			return err
		}
		for _, c := range []struct{ cmd, file, label string }{
			{"clusters", dump, fmt.Sprintf("clusters, %d clusters", n)},
			{"endpoints", stats, fmt.Sprintf("endpoints, %d clusters / %d hosts", n, hosts)},
		} {
			fmt.Fprintf(os.Stderr, "measuring %s...\n", c.label)
			out, m, err := measureRuns(helper, dir, abs, c.cmd, c.file)
			if err != nil {
				return err
			}
			st, _ := os.Stat(c.file)
			r := row{name: c.label, input: filepath.Base(c.file), size: st.Size(), m: m, output: "not checked"}
			if n == 20000 {
				ref := reference[c.cmd]
				r.ref = &ref
			}
			if !*noVerify {
				want, err := expected(c.cmd, c.file)
				if err != nil {
					return err
				}
				if bytes.Equal(out, want) {
					r.output = "identical"
				} else {
					r.output = "DIFFERENT"
				}
			}
			rows = append(rows, r)
		}
	}
	if *driftBench {
		r, err := driftRow(helper, dir, abs, 20000)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if *traceBench {
		tr, err := traceRows(gen, helper, dir, abs)
		if err != nil {
			return err
		}
		rows = append(rows, tr...)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "CASE\tINPUT\tWALL\tMAX RSS\tISTIOCTL\tWALL RATIO\tRSS RATIO\tOUTPUT")
	failed := false
	for _, r := range rows {
		ref, wr, rr := "-", "-", "-"
		if r.target != "" {
			ref = r.target
		}
		if r.ref != nil {
			ref = fmt.Sprintf("%.1f s / %d MiB", r.ref.wall.Seconds(), r.ref.maxRSS>>10)
			wr = fmt.Sprintf("%.3f", r.m.wall.Seconds()/r.ref.wall.Seconds())
			rr = fmt.Sprintf("%.3f", float64(r.m.maxRSS)/float64(r.ref.maxRSS))
		}
		fmt.Fprintf(w, "%s\t%.1f MB\t%.3f s\t%.1f MiB\t%s\t%s\t%s\t%s\n", r.name, float64(r.size)/1e6,
			r.m.wall.Seconds(), float64(r.m.maxRSS)/1024, ref, wr, rr, r.output)
		if r.output == "DIFFERENT" || r.output == "drifted" {
			failed = true
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if *driftBench {
		d := failoverCompute()
		fmt.Printf("\nfailover, 1,000 endpoints in 50 localities, 3 failures: %.1f ms (target %d ms, ratio %.3f)\n",
			float64(d.Microseconds())/1000, failoverGoal.Milliseconds(), d.Seconds()/failoverGoal.Seconds())
	}
	if failed {
		return fmt.Errorf("an output differs from the full decoding")
	}
	return nil
}

// measureRuns runs `bin cmd -f file` several times, through the rusage
// helper, and returns the output of the first run, the median wall time
// and the largest max RSS.
func measureRuns(helper, dir, bin, cmd, file string) ([]byte, measure, error) {
	var walls []time.Duration
	var out []byte
	var rss int64
	outFile := filepath.Join(dir, "output.txt")
	for i := 0; i < *runs; i++ {
		var stdout, stderr bytes.Buffer
		c := exec.Command(helper, outFile, bin, cmd, "-f", file)
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Run(); err != nil {
			return nil, measure{}, fmt.Errorf("%s %s -f %s: %v: %s", filepath.Base(bin), cmd, file, err, stderr.String())
		}
		var wallNS, maxRSS int64
		if _, err := fmt.Sscan(stdout.String(), &wallNS, &maxRSS); err != nil {
			return nil, measure{}, fmt.Errorf("rusage helper: %q: %v", stdout.String(), err)
		}
		if maxRSS > rss {
			rss = maxRSS
		}
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

// buildHelper builds the rusage helper next to this program's sources.
func buildHelper(dir string) (string, error) {
	exe := filepath.Join(dir, "rusage")
	c := exec.Command("go", "build", "-o", exe, "./test/cmd/envoybench/rusage")
	c.Stdout, c.Stderr = os.Stderr, os.Stderr
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("building the rusage helper (run from the repository root): %v", err)
	}
	return exe, nil
}

// expected is the output computed from a full decoding of the input with
// go-control-plane's types, through the same writers.
func expected(cmd, file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	switch cmd {
	case "clusters":
		full, err := envoy.DecodeConfigDump(data)
		if err != nil {
			return nil, err
		}
		dump := &envoy.Dump{HasClusters: true}
		for _, c := range full.Clusters {
			dump.Clusters = append(dump.Clusters, summaryOf(c))
		}
		err = writer.PrintClusterSummary(&buf, []writer.ClusterSet{{Dump: dump}}, writer.ClusterFilter{}, writer.ClusterOptions{})
		return buf.Bytes(), err
	default:
		full, err := envoy.DecodeClusters(data)
		if err != nil {
			return nil, err
		}
		var set writer.EndpointSet
		for _, cs := range full.GetClusterStatuses() {
			s := envoy.ClusterStatus{Name: cs.GetName(), EDSServiceName: cs.GetEdsServiceName()}
			for _, h := range cs.GetHostStatuses() {
				hs := envoy.HostSummary{
					Port:          h.GetAddress().GetSocketAddress().GetPortValue(),
					Status:        int32(h.GetHealthStatus().GetEdsHealthStatus()),
					FailedOutlier: h.GetHealthStatus().GetFailedOutlierCheck(),
				}
				if sa := h.GetAddress().GetSocketAddress(); sa != nil {
					hs.Address = sa.GetAddress()
				} else {
					hs.Address = "unix://" + h.GetAddress().GetPipe().GetPath()
				}
				s.Hosts = append(s.Hosts, hs)
			}
			set.Clusters = append(set.Clusters, s)
		}
		err = writer.PrintEndpointsSummary(&buf, []writer.EndpointSet{set}, writer.EndpointFilter{}, writer.EndpointOptions{})
		return buf.Bytes(), err
	}
}

func summaryOf(c *clusterv3.Cluster) envoy.ClusterSummary {
	s := envoy.ClusterSummary{Name: c.GetName(), Type: c.GetType().String()}
	if md, ok := c.GetMetadata().GetFilterMetadata()["istio"]; ok {
		if v, ok := md.GetFields()["config"]; ok {
			s.HasConfig, s.Config = true, v.GetStringValue()
		}
	}
	return s
}

// generator replicates the clusters of fixtures.
type generator struct {
	statics   []json.RawMessage
	templates []template // dynamic clusters with a service host
	hosts3    []template // /clusters clusters with three hosts
}

type template struct {
	host  string
	addrs []string
	json  []byte
}

func newGenerator(dumpFile, clustersFile string) (*generator, error) {
	g := &generator{}
	var dump struct {
		Configs []map[string]json.RawMessage `json:"configs"`
	}
	if err := readJSON(dumpFile, &dump); err != nil {
		return nil, err
	}
	for _, c := range dump.Configs {
		var t string
		_ = json.Unmarshal(c["@type"], &t)
		if !strings.HasSuffix(t, "ClustersConfigDump") {
			continue
		}
		var statics, dynamics []json.RawMessage
		_ = json.Unmarshal(c["static_clusters"], &statics)
		_ = json.Unmarshal(c["dynamic_active_clusters"], &dynamics)
		g.statics = statics
		for _, d := range dynamics {
			var entry struct {
				Cluster struct {
					Name string `json:"name"`
				} `json:"cluster"`
			}
			_ = json.Unmarshal(d, &entry)
			if h := envoy.ClusterHost(entry.Cluster.Name); h != "" {
				g.templates = append(g.templates, template{host: h, json: indent(d, "")})
			}
		}
	}
	var stats struct {
		Statuses []json.RawMessage `json:"cluster_statuses"`
	}
	if err := readJSON(clustersFile, &stats); err != nil {
		return nil, err
	}
	for _, s := range stats.Statuses {
		var cs struct {
			Name  string `json:"name"`
			Hosts []struct {
				Address struct {
					Socket struct {
						Address string `json:"address"`
					} `json:"socket_address"`
				} `json:"address"`
			} `json:"host_statuses"`
		}
		_ = json.Unmarshal(s, &cs)
		if len(cs.Hosts) != 3 || envoy.ClusterHost(cs.Name) == "" {
			continue
		}
		t := template{host: envoy.ClusterHost(cs.Name), json: indent(s, "")}
		for _, h := range cs.Hosts {
			t.addrs = append(t.addrs, h.Address.Socket.Address)
		}
		g.hosts3 = append(g.hosts3, t)
	}
	if len(g.templates) == 0 || len(g.hosts3) == 0 {
		return nil, fmt.Errorf("no cluster to replicate in %s and %s", dumpFile, clustersFile)
	}
	return g, nil
}

func readJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	return nil
}

func indent(raw []byte, prefix string) []byte {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, prefix, *indentBy); err != nil {
		return raw
	}
	return b.Bytes()
}

// renamed gives the i-th copy of a template its own host.
func renamed(t template, i int) []byte {
	first, rest, _ := strings.Cut(t.host, ".")
	host := fmt.Sprintf("%s-%d.%s", first, i, rest)
	return bytes.ReplaceAll(t.json, []byte(`|`+t.host+`"`), []byte(`|`+host+`"`))
}

func (g *generator) writeDump(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, "{\n  \"configs\": [\n    {\n      \"@type\": \"type.googleapis.com/envoy.admin.v3.ClustersConfigDump\",\n      \"version_info\": \"2026-11-25T12:00:00Z/1\",\n      \"static_clusters\": [\n")
	for i, s := range g.statics {
		if i > 0 {
			w.WriteString(",\n")
		}
		w.Write(indent(s, ""))
	}
	fmt.Fprint(w, "\n      ],\n      \"dynamic_active_clusters\": [\n")
	for i := 0; i < n-len(g.statics); i++ {
		if i > 0 {
			w.WriteString(",\n")
		}
		w.Write(renamed(g.templates[i%len(g.templates)], i))
	}
	fmt.Fprint(w, "\n      ]\n    }\n  ]\n}\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func (g *generator) writeClusters(path string, n int) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, "{\n  \"cluster_statuses\": [\n")
	hosts := 0
	for i := 0; i < n; i++ {
		if i > 0 {
			w.WriteString(",\n")
		}
		t := g.hosts3[i%len(g.hosts3)]
		b := renamed(t, i)
		for j, a := range t.addrs {
			addr := fmt.Sprintf("10.%d.%d.%d", (i>>8)&255, i&255, j+1)
			b = bytes.ReplaceAll(b, []byte(`"`+a+`"`), []byte(`"`+addr+`"`))
			hosts++
		}
		w.Write(b)
	}
	fmt.Fprint(w, "\n  ]\n}\n")
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return hosts, f.Close()
}
