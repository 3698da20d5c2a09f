package writer

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

// EndpointFilter selects hosts as istioctl's flags do: Address, Cluster and
// Status match whole values, case-insensitively.
type EndpointFilter struct {
	Address string
	Port    uint32
	Cluster string
	Status  string
	// Hosts, when not nil, keeps only the clusters of these service FQDNs.
	Hosts map[string]bool
}

// Verify reports whether a host of a cluster passes the filter.
func (f EndpointFilter) Verify(h *envoy.HostSummary, cluster string) bool {
	if f.Hosts != nil && !f.Hosts[envoy.ClusterHost(cluster)] {
		return false
	}
	if f.Address != "" && !strings.EqualFold(h.Address, f.Address) {
		return false
	}
	if f.Port != 0 && h.Port != f.Port {
		return false
	}
	if f.Cluster != "" && !strings.EqualFold(cluster, f.Cluster) {
		return false
	}
	if f.Status != "" && !strings.EqualFold(corev3.HealthStatus_name[h.Status], f.Status) {
		return false
	}
	return true
}

// ValidateStatus checks a --status value against Envoy's health statuses.
func ValidateStatus(s string) error {
	if s == "" {
		return nil
	}
	for _, n := range corev3.HealthStatus_name {
		if strings.EqualFold(n, s) {
			return nil
		}
	}
	return fmt.Errorf("invalid --status %q: use one of healthy, unhealthy, draining, timeout, degraded, unknown", s)
}

// EndpointSet is the endpoints of one proxy.
type EndpointSet struct {
	Context  string
	Clusters []envoy.ClusterStatus
	// EDS, when read, gives the wide columns their values.
	EDS []*endpointv3.ClusterLoadAssignment
	// Hosts, when not nil, replaces the filter's Hosts for this proxy.
	Hosts map[string]bool
}

func (f EndpointFilter) forSet(hosts map[string]bool) EndpointFilter {
	if hosts != nil {
		f.Hosts = hosts
	}
	return f
}

// EndpointOptions change the endpoint table.
type EndpointOptions struct {
	// Markdown writes the table as GitHub-flavoured Markdown.
	Markdown bool
	// Wide adds LOCALITY, PRIORITY and WEIGHT.
	Wide bool
	// ContextColumn adds a first CONTEXT column.
	ContextColumn bool
	// Warn, when set, is told about the values of the printed clusters that
	// Envoy's schema does not define.
	Warn io.Writer
	// typePrefix is istioctl's `proxy-config all` layout (endpoint/NAME in
	// the EDS view).
	typePrefix bool
}

type endpointRow struct {
	address string
	port    int
	cluster string
	host    *envoy.HostSummary
	cs      *envoy.ClusterStatus
}

// PrintEndpointsSummary prints istioctl's endpoint table for each set.
func PrintEndpointsSummary(out io.Writer, sets []EndpointSet, f EndpointFilter, o EndpointOptions) error {
	t := &table{markdown: o.Markdown}
	header := []string{"ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"}
	if o.Wide {
		header = append(header, "LOCALITY", "PRIORITY", "WEIGHT")
	}
	if o.ContextColumn {
		header = append([]string{"CONTEXT"}, header...)
	}
	t.add(header...)
	var warnings []*notes
	for _, set := range sets {
		f := f.forSet(set.Hosts)
		n := &notes{context: set.Context}
		warnings = append(warnings, n)
		var rows []endpointRow
		for i := range set.Clusters {
			cs := &set.Clusters[i]
			shown := false
			for j := range cs.Hosts {
				h := &cs.Hosts[j]
				if f.Verify(h, cs.Name) {
					rows = append(rows, endpointRow{h.Address, int(h.Port), cs.Name, h, cs})
					shown = true
				}
			}
			if shown {
				n.add(cs.Notes...)
			}
		}
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].address == rows[j].address {
				if rows[i].port == rows[j].port {
					return rows[i].cluster < rows[j].cluster
				}
				return rows[i].port < rows[j].port
			}
			return rows[i].address < rows[j].address
		})
		var eds *edsHosts
		if o.Wide {
			eds = newEDSHosts(set.EDS)
		}
		for _, r := range rows {
			endpoint := r.address
			if r.port != 0 {
				endpoint = r.address + ":" + strconv.Itoa(r.port)
			}
			outlier := "OK"
			if r.host.FailedOutlier {
				outlier = "FAILED"
			}
			var row []string
			if o.ContextColumn {
				row = append(row, set.Context)
			}
			row = append(row, endpoint, corev3.HealthStatus_name[r.host.Status], outlier, r.cluster)
			if o.Wide {
				loc, prio, weight := eds.lookup(r.cs, r.host)
				if loc == "" {
					loc = none
				}
				row = append(row, loc, strconv.Itoa(int(prio)), strconv.Itoa(int(weight)))
			}
			t.add(row...)
		}
	}
	for _, n := range warnings {
		n.print(o.Warn)
	}
	return t.write(out)
}

// edsHosts finds the EDS entry (locality, priority, weight) of a host.
type edsHosts struct {
	byCluster map[string]map[string]edsHost
}

type edsHost struct {
	locality string
	priority uint32
	weight   uint32
}

func newEDSHosts(list []*endpointv3.ClusterLoadAssignment) *edsHosts {
	e := &edsHosts{byCluster: map[string]map[string]edsHost{}}
	for _, cla := range list {
		m := e.byCluster[cla.GetClusterName()]
		if m == nil {
			m = map[string]edsHost{}
			e.byCluster[cla.GetClusterName()] = m
		}
		for _, l := range cla.GetEndpoints() {
			loc := envoy.Locality{Region: l.GetLocality().GetRegion(), Zone: l.GetLocality().GetZone(), SubZone: l.GetLocality().GetSubZone()}
			for _, lb := range l.GetLbEndpoints() {
				weight := uint32(1) // Envoy's default endpoint weight
				if lb.GetLoadBalancingWeight() != nil {
					weight = lb.GetLoadBalancingWeight().GetValue()
				}
				key := edsKey(lb.GetEndpoint().GetAddress())
				if _, dup := m[key]; !dup {
					m[key] = edsHost{locality: loc.String(), priority: l.GetPriority(), weight: weight}
				}
			}
		}
	}
	return e
}

func edsKey(a *corev3.Address) string {
	if sa := a.GetSocketAddress(); sa != nil {
		return sa.GetAddress() + ":" + strconv.Itoa(int(sa.GetPortValue()))
	}
	return "unix://" + a.GetPipe().GetPath()
}

// lookup prefers the EDS assignment (what the control plane configured)
// and falls back to what /clusters reports for the host.
func (e *edsHosts) lookup(cs *envoy.ClusterStatus, h *envoy.HostSummary) (locality string, priority, weight uint32) {
	if e != nil {
		name := cs.EDSServiceName
		if name == "" {
			name = cs.Name
		}
		key := h.Address
		if !strings.HasPrefix(key, "unix://") {
			key += ":" + strconv.Itoa(int(h.Port))
		}
		if eh, ok := e.byCluster[name][key]; ok {
			return eh.locality, eh.priority, eh.weight
		}
	}
	return h.Locality.String(), h.Priority, h.Weight
}

// PrintEndpoints prints, as istioctl's -o json or -o yaml, the clusters
// that have at least one host passing the filter (with all their hosts).
func PrintEndpoints(w io.Writer, sets []EndpointSet, f EndpointFilter, format string, warn io.Writer) error {
	var lists []jsonList
	var warnings []*notes
	for _, set := range sets {
		l := jsonList{context: set.Context}
		n := &notes{context: set.Context}
		warnings = append(warnings, n)
		f := f.forSet(set.Hosts)
		for i := range set.Clusters {
			cs := &set.Clusters[i]
			keep := false
			for j := range cs.Hosts {
				if f.Verify(&cs.Hosts[j], cs.Name) {
					keep = true
					break
				}
			}
			if !keep {
				continue
			}
			n.add(cs.Notes...)
			typed, err := envoy.DecodeClusterStatus(cs.Raw)
			if err != nil {
				return fmt.Errorf("cluster %s: %w", cs.Name, err)
			}
			b, err := messageJSON(typed, cs.Raw, "cluster "+cs.Name, warn)
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
