// Package drift compares what a proxy holds for a VirtualDestination's
// hosts (its Envoy clusters and endpoints, decoded by pkg/envoy) with what
// the translation in its cluster implies (pkg/mesh, pkg/locality), field
// by field, and the proxies of different clusters with one another. It
// reads no cluster: the command hands it the configuration and the dumps.
//
// Both sides are reduced to the same flat fields (a path and a value per
// field), with the defaults Envoy applies to what a cluster leaves unset,
// so that "not set" and "set to the default" compare equal, as they behave
// the same.
package drift

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
)

// Fields are the compared values of one Envoy cluster: path -> value.
type Fields map[string]string

// Cluster is one Envoy cluster, reduced to its compared fields.
type Cluster struct {
	Name   string
	Fields Fields
}

// State is what a proxy holds (or should hold) for the compared hosts:
// cluster name -> cluster.
type State map[string]*Cluster

// Names lists the clusters, sorted.
func (s State) Names() []string {
	out := make([]string, 0, len(s))
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Proxy is the proxy a dump was taken from, as its bootstrap node says.
type Proxy struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Cluster is the Istio cluster (CLUSTER_ID).
	Cluster  string            `json:"cluster"`
	Network  string            `json:"network,omitempty"`
	Locality locality.Locality `json:"-"`
	Labels   map[string]string `json:"-"`
}

// String is namespace/name.
func (p Proxy) String() string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// ProxyOf reads a dump's node: istiod takes the locality from the node,
// else from the proxy's topology labels.
func ProxyOf(node *corev3.Node) Proxy {
	md := node.GetMetadata().GetFields()
	str := func(k string) string { return md[k].GetStringValue() }
	p := Proxy{
		ID:        node.GetId(),
		Namespace: str("NAMESPACE"),
		Name:      str("NAME"),
		Cluster:   str("CLUSTER_ID"),
		Network:   str("NETWORK"),
		Labels:    map[string]string{},
	}
	for k, v := range md["LABELS"].GetStructValue().GetFields() {
		p.Labels[k] = v.GetStringValue()
	}
	if l := node.GetLocality(); l.GetRegion() != "" {
		p.Locality = locality.Locality{Region: l.GetRegion(), Zone: l.GetZone(), SubZone: l.GetSubZone()}
	} else {
		p.Locality = locality.Locality{
			Region:  p.Labels[locality.LabelRegion],
			Zone:    p.Labels[locality.LabelZone],
			SubZone: p.Labels[locality.LabelSubzone],
		}
	}
	if p.Name == "" || p.Namespace == "" {
		// sidecar~IP~NAME.NAMESPACE~NAMESPACE.svc.cluster.local
		parts := strings.Split(p.ID, "~")
		if len(parts) == 4 {
			if name, ns, ok := strings.Cut(parts[2], "."); ok {
				p.Name, p.Namespace = name, ns
			}
		}
	}
	return p
}

// Difference is one field whose value differs.
type Difference struct {
	Cluster string `json:"cluster"`
	// Field is the path in the cluster; empty when the whole cluster is
	// missing on one side.
	Field    string `json:"field"`
	Proxy    string `json:"proxy"`
	Expected string `json:"expected"`
}

// Path is cluster and field, as printed.
func (d Difference) Path() string {
	if d.Field == "" {
		return d.Cluster
	}
	return d.Cluster + " " + d.Field
}

// Absent is the value of a cluster or field one side does not have.
const Absent = "(absent)"

// Compare lists the differences between what a proxy holds and what is
// expected, sorted by cluster and field.
func Compare(actual, expected State) []Difference {
	var out []Difference
	names := map[string]bool{}
	for n := range actual {
		names[n] = true
	}
	for n := range expected {
		names[n] = true
	}
	for _, n := range sortedKeys(names) {
		a, e := actual[n], expected[n]
		switch {
		case a == nil:
			out = append(out, Difference{Cluster: n, Proxy: Absent, Expected: "present"})
			continue
		case e == nil:
			out = append(out, Difference{Cluster: n, Proxy: "present", Expected: Absent})
			continue
		}
		out = append(out, compareFields(n, a.Fields, e.Fields)...)
	}
	return out
}

func compareFields(cluster string, a, e Fields) []Difference {
	var out []Difference
	paths := map[string]bool{}
	for p := range a {
		paths[p] = true
	}
	for p := range e {
		paths[p] = true
	}
	for _, p := range sortFieldPaths(paths) {
		av, aok := a[p]
		ev, eok := e[p]
		if !aok {
			av = Absent
		}
		if !eok {
			ev = Absent
		}
		if av != ev {
			out = append(out, Difference{Cluster: cluster, Field: p, Proxy: av, Expected: ev})
		}
	}
	return out
}

// sortFieldPaths sorts paths, endpoints last.
func sortFieldPaths(set map[string]bool) []string {
	out := sortedKeys(set)
	sort.SliceStable(out, func(i, j int) bool {
		ei, ej := strings.HasPrefix(out[i], "endpoints"), strings.HasPrefix(out[j], "endpoints")
		if ei != ej {
			return ej
		}
		return out[i] < out[j]
	})
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Holder is one proxy's state, named for the comparison across clusters.
type Holder struct {
	Context string
	Proxy   string
	State   State
}

// Disagreement is a field that proxies of different clusters hold with
// different values for the same Envoy cluster.
type Disagreement struct {
	Cluster string `json:"cluster"`
	Field   string `json:"field"`
	// Values maps "context proxy" to the value it holds.
	Values map[string]string `json:"values"`
}

// Across compares the proxies of different contexts: for each Envoy
// cluster and field (endpoints excepted: each cluster has its own), the
// values held when they are not all equal. Proxies of the same context
// are compared with their translation, not here.
func Across(holders []Holder) []Disagreement {
	contexts := map[string]bool{}
	for _, h := range holders {
		contexts[h.Context] = true
	}
	if len(contexts) < 2 {
		return nil
	}
	type key struct{ cluster, field string }
	values := map[key]map[string]string{}
	present := map[string]map[string]bool{} // cluster -> holder
	for _, h := range holders {
		who := h.Context + " " + h.Proxy
		for name, c := range h.State {
			if present[name] == nil {
				present[name] = map[string]bool{}
			}
			present[name][who] = true
			for f, v := range c.Fields {
				if strings.HasPrefix(f, "endpoints") {
					continue
				}
				k := key{name, f}
				if values[k] == nil {
					values[k] = map[string]string{}
				}
				values[k][who] = v
			}
		}
	}
	var out []Disagreement
	for k, vals := range values {
		distinct := map[string]bool{}
		for _, v := range vals {
			distinct[v] = true
		}
		// A holder that has the cluster but not the field holds the
		// default the field stands for: absent.
		for who := range present[k.cluster] {
			if _, ok := vals[who]; !ok {
				vals[who] = Absent
				distinct[Absent] = true
			}
		}
		if len(distinct) > 1 {
			out = append(out, Disagreement{Cluster: k.cluster, Field: k.field, Values: vals})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cluster != out[j].Cluster {
			return out[i].Cluster < out[j].Cluster
		}
		return out[i].Field < out[j].Field
	})
	return out
}

func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// ClusterName is Istio's outbound cluster name.
func ClusterName(port uint32, subset, host string) string {
	return fmt.Sprintf("outbound|%d|%s|%s", port, subset, host)
}

// ParseClusterName splits outbound|PORT|SUBSET|HOST.
func ParseClusterName(name string) (port uint32, subset, host string, ok bool) {
	parts := strings.SplitN(name, "|", 4)
	if len(parts) != 4 || parts[0] != "outbound" {
		return 0, "", "", false
	}
	p, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		return 0, "", "", false
	}
	return uint32(p), parts[2], parts[3], true
}
