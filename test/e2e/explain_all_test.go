package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestExplainAllNamespacesTrouble: explain -A on real apiservers with a
// dead context, a context without the Gloo CRDs, --suppress (also a
// malformed one) and an annotation naming a code that is no check's.
func TestExplainAllNamespacesTrouble(t *testing.T) {
	// A dead context is named in one line; the others are still shown,
	// with their summary rows; the exit status says something was missed.
	stdout, stderr, code := runVD(t, "explain", "-A", "--context", "cluster1,cluster2,dead", "--request-timeout", "5s")
	if code != 2 || !strings.HasPrefix(stderr, "error: context dead: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("dead context: exit %d (want 2), stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "\n3 VirtualDestinations: ") || !strings.Contains(stdout, "bookinfo-frontends   productpage   cluster1") {
		t.Errorf("dead context: the others are not shown:\n%s", stdout)
	}

	// Only a dead context: nothing to show.
	stdout, stderr, code = runVD(t, "explain", "-A", "--context", "dead", "--request-timeout", "5s")
	if code != 2 || stdout != "" || !strings.HasSuffix(stderr, "error: no context could be read\n") {
		t.Errorf("dead only: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	// cluster3 has no Gloo CRDs: -A with --suppress, in SARIF.
	stdout, stderr, code = runVD(t, "explain", "-A", "--context", istioOnlyCluster, "--suppress", "VD203", "-o", "sarif")
	if code != 0 || stderr != "" {
		t.Fatalf("cluster3: exit %d, stderr %q", code, stderr)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID       string `json:"ruleId"`
				Suppressions []struct {
					Kind string `json:"kind"`
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("cluster3: not one SARIF run (%v):\n%s", err, stdout)
	}
	suppressed := 0
	for _, r := range log.Runs[0].Results {
		if r.RuleID == "VD203" {
			if len(r.Suppressions) != 1 || r.Suppressions[0].Kind != "external" {
				t.Errorf("cluster3: VD203 not suppressed by the flag: %+v", r)
			}
			suppressed++
		}
	}
	if suppressed == 0 {
		t.Errorf("cluster3: no VD203 result kept as suppressed:\n%s", stdout)
	}

	// A malformed --suppress is a usage error, before any cluster is read.
	_, stderr, code = runVD(t, "explain", "-A", "--context", "cluster1", "--suppress", "VD201=DestinationRule")
	if code != 2 || !strings.HasPrefix(stderr, `error: invalid --suppress "VD201=DestinationRule": `) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("malformed --suppress: exit %d, stderr %q", code, stderr)
	}

	// An annotation with a typo: told once, however many chains name the
	// object.
	const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: productpage-typo
  namespace: bookinfo-frontends
  annotations:
    vd.kubectl.io/suppress: "KIA0201, VD630"
spec:
  host: productpage.global
`
	if err := testEnv.ApplyYAML("cluster1", []byte(dr)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := testEnv.Delete("cluster1", "destinationrules.networking.istio.io/bookinfo-frontends/productpage-typo"); err != nil {
			t.Errorf("restoring cluster1: %v", err)
		}
	})
	_, stderr, code = runVD(t, "explain", "-A", "--context", "cluster1,cluster2")
	want := `warning: [cluster1] DestinationRule bookinfo-frontends/productpage-typo: annotation vd.kubectl.io/suppress names "VD630", which is no check: it suppresses nothing` + "\n"
	if code != 0 || stderr != want {
		t.Errorf("annotation: exit %d, stderr %q, want %q", code, stderr, want)
	}
}
