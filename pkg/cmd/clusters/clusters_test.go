package clusters_test

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
	failover = inputs + "failover-sidecar-productpage.config_dump.json"
	small    = inputs + "compare-small.config_dump.json"
	snapshot = inputs + "failover-istio-config.yaml"
)

func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	code := cmd.Execute(append([]string{"clusters"}, args...), streams)
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
		{[]string{"-f", failover}, "failover-sidecar-productpage.config_dump.istioctl-clusters.txt"},
		{[]string{"-f", failover, "--fqdn", "productpage.global"}, "failover-sidecar-productpage.config_dump.istioctl-clusters-fqdn-global.txt"},
		{[]string{"--filename", small, "--port", "8000"}, "pc-clusters-port8000.compare-small.txt"},
		{[]string{"-f", small, "-o", "json"}, "pc-clusters.compare-small.json"},
		{[]string{"-f", inputs + "istio-1.21-waypoint-httpbin.config_dump.json", "-o", "short"}, "pc-clusters.istio-1.21-waypoint-httpbin.txt"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, out, istioct+tc.golden, false)
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
	golden(t, out, istioct+"failover-sidecar-productpage.config_dump.istioctl-clusters.txt", false)
}

func TestOwnOutputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"wide", []string{"-f", failover, "-o", "wide"}},
		{"markdown", []string{"-f", failover, "--fqdn", "productpage.global", "-o", "markdown"}},
		{"vd-wide", []string{"-f", failover, "--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "--translations", snapshot, "-o", "wide"}},
		{"vd-namespace-flag", []string{"-f", failover, "--vd", "productpage", "-n", "bookinfo-frontends", "--translations", snapshot}},
		{"vd-json", []string{"-f", failover, "--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "--translations", snapshot, "-o", "json"}},
		{"yaml", []string{"-f", small, "-o", "yaml"}},
		{"legacy", []string{"-f", inputs + "describe-productpage-v1-7bbd79f8fd-k6j79.config_dump.json", "--direction", "inbound"}},
		{"legacy-json", []string{"-f", inputs + "describe-productpage-v1-7bbd79f8fd-k6j79.config_dump.json", "--fqdn", "details", "--subset", "v1", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, out, filepath.Join("testdata", tc.name+".golden"), true)
		})
	}
}

func TestErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(t.TempDir(), "binary.json")
	if err := os.WriteFile(binary, []byte("\x7fELF\x02\x01\x01\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.json")
	data, _ := os.ReadFile(small)
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "clusters needs a pod (NAME, pod/NAME, deploy/NAME), -l SELECTOR, or -f FILE"},
		{[]string{"-f", empty}, empty + ": empty, not an Envoy admin API answer"},
		{[]string{"-f", binary}, binary + `: not JSON, not an Envoy admin API answer (invalid character '\x7f' looking for beginning of value)`},
		{[]string{"-f", truncated}, truncated + ": configs[1]: unexpected end of JSON input (at byte 26640)"},
		{[]string{"-f", "/nonexistent.json"}, "cannot read /nonexistent.json: no such file or directory"},
		{[]string{"-f", inputs + "clusters.json"}, inputs + "clusters.json is an Envoy /clusters?format=json answer, which lists hosts but not cluster types nor DestinationRules: give a saved /config_dump (curl localhost:15000/config_dump)\n"},
		{[]string{"-f", inputs + "eds-only-sidecar.endpoints_config_dump.json"}, inputs + "eds-only-sidecar.endpoints_config_dump.json: the config dump has no clusters section (envoy.admin.v3.ClustersConfigDump)"},
		{[]string{"-f", small, "-f", failover}, "clusters reads one file (a saved /config_dump), got 2 files"},
		{[]string{"-f", small, "pod/x"}, "give a pod or -f files, not both"},
		{[]string{"-f", small, "-o", "xml"}, `output format "xml" not supported, use one of: short, wide, json, yaml`},
		{[]string{"-f", small, "--port", "70000"}, "invalid --port 70000"},
		{[]string{"-f", small, "--request-timeout", "abc"}, `invalid --request-timeout "abc": use a duration such as 5s or 1m`},
		{[]string{"-f", small, "--vd", "productpage"}, "--vd with -f needs --translations FILE: a find -o yaml snapshot holding the VirtualDestination's ServiceEntries"},
		{[]string{"-f", small, "--vd", "productpage", "--translations", snapshot}, "no ServiceEntry translated from VirtualDestination default/productpage in " + snapshot},
		{[]string{"-f", small, "--vd", "not/a-name", "--translations", snapshot}, `invalid VirtualDestination name "not/a-name"`},
		{[]string{"-f", "-", "--vd", "productpage", "--translations", "-"}, "standard input (-) can be read only once"},
		{[]string{"svc/productpage"}, `"svc/productpage": only pods (NAME or pod/NAME) and deployments (deploy/NAME) can be read`},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
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

// Values Envoy's schema does not define (a discovery type "BOGUS" or 99, a
// cluster without "@type", an lb_policy or TLS version unknown to Envoy)
// print as istioctl's writers print them, and each is named once on
// stderr, the clusters sharing it counted.
func TestValuesEnvoyDoesNotDefine(t *testing.T) {
	in := inputs + "odd/clusters.config_dump.json"
	const (
		noType    = "warning: dynamic_active_clusters[3].cluster: no \"@type\": read as an empty cluster, as istioctl does\n"
		bogusType = "warning: cluster \"outbound|9080||details.default.svc.cluster.local\": type: \"BOGUS\" is not a value of envoy.config.cluster.v3.Cluster.DiscoveryType; read as unset (STATIC), as istioctl does (and 1 more like it)\n"
		numType   = "warning: cluster \"prometheus_stats\": type: 99 is not a value of envoy.config.cluster.v3.Cluster.DiscoveryType; kept as a number, as istioctl does\n"
		tls       = "warning: cluster \"prometheus_stats\": transport_socket.typed_config.common_tls_context.tls_params.tls_minimum_protocol_version: \"TLSv9\" is not a value of envoy.extensions.transport_sockets.tls.v3.TlsParameters.TlsProtocol; read as unset (TLS_AUTO), as istioctl does\n"
		lb        = "warning: cluster \"outbound|9080||ratings.default.svc.cluster.local\": lb_policy: \"FASTEST\" is not a value of envoy.config.cluster.v3.Cluster.LbPolicy; read as unset (ROUND_ROBIN), as istioctl does\n"
	)
	for _, tc := range []struct {
		name       string
		args       []string
		golden     string
		wantStderr string
	}{
		{"table", []string{"-f", in}, istioct + "odd-clusters.istioctl-clusters.txt", noType + bogusType + numType},
		{"json", []string{"-f", in, "-o", "json"}, istioct + "odd-clusters.istioctl-clusters.json", noType + bogusType + numType + tls + lb},
		// Filtered out, a cluster is not warned about.
		{"filtered", []string{"-f", in, "--fqdn", "ratings", "-o", "json"}, "testdata/odd-ratings.json", lb},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "", tc.args...)
			if code != 0 {
				t.Errorf("exit %d", code)
			}
			if errOut != tc.wantStderr {
				t.Errorf("stderr:\n%s\nwant:\n%s", errOut, tc.wantStderr)
			}
			golden(t, out, tc.golden, strings.HasPrefix(tc.golden, "testdata/"))
		})
	}
}

// Mistakes in the arguments are usage errors: they point to the help.
func TestArgumentMistakesPointToTheHelp(t *testing.T) {
	for _, args := range [][]string{
		{"-f", small, "pod/x"},
		{"-f", small, "-l", "app=x"},
		{"-f", small, "-f", small},
		{"-f", "-", "-f", "-"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, errOut, code := run(t, "", args...)
			if code != 1 || !strings.HasSuffix(errOut, ". See 'kubectl vd clusters -h' for help and examples\n") || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stderr %q: want one usage error", code, errOut)
			}
		})
	}
}
