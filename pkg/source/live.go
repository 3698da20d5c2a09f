package source

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// pageSize bounds the objects held per list response: with 20,000
// translated objects in a cluster a lookup never holds one huge response.
const pageSize = 500

// listConcurrency bounds the lists in flight per context. HTTP/2 carries
// them all on one connection, so a remote cluster answers in about one
// round trip; the bound only keeps --all-resources polite to the server.
const listConcurrency = 64

// errSkipped marks a list not read because its context had already failed.
var errSkipped = errors.New("not read")

// Resource is one listable API resource found by discovery.
type Resource struct {
	GVR        schema.GroupVersionResource
	Kind       string
	Singular   string
	ShortNames []string
	Namespaced bool
}

// GroupResource is "serviceentries.networking.istio.io".
func (r Resource) GroupResource() string { return r.GVR.GroupResource().String() }

// ContextResult is what one context answered.
type ContextResult struct {
	Context string
	Objects []Object
	// Tables holds, when tables were asked for, the server's Table of each
	// resource that had matches (rows in the same order as Objects of that
	// resource).
	Tables []ResourceTable
	// Err is set when the context could not be read at all.
	Err error
	// Gaps name what could not be read while the rest was (a forbidden
	// cluster-wide list, a broken API group).
	Gaps []error
	// Unserved are the Query.Resources values that name no resource the
	// context serves.
	Unserved []string
}

// ResourceTable is the server-side Table of the matches of one resource.
type ResourceTable struct {
	Resource Resource
	Table    *metav1.Table
}

// Options tune a live lookup.
type Options struct {
	// Tables asks the servers for kubectl's Table form (printer columns)
	// instead of whole objects.
	Tables bool
}

// Translations looks up the translations of q in every cluster
// concurrently. The results come back in the order of clusters; one failing
// context never hides the others.
func Translations(ctx context.Context, clusters []*kube.Cluster, q Query, opts ...Options) []ContextResult {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	return contextResults(eachCluster(ctx, clusters, func(ctx context.Context, c *kube.Cluster) (ContextResult, error) {
		return translationsIn(ctx, c, q, o), nil
	}))
}

// TranslationsOf builds the clients of each context and looks the
// translations up in all of them: a context whose clients cannot be built
// is a result with Err, in its place, and never hides the others.
func TranslationsOf(ctx context.Context, f *kube.Flags, contexts []string, q Query, opts ...Options) []ContextResult {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	return contextResults(EachContext(ctx, f, contexts, func(ctx context.Context, c *kube.Cluster) (ContextResult, error) {
		return translationsIn(ctx, c, q, o), nil
	}))
}

// contextResults are the lookups of every context; a context that did not
// answer (its clients could not be built, or ctx ended) is its error.
func contextResults(rs []Result[ContextResult]) []ContextResult {
	out := make([]ContextResult, len(rs))
	for i, r := range rs {
		if r.Err != nil {
			err := r.Err
			var ce *kube.ContextError
			if errors.As(err, &ce) {
				// The context is named by the result already.
				err = ce.Err
			}
			out[i] = ContextResult{Context: r.Context, Err: err}
			continue
		}
		out[i] = r.Value
	}
	return out
}

func translationsIn(ctx context.Context, c *kube.Cluster, q Query, o Options) ContextResult {
	res := ContextResult{Context: c.Context}
	resources, gaps, err := Discover(ctx, c, q.AllResources)
	if err != nil {
		res.Err = err
		return res
	}
	res.Gaps = append(res.Gaps, gaps...)
	res.Unserved = unserved(resources, q.Resources)
	resources = FilterResources(resources, q.Resources)
	selector := q.Selector().String()

	type listed struct {
		objs     []Object
		table    *metav1.Table
		fallback *fallback
		err      error
	}
	// The first connection failure or timeout cancels the context's other
	// requests: a frozen apiserver costs one --request-timeout, not one per
	// batch of lists.
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]listed, len(resources))
	sem := make(chan struct{}, listConcurrency)
	var wg sync.WaitGroup
	for i, r := range resources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-cctx.Done():
				out[i].err = context.Cause(cctx)
				return
			}
			defer func() { <-sem }()
			var l listed
			l.objs, l.table, l.fallback, l.err = listWithFallback(cctx, c, r, q, selector, o.Tables)
			if l.err != nil && ctx.Err() == nil && isConnectionError(l.err) && !errors.Is(l.err, context.Canceled) {
				cancel(l.err)
			}
			out[i] = l
		}()
	}
	wg.Wait()
	if cause := context.Cause(cctx); cause != nil && ctx.Err() == nil && !errors.Is(cause, context.Canceled) {
		read := 0
		for _, l := range out {
			if l.err == nil {
				read++
			}
		}
		if read == 0 {
			return ContextResult{Context: c.Context, Err: errors.New(describe(cause))}
		}
		// Some lists answered before the context failed: keep them, and
		// say once what was not read and why.
		for i := range out {
			if out[i].err != nil {
				out[i].err = errSkipped
			}
		}
		res.Gaps = append(res.Gaps, fmt.Errorf("a request failed (%s), so the others were cancelled: %d of %d resources not read", describe(cause), len(resources)-read, len(resources)))
	}

	failed := 0
	var firstErr error
	var fallbacks []string
	readable := map[string]bool{}
	unreadable := map[string]bool{}
	for i, l := range out {
		if l.err == errSkipped {
			continue
		}
		if l.err != nil {
			failed++
			if firstErr == nil {
				firstErr = l.err
			}
			res.Gaps = append(res.Gaps, fmt.Errorf("%s: %s", resources[i].GroupResource(), describe(l.err)))
			continue
		}
		if l.fallback != nil {
			fallbacks = append(fallbacks, resources[i].GVR.Resource)
			for _, ns := range l.fallback.readable {
				readable[ns] = true
			}
			for _, ns := range l.fallback.forbidden {
				unreadable[resources[i].GVR.Resource+" in "+ns] = true
			}
		}
		res.Objects = append(res.Objects, l.objs...)
		if l.table != nil && len(l.table.Rows) > 0 {
			res.Tables = append(res.Tables, ResourceTable{Resource: resources[i], Table: l.table})
		}
	}
	if len(fallbacks) > 0 {
		// One line for the whole context: an RBAC-limited user would
		// otherwise get one line per Istio resource.
		msg := fmt.Sprintf("cannot list %s across all namespaces (forbidden)", strings.Join(fallbacks, ", "))
		if ns := sortedKeys(readable); len(ns) > 0 {
			msg += "; read namespace(s) " + strings.Join(ns, ", ") + " only"
		}
		if denied := sortedKeys(unreadable); len(denied) > 0 {
			msg += "; also forbidden: " + strings.Join(denied, ", ")
		}
		res.Gaps = append(res.Gaps, errors.New(msg))
	}
	// When every list failed the same way the context is down, not gappy.
	if failed > 0 && failed == len(resources) && isConnectionError(firstErr) {
		return ContextResult{Context: c.Context, Err: errors.New(describe(firstErr))}
	}
	Sort(res.Objects)
	return res
}

// listWithFallback lists r across all namespaces; when that is forbidden it
// lists the namespaces the query names instead and says so.
func listWithFallback(ctx context.Context, c *kube.Cluster, r Resource, q Query, selector string, tables bool) ([]Object, *metav1.Table, *fallback, error) {
	var objs []Object
	var table *metav1.Table
	fb, err := acrossNamespaces(r.Namespaced, searchNamespaces(q), func(ns string) error {
		o, t, err := listResource(ctx, c, r, ns, selector, tables)
		if err != nil {
			return err
		}
		objs = append(objs, o...)
		table = mergeTables(table, t)
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return objs, table, fb, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func searchNamespaces(q Query) []string {
	seen := map[string]bool{}
	var out []string
	for _, ns := range append([]string{q.Namespace}, q.SearchNamespaces...) {
		if ns != "" && !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	return out
}

func listResource(ctx context.Context, c *kube.Cluster, r Resource, namespace, selector string, tables bool) ([]Object, *metav1.Table, error) {
	if tables {
		t, err := ListTable(ctx, c, r.GVR, namespace, selector)
		if err != nil {
			return nil, nil, err
		}
		objs := make([]Object, 0, len(t.Rows))
		for _, row := range t.Rows {
			objs = append(objs, Object{Context: c.Context, Resource: r.GVR.Resource, Obj: rowObject(row, r)})
		}
		return objs, t, nil
	}
	objs, err := List(ctx, c, r.GVR, namespace, selector)
	return objs, nil, err
}

// List lists one resource in one namespace ("" for all), page by page.
func List(ctx context.Context, c *kube.Cluster, gvr schema.GroupVersionResource, namespace, labelSelector string) ([]Object, error) {
	var out []Object
	err := eachPage(ctx, c, labelSelector, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := c.Dynamic.Resource(gvr).Namespace(namespace).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for i := range list.Items {
			item := &list.Items[i]
			if item.GetAPIVersion() == "" {
				item.SetAPIVersion(gvr.GroupVersion().String())
			}
			if item.GetKind() == "" {
				item.SetKind(strings.TrimSuffix(list.GetKind(), "List"))
			}
			out = append(out, Object{Context: c.Context, Resource: gvr.Resource, Obj: item})
		}
		return list.GetContinue(), nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Served reports whether a cluster serves a resource.
func Served(ctx context.Context, c *kube.Cluster, gvr schema.GroupVersionResource) (bool, error) {
	rl, err := c.Discovery.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		// A group the server does not serve is an answer, not a failure:
		// the live client says 404, the in-memory discovery cache its own
		// "not found".
		if apierrors.IsNotFound(err) || errors.Is(err, memory.ErrCacheNotFound) {
			return false, nil
		}
		return false, err
	}
	for _, r := range rl.APIResources {
		if r.Name == gvr.Resource {
			return true, nil
		}
	}
	return false, nil
}

// Discover lists the listable resources of every *.istio.io group (all
// groups with all), at their preferred versions, from kubectl's discovery
// cache. A broken API group is a gap, not a failure.
func Discover(ctx context.Context, c *kube.Cluster, all bool) ([]Resource, []error, error) {
	type answer struct {
		lists []*metav1.APIResourceList
		err   error
	}
	done := make(chan answer, 1)
	go func() {
		lists, err := c.Discovery.ServerPreferredResources()
		done <- answer{lists, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	var gaps []error
	if a.err != nil {
		var gdf *discovery.ErrGroupDiscoveryFailed
		if !errors.As(a.err, &gdf) {
			return nil, nil, errors.New(describe(a.err))
		}
		groups := make([]string, 0, len(gdf.Groups))
		for gv := range gdf.Groups {
			if all || strings.HasSuffix(gv.Group, "istio.io") {
				groups = append(groups, gv.String())
			}
		}
		sort.Strings(groups)
		for _, g := range groups {
			gv, _ := schema.ParseGroupVersion(g)
			gaps = append(gaps, fmt.Errorf("API group %s could not be discovered: %s", g, describe(gdf.Groups[gv])))
		}
		if len(a.lists) == 0 {
			return nil, nil, errors.New(describe(a.err))
		}
	}
	var out []Resource
	for _, l := range a.lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		if !all && !strings.HasSuffix(gv.Group, "istio.io") {
			continue
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
				continue
			}
			out = append(out, Resource{
				GVR:        gv.WithResource(r.Name),
				Kind:       r.Kind,
				Singular:   r.SingularName,
				ShortNames: r.ShortNames,
				Namespaced: r.Namespaced,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].GVR.Group < out[j].GVR.Group
	})
	return out, gaps, nil
}

// FilterResources keeps the resources named in names (plural, singular,
// kind or short name, each optionally followed by .group).
func FilterResources(rs []Resource, names []string) []Resource {
	if len(names) == 0 {
		return rs
	}
	var out []Resource
	for _, r := range rs {
		for _, n := range names {
			if resourceMatches(r, n) {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

func resourceMatches(r Resource, name string) bool {
	name = strings.ToLower(strings.TrimSpace(name))
	base, group, _ := strings.Cut(name, ".")
	if group != "" && group != r.GVR.Group {
		return false
	}
	if base == r.GVR.Resource || base == r.Singular || base == strings.ToLower(r.Kind) {
		return true
	}
	for _, s := range r.ShortNames {
		if base == s {
			return true
		}
	}
	return false
}

func hasVerb(verbs []string, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

func rowObject(row metav1.TableRow, r Resource) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	if len(row.Object.Raw) > 0 {
		_ = u.UnmarshalJSON(row.Object.Raw)
	}
	// Rows carry PartialObjectMetadata: restore the resource's own type.
	u.SetAPIVersion(r.GVR.GroupVersion().String())
	u.SetKind(r.Kind)
	return u
}

// PreferredResource finds the version of group at which the cluster serves
// resource, from discovery (kubectl's cache): the group's preferred version
// when it serves the resource, else the first of its versions that does.
// ok is false when no version serves it.
func PreferredResource(ctx context.Context, c *kube.Cluster, group, resource string) (gvr schema.GroupVersionResource, ok bool, err error) {
	type answer struct {
		groups *metav1.APIGroupList
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		g, err := c.Discovery.ServerGroups()
		done <- answer{g, err}
	}()
	var a answer
	select {
	case a = <-done:
	case <-ctx.Done():
		return gvr, false, ctx.Err()
	}
	if a.err != nil {
		return gvr, false, a.err
	}
	for _, g := range a.groups.Groups {
		if g.Name != group {
			continue
		}
		versions := []string{g.PreferredVersion.Version}
		for _, v := range g.Versions {
			if v.Version != g.PreferredVersion.Version {
				versions = append(versions, v.Version)
			}
		}
		for _, v := range versions {
			candidate := schema.GroupVersionResource{Group: group, Version: v, Resource: resource}
			served, err := Served(ctx, c, candidate)
			if err != nil {
				return gvr, false, err
			}
			if served {
				return candidate, true, nil
			}
		}
	}
	return gvr, false, nil
}
