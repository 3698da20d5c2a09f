package bundle

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Admin paths a bundle saves.
const (
	ConfigDumpPath = "config_dump?include_eds"
	ClustersPath   = admin.ClustersPath
)

// ProxyRequest names a proxy to save in every context.
type ProxyRequest struct {
	// Namespace is the proxy's namespace ("" for the context's).
	Namespace string
	Target    admin.Target
}

// CaptureOptions say what to read.
type CaptureOptions struct {
	Name, Namespace string
	Kinds           []string
	Proxies         []ProxyRequest
	AdminPort       int
	// SearchNamespaces are read when a cluster-wide list is forbidden.
	SearchNamespaces []string
}

var (
	gvrVirtualDestinations = schema.GroupVersionResource{Group: model.GroupGlooNetworking, Version: "v2", Resource: "virtualdestinations"}
	gvrServices            = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrPods                = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	gvrNodes               = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	gvrEndpointSlices      = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
)

// Capture reads, in every context concurrently, what the other commands
// read for the parent, and the proxies asked for. A context that cannot be
// read is named in the manifest with its error; it never hides the others.
func Capture(ctx context.Context, f *kube.Flags, contexts []string, o CaptureOptions, now time.Time) *Contents {
	c := &Contents{Objects: map[string][]source.Object{}}
	c.Manifest.Created = now
	c.Manifest.Parent = Parent{Name: o.Name, Namespace: o.Namespace, Kinds: o.Kinds}
	type result struct {
		info    Context
		objs    []source.Object
		proxies []Proxy
		data    []ProxyData
	}
	results := make([]result, len(contexts))
	var wg sync.WaitGroup
	for i, name := range contexts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.info, r.objs = captureContext(ctx, f, name, o)
			r.proxies, r.data = captureProxies(ctx, f, name, r.info.Error, o)
		}()
	}
	wg.Wait()
	for _, r := range results {
		c.Manifest.Contexts = append(c.Manifest.Contexts, r.info)
		c.Objects[r.info.Name] = r.objs
		c.Manifest.Proxies = append(c.Manifest.Proxies, r.proxies...)
		c.Proxies = append(c.Proxies, r.data...)
	}
	return c
}

// Failed names the contexts and proxies that could not be read, or parts
// of them, one line each.
func (m Manifest) Failed() []string {
	var out []string
	for _, c := range m.Contexts {
		if c.Error != "" {
			out = append(out, fmt.Sprintf("context %s: %s", c.Name, c.Error))
		}
		for _, g := range c.Gaps {
			out = append(out, fmt.Sprintf("context %s: %s", c.Name, g))
		}
		for _, w := range append(append(append([]string(nil), c.Warnings...), c.MeshGaps...), c.Missing...) {
			out = append(out, fmt.Sprintf("context %s: %s", c.Name, w))
		}
	}
	for _, p := range m.Proxies {
		if p.Error != "" {
			out = append(out, fmt.Sprintf("context %s: proxy %s in %s: %s", p.Context, p.Target, p.Namespace, p.Error))
		}
	}
	return out
}

// reader collects the objects of one context, once each.
type reader struct {
	c       *kube.Cluster
	info    *Context
	objs    []source.Object
	seen    map[string]bool
	missing []string
}

func (r *reader) add(objs ...source.Object) {
	for _, o := range objs {
		key := o.Group() + "/" + o.Kind() + "/" + o.Namespace() + "/" + o.Name()
		if r.seen[key] {
			continue
		}
		r.seen[key] = true
		r.objs = append(r.objs, o)
	}
}

func (r *reader) miss(format string, args ...any) {
	r.missing = append(r.missing, fmt.Sprintf(format, args...))
}

func captureContext(ctx context.Context, f *kube.Flags, name string, o CaptureOptions) (Context, []source.Object) {
	info := Context{Name: name}
	c, err := f.Cluster(name)
	if err != nil {
		var ce *kube.ContextError
		if errors.As(err, &ce) {
			err = ce.Err
		}
		info.Error = source.Describe(err)
		return info, nil
	}
	q := source.Query{Name: o.Name, Namespace: o.Namespace, ParentKinds: o.Kinds, SearchNamespaces: o.SearchNamespaces}
	res := source.Translations(ctx, []*kube.Cluster{c}, q)[0]
	if res.Err != nil {
		info.Error = source.Describe(res.Err)
		return info, nil
	}
	for _, g := range res.Gaps {
		info.Gaps = append(info.Gaps, g.Error())
	}
	r := &reader{c: c, info: &info, seen: map[string]bool{}}
	r.add(res.Objects...)
	info.GlooCluster = glooCluster(res.Objects)
	if v, err := c.Discovery.ServerVersion(); err == nil {
		info.ServerVersion = v.GitVersion
	} else {
		r.miss("cannot read the server version: %s", source.Describe(err))
	}
	r.readExplainExtras(ctx, o)
	r.readParents(ctx, res.Objects, o)
	r.readKubernetes(ctx)
	r.readMesh(ctx, f, o)
	info.Missing = r.missing
	return info, r.objs
}

// glooCluster is the Gloo cluster most translations name.
func glooCluster(objs []source.Object) string {
	count := map[string]int{}
	for _, o := range objs {
		if cl := source.GlooCluster(o); cl != "" {
			count[cl]++
		}
	}
	best := ""
	for cl, n := range count {
		if best == "" || n > count[best] || (n == count[best] && cl < best) {
			best = cl
		}
	}
	return best
}

// readExplainExtras reads what explain reads besides the translations:
// the VirtualDestination where the Gloo API is served and every
// VirtualService, with explain's warnings when they cannot be read.
func (r *reader) readExplainExtras(ctx context.Context, o CaptureOptions) {
	c, info := r.c, r.info
	served, err := source.Served(ctx, c, gvrVirtualDestinations)
	if err != nil {
		info.Warnings = append(info.Warnings, "cannot tell whether the Gloo API is served: "+source.Describe(err))
	}
	if served {
		info.GlooAPI = true
		objs, err := source.List(ctx, c, gvrVirtualDestinations, o.Namespace, "")
		switch {
		case apierrors.IsNotFound(err):
			info.GlooAPI = false
		case err != nil:
			info.Warnings = append(info.Warnings, "cannot read VirtualDestinations: "+source.Describe(err))
			info.GlooAPI = false
		}
		for _, ob := range objs {
			if ob.Name() == o.Name {
				r.add(ob)
			}
		}
	}
	gvr, ok, err := source.PreferredResource(ctx, c, model.GroupIstioNetworking, "virtualservices")
	if err != nil {
		info.Warnings = append(info.Warnings, "cannot tell whether Istio is served: "+source.Describe(err))
	}
	if !ok {
		return
	}
	info.IstioAPI = true
	objs, err := source.List(ctx, c, gvr, "", "")
	switch {
	case err == nil:
		r.add(objs...)
	case apierrors.IsNotFound(err):
		info.IstioAPI = false
	case apierrors.IsForbidden(err):
		var readable []string
		for _, ns := range uniqueStrings(append([]string{o.Namespace}, o.SearchNamespaces...)) {
			objs, err := source.List(ctx, c, gvr, ns, "")
			if err != nil {
				continue
			}
			readable = append(readable, ns)
			r.add(objs...)
		}
		what := "no namespace could be read"
		if len(readable) > 0 {
			what = "read only namespace(s) " + strings.Join(readable, ", ")
		}
		info.Warnings = append(info.Warnings, "cannot list VirtualServices across all namespaces (forbidden); "+what+
			": routes from other namespaces are not shown")
	default:
		info.Warnings = append(info.Warnings, "cannot list VirtualServices: "+source.Describe(err))
	}
}

// readParents reads the Gloo objects the translations name as parents.
func (r *reader) readParents(ctx context.Context, translations []source.Object, o CaptureOptions) {
	type key struct{ group, kind, ns string }
	names := map[key]map[string]bool{}
	for _, t := range translations {
		p, ok := source.Parent(t)
		if !ok || p.Kind == "" {
			continue
		}
		group := p.Group
		if group == "" {
			group = parentGroup(p.Kind)
		}
		if group == "" {
			// A Kubernetes Service parent, or a kind of unknown group.
			continue
		}
		k := key{group, p.Kind, p.Namespace}
		if names[k] == nil {
			names[k] = map[string]bool{}
		}
		names[k][p.Name] = true
	}
	keys := make([]key, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j])
	})
	for _, k := range keys {
		gvr, ok, err := source.PreferredResource(ctx, r.c, k.group, plural(k.kind))
		if err != nil {
			r.miss("cannot read %s parents: %s", k.kind, source.Describe(err))
			continue
		}
		if !ok {
			// The API is not served here (a workload cluster).
			continue
		}
		objs, err := source.List(ctx, r.c, gvr, k.ns, "")
		if err != nil {
			r.miss("cannot read %s in %s: %s", gvr.Resource, k.ns, source.Describe(err))
			continue
		}
		for _, ob := range objs {
			if names[k][ob.Name()] {
				r.add(ob)
			}
		}
	}
}

func parentGroup(kind string) string {
	for _, pk := range source.ParentKinds {
		if pk.Kind == kind {
			return pk.Group
		}
	}
	return ""
}

// plural is the resource name of a Gloo kind.
func plural(kind string) string {
	l := strings.ToLower(kind)
	if strings.HasSuffix(l, "y") {
		return strings.TrimSuffix(l, "y") + "ies"
	}
	return l + "s"
}

// readKubernetes reads the Kubernetes objects the parents and translations
// select: the Services of the VirtualDestinations' services selectors and
// of the hosts that name a Service, the pods the ServiceEntries'
// workloadSelectors and those Services select, the Services'
// EndpointSlices, and the nodes of those pods. Secrets are never read.
func (r *reader) readKubernetes(ctx context.Context) {
	services := map[string]source.Object{}
	addServices := func(objs []source.Object) {
		for _, s := range objs {
			services[s.Namespace()+"/"+s.Name()] = s
		}
	}
	type podSelector struct {
		ns  string
		sel map[string]string
	}
	var podSelectors []podSelector
	for _, o := range append([]source.Object(nil), r.objs...) {
		switch {
		case o.Group() == model.GroupGlooNetworking && o.Kind() == model.KindVirtualDestination:
			list, _, _ := unstructured.NestedSlice(o.Obj.Object, "spec", "services")
			for _, item := range list {
				m, ok := item.(map[string]any)
				if !ok {
					continue
				}
				ns, _ := m["namespace"].(string)
				name, _ := m["name"].(string)
				cluster, _ := m["cluster"].(string)
				if cluster != "" && r.info.GlooCluster != "" && cluster != r.info.GlooCluster {
					continue
				}
				sel := map[string]string{}
				if l, ok := m["labels"].(map[string]any); ok {
					for k, v := range l {
						if s, ok := v.(string); ok {
							sel[k] = s
						}
					}
				}
				addServices(r.listServices(ctx, ns, name, sel))
			}
		case o.Group() == model.GroupIstioNetworking && o.Kind() == model.KindServiceEntry:
			hosts, _, _ := unstructured.NestedStringSlice(o.Obj.Object, "spec", "hosts")
			for _, h := range hosts {
				if name, ns, ok := serviceHost(h); ok {
					addServices(r.listServices(ctx, ns, name, nil))
				}
			}
			sel, _, _ := unstructured.NestedStringMap(o.Obj.Object, "spec", "workloadSelector", "labels")
			if len(sel) > 0 {
				podSelectors = append(podSelectors, podSelector{o.Namespace(), sel})
			}
		}
	}
	keys := make([]string, 0, len(services))
	for k := range services {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := services[k]
		r.add(s)
		slices, err := source.List(ctx, r.c, gvrEndpointSlices, s.Namespace(), "kubernetes.io/service-name="+s.Name())
		if err != nil {
			r.miss("cannot list the EndpointSlices of Service %s: %s", k, source.Describe(err))
		}
		r.add(slices...)
		if sel, _, _ := unstructured.NestedStringMap(s.Obj.Object, "spec", "selector"); len(sel) > 0 {
			podSelectors = append(podSelectors, podSelector{s.Namespace(), sel})
		}
	}
	nodes := map[string]bool{}
	for _, ps := range podSelectors {
		sel := labels.SelectorFromSet(ps.sel).String()
		pods, err := source.List(ctx, r.c, gvrPods, ps.ns, sel)
		if err != nil {
			r.miss("cannot list the pods of %s in %s: %s", sel, ps.ns, source.Describe(err))
			continue
		}
		for _, p := range pods {
			r.add(p)
			if n, _, _ := unstructured.NestedString(p.Obj.Object, "spec", "nodeName"); n != "" {
				nodes[n] = true
			}
		}
	}
	names := make([]string, 0, len(nodes))
	for n := range nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cctx, cancel := context.WithTimeout(ctx, r.c.Timeout)
		node, err := r.c.Dynamic.Resource(gvrNodes).Get(cctx, n, metav1.GetOptions{})
		cancel()
		if err != nil {
			r.miss("cannot read node %s: %s", n, source.Describe(err))
			continue
		}
		node.SetAPIVersion("v1")
		node.SetKind("Node")
		r.add(source.Object{Context: r.c.Context, Resource: "nodes", Obj: node})
	}
}

// readMesh reads what drift and failover read (source.MeshConfigs): every
// Istio networking object and every Service, EndpointSlice, Pod and Node
// (never a Secret), so that they can read a bundle as they read a context.
func (r *reader) readMesh(ctx context.Context, f *kube.Flags, o CaptureOptions) {
	namespaces := uniqueStrings(append([]string{o.Namespace}, o.SearchNamespaces...))
	res := source.MeshConfigs(ctx, f, []string{r.c.Context}, namespaces)[0]
	if res.Err != nil {
		r.miss("cannot read the mesh configuration (what drift and failover read): %s", source.Describe(res.Err))
		return
	}
	r.info.Mesh = true
	for _, g := range res.Gaps {
		r.info.MeshGaps = append(r.info.MeshGaps, source.Describe(g))
	}
	r.add(res.Objects...)
}

// listServices reads the Services of namespace ns (all namespaces when
// empty) named name (any when empty) with labels sel.
func (r *reader) listServices(ctx context.Context, ns, name string, sel map[string]string) []source.Object {
	selector := ""
	if len(sel) > 0 {
		selector = labels.SelectorFromSet(sel).String()
	}
	objs, err := source.List(ctx, r.c, gvrServices, ns, selector)
	if err != nil {
		where := ns
		if where == "" {
			where = "all namespaces"
		}
		r.miss("cannot list Services in %s: %s", where, source.Describe(err))
		return nil
	}
	var out []source.Object
	for _, o := range objs {
		if name == "" || o.Name() == name {
			out = append(out, o)
		}
	}
	return out
}

// serviceHost reads NAME.NAMESPACE.svc[.DOMAIN] hosts.
func serviceHost(h string) (name, ns string, ok bool) {
	parts := strings.Split(h, ".")
	if len(parts) < 3 || parts[2] != "svc" || parts[0] == "*" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func uniqueStrings(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// captureProxies saves the admin answers of the proxies asked for.
func captureProxies(ctx context.Context, f *kube.Flags, name, contextError string, o CaptureOptions) ([]Proxy, []ProxyData) {
	if len(o.Proxies) == 0 {
		return nil, nil
	}
	var infos []Proxy
	var data []ProxyData
	c, err := f.Cluster(name)
	for _, req := range o.Proxies {
		p := Proxy{Context: name, Namespace: req.Namespace, Target: req.Target.String()}
		var d ProxyData
		switch {
		case contextError != "":
			p.Error = "the context could not be read"
		case err != nil:
			p.Error = err.Error()
		default:
			if p.Namespace == "" {
				p.Namespace = c.ContextNamespace()
			}
			d, p.Pod, p.Error = captureProxy(ctx, c, p.Namespace, req.Target, o.AdminPort)
		}
		infos = append(infos, p)
		data = append(data, d)
	}
	return infos, data
}

func captureProxy(ctx context.Context, c *kube.Cluster, ns string, t admin.Target, port int) (ProxyData, string, string) {
	pod, err := admin.ResolvePod(ctx, c, ns, t)
	if err != nil {
		return ProxyData{}, "", err.Error()
	}
	src := &admin.Pod{Cluster: c, Namespace: ns, Name: pod, AdminPort: port}
	defer src.Close()
	var d ProxyData
	if d.ConfigDump, err = src.Fetch(ctx, ConfigDumpPath); err != nil {
		return ProxyData{}, pod, err.Error()
	}
	if d.Clusters, err = src.Fetch(ctx, ClustersPath); err != nil {
		return d, pod, err.Error()
	}
	return d, pod, ""
}
