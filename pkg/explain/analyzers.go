package explain

// Checks that find, along the chain, what an istioctl analyze message or a
// Kiali validation finds in a single cluster. Each names the analyzer; its
// Doc says where it differs.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/api/networking/v1"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// routesToChain reports whether one of the destinations is a host of the
// chain.
func routesToChain(dests []*networkingv1.RouteDestination, hosts []string) bool {
	for _, d := range dests {
		if d.GetDestination() != nil && model.HostIn(d.GetDestination().GetHost(), hosts) {
			return true
		}
	}
	return false
}

func httpRoutesToChain(r *networkingv1.HTTPRoute, hosts []string) bool {
	for _, d := range r.GetRoute() {
		if d.GetDestination() != nil && model.HostIn(d.GetDestination().GetHost(), hosts) {
			return true
		}
	}
	return false
}

// ruleName is "http[1]" or "http[1] (name)".
func ruleName(proto string, i int, name string) string {
	s := fmt.Sprintf("%s[%d]", proto, i)
	if name != "" {
		s += " (" + name + ")"
	}
	return s
}

// shadowedRule is a rule an earlier rule of the same VirtualService hides.
type shadowedRule struct {
	rule string
	// by names the earlier rules; matches are the indexes of the rule's
	// matches that are hidden (all of them, or every request when the
	// rule has no match).
	by       []string
	whole    bool
	matches  []int
	catchAll bool
}

// shadowedRules finds, over the rules of one protocol, those that can never
// match: a rule after one without match conditions (it takes every
// request), and matches that repeat an earlier rule's match. Istio's
// analyzer reports the second case and a second rule without match; a rule
// with matches after a catch-all is hidden just the same.
func shadowedRules(protocol string, names []string, matches [][]proto.Message, relevant []bool) []shadowedRule {
	var out []shadowedRule
	catchAll := -1
	for i := range matches {
		if catchAll >= 0 {
			if relevant[i] {
				out = append(out, shadowedRule{rule: ruleName(protocol, i, names[i]), by: []string{ruleName(protocol, catchAll, names[catchAll])}, whole: true, catchAll: true})
			}
			continue
		}
		if len(matches[i]) == 0 {
			catchAll = i
			continue
		}
		var hidden []int
		var by []string
		for mi, m := range matches[i] {
			// An earlier match of an earlier rule, or of this rule
			// itself, takes the requests first.
			for j := 0; j <= i; j++ {
				earlier := matches[j]
				if j == i {
					earlier = earlier[:mi]
				}
				if k := indexOfMatch(earlier, m); k >= 0 {
					hidden = append(hidden, mi)
					by = appendUniqueString(by, ruleName(protocol, j, names[j]))
					break
				}
			}
		}
		if len(hidden) > 0 && relevant[i] {
			out = append(out, shadowedRule{rule: ruleName(protocol, i, names[i]), by: by, whole: len(hidden) == len(matches[i]), matches: hidden})
		}
	}
	return out
}

// unnamedMatch is the match without its name: the name only labels the
// match in logs and stats, so two matches differing by it alone take the
// same requests (istioctl compares them the same way).
func unnamedMatch(m *networkingv1.HTTPMatchRequest) proto.Message {
	if m.GetName() == "" {
		return m
	}
	c := proto.Clone(m).(*networkingv1.HTTPMatchRequest)
	c.Name = ""
	return c
}

func indexOfMatch(ms []proto.Message, m proto.Message) int {
	for i, x := range ms {
		if proto.Equal(x, m) {
			return i
		}
	}
	return -1
}

func appendUniqueString(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// checkShadowedRoutes: a route to a host of the chain that an earlier route
// of the same VirtualService always takes first.
func checkShadowedRoutes(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, vs := range cl.VirtualServices {
			if vs.Error != "" || vs.Spec == nil {
				continue
			}
			var found []shadowedRule
			{
				n := len(vs.Spec.GetHttp())
				names, matches, relevant := make([]string, n), make([][]proto.Message, n), make([]bool, n)
				for i, r := range vs.Spec.GetHttp() {
					names[i], relevant[i] = r.GetName(), httpRoutesToChain(r, ch.Hosts)
					for _, m := range r.GetMatch() {
						matches[i] = append(matches[i], unnamedMatch(m))
					}
				}
				found = append(found, shadowedRules("http", names, matches, relevant)...)
			}
			{
				n := len(vs.Spec.GetTls())
				names, matches, relevant := make([]string, n), make([][]proto.Message, n), make([]bool, n)
				for i, r := range vs.Spec.GetTls() {
					relevant[i] = routesToChain(r.GetRoute(), ch.Hosts)
					for _, m := range r.GetMatch() {
						matches[i] = append(matches[i], m)
					}
				}
				found = append(found, shadowedRules("tls", names, matches, relevant)...)
			}
			{
				n := len(vs.Spec.GetTcp())
				names, matches, relevant := make([]string, n), make([][]proto.Message, n), make([]bool, n)
				for i, r := range vs.Spec.GetTcp() {
					relevant[i] = routesToChain(r.GetRoute(), ch.Hosts)
					for _, m := range r.GetMatch() {
						matches[i] = append(matches[i], m)
					}
				}
				found = append(found, shadowedRules("tcp", names, matches, relevant)...)
			}
			for _, s := range found {
				var msg, code string
				switch {
				case s.catchAll:
					code = "IST0130"
					msg = fmt.Sprintf("%s: rule %s is never used: %s before it has no match conditions and takes every request",
						vs.Ref, s.rule, s.by[0])
				case s.whole:
					code = "IST0130"
					msg = fmt.Sprintf("%s: rule %s is never used: each of its matches repeats one of %s, which comes first",
						vs.Ref, s.rule, strings.Join(s.by, ", "))
				default:
					code = "IST0131"
					idx := make([]string, len(s.matches))
					for i, m := range s.matches {
						idx[i] = strconv.Itoa(m)
					}
					msg = fmt.Sprintf("%s: match %s of rule %s is never used: it repeats a match of %s, which comes first",
						vs.Ref, strings.Join(idx, ", "), s.rule, strings.Join(s.by, ", "))
				}
				out = append(out, Finding{
					Cluster:   cl.Name,
					IstioCode: code,
					Message:   msg,
					Objects:   []model.Ref{vs.Ref},
					Hint:      "Istio takes the first rule that matches: put the most specific rules first and the rule without match conditions last.",
				})
			}
		}
	}
	return out
}

// gatewayKey names a gateway as namespace/name ("mesh" for the sidecars).
func gatewayKey(g, ns string) string {
	if g == "mesh" || strings.Contains(g, "/") {
		return g
	}
	return ns + "/" + g
}

// shareNamespace reports whether a namespace sees both objects: their own
// namespaces and those they name in exportTo are the candidates.
func shareNamespace(aExport []string, aNS string, bExport []string, bNS string) bool {
	candidates := append([]string{aNS, bNS}, aExport...)
	candidates = append(candidates, bExport...)
	for _, ns := range candidates {
		if ns == "." || ns == "*" || ns == "~" {
			continue
		}
		if model.ExportedTo(aExport, aNS, ns) && model.ExportedTo(bExport, bNS, ns) {
			return true
		}
	}
	return false
}

// checkConflictingVirtualServices: two VirtualServices declare a host of
// the chain for the same gateway, or for the sidecars (mesh).
func checkConflictingVirtualServices(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		type key struct{ gateway, host string }
		groups := map[key][]model.VirtualService{}
		var keys []key
		for _, vs := range cl.VirtualServices {
			if vs.Error != "" {
				continue
			}
			gateways := vs.Gateways
			if len(gateways) == 0 {
				gateways = []string{"mesh"}
			}
			for _, h := range vs.Hosts {
				if !declaresChainHost(h, ch.Hosts) {
					continue
				}
				for _, g := range gateways {
					k := key{gatewayKey(g, vs.Ref.Namespace), strings.ToLower(h)}
					if _, ok := groups[k]; !ok {
						keys = append(keys, k)
					}
					groups[k] = append(groups[k], vs)
				}
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].host != keys[j].host {
				return keys[i].host < keys[j].host
			}
			return keys[i].gateway < keys[j].gateway
		})
		for _, k := range keys {
			vss := groups[k]
			if len(vss) < 2 {
				continue
			}
			if k.gateway == "mesh" {
				// Sidecars see a VirtualService where it is exported:
				// two that no namespace sees together do not conflict.
				conflict := false
				for i := range vss {
					for j := i + 1; j < len(vss); j++ {
						if shareNamespace(vss[i].ExportTo, vss[i].Ref.Namespace, vss[j].ExportTo, vss[j].Ref.Namespace) {
							conflict = true
						}
					}
				}
				if !conflict {
					continue
				}
			}
			refs := make([]model.Ref, len(vss))
			for i, vs := range vss {
				refs[i] = vs.Ref
			}
			where := "the sidecars (mesh)"
			why := "Istio uses one of them for the sidecars and ignores the others, so which routes apply depends on which was created first"
			if k.gateway != "mesh" {
				where = "gateway " + k.gateway
				why = "Istio merges their routes in creation order, so which route takes a request depends on which was created first"
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s all declare host %s for %s: %s", joinRefs(refs), k.host, where, why),
				Objects: refs,
				Hint:    "Keep one VirtualService per host and gateway: with Gloo, one RouteTable (or delegated RouteTables) per host.",
			})
		}
	}
	return out
}

func declaresChainHost(h string, hosts []string) bool {
	for _, x := range hosts {
		if strings.EqualFold(h, x) {
			return true
		}
	}
	return false
}

// checkRouteWithoutPort: a route names no port while the host has several.
func checkRouteWithoutPort(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, rd := range chainDestinations(cl) {
			if rd.dest.Port != 0 {
				continue
			}
			ses := declaring(cl, rd.dest.Host)
			ports := map[uint32]bool{}
			refs := []model.Ref{rd.vs.Ref}
			for _, se := range ses {
				refs = append(refs, se.Ref)
				for _, p := range se.Ports {
					ports[p.Number] = true
				}
			}
			if len(ports) < 2 {
				continue
			}
			nums := make([]int, 0, len(ports))
			for p := range ports {
				nums = append(nums, int(p))
			}
			sort.Ints(nums)
			list := make([]string, len(nums))
			for i, n := range nums {
				list[i] = strconv.Itoa(n)
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s routes to %s without a port, but %s declares ports %s: which port gets the traffic is not defined",
					rd.vs.Ref, rd.dest.Host, joinRefs(refs[1:]), strings.Join(list, ", ")),
				Objects: refs,
				Hint:    "Name the port in the route's destination (destination.port.number); a Gloo RouteTable names the VirtualDestination's port.",
			})
		}
	}
	return out
}

// endpointsOf are the WorkloadEntries of the cluster that a ServiceEntry
// declaring host selects.
func endpointsOf(cl model.Cluster, host string) []model.WorkloadEntry {
	var out []model.WorkloadEntry
	seen := map[int]bool{}
	for _, se := range cl.AllServiceEntries() {
		if se.Error != "" || !model.HostIn(host, se.Hosts) {
			continue
		}
		for wi, we := range cl.WorkloadEntries {
			if !seen[wi] && we.Error == "" && se.Selects(we) {
				seen[wi] = true
				out = append(out, we)
			}
		}
	}
	return out
}

// checkSubsetSelectsNoEndpoint: a DestinationRule subset whose labels no
// endpoint of the host carries. Pods are not read: the endpoints are the
// WorkloadEntries, so a subset that selects local pods only is reported too
// (the message says so).
func checkSubsetSelectsNoEndpoint(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, dr := range cl.AllDestinationRules() {
			if dr.Spec == nil {
				continue
			}
			wes := endpointsOf(cl, dr.Host)
			if len(wes) == 0 {
				continue
			}
			for _, s := range dr.Spec.GetSubsets() {
				if len(s.GetLabels()) == 0 {
					continue
				}
				selected := false
				for _, we := range wes {
					if labelsMatch(s.GetLabels(), we.Labels) {
						selected = true
						break
					}
				}
				if selected {
					continue
				}
				refs := []model.Ref{dr.Ref}
				for _, we := range wes {
					refs = append(refs, we.Ref)
				}
				out = append(out, Finding{
					Cluster: cl.Name,
					Message: fmt.Sprintf("subset %q of %s selects %s, which none of the %d WorkloadEntries of %s carries: a route to that subset "+
						"has no endpoint and requests get 503 (pods are not read: a subset that selects only local pods is reported too)",
						s.GetName(), dr.Ref, model.LabelsString(s.GetLabels()), len(wes), dr.Host),
					Objects: refs,
					Hint:    "VirtualDestinations have no subsets: Gloo's WorkloadEntries carry the labels of the VirtualDestination's service selector only.",
				})
			}
		}
	}
	return out
}

func labelsMatch(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkDestinationRuleHostUnknown: a DestinationRule whose host no
// ServiceEntry visible in its namespace declares. Kubernetes Services are
// not read: the chain's hosts are those of ServiceEntries. A cluster with no
// ServiceEntry at all is VD103's.
func checkDestinationRuleHostUnknown(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		ses := cl.AllServiceEntries()
		if len(ses) == 0 {
			continue
		}
		for _, dr := range cl.AllDestinationRules() {
			if dr.Error != "" {
				continue
			}
			known := false
			var hidden []model.Ref
			for _, se := range ses {
				if se.Error != "" || !model.HostIn(dr.Host, se.Hosts) {
					continue
				}
				if model.ExportedTo(se.ExportTo, se.Ref.Namespace, dr.Ref.Namespace) {
					known = true
					break
				}
				hidden = append(hidden, se.Ref)
			}
			if known {
				continue
			}
			msg := fmt.Sprintf("the host %s of %s is declared by no ServiceEntry in cluster %s%s: Istio ignores the rule", dr.Host, dr.Ref, cl.Name, declaredHosts(cl))
			hint := "Make the rule's host one the VirtualDestination declares (spec.hosts), spelled the same."
			if len(hidden) > 0 {
				msg = fmt.Sprintf("the host %s of %s is declared by %s, which is not exported to namespace %s: Istio ignores the rule there",
					dr.Host, dr.Ref, joinRefs(hidden), dr.Ref.Namespace)
				hint = "Move the rule to a namespace the ServiceEntry is exported to, or export the VirtualDestination to the rule's workspace."
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: msg,
				Objects: append([]model.Ref{dr.Ref}, hidden...),
				Hint:    hint,
			})
		}
	}
	return out
}

// checkConflictingProtocols: ServiceEntries declare the same host and port
// with different protocols.
func checkConflictingProtocols(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		ses := cl.AllServiceEntries()
		for _, host := range ch.Hosts {
			type use struct {
				ref      model.Ref
				protocol string
				exportTo []string
			}
			byPort := map[uint32][]use{}
			var ports []uint32
			for _, se := range ses {
				if se.Error != "" || !declaresHostExactly(host, se.Hosts) {
					continue
				}
				for _, p := range se.Ports {
					if p.Protocol == "" {
						continue
					}
					if _, ok := byPort[p.Number]; !ok {
						ports = append(ports, p.Number)
					}
					byPort[p.Number] = append(byPort[p.Number], use{se.Ref, strings.ToUpper(p.Protocol), se.ExportTo})
				}
			}
			sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
			for _, port := range ports {
				// Only ServiceEntries some namespace sees together
				// conflict (istioctl compares them per exportTo scope).
				uses := byPort[port]
				conflicting := make([]bool, len(uses))
				for i := range uses {
					for j := i + 1; j < len(uses); j++ {
						a, b := uses[i], uses[j]
						if a.protocol != b.protocol && shareNamespace(a.exportTo, a.ref.Namespace, b.exportTo, b.ref.Namespace) {
							conflicting[i], conflicting[j] = true, true
						}
					}
				}
				var refs []model.Ref
				var said []string
				for i, u := range uses {
					if conflicting[i] {
						refs = append(refs, u.ref)
						said = append(said, fmt.Sprintf("%s says %s", u.ref, u.protocol))
					}
				}
				if len(refs) == 0 {
					continue
				}
				out = append(out, Finding{
					Cluster: cl.Name,
					Message: fmt.Sprintf("host %s port %d is declared with different protocols (%s): Istio uses one of them for every client, "+
						"so traffic may be handled with a protocol other than the one intended", host, port, strings.Join(said, ", ")),
					Objects: refs,
					Hint:    "Give the port the same protocol everywhere, or leave the host to the VirtualDestination's ServiceEntry alone.",
				})
			}
		}
	}
	return out
}

func declaresHostExactly(host string, hosts []string) bool {
	for _, h := range hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// checkAddressesMissWorkloadEntries: a MESH_INTERNAL ServiceEntry with
// addresses and a workloadSelector whose addresses miss some of the
// WorkloadEntries it selects. Gloo's own ServiceEntries are left out: their
// address is a virtual IP that clients resolve the host to, and the
// WorkloadEntries behind it are east-west gateways, by design.
func checkAddressesMissWorkloadEntries(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, se := range cl.OtherServiceEntries {
			if se.Error != "" || se.Location != "MESH_INTERNAL" || len(se.WorkloadSelector) == 0 || len(se.Addresses) == 0 {
				continue
			}
			have := map[string]bool{}
			for _, a := range se.Addresses {
				have[a] = true
			}
			var missing []string
			refs := []model.Ref{se.Ref}
			for _, we := range cl.WorkloadEntries {
				if we.Error != "" || !se.Selects(we) || have[we.Address] {
					continue
				}
				missing = append(missing, we.Address)
				refs = append(refs, we.Ref)
			}
			if len(missing) == 0 {
				continue
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s lists addresses %s but selects WorkloadEntries at %s: a client that connects to those addresses "+
					"matches no listener of the host and its traffic leaves through the PassthroughCluster",
					se.Ref, strings.Join(se.Addresses, ", "), strings.Join(missing, ", ")),
				Objects: refs,
				Hint:    "Add the WorkloadEntries' addresses to spec.addresses, or drop the ServiceEntry and let the VirtualDestination's carry the host.",
			})
		}
	}
	return out
}

// checkSeveralDestinationRules: more than one DestinationRule for a host
// of the chain seen from one namespace, for the same subsets (or the whole
// host). Istio keeps the traffic policy of one of them only.
func checkSeveralDestinationRules(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		drs := cl.AllDestinationRules()
		byHost := map[string][]model.DestinationRule{}
		var hosts []string
		for _, dr := range drs {
			if dr.Error != "" || (dr.Spec != nil && dr.Spec.GetWorkloadSelector() != nil) {
				continue
			}
			h := strings.ToLower(dr.Host)
			if _, ok := byHost[h]; !ok {
				hosts = append(hosts, h)
			}
			byHost[h] = append(byHost[h], dr)
		}
		sort.Strings(hosts)
		for _, h := range hosts {
			group := byHost[h]
			var refs []model.Ref
			in := map[int]bool{}
			for i := range group {
				for j := i + 1; j < len(group); j++ {
					a, b := group[i], group[j]
					if !shareNamespace(a.ExportTo, a.Ref.Namespace, b.ExportTo, b.Ref.Namespace) || !subsetsOverlap(a, b) {
						continue
					}
					in[i], in[j] = true, true
				}
			}
			for i, dr := range group {
				if in[i] {
					refs = append(refs, dr.Ref)
				}
			}
			if len(refs) < 2 {
				continue
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s all apply to host %s: Istio keeps the traffic policy of the oldest one only, so the TLS, "+
					"load balancing and outlier detection of the others are ignored", joinRefs(refs), h),
				Objects: refs,
				Hint:    "Delete the DestinationRules written by hand for the VirtualDestination's host and set policies with Gloo's policies instead.",
			})
		}
	}
	return out
}

// subsetsOverlap is Kiali's host-subset combination: two rules overlap when
// one has no subsets (it is about the whole host) or they share a subset
// name.
func subsetsOverlap(a, b model.DestinationRule) bool {
	if len(a.Subsets) == 0 || len(b.Subsets) == 0 {
		return true
	}
	for _, x := range a.Subsets {
		for _, y := range b.Subsets {
			if x == y {
				return true
			}
		}
	}
	return false
}

// envoyDefaultMaxEjectionPercent applies when outlier detection leaves
// maxEjectionPercent unset.
const envoyDefaultMaxEjectionPercent = 10

// checkEjectionTooLow: Envoy ejects an endpoint only while the ejected
// endpoints stay within maxEjectionPercent of all the endpoints (all
// priorities together). A remote cluster reached through k east-west
// endpoints among N can be emptied, and traffic fail over, only when
// maxEjectionPercent >= 100*k/N. N counts the WorkloadEntries only (pods
// are not read), which makes the check stricter when local pods exist.
func checkEjectionTooLow(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		groups := remoteGroups(cl)
		n := 0
		for _, g := range groups {
			n += len(g)
		}
		if n == 0 {
			continue
		}
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, dr := range cl.DestinationRules {
			for _, p := range hostPolicies(dr) {
				if p.OutlierDetection == nil {
					continue
				}
				max := int(p.OutlierDetection.MaxEjectionPercent)
				set := "maxEjectionPercent " + strconv.Itoa(max)
				if max == 0 {
					max = envoyDefaultMaxEjectionPercent
					set = fmt.Sprintf("maxEjectionPercent unset (Envoy's default, %d)", max)
				}
				var stuck []string
				refs := []model.Ref{dr.Ref}
				for _, k := range keys {
					g := groups[k]
					if 100*len(g) <= max*n {
						continue
					}
					stuck = append(stuck, fmt.Sprintf("%s (%d of %d endpoints, needs %d%%)", k, len(g), n, ceilPercent(len(g), n)))
					for _, we := range g {
						refs = append(refs, we.Ref)
					}
				}
				if len(stuck) == 0 {
					continue
				}
				out = append(out, Finding{
					Cluster: cl.Name,
					Message: fmt.Sprintf("%s (%s) has %s: outlier detection can never eject every endpoint of %s, so when that cluster fails "+
						"its endpoints keep taking traffic and requests get 503 instead of failing over", dr.Ref, p.Scope(), set, strings.Join(stuck, ", ")),
					Objects: refs,
					Hint: "Raise maxEjectionPercent in the OutlierDetectionPolicy to at least the share of the smallest cluster's endpoints " +
						"(100 with one east-west endpoint per cluster).",
				})
			}
		}
	}
	return out
}

func ceilPercent(k, n int) int { return (100*k + n - 1) / n }
