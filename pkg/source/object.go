// Package source reads Kubernetes objects from where they live: the API
// servers of one or many kube contexts, or files saved earlier (YAML or JSON,
// single objects, kubectl Lists, multi-document streams, directories, stdin).
// Everything downstream (find, diff, explain, envoy --vd) works on []Object
// and never knows which source it came from.
package source

import (
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ContextAnnotation records, in files written by `find -o yaml|json` for
// several contexts, the kube context each object was read from, so that the
// context survives a round trip through a file.
const ContextAnnotation = "kubectl-vd/context"

// Object is one Kubernetes object and the kube context it was read from.
type Object struct {
	// Context is the kube context name, or for files the value of
	// ContextAnnotation ("" when the file does not say).
	Context string
	// Resource is the plural resource name (serviceentries) when known.
	Resource string
	Obj      *unstructured.Unstructured
	// File and Line say where an object read from a file starts: the
	// file's path and the line (from 1) of its document's first content,
	// or of its List item, in YAML; Line is 0 when not known (JSON,
	// standard input, live objects).
	File string
	Line int
}

// Group, Kind, Namespace and Name are shortcuts used for sorting and pairing.
func (o Object) Group() string     { return o.Obj.GroupVersionKind().Group }
func (o Object) Kind() string      { return o.Obj.GetKind() }
func (o Object) Namespace() string { return o.Obj.GetNamespace() }
func (o Object) Name() string      { return o.Obj.GetName() }

// Less orders objects by context, kind, group, namespace and name: the
// stable order of every output.
func Less(a, b Object) bool {
	if a.Context != b.Context {
		return a.Context < b.Context
	}
	if a.Kind() != b.Kind() {
		return a.Kind() < b.Kind()
	}
	if a.Group() != b.Group() {
		return a.Group() < b.Group()
	}
	if a.Namespace() != b.Namespace() {
		return a.Namespace() < b.Namespace()
	}
	return a.Name() < b.Name()
}

// Sort sorts objects in the stable output order.
func Sort(objs []Object) {
	sort.SliceStable(objs, func(i, j int) bool { return Less(objs[i], objs[j]) })
}

// Contexts returns the distinct contexts of objs in order of first
// appearance after sorting.
func Contexts(objs []Object) []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range objs {
		if !seen[o.Context] {
			seen[o.Context] = true
			out = append(out, o.Context)
		}
	}
	sort.Strings(out)
	return out
}
