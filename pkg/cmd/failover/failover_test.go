package failover

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
)

const examples = "../../../examples"

type result struct {
	stdout, stderr string
	code           int
}

// run runs failover as main would: errors become one "error: ..." line
// and an exit status.
func run(t *testing.T, args ...string) result {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	cmd := NewCmdFailover(streams)
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
			msg := err.Error()
			if cmdutil.IsUsage(err) {
				msg += "\nSee 'kubectl vd failover -h' for help and examples"
			}
			fmt.Fprintf(errOut, "error: %s\n", msg)
		}
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

func cluster(c string) []string {
	return []string{"-f", filepath.Join(examples, "bookinfo", c), "-f", filepath.Join(examples, "bookinfo", "kubernetes", c)}
}

func args(c string, extra ...string) []string {
	return append(append([]string{"productpage", "-n", "bookinfo-frontends"}, cluster(c)...), extra...)
}

func TestGolden(t *testing.T) {
	gen := generated
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"cluster1-a-scenarios.txt", args("cluster1", "--from", "productpage-v1-a", "--down", "cluster1", "--down-locality", "us-east-1/us-east-1a", "--eject", "172.23.0.6:15443"), 0},
		{"cluster1-a-scenarios.json", args("cluster1", "--from", "productpage-v1-a", "--down", "cluster1", "--down-locality", "us-east-1/us-east-1a", "-o", "json"), 0},
		{"cluster1-a-scenarios.md", args("cluster1", "--from", "productpage-v1-a", "--down", "cluster1", "--down-locality", "us-east-1/us-east-1a", "-o", "markdown"), 0},
		// The seed's test: productpage in cluster1 scaled to zero, seen
		// from cluster1's ingress gateway.
		{"seed-gateway-cluster1-down.txt", args("cluster1", "--from", "istio-ingressgateway", "--from-namespace", "istio-gateways", "--down-locality", "us-east-1", "--eject", "pod/productpage-v1-a:9080,pod/productpage-v1-b:9080"), 0},
		// Every endpoint down: 503 UH, exit 1.
		{"cluster2-all-down.txt", args("cluster2", "--locality", "eu-west-1/eu-west-1a", "--down", "cluster1,cluster2"), 1},
		// No outlier detection in cluster2: no priorities, and failing
		// hosts keep their share.
		{"no-outlier-detection.txt", append(args("cluster2", "--locality", "eu-west-1/eu-west-1a", "--down-locality", "eu-west-1/eu-west-1a"),
			"-f", filepath.Join(examples, "variants", "failover-without-outlier-detection", "cluster2")), 0},
		{"generated.txt", []string{"productpage", "-n", "bookinfo-frontends", "-f", filepath.Join(gen, "failover-istio-config.yaml"),
			"-f", filepath.Join(gen, "failover-k8s-objects.yaml"), "--from", "deploy/productpage-v1", "--down", "cluster1", "--eject", "172.23.0.6:15443"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			if r.code != tt.code || r.stderr != "" {
				t.Fatalf("exit %d (want %d), stderr %q", r.code, tt.code, r.stderr)
			}
			gold.AssertString(t, filepath.Join("testdata", tt.name+".golden"), r.stdout)
		})
	}
}

// TestBadInput: every mistake is one line on stderr and exit 2.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"-f", examples}, "error: failover needs the NAME of a VirtualDestination"},
		{"two names", []string{"a", "b", "--locality", "r/z"}, "error: failover takes one VirtualDestination NAME, got 2 arguments: a b"},
		{"no source", args("cluster1"), "error: failover needs a source: --from POD|deploy/NAME or --locality REGION/ZONE[/SUBZONE]"},
		{"both sources", args("cluster1", "--from", "x", "--locality", "r/z"), "error: give --from or --locality, not both"},
		{"bad locality", args("cluster1", "--locality", "r//s"), `error: --locality: locality "r//s" has an empty zone`},
		{"region only", args("cluster1", "--locality", "r"), `error: --locality "r": give at least region/zone, as a proxy's locality has both`},
		{"bad eject", args("cluster1", "--locality", "r/z", "--eject", "10.0.0.1"), `error: --eject "10.0.0.1": use ADDRESS:PORT`},
		{"bad eject port", args("cluster1", "--locality", "r/z", "--eject", "10.0.0.1:http"), `error: --eject "10.0.0.1:http": the port must be a number between 1 and 65535`},
		{"empty down", args("cluster1", "--locality", "r/z", "--down", "a,"), `error: --down "a,": empty value`},
		{"bad output", args("cluster1", "--locality", "r/z", "-o", "yaml"), `error: unknown output format "yaml": use text, json or markdown`},
		{"bad from", args("cluster1", "--from", "svc/x"), `error: --from: "svc/x": only pods (NAME or pod/NAME) and deployments (deploy/NAME) can be read`},
		{"missing pod", args("cluster1", "--from", "nope"), "error: context cluster1: pod bookinfo-frontends/nope not found"},
		{"missing file", []string{"productpage", "-f", "nope.yaml", "--locality", "r/z"}, "error: "},
		{"no translation", []string{"nope", "-n", "bookinfo-frontends", "-f", filepath.Join(examples, "bookinfo", "cluster1"), "--locality", "r/z"}, "error: no context holds a translation of VirtualDestination bookinfo-frontends/nope"},
		{"bad port", args("cluster1", "--locality", "r/z", "--port", "1"), "error: context cluster1: no ServiceEntry of VirtualDestination bookinfo-frontends/productpage has port 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			if r.code != 2 {
				t.Errorf("exit %d, want 2; stderr %q", r.code, r.stderr)
			}
			first, _, _ := strings.Cut(r.stderr, "\n")
			if !strings.HasPrefix(first, tt.want) {
				t.Errorf("stderr %q, want it to start with %q", r.stderr, tt.want)
			}
			if strings.Count(strings.TrimSuffix(r.stderr, "\n"), "\n") > 1 || strings.Contains(r.stderr, "goroutine") {
				t.Errorf("more than one line (and the usage hint): %q", r.stderr)
			}
			if r.stdout != "" && !strings.Contains(tt.name, "translation") {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
}
