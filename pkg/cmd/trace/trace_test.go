package trace_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/internal/golden"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd"
)

const (
	examples = "../../../examples/bookinfo/"
	dumps    = "../../envoy/testdata/istiod/"
	pods     = "../../trace/testdata/kubernetes/"
	fixture  = "../../mesh/testdata/generated/"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code := cmd.Execute(append([]string{"trace"}, args...), streams)
	return out.String(), errOut.String(), code
}

// files are the configuration and the gateway's dump of one cluster.
func files(cluster string) []string {
	return []string{
		"--dump", dumps + cluster + ".istio-gateways.istio-ingressgateway.config_dump.json",
		"-f", examples + cluster, "-f", pods + cluster + ".yaml",
	}
}

func TestOutputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"gateway-cluster1.txt", append([]string{"http://bookinfo.example.com/productpage"}, files("cluster1")...), 0},
		{"gateway-cluster2.txt", append([]string{"http://bookinfo.example.com/productpage"}, files("cluster2")...), 0},
		{"gateway-cluster1-wide.txt", append([]string{"http://bookinfo.example.com/static/x.css", "-o", "wide"}, files("cluster1")...), 0},
		{"gateway-cluster1.json", append([]string{"http://bookinfo.example.com/productpage", "-o", "json"}, files("cluster1")...), 0},
		{"gateway-cluster1.md", append([]string{"http://bookinfo.example.com/productpage", "-o", "markdown"}, files("cluster1")...), 0},
		// Not routed: 404 on both sides, exit 1.
		{"gateway-not-routed.txt", append([]string{"http://bookinfo.example.com/productpage/"}, files("cluster1")...), 1},
		// cluster2's proxy against cluster1's configuration: they disagree.
		{"gateway-disagree.txt", []string{"http://bookinfo.example.com/productpage", "--dump", dumps + "cluster2.istio-gateways.istio-ingressgateway.config_dump.json", "-f", examples + "cluster1", "-f", pods + "cluster1.yaml"}, 1},
		// The proxy alone, and the configuration alone.
		{"dump-only.txt", []string{"http://productpage.global:9080/", "--dump", fixture + "failover-sidecar-productpage.config_dump.json"}, 0},
		{"config-only.txt", []string{"http://bookinfo.example.com/login", "-f", examples + "cluster2", "-f", pods + "cluster2.yaml", "--from-gateway", "istio-gateways/istio-ingressgateway"}, 0},
		{"config-only-sidecar.txt", []string{"http://productpage.global:9080/", "-f", fixture + "failover-istio-config.yaml", "-f", fixture + "failover-k8s-objects.yaml", "--from-namespace", "bookinfo-frontends", "--locality", "eu-west-1/eu-west-1a"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != tc.code || errOut != "" {
				t.Fatalf("exit %d (want %d), stderr %q\n%s", code, tc.code, errOut, out)
			}
			golden.AssertString(t, filepath.Join("testdata", tc.name), out)
		})
	}
}

// TestBadInput: every mistake is one line on stderr and exit 2.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"url", []string{"not a url", "--dump", "x"}, `error: invalid URL "not a url": use http://HOST[:PORT]/PATH`},
		{"url port", []string{"http://h:0/p", "--dump", "x"}, `error: invalid URL "http://h:0/p": port "0"`},
		{"dump not a dump", []string{"http://h/p", "--dump", dumps + "cluster1.istio-gateways.istio-ingressgateway.clusters.json"}, `not an Envoy /config_dump answer: no "configs" list`},
		{"dump not json", []string{"http://h/p", "--dump", "trace.go"}, "error: trace.go: not JSON, not an Envoy admin API answer"},
		{"dump missing", []string{"http://h/p", "--dump", "missing.json"}, "error: cannot read missing.json: no such file or directory"},
		{"locality", []string{"http://h/p", "-f", examples + "cluster1", "--from-namespace", "default", "--locality", "a//b"}, `error: invalid --locality "a//b": use REGION/ZONE[/SUBZONE]`},
		{"locality missing", []string{"http://h/p", "-f", examples + "cluster1", "--from-namespace", "default"}, "error: --from-namespace needs --locality"},
		{"header", []string{"http://h/p", "--dump", "x", "-H", "novalue"}, `error: invalid header "novalue": use -H 'Name: value'`},
		{"from offline", []string{"http://h/p", "--dump", "x", "--from", "pod"}, "error: --from and -l read a live proxy; offline, give --dump FILE. See 'kubectl vd trace -h'"},
		{"no gateway", []string{"http://h/p", "-f", examples + "cluster1", "--from-gateway", "istio-gateways/nope"}, "error: no gateway pod or Service istio-gateways/nope in the files"},
		{"output", []string{"http://h/p", "--dump", "x", "-o", "yaml"}, `error: invalid output format "yaml": use wide, json or markdown. See 'kubectl vd trace -h'`},
		// A dump that breaks off or holds something else is named.
		{"dump truncated", []string{"http://h/p", "--dump", "testdata/bad/truncated.json"}, "error: testdata/bad/truncated.json: "},
		{"dump configs not a list", []string{"http://h/p", "--dump", "testdata/bad/configs-not-list.json"}, "error: testdata/bad/configs-not-list.json: "},
		{"dump binary", []string{"http://h/p", "--dump", "testdata/bad/binary.json"}, "error: testdata/bad/binary.json: not JSON"},
		{"dump empty", []string{"http://h/p", "--dump", "testdata/bad/empty.json"}, "error: testdata/bad/empty.json: empty"},
		// A waypoint's routes are not a sidecar's: said, not traced as one.
		{"dump waypoint", []string{"http://httpbin:8000/", "--dump", "../../envoy/testdata/istio-1.21-waypoint-httpbin.config_dump.json"}, "waypoint"},
		{"method", []string{"http://h/p", "--dump", "x", "-X", "G T"}, `error: invalid method "G T"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != 2 || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q, want one line with %q", errOut, tc.want)
			}
		})
	}
}
