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

func selectingEntries(cl model.Cluster, we model.WorkloadEntry) []model.ServiceEntry {
	var out []model.ServiceEntry
	for _, se := range cl.ServiceEntries {
		if se.Error == "" && se.Selects(we) {
			out = append(out, se)
		}
	}
	return out
}

// checkWorkloadEntryPortNames: a WorkloadEntry maps the ServiceEntry's
// ports by name; a port it does not map is sent to the service port on the
// east-west gateway's address, where nothing listens.
func checkWorkloadEntryPortNames(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, we := range cl.WorkloadEntries {
			if we.Error != "" {
				continue
			}
			ses := selectingEntries(cl, we)
			if len(ses) == 0 {
				for _, se := range cl.ServiceEntries {
					if se.Error == "" {
						ses = append(ses, se)
					}
				}
			}
			var missing []string
			refs := []model.Ref{we.Ref}
			for _, se := range ses {
				refs = append(refs, se.Ref)
				for _, p := range se.Ports {
					if _, ok := we.Ports[p.Name]; !ok {
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
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s maps %s, not the ServiceEntry port %s of %s: that traffic goes to %s on the service port "+
					"instead of the east-west gateway's %d", we.Ref, mapped, strings.Join(missing, ", "), joinRefs(refs[1:]), we.Address, EastWestPort),
				Objects: refs,
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
		for _, we := range cl.WorkloadEntries {
			if we.Error != "" || len(selectingEntries(cl, we)) > 0 {
				continue
			}
			refs := []model.Ref{we.Ref}
			for _, se := range cl.ServiceEntries {
				refs = append(refs, se.Ref)
			}
			sel := "labels " + model.LabelsString(we.Labels)
			if len(we.Labels) == 0 {
				sel = "no labels"
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s (%s, %s) is selected by no ServiceEntry's workloadSelector: its backend gets no traffic",
					we.Ref, we.Address, sel),
				Objects: refs,
				Hint:    "The ServiceEntry selects its WorkloadEntries by label in its own namespace; compare its workloadSelector with the entry's labels.",
			})
		}
	}
	return out
}
