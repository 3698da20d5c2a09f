package render

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
)

// sharedSelector is n ServiceEntries of one VirtualDestination that all
// select the same n WorkloadEntries (app=web), and one WorkloadEntry
// (app=other) that none selects.
func sharedSelector(n int) string {
	const labels = `{gloo.solo.io/parent_name: web, gloo.solo.io/parent_namespace: apps, gloo.solo.io/parent_kind: VirtualDestination}`
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se-%03d, namespace: apps, labels: %s}
spec:
  hosts: [web-%03d.global]
  ports: [{name: http, number: 80, protocol: HTTP}]
  workloadSelector: {labels: {app: web}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we-%03d, namespace: apps, labels: %s}
spec: {address: 10.0.0.%d, labels: {app: web}, locality: r/z, ports: {http: 15443}}
`, i, labels, i, i, labels, i)
	}
	fmt.Fprintf(&b, `---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we-other, namespace: apps, labels: %s}
spec: {address: 10.0.1.1, labels: {app: other}, locality: r/z, ports: {http: 15443}}
`, labels)
	return b.String()
}

func textOf(t *testing.T, yaml string) string {
	t.Helper()
	ch := chain(t, yaml)
	var out bytes.Buffer
	if err := Text(&out, NewReport(ch, explain.Run(ch)), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestTextTellsEachWorkloadEntryOnce: the ServiceEntries after the first
// one of a selector say which WorkloadEntries they select instead of
// telling them again.
func TestTextTellsEachWorkloadEntryOnce(t *testing.T) {
	got := textOf(t, sharedSelector(3))
	for _, we := range []string{"we-000", "we-001", "we-002", "we-other"} {
		if n := len(regexp.MustCompile(`(?m)^ +WorkloadEntry apps/`+we+`$`).FindAllString(got, -1)); n != 1 {
			t.Errorf("WorkloadEntry %s told %d times, want once:\n%s", we, n, got)
		}
	}
	want := `  ServiceEntry apps/se-000
    ! see VD103, VD403
    hosts web-000.global
    ports http 80/HTTP
    location MESH_EXTERNAL, resolution NONE
    exported to every namespace (no exportTo)
    local endpoints: workloads labelled app=web
    WorkloadEntry apps/we-000
      ! see VD103
      endpoint 10.0.0.0
      locality r/z
      ports http -> 15443
    WorkloadEntry apps/we-001
      ! see VD103
      endpoint 10.0.0.1
      locality r/z
      ports http -> 15443
    WorkloadEntry apps/we-002
      ! see VD103
      endpoint 10.0.0.2
      locality r/z
      ports http -> 15443
  ServiceEntry apps/se-001
    ! see VD103, VD403
    hosts web-001.global
    ports http 80/HTTP
    location MESH_EXTERNAL, resolution NONE
    exported to every namespace (no exportTo)
    local endpoints: workloads labelled app=web
    selects the 3 WorkloadEntries labelled app=web told under ServiceEntry apps/se-000
  ServiceEntry apps/se-002
`
	if !strings.Contains(got, want) {
		t.Errorf("text does not contain\n%s\ngot:\n%s", want, got)
	}
}

// TestTextGrowsLinearly: with n ServiceEntries selecting the same n
// WorkloadEntries the text stays within a few lines per object (it grew
// with n*n: 1,000 such pairs printed 4 million lines).
func TestTextGrowsLinearly(t *testing.T) {
	for _, n := range []int{50, 200} {
		lines := strings.Count(textOf(t, sharedSelector(n)), "\n")
		if objects := 2*n + 1; lines > 20*objects {
			t.Errorf("%d pairs: %d lines for %d objects, want at most %d", n, lines, objects, 20*objects)
		}
	}
}
