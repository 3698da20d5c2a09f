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
		// A failure that takes nothing down is a typo, not a scenario.
		{"unknown down", args("cluster1", "--locality", "us-east-1/us-east-1a", "--down", "cluster3"), `error: --down "cluster3": no endpoint of VirtualDestination bookinfo-frontends/productpage runs in that cluster (they run in cluster1, cluster2)`},
		{"unknown down in a list", args("cluster1", "--locality", "us-east-1/us-east-1a", "--down", "cluster2,cluster3"), `error: --down "cluster3": no endpoint of VirtualDestination bookinfo-frontends/productpage runs in that cluster (they run in cluster1, cluster2)`},
		{"unknown down-locality", args("cluster1", "--locality", "us-east-1/us-east-1a", "--down-locality", "us-west-2"), `error: --down-locality "us-west-2": no endpoint of VirtualDestination bookinfo-frontends/productpage is in that locality`},
		{"eject not an endpoint", args("cluster1", "--locality", "us-east-1/us-east-1a", "--eject", "1.2.3.4:9080"), `error: --eject "1.2.3.4:9080": no endpoint of VirtualDestination bookinfo-frontends/productpage has that address and port`},
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

// TestFromNotFoundInAnyContext: a --from deployment that no context has is
// said once, also next to a context that could not be read (the others
// hide nothing), and never taken for a missing translation.
func TestFromNotFoundInAnyContext(t *testing.T) {
	for _, dead := range []bool{false, true} {
		o := &Options{Name: "productpage", Namespace: "bookinfo-frontends", FromNamespace: "bookinfo-frontends", From: "deploy/nope",
			FilenameOptions: cmdutil.FilenameOptions{Filenames: append(cluster("cluster1"), cluster("cluster2")...)}}
		o.Filenames = []string{o.Filenames[1], o.Filenames[3], o.Filenames[5], o.Filenames[7]}
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		worlds, err := o.fromFiles()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range worlds {
			// As fromContexts leaves a context without the deployment.
			w.Err = liveResolveError(errors.New("deployment bookinfo-frontends/nope not found"))
		}
		want := []string{"deploy/nope not found in namespace bookinfo-frontends of any context read"}
		if dead {
			worlds = append(worlds, &world{Context: "dead", Err: errors.New("cannot reach https://127.0.0.1:1: connection refused")})
			want = []string{"context dead: cannot reach https://127.0.0.1:1: connection refused", want[0]}
		}
		reports, problems := o.reports(worlds)
		if len(reports) != 0 || strings.Join(problems, "\n") != strings.Join(want, "\n") {
			t.Errorf("dead context %v: %d reports, problems %q, want %q", dead, len(reports), problems, want)
		}
	}
}

// TestLiveResolveError: only a deployment or pod that is not there lets
// the context be skipped (the source lives in another context); any other
// failure (no ready pod, a timeout) is that context's error.
func TestLiveResolveError(t *testing.T) {
	for msg, skipped := range map[string]bool{
		"deployment bookinfo-frontends/productpage-v1 not found":        true,
		"pod bookinfo-frontends/productpage-v1-a not found":             true,
		"deployment bookinfo-frontends/productpage-v1 has no ready pod": false,
		"deployment bookinfo-frontends/productpage-v1: timed out":       false,
	} {
		if got := isNotFound(liveResolveError(errors.New(msg))); got != skipped {
			t.Errorf("%q: skipped %v, want %v", msg, got, skipped)
		}
	}
}

// TestPortLevelHidesOutlierDetection: port-level settings replace the
// top-level traffic policy (istiod's MergeTrafficPolicy), so outlier
// detection set at the top does not apply to a port that has its own
// settings; the note says why, as the rule seems to have it.
func TestPortLevelHidesOutlierDetection(t *testing.T) {
	r := run(t, "web", "-n", "shop", "-f", filepath.Join("testdata", "port-level"), "--locality", "us-east-1/us-east-1a")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	port80, port81, _ := strings.Cut(r.stdout, "web.global:81")
	want := "note: the portLevelSettings for port 80 of DestinationRule shop/web-dr replace its top-level trafficPolicy: the top-level outlierDetection does not apply to this port\n"
	if !strings.Contains(port80, want) {
		t.Errorf("port 80: no note %q in\n%s", want, port80)
	}
	if strings.Contains(port81, "portLevelSettings") || !strings.Contains(port81, "outlier detection on") {
		t.Errorf("port 81 takes the top-level policy:\n%s", port81)
	}
}

// TestDestinationRuleForAnotherHost: the VirtualDestination's
// DestinationRule names another host (a typo): no traffic policy applies,
// and the note says which rule was meant to.
func TestDestinationRuleForAnotherHost(t *testing.T) {
	r := run(t, "web", "-n", "shop", "-f", filepath.Join("testdata", "dr-host-typo"), "--locality", "us-east-1/us-east-1a", "--port", "80")
	want := "note: no DestinationRule applies to web.global: DestinationRule shop/web-dr of the VirtualDestination is for host wbe.global\n"
	if r.code != 0 || r.stderr != "" || !strings.Contains(r.stdout, want) {
		t.Errorf("exit %d, stderr %q, want the note %q in\n%s", r.code, r.stderr, want, r.stdout)
	}
}

// TestMisspelledName: a VirtualDestination nobody translated is an error
// that names those the contexts do hold a translation of.
func TestMisspelledName(t *testing.T) {
	r := run(t, "productpag", "-n", "bookinfo-frontends", "-f", filepath.Join(examples, "bookinfo", "cluster1"), "--locality", "us-east-1/us-east-1a")
	want := "error: no context holds a translation of VirtualDestination bookinfo-frontends/productpag (translated VirtualDestinations: bookinfo-backends/reviews, bookinfo-frontends/productpage, bookinfo-staging/productpage)\n"
	if r.code != 2 || r.stderr != want || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q, want %q", r.code, r.stdout, r.stderr, want)
	}
}
