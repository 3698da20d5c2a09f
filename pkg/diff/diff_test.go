package diff

import (
	"fmt"
	"math/rand"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

func objs(t *testing.T, docs ...string) []source.Object {
	t.Helper()
	out, err := source.Decode("test", []byte(strings.Join(docs, "\n---\n")))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func changeList(d ObjectDiff) []string {
	var out []string
	for _, c := range d.Changes {
		out = append(out, fmt.Sprintf("%s %s %v -> %v", c.Type, c.Path, c.Old, c.New))
	}
	return out
}

const drTemplate = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: productpage-global-virtual-dest-a65c
  namespace: bookinfo-frontends
  labels:
    context.mesh.gloo.solo.io/cluster: %s
    gloo.solo.io/parent_cluster: cluster1
spec:
  host: productpage.global
  trafficPolicy:
    portLevelSettings:
%s`

const port9080 = `    - port:
        number: 9080
      outlierDetection:
        consecutive5xxErrors: %d
      tls:
        subjectAltNames:
        - spiffe://cluster1/ns/bookinfo-frontends/sa/bookinfo-productpage
        - spiffe://cluster2/ns/bookinfo-frontends/sa/bookinfo-productpage
`

const port9443 = `    - port:
        number: 9443
      tls:
        mode: SIMPLE
`

func TestChangedFieldPathAndValues(t *testing.T) {
	a := objs(t, fmt.Sprintf(drTemplate, "cluster1", fmt.Sprintf(port9080, 2)+port9443))
	b := objs(t, fmt.Sprintf(drTemplate, "cluster2", port9443+fmt.Sprintf(port9080, 5)))
	r := mustCompare(t, Side{Label: "a", Objects: a}, Side{Label: "b", Objects: b}, Options{})
	if len(r.Objects) != 1 || r.Objects[0].Status != Changed {
		t.Fatalf("want one changed object, got %+v", r.Objects)
	}
	got := changeList(r.Objects[0])
	want := []string{"changed spec.trafficPolicy.portLevelSettings[port=9080].outlierDetection.consecutive5xxErrors 2 -> 5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
	if !r.Differs() || r.Summary != (Summary{Changed: 1}) {
		t.Errorf("summary %+v", r.Summary)
	}
	if r.A.Cluster != "cluster1" || r.B.Cluster != "cluster2" {
		t.Errorf("inferred clusters %q %q", r.A.Cluster, r.B.Cluster)
	}
}

func TestReorderedKeyedAndSetListsAreSame(t *testing.T) {
	a := objs(t, fmt.Sprintf(drTemplate, "cluster1", fmt.Sprintf(port9080, 2)+port9443))
	b := objs(t, strings.Replace(fmt.Sprintf(drTemplate, "cluster2", port9443+fmt.Sprintf(port9080, 2)),
		"        - spiffe://cluster1/ns/bookinfo-frontends/sa/bookinfo-productpage\n        - spiffe://cluster2/ns/bookinfo-frontends/sa/bookinfo-productpage",
		"        - spiffe://cluster2/ns/bookinfo-frontends/sa/bookinfo-productpage\n        - spiffe://cluster1/ns/bookinfo-frontends/sa/bookinfo-productpage", 1))
	r := mustCompare(t, Side{Label: "a", Objects: a}, Side{Label: "b", Objects: b}, Options{})
	if r.Differs() {
		t.Fatalf("reordered lists reported as different: %q", changeList(r.Objects[0]))
	}
}

func TestRawKeepsClusterNames(t *testing.T) {
	a := objs(t, fmt.Sprintf(drTemplate, "cluster1", port9443))
	b := objs(t, fmt.Sprintf(drTemplate, "cluster2", port9443))
	r := mustCompare(t, Side{Label: "a", Objects: a}, Side{Label: "b", Objects: b}, Options{Raw: true})
	got := changeList(r.Objects[0])
	want := []string{`changed metadata.labels["context.mesh.gloo.solo.io/cluster"] cluster1 -> cluster2`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
}

func TestDuplicateKeysFallBackToPositions(t *testing.T) {
	a := objs(t, fmt.Sprintf(drTemplate, "cluster1", port9443+port9443))
	b := objs(t, fmt.Sprintf(drTemplate, "cluster1", port9443+strings.Replace(port9443, "SIMPLE", "MUTUAL", 1)))
	r := mustCompare(t, Side{Objects: a}, Side{Objects: b}, Options{})
	got := changeList(r.Objects[0])
	want := []string{"changed spec.trafficPolicy.portLevelSettings[1].tls.mode SIMPLE -> MUTUAL"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
}

const vsTemplate = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: routetable-productpage-bookinfo-frontends-%[1]s-gateways
  namespace: istio-gateways
  labels:
    relay.solo.io/cluster: %[1]s
    gloo.solo.io/parent_cluster: %[2]s
    app.example.com/tier: %[1]s0
spec:
  gateways:
  - virtualgateway-north-south-gw-istio-gateways-%[1]s
  hosts:
  - '*'
  http:
  - name: a
    route:
    - destination:
        host: productpage.%[1]s.global
`

func TestFolding(t *testing.T) {
	for _, tc := range []struct {
		name     string
		a, b     string
		raw      bool
		statuses []Status
		changes  []string
	}{{
		name:     "cluster names in names, labels and gateways fold; spec values and longer words do not",
		a:        fmt.Sprintf(vsTemplate, "cluster1", "cluster1"),
		b:        fmt.Sprintf(vsTemplate, "cluster2", "cluster1"),
		statuses: []Status{Changed},
		changes: []string{
			`changed metadata.labels["app.example.com/tier"] cluster10 -> cluster20`,
			`changed spec.http[name=a].route[0].destination.host productpage.cluster1.global -> productpage.cluster2.global`,
		},
	}, {
		name:     "parent_cluster naming each side's own cluster folds",
		a:        fmt.Sprintf(vsTemplate, "cluster1", "cluster1"),
		b:        strings.ReplaceAll(fmt.Sprintf(vsTemplate, "cluster2", "cluster2"), "productpage.cluster2", "productpage.cluster1"),
		statuses: []Status{Changed},
		changes:  []string{`changed metadata.labels["app.example.com/tier"] cluster10 -> cluster20`},
	}, {
		name:     "parent_cluster naming another cluster stays",
		a:        fmt.Sprintf(vsTemplate, "cluster1", "cluster1"),
		b:        strings.ReplaceAll(fmt.Sprintf(vsTemplate, "cluster2", "cluster3"), "productpage.cluster2", "productpage.cluster1"),
		statuses: []Status{Changed},
		changes: []string{
			`changed metadata.labels["app.example.com/tier"] cluster10 -> cluster20`,
			`changed metadata.labels["gloo.solo.io/parent_cluster"] cluster1 -> cluster3`,
		},
	}, {
		name:     "raw: names do not pair",
		a:        fmt.Sprintf(vsTemplate, "cluster1", "cluster1"),
		b:        fmt.Sprintf(vsTemplate, "cluster2", "cluster1"),
		raw:      true,
		statuses: []Status{OnlyInA, OnlyInB},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCompare(t, Side{Objects: objs(t, tc.a)}, Side{Objects: objs(t, tc.b)}, Options{Raw: tc.raw})
			var statuses []Status
			for _, o := range r.Objects {
				statuses = append(statuses, o.Status)
			}
			if !reflect.DeepEqual(statuses, tc.statuses) {
				t.Fatalf("statuses %v, want %v", statuses, tc.statuses)
			}
			if tc.raw {
				return
			}
			d := r.Objects[0]
			if d.Name != "routetable-productpage-bookinfo-frontends-${CLUSTER}-gateways" ||
				d.NameA != "routetable-productpage-bookinfo-frontends-cluster1-gateways" ||
				d.NameB != "routetable-productpage-bookinfo-frontends-cluster2-gateways" {
				t.Errorf("names %q %q %q", d.Name, d.NameA, d.NameB)
			}
			if got := changeList(d); !reflect.DeepEqual(got, tc.changes) {
				t.Errorf("changes:\n got %q\nwant %q", got, tc.changes)
			}
		})
	}
}

func TestSameNamesPairBeforeFolding(t *testing.T) {
	// Both sides hold the object named after cluster1 (the parent's
	// cluster): it pairs as is, and the name is not folded.
	a := objs(t, fmt.Sprintf(vsTemplate, "cluster1", "cluster1"))
	b := objs(t, strings.Replace(fmt.Sprintf(vsTemplate, "cluster1", "cluster1"), "relay.solo.io/cluster: cluster1", "relay.solo.io/cluster: cluster2", 1))
	r := mustCompare(t, Side{Objects: a}, Side{Objects: b}, Options{})
	if len(r.Objects) != 1 || r.Objects[0].Status != Same || r.Objects[0].Name != "routetable-productpage-bookinfo-frontends-cluster1-gateways" {
		t.Fatalf("got %+v", r.Objects)
	}
	if r.B.Cluster != "cluster2" {
		t.Errorf("B cluster %q", r.B.Cluster)
	}
}

func TestGivenClusterWins(t *testing.T) {
	a := objs(t, strings.ReplaceAll(fmt.Sprintf(vsTemplate, "east", "east"), "    relay.solo.io/cluster: east\n", ""))
	b := objs(t, strings.ReplaceAll(fmt.Sprintf(vsTemplate, "west", "west"), "    relay.solo.io/cluster: west\n", ""))
	r := mustCompare(t, Side{Objects: a}, Side{Objects: b}, Options{})
	if len(r.Objects) != 2 {
		t.Fatalf("without cluster names the objects should not pair: %+v", r.Objects)
	}
	r = mustCompare(t, Side{Cluster: "east", Objects: a}, Side{Cluster: "west", Objects: b}, Options{})
	if len(r.Objects) != 1 || r.Objects[0].Status != Changed {
		t.Fatalf("given cluster names should pair the objects: %+v", r.Objects)
	}
}

func TestRoutesReordered(t *testing.T) {
	vs := `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
  namespace: ns
spec:
  http:
%s`
	route := "  - name: %s\n    route:\n    - destination:\n        host: %s\n"
	a := objs(t, fmt.Sprintf(vs, fmt.Sprintf(route, "first", "a")+fmt.Sprintf(route, "second", "b")))
	b := objs(t, fmt.Sprintf(vs, fmt.Sprintf(route, "second", "b")+fmt.Sprintf(route, "first", "a")))
	r := mustCompare(t, Side{Objects: a}, Side{Objects: b}, Options{})
	want := []string{"reordered spec.http [first second] -> [second first]"}
	if got := changeList(r.Objects[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
}

func TestTypeChangeAndListLengths(t *testing.T) {
	a := objs(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: \"1\"\nlist: [1, 2, 3]\nother: {a: 1}")
	b := objs(t, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: {z: 1}\nlist: [1, 5]\nother: [1]")
	r := mustCompare(t, Side{Objects: a}, Side{Objects: b}, Options{})
	want := []string{
		"changed data.x 1 -> map[z:1]",
		"changed list[1] 2 -> 5",
		"removed list[2] 3 -> <nil>",
		"changed other map[a:1] -> [1]",
	}
	if got := changeList(r.Objects[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
}

func TestNormalize(t *testing.T) {
	o := objs(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  uid: u
  resourceVersion: "1"
  generation: 2
  creationTimestamp: "2024-01-01T00:00:00Z"
  selfLink: /x
  managedFields: [{manager: m}]
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: "{}"
    kubectl-vd/context: kind-cluster1
status:
  x: 1
data:
  num: 2.0`)[0]
	got := Normalize(o.Obj.Object)
	want := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "c"},
		"data":     map[string]any{"num": int64(2)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize:\n got %#v\nwant %#v", got, want)
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"routetable-x-cluster1-gateways": "routetable-x-${CLUSTER}-gateways",
		"cluster1":                       "${CLUSTER}",
		"cluster10-cluster1":             "cluster10-${CLUSTER}",
		"xcluster1":                      "xcluster1",
		"a.cluster1.b cluster1":          "a.${CLUSTER}.b ${CLUSTER}",
	} {
		if got := fold(in, "cluster1"); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fold("cluster1", ""); got != "cluster1" {
		t.Errorf("fold with no cluster changed the value: %q", got)
	}
}

func TestPathString(t *testing.T) {
	p := Path{field("metadata"), field("labels"), field("gloo.solo.io/parent_name")}
	if got := p.String(); got != `metadata.labels["gloo.solo.io/parent_name"]` {
		t.Errorf("got %s", got)
	}
	p = Path{field("spec"), field("ports"), keyed("name", "a=b"), field("x"), index(2)}
	if got := p.String(); got != `spec.ports[name="a=b"].x[2]` {
		t.Errorf("got %s", got)
	}
}

// TestLineDiffRebuildsTexts checks on random texts, small ones (difflib
// alone) and large ones (anchored on unique lines first), that the edit
// script turns a into b, pairs only equal lines, and is never longer than
// deleting and inserting the lines outside one longest common subsequence
// would be by more than the lines that differ.
func TestLineDiffRebuildsTexts(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	gen := func(n, alphabet int) []string {
		out := make([]string, rng.Intn(n))
		for i := range out {
			out[i] = fmt.Sprint(rng.Intn(alphabet))
		}
		return out
	}
	check := func(a, b []string) {
		t.Helper()
		script := lineDiff(a, b)
		var gotA, gotB []string
		for _, e := range script {
			switch e.op {
			case opEqual:
				if a[e.a] != b[e.b] {
					t.Fatalf("equal edit on different lines %q %q", a[e.a], b[e.b])
				}
				gotA, gotB = append(gotA, a[e.a]), append(gotB, b[e.b])
			case opDelete:
				gotA = append(gotA, a[e.a])
			case opInsert:
				gotB = append(gotB, b[e.b])
			}
		}
		if !reflect.DeepEqual(gotA, a) && len(a)+len(gotA) > 0 || !reflect.DeepEqual(gotB, b) && len(b)+len(gotB) > 0 {
			t.Fatalf("script does not rebuild the texts (%d, %d lines)", len(a), len(b))
		}
	}
	for i := 0; i < 2000; i++ {
		check(gen(12, 4), gen(12, 4))
	}
	for i := 0; i < 20; i++ {
		a := gen(3000, 500)
		b := append([]string(nil), a...)
		for j := 0; j < len(b)/20; j++ {
			b[rng.Intn(len(b))] = fmt.Sprint(rng.Intn(500))
		}
		check(a, b)
		check(gen(3000, 50), gen(3000, 50))
	}
}

// TestLineDiffMemoryIsLinear diffs texts of 40,000 lines where 4,000 lines
// changed, spread over the whole text (every route of a large RouteTable).
// A shortest edit script kept every step of its search: about 1 GiB here.
func TestLineDiffMemoryIsLinear(t *testing.T) {
	const routes = 4000
	var a, b []string
	for i := 0; i < routes; i++ {
		for _, l := range []string{"  - name: route-%d", "    match:", "    - uri:", "        prefix: /svc-%d", "    route:",
			"    - destination:", "        host: svc-%d.global", "    timeout: %ds"} {
			if strings.Contains(l, "timeout") {
				a = append(a, fmt.Sprintf(l, 5))
				b = append(b, fmt.Sprintf(l, 10))
				continue
			}
			a = append(a, strings.ReplaceAll(l, "%d", fmt.Sprint(i)))
			b = append(b, strings.ReplaceAll(l, "%d", fmt.Sprint(i)))
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	script := lineDiff(a, b)
	runtime.ReadMemStats(&after)
	changed := 0
	for _, e := range script {
		if e.op != opEqual {
			changed++
		}
	}
	if changed != 2*routes {
		t.Errorf("%d lines deleted or inserted, want %d", changed, 2*routes)
	}
	// Linear: a few hundred bytes a line at most (measured: about 100).
	lines := uint64(len(a) + len(b))
	if got := after.TotalAlloc - before.TotalAlloc; got > 1000*lines {
		t.Errorf("lineDiff allocated %d MiB for %d lines, want at most %d MiB", got>>20, lines, 1000*lines>>20)
	}
}

// TestDepthLimit: the object is level 1, each map or list inside it one
// more; MaxDepth levels compare, one more is refused by name.
func TestDepthLimit(t *testing.T) {
	nested := func(levels int) source.Object {
		var v any = "leaf"
		for i := 0; i < levels-1; i++ {
			if i%2 == 0 {
				v = map[string]any{"a": v}
			} else {
				v = []any{v}
			}
		}
		o := objs(t, "apiVersion: networking.istio.io/v1\nkind: EnvoyFilter\nmetadata:\n  name: deep\n  namespace: ns\n")[0]
		o.Obj.Object["spec"] = v // spec is level 2
		return o
	}
	if err := CheckDepth(nested(MaxDepth)); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	a, b := nested(MaxDepth), nested(MaxDepth)
	if _, err := Compare(Side{Objects: []source.Object{a}}, Side{Objects: []source.Object{b}}, Options{}); err != nil {
		t.Errorf("compare at %d levels: %v", MaxDepth, err)
	}
	deep := nested(MaxDepth + 1)
	_, err := Compare(Side{Objects: []source.Object{a}}, Side{Objects: []source.Object{deep}}, Options{})
	want := "EnvoyFilter ns/deep nests fields more than 64 levels deep: diff compares objects up to 64 levels"
	if err == nil || err.Error() != want {
		t.Errorf("compare at %d levels: %v, want %q", MaxDepth+1, err, want)
	}
}

func TestHunkRanges(t *testing.T) {
	a := strings.Split("1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20", " ")
	b := append([]string(nil), a...)
	b[1] = "x"  // line 2
	b[17] = "y" // line 18, far enough for a second hunk
	var got []string
	for _, h := range hunks(lineDiff(a, b), 3) {
		got = append(got, fmt.Sprintf("-%s +%s", span(h.aStart, h.aLen), span(h.bStart, h.bLen)))
	}
	want := []string{"-1,5 +1,5", "-15,6 +15,6"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hunks %q, want %q", got, want)
	}
	got = nil
	for _, h := range hunks(lineDiff(nil, []string{"a"}), 3) {
		got = append(got, fmt.Sprintf("-%s +%s", span(h.aStart, h.aLen), span(h.bStart, h.bLen)))
	}
	if want := []string{"-0,0 +1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("hunks %q, want %q", got, want)
	}
}

// TestPlainStringAsYAMLWrites: the strings written without the YAML
// encoder are written as the encoder would.
func TestPlainStringAsYAMLWrites(t *testing.T) {
	for _, s := range []string{"productpage", "productpage.global", "bookinfo-frontends", "a/b_c.d-e", "ISTIO_MUTUAL",
		"/svc-1", "/", "/a/b.c", "//x", "/yes", "5s", "10.0.0.1", "1:20", "2001-12-14", "yes", "No", "ON", "off", "y", "N", "true", "False", "null", "Null", "e1", "x1e5", "inf", "nan", "NaN", "v1", "a..b", "a--", "z"} {
		out, err := yaml.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(string(out), "\n")
		if got := scalarText(s); got != want {
			t.Errorf("scalarText(%q) = %s, want %s", s, got, want)
		}
	}
}
