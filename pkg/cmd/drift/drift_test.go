package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
)

const (
	examples    = "../../../examples"
	istiodDumps = "../../envoy/testdata/istiod"
	global      = "outbound|9080||productpage.global"
)

type result struct {
	stdout, stderr string
	code           int
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := NewCmdDrift(streams)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.Execute()
	code := 0
	if err != nil {
		code = 1
		var exit *cmdutil.ExitError
		if errors.As(err, &exit) {
			code = exit.Code
			err = exit.Err
		}
		if err != nil {
			fmt.Fprintf(errOut, "error: %s\n", err)
		}
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

func files(c string) []string {
	return []string{"-f", filepath.Join(examples, "bookinfo", c), "-f", filepath.Join(examples, "bookinfo", "kubernetes", c)}
}

func dump(c, proxy string) string {
	return filepath.Join(istiodDumps, c+"."+proxy+".config_dump.json")
}

var proxies = []string{"bookinfo-frontends.productpage-v1-a", "bookinfo-frontends.productpage-v1-b", "istio-gateways.istio-ingressgateway"}

// TestInSyncWithIstiod: every proxy istiod configured from the example is
// in sync with the example's translation and Kubernetes objects.
func TestInSyncWithIstiod(t *testing.T) {
	for _, c := range []string{"cluster1", "cluster2"} {
		t.Run(c, func(t *testing.T) {
			args := []string{"productpage", "-n", "bookinfo-frontends"}
			for _, p := range proxies {
				args = append(args, "--dump", dump(c, p))
			}
			r := run(t, append(args, files(c)...)...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
			}
			gold.AssertString(t, filepath.Join("testdata", c+"-in-sync.txt.golden"), r.stdout)
		})
	}
	// The dump Istio's own discovery server computed for the shared
	// fixture (copied in pkg/mesh/testdata/generated).
	t.Run("generated", func(t *testing.T) {
		g := "../../mesh/testdata/generated"
		r := run(t, "productpage", "-n", "bookinfo-frontends", "--dump", filepath.Join(g, "failover-sidecar-productpage.config_dump.json"),
			"-f", filepath.Join(g, "failover-istio-config.yaml"), "-f", filepath.Join(g, "failover-k8s-objects.yaml"))
		want := "context cluster1, proxy bookinfo-frontends/productpage-v1-7c9d8f5b6d-x2k9p: in sync\n"
		if r.code != 0 || r.stderr != "" || r.stdout != want {
			t.Errorf("exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
		}
	})
	r := run(t, "productpage", "-n", "bookinfo-frontends", "--dump", dump("cluster1", proxies[0]), "-o", "json", files("cluster1")[0], files("cluster1")[1], files("cluster1")[2], files("cluster1")[3])
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	gold.AssertString(t, filepath.Join("testdata", "cluster1-in-sync.json.golden"), r.stdout)
}

// editedDump writes a copy of cluster1's productpage-v1-a dump with the
// productpage.global cluster (and its endpoints) edited.
func editedDump(t *testing.T, editCluster func(c map[string]any), editEDS func(e map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(dump("cluster1", proxies[0]))
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range d["configs"].([]any) {
		m := cfg.(map[string]any)
		switch {
		case strings.HasSuffix(m["@type"].(string), "ClustersConfigDump") && editCluster != nil:
			list := m["dynamic_active_clusters"].([]any)
			for i, e := range list {
				c := e.(map[string]any)["cluster"].(map[string]any)
				if c["name"] == global {
					if editCluster(c); c["name"] == nil {
						m["dynamic_active_clusters"] = append(list[:i:i], list[i+1:]...)
					}
					break
				}
			}
		case strings.HasSuffix(m["@type"].(string), "EndpointsConfigDump") && editEDS != nil:
			for _, e := range m["dynamic_endpoint_configs"].([]any) {
				ec := e.(map[string]any)["endpoint_config"].(map[string]any)
				if ec["cluster_name"] == global {
					editEDS(ec)
				}
			}
		}
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "dump.json")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func obj(m map[string]any, path ...string) map[string]any {
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}

func tlsContext(c map[string]any) map[string]any {
	return obj(c, "transport_socket", "typed_config")
}

// localityOf returns the LocalityLbEndpoints holding address.
func localityOf(e map[string]any, address string) map[string]any {
	for _, l := range e["endpoints"].([]any) {
		lm := l.(map[string]any)
		for _, lb := range lm["lb_endpoints"].([]any) {
			if obj(lb.(map[string]any), "endpoint", "address", "socket_address")["address"] == address {
				return lm
			}
		}
	}
	panic("no endpoint " + address)
}

// TestEachFieldDrifts edits one field of a captured dump at a time: drift
// reports exactly that field, with the proxy's value and the expected one.
func TestEachFieldDrifts(t *testing.T) {
	p := "  " + global + " "
	tests := []struct {
		name      string
		cluster   func(c map[string]any)
		eds       func(e map[string]any)
		want      []string
		wantCount int
	}{
		{"consecutive 5xx", func(c map[string]any) { obj(c, "outlier_detection")["consecutive_5xx"] = 7 }, nil,
			[]string{p + "outlierDetection.consecutive5xx: 7 -> 2"}, 1},
		{"interval", func(c map[string]any) { obj(c, "outlier_detection")["interval"] = "10s" }, nil,
			[]string{p + "outlierDetection.interval: 10s -> 5s"}, 1},
		{"base ejection time", func(c map[string]any) { delete(obj(c, "outlier_detection"), "base_ejection_time") }, nil,
			nil, 0}, // Envoy's default is 30s, the rule's value: not a difference
		{"base ejection time changed", func(c map[string]any) { obj(c, "outlier_detection")["base_ejection_time"] = "60s" }, nil,
			[]string{p + "outlierDetection.baseEjectionTime: 1m0s -> 30s"}, 1},
		{"max ejection percent", func(c map[string]any) { delete(obj(c, "outlier_detection"), "max_ejection_percent") }, nil,
			[]string{p + "outlierDetection.maxEjectionPercent: 10 -> 100"}, 1},
		{"enforcing success rate", func(c map[string]any) { delete(obj(c, "outlier_detection"), "enforcing_success_rate") }, nil,
			[]string{p + "outlierDetection.enforcingSuccessRate: 100 -> 0"}, 1},
		{"enforcing 5xx", func(c map[string]any) { obj(c, "outlier_detection")["enforcing_consecutive_5xx"] = 50 }, nil,
			[]string{p + "outlierDetection.enforcingConsecutive5xx: 50 -> 100"}, 1},
		{"gateway errors", func(c map[string]any) { obj(c, "outlier_detection")["consecutive_gateway_failure"] = 3 }, nil,
			[]string{p + "outlierDetection.consecutiveGatewayFailure: 3 -> 5"}, 1},
		{"split local origin", func(c map[string]any) { obj(c, "outlier_detection")["split_external_local_origin_errors"] = true }, nil,
			[]string{p + "outlierDetection.splitExternalLocalOriginErrors: true -> false"}, 1},
		{"no outlier detection", func(c map[string]any) { delete(c, "outlier_detection") }, nil,
			[]string{p + "outlierDetection: off -> (absent)", p + "outlierDetection.consecutive5xx: (absent) -> 2"}, 13},
		{"lb policy", func(c map[string]any) { c["lb_policy"] = "ROUND_ROBIN" }, nil,
			[]string{p + "lbPolicy: ROUND_ROBIN -> LEAST_REQUEST"}, 1},
		{"locality weighted", func(c map[string]any) { obj(c, "common_lb_config", "locality_weighted_lb_config") }, nil,
			[]string{p + "localityWeightedLb: true -> false"}, 1},
		{"panic threshold", func(c map[string]any) { delete(c, "common_lb_config") }, nil,
			[]string{p + "healthyPanicThreshold: 50 -> 0"}, 1},
		{"connect timeout", func(c map[string]any) { c["connect_timeout"] = "1s" }, nil,
			[]string{p + "connectTimeout: 1s -> 10s"}, 1},
		{"connection pool", func(c map[string]any) {
			obj(c, "circuit_breakers")["thresholds"] = []any{map[string]any{"max_connections": 100}}
		}, nil, []string{
			p + "circuitBreakers.maxConnections: 100 -> 4294967295",
			p + "circuitBreakers.maxPendingRequests: 1024 -> 4294967295",
		}, 4},
		{"sni", func(c map[string]any) { tlsContext(c)["sni"] = "productpage.global" }, nil,
			[]string{p + "tls.sni: productpage.global -> outbound_.9080_._.productpage.global"}, 1},
		{"san", func(c map[string]any) {
			vc := obj(tlsContext(c), "common_tls_context", "combined_validation_context", "default_validation_context")
			vc["match_subject_alt_names"] = vc["match_subject_alt_names"].([]any)[:1]
		}, nil, []string{p + "tls.subjectAltNames: spiffe://cluster1/ns/bookinfo-frontends/sa/bookinfo-productpage -> " +
			"spiffe://cluster1/ns/bookinfo-frontends/sa/bookinfo-productpage,spiffe://cluster2/ns/bookinfo-frontends/sa/bookinfo-productpage"}, 1},
		{"tls mode", func(c map[string]any) { delete(c, "transport_socket") }, nil,
			[]string{p + "tls.mode: DISABLE -> ISTIO_MUTUAL"}, 3},
		{"missing cluster", func(c map[string]any) { delete(c, "name") }, nil,
			[]string{"  " + global + ": (absent) -> present"}, 1},
		{"priority", nil, func(e map[string]any) { localityOf(e, "172.23.0.6")["priority"] = 1 },
			[]string{p + "endpoints[172.23.0.6:15443].priority: 1 -> 2"}, 1},
		{"locality", nil, func(e map[string]any) { obj(localityOf(e, "172.23.0.6"), "locality")["zone"] = "eu-west-1b" },
			[]string{p + "endpoints[172.23.0.6:15443].locality: eu-west-1/eu-west-1b -> eu-west-1/eu-west-1a"}, 1},
		{"locality weight", nil, func(e map[string]any) { localityOf(e, "172.23.0.6")["load_balancing_weight"] = 3 },
			[]string{p + "endpoints[172.23.0.6:15443].localityWeight: 3 -> 1"}, 1},
		{"weight", nil, func(e map[string]any) {
			localityOf(e, "172.23.0.6")["lb_endpoints"].([]any)[0].(map[string]any)["load_balancing_weight"] = 5
		}, []string{p + "endpoints[172.23.0.6:15443].weight: 5 -> 1"}, 1},
		{"missing endpoint", nil, func(e map[string]any) {
			var keep []any
			for _, l := range e["endpoints"].([]any) {
				if obj(l.(map[string]any), "locality")["zone"] != "us-east-1b" {
					keep = append(keep, l)
				}
			}
			e["endpoints"] = keep
		}, []string{p + "endpoints[pod/productpage-v1-b:9080].locality: (absent) -> us-east-1/us-east-1b"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := editedDump(t, tt.cluster, tt.eds)
			r := run(t, append([]string{"productpage", "-n", "bookinfo-frontends", "--dump", d}, files("cluster1")...)...)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if tt.wantCount == 0 {
				if r.code != 0 || len(lines) != 1 || !strings.HasSuffix(lines[0], ": in sync") {
					t.Fatalf("exit %d, want in sync:\n%s%s", r.code, r.stdout, r.stderr)
				}
				return
			}
			if r.code != 1 || r.stderr != "" {
				t.Fatalf("exit %d (want 1), stderr %q\n%s", r.code, r.stderr, r.stdout)
			}
			head := fmt.Sprintf("context cluster1, proxy bookinfo-frontends/productpage-v1-a: %d difference", tt.wantCount)
			if !strings.HasPrefix(lines[0], head) || len(lines) != tt.wantCount+1 {
				t.Fatalf("got\n%s\nwant %d differences", r.stdout, tt.wantCount)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w+"\n") {
					t.Errorf("missing line %q in\n%s", w, r.stdout)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	d := dump("cluster1", proxies[0])
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"--dump", d}, "error: drift needs the NAME of a VirtualDestination"},
		{"no proxy", []string{"productpage"}, "error: drift needs proxies: --proxy POD|deploy/NAME, -l SELECTOR, or --dump FILE with -f"},
		{"two sources", []string{"productpage", "--proxy", "a", "-l", "app=x"}, "error: give one of --proxy, -l and --dump"},
		{"dump without files", []string{"productpage", "--dump", d}, "error: --dump compares with translations read from files: add -f FILES"},
		{"files without dump", []string{"productpage", "--proxy", "a", "-f", examples}, "error: -f goes with --dump"},
		{"bad selector", []string{"productpage", "-l", "a in (", "--context", "x"}, "error: "},
		{"bad output", append([]string{"productpage", "--dump", d, "-o", "yaml"}, files("cluster1")...), `error: unknown output format "yaml": use text, json or markdown`},
		{"missing dump", append([]string{"productpage", "-n", "bookinfo-frontends", "--dump", "nope.json"}, files("cluster1")...), "error: "},
		{"not a dump", append([]string{"productpage", "-n", "bookinfo-frontends", "--dump", filepath.Join(examples, "bookinfo", "cluster1", "productpage-vd.yaml")}, files("cluster1")...), "error: "},
		{"other cluster", append([]string{"productpage", "-n", "bookinfo-frontends", "--dump", dump("cluster2", proxies[0])}, files("cluster1")...),
			`error: ` + dump("cluster2", proxies[0]) + `: no context of the files is cluster "cluster2" (the dump's CLUSTER_ID)`},
		{"no translation", append([]string{"nope", "-n", "bookinfo-frontends", "--dump", d}, files("cluster1")...),
			"error: context cluster1: no ServiceEntry translated from VirtualDestination bookinfo-frontends/nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, tt.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting with %q", r.stderr, tt.want)
			}
		})
	}
}

// TestOutputs: the differences of one edited dump, in each format.
func TestOutputs(t *testing.T) {
	d := editedDump(t, func(c map[string]any) {
		obj(c, "outlier_detection")["consecutive_5xx"] = 7
		c["lb_policy"] = "ROUND_ROBIN"
	}, nil)
	for _, o := range []string{"txt", "json", "md"} {
		t.Run(o, func(t *testing.T) {
			format := map[string]string{"txt": "text", "json": "json", "md": "markdown"}[o]
			r := run(t, append([]string{"productpage", "-n", "bookinfo-frontends", "--dump", d, "-o", format}, files("cluster1")...)...)
			if r.code != 1 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			gold.AssertString(t, filepath.Join("testdata", "edited."+o+".golden"), r.stdout)
		})
	}
}

// TestSubsetCluster: a subset added to the DestinationRule is a cluster the
// proxy does not hold yet.
func TestSubsetCluster(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(examples, "bookinfo", "cluster1", "productpage-vd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), "kind: DestinationRule")
	dr := "apiVersion: networking.istio.io/v1\n" + string(data[i:]) + "  subsets:\n  - name: v1\n    labels:\n      version: v1\n"
	p := filepath.Join(t.TempDir(), "dr.yaml")
	if err := os.WriteFile(p, []byte(dr), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, append(append([]string{"productpage", "-n", "bookinfo-frontends", "--dump", dump("cluster1", proxies[0])}, files("cluster1")...), "-f", p)...)
	want := "context cluster1, proxy bookinfo-frontends/productpage-v1-a: 1 difference (proxy -> expected)\n" +
		"  outbound|9080|v1|productpage.global: (absent) -> present\n"
	if r.code != 1 || r.stdout != want {
		t.Errorf("exit %d, stderr %q\n%s\nwant\n%s", r.code, r.stderr, r.stdout, want)
	}
}
