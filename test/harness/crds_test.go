package harness

import (
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The embedded Gloo CRDs are served apiextensions v1 CRDs that keep every
// field, for every kind of the solo-apis skeletons.
func TestGlooCRDs(t *testing.T) {
	objs, err := decodeObjects(GlooCRDs)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, u := range objs {
		if u.GetAPIVersion() != "apiextensions.k8s.io/v1" || u.GetKind() != "CustomResourceDefinition" {
			t.Fatalf("%s: %s %s, want apiextensions.k8s.io/v1 CustomResourceDefinition", u.GetName(), u.GetAPIVersion(), u.GetKind())
		}
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
		plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
		if u.GetName() != plural+"."+group {
			t.Errorf("CRD %s is not named plural.group (%s.%s)", u.GetName(), plural, group)
		}
		versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
		if len(versions) != 1 {
			t.Fatalf("%s: %d versions, want 1", u.GetName(), len(versions))
		}
		v := versions[0].(map[string]any)
		preserve, _, _ := unstructured.NestedBool(v, "schema", "openAPIV3Schema", "x-kubernetes-preserve-unknown-fields")
		if v["name"] != "v2" || v["served"] != true || v["storage"] != true || !preserve {
			t.Errorf("%s: version %v, want v2 served, stored, preserving unknown fields", u.GetName(), v)
		}
		kinds[group+"/"+kind] = true
	}
	if len(objs) != 32 {
		t.Errorf("%d CRDs, want the 32 of the skeletons", len(objs))
	}
	for _, k := range []string{
		"networking.gloo.solo.io/VirtualDestination", "networking.gloo.solo.io/RouteTable",
		"networking.gloo.solo.io/VirtualGateway", "networking.gloo.solo.io/ExternalService",
		"networking.gloo.solo.io/ExternalEndpoint", "resilience.policy.gloo.solo.io/FailoverPolicy",
		"resilience.policy.gloo.solo.io/OutlierDetectionPolicy", "admin.gloo.solo.io/Workspace",
		"security.policy.gloo.solo.io/AccessPolicy", "trafficcontrol.policy.gloo.solo.io/HeaderManipulationPolicy",
		"observability.policy.gloo.solo.io/AccessLogPolicy", "extensions.policy.gloo.solo.io/WasmDeploymentPolicy",
	} {
		if !kinds[k] {
			t.Errorf("no CRD for %s", k)
		}
	}
}

// Tool versions come from the tools modules' go.mod files and name the
// cached binaries.
func TestToolVersions(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", "/cache")
	var got []string
	for _, tool := range Tools {
		v, err := tool.Version(root)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ToolPath(tool.Name, v)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	sort.Strings(got)
	want := []string{
		"/cache/kubectl-vd/tools/etcd-v3.6.16",
		"/cache/kubectl-vd/tools/goreleaser-v2.15.1",
		"/cache/kubectl-vd/tools/krew-v0.4.3",
		"/cache/kubectl-vd/tools/kube-apiserver-v1.37.2",
		"/cache/kubectl-vd/tools/kwok-v0.8.0",
		"/cache/kubectl-vd/tools/pilot-discovery-v0.0.0-20260827124520-eed52ebb66ad",
		"/cache/kubectl-vd/tools/validate-krew-manifest-v0.4.3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tool paths:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	kube, _ := LookupTool(KubeAPIServer)
	if got, want := kube.LDFlags("v1.37.2"), "-s -w -X k8s.io/component-base/version.gitVersion=v1.37.2 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/client-go/pkg/version.gitVersion=v1.37.2"; got != want {
		t.Errorf("kube-apiserver ldflags %q, want %q", got, want)
	}
}

func TestDecodeObjectsFlattensListsAndSkipsEmptyDocuments(t *testing.T) {
	objs, err := decodeObjects([]byte(`---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: a}}
- {apiVersion: v1, kind: Namespace, metadata: {name: b}}
---
---
{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "c"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetName())
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("decoded %v, want a,b,c", names)
	}
	if _, err := decodeObjects([]byte("metadata: {name: x}\n")); err == nil {
		t.Error("an object without apiVersion and kind was accepted")
	}
}
