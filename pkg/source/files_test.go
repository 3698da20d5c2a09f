package source

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
