package writer

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

// The EDS view is istioctl's endpoint table built from the EDS section of
// a config dump (`istioctl proxy-config eds`): NAME, STATUS, LOCALITY and
// CLUSTER of every endpoint the control plane assigned.

// EDSSet is the EDS assignments of one proxy.
type EDSSet struct {
	Context   string
	Endpoints []*endpointv3.ClusterLoadAssignment
	// Hosts, when not nil, replaces the filter's Hosts for this proxy.
	Hosts map[string]bool
	// Notes are the dump's notes on its EDS section (envoy.Dump.Notes).
	Notes []envoy.Note
}

// notesOf gathers the notes of the assignments printed.
func (set EDSSet) notesOf(printed []*endpointv3.ClusterLoadAssignment) *notes {
	n := &notes{context: set.Context}
	names := map[string]bool{}
	for _, cla := range printed {
		names[edsWhere(cla.GetClusterName())] = true
	}
	for _, note := range set.Notes {
		if names[note.Where] {
			n.add(note)
		}
	}
	return n
}

func edsWhere(cluster string) string { return "endpoints of " + strconv.Quote(cluster) }

// edsAddresses renders the addresses of an endpoint as istioctl does.
func edsAddresses(ep *endpointv3.LbEndpoint) []string {
	addrs := []*corev3.Address{ep.GetEndpoint().GetAddress()}
	for _, a := range ep.GetEndpoint().GetAdditionalAddresses() {
		addrs = append(addrs, a.GetAddress())
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if sa := a.GetSocketAddress(); sa != nil {
			out = append(out, sa.GetAddress()+":"+strconv.Itoa(int(sa.GetPortValue())))
			continue
		}
		if p := a.GetPipe(); p != nil {
			out = append(out, p.GetPath())
			continue
		}
		if in := a.GetEnvoyInternalAddress(); in != nil {
			if l, ok := in.GetAddressNameSpecifier().(*corev3.EnvoyInternalAddress_ServerListenerName); ok {
				out = append(out, fmt.Sprintf("envoy://%s/%s", l.ServerListenerName, in.GetEndpointId()))
				continue
			}
		}
		out = append(out, "unknown")
	}
	return out
}

// verifyEDS applies the endpoint filter to an EDS endpoint: the address
// filter matches one of its ADDRESS:PORT (or pipe) forms.
func (f EndpointFilter) verifyEDS(ep *endpointv3.LbEndpoint, cluster string) bool {
	if f.Hosts != nil && !f.Hosts[envoy.ClusterHost(cluster)] {
		return false
	}
	if f.Address != "" {
		found := false
		for _, a := range edsAddresses(ep) {
			if strings.EqualFold(a, f.Address) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if f.Port != 0 && ep.GetEndpoint().GetAddress().GetSocketAddress().GetPortValue() != f.Port {
		return false
	}
	if f.Cluster != "" && !strings.EqualFold(cluster, f.Cluster) {
		return false
	}
	if f.Status != "" && !strings.EqualFold(corev3.HealthStatus_name[int32(ep.GetHealthStatus())], f.Status) {
		return false
	}
	return true
}

// selectEDS keeps the endpoints passing the filter (on copies) and the
// assignments left with one, sorted as istioctl sorts them.
func selectEDS(list []*endpointv3.ClusterLoadAssignment, f EndpointFilter) []*endpointv3.ClusterLoadAssignment {
	type keyed struct {
		cla *endpointv3.ClusterLoadAssignment
		key envoy.SubsetKey
	}
	var out []keyed
	for _, orig := range list {
		cla := proto.Clone(orig).(*endpointv3.ClusterLoadAssignment)
		count := 0
		for _, l := range cla.GetEndpoints() {
			kept := make([]*endpointv3.LbEndpoint, 0, len(l.GetLbEndpoints()))
			for _, ep := range l.GetLbEndpoints() {
				if f.verifyEDS(ep, cla.GetClusterName()) {
					kept = append(kept, ep)
				}
			}
			l.LbEndpoints = kept
			count += len(kept)
		}
		if count == 0 {
			continue
		}
		k := envoy.SubsetKey{Host: cla.GetClusterName()}
		if envoy.IsSubsetKey(cla.GetClusterName()) {
			k = envoy.ParseSubsetKey(cla.GetClusterName())
		}
		out = append(out, keyed{cla, k})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i].key, &out[j].key
		if a.Host == b.Host {
			if a.Subset == b.Subset {
				if a.Port == b.Port {
					return a.Direction < b.Direction
				}
				return a.Port < b.Port
			}
			return a.Subset < b.Subset
		}
		return a.Host < b.Host
	})
	res := make([]*endpointv3.ClusterLoadAssignment, len(out))
	for i := range out {
		res[i] = out[i].cla
	}
	return res
}

// PrintEDSSummary prints istioctl's EDS endpoint table; wide adds PRIORITY
// and WEIGHT.
func PrintEDSSummary(out io.Writer, sets []EDSSet, f EndpointFilter, o EndpointOptions) error {
	t := &table{markdown: o.Markdown}
	header := []string{"NAME", "STATUS", "LOCALITY", "CLUSTER"}
	if o.Wide {
		header = append(header, "PRIORITY", "WEIGHT")
	}
	if o.ContextColumn {
		header = append([]string{"CONTEXT"}, header...)
	}
	t.add(header...)
	var warnings []*notes
	for _, set := range sets {
		f := f.forSet(set.Hosts)
		printed := selectEDS(set.Endpoints, f)
		warnings = append(warnings, set.notesOf(printed))
		for _, cla := range printed {
			for _, l := range cla.GetEndpoints() {
				loc := envoy.Locality{Region: l.GetLocality().GetRegion(), Zone: l.GetLocality().GetZone(), SubZone: l.GetLocality().GetSubZone()}
				for _, ep := range l.GetLbEndpoints() {
					var row []string
					if o.ContextColumn {
						row = append(row, set.Context)
					}
					name := strings.Join(edsAddresses(ep), ",")
					if o.typePrefix {
						name = "endpoint/" + name
					}
					row = append(row, name, ep.GetHealthStatus().String(), loc.String(), cla.GetClusterName())
					if o.Wide {
						weight := uint32(1)
						if ep.GetLoadBalancingWeight() != nil {
							weight = ep.GetLoadBalancingWeight().GetValue()
						}
						row = append(row, strconv.Itoa(int(l.GetPriority())), strconv.Itoa(int(weight)))
					}
					t.add(row...)
				}
			}
		}
	}
	for _, n := range warnings {
		n.print(o.Warn)
	}
	return t.write(out)
}

// PrintEDS prints the selected assignments as istioctl's -o json|yaml.
func PrintEDS(w io.Writer, sets []EDSSet, f EndpointFilter, format string, warn io.Writer) error {
	var lists []jsonList
	var warnings []*notes
	for _, set := range sets {
		l := jsonList{context: set.Context}
		printed := selectEDS(set.Endpoints, f.forSet(set.Hosts))
		warnings = append(warnings, set.notesOf(printed))
		for _, cla := range printed {
			b, err := messageJSON(cla, nil, "endpoints of "+cla.GetClusterName(), warn)
			if err != nil {
				return err
			}
			l.items = append(l.items, b)
		}
		lists = append(lists, l)
	}
	for _, n := range warnings {
		n.print(warn)
	}
	return writeJSON(w, lists, len(sets) > 1, format)
}
