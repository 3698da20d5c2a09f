package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// diffResult is the part of `diff -o json` the tests read.
type diffResult struct {
	A, B struct {
		Label, Context, Cluster string
	}
	Summary struct {
		Changed, OnlyInA, OnlyInB, Same int
	}
	Objects []struct {
		Kind, Namespace, Name, Status string
		Changes                       []struct {
			Path, Type string
			Old, New   any
		}
	}
}

func decodeDiff(t *testing.T, stdout string) diffResult {
	t.Helper()
	var r diffResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("diff -o json: %v\n%s", err, stdout)
	}
	return r
}

// changes lists "KIND NAME STATUS [path old -> new]..." for the objects that
// are not the same.
func changes(r diffResult) []string {
	var out []string
	for _, o := range r.Objects {
		if o.Status == "same" {
			continue
		}
		line := o.Kind + " " + o.Name + " " + o.Status
		for _, c := range o.Changes {
			line += " [" + c.Path + " " + jsonText(c.Old) + " -> " + jsonText(c.New) + "]"
		}
		out = append(out, line)
	}
	return out
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const plantedChange = "DestinationRule productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad changed " +
	"[spec.trafficPolicy.portLevelSettings[port=9080].outlierDetection.consecutive5xxErrors 2 -> 5]"

func TestDiffVirtualDestinationBetweenClusters(t *testing.T) {
	stdout, stderr, code := runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "--context", "cluster1", "--context", "cluster2")
	if code != 1 || stderr != "" {
		t.Fatalf("exit %d (want 1), stderr %q", code, stderr)
	}
	assertGolden(t, "diff-vd-clusters", stdout)

	stdout, stderr, code = runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "--context", "cluster1,cluster2", "-o", "json")
	if code != 1 || stderr != "" {
		t.Fatalf("-o json: exit %d (want 1), stderr %q", code, stderr)
	}
	r := decodeDiff(t, stdout)
	want := []string{
		plantedChange,
		"WorkloadEntry vd-productpage-global-bookinfo-app-productpage-172-23-0-5 only-in-b",
		"WorkloadEntry vd-productpage-global-bookinfo-app-productpage-172-23-0-6 only-in-a",
	}
	if got := changes(r); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("differences:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r.A.Context != "cluster1" || r.A.Cluster != "cluster1" || r.B.Context != "cluster2" || r.B.Cluster != "cluster2" || r.Summary.Same != 1 {
		t.Errorf("sides %+v %+v, summary %+v", r.A, r.B, r.Summary)
	}
}

func TestDiffRouteTableSameButForClusterNames(t *testing.T) {
	stdout, stderr, code := runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--kind", "rt", "--context", "cluster1", "--context", "cluster2")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d (want 0), stderr %q", code, stderr)
	}
	assertGolden(t, "diff-rt-clusters", stdout)

	// Without folding, the names embed the cluster and do not pair up.
	stdout, _, code = runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--kind", "rt", "--context", "cluster1", "--context", "cluster2", "--raw", "--brief")
	if code != 1 || !strings.Contains(stdout, "1 only in A, 1 only in B\n") {
		t.Errorf("--raw: exit %d (want 1):\n%s", code, stdout)
	}
}

func TestDiffSnapshotOfSeveralContexts(t *testing.T) {
	stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", "yaml")
	if code != 0 || stderr != "" {
		t.Fatalf("find -o yaml: exit %d, stderr %q", code, stderr)
	}
	snap := filepath.Join(t.TempDir(), "snapshot.yaml")
	if err := os.WriteFile(snap, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
	}{
		// Live cluster2 against the snapshot's cluster2: nothing changed.
		{[]string{"--context", "cluster2", "--from", snap}, 0},
		// The snapshot's cluster1 against live cluster2: the clusters' difference.
		{[]string{"--context", "cluster2", "--from", snap, "--from-context", "cluster1", "--kind", "vd"}, 1},
		// The two contexts of the snapshot, offline.
		{[]string{"-f", snap, "--kind", "vd"}, 1},
		{[]string{"-f", snap, "--context", "cluster1,cluster2", "--kind", "vd"}, 1},
	} {
		stdout, stderr, code := runVD(t, append([]string{"diff", "productpage", "-n", "bookinfo-frontends", "-o", "json"}, tc.args...)...)
		if code != tc.code || stderr != "" {
			t.Errorf("%v: exit %d (want %d), stderr %q", tc.args, code, tc.code, stderr)
			continue
		}
		got := changes(decodeDiff(t, stdout))
		if tc.code == 0 && len(got) != 0 {
			t.Errorf("%v: differences %q", tc.args, got)
		}
		if tc.code == 1 && (len(got) != 3 || got[0] != plantedChange) {
			t.Errorf("%v: differences %q", tc.args, got)
		}
	}
}

// A parent of its own, so that patching it leaves the example as loaded.
const snapshotParent = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: diffcheck-global-virtual-dest-0f1e2d
  namespace: diff-e2e
  labels:
    context.mesh.gloo.solo.io/cluster: cluster1
    gloo.solo.io/parent_cluster: cluster1
    gloo.solo.io/parent_kind: VirtualDestination
    gloo.solo.io/parent_name: diffcheck
    gloo.solo.io/parent_namespace: diff-e2e
    relay.solo.io/cluster: cluster1
spec:
  host: diffcheck.global
  trafficPolicy:
    portLevelSettings:
    - port:
        number: 9080
      loadBalancer:
        localityLbSetting:
          enabled: true
      outlierDetection:
        baseEjectionTime: 30s
        consecutive5xxErrors: 2
        interval: 5s
        maxEjectionPercent: 100
      tls:
        mode: ISTIO_MUTUAL
        subjectAltNames:
        - spiffe://cluster1/ns/diff-e2e/sa/diffcheck
        - spiffe://cluster2/ns/diff-e2e/sa/diffcheck
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: vd-diffcheck-global-diff-e2e
  namespace: diff-e2e
  labels:
    context.mesh.gloo.solo.io/cluster: cluster1
    gloo.solo.io/parent_cluster: cluster1
    gloo.solo.io/parent_kind: VirtualDestination
    gloo.solo.io/parent_name: diffcheck
    gloo.solo.io/parent_namespace: diff-e2e
    relay.solo.io/cluster: cluster1
spec:
  hosts:
  - diffcheck.global
  location: MESH_INTERNAL
  ports:
  - name: http-9080
    number: 9080
    protocol: HTTP
  resolution: STATIC
`

func TestDiffFromSnapshotShowsALiveChange(t *testing.T) {
	if err := testEnv.ApplyYAML("cluster1", []byte(snapshotParent)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := testEnv.DeleteYAML("cluster1", []byte(snapshotParent)); err != nil {
			t.Error(err)
		}
	})
	args := []string{"diffcheck", "-n", "diff-e2e", "--context", "cluster1"}
	stdout, stderr, code := runVD(t, append([]string{"find", "-o", "yaml"}, args...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("find -o yaml: exit %d, stderr %q", code, stderr)
	}
	snap := filepath.Join(t.TempDir(), "before.yaml")
	if err := os.WriteFile(snap, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if stdout, stderr, code := runVD(t, append([]string{"diff", "--from", snap}, args...)...); code != 0 || stderr != "" {
		t.Fatalf("before the change: exit %d (want 0), stderr %q\n%s", code, stderr, stdout)
	}

	// The OutlierDetectionPolicy changes: the translator rewrites the rule.
	patched := strings.Replace(snapshotParent, "consecutive5xxErrors: 2", "consecutive5xxErrors: 7", 1)
	if err := testEnv.ApplyYAML("cluster1", []byte(patched)); err != nil {
		t.Fatal(err)
	}

	stdout, stderr, code = runVD(t, append([]string{"diff", "--from", snap, "-o", "json"}, args...)...)
	if code != 1 || stderr != "" {
		t.Fatalf("after the change: exit %d (want 1), stderr %q", code, stderr)
	}
	want := "DestinationRule diffcheck-global-virtual-dest-0f1e2d changed " +
		"[spec.trafficPolicy.portLevelSettings[port=9080].outlierDetection.consecutive5xxErrors 2 -> 7]"
	r := decodeDiff(t, stdout)
	if got := changes(r); len(got) != 1 || got[0] != want {
		t.Errorf("differences %q, want exactly %q", got, want)
	}
	if r.A.Label != snap || r.B.Label != "cluster1" || r.Summary.Same != 1 {
		t.Errorf("sides %+v %+v, summary %+v", r.A, r.B, r.Summary)
	}

	stdout, stderr, code = runVD(t, append([]string{"diff", "--from", snap}, args...)...)
	if code != 1 || stderr != "" {
		t.Fatalf("text: exit %d (want 1), stderr %q", code, stderr)
	}
	stdout = strings.ReplaceAll(stdout, snap, "before.yaml")
	assertGolden(t, "diff-from-snapshot", stdout)
}

func TestDiffErrors(t *testing.T) {
	pp := []string{"diff", "productpage", "-n", "bookinfo-frontends"}
	for _, tc := range []struct {
		name   string
		args   []string
		prefix string
		suffix string
	}{
		{"one context", []string{"--context", "cluster1"},
			"error: diff needs two sides: --context A --context B, --from SNAPSHOT or -f A.yaml -f B.yaml (got only context cluster1)", ""},
		{"unknown context", []string{"--context", "cluster1,nowhere"}, `error: context "nowhere" not found in kubeconfig`, ""},
		{"dead context", []string{"--context", "cluster1,dead", "--request-timeout", "3s"}, "error: context dead: cannot reach https://127.0.0.1:", ": connection refused"},
		{"missing snapshot", []string{"--context", "cluster1", "--from", "/nonexistent/before.yaml"}, "error: cannot read /nonexistent/before.yaml: no such file or directory", ""},
		{"bad name", []string{"--context", "cluster1,cluster2", "-o", "yaml"}, `error: unknown output format "yaml": diff prints text, json with -o json, or markdown with -o markdown`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runVD(t, append(append([]string(nil), pp...), tc.args...)...)
			if code != 2 || stdout != "" {
				t.Errorf("exit %d (want 2), stdout %q", code, stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, tc.prefix) || !strings.HasSuffix(stderr, tc.suffix+"\n") {
				t.Errorf("stderr %q, want one line %q...%q", stderr, tc.prefix, tc.suffix)
			}
		})
	}

	_, stderr, code := runVD(t, "diff", "nope", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if want := "error: no objects translated from parent bookinfo-frontends/nope in cluster1 or cluster2\n"; code != 2 || stderr != want {
		t.Errorf("nothing found: exit %d, stderr %q, want 2 and %q", code, stderr, want)
	}

	// A user who may read nothing: what could not be read is named, and
	// the comparison is trouble, not "same".
	_, stderr, code = runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1-limited,cluster2-limited")
	if code != 2 || !strings.Contains(stderr, "warning: context cluster1-limited: ") || !strings.Contains(stderr, "warning: context cluster2-limited: ") ||
		!strings.HasSuffix(stderr, "error: no objects translated from parent bookinfo-frontends/productpage in cluster1-limited or cluster2-limited\n") {
		t.Errorf("limited user: exit %d, stderr %q", code, stderr)
	}
}

func TestDiffNeverWrites(t *testing.T) {
	runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	events, err := testEnv.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	uas := map[string]bool{}
	for _, ev := range events {
		uas[ev.UserAgent] = true
		// The plugin is "kubectl-vd (os/arch)"; the harness applies as
		// kubectl-vd-e2e-harness.
		if !strings.HasPrefix(ev.UserAgent, "kubectl-vd ") && !strings.HasPrefix(ev.UserAgent, "kubectl-vd/") {
			continue
		}
		reads++
		if ev.IsWrite() {
			t.Errorf("kubectl-vd wrote to %s: %s %s", ev.Cluster, ev.Verb, ev.RequestURI)
		}
	}
	if reads == 0 {
		t.Errorf("no request of kubectl-vd in the audit logs: the check saw nothing (%v)", uas)
	}
}

// TestDiffRefusesDeeplyNestedObject applies a translated EnvoyFilter whose
// patch nests 200 levels deep (the API server keeps such fields as they
// are): diff refuses it in one line instead of spending memory that grows
// with the depth (6 GB for 9,990 levels).
func TestDiffRefusesDeeplyNestedObject(t *testing.T) {
	const levels = 200
	ef := `{"apiVersion":"networking.istio.io/v1alpha3","kind":"EnvoyFilter","metadata":{"name":"productpage-deep","namespace":"bookinfo-frontends",` +
		`"labels":{"gloo.solo.io/parent_name":"productpage","gloo.solo.io/parent_namespace":"bookinfo-frontends","gloo.solo.io/parent_kind":"VirtualDestination"}},` +
		`"spec":{"configPatches":[{"applyTo":"CLUSTER","patch":{"operation":"MERGE","value":` +
		strings.Repeat(`{"a":`, levels) + "1" + strings.Repeat("}", levels) + `}}]}}`
	if err := testEnv.ApplyYAML("cluster1", []byte(ef)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := testEnv.Delete("cluster1", "envoyfilters.networking.istio.io/bookinfo-frontends/productpage-deep"); err != nil {
			t.Errorf("restoring cluster1: %v", err)
		}
	})
	stdout, stderr, code := runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--kind", "vd", "--context", "cluster1,cluster2")
	want := "error: EnvoyFilter bookinfo-frontends/productpage-deep in cluster1 nests fields more than 64 levels deep: diff compares objects up to 64 levels\n"
	if code != 2 || stdout != "" || stderr != want {
		t.Errorf("exit %d (want 2), stdout %q, stderr %q, want %q", code, stdout, stderr, want)
	}
}
