package mesh

import (
	"fmt"
	"sort"
	"strings"

	networkingapi "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// RootNamespace is Istio's default root namespace: its DestinationRules
// apply mesh-wide.
const RootNamespace = "istio-system"

// ClusterDomain is the Kubernetes cluster domain Istio assumes by default.
const ClusterDomain = "cluster.local"

// PodLocality is the locality istiod gives a pod: its node's topology
// labels (region, zone, and Istio's subzone label), or the pod's
// istio-locality label when it sets one (dots for slashes).
func (c *Config) PodLocality(p *corev1.Pod) locality.Locality {
	if l, ok := p.Labels["istio-locality"]; ok && l != "" {
		if loc, err := locality.Parse(strings.ReplaceAll(l, ".", "/")); err == nil {
			return loc
		}
	}
	n := c.nodes[p.Spec.NodeName]
	if n == nil {
		return locality.Locality{}
	}
	return locality.Locality{
		Region:  n.Labels[locality.LabelRegion],
		Zone:    n.Labels[locality.LabelZone],
		SubZone: n.Labels[locality.LabelSubzone],
	}
}

// SourceOf is the proxy of a pod as locality.Assign needs it.
func (c *Config) SourceOf(p *corev1.Pod) locality.Source {
	return locality.Source{
		Locality: c.PodLocality(p),
		Labels:   p.Labels,
		Network:  p.Labels[locality.LabelNetwork],
		Cluster:  c.Cluster,
	}
}

// Pod returns the pod namespace/name, or nil.
func (c *Config) Pod(namespace, name string) *corev1.Pod {
	for _, p := range c.Pods {
		if p.Namespace == namespace && p.Name == name {
			return p
		}
	}
	return nil
}

// ServiceEntriesFor returns the ServiceEntries declaring host that a proxy
// of namespace ns sees (exportTo), in namespace/name order.
func (c *Config) ServiceEntriesFor(host, ns string) []*networkingv1.ServiceEntry {
	var out []*networkingv1.ServiceEntry
	for _, se := range c.ServiceEntries {
		if !model.ExportedTo(se.Spec.GetExportTo(), se.Namespace, ns) {
			continue
		}
		for _, h := range se.Spec.GetHosts() {
			if strings.EqualFold(h, host) {
				out = append(out, se)
				break
			}
		}
	}
	return out
}

// ServiceFor returns the Kubernetes Service whose FQDN is host
// (NAME.NAMESPACE.svc.cluster.local), or nil.
func (c *Config) ServiceFor(host string) *corev1.Service {
	name, ns, ok := ServiceFQDN(host)
	if !ok {
		return nil
	}
	for _, s := range c.Services {
		if s.Name == name && s.Namespace == ns {
			return s
		}
	}
	return nil
}

// ServiceFQDN splits NAME.NAMESPACE.svc.cluster.local.
func ServiceFQDN(host string) (name, namespace string, ok bool) {
	rest, found := strings.CutSuffix(strings.ToLower(host), ".svc."+ClusterDomain)
	if !found {
		return "", "", false
	}
	name, namespace, found = strings.Cut(rest, ".")
	if !found || name == "" || namespace == "" || strings.Contains(namespace, ".") {
		return "", "", false
	}
	return name, namespace, true
}

// Endpoints returns the endpoints behind host:port as a proxy of namespace
// ns sees them: for a ServiceEntry its inline endpoints and the
// WorkloadEntries and pods its workloadSelector picks (in its namespace);
// for a Kubernetes Service the ready addresses of its EndpointSlices. It is
// an error when nothing declares the host for ns or the port. Pods with no
// IP (in files, before the kubelet set one) are left out.
func (c *Config) Endpoints(host string, port uint32, ns string) ([]locality.Endpoint, error) {
	if ses := c.ServiceEntriesFor(host, ns); len(ses) > 0 {
		var out []locality.Endpoint
		found := false
		for _, se := range ses {
			sp := sePort(se, port)
			if sp == nil {
				continue
			}
			found = true
			out = append(out, c.serviceEntryEndpoints(se, sp)...)
		}
		if !found {
			return nil, fmt.Errorf("no ServiceEntry for %s declares port %d", host, port)
		}
		sortEndpoints(out)
		return out, nil
	}
	if svc := c.ServiceFor(host); svc != nil {
		for i := range svc.Spec.Ports {
			if uint32(svc.Spec.Ports[i].Port) == port {
				out := c.serviceEndpoints(svc, &svc.Spec.Ports[i])
				sortEndpoints(out)
				return out, nil
			}
		}
		return nil, fmt.Errorf("service %s/%s has no port %d", svc.Namespace, svc.Name, port)
	}
	return nil, fmt.Errorf("no ServiceEntry or Service declares %s for namespace %s", host, ns)
}

func sePort(se *networkingv1.ServiceEntry, port uint32) *sePortInfo {
	for _, p := range se.Spec.GetPorts() {
		if p.GetNumber() == port {
			return &sePortInfo{name: p.GetName(), number: p.GetNumber(), target: p.GetTargetPort()}
		}
	}
	return nil
}

type sePortInfo struct {
	name           string
	number, target uint32
}

// targetOf is the port of a workload for a ServiceEntry port: the
// workload's named port, else the targetPort, else the port itself.
func (p *sePortInfo) targetOf(named map[string]uint32) uint32 {
	if n, ok := named[p.name]; ok && n != 0 {
		return n
	}
	if p.target != 0 {
		return p.target
	}
	return p.number
}

func (c *Config) serviceEntryEndpoints(se *networkingv1.ServiceEntry, p *sePortInfo) []locality.Endpoint {
	var out []locality.Endpoint
	for _, we := range se.Spec.GetEndpoints() {
		loc, _ := locality.Parse(we.GetLocality())
		out = append(out, locality.Endpoint{
			Address: we.GetAddress(), Port: p.targetOf(we.GetPorts()), Locality: loc, Labels: we.GetLabels(),
			Weight: we.GetWeight(), Network: we.GetNetwork(), Cluster: weCluster(we.GetNetwork(), we.GetLabels(), c.Cluster),
			Kind: "ServiceEntry", Namespace: se.Namespace, Name: se.Name,
		})
	}
	sel := se.Spec.GetWorkloadSelector().GetLabels()
	if len(sel) == 0 {
		if len(out) == 0 && isDNS(se) {
			// A DNS ServiceEntry without endpoints: each host is its
			// own endpoint, resolved by the proxy.
			for _, h := range se.Spec.GetHosts() {
				out = append(out, locality.Endpoint{Address: h, Port: p.targetOf(nil), Cluster: c.Cluster,
					Kind: "ServiceEntry", Namespace: se.Namespace, Name: se.Name})
			}
		}
		return out
	}
	selector := labels.SelectorFromSet(sel)
	for _, we := range c.WorkloadEntries {
		if we.Namespace != se.Namespace || !selector.Matches(labels.Set(we.Spec.GetLabels())) {
			continue
		}
		loc, _ := locality.Parse(we.Spec.GetLocality())
		out = append(out, locality.Endpoint{
			Address: we.Spec.GetAddress(), Port: p.targetOf(we.Spec.GetPorts()), Locality: loc,
			Labels: we.Spec.GetLabels(), Weight: we.Spec.GetWeight(), Network: we.Spec.GetNetwork(),
			Cluster: weCluster(we.Spec.GetNetwork(), we.Spec.GetLabels(), c.Cluster),
			Kind:    "WorkloadEntry", Namespace: we.Namespace, Name: we.Name,
		})
	}
	for _, pod := range c.Pods {
		if pod.Namespace != se.Namespace || pod.Status.PodIP == "" || !selector.Matches(labels.Set(pod.Labels)) || podDone(pod) {
			continue
		}
		out = append(out, locality.Endpoint{
			Address: pod.Status.PodIP, Port: p.targetOf(nil), Locality: c.PodLocality(pod), Labels: pod.Labels,
			Network: pod.Labels[locality.LabelNetwork], Cluster: c.Cluster,
			Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name,
		})
	}
	return out
}

func isDNS(se *networkingv1.ServiceEntry) bool {
	r := se.Spec.GetResolution()
	return r == networkingapi.ServiceEntry_DNS || r == networkingapi.ServiceEntry_DNS_ROUND_ROBIN
}

// weCluster is the cluster behind a WorkloadEntry: its topology cluster
// label, else its network (Gloo names each cluster's network after it),
// else the own cluster.
func weCluster(network string, lbls map[string]string, own string) string {
	if c := lbls[locality.LabelCluster]; c != "" {
		return c
	}
	if network != "" {
		return network
	}
	return own
}

func podDone(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil
}

// serviceEndpoints reads the ready endpoints of a Service's EndpointSlices
// for one port. Without any EndpointSlice of the Service (files saved
// without them), the pods its selector picks stand in, as the EndpointSlice
// controller would list them.
func (c *Config) serviceEndpoints(svc *corev1.Service, sp *corev1.ServicePort) []locality.Endpoint {
	var out []locality.Endpoint
	slices := 0
	for _, es := range c.EndpointSlices {
		if es.Namespace != svc.Namespace || es.Labels[discoveryv1.LabelServiceName] != svc.Name {
			continue
		}
		slices++
		var port uint32
		for _, p := range es.Ports {
			if p.Port != nil && ptrString(p.Name) == sp.Name {
				port = uint32(*p.Port)
			}
		}
		if port == 0 {
			continue
		}
		for _, e := range es.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			var pod *corev1.Pod
			if e.TargetRef != nil && e.TargetRef.Kind == "Pod" {
				pod = c.Pod(e.TargetRef.Namespace, e.TargetRef.Name)
			}
			ep := locality.Endpoint{Port: port, Cluster: c.Cluster, Kind: "EndpointSlice", Namespace: es.Namespace, Name: es.Name}
			switch {
			case pod != nil:
				ep.Locality, ep.Labels, ep.Kind, ep.Name = c.PodLocality(pod), pod.Labels, "Pod", pod.Name
				ep.Network = pod.Labels[locality.LabelNetwork]
			case e.NodeName != nil && c.nodes[*e.NodeName] != nil:
				n := c.nodes[*e.NodeName]
				ep.Locality = locality.Locality{Region: n.Labels[locality.LabelRegion], Zone: n.Labels[locality.LabelZone], SubZone: n.Labels[locality.LabelSubzone]}
			}
			for _, a := range e.Addresses {
				ep.Address = a
				out = append(out, ep)
			}
		}
	}
	if slices > 0 || len(svc.Spec.Selector) == 0 {
		return out
	}
	selector := labels.SelectorFromSet(svc.Spec.Selector)
	for _, pod := range c.Pods {
		if pod.Namespace != svc.Namespace || pod.Status.PodIP == "" || podDone(pod) || !selector.Matches(labels.Set(pod.Labels)) {
			continue
		}
		port := targetPort(pod, sp)
		if port == 0 {
			continue
		}
		out = append(out, locality.Endpoint{
			Address: pod.Status.PodIP, Port: port, Locality: c.PodLocality(pod), Labels: pod.Labels,
			Network: pod.Labels[locality.LabelNetwork], Cluster: c.Cluster,
			Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name,
		})
	}
	return out
}

// targetPort resolves a Service port's targetPort on a pod (a number, or
// the name of a container port); 0 when the pod has no such port.
func targetPort(pod *corev1.Pod, sp *corev1.ServicePort) uint32 {
	switch {
	case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
		for _, c := range pod.Spec.Containers {
			for _, p := range c.Ports {
				if p.Name == sp.TargetPort.StrVal {
					return uint32(p.ContainerPort)
				}
			}
		}
		return 0
	case sp.TargetPort.IntVal != 0:
		return uint32(sp.TargetPort.IntVal)
	default:
		return uint32(sp.Port)
	}
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func sortEndpoints(eps []locality.Endpoint) {
	sort.SliceStable(eps, func(i, j int) bool {
		if eps[i].Address != eps[j].Address {
			return eps[i].Address < eps[j].Address
		}
		return eps[i].Port < eps[j].Port
	})
}

// DestinationRuleFor returns the DestinationRule in scope for host from a
// proxy of namespace ns, looked up as istiod does: the proxy's namespace
// first, then the namespace of the service (ServiceEntry or Service), then
// the root namespace; in each, a rule for the exact host before a wildcard
// one (the longest wildcard first), exportTo honoured, and among equals the
// oldest (then by name), whose policy istiod keeps when it merges them.
func (c *Config) DestinationRuleFor(host, ns string) *networkingv1.DestinationRule {
	namespaces := []string{ns}
	for _, se := range c.ServiceEntriesFor(host, ns) {
		namespaces = append(namespaces, se.Namespace)
	}
	if _, svcNS, ok := ServiceFQDN(host); ok {
		namespaces = append(namespaces, svcNS)
	}
	namespaces = append(namespaces, RootNamespace)
	for _, n := range namespaces {
		var best *networkingv1.DestinationRule
		for _, dr := range c.DestinationRules {
			if dr.Namespace != n || !model.HostMatches(host, qualify(dr.Spec.GetHost(), dr.Namespace)) {
				continue
			}
			if len(dr.Spec.GetWorkloadSelector().GetMatchLabels()) > 0 {
				// Rules with a workload selector apply to some proxies
				// only; they are not chosen for a namespace as a whole.
				continue
			}
			if !model.ExportedTo(dr.Spec.GetExportTo(), dr.Namespace, ns) {
				continue
			}
			if best == nil || better(dr, best) {
				best = dr
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// qualify resolves a short host name as Istio does for rules of namespace
// ns: "reviews" is reviews.NS.svc.cluster.local.
func qualify(host, ns string) string {
	if host == "" || strings.Contains(host, ".") || host == "*" {
		return host
	}
	return host + "." + ns + ".svc." + ClusterDomain
}

// better prefers an exact host, then a longer wildcard, then the oldest
// rule, then the first by name.
func better(a, b *networkingv1.DestinationRule) bool {
	aw, bw := strings.HasPrefix(a.Spec.GetHost(), "*"), strings.HasPrefix(b.Spec.GetHost(), "*")
	if aw != bw {
		return !aw
	}
	if la, lb := len(a.Spec.GetHost()), len(b.Spec.GetHost()); la != lb {
		return la > lb
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// InSubset keeps the endpoints whose labels the DestinationRule's subset
// selects (all of them for no subset; none for a subset the rule does not
// define, as istiod then sends no endpoints).
func InSubset(eps []locality.Endpoint, dr *networkingapi.DestinationRule, subset string) []locality.Endpoint {
	if subset == "" {
		return eps
	}
	for _, s := range dr.GetSubsets() {
		if s.GetName() != subset {
			continue
		}
		selector := labels.SelectorFromSet(s.GetLabels())
		var out []locality.Endpoint
		for _, e := range eps {
			if selector.Matches(labels.Set(e.Labels)) {
				out = append(out, e)
			}
		}
		return out
	}
	return nil
}
