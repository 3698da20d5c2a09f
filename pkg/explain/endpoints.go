package explain

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// EastWestPort is the mTLS passthrough port of Istio's east-west gateways,
// the port Gloo points remote WorkloadEntries at.
const EastWestPort = 15443

// maxListedEntries bounds the ServiceEntries one finding about a
// WorkloadEntry names: when many ServiceEntries select the same
// WorkloadEntries, naming them all in every finding would make the report
// grow with their product.
const maxListedEntries = 5

// listEntries returns the refs a finding names (at most maxListedEntries)
// and how to say them: the names, and how many more there are.
func listEntries(refs []model.Ref) ([]model.Ref, string) {
	if len(refs) <= maxListedEntries {
		return refs, joinRefs(refs)
	}
	shown := refs[:maxListedEntries]
	return shown, fmt.Sprintf("%s and %d more ServiceEntries", joinRefs(shown), len(refs)-maxListedEntries)
}

// groupPorts are the ports the ServiceEntries of a selector group declare,
// once each, and the entries' refs.
type groupPorts struct {
	ports []model.ServicePort
	refs  []model.Ref
}

func portsOfGroups(cl model.Cluster, sel *model.Selection) []groupPorts {
	out := make([]groupPorts, len(sel.Groups))
	for g, group := range sel.Groups {
		seen := map[model.ServicePort]bool{}
		for _, si := range group.Entries {
			se := cl.ServiceEntries[si]
			out[g].refs = append(out[g].refs, se.Ref)
			for _, p := range se.Ports {
				key := model.ServicePort{Name: p.Name, Number: p.Number}
				if !seen[key] {
					seen[key] = true
					out[g].ports = append(out[g].ports, key)
				}
			}
		}
	}
	return out
}

// checkWorkloadEntryPortNames: a WorkloadEntry maps the ServiceEntry's
// ports by name; a port it does not map is sent to the service port on the
// east-west gateway's address, where nothing listens. A WorkloadEntry no
// ServiceEntry selects is held against every readable ServiceEntry.
func checkWorkloadEntryPortNames(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		sel := model.Select(&cl)
		groups := portsOfGroups(cl, sel)
		var all groupPorts
		seen := map[model.ServicePort]bool{}
		for _, se := range cl.ServiceEntries {
			if se.Error != "" {
				continue
			}
			all.refs = append(all.refs, se.Ref)
			for _, p := range se.Ports {
				key := model.ServicePort{Name: p.Name, Number: p.Number}
				if !seen[key] {
					seen[key] = true
					all.ports = append(all.ports, key)
				}
			}
		}
		for wi, we := range cl.WorkloadEntries {
			if we.Error != "" {
				continue
			}
			held := []groupPorts{all}
			if gs := sel.GroupsOf(wi); len(gs) > 0 {
				held = held[:0]
				for _, g := range gs {
					held = append(held, groups[g])
				}
			}
			var missing []string
			done := map[model.ServicePort]bool{}
			for _, h := range held {
				for _, p := range h.ports {
					if _, ok := we.Ports[p.Name]; !ok && !done[p] {
						done[p] = true
						missing = append(missing, fmt.Sprintf("%s (%d)", p.Name, p.Number))
					}
				}
			}
			if len(missing) == 0 {
				continue
			}
			mapped := "no port"
			if len(we.Ports) > 0 {
				mapped = "only " + portMap(we.Ports)
			}
			// The selecting entries, copied only as far as they are named.
			var ses []model.Ref
			total := 0
			for _, h := range held {
				total += len(h.refs)
				for _, r := range h.refs {
					if len(ses) > maxListedEntries {
						break
					}
					ses = append(ses, r)
				}
			}
			shown, named := listEntries(ses)
			if total > len(ses) {
				named = fmt.Sprintf("%s and %d more ServiceEntries", joinRefs(shown), total-len(shown))
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s maps %s, not the ServiceEntry port %s of %s: that traffic goes to %s on the service port "+
					"instead of the east-west gateway's %d", we.Ref, mapped, strings.Join(missing, ", "), named, we.Address, EastWestPort),
				Objects: append([]model.Ref{we.Ref}, shown...),
				Hint:    "WorkloadEntry port names must be the ServiceEntry's port names; Gloo derives both from the VirtualDestination's ports.",
			})
		}
	}
	return out
}

func portMap(m map[string]uint32) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "->" + strconv.Itoa(int(m[k]))
	}
	return strings.Join(parts, ", ")
}

// checkWorkloadEntryPort15443: remote backends are reached through the
// east-west gateway's mTLS passthrough port.
func checkWorkloadEntryPort15443(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, we := range cl.WorkloadEntries {
			if we.Error != "" {
				continue
			}
			var other []string
			for _, k := range sortedPortNames(we.Ports) {
				if we.Ports[k] != EastWestPort {
					other = append(other, fmt.Sprintf("%s->%d", k, we.Ports[k]))
				}
			}
			if len(other) == 0 {
				continue
			}
			where := we.Address
			if we.RemoteCluster != "" {
				where = we.RemoteCluster + "'s east-west gateway (" + we.Address + ")"
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s sends %s to %s instead of port %d, the east-west gateway's mTLS passthrough port",
					we.Ref, strings.Join(other, ", "), where, EastWestPort),
				Objects: []model.Ref{we.Ref},
				Hint:    "Unless that cluster's east-west gateway listens with AUTO_PASSTHROUGH on that port, requests fail; check the gateway's Service ports.",
			})
		}
	}
	return out
}

func sortedPortNames(m map[string]uint32) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkWorkloadEntryNotSelected: a WorkloadEntry no ServiceEntry selects
// gives its backend no traffic.
func checkWorkloadEntryNotSelected(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		if len(cl.ServiceEntries) == 0 {
			continue
		}
		selection := model.Select(&cl)
		var ses []model.Ref
		for _, se := range cl.ServiceEntries {
			ses = append(ses, se.Ref)
		}
		shown, named := listEntries(ses)
		for wi, we := range cl.WorkloadEntries {
			if we.Error != "" || selection.Selected(wi) {
				continue
			}
			sel := "labels " + model.LabelsString(we.Labels)
			if len(we.Labels) == 0 {
				sel = "no labels"
			}
			by := "no ServiceEntry's workloadSelector"
			if len(ses) > maxListedEntries {
				by = "the workloadSelector of none of " + named
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s (%s, %s) is selected by %s: its backend gets no traffic",
					we.Ref, we.Address, sel, by),
				Objects: append([]model.Ref{we.Ref}, shown...),
				Hint:    "The ServiceEntry selects its WorkloadEntries by label in its own namespace; compare its workloadSelector with the entry's labels.",
			})
		}
	}
	return out
}
