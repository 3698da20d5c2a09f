package source

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const twoContexts = `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: networking.istio.io/v1
  kind: ServiceEntry
  metadata:
    name: se
    namespace: ns
    annotations: {kubectl-vd/context: cluster2}
    labels: {gloo.solo.io/parent_name: productpage, gloo.solo.io/parent_namespace: ns}
- apiVersion: networking.istio.io/v1
  kind: ServiceEntry
  metadata:
    name: se
    namespace: ns
    annotations: {kubectl-vd/context: cluster1, keep: "yes"}
    labels: {gloo.solo.io/parent_name: productpage, gloo.solo.io/parent_namespace: other}
`

func TestReadFilesContextsAndLists(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "snap.yaml", twoContexts)
	objs, err := ReadFiles([]string{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	Sort(objs)
	if len(objs) != 2 || objs[0].Context != "cluster1" || objs[1].Context != "cluster2" {
		t.Fatalf("contexts: %+v", objs)
	}
	if _, ok := objs[1].Obj.GetAnnotations()[ContextAnnotation]; ok || objs[1].Obj.GetAnnotations() != nil {
		t.Fatalf("context annotation not removed: %v", objs[1].Obj.GetAnnotations())
	}
	if got := objs[0].Obj.GetAnnotations(); len(got) != 1 || got["keep"] != "yes" {
		t.Fatalf("other annotations lost: %v", got)
	}
	q := Query{Name: "productpage", Namespace: "ns"}
	if m := q.Filter(objs); len(m) != 1 || m[0].Context != "cluster2" {
		t.Fatalf("parent_namespace not honoured: %+v", m)
	}
	// stdin and directories read the same objects.
	fromStdin, err := ReadFiles([]string{"-"}, strings.NewReader(twoContexts))
	if err != nil || len(fromStdin) != 2 {
		t.Fatalf("stdin: %v %d", err, len(fromStdin))
	}
	fromDir, err := ReadFiles([]string{dir}, nil)
	if err != nil || len(fromDir) != 2 {
		t.Fatalf("dir: %v %d", err, len(fromDir))
	}
}

func TestReadFilesErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content, want string
	}{
		{"empty.yaml", "\n  \n", "empty.yaml is empty"},
		{"binary.yaml", "\x00\x01\x02ELF", "binary.yaml is not a YAML or JSON file (binary data)"},
		{"malformed.yaml", "apiVersion: v1\nkind: [unclosed\n", "malformed.yaml: malformed YAML or JSON: "},
		{"notobject.yaml", "just: a map\n", "notobject.yaml (document 1): not a Kubernetes object (no apiVersion or kind)"},
		{"sequence.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n[]\n", "sequence.yaml (document 2): not a Kubernetes object (a list)"},
		{"numberitem.yaml", "apiVersion: v1\nkind: List\nitems: [5]\n", "numberitem.yaml (document 1, item 1): not a Kubernetes object (a number)"},
		{"badjson.json", `{"apiVersion": "v1", "kind": `, "badjson.json: malformed YAML or JSON: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, tc.name, tc.content)
			_, err := ReadFiles([]string{p}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error = %v, want one line containing %q", err, tc.want)
			}
		})
	}
	if _, err := ReadFiles([]string{filepath.Join(dir, "missing.yaml")}, nil); err == nil ||
		!strings.HasSuffix(err.Error(), "missing.yaml: no such file or directory") {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := ReadFiles([]string{t.TempDir()}, nil); err == nil || !strings.Contains(err.Error(), "no .yaml, .yml or .json file") {
		t.Fatalf("empty dir: %v", err)
	}
}

func TestParseKinds(t *testing.T) {
	got, err := ParseKinds([]string{"vd,RT", "virtualgateway", "FailoverPolicy", "vd"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "FailoverPolicy,RouteTable,VirtualDestination,VirtualGateway" {
		t.Fatalf("kinds = %v", got)
	}
	if _, err := ParseKinds([]string{"not a kind!"}); err == nil {
		t.Fatal("invalid kind accepted")
	}
	q := Query{Name: "p", Namespace: "ns", ParentKinds: got[:2]}
	if s := q.Selector().String(); s != "gloo.solo.io/parent_kind in (FailoverPolicy,RouteTable),gloo.solo.io/parent_name=p,gloo.solo.io/parent_namespace=ns" {
		t.Fatalf("selector = %s", s)
	}
}

func TestFilterResources(t *testing.T) {
	rs := []Resource{
		{GVR: gvr("networking.istio.io", "serviceentries"), Kind: "ServiceEntry", Singular: "serviceentry", ShortNames: []string{"se"}},
		{GVR: gvr("networking.istio.io", "destinationrules"), Kind: "DestinationRule", Singular: "destinationrule", ShortNames: []string{"dr"}},
		{GVR: gvr("security.istio.io", "authorizationpolicies"), Kind: "AuthorizationPolicy", Singular: "authorizationpolicy", ShortNames: []string{"ap"}},
	}
	names := func(rs []Resource) string {
		var s []string
		for _, r := range rs {
			s = append(s, r.GVR.Resource)
		}
		return strings.Join(s, ",")
	}
	if got := names(FilterResources(rs, []string{"se", "DestinationRule"})); got != "serviceentries,destinationrules" {
		t.Fatalf("got %s", got)
	}
	if got := names(FilterResources(rs, []string{"authorizationpolicies.networking.istio.io"})); got != "" {
		t.Fatalf("group ignored: %s", got)
	}
	if got := names(FilterResources(rs, nil)); got != "serviceentries,destinationrules,authorizationpolicies" {
		t.Fatalf("no filter: %s", got)
	}
}

func gvr(group, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: "v1", Resource: resource}
}

// TestListItemsAreStreamed hands the items of a List to the visitor while
// the rest of the stream is not written yet: a snapshot is never held
// whole.
func TestListItemsAreStreamed(t *testing.T) {
	for _, tc := range []struct{ name, head, item, tail string }{
		{"yaml", "apiVersion: v1\nitems:\n", "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: ns}\n", "kind: List\nmetadata: {}\n"},
		{"json", "{\"apiVersion\": \"v1\", \"items\": [\n", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\", \"namespace\": \"ns\"}}", "], \"kind\": \"List\", \"metadata\": {}}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w := io.Pipe()
			seen := make(chan string, 10)
			done := make(chan error, 1)
			go func() {
				done <- Visit([]string{Stdin}, r, func(o Object) error {
					seen <- o.Name()
					return nil
				})
			}()
			first := tc.head + tc.item
			second := strings.Replace(tc.item, "name: a", "name: b", 1)
			second = strings.Replace(second, `"name": "a"`, `"name": "b"`, 1)
			var rest string
			if tc.name == "json" {
				// Spaces past the reader's buffers, then the next item.
				first += ",\n" + strings.Repeat(" ", 200<<10)
				rest = second + tc.tail
			} else {
				// The next item starts (which ends the first), then a long
				// comment fills the reader's buffers.
				first += "- apiVersion: v1\n  # " + strings.Repeat("x", 200<<10) + "\n"
				rest = strings.TrimPrefix(second, "- apiVersion: v1\n") + tc.tail
			}
			if _, err := io.WriteString(w, first); err != nil {
				t.Fatal(err)
			}
			select {
			case name := <-seen:
				if name != "a" {
					t.Fatalf("first object %q", name)
				}
			case err := <-done:
				t.Fatalf("finished before the end of the stream: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("the first item was not visited before the end of the stream")
			}
			io.WriteString(w, rest)
			w.Close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if name := <-seen; name != "b" {
				t.Fatalf("second object %q", name)
			}
		})
	}
}

// TestStreamedListsReadAsWhole compares the streamed reading of Lists with
// the objects of the same documents decoded whole.
func TestStreamedListsReadAsWhole(t *testing.T) {
	item := func(name string, extra map[string]any) map[string]any {
		m := map[string]any{
			"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
			"metadata": map[string]any{"name": name, "namespace": "ns",
				"labels": map[string]any{"gloo.solo.io/parent_name": "p", "context.mesh.gloo.solo.io/cluster": "east"},
				"annotations": map[string]any{"note": "line one\n# not a comment\n\nitems:\n- not an item\n",
					"long": strings.Repeat("y", 150<<10)}}, // longer than the reader's buffer
			"spec": map[string]any{"hosts": []any{"a.global"}, "ports": []any{map[string]any{"number": int64(80), "name": "http"}}},
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	list := map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{"resourceVersion": ""},
		"items": []any{item("a", nil), item("b", map[string]any{"status": map[string]any{}}),
			map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{item("c", nil)}}}}
	y, err := yaml.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	var whole map[string]any
	if err := yaml.Unmarshal(y, &whole); err != nil {
		t.Fatal(err)
	}
	want, err := fromMap(whole)
	if err != nil || len(want) != 3 {
		t.Fatalf("whole: %v %d", err, len(want))
	}
	// The same List with its items indented under "items:".
	var lines []string
	inItems := false
	for _, l := range strings.Split(string(y), "\n") {
		switch {
		case l == "items:":
			inItems = true
		case inItems && l == "": // a blank line of a block scalar
		case inItems && (strings.HasPrefix(l, "- ") || strings.HasPrefix(l, " ")):
			l = "  " + l
		default:
			inItems = false
		}
		lines = append(lines, l)
	}
	indented := strings.Join(lines, "\n")
	var docs []string
	for _, o := range want {
		data, err := yaml.Marshal(o.Obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(data))
	}
	for name, data := range map[string]string{
		"documents":     strings.Join(docs, "---\n"),
		"yaml":          string(y),
		"yaml indented": indented,
		"json":          string(j),
		"in a stream":   "# leading comment\n---\n" + string(y) + "---\n---\n" + string(y),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Decode("test", []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			n := len(want)
			if name == "in a stream" {
				n *= 2
			}
			if len(got) != n {
				t.Fatalf("%d objects, want %d", len(got), n)
			}
			for i := range got {
				w := want[i%len(want)]
				if !reflect.DeepEqual(got[i].Obj.Object, w.Obj.Object) || got[i].Context != "east" {
					t.Errorf("object %d:\n got %#v\nwant %#v", i, got[i].Obj.Object, w.Obj.Object)
				}
			}
		})
	}
	// A List whose items are not a block sequence is read whole.
	for _, data := range []string{
		"apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}]\n",
		"apiVersion: v1\nkind: List\nitems: []\n",
		"apiVersion: v1\nkind: List\nitems:\n\n# none\nmetadata: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
	} {
		got, err := Decode("test", []byte(data))
		if strings.Contains(data, "name: a") && (err != nil || len(got) != 1 || got[0].Name() != "a") {
			t.Errorf("%q: %v %d", data, err, len(got))
		}
		if !strings.Contains(data, "name: a") && (err == nil || err.Error() != "test holds no Kubernetes object") {
			t.Errorf("%q: %v", data, err)
		}
	}
}

// TestUnreadableObjectsAreNamed refuses objects an API server never returns
// instead of reading them with an empty name, naming the file, the
// document and the item.
func TestUnreadableObjectsAreNamed(t *testing.T) {
	ok := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n"
	cases := []struct{ name, doc, want string }{
		{"no name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: ns}\n", "metadata.name is missing"},
		{"no metadata", "apiVersion: v1\nkind: ConfigMap\n", "metadata.name is missing"},
		{"number name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 12}\n", "metadata.name is not a string (a number)"},
		{"map name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {a: b}}\n", "metadata.name is not a string (a map)"},
		{"empty name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"\"}\n", "metadata.name is empty"},
		{"boolean namespace", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: n}\n", "metadata.namespace is not a string (a boolean)"},
		{"number label", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {a: 1}}\n", "metadata.labels[a] is not a string (a number)"},
		{"list annotations", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, annotations: [x]}\n", "metadata.annotations is not a map (a list)"},
		{"null spec", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: a}\nspec: null\n", "spec is null"},
		{"scalar spec", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: a}\nspec: x\n", "spec is not a map (a string)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode("f.yaml", []byte(ok+"---\n"+tc.doc))
			if want := "f.yaml (document 2): " + tc.want; err == nil || err.Error() != want {
				t.Errorf("document: %v, want %q", err, want)
			}
			item := "  " + strings.ReplaceAll(strings.TrimSuffix(tc.doc, "\n"), "\n", "\n  ")
			list := "apiVersion: v1\nkind: List\nitems:\n- " + strings.TrimPrefix(strings.ReplaceAll(ok, "\n", "\n  "), "") + "\n-" + item[1:] + "\n"
			_, err = Decode("f.yaml", []byte(list))
			if want := "f.yaml (document 1, item 2): " + tc.want; err == nil || err.Error() != want {
				t.Errorf("streamed list: %v, want %q", err, want)
			}
			var m map[string]any
			if err := yaml.Unmarshal([]byte(tc.doc), &m); err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "fine"}}, m}})
			_, err = Decode("f.json", data)
			if want := "f.json (document 1, item 2): " + tc.want; err == nil || err.Error() != want {
				t.Errorf("json list: %v, want %q", err, want)
			}
			flow := "apiVersion: v1\nkind: List\nitems: [" + string(mustJSON(t, map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "fine"}})) + ", " + string(mustJSON(t, m)) + "]\n"
			_, err = Decode("f.yaml", []byte(flow))
			if want := "f.yaml (document 1, item 2): " + tc.want; err == nil || err.Error() != want {
				t.Errorf("whole list: %v, want %q", err, want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestStdinIsReadOnce(t *testing.T) {
	_, err := ReadFiles([]string{"-", "-"}, strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"))
	if err == nil || err.Error() != "standard input can be read once: give at most one -f -" {
		t.Fatalf("err = %v", err)
	}
}

// TestContextOfFileObjects is the one rule: the context annotation, else
// the Gloo cluster label, else none.
func TestContextOfFileObjects(t *testing.T) {
	objs, err := Decode("f", []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: annotated
  annotations: {kubectl-vd/context: kind-east}
  labels: {context.mesh.gloo.solo.io/cluster: east}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: labelled
  labels: {context.mesh.gloo.solo.io/cluster: east}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: old
  labels: {relay.solo.io/cluster: west}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: none}
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Name()+"="+o.Context)
	}
	if want := "annotated=kind-east labelled=east old=west none="; strings.Join(got, " ") != want {
		t.Errorf("got %s, want %s", strings.Join(got, " "), want)
	}
}

func TestParseKindsRefusesTypos(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"VirtualDestinaton", `unknown --kind "VirtualDestinaton": did you mean VirtualDestination?`},
		{"virtualdestnation", `unknown --kind "virtualdestnation": did you mean VirtualDestination?`},
		{"RotueTable", `unknown --kind "RotueTable": did you mean RouteTable?`},
		{"vdd", `unknown --kind "vdd": did you mean VirtualDestination?`},
		{"vd,FailoverPolcy", `unknown --kind "FailoverPolcy": did you mean FailoverPolicy?`},
		{"something", `unknown --kind "something": give a kind (VirtualDestination, RouteTable, ...) or a short name (vd, rt, vg, ...)`},
	} {
		if _, err := ParseKinds([]string{tc.value}); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.value, err, tc.want)
		}
	}
	// Kinds kubectl-vd does not list are still accepted as written.
	if got, err := ParseKinds([]string{"JWTPolicy", "GraphQLStitchedSchema"}); err != nil || strings.Join(got, ",") != "GraphQLStitchedSchema,JWTPolicy" {
		t.Errorf("other kinds: %v %v", got, err)
	}
}

func TestFileFilters(t *testing.T) {
	objs, err := Decode("f", []byte(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se, annotations: {kubectl-vd/context: c1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, labels: {context.mesh.gloo.solo.io/cluster: c2}}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
---
apiVersion: example.com/v1
kind: Policy
metadata: {name: p}
`))
	if err != nil {
		t.Fatal(err)
	}
	keep := func(keep func(Object) bool) string {
		var names []string
		for _, o := range objs {
			if keep(o) {
				names = append(names, o.Name())
			}
		}
		return strings.Join(names, ",")
	}
	p := NewPicks([]string{"c2"})
	if got := keep(p.Keep); got != "dr" || p.Err() != nil || strings.Join(p.Contexts(), ",") != "c1,c2" {
		t.Errorf("picks: %s %v %v", got, p.Err(), p.Contexts())
	}
	p = NewPicks([]string{"c1", "c3"})
	keep(p.Keep)
	if err := p.Err(); err == nil || err.Error() != `context "c3" not found in the files (they hold c1, c2)` {
		t.Errorf("missing pick: %v", err)
	}
	for _, tc := range []struct {
		names []string
		want  string
		err   string
	}{
		{nil, "se,dr,s,p", ""},
		{[]string{"se", "destinationrules.networking.istio.io"}, "se,dr", ""},
		{[]string{"ServiceEntry", "secrets", "policies"}, "se,s,p", ""},
		{[]string{"virtualservices"}, "", ""}, // an Istio resource that the files do not hold
		{[]string{"se", "bogus"}, "se", `unknown resource "bogus" in --resources: not an Istio resource, nor the resource of an object in the files`},
		{[]string{"dr.security.istio.io"}, "", `unknown resource "dr.security.istio.io" in --resources: not an Istio resource, nor the resource of an object in the files`},
	} {
		f := NewResourceFilter(tc.names)
		got := keep(f.Keep)
		err := f.Err()
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%v: kept %q, err %v; want %q, %q", tc.names, got, err, tc.want, tc.err)
		}
	}
}

func TestUnknownResources(t *testing.T) {
	results := []ContextResult{
		{Context: "a", Unserved: []string{"bogus", "wasmplugins"}},
		{Context: "b", Unserved: []string{"bogus"}},
		{Context: "dead", Err: io.EOF},
	}
	err := UnknownResources(results, []string{"se", "bogus", "wasmplugins"})
	if err == nil || err.Error() != `unknown resource "bogus" in --resources: no context read serves it` {
		t.Errorf("err = %v", err)
	}
	if err := UnknownResources(results[2:], []string{"bogus"}); err != nil {
		t.Errorf("no readable context: %v", err)
	}
	rs := []Resource{{GVR: gvr("networking.istio.io", "serviceentries"), Kind: "ServiceEntry", Singular: "serviceentry", ShortNames: []string{"se"}}}
	if got := unserved(rs, []string{"se", "bogus,ServiceEntry"}); strings.Join(got, ",") != "bogus" {
		t.Errorf("unserved = %v", got)
	}
}

// TestMayHoldSkipsUndecoded skips the List items whose text the caller
// does not want, without decoding them: a broken one is not reported, and
// the others keep their numbers. Other documents are always decoded.
func TestMayHoldSkipsUndecoded(t *testing.T) {
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n"
	}
	indent := func(doc string) string {
		return "- " + strings.ReplaceAll(strings.TrimSuffix(doc, "\n"), "\n", "\n  ") + "\n"
	}
	list := "apiVersion: v1\nkind: List\nitems:\n" + indent(cm("other")) + indent(cm("want-2")) + "- {broken: [\n" +
		indent("apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {x: want}}\n") + "kind: List\n"
	mayHold := VisitOptions{MayHold: func(text []byte) bool { return bytes.Contains(text, []byte("want")) }}
	var names []string
	err := VisitWith([]string{Stdin}, strings.NewReader(cm("want-1")+"---\n"+cm("other")+"---\n"+list), mayHold, func(o Object) error {
		names = append(names, o.Name())
		return nil
	})
	if want := "standard input (document 3, item 4): metadata.name is missing"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if strings.Join(names, ",") != "want-1,other,want-2" {
		t.Errorf("visited %v", names)
	}
	err = VisitWith([]string{Stdin}, strings.NewReader(cm("want")+"---\nnot: [yaml\n"), mayHold, func(Object) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "standard input: malformed YAML or JSON: ") {
		t.Errorf("a malformed document is not reported: %v", err)
	}
}

// TestFileLines: an object read from a YAML file knows the file and the
// line where its document (or List item) starts, for SARIF locations.
func TestFileLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "objs.yaml")
	data := "\n# a comment\n\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# b\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n" +
		"---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: d}\n"
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, err := ReadFiles([]string{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, o := range objs {
		if o.File != p {
			t.Errorf("%s: file %q", o.Name(), o.File)
		}
		got[o.Name()] = o.Line
	}
	want := map[string]int{"a": 4, "b": 9, "c": 16, "d": 19}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: line %d, want %d", k, got[k], v)
		}
	}
	objs, err = Decode("bytes", []byte(data))
	if err != nil || objs[0].File != "" || objs[0].Line != 0 {
		t.Errorf("decoded bytes: %v %q %d", err, objs[0].File, objs[0].Line)
	}
}

// A directory's empty files, or files holding only comments or "---" (a
// placeholder in a kustomize tree, an emptied manifest), are skipped as
// kubectl skips them; the same file named with -f is still an error, and
// so is a directory in which no file holds an object.
func TestReadFilesDirectorySkipsEmptyFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a-empty.yaml", "")
	write(t, dir, "b-blank.yml", "\n  \n")
	write(t, dir, "c-separator.yaml", "---\n# nothing yet\n---\n")
	write(t, dir, "d-objects.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n")
	objs, err := ReadFiles([]string{dir}, nil)
	if err != nil || len(objs) != 1 || objs[0].Name() != "a" {
		t.Fatalf("ReadFiles(dir) = %d objects, %v; want the ConfigMap", len(objs), err)
	}
	if _, err := ReadFiles([]string{filepath.Join(dir, "c-separator.yaml")}, nil); err == nil ||
		!strings.HasSuffix(err.Error(), "c-separator.yaml holds no Kubernetes object") {
		t.Fatalf("named file: %v", err)
	}
	empty := t.TempDir()
	write(t, empty, "a.yaml", "---\n")
	write(t, empty, "b.json", "")
	if _, err := ReadFiles([]string{empty}, nil); err == nil || err.Error() != empty+": no Kubernetes object in its .yaml, .yml or .json files" {
		t.Fatalf("directory of empty files: %v", err)
	}
	// A malformed file in a directory is still an error.
	write(t, dir, "e-bad.yaml", "apiVersion: v1\nkind: [unclosed\n")
	if _, err := ReadFiles([]string{dir}, nil); err == nil || !strings.Contains(err.Error(), "e-bad.yaml: malformed YAML or JSON") {
		t.Fatalf("malformed file in a directory: %v", err)
	}
}

// A typed list as the API server answers it (kubectl get --raw, curl) has
// items without apiVersion and kind: they are the list's, as kubectl reads
// them, whatever the order of the list's keys and in a List of Lists too.
func TestTypedListItemsTakeTheListKind(t *testing.T) {
	item := `{"metadata": {"name": "a", "namespace": "x"}, "spec": {"hosts": ["a"]}}`
	cases := map[string]string{
		"kind first.json":  `{"kind": "ServiceEntryList", "apiVersion": "networking.istio.io/v1", "metadata": {}, "items": [` + item + `]}`,
		"items first.json": `{"apiVersion": "networking.istio.io/v1", "items": [` + item + `], "kind": "ServiceEntryList"}`,
		"sorted.yaml":      "apiVersion: networking.istio.io/v1\nitems:\n- metadata: {name: a, namespace: x}\n  spec: {hosts: [a]}\nkind: ServiceEntryList\nmetadata: {}\n",
		"nested.json":      `{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntryList", "items": [` + item + `]}]}`,
	}
	dir := t.TempDir()
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			objs, err := ReadFiles([]string{write(t, dir, name, content)}, nil)
			if err != nil || len(objs) != 1 {
				t.Fatalf("%d objects, %v", len(objs), err)
			}
			if gvk := objs[0].Obj.GroupVersionKind(); gvk.Kind != "ServiceEntry" || gvk.GroupVersion().String() != "networking.istio.io/v1" || objs[0].Name() != "a" {
				t.Errorf("got %v %s", gvk, objs[0].Name())
			}
		})
	}
	// In a plain List an item without a kind is still refused.
	p := write(t, dir, "plain.yaml", "apiVersion: v1\nitems:\n- metadata: {name: a}\nkind: List\n")
	if _, err := ReadFiles([]string{p}, nil); err == nil || err.Error() != p+" (document 1, item 1): not a Kubernetes object (no apiVersion or kind)" {
		t.Errorf("plain List: %v", err)
	}
}
