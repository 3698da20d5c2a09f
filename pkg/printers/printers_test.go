package printers

import (
	"bytes"
	gold "github.com/kubectl-vd/kubectl-vd/internal/golden"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	gold.Assert(t, filepath.Join("testdata", name+".golden"), got)
}

var seCols = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name"},
	{Name: "Hosts", Type: "string"},
	{Name: "Location", Type: "string"},
	{Name: "Resolution", Type: "string"},
	{Name: "Age", Type: "date"},
	{Name: "Addresses", Type: "string", Priority: 1},
}

func meta(ns, name string) runtime.RawExtension {
	return runtime.RawExtension{Raw: []byte(`{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{"name":"` + name + `","namespace":"` + ns + `"}}`)}
}

func results() []source.ContextResult {
	se := source.Resource{GVR: schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"}, Kind: "ServiceEntry"}
	we := source.Resource{GVR: schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "workloadentries"}, Kind: "WorkloadEntry"}
	weCols := []metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name"}, {Name: "Age", Type: "date"}, {Name: "Address", Type: "string"}}
	row := func(ns, name string, cells ...any) metav1.TableRow {
		return metav1.TableRow{Cells: append([]any{name}, cells...), Object: meta(ns, name)}
	}
	return []source.ContextResult{
		{Context: "cluster2", Tables: []source.ResourceTable{
			{Resource: se, Table: &metav1.Table{ColumnDefinitions: seCols, Rows: []metav1.TableRow{
				row("bookinfo-frontends", "vd-productpage-global-bookinfo", `["productpage.global"]`, "MESH_INTERNAL", "STATIC", "5m", `["254.154.115.171"]`),
			}}},
			{Resource: we, Table: &metav1.Table{ColumnDefinitions: weCols, Rows: []metav1.TableRow{
				row("bookinfo-frontends", "vd-productpage-global-bookinfo-app-productpage-172-23-0-5", "5m", "172.23.0.5"),
			}}},
		}},
		{Context: "cluster1", Tables: []source.ResourceTable{
			{Resource: se, Table: &metav1.Table{ColumnDefinitions: seCols, Rows: []metav1.TableRow{
				row("bookinfo-frontends", "vd-productpage-global-bookinfo", `["productpage.global"]`, "MESH_INTERNAL", "STATIC", "52s", `["254.154.115.171"]`),
			}}},
		}},
	}
}

func TestTables(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts TableOptions
	}{
		{"tables", TableOptions{}},
		{"tables-wide", TableOptions{Wide: true}},
		{"tables-no-headers", TableOptions{NoHeaders: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Tables(&buf, results(), tc.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
	// One kind: names are not prefixed, as with kubectl get of one type.
	one := results()[1:]
	var buf bytes.Buffer
	if err := Tables(&buf, one, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "tables-one-kind", buf.Bytes())
}

func objects(t *testing.T) []source.Object {
	t.Helper()
	objs, err := source.ReadFiles([]string{"../../examples/bookinfo/cluster1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	created := metav1.NewTime(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	for i := range objs {
		objs[i].Context = "cluster1"
		objs[i].Obj.SetCreationTimestamp(created)
	}
	objs = source.Query{Name: "productpage", Namespace: "bookinfo-frontends"}.Filter(objs)
	source.Sort(objs)
	return objs
}

func TestTreeAndOverview(t *testing.T) {
	objs := objects(t)
	var buf bytes.Buffer
	if err := Tree(&buf, objs, time.Date(2026, 11, 25, 10, 5, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	golden(t, "tree", buf.Bytes())

	buf.Reset()
	parents := []ParentCount{
		{Kind: "RouteTable", Namespace: "bookinfo-frontends", Name: "productpage", Counts: map[string]int{"cluster1": 1, "cluster2": 1}},
		{Kind: "VirtualDestination", Namespace: "bookinfo-frontends", Name: "productpage", Counts: map[string]int{"cluster1": 3}},
	}
	if err := Overview(&buf, parents, []string{"cluster1", "cluster2"}, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "overview", buf.Bytes())
}

func TestListRoundTrip(t *testing.T) {
	objs := objects(t)
	objs[0].Context = "cluster2"
	source.Sort(objs)
	var buf bytes.Buffer
	if err := YAML(&buf, objs, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "list-two-contexts.yaml", buf.Bytes())
	back, err := source.Decode("list", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	source.Sort(back)
	if len(back) != len(objs) {
		t.Fatalf("read back %d objects, wrote %d", len(back), len(objs))
	}
	for i := range objs {
		if back[i].Context != objs[i].Context || back[i].Name() != objs[i].Name() {
			t.Fatalf("object %d: read back %s/%s, wrote %s/%s", i, back[i].Context, back[i].Name(), objs[i].Context, objs[i].Name())
		}
	}
	buf.Reset()
	if err := Names(&buf, objs); err != nil {
		t.Fatal(err)
	}
	golden(t, "names", buf.Bytes())
	buf.Reset()
	if err := JSONPath(&buf, objs, `{range .items[*]}{.metadata.annotations.kubectl-vd/context}{" "}{.kind}{"\n"}{end}`, true); err != nil {
		t.Fatal(err)
	}
	golden(t, "jsonpath", buf.Bytes())
}

func TestObjectTablesUseTheCRDPrinterColumns(t *testing.T) {
	var buf bytes.Buffer
	now := metav1.NewTime(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	if err := ObjectTables(&buf, objects(t), TableOptions{Wide: true}, now); err != nil {
		t.Fatal(err)
	}
	golden(t, "object-tables", buf.Bytes())
}
