// Package model builds, from the objects read in one or many contexts, the
// chain of a Gloo VirtualDestination in every Gloo cluster: the
// VirtualDestination itself, its ServiceEntries, WorkloadEntries and
// DestinationRules, and the VirtualServices (of any parent) that route to its
// hosts. Istio specs are decoded into istio.io/api networking/v1 types; the
// model keeps them for the checks and exposes stable JSON field names.
package model

import (
	networkingv1 "istio.io/api/networking/v1"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Kinds of the objects in a chain.
const (
	KindVirtualDestination = "VirtualDestination"
	KindServiceEntry       = "ServiceEntry"
	KindWorkloadEntry      = "WorkloadEntry"
	KindDestinationRule    = "DestinationRule"
	KindVirtualService     = "VirtualService"

	GroupGlooNetworking  = "networking.gloo.solo.io"
	GroupIstioNetworking = "networking.istio.io"
)

// Ref names one object and the kube context it was read from.
type Ref struct {
	Context   string `json:"context,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is "Kind namespace/name".
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + " " + r.Name
	}
	return r.Kind + " " + r.Namespace + "/" + r.Name
}

// Same reports whether two refs name the same object in the same context.
func (r Ref) Same(o Ref) bool { return r == o }

// Chain is everything known about one VirtualDestination.
type Chain struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Hosts are the VirtualDestination's hosts and those its ServiceEntries
	// declare, sorted.
	Hosts []string `json:"hosts"`
	// VirtualDestinations are the Gloo objects found (one per context that
	// holds it; usually the management cluster only).
	VirtualDestinations []VirtualDestination `json:"virtualDestinations"`
	// Contexts are the kube contexts that were read.
	Contexts []Context `json:"contexts"`
	// Clusters are the Gloo clusters of those contexts, sorted by name.
	Clusters []Cluster `json:"clusters"`
}

// Context is one kube context (or one context of saved files).
type Context struct {
	Name string `json:"name"`
	// Cluster is the Gloo cluster name of the context, read from the
	// labels Gloo writes, or the context name.
	Cluster string `json:"cluster"`
	// GlooAPI is true when the context serves networking.gloo.solo.io
	// VirtualDestinations (for files: when they hold Gloo objects).
	GlooAPI bool `json:"glooAPI"`
	// IstioAPI is true when the context serves networking.istio.io (for
	// files: when they hold Istio networking objects).
	IstioAPI bool `json:"istioAPI"`
	// Error is set when the context could not be read.
	Error string `json:"error,omitempty"`
}

// GlooAPIServed reports whether any readable context serves the Gloo API.
func (c *Chain) GlooAPIServed() bool {
	for _, x := range c.Contexts {
		if x.GlooAPI && x.Error == "" {
			return true
		}
	}
	return false
}

// ParentFound reports whether the VirtualDestination itself was found.
func (c *Chain) ParentFound() bool { return len(c.VirtualDestinations) > 0 }

// Cluster returns the cluster of that name, or nil.
func (c *Chain) Cluster(name string) *Cluster {
	for i := range c.Clusters {
		if c.Clusters[i].Name == name {
			return &c.Clusters[i]
		}
	}
	return nil
}

// ClusterNames lists the Gloo clusters of the chain.
func (c *Chain) ClusterNames() []string {
	out := make([]string, 0, len(c.Clusters))
	for _, cl := range c.Clusters {
		out = append(out, cl.Name)
	}
	return out
}

// VirtualDestination is the Gloo object (networking.gloo.solo.io/v2).
type VirtualDestination struct {
	Ref      Ref               `json:"ref"`
	Cluster  string            `json:"cluster"`
	Hosts    []string          `json:"hosts"`
	Ports    []VDPort          `json:"ports"`
	Services []VDService       `json:"services,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
	// Error is set when part of the spec has the wrong type; what could be
	// read is kept.
	Error string `json:"error,omitempty"`
	// Object is the object as read.
	Object source.Object `json:"-"`
}

// VDPort is a port of a VirtualDestination.
type VDPort struct {
	Number     int64  `json:"number"`
	Protocol   string `json:"protocol,omitempty"`
	TargetPort string `json:"targetPort,omitempty"`
}

// VDService is a service selector of a VirtualDestination.
type VDService struct {
	Name      string            `json:"name,omitempty"`
	Namespace string            `json:"namespace,omitempty"`
	Cluster   string            `json:"cluster,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// Cluster is the chain in one Gloo cluster.
type Cluster struct {
	Name     string   `json:"name"`
	Contexts []string `json:"contexts"`
	// GlooAPI and IstioAPI: one of the cluster's contexts serves them.
	GlooAPI  bool `json:"glooAPI"`
	IstioAPI bool `json:"istioAPI"`
	// Unreadable is true when none of the cluster's contexts could be read.
	Unreadable       bool              `json:"unreadable,omitempty"`
	ServiceEntries   []ServiceEntry    `json:"serviceEntries"`
	WorkloadEntries  []WorkloadEntry   `json:"workloadEntries"`
	DestinationRules []DestinationRule `json:"destinationRules"`
	// VirtualServices route to the chain's hosts; Parent tells which Gloo
	// object (if any) they were translated from.
	VirtualServices []VirtualService `json:"virtualServices"`
	// Others are the remaining objects translated from the
	// VirtualDestination.
	Others []Ref `json:"others,omitempty"`
	// OtherServiceEntries and OtherDestinationRules are those of another
	// parent (or written by hand) that name one of the chain's hosts: Istio
	// merges them with the translation's, which some checks look at.
	OtherServiceEntries   []ServiceEntry    `json:"otherServiceEntries,omitempty"`
	OtherDestinationRules []DestinationRule `json:"otherDestinationRules,omitempty"`
}

// AllServiceEntries are the translation's ServiceEntries, then the others
// that declare a host of the chain.
func (c *Cluster) AllServiceEntries() []ServiceEntry {
	return append(append([]ServiceEntry(nil), c.ServiceEntries...), c.OtherServiceEntries...)
}

// AllDestinationRules are the translation's DestinationRules, then the
// others whose host is one of the chain's.
func (c *Cluster) AllDestinationRules() []DestinationRule {
	return append(append([]DestinationRule(nil), c.DestinationRules...), c.OtherDestinationRules...)
}

// HasTranslation reports whether the cluster holds any object translated
// from the VirtualDestination.
func (c *Cluster) HasTranslation() bool {
	if len(c.ServiceEntries)+len(c.WorkloadEntries)+len(c.DestinationRules)+len(c.Others) > 0 {
		return true
	}
	for _, vs := range c.VirtualServices {
		if vs.Translated {
			return true
		}
	}
	return false
}

// Translated lists the refs of every object translated from the
// VirtualDestination in the cluster.
func (c *Cluster) Translated() []Ref {
	var out []Ref
	for _, x := range c.ServiceEntries {
		out = append(out, x.Ref)
	}
	for _, x := range c.WorkloadEntries {
		out = append(out, x.Ref)
	}
	for _, x := range c.DestinationRules {
		out = append(out, x.Ref)
	}
	for _, x := range c.VirtualServices {
		if x.Translated {
			out = append(out, x.Ref)
		}
	}
	return append(out, c.Others...)
}

// ServiceEntry is a translated ServiceEntry.
type ServiceEntry struct {
	Ref              Ref               `json:"ref"`
	Hosts            []string          `json:"hosts"`
	Addresses        []string          `json:"addresses,omitempty"`
	Ports            []ServicePort     `json:"ports"`
	Location         string            `json:"location,omitempty"`
	Resolution       string            `json:"resolution,omitempty"`
	ExportTo         []string          `json:"exportTo,omitempty"`
	WorkloadSelector map[string]string `json:"workloadSelector,omitempty"`
	// Error is set when the spec could not be decoded.
	Error string                     `json:"error,omitempty"`
	Spec  *networkingv1.ServiceEntry `json:"-"`
	// Object is the object as read.
	Object source.Object `json:"-"`
}

// ServicePort is a port of a ServiceEntry.
type ServicePort struct {
	Name       string `json:"name"`
	Number     uint32 `json:"number"`
	Protocol   string `json:"protocol,omitempty"`
	TargetPort uint32 `json:"targetPort,omitempty"`
}

// Port returns the port with that number.
func (s *ServiceEntry) Port(number uint32) (ServicePort, bool) {
	for _, p := range s.Ports {
		if p.Number == number {
			return p, true
		}
	}
	return ServicePort{}, false
}

// Selects reports whether the ServiceEntry's workloadSelector picks the
// WorkloadEntry: same namespace, every selector label on the entry.
func (s *ServiceEntry) Selects(we WorkloadEntry) bool {
	if s.Ref.Namespace != we.Ref.Namespace || len(s.WorkloadSelector) == 0 {
		return false
	}
	for k, v := range s.WorkloadSelector {
		if we.Labels[k] != v {
			return false
		}
	}
	return true
}

// WorkloadEntry is a translated WorkloadEntry: a remote backend reached
// through another cluster's east-west gateway.
type WorkloadEntry struct {
	Ref            Ref               `json:"ref"`
	Address        string            `json:"address"`
	Ports          map[string]uint32 `json:"ports,omitempty"`
	Locality       string            `json:"locality,omitempty"`
	Network        string            `json:"network,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Weight         uint32            `json:"weight,omitempty"`
	ServiceAccount string            `json:"serviceAccount,omitempty"`
	// RemoteCluster is the Gloo cluster the entry leads to, when it can be
	// told (network, topology label, name, or the only other cluster).
	RemoteCluster string                      `json:"remoteCluster,omitempty"`
	Error         string                      `json:"error,omitempty"`
	Spec          *networkingv1.WorkloadEntry `json:"-"`
	Object        source.Object               `json:"-"`
}

// DestinationRule is a translated DestinationRule.
type DestinationRule struct {
	Ref      Ref      `json:"ref"`
	Host     string   `json:"host"`
	ExportTo []string `json:"exportTo,omitempty"`
	// Policies are the rule's traffic policies: the rule-wide one (port 0),
	// then one per port-level setting, then those of subsets.
	Policies []TrafficPolicy               `json:"policies"`
	Subsets  []string                      `json:"subsets,omitempty"`
	Error    string                        `json:"error,omitempty"`
	Spec     *networkingv1.DestinationRule `json:"-"`
	Object   source.Object                 `json:"-"`
}

// PolicyFor returns the traffic policy Istio applies to a port of the host
// (no subset): the port-level settings of that port when present (they do
// not inherit the rule-wide settings), else the rule-wide policy.
func (d *DestinationRule) PolicyFor(port uint32) (TrafficPolicy, bool) {
	var top *TrafficPolicy
	for i := range d.Policies {
		p := &d.Policies[i]
		if p.Subset != "" {
			continue
		}
		if p.Port == port && port != 0 {
			return *p, true
		}
		if p.Port == 0 {
			top = p
		}
	}
	if top != nil {
		return *top, true
	}
	return TrafficPolicy{}, false
}

// TrafficPolicy is one traffic policy of a DestinationRule.
type TrafficPolicy struct {
	// Port is the port of a port-level setting, 0 for the rule-wide policy.
	Port uint32 `json:"port,omitempty"`
	// Subset is set for the policies of a subset.
	Subset           string            `json:"subset,omitempty"`
	TLS              *TLS              `json:"tls,omitempty"`
	LoadBalancer     *LoadBalancer     `json:"loadBalancer,omitempty"`
	OutlierDetection *OutlierDetection `json:"outlierDetection,omitempty"`
	// ConnectionPool is Istio's connectionPool, with its own field names.
	ConnectionPool map[string]any `json:"connectionPool,omitempty"`
}

// Scope says what the policy applies to: "all ports", "port 9080",
// "subset v1", "subset v1 port 9080".
func (p TrafficPolicy) Scope() string {
	s := "all ports"
	if p.Port != 0 {
		s = "port " + uitoa(p.Port)
	}
	if p.Subset != "" {
		if p.Port == 0 {
			return "subset " + p.Subset
		}
		return "subset " + p.Subset + " " + s
	}
	return s
}

// LocalityFailover reports whether the policy asks for locality failover
// (localityLbSetting present, not disabled, without a weighted distribution).
func (p TrafficPolicy) LocalityFailover() bool {
	if p.LoadBalancer == nil || p.LoadBalancer.Locality == nil {
		return false
	}
	l := p.LoadBalancer.Locality
	if l.Enabled != nil && !*l.Enabled {
		return false
	}
	return len(l.Distribute) == 0
}

// LocalityEnabled reports whether locality load balancing is on.
func (p TrafficPolicy) LocalityEnabled() bool {
	if p.LoadBalancer == nil || p.LoadBalancer.Locality == nil {
		return false
	}
	l := p.LoadBalancer.Locality
	return l.Enabled == nil || *l.Enabled
}

// TLS is a traffic policy's client TLS settings.
type TLS struct {
	Mode            string   `json:"mode"`
	SNI             string   `json:"sni,omitempty"`
	SubjectAltNames []string `json:"subjectAltNames,omitempty"`
	CredentialName  string   `json:"credentialName,omitempty"`
}

// LoadBalancer is a traffic policy's load balancer settings.
type LoadBalancer struct {
	Simple         string      `json:"simple,omitempty"`
	ConsistentHash bool        `json:"consistentHash,omitempty"`
	Locality       *LocalityLB `json:"locality,omitempty"`
}

// LocalityLB is Istio's localityLbSetting.
type LocalityLB struct {
	// Enabled is nil when not set (the setting is then on).
	Enabled          *bool                `json:"enabled,omitempty"`
	Failover         []LocalityFailover   `json:"failover,omitempty"`
	FailoverPriority []string             `json:"failoverPriority,omitempty"`
	Distribute       []LocalityDistribute `json:"distribute,omitempty"`
}

// LocalityFailover is one failover pair (from region to region).
type LocalityFailover struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// LocalityDistribute is one weighted distribution.
type LocalityDistribute struct {
	From string            `json:"from"`
	To   map[string]uint32 `json:"to"`
}

// OutlierDetection is a traffic policy's outlier detection.
type OutlierDetection struct {
	Consecutive5xxErrors           *uint32 `json:"consecutive5xxErrors,omitempty"`
	ConsecutiveGatewayErrors       *uint32 `json:"consecutiveGatewayErrors,omitempty"`
	ConsecutiveLocalOriginFailures *uint32 `json:"consecutiveLocalOriginFailures,omitempty"`
	SplitExternalLocalOriginErrors bool    `json:"splitExternalLocalOriginErrors,omitempty"`
	Interval                       string  `json:"interval,omitempty"`
	BaseEjectionTime               string  `json:"baseEjectionTime,omitempty"`
	// MaxEjectionPercent is 0 when not set (Envoy's default is 10).
	MaxEjectionPercent int32 `json:"maxEjectionPercent,omitempty"`
	MinHealthPercent   int32 `json:"minHealthPercent,omitempty"`
}

// VirtualService is a VirtualService that routes to the chain's hosts.
type VirtualService struct {
	Ref Ref `json:"ref"`
	// Parent is the Gloo object it was translated from, nil for one written
	// by hand.
	Parent *source.ParentRef `json:"parent,omitempty"`
	// Translated is true when the VirtualDestination itself is the parent.
	Translated bool     `json:"translated,omitempty"`
	Hosts      []string `json:"hosts"`
	Gateways   []string `json:"gateways,omitempty"`
	ExportTo   []string `json:"exportTo,omitempty"`
	// Routes are the routes with a destination among the chain's hosts.
	Routes []Route                      `json:"routes"`
	Error  string                       `json:"error,omitempty"`
	Spec   *networkingv1.VirtualService `json:"-"`
	Object source.Object                `json:"-"`
}

// Route is one http, tcp or tls route of a VirtualService.
type Route struct {
	Protocol string `json:"protocol"`
	Name     string `json:"name,omitempty"`
	// Matches are the route's match conditions, one line each.
	Matches      []string      `json:"matches,omitempty"`
	Destinations []Destination `json:"destinations"`
}

// Destination is one destination of a route.
type Destination struct {
	Host   string `json:"host"`
	Port   uint32 `json:"port,omitempty"`
	Subset string `json:"subset,omitempty"`
	Weight int32  `json:"weight,omitempty"`
	// Mirror is true for a mirror destination.
	Mirror bool `json:"mirror,omitempty"`
	// InChain is true when the host is one of the chain's hosts.
	InChain bool `json:"inChain"`
}

// ObjectsByRef indexes the objects of the chain as read: their
// annotations and, for files, where they start.
func (c *Chain) ObjectsByRef() map[Ref]source.Object {
	out := map[Ref]source.Object{}
	add := func(r Ref, o source.Object) {
		if o.Obj != nil {
			out[r] = o
		}
	}
	for _, vd := range c.VirtualDestinations {
		add(vd.Ref, vd.Object)
	}
	for _, cl := range c.Clusters {
		for _, x := range cl.AllServiceEntries() {
			add(x.Ref, x.Object)
		}
		for _, x := range cl.WorkloadEntries {
			add(x.Ref, x.Object)
		}
		for _, x := range cl.AllDestinationRules() {
			add(x.Ref, x.Object)
		}
		for _, x := range cl.VirtualServices {
			add(x.Ref, x.Object)
		}
	}
	return out
}
