package explain

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// manyEntries is n ServiceEntries selecting app=web, one WorkloadEntry they
// all select that does not map their port name, and one none selects.
func manyEntries(t *testing.T, n int) *model.Chain {
	t.Helper()
	const labels = `{gloo.solo.io/parent_name: web, gloo.solo.io/parent_namespace: apps, gloo.solo.io/parent_kind: VirtualDestination}`
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: se-%d, namespace: apps, labels: %s}\n"+
			"spec: {hosts: [web.global], ports: [{name: http, number: 80}], workloadSelector: {labels: {app: web}}}\n", i, labels)
	}
	fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: we, namespace: apps, labels: %s}\n"+
		"spec: {address: 10.0.0.1, labels: {app: web}, ports: {grpc: 15443}}\n", labels)
	fmt.Fprintf(&b, "---\napiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: lone, namespace: apps, labels: %s}\n"+
		"spec: {address: 10.0.0.2, labels: {app: other}, ports: {http: 15443}}\n", labels)
	objs, err := source.Decode("test", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return model.Build(model.FileInput("web", "apps", objs))
}

// TestFindingsNameAFewOfManyServiceEntries: a finding about one
// WorkloadEntry names at most maxListedEntries ServiceEntries and counts
// the others, so that findings do not grow with ServiceEntries times
// WorkloadEntries.
func TestFindingsNameAFewOfManyServiceEntries(t *testing.T) {
	ch := manyEntries(t, 8)
	fs := runCheck(t, "VD401", ch)
	if len(fs) != 1 {
		t.Fatalf("%d VD401 findings, want 1", len(fs))
	}
	want := "WorkloadEntry apps/we maps only grpc->15443, not the ServiceEntry port http (80) of ServiceEntry apps/se-0, ServiceEntry apps/se-1, " +
		"ServiceEntry apps/se-2, ServiceEntry apps/se-3, ServiceEntry apps/se-4 and 3 more ServiceEntries: that traffic goes to 10.0.0.1 on the " +
		"service port instead of the east-west gateway's 15443"
	if fs[0].Message != want {
		t.Errorf("message:\n got %s\nwant %s", fs[0].Message, want)
	}
	if len(fs[0].Objects) != 1+maxListedEntries {
		t.Errorf("%d objects, want %d", len(fs[0].Objects), 1+maxListedEntries)
	}

	fs = runCheck(t, "VD403", ch)
	if len(fs) != 1 {
		t.Fatalf("%d VD403 findings, want 1", len(fs))
	}
	want = "WorkloadEntry apps/lone (10.0.0.2, labels app=other) is selected by the workloadSelector of none of ServiceEntry apps/se-0, " +
		"ServiceEntry apps/se-1, ServiceEntry apps/se-2, ServiceEntry apps/se-3, ServiceEntry apps/se-4 and 3 more ServiceEntries: its backend gets no traffic"
	if fs[0].Message != want {
		t.Errorf("message:\n got %s\nwant %s", fs[0].Message, want)
	}
	if len(fs[0].Objects) != 1+maxListedEntries {
		t.Errorf("%d objects, want %d", len(fs[0].Objects), 1+maxListedEntries)
	}
}
