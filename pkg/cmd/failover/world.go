package failover

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-vd/kubectl-vd/pkg/failover"
	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// world is what was read in one context.
type world struct {
	Context string
	Objects []source.Object
	// Pod is the --from pod when resolved live (its name).
	Pod string
	Err error
}

// fromFiles reads -f as a stream and groups the objects by the context
// each is placed in; objects that name no context go to every context.
func (o *Options) fromFiles() ([]*world, error) {
	picks := source.NewPicks(o.picks)
	byContext := map[string][]source.Object{}
	var unplaced []source.Object
	err := source.Visit(o.Filenames, o.In, func(obj source.Object) error {
		obj.Context = source.FileContext(obj)
		if obj.Context == "" {
			unplaced = append(unplaced, obj)
			return nil
		}
		if picks.Keep(obj) {
			byContext[obj.Context] = append(byContext[obj.Context], obj)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := picks.Err(); err != nil {
		return nil, err
	}
	if len(byContext) == 0 {
		byContext[""] = nil
	}
	names := make([]string, 0, len(byContext))
	for n := range byContext {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*world
	for _, n := range names {
		// An object read twice is taken from its last file, as kubectl
		// apply would leave it.
		var latest source.Latest
		for _, obj := range byContext[n] {
			latest.Add(obj)
		}
		for _, u := range unplaced {
			u.Context = n
			latest.Add(u)
		}
		out = append(out, &world{Context: n, Objects: latest.Objects()})
	}
	return out, nil
}

// reports computes the report of every context holding a translation,
// and one problem line per context that could not be computed.
func (o *Options) reports(worlds []*world) ([]*failover.Report, []string) {
	in := model.Input{Name: o.Name, Namespace: o.Namespace}
	for _, w := range worlds {
		c := model.Context{Name: w.Context}
		if w.Err != nil {
			c.Error = w.Err.Error()
		}
		in.Contexts = append(in.Contexts, c)
		in.Objects = append(in.Objects, w.Objects...)
	}
	ch := model.Build(in)
	clusterOf := map[string]string{}
	for _, c := range ch.Contexts {
		clusterOf[c.Name] = c.Cluster
	}
	failures := o.resolveFailures(clusterOf)

	var reports []*failover.Report
	var problems []string
	for _, w := range worlds {
		label := contextLabel(w.Context)
		if w.Err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", label, w.Err))
			continue
		}
		cl := ch.Cluster(clusterOf[w.Context])
		if cl == nil || len(cl.ServiceEntries) == 0 {
			if o.From == "" {
				problems = append(problems, fmt.Sprintf("context %s: no ServiceEntry translated from VirtualDestination %s/%s", label, o.Namespace, o.Name))
			}
			continue
		}
		k := newKube(w.Objects)
		src, srcLabels, proxyNS, err := o.resolveSource(k, w)
		if err != nil {
			if o.From != "" && len(worlds) > 1 && isNotFound(err) {
				// The pod lives in another context.
				continue
			}
			problems = append(problems, fmt.Sprintf("context %s: %s", label, err))
			continue
		}
		rs, err := o.contextReports(w, cl, k, src, srcLabels, proxyNS, failures)
		if err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", label, err))
			continue
		}
		reports = append(reports, rs...)
	}
	if o.From != "" && len(reports) == 0 && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("%s not found in namespace %s of any context read", o.target, o.FromNamespace))
	}
	return reports, problems
}

// resolveFailures turns --down contexts into the clusters they hold.
func (o *Options) resolveFailures(clusterOf map[string]string) []failover.Failure {
	out := make([]failover.Failure, len(o.failures))
	for i, f := range o.failures {
		out[i] = f
		if f.Kind != failover.FailCluster {
			continue
		}
		vals := make([]string, len(f.Values))
		for j, v := range f.Values {
			vals[j] = v
			if c := clusterOf[v]; c != "" {
				vals[j] = c
			}
		}
		out[i].Values = vals
	}
	return out
}

type notFoundError struct{ msg string }

func (e notFoundError) Error() string { return e.msg }

func isNotFound(err error) bool {
	_, ok := err.(notFoundError)
	return ok
}

func contextLabel(c string) string {
	if c == "" {
		return "(files)"
	}
	return c
}

// resolveSource finds the source's locality and labels, and the namespace
// of its proxy.
func (o *Options) resolveSource(k *kubeObjects, w *world) (locality.Source, string, string, error) {
	if o.From == "" {
		return locality.Source{Locality: o.source}, "", o.Namespace, nil
	}
	name := w.Pod
	if name == "" {
		var err error
		if name, err = k.resolvePod(o.FromNamespace, o.target.Kind, o.target.Name); err != nil {
			return locality.Source{}, "", "", err
		}
	}
	p := k.pod(o.FromNamespace, name)
	if p == nil {
		return locality.Source{}, "", "", notFoundError{fmt.Sprintf("pod %s/%s not found", o.FromNamespace, name)}
	}
	l := k.podLocality(p)
	if l.Region == "" {
		return locality.Source{}, "", "", fmt.Errorf("pod %s/%s: no locality (its node %q has no topology.kubernetes.io/region label)", p.Namespace, p.Name, p.Spec.NodeName)
	}
	return locality.Source{Locality: l, Labels: p.Labels}, p.Namespace + "/" + p.Name, p.Namespace, nil
}

// contextReports computes a report per host and port of the chain in one
// context.
func (o *Options) contextReports(w *world, cl *model.Cluster, k *kubeObjects, src locality.Source, proxy, proxyNS string, failures []failover.Failure) ([]*failover.Report, error) {
	src.Cluster = cl.Name
	var out []*failover.Report
	seen := map[string]bool{}
	for _, se := range cl.ServiceEntries {
		if se.Spec == nil || !exportedTo(se.ExportTo, se.Ref.Namespace, proxyNS) {
			continue
		}
		for _, host := range se.Hosts {
			for _, port := range se.Ports {
				if o.Port != 0 && port.Number != o.Port {
					continue
				}
				key := fmt.Sprintf("%s:%d", host, port.Number)
				if seen[key] {
					continue
				}
				seen[key] = true
				eps := endpointsOf(cl, se, port, k)
				pol := policyFor(cl, host, port.Number, proxyNS)
				if network := k.podNetwork(proxy); network != "" {
					src.Network = network
				}
				r := failover.Build(failover.Input{
					Source: failover.Source{
						Context: w.Context, Cluster: cl.Name, Proxy: proxy, Locality: src.Locality.String(),
						Host: host, Port: port.Number, Namespace: proxyNS,
					},
					From:      src,
					Endpoints: eps,
					Policy:    pol,
					Failures:  failures,
				})
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		if o.Port != 0 {
			return nil, fmt.Errorf("no ServiceEntry of VirtualDestination %s/%s has port %d", o.Namespace, o.Name, o.Port)
		}
		return nil, fmt.Errorf("no ServiceEntry of VirtualDestination %s/%s is exported to namespace %s", o.Namespace, o.Name, proxyNS)
	}
	return out, nil
}

func exportedTo(exportTo []string, own, ns string) bool {
	return model.ExportedTo(exportTo, own, ns)
}

// policyFor is the traffic policy the cluster's DestinationRule for the
// host applies to the port.
func policyFor(cl *model.Cluster, host string, port uint32, ns string) failover.Policy {
	var best *model.DestinationRule
	for i := range cl.DestinationRules {
		dr := &cl.DestinationRules[i]
		if dr.Spec == nil || dr.Host != host || !model.ExportedTo(dr.ExportTo, dr.Ref.Namespace, ns) {
			continue
		}
		// Istio prefers the rule in the proxy's namespace.
		if best == nil || dr.Ref.Namespace == ns {
			best = dr
		}
	}
	if best == nil {
		return failover.Policy{}
	}
	tp := locality.Policy(best.Spec, port, "")
	return failover.Policy{LocalityLB: tp.GetLoadBalancer().GetLocalityLbSetting(), OutlierDetection: tp.GetOutlierDetection()}
}

// endpointsOf lists the endpoints of a ServiceEntry port: the
// WorkloadEntries and pods its workloadSelector picks in its namespace.
func endpointsOf(cl *model.Cluster, se model.ServiceEntry, port model.ServicePort, k *kubeObjects) []locality.Endpoint {
	var out []locality.Endpoint
	sel := labels.SelectorFromSet(se.WorkloadSelector)
	for _, we := range cl.WorkloadEntries {
		if !se.Selects(we) {
			continue
		}
		p := port.Number
		if port.TargetPort != 0 {
			p = port.TargetPort
		}
		if mapped, ok := we.Ports[port.Name]; ok {
			p = mapped
		}
		l, _ := locality.Parse(we.Locality)
		c := we.RemoteCluster
		if c == "" {
			c = cl.Name
		}
		out = append(out, locality.Endpoint{
			Address: we.Address, Port: p, Locality: l, Labels: we.Labels, Weight: we.Weight,
			Network: we.Network, Cluster: c, Kind: "WorkloadEntry", Namespace: we.Ref.Namespace, Name: we.Ref.Name,
		})
	}
	if len(se.WorkloadSelector) == 0 {
		return out
	}
	for _, p := range k.pods {
		if p.Namespace != se.Ref.Namespace || !sel.Matches(labels.Set(p.Labels)) || p.DeletionTimestamp != nil {
			continue
		}
		if p.Status.Phase != "" && p.Status.Phase != corev1.PodRunning {
			continue
		}
		pt := port.Number
		if port.TargetPort != 0 {
			pt = port.TargetPort
		}
		out = append(out, locality.Endpoint{
			Address: p.Status.PodIP, Port: pt, Locality: k.podLocality(p), Labels: p.Labels,
			Network: k.podNetwork(p.Namespace + "/" + p.Name), Cluster: cl.Name, Kind: "Pod", Namespace: p.Namespace, Name: p.Name,
		})
	}
	for i := range out {
		if out[i].Address == "" {
			// Pods read from files have no IP: name them.
			out[i].Address = "pod/" + out[i].Name
		}
	}
	return out
}

// kubeObjects are the pods and nodes of a context, typed.
type kubeObjects struct {
	pods        []*corev1.Pod
	nodes       map[string]*corev1.Node
	deployments map[string]map[string]string // namespace/name -> selector
}

func newKube(objs []source.Object) *kubeObjects {
	k := &kubeObjects{nodes: map[string]*corev1.Node{}, deployments: map[string]map[string]string{}}
	for _, o := range objs {
		if o.Obj == nil || o.Group() != "" && o.Group() != "apps" {
			continue
		}
		switch o.Kind() {
		case "Pod":
			p := &corev1.Pod{}
			if runtime.DefaultUnstructuredConverter.FromUnstructured(o.Obj.Object, p) == nil {
				k.pods = append(k.pods, p)
			}
		case "Node":
			n := &corev1.Node{}
			if runtime.DefaultUnstructuredConverter.FromUnstructured(o.Obj.Object, n) == nil {
				k.nodes[n.Name] = n
			}
		case "Deployment":
			sel, _, _ := unstructuredMap(o.Obj.Object, "spec", "selector", "matchLabels")
			k.deployments[o.Namespace()+"/"+o.Name()] = sel
		}
	}
	sort.Slice(k.pods, func(i, j int) bool {
		if k.pods[i].Namespace != k.pods[j].Namespace {
			return k.pods[i].Namespace < k.pods[j].Namespace
		}
		return k.pods[i].Name < k.pods[j].Name
	})
	return k
}

func unstructuredMap(obj map[string]any, fields ...string) (map[string]string, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[f]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, false, nil
	}
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out, true, nil
}

func (k *kubeObjects) pod(ns, name string) *corev1.Pod {
	for _, p := range k.pods {
		if p.Namespace == ns && p.Name == name {
			return p
		}
	}
	return nil
}

// resolvePod names the pod of --from: the pod itself, or the first pod
// (by name) of the deployment's selector.
func (k *kubeObjects) resolvePod(ns, kind, name string) (string, error) {
	if kind != "deployment" {
		if k.pod(ns, name) == nil {
			return "", notFoundError{fmt.Sprintf("pod %s/%s not found", ns, name)}
		}
		return name, nil
	}
	sel, ok := k.deployments[ns+"/"+name]
	if !ok {
		// Files often hold pods without their Deployment: take a pod of a
		// ReplicaSet of the deployment (named NAME-HASH).
		for _, p := range k.pods {
			for _, ref := range p.OwnerReferences {
				rest, found := strings.CutPrefix(ref.Name, name+"-")
				if p.Namespace == ns && ref.Kind == "ReplicaSet" && found && !strings.Contains(rest, "-") && p.DeletionTimestamp == nil {
					return p.Name, nil
				}
			}
		}
		return "", notFoundError{fmt.Sprintf("deployment %s/%s not found", ns, name)}
	}
	if len(sel) == 0 {
		return "", fmt.Errorf("deployment %s/%s has no matchLabels selector", ns, name)
	}
	s := labels.SelectorFromSet(sel)
	for _, p := range k.pods {
		if p.Namespace == ns && s.Matches(labels.Set(p.Labels)) && p.DeletionTimestamp == nil {
			return p.Name, nil
		}
	}
	return "", fmt.Errorf("deployment %s/%s has no pod", ns, name)
}

// Istio's locality labels.
const (
	labelRegion        = "topology.kubernetes.io/region"
	labelZone          = "topology.kubernetes.io/zone"
	labelSubzone       = "topology.istio.io/subzone"
	labelIstioLocality = "istio-locality"
	labelNetwork       = "topology.istio.io/network"
)

// podLocality is the locality istiod gives a pod: its istio-locality label
// (region.zone.subzone), else its node's topology labels.
func (k *kubeObjects) podLocality(p *corev1.Pod) locality.Locality {
	if v := p.Labels[labelIstioLocality]; v != "" {
		l, err := locality.Parse(strings.ReplaceAll(v, ".", "/"))
		if err == nil {
			return l
		}
	}
	n := k.nodes[p.Spec.NodeName]
	if n == nil {
		return locality.Locality{}
	}
	return locality.Locality{Region: n.Labels[labelRegion], Zone: n.Labels[labelZone], SubZone: n.Labels[labelSubzone]}
}

// podNetwork is a pod's topology.istio.io/network label.
func (k *kubeObjects) podNetwork(nsName string) string {
	ns, name, ok := strings.Cut(nsName, "/")
	if !ok {
		return ""
	}
	if p := k.pod(ns, name); p != nil {
		return p.Labels[labelNetwork]
	}
	return ""
}
