package envoy

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/internal/jsonscan"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/route"
)

// Section types a route trace reads.
const (
	BootstrapConfigDumpType = "envoy.admin.v3.BootstrapConfigDump"
	ListenersConfigDumpType = "envoy.admin.v3.ListenersConfigDump"
	RoutesConfigDumpType    = "envoy.admin.v3.RoutesConfigDump"
)

// Node is the bootstrap node of a proxy, as pilot-agent writes it.
type Node struct {
	ID      string
	Cluster string
	// Type is the node id's proxy type: "sidecar", "router" (a gateway),
	// "waypoint", ...; "" when the id is not Istio's.
	Type string
	// Router is true for a gateway ("router~..." node id), false for a
	// sidecar.
	Router    bool
	IP        string
	Name      string // the pod's name (from the node id)
	Namespace string
	// ClusterID is the Istio cluster (metadata CLUSTER_ID).
	ClusterID string
	Network   string
	Labels    map[string]string
	// Locality is the node's locality, or else the one its topology labels
	// give (istiod reads the pod's node labels into both).
	Locality Locality
}

// Listener is what a trace needs of a listener: its port and the route
// configurations its HTTP connection managers ask RDS for.
type Listener struct {
	Name       string
	Address    string
	Port       uint32
	RouteNames []string
}

// RouteQuery says what ReadRouteDump keeps.
type RouteQuery struct {
	// Node, when set, is told the bootstrap node as soon as it is read
	// (before listeners and routes: Envoy writes the bootstrap first).
	Node func(*Node)
	// Ports tells which listeners to keep, by port (nil: none).
	Ports func(port uint32) bool
	// KeepRoute tells which route configurations (by name) to decode.
	KeepRoute func(name string) bool
	// Authority, when set and not empty, is the request's Host: of each
	// route configuration kept, only the virtual host Envoy would pick
	// for it is decoded (a sidecar's configuration of a port can hold
	// one per service of the mesh).
	Authority func() string
}

// RouteDump is what a route trace reads from a config dump: the proxy's
// node, the listeners of one port, and some route configurations.
type RouteDump struct {
	Node      *Node
	Listeners []Listener
	// Routes are the route configurations kept, in dump order.
	Routes []*routev3.RouteConfiguration
	// RouteNames are the names of every route configuration of the dump.
	RouteNames []string
	Sections   []string
}

// ReadRouteDump streams a config dump, decoding only the bootstrap node,
// the listeners of the ports q wants and the route configurations q keeps: clusters
// and endpoints are skipped (see ReadClusterData), so that a dump of many
// thousand clusters costs a scan and not its size in memory.
func ReadRouteDump(r io.Reader, q RouteQuery) (*RouteDump, error) {
	out := &RouteDump{}
	err := eachSection(r, func(name string) (fieldFunc, error) {
		out.Sections = append(out.Sections, name)
		switch name {
		case BootstrapConfigDumpType:
			return func(key []byte, d *jsonscan.Decoder) error {
				if string(key) != "bootstrap" {
					return d.Skip()
				}
				return objectField(d, func(key []byte) error {
					if string(key) != "node" {
						return d.Skip()
					}
					raw, err := d.Capture()
					if err != nil {
						return err
					}
					if out.Node, err = parseNode(raw); err == nil && q.Node != nil {
						q.Node(out.Node)
					}
					return err
				})
			}, nil
		case ListenersConfigDumpType:
			return func(key []byte, d *jsonscan.Decoder) error {
				switch {
				case is(key, "dynamic_listeners", "dynamicListeners"):
					return arrayField(d, func(int) error {
						return objectField(d, func(key []byte) error {
							if !is(key, "active_state", "activeState") {
								return d.Skip()
							}
							return objectField(d, func(key []byte) error {
								if string(key) != "listener" {
									return d.Skip()
								}
								return readListener(d, q.Ports, &out.Listeners)
							})
						})
					})
				case is(key, "static_listeners", "staticListeners"):
					return arrayField(d, func(int) error {
						return objectField(d, func(key []byte) error {
							if string(key) != "listener" {
								return d.Skip()
							}
							return readListener(d, q.Ports, &out.Listeners)
						})
					})
				}
				return d.Skip()
			}, nil
		case RoutesConfigDumpType:
			return func(key []byte, d *jsonscan.Decoder) error {
				if !is(key, "dynamic_route_configs", "dynamicRouteConfigs") && !is(key, "static_route_configs", "staticRouteConfigs") {
					return d.Skip()
				}
				return arrayField(d, func(int) error {
					return objectField(d, func(key []byte) error {
						if !is(key, "route_config", "routeConfig") {
							return d.Skip()
						}
						return readRouteConfig(d, q, out)
					})
				})
			}, nil
		}
		return skipFields, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// nodeJSON is the node as the bootstrap holds it.
type nodeJSON struct {
	ID       string `json:"id"`
	Cluster  string `json:"cluster"`
	Locality struct {
		Region  string `json:"region"`
		Zone    string `json:"zone"`
		SubZone string `json:"sub_zone"`
		SubZ    string `json:"subZone"`
	} `json:"locality"`
	Metadata struct {
		Namespace string            `json:"NAMESPACE"`
		ClusterID string            `json:"CLUSTER_ID"`
		Network   string            `json:"NETWORK"`
		Labels    map[string]string `json:"LABELS"`
		Name      string            `json:"NAME"`
	} `json:"metadata"`
}

func parseNode(raw []byte) (*Node, error) {
	var nj nodeJSON
	if err := json.Unmarshal(raw, &nj); err != nil {
		return nil, fmt.Errorf("bootstrap node: %s", err)
	}
	n := &Node{ID: nj.ID, Cluster: nj.Cluster, Namespace: nj.Metadata.Namespace, ClusterID: nj.Metadata.ClusterID, Network: nj.Metadata.Network, Labels: nj.Metadata.Labels}
	// id: TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN
	parts := strings.Split(nj.ID, "~")
	if len(parts) == 4 {
		n.Type = parts[0]
		n.Router = parts[0] == "router"
		n.IP = parts[1]
		name, ns, _ := strings.Cut(parts[2], ".")
		n.Name = name
		if n.Namespace == "" {
			n.Namespace = ns
		}
	}
	if n.Name == "" {
		n.Name = nj.Metadata.Name
	}
	sub := nj.Locality.SubZone
	if sub == "" {
		sub = nj.Locality.SubZ
	}
	n.Locality = Locality{Region: nj.Locality.Region, Zone: nj.Locality.Zone, SubZone: sub}
	if n.Locality == (Locality{}) {
		n.Locality = Locality{
			Region:  n.Labels["topology.kubernetes.io/region"],
			Zone:    n.Labels["topology.kubernetes.io/zone"],
			SubZone: n.Labels["topology.istio.io/subzone"],
		}
	}
	return n, nil
}

// readListener keeps a listener whose port ports accepts: its
// raw JSON is read loosely, as only the address and the RDS names of its
// HTTP connection managers matter here.
func readListener(d *jsonscan.Decoder, ports func(uint32) bool, list *[]Listener) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	raw, err := d.Capture()
	if err != nil {
		return err
	}
	name, err := memberString(raw, "name")
	if err != nil {
		return err
	}
	// Istio names listeners ADDRESS_PORT: decode only those on a wanted
	// port (a sidecar's virtualOutbound can be large).
	i := strings.LastIndexByte(name, '_')
	if ports == nil || i < 0 {
		return nil
	}
	if n, err := strconv.ParseUint(name[i+1:], 10, 32); err != nil || !ports(uint32(n)) {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("listener %q: %s", name, err)
	}
	l := Listener{Name: name}
	if m, ok := v.(map[string]any); ok {
		if sa, ok := dig(m, "address", "socket_address").(map[string]any); ok {
			l.Address, _ = sa["address"].(string)
			if p, ok := sa["port_value"].(float64); ok {
				l.Port = uint32(p)
			}
		}
	}
	if !ports(l.Port) {
		return nil
	}
	seen := map[string]bool{}
	walkRDS(v, func(rc string) {
		if !seen[rc] {
			seen[rc] = true
			l.RouteNames = append(l.RouteNames, rc)
		}
	})
	sort.Strings(l.RouteNames)
	*list = append(*list, l)
	return nil
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// walkRDS finds every "rds": {"route_config_name": NAME} in a listener.
func walkRDS(v any, fn func(string)) {
	switch t := v.(type) {
	case map[string]any:
		if rds, ok := t["rds"].(map[string]any); ok {
			if n, ok := rds["route_config_name"].(string); ok {
				fn(n)
			}
		}
		for _, c := range t {
			walkRDS(c, fn)
		}
	case []any:
		for _, c := range t {
			walkRDS(c, fn)
		}
	}
}

// memberString reads a string member of the object in raw (a quick scan
// that decodes nothing else).
func memberString(raw []byte, name string) (string, error) {
	d := jsonscan.NewBytes(raw)
	var out string
	err := d.Object(func(key []byte) error {
		if string(key) == name && out == "" {
			s, err := stringField(d)
			out = s
			return err
		}
		return d.Skip()
	})
	return out, err
}

func readRouteConfig(d *jsonscan.Decoder, q RouteQuery, out *RouteDump) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	keep := q.KeepRoute
	if q.Authority != nil {
		if a := q.Authority(); a != "" {
			return readRouteConfigFor(d, keep, a, out)
		}
	}
	raw, err := d.Capture()
	if err != nil {
		return err
	}
	name, err := memberString(raw, "name")
	if err != nil {
		return err
	}
	out.RouteNames = append(out.RouteNames, name)
	if keep == nil || !keep(name) {
		return nil
	}
	rc := &routev3.RouteConfiguration{}
	if err := unmarshal.Unmarshal(raw, rc); err != nil {
		return fmt.Errorf("route configuration %q: %s", name, cleanProtoError(err))
	}
	out.Routes = append(out.Routes, rc)
	return nil
}

// readRouteConfigFor streams a route configuration and keeps, of its
// virtual hosts, the one Envoy picks for authority (with and without its
// port, as ignore_port_in_host_matching may follow the virtual hosts).
func readRouteConfigFor(d *jsonscan.Decoder, keep func(string) bool, authority string, out *RouteDump) error {
	type candidate struct {
		raw   []byte
		score int
	}
	var (
		name       string
		ignorePort bool
		skip       bool
		best       [2]candidate
	)
	hosts := [2]string{route.MatchHost(authority, false), route.MatchHost(authority, true)}
	err := d.Object(func(key []byte) error {
		switch {
		case skip:
			return d.Skip()
		case string(key) == "name":
			var err error
			if name, err = stringField(d); err != nil {
				return err
			}
			skip = keep == nil || !keep(name)
			return nil
		case is(key, "ignore_port_in_host_matching", "ignorePortInHostMatching"):
			var err error
			ignorePort, err = boolField(d)
			return err
		case is(key, "virtual_hosts", "virtualHosts"):
			return arrayField(d, func(int) error {
				raw, err := d.Capture()
				if err != nil {
					return err
				}
				domains, err := memberStrings(raw, "domains")
				if err != nil {
					return err
				}
				for i, h := range hosts {
					if sc := route.DomainScore(domains, h); sc > best[i].score {
						best[i] = candidate{raw, sc}
					}
				}
				return nil
			})
		}
		return d.Skip()
	})
	if err != nil {
		return err
	}
	out.RouteNames = append(out.RouteNames, name)
	if keep == nil || !keep(name) {
		return nil
	}
	rc := &routev3.RouteConfiguration{Name: name, IgnorePortInHostMatching: ignorePort}
	b := best[0]
	if ignorePort {
		b = best[1]
	}
	if b.raw != nil {
		vh := &routev3.VirtualHost{}
		if err := unmarshal.Unmarshal(b.raw, vh); err != nil {
			return fmt.Errorf("route configuration %q: %s", name, cleanProtoError(err))
		}
		rc.VirtualHosts = []*routev3.VirtualHost{vh}
	}
	out.Routes = append(out.Routes, rc)
	return nil
}

// readWantedLoad reads one ClusterLoadAssignment (an Any) and decodes it
// only when its cluster is wanted: Envoy writes cluster_name first, so the
// others are skipped without being kept.
func readWantedLoad(d *jsonscan.Decoder, names map[string]bool) (*endpointv3.ClusterLoadAssignment, error) {
	var (
		name    string
		decided bool
		wanted  bool
		members = map[string]json.RawMessage{}
	)
	typeURL, err := readAny(d, func(string) (fieldFunc, error) {
		return func(key []byte, d *jsonscan.Decoder) error {
			if is(key, "cluster_name", "clusterName") {
				var err error
				if name, err = stringField(d); err != nil {
					return err
				}
				decided, wanted = true, names[name]
				return nil
			}
			if decided && !wanted {
				return d.Skip()
			}
			raw, err := d.Capture()
			if err != nil {
				return err
			}
			members[string(key)] = append(json.RawMessage(nil), raw...)
			return nil
		}, nil
	})
	if err != nil || !wanted {
		return nil, err
	}
	members["cluster_name"], _ = json.Marshal(name)
	if typeURL != "" {
		members["@type"], _ = json.Marshal(typeURL)
	}
	raw, err := json.Marshal(members)
	if err != nil {
		return nil, err
	}
	cla, err := DecodeClusterLoad(raw)
	if err != nil {
		return nil, fmt.Errorf("endpoints of %q: %w", name, err)
	}
	return cla, nil
}

// memberStrings reads a list of strings member of the object in raw.
func memberStrings(raw []byte, name string) ([]string, error) {
	d := jsonscan.NewBytes(raw)
	var out []string
	err := d.Object(func(key []byte) error {
		if string(key) != name {
			return d.Skip()
		}
		return arrayField(d, func(int) error {
			s, err := stringField(d)
			out = append(out, s)
			return err
		})
	})
	return out, err
}

// ClusterData are the clusters and EDS assignments of some clusters.
type ClusterData struct {
	Clusters  map[string]ClusterSummary
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
	// HasEndpoints tells whether the dump has an EDS section
	// (?include_eds).
	HasEndpoints bool
}

// ReadClusterData streams a config dump and keeps the clusters named and
// their EDS assignments; every other cluster and assignment is only
// scanned.
func ReadClusterData(r io.Reader, names map[string]bool) (*ClusterData, error) {
	out := &ClusterData{Clusters: map[string]ClusterSummary{}, Endpoints: map[string]*endpointv3.ClusterLoadAssignment{}}
	err := eachSection(r, func(name string) (fieldFunc, error) {
		switch name {
		case ClustersConfigDumpType:
			return func(key []byte, d *jsonscan.Decoder) error {
				if !is(key, "static_clusters", "staticClusters") && !is(key, "dynamic_active_clusters", "dynamicActiveClusters") {
					return d.Skip()
				}
				dynamic := is(key, "dynamic_active_clusters", "dynamicActiveClusters")
				return arrayField(d, func(j int) error {
					var one []ClusterSummary
					if err := readClusterEntry(d, &one, dynamic, ReadOptions{}, fmt.Sprintf("%s[%d]", key, j)); err != nil {
						return err
					}
					for _, c := range one {
						if names[c.Name] {
							out.Clusters[c.Name] = c
						}
					}
					return nil
				})
			}, nil
		case EndpointsConfigDumpType:
			out.HasEndpoints = true
			return func(key []byte, d *jsonscan.Decoder) error {
				if !is(key, "static_endpoint_configs", "staticEndpointConfigs") && !is(key, "dynamic_endpoint_configs", "dynamicEndpointConfigs") {
					return d.Skip()
				}
				return arrayField(d, func(int) error {
					return objectField(d, func(key []byte) error {
						if !is(key, "endpoint_config", "endpointConfig") {
							return d.Skip()
						}
						if null, err := skipNull(d); null || err != nil {
							return err
						}
						cla, err := readWantedLoad(d, names)
						if err != nil {
							return err
						}
						if cla != nil {
							out.Endpoints[cla.GetClusterName()] = cla
						}
						return nil
					})
				})
			}, nil
		}
		return skipFields, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachSection walks the "configs" list of a /config_dump answer, handing
// the fields of each section to what section returns for its type name.
func eachSection(r io.Reader, section func(name string) (fieldFunc, error)) error {
	d := jsonscan.NewDecoder(r)
	found := false
	err := topObject(d, "/config_dump answer", func(key []byte) error {
		if string(key) != "configs" {
			return d.Skip()
		}
		found = true
		return arrayField(d, func(i int) error {
			if null, err := skipNull(d); null || err != nil {
				return err
			}
			if _, err := readAny(d, func(typeURL string) (fieldFunc, error) { return section(typeName(typeURL)) }); err != nil {
				return fmt.Errorf("configs[%d]: %w", i, err)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if !found {
		return &NotDumpError{Reason: `no "configs" list`}
	}
	return nil
}
