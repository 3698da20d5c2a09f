// Package locality computes what istiod's EDS hands a proxy for a service:
// the priority of each endpoint and the weight of each locality, as Istio
// assigns them from the proxy's locality and labels and the DestinationRule's
// locality load balancer setting. It is pure: no cluster access, no Envoy
// types. trace, drift and failover share it, so the priorities they show are
// computed one way.
//
// The rules are those of Istio's pilot (pilot/pkg/networking/core/loadbalancer
// and pilot/pkg/xds/endpoints): endpoints grouped by locality; distribute
// rewrites locality weights; failover (only with outlier detection on the same
// traffic policy, because without it Envoy never leaves priority 0) gives
// priority 0 to the proxy's subzone, 1 to its zone, 2 to its region, 3 to the
// other regions (4 to those a failover rule does not name), after
// failoverPriority labels when set; priorities are then compacted to 0..N.
package locality

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
)

// Labels Istio adds to every endpoint's and proxy's labels (AugmentLabels),
// so that failoverPriority can name them.
const (
	LabelRegion  = "topology.kubernetes.io/region"
	LabelZone    = "topology.kubernetes.io/zone"
	LabelSubzone = "topology.istio.io/subzone"
	LabelCluster = "topology.istio.io/cluster"
	LabelNetwork = "topology.istio.io/network"
)

// Locality is where a workload runs.
type Locality struct{ Region, Zone, SubZone string }

// Parse reads "region[/zone[/subzone]]". An empty string is the empty
// locality.
func Parse(s string) (Locality, error) {
	if s == "" {
		return Locality{}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return Locality{}, fmt.Errorf("locality %q has more than region/zone/subzone", s)
	}
	for i, p := range parts {
		if p == "" {
			return Locality{}, fmt.Errorf("locality %q has an empty %s", s, [...]string{"region", "zone", "subzone"}[i])
		}
	}
	var l Locality
	l.Region = parts[0]
	if len(parts) > 1 {
		l.Zone = parts[1]
	}
	if len(parts) > 2 {
		l.SubZone = parts[2]
	}
	return l, nil
}

// String is Istio's locality label: "region/zone/subzone" without trailing
// empty parts.
func (l Locality) String() string {
	switch {
	case l.SubZone != "":
		return l.Region + "/" + l.Zone + "/" + l.SubZone
	case l.Zone != "":
		return l.Region + "/" + l.Zone
	default:
		return l.Region
	}
}

// label is the key istiod groups endpoints by (model.Locality.Label).
func (l Locality) label() string {
	if l.SubZone != "" || l.Zone != "" {
		return l.Region + "/" + l.Zone + "/" + l.SubZone
	}
	return l.Region
}

// Endpoint is one address a proxy may send a request to.
type Endpoint struct {
	Address string
	// Port is the port the proxy connects to (15443 for a WorkloadEntry of
	// an east-west gateway).
	Port     uint32
	Locality Locality
	// Labels are the workload's labels (subsets, failoverPriority).
	Labels map[string]string
	// Weight is the WorkloadEntry's weight; 0 means not set (Istio uses 1).
	Weight  uint32
	Network string
	// Cluster is the cluster whose workload answers: the pod's own cluster,
	// or for a WorkloadEntry of an east-west gateway the remote cluster.
	Cluster string
	// Kind, Namespace and Name say which object the endpoint comes from
	// (Pod or WorkloadEntry).
	Kind, Namespace, Name string
}

// HostPort is "address:port".
func (e Endpoint) HostPort() string {
	return joinHostPort(e.Address, e.Port)
}

func joinHostPort(addr string, port uint32) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + strconv.FormatUint(uint64(port), 10)
	}
	return addr + ":" + strconv.FormatUint(uint64(port), 10)
}

// lbWeight is the weight Istio gives the endpoint (IstioEndpoint.GetLoadBalancingWeight).
func (e Endpoint) lbWeight() uint32 {
	if e.Weight > 0 {
		return e.Weight
	}
	return 1
}

// Source is the proxy the endpoints are computed for.
type Source struct {
	Locality Locality
	// Labels are the proxy's workload labels (failoverPriority compares them).
	Labels  map[string]string
	Network string
	Cluster string
}

// Setting is what decides priorities for one cluster of one proxy.
type Setting struct {
	// LB is the locality load balancer setting in effect: the
	// DestinationRule's (after subset and port-level merging, see Policy),
	// else nil for the mesh default (enabled, no rules).
	LB *networking.LocalityLoadBalancerSetting
	// OutlierDetection says the same traffic policy sets outlier detection:
	// without it istiod applies no failover priorities.
	OutlierDetection bool
}

// SettingOf is the Setting of a merged traffic policy (see Policy).
func SettingOf(p *networking.TrafficPolicy) Setting {
	return Setting{
		LB:               p.GetLoadBalancer().GetLocalityLbSetting(),
		OutlierDetection: p.GetOutlierDetection() != nil,
	}
}

// Policy is the traffic policy istiod applies to a port and subset of a
// DestinationRule's host: the port-level settings replace the
// destination-level ones (without inheriting), then the subset's policy
// (its own port level first) overrides field by field. nil when there is
// none.
func Policy(dr *networking.DestinationRule, port uint32, subset string) *networking.TrafficPolicy {
	if dr == nil {
		return nil
	}
	var subsetPolicy *networking.TrafficPolicy
	for _, s := range dr.GetSubsets() {
		if s.GetName() == subset {
			subsetPolicy = s.GetTrafficPolicy()
			break
		}
	}
	original, _ := portLevel(dr.GetTrafficPolicy(), port)
	if subsetPolicy == nil {
		return original
	}
	sub, hasPortLevel := portLevel(subsetPolicy, port)
	if original == nil {
		return sub
	}
	merged := &networking.TrafficPolicy{
		ConnectionPool:   original.ConnectionPool,
		LoadBalancer:     original.LoadBalancer,
		OutlierDetection: original.OutlierDetection,
		Tls:              original.Tls,
		Tunnel:           original.Tunnel,
		ProxyProtocol:    original.ProxyProtocol,
		RetryBudget:      original.RetryBudget,
	}
	if sub.ConnectionPool != nil || hasPortLevel {
		merged.ConnectionPool = sub.ConnectionPool
	}
	if sub.OutlierDetection != nil || hasPortLevel {
		merged.OutlierDetection = sub.OutlierDetection
	}
	if sub.LoadBalancer != nil || hasPortLevel {
		merged.LoadBalancer = sub.LoadBalancer
	}
	if sub.Tls != nil || hasPortLevel {
		merged.Tls = sub.Tls
	}
	if sub.Tunnel != nil {
		merged.Tunnel = sub.Tunnel
	}
	if sub.ProxyProtocol != nil {
		merged.ProxyProtocol = sub.ProxyProtocol
	}
	if sub.RetryBudget != nil {
		merged.RetryBudget = sub.RetryBudget
	}
	return merged
}

// portLevel returns the port-level policy of port when there is one (it
// replaces the whole destination-level policy: its omitted fields take
// defaults), else p.
func portLevel(p *networking.TrafficPolicy, port uint32) (*networking.TrafficPolicy, bool) {
	if p == nil {
		return nil, false
	}
	for _, pl := range p.GetPortLevelSettings() {
		if pl.GetPort() != nil && pl.GetPort().GetNumber() == port {
			return &networking.TrafficPolicy{
				ConnectionPool:   pl.ConnectionPool,
				LoadBalancer:     pl.LoadBalancer,
				OutlierDetection: pl.OutlierDetection,
				Tls:              pl.Tls,
			}, true
		}
	}
	return p, false
}

// Assigned is an endpoint with what istiod sets for it.
type Assigned struct {
	Endpoint
	Priority uint32
	// LocalityWeight is the load_balancing_weight of the endpoint's locality
	// in the ClusterLoadAssignment: the sum of its endpoints' weights, or
	// what distribute gives it.
	LocalityWeight uint32
}

// group is one LocalityLbEndpoints of the ClusterLoadAssignment.
type group struct {
	locality  Locality
	endpoints []Endpoint
	priority  int
	weight    uint32
}

// Assign returns the endpoints as istiod's EDS gives them to a proxy at src:
// ordered by priority, then locality, then address and port. Endpoints that
// distribute sends no traffic to are left out, as istiod leaves them out.
func Assign(src Source, eps []Endpoint, s Setting) []Assigned {
	groups := groupByLocality(eps)
	lb := s.LB
	if lb == nil {
		// The mesh default: locality load balancing enabled, no rules.
		lb = &networking.LocalityLoadBalancerSetting{}
	}
	enabled := lb.GetEnabled() == nil || lb.GetEnabled().GetValue()
	if enabled {
		switch {
		case len(lb.GetDistribute()) > 0:
			groups = distribute(src.Locality, groups, lb.GetDistribute())
		case s.OutlierDetection:
			if len(lb.GetFailoverPriority()) > 0 {
				groups = failoverPriorities(src, groups, lb.GetFailoverPriority())
				if len(lb.GetFailover()) > 0 {
					failover(src.Locality, groups, lb.GetFailover())
				}
			} else {
				failover(src.Locality, groups, lb.GetFailover())
			}
		}
	}
	var out []Assigned
	for _, g := range groups {
		for _, e := range g.endpoints {
			out = append(out, Assigned{Endpoint: e, Priority: uint32(g.priority), LocalityWeight: g.weight})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		if la, lb := a.Locality.label(), b.Locality.label(); la != lb {
			return la < lb
		}
		if a.Address != b.Address {
			return a.Address < b.Address
		}
		return a.Port < b.Port
	})
	return out
}

// groupByLocality groups endpoints as istiod does: one group per locality
// label, in the order of the labels, weighted by the sum of its endpoints'
// weights.
func groupByLocality(eps []Endpoint) []*group {
	byLabel := map[string]*group{}
	var labels []string
	for _, e := range eps {
		l := e.Locality.label()
		g := byLabel[l]
		if g == nil {
			g = &group{locality: e.Locality}
			byLabel[l] = g
			labels = append(labels, l)
		}
		g.endpoints = append(g.endpoints, e)
		g.weight += e.lbWeight()
	}
	sort.Strings(labels)
	out := make([]*group, 0, len(labels))
	for _, l := range labels {
		out = append(out, byLabel[l])
	}
	return out
}

// matches is Istio's LocalityMatch: a rule locality "region[/zone[/subzone]]"
// where "*" or an omitted part matches anything.
func matches(l Locality, rule string) bool {
	parts := strings.SplitN(rule, "/", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	region := parts[0] == "*" || parts[0] == l.Region
	zone := parts[1] == "*" || parts[1] == "" || parts[1] == l.Zone
	subzone := parts[2] == "*" || parts[2] == "" || parts[2] == l.SubZone
	return region && zone && subzone
}

// distribute applies the first rule whose "from" matches the source: each
// "to" locality gets its share of weight, split over the groups it matches
// in proportion to their weights (rounded up); groups no "to" matches lose
// their endpoints.
func distribute(src Locality, groups []*group, rules []*networking.LocalityLoadBalancerSetting_Distribute) []*group {
	for _, rule := range rules {
		if rule == nil || !matches(src, rule.GetFrom()) {
			continue
		}
		unmatched := map[int]bool{}
		for i := range groups {
			unmatched[i] = true
		}
		// Istio walks a Go map here; the result does not depend on the
		// order unless two "to" patterns match one locality, where the
		// first in sorted order wins here so that output is stable.
		tos := make([]string, 0, len(rule.GetTo()))
		for to := range rule.GetTo() {
			tos = append(tos, to)
		}
		sort.Strings(tos)
		for _, to := range tos {
			weight := rule.GetTo()[to]
			var total uint32
			picked := map[int]uint32{}
			for i, g := range groups {
				if unmatched[i] && matches(g.locality, to) {
					delete(unmatched, i)
					picked[i] = g.weight
					total += g.weight
				}
			}
			for i, orig := range picked {
				w := float64(orig*weight) / float64(total)
				if w > 0 {
					groups[i].weight = uint32(ceil(w))
				}
			}
		}
		var kept []*group
		for i, g := range groups {
			if !unmatched[i] {
				kept = append(kept, g)
			}
		}
		return kept
	}
	return groups
}

func ceil(f float64) float64 {
	i := float64(int64(f))
	if f > i {
		return i + 1
	}
	return i
}

// lbPriority is Istio's LbPriority: 0 same subzone, 1 same zone, 2 same
// region, 3 elsewhere.
func lbPriority(src, ep Locality) int {
	if src.Region == ep.Region {
		if src.Zone == ep.Zone {
			if src.SubZone == ep.SubZone {
				return 0
			}
			return 1
		}
		return 2
	}
	return 3
}

// failover sets locality priorities on top of those already assigned (by
// failoverPriority), then compacts them.
func failover(src Locality, groups []*group, rules []*networking.LocalityLoadBalancerSetting_Failover) {
	for _, g := range groups {
		p := lbPriority(src, g.locality)
		if p == 3 {
			for _, rule := range rules {
				if rule.GetFrom() == src.Region {
					if g.locality.Region != rule.GetTo() {
						p = 4
					}
					break
				}
			}
		}
		g.priority = g.priority*5 + p
	}
	compact(groups)
}

// compact renumbers priorities 0..N keeping their order, as Envoy wants no
// gaps.
func compact(groups []*group) {
	seen := map[int]bool{}
	var ps []int
	for _, g := range groups {
		if !seen[g.priority] {
			seen[g.priority] = true
			ps = append(ps, g.priority)
		}
	}
	sort.Ints(ps)
	rank := map[int]int{}
	for i, p := range ps {
		rank[p] = i
	}
	for _, g := range groups {
		g.priority = rank[g.priority]
	}
}

// failoverPriorities splits each locality group by how many of the ordered
// labels the endpoint shares with the proxy (the more leading labels
// match, the better), istiod's applyFailoverPriorities. A first label of
// topology.istio.io/network that differs puts the endpoint after every
// endpoint of the proxy's network. Without proxy labels (its own and the
// topology labels istiod adds) istiod skips it. The node-name label
// (kubernetes.io/hostname) istiod also adds is not known here.
func failoverPriorities(src Source, groups []*group, priorityLabels []string) []*group {
	proxyLabels := augment(src.Labels, src.Locality, src.Cluster, src.Network)
	if len(proxyLabels) == 0 || len(groups) == 0 {
		return groups
	}
	names := make([]string, len(priorityLabels))
	overrides := map[string]string{}
	for i, l := range priorityLabels {
		name, value, found := strings.Cut(l, "=")
		names[i] = name
		if found {
			overrides[name] = value
		}
	}
	lowest := len(priorityLabels)
	includesNetwork := lowest > 0 && priorityLabels[0] == LabelNetwork
	var out []*group
	for _, g := range groups {
		byPriority := map[int][]Endpoint{}
		for _, e := range g.endpoints {
			labels := augment(e.Labels, e.Locality, e.Cluster, e.Network)
			priority, adjust := 0, 0
			for j, name := range names {
				want, ok := overrides[name]
				if !ok {
					want = proxyLabels[name]
				}
				if want != labels[name] {
					if j == 0 && includesNetwork {
						adjust = lowest
						continue
					}
					priority = lowest - j
					break
				}
			}
			priority += adjust
			byPriority[priority] = append(byPriority[priority], e)
		}
		ps := make([]int, 0, len(byPriority))
		for p := range byPriority {
			ps = append(ps, p)
		}
		sort.Ints(ps)
		for _, p := range ps {
			ng := &group{locality: g.locality, endpoints: byPriority[p], priority: p}
			for _, e := range ng.endpoints {
				ng.weight += e.lbWeight()
			}
			out = append(out, ng)
		}
	}
	compact(out)
	return out
}

// augment adds the topology labels Istio adds to workload labels.
func augment(in map[string]string, l Locality, cluster, network string) map[string]string {
	out := make(map[string]string, len(in)+5)
	for k, v := range in {
		out[k] = v
	}
	if l.Region != "" {
		out[LabelRegion] = l.Region
	}
	if l.Zone != "" {
		out[LabelZone] = l.Zone
	}
	if l.SubZone != "" {
		out[LabelSubzone] = l.SubZone
	}
	if cluster != "" {
		out[LabelCluster] = cluster
	}
	if network != "" && out[LabelNetwork] == "" {
		out[LabelNetwork] = network
	}
	return out
}
