package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// applyTimeout bounds one Apply, ApplyYAML or Delete call.
const applyTimeout = 2 * time.Minute

var (
	namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	crdGVR       = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// mapper maps kinds to resources from discovery, forgetting what it knows
// when a kind is missing (a CRD installed since).
type mapper struct {
	mu    sync.Mutex
	disco discovery.CachedDiscoveryInterface
	rm    *restmapper.DeferredDiscoveryRESTMapper
}

func newMapper(cfg *rest.Config) (*mapper, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	cached := memory.NewMemCacheClient(dc)
	return &mapper{disco: cached, rm: restmapper.NewDeferredDiscoveryRESTMapper(cached)}, nil
}

func (m *mapper) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rm.Reset()
}

func (m *mapper) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	mp, err := m.rm.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		m.reset()
		mp, err = m.rm.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	return mp, err
}

func (m *mapper) resourceFor(partial schema.GroupVersionResource) (schema.GroupVersionResource, error) {
	gvr, err := m.rm.ResourceFor(partial)
	if meta.IsNoMatchError(err) {
		m.reset()
		gvr, err = m.rm.ResourceFor(partial)
	}
	return gvr, err
}

// Apply creates or updates (server-side apply, as the harness's field
// manager, forcing conflicts) the objects of YAML or JSON files in a cluster.
// A folder stands for its .yaml, .yml and .json files, recursively, in
// lexical order. Namespaces are applied first, then CRDs (waited for until
// served), then the rest; a namespace an object needs is created when
// missing.
func (e *Env) Apply(context string, paths ...string) error {
	objs, err := readObjects(paths)
	if err != nil {
		return err
	}
	return e.applyObjects(context, objs)
}

// ApplyIstioOnly is Apply without the Gloo Mesh objects (groups *.solo.io),
// for a cluster of Options.IstioOnly: its translations without the parents.
func (e *Env) ApplyIstioOnly(context string, paths ...string) error {
	objs, err := readObjects(paths)
	if err != nil {
		return err
	}
	var kept []*unstructured.Unstructured
	for _, o := range objs {
		if !strings.HasSuffix(o.GroupVersionKind().Group, "solo.io") {
			kept = append(kept, o)
		}
	}
	return e.applyObjects(context, kept)
}

func readObjects(paths []string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for _, p := range paths {
		files, err := yamlFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			o, err := decodeObjects(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			objs = append(objs, o...)
		}
	}
	return objs, nil
}

// ApplyYAML is Apply for objects given as YAML or JSON (several documents,
// Lists).
func (e *Env) ApplyYAML(context string, data []byte) error {
	objs, err := decodeObjects(data)
	if err != nil {
		return err
	}
	return e.applyObjects(context, objs)
}

func yamlFiles(root string) ([]string, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{root}, nil
	}
	var out []string
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				out = append(out, p)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// decodeObjects reads every object of a YAML or JSON stream, flattening
// Lists and skipping empty documents.
func decodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetAPIVersion() == "" || u.GetKind() == "" {
			return nil, fmt.Errorf("object without apiVersion or kind: %.80v", m)
		}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, err
			}
			for i := range list.Items {
				out = append(out, &list.Items[i])
			}
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

func (e *Env) applyObjects(context string, objs []*unstructured.Unstructured) error {
	c, err := e.cluster(context)
	if err != nil {
		return err
	}
	ctx, cancel := contextWithTimeout(applyTimeout)
	defer cancel()

	rank := func(u *unstructured.Unstructured) int {
		switch u.GroupVersionKind().GroupKind() {
		case schema.GroupKind{Kind: "Namespace"}:
			return 0
		case schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}:
			return 1
		}
		return 2
	}
	sorted := slicesClone(objs)
	sort.SliceStable(sorted, func(i, j int) bool { return rank(sorted[i]) < rank(sorted[j]) })

	var crds []*unstructured.Unstructured
	namespaces := map[string]bool{}
	for i, u := range sorted {
		if rank(u) == 2 && len(crds) > 0 {
			// CRDs first must be served before their objects.
			if err := c.waitCRDs(ctx, crds); err != nil {
				return err
			}
			crds = nil
		}
		obj := cleanForApply(u)
		mp, err := c.mapper.mapping(obj.GroupVersionKind())
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", context, obj.GetKind(), obj.GetName(), err)
		}
		ri := c.dyn.Resource(mp.Resource)
		if mp.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := obj.GetNamespace()
			if ns == "" {
				ns = metav1.NamespaceDefault
				obj.SetNamespace(ns)
			}
			if !namespaces[ns] {
				if err := c.ensureNamespace(ctx, ns); err != nil {
					return fmt.Errorf("%s: namespace %s: %w", context, ns, err)
				}
				namespaces[ns] = true
			}
			_, err = ri.Namespace(ns).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
		} else {
			obj.SetNamespace("")
			_, err = ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
		}
		if err != nil {
			return fmt.Errorf("%s: applying %s %s/%s (object %d): %w", context, obj.GetKind(), obj.GetNamespace(), obj.GetName(), i+1, err)
		}
		switch rank(u) {
		case 0:
			namespaces[obj.GetName()] = true
		case 1:
			crds = append(crds, obj)
		}
	}
	if len(crds) > 0 {
		return c.waitCRDs(ctx, crds)
	}
	return nil
}

// cleanForApply drops what a server wrote on an object read back from a
// cluster (find -o yaml output), which server-side apply refuses or would
// take as an owned field.
func cleanForApply(u *unstructured.Unstructured) *unstructured.Unstructured {
	obj := u.DeepCopy()
	for _, f := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"} {
		unstructured.RemoveNestedField(obj.Object, "metadata", f)
	}
	unstructured.RemoveNestedField(obj.Object, "status")
	return obj
}

func (c *cluster) ensureNamespace(ctx context.Context, ns string) error {
	ri := c.dyn.Resource(namespaceGVR)
	if _, err := ri.Get(ctx, ns, metav1.GetOptions{}); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	obj := &unstructured.Unstructured{}
	obj.SetAPIVersion("v1")
	obj.SetKind("Namespace")
	obj.SetName(ns)
	_, err := ri.Create(ctx, obj, metav1.CreateOptions{FieldManager: fieldManager})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// Delete deletes objects from a cluster. ref is RESOURCE[.GROUP]/NAMESPACE/NAME,
// RESOURCE[.GROUP]/NAME for a cluster-scoped object (RESOURCE may be plural,
// singular or a lower-case kind: serviceentries.networking.istio.io/bookinfo/x,
// virtualdestination/bookinfo/productpage), or YAML of the objects to delete.
// Deletion is immediate (grace period 0); a missing object is not an error.
// A deleted namespace stays Terminating: no controller finalizes it.
func (e *Env) Delete(context, ref string) error {
	if strings.Contains(ref, "\n") || strings.Contains(ref, "kind:") || strings.HasPrefix(strings.TrimSpace(ref), "{") {
		return e.DeleteYAML(context, []byte(ref))
	}
	c, err := e.cluster(context)
	if err != nil {
		return err
	}
	parts := strings.Split(ref, "/")
	var resource, ns, name string
	switch len(parts) {
	case 2:
		resource, name = parts[0], parts[1]
	case 3:
		resource, ns, name = parts[0], parts[1], parts[2]
	}
	if resource == "" || name == "" {
		return fmt.Errorf("delete %q: want RESOURCE[.GROUP]/[NAMESPACE/]NAME or YAML", ref)
	}
	gr := schema.ParseGroupResource(resource)
	gvr, err := c.mapper.resourceFor(gr.WithVersion(""))
	if err != nil {
		return fmt.Errorf("%s: delete %s: %w", context, ref, err)
	}
	ctx, cancel := contextWithTimeout(applyTimeout)
	defer cancel()
	return c.delete(ctx, gvr, ns, name)
}

// DeleteYAML deletes the objects a YAML or JSON stream describes.
func (e *Env) DeleteYAML(context string, data []byte) error {
	c, err := e.cluster(context)
	if err != nil {
		return err
	}
	objs, err := decodeObjects(data)
	if err != nil {
		return err
	}
	ctx, cancel := contextWithTimeout(applyTimeout)
	defer cancel()
	for _, u := range objs {
		mp, err := c.mapper.mapping(u.GroupVersionKind())
		if err != nil {
			return fmt.Errorf("%s: %s %s: %w", context, u.GetKind(), u.GetName(), err)
		}
		ns := u.GetNamespace()
		if mp.Scope.Name() == meta.RESTScopeNameNamespace && ns == "" {
			ns = metav1.NamespaceDefault
		}
		if err := c.delete(ctx, mp.Resource, ns, u.GetName()); err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) delete(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) error {
	grace := int64(0)
	policy := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{GracePeriodSeconds: &grace, PropagationPolicy: &policy}
	var err error
	if ns != "" {
		err = c.dyn.Resource(gvr).Namespace(ns).Delete(ctx, name, opts)
	} else {
		err = c.dyn.Resource(gvr).Delete(ctx, name, opts)
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: deleting %s %s/%s: %w", c.name, gvr.Resource, ns, name, err)
	}
	return nil
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
