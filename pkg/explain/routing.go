package explain

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// routeDest is one destination of a route to a host of the chain.
type routeDest struct {
	vs   model.VirtualService
	dest model.Destination
}

// chainDestinations lists, once each, the destinations (host, port,
// subset) of the cluster's VirtualServices that are hosts of the chain.
func chainDestinations(cl model.Cluster) []routeDest {
	var out []routeDest
	for _, vs := range cl.VirtualServices {
		seen := map[string]bool{}
		for _, r := range vs.Routes {
			for _, d := range r.Destinations {
				if !d.InChain {
					continue
				}
				key := d.Host + "\x00" + strconv.Itoa(int(d.Port)) + "\x00" + d.Subset
				if seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, routeDest{vs: vs, dest: model.Destination{Host: d.Host, Port: d.Port, Subset: d.Subset}})
			}
		}
	}
	return out
}

func declaring(cl model.Cluster, host string) []model.ServiceEntry {
	var out []model.ServiceEntry
	for _, se := range cl.ServiceEntries {
		if se.Error == "" && model.HostIn(host, se.Hosts) {
			out = append(out, se)
		}
	}
	return out
}

func rulesFor(cl model.Cluster, host string) []model.DestinationRule {
	var out []model.DestinationRule
	for _, dr := range cl.DestinationRules {
		if dr.Error == "" && model.HostMatches(host, dr.Host) {
			out = append(out, dr)
		}
	}
	return out
}

// checkRouteToUndeclaredHost: a VirtualService routes to a host of the
// VirtualDestination that no ServiceEntry declares in its cluster.
func checkRouteToUndeclaredHost(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		seen := map[string]bool{}
		for _, rd := range chainDestinations(cl) {
			key := rd.vs.Ref.String() + "\x00" + rd.dest.Host
			if seen[key] || len(declaring(cl, rd.dest.Host)) > 0 {
				continue
			}
			seen[key] = true
			refs := []model.Ref{rd.vs.Ref}
			for _, se := range cl.ServiceEntries {
				refs = append(refs, se.Ref)
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s routes to %s, but no ServiceEntry translated from the VirtualDestination declares it in cluster %s%s: "+
					"the route has no destination and requests get 503", rd.vs.Ref, rd.dest.Host, cl.Name, declaredHosts(cl)),
				Objects: refs,
				Hint:    "Route to one of the VirtualDestination's hosts, or add the host to spec.hosts of the VirtualDestination.",
			})
		}
	}
	return out
}

func declaredHosts(cl model.Cluster) string {
	var hosts []string
	for _, se := range cl.ServiceEntries {
		hosts = append(hosts, se.Hosts...)
	}
	if len(hosts) == 0 {
		return ""
	}
	sort.Strings(hosts)
	return " (it declares " + strings.Join(hosts, ", ") + ")"
}

// checkRouteToUndeclaredPort: the route names a port the ServiceEntry
// does not declare.
func checkRouteToUndeclaredPort(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, rd := range chainDestinations(cl) {
			if rd.dest.Port == 0 {
				continue
			}
			ses := declaring(cl, rd.dest.Host)
			if len(ses) == 0 {
				continue
			}
			found := false
			var ports []string
			refs := []model.Ref{rd.vs.Ref}
			for _, se := range ses {
				if _, ok := se.Port(rd.dest.Port); ok {
					found = true
				}
				for _, p := range se.Ports {
					ports = append(ports, strconv.Itoa(int(p.Number)))
				}
				refs = append(refs, se.Ref)
			}
			if found {
				continue
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s routes to %s port %d, but %s declares only port %s: Istio has no cluster for that port and requests get 503",
					rd.vs.Ref, rd.dest.Host, rd.dest.Port, joinRefs(refs[1:]), strings.Join(ports, ", ")),
				Objects: refs,
				Hint:    "Route to a port of the VirtualDestination (spec.ports), or add the port to the VirtualDestination.",
			})
		}
	}
	return out
}

// checkRouteToUndefinedSubset: the route names a subset no
// DestinationRule of the host defines.
func checkRouteToUndefinedSubset(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, rd := range chainDestinations(cl) {
			if rd.dest.Subset == "" {
				continue
			}
			drs := rulesFor(cl, rd.dest.Host)
			refs := []model.Ref{rd.vs.Ref}
			found := false
			for _, dr := range drs {
				refs = append(refs, dr.Ref)
				for _, s := range dr.Subsets {
					if s == rd.dest.Subset {
						found = true
					}
				}
			}
			if found {
				continue
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s routes to subset %q of %s, which no DestinationRule of that host defines: requests get 503",
					rd.vs.Ref, rd.dest.Subset, rd.dest.Host),
				Objects: refs,
				Hint:    "VirtualDestinations have no subsets: route to the host without a subset, or to a VirtualDestination per version.",
			})
		}
	}
	return out
}

// consumerNamespaces are the namespaces whose proxies use a
// VirtualService: those of its gateways, or for the mesh its own namespace
// and the namespaces it is explicitly exported to.
func consumerNamespaces(vs model.VirtualService) []string {
	set := map[string]bool{}
	mesh := len(vs.Gateways) == 0
	for _, g := range vs.Gateways {
		if g == "mesh" {
			mesh = true
			continue
		}
		if ns, _, ok := strings.Cut(g, "/"); ok {
			set[ns] = true
		} else {
			set[vs.Ref.Namespace] = true
		}
	}
	if mesh {
		set[vs.Ref.Namespace] = true
		for _, e := range vs.ExportTo {
			if e != "." && e != "*" && e != "~" {
				set[e] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for ns := range set {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

func exportToString(e []string) string {
	if len(e) == 0 {
		return "every namespace"
	}
	return strings.Join(e, ", ")
}

// checkServiceEntryHidden: the proxies that use a VirtualService cannot see
// the ServiceEntry of the host it routes to.
func checkServiceEntryHidden(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		seen := map[string]bool{}
		for _, rd := range chainDestinations(cl) {
			for _, se := range declaring(cl, rd.dest.Host) {
				hidden := hiddenFrom(se.ExportTo, se.Ref.Namespace, consumerNamespaces(rd.vs))
				key := rd.vs.Ref.String() + "\x00" + se.Ref.String()
				if len(hidden) == 0 || seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, Finding{
					Cluster: cl.Name,
					Message: fmt.Sprintf("%s routes to %s from namespace %s, but %s is exported only to %s: proxies there do not know the host "+
						"and requests get 503", rd.vs.Ref, rd.dest.Host, strings.Join(hidden, ", "), se.Ref, exportToString(se.ExportTo)),
					Objects: []model.Ref{rd.vs.Ref, se.Ref},
					Hint: "Gloo exports a VirtualDestination to the namespaces of its workspace and of the workspaces importing it: " +
						"export the VirtualDestination to the workspace that holds " + strings.Join(hidden, ", ") + ".",
				})
			}
		}
	}
	return out
}

// checkDestinationRuleHidden: the proxies that use a VirtualService cannot
// see the DestinationRule of the host it routes to, so they send plain text
// to the east-west gateway and ignore the failover policy.
func checkDestinationRuleHidden(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		seen := map[string]bool{}
		for _, rd := range chainDestinations(cl) {
			for _, dr := range rulesFor(cl, rd.dest.Host) {
				hidden := hiddenFrom(dr.ExportTo, dr.Ref.Namespace, consumerNamespaces(rd.vs))
				key := rd.vs.Ref.String() + "\x00" + dr.Ref.String()
				if len(hidden) == 0 || seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, Finding{
					Cluster: cl.Name,
					Message: fmt.Sprintf("%s routes to %s from namespace %s, but %s is exported only to %s: proxies there use no mTLS "+
						"towards the east-west gateways and none of its load balancing or outlier detection", rd.vs.Ref, rd.dest.Host,
						strings.Join(hidden, ", "), dr.Ref, exportToString(dr.ExportTo)),
					Objects: []model.Ref{rd.vs.Ref, dr.Ref},
					Hint:    "Export the VirtualDestination to the workspace that holds " + strings.Join(hidden, ", ") + ".",
				})
			}
		}
	}
	return out
}

func hiddenFrom(exportTo []string, own string, namespaces []string) []string {
	var out []string
	for _, ns := range namespaces {
		if !model.ExportedTo(exportTo, own, ns) {
			out = append(out, ns)
		}
	}
	return out
}

func joinRefs(refs []model.Ref) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}
