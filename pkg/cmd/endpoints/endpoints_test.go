package endpoints_test

import (
	"bytes"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd"
)

// Inputs live with the envoy package; istioctl's outputs with its writers.
const (
	inputs   = "../../envoy/testdata/"
	istioct  = "../../envoy/writer/testdata/istioctl/"
	clusters = inputs + "clusters.json"
	failover = inputs + "failover-sidecar-productpage.clusters.json"
	dump     = inputs + "failover-sidecar-productpage.config_dump.json"
	snapshot = inputs + "failover-istio-config.yaml"
)

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	code := cmd.Execute(append([]string{"endpoints"}, args...), streams)
	return out.String(), errOut.String(), code
}

func golden(t *testing.T, got, path string, own bool) {
	t.Helper()
	if own {
		gold.AssertString(t, path, got)
		return
	}
	gold.AssertFixed(t, path, got)
}

func TestIstioctlOutputs(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		golden string
	}{
		{[]string{"-f", clusters}, "pc-endpoints-clustersjson.clustersummary.txt"},
		{[]string{"-f", clusters, "--cluster", "outbound|15014||istio-policy.istio-system.svc.cluster.local"}, "pc-endpoints-clustersjson.clustersummaryfiltered.txt"},
		{[]string{"-f", clusters, "--address", "172.17.0.14"}, "pc-endpoints-clustersjson.clustersummaryfiltered.txt"},
		{[]string{"-f", clusters, "--status", "unhealthy"}, "pc-endpoints-clustersjson.status-unhealthy.txt"},
		{[]string{"-f", clusters, "--port", "9080"}, "pc-endpoints-clustersjson.port-9080.txt"},
		{[]string{"-f", clusters, "-o", "json", "--cluster", "outbound|9080||reviews.default.svc.cluster.local"}, "pc-endpoints-clustersjson.cluster-reviews.json"},
		{[]string{"-f", clusters, "-o", "json"}, "pc-endpoints-clustersjson.clustersnofiltered.txt"},
		{[]string{"-f", failover}, "failover-sidecar-productpage.clusters.istioctl-endpoints.txt"},
		// The config dump given too changes nothing but -o wide.
		{[]string{"-f", dump, "-f", failover}, "failover-sidecar-productpage.clusters.istioctl-endpoints.txt"},
		{[]string{"-f", failover, "--cluster", "outbound|9080||productpage.global", "-o", "json"}, "failover-sidecar-productpage.clusters.istioctl-endpoints-global.json"},
		// A config dump alone: istioctl's EDS view.
		{[]string{"-f", dump}, "failover-sidecar-productpage.config_dump.istioctl-eds.txt"},
		{[]string{"-f", inputs + "eds-only-sidecar.endpoints_config_dump.json", "--port", "8080"}, "pc-endpoints-eds.portfilter_output.txt"},
		{[]string{"-f", inputs + "eds-only-sidecar.endpoints_config_dump.json", "-o", "json"}, "pc-endpoints-eds.emptyfilter_output.json"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, out, istioct+tc.golden, false)
		})
	}
}

func TestOwnOutputs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"wide-eds", "", []string{"-f", failover, "-f", dump, "-o", "wide"}},
		{"markdown", "", []string{"-f", failover, "--cluster", "outbound|9080||productpage.global", "-o", "markdown"}},
		{"eds-markdown", "", []string{"-f", dump, "--cluster", "outbound|9080||productpage.global", "-o", "markdown"}},
		{"wide-clusters-only", "", []string{"-f", failover, "-o", "wide"}},
		{"vd-wide", "", []string{"-f", failover, "-f", dump, "--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "--translations", snapshot, "-o", "wide"}},
		{"vd-yaml", "", []string{"-f", failover, "--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "--translations", snapshot, "-o", "yaml"}},
		{"unix-socket", "", []string{"-f", clusters, "--address", "unix:///sock/mixer.socket", "-o", "wide"}},
		{"eds-vd-wide", "", []string{"-f", dump, "--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "--translations", snapshot, "-o", "wide"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.stdin, tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, out, filepath.Join("testdata", tc.name+".golden"), true)
		})
	}
}

func TestStdin(t *testing.T) {
	data, err := os.ReadFile(failover)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, string(data), "-f", "-")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	golden(t, out, istioct+"failover-sidecar-productpage.clusters.istioctl-endpoints.txt", false)
}

func TestErrors(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	if err := os.WriteFile(garbage, []byte(`{"cluster_statuses": [{"name": 1}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "endpoints needs a pod (NAME, pod/NAME, deploy/NAME), -l SELECTOR, or -f FILE"},
		{[]string{"-f", dump, "-f", dump}, dump + " and " + dump + " are both an Envoy /config_dump: give at most one of each kind"},
		{[]string{"-f", inputs + "compare-small.config_dump.json"}, inputs + "compare-small.config_dump.json has no EDS section: save /config_dump?include_eds, or /clusters?format=json"},
		{[]string{"-f", garbage}, garbage + ": cluster_statuses[0]: expected a string, found number (at byte 31)"},
		{[]string{"-f", clusters, "--status", "sick"}, `invalid --status "sick": use one of healthy, unhealthy, draining, timeout, degraded, unknown`},
		{[]string{"-f", clusters, "--port", "-1"}, "invalid --port -1"},
		{[]string{"-f", clusters, "-f", dump, "-f", failover}, "endpoints reads one or two files (a saved /clusters?format=json, and a /config_dump for -o wide), got 3 files"},
		{[]string{"-f", clusters, "--context", "x"}, "--context and --all-contexts choose live clusters; -f reads files"},
		{[]string{"-f", clusters, "--translations", snapshot}, "--translations and --vd-namespace go with --vd"},
		{[]string{"-l", "app=x", "pod/y"}, "give a pod or -l/--selector, not both"},
		{[]string{"-l", "app in (", "--kubeconfig", "/nonexistent"}, `invalid selector "app in ("`},
		{[]string{"pod/x", "--kubeconfig", "/nonexistent"}, "kubeconfig /nonexistent: no such file or directory"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if out != "" {
				t.Errorf("stdout %q", out)
			}
			if !strings.HasPrefix(errOut, "error: "+tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting with %q", errOut, "error: "+tc.want)
			}
		})
	}
}

// /clusters answers: istioctl reads them with the jsonpb reader, which
// keeps enum numbers Envoy does not define (its STATUS column is then
// empty) and rejects enum names it does not define, wherever they are.
// kubectl-vd prints the same table and names the numbers once, and
// refuses the names with one line that says where they are. Config dumps
// (the EDS view) are read as istioctl reads them: unknown names unset,
// unknown numbers kept, each named on stderr.
func TestValuesEnvoyDoesNotDefine(t *testing.T) {
	odd := inputs + "odd/"
	for _, tc := range []struct {
		name       string
		args       []string
		golden     string
		wantStderr string
		wantCode   int
	}{
		{"health number", []string{"-f", odd + "health-number.clusters.json"}, istioct + "odd-health-number.istioctl-endpoints.txt",
			"warning: cluster \"outbound|9080||reviews.default.svc.cluster.local\": host_statuses[1].health_status.eds_health_status: 99 is not a value of envoy.config.core.v3.HealthStatus; kept as a number, as istioctl does (and 1 more like it)\n" +
				"warning: cluster \"outbound|9080||ratings.default.svc.cluster.local\": circuit_breakers.thresholds[0].priority: 7 is not a value of envoy.config.core.v3.RoutingPriority; kept as a number, as istioctl does\n", 0},
		{"health number filtered", []string{"-f", odd + "health-number.clusters.json", "--address", "10.0.0.1"}, "testdata/odd-health-number-filtered.txt",
			"warning: cluster \"outbound|9080||reviews.default.svc.cluster.local\": host_statuses[1].health_status.eds_health_status: 99 is not a value of envoy.config.core.v3.HealthStatus; kept as a number, as istioctl does\n", 0},
		{"health name", []string{"-f", odd + "health-name.clusters.json"}, "",
			"error: " + odd + "health-name.clusters.json: cluster_statuses[0]: host_statuses[1].health_status.eds_health_status: \"SICK\" is not a value of envoy.config.core.v3.HealthStatus (istioctl rejects the answer too)\n", 1},
		{"priority name", []string{"-f", odd + "priority-name.clusters.json"}, "",
			"error: " + odd + "priority-name.clusters.json: cluster_statuses[1]: circuit_breakers.thresholds[0].priority: \"URGENT\" is not a value of envoy.config.core.v3.RoutingPriority (istioctl rejects the answer too)\n", 1},
		{"stat type name", []string{"-f", odd + "stat-type-name.clusters.json", "-o", "json"}, "",
			"error: " + odd + "stat-type-name.clusters.json: cluster_statuses[0]: host_statuses[0].stats[0].type: \"HISTOGRAM\" is not a value of envoy.admin.v3.SimpleMetric.Type (istioctl rejects the answer too)\n", 1},
		{"eds", []string{"-f", odd + "eds.config_dump.json"}, istioct + "odd-eds.istioctl-eds.txt",
			"warning: endpoints of \"outbound|9080||reviews.default.svc.cluster.local\": endpoints[0].lb_endpoints[1].health_status: \"SICK\" is not a value of envoy.config.core.v3.HealthStatus; read as unset (UNKNOWN), as istioctl does\n" +
				"warning: endpoints of \"outbound|9080||reviews.default.svc.cluster.local\": endpoints[0].lb_endpoints[2].health_status: 99 is not a value of envoy.config.core.v3.HealthStatus; kept as a number, as istioctl does\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d", code, tc.wantCode)
			}
			if errOut != tc.wantStderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, tc.wantStderr)
			}
			if tc.golden == "" {
				if out != "" {
					t.Errorf("stdout %q", out)
				}
				return
			}
			golden(t, out, tc.golden, strings.HasPrefix(tc.golden, "testdata/"))
		})
	}
}
