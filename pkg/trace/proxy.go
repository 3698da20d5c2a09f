package trace

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/route"
	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
)

// DumpOpener gives a proxy's config dump; a proxy trace reads it twice
// (routes first, then only the clusters the route names), so that it never
// holds the whole dump. pass is 1 or 2: a live proxy is asked for its
// listeners and routes, then for its clusters and endpoints.
type DumpOpener func(pass int) (io.ReadCloser, error)

// ProxyOptions say how the request reaches the proxy.
type ProxyOptions struct {
	// ProxyPort is the listener port (--proxy-port): the request's port for
	// a sidecar, the gateway Service's target port for a gateway.
	ProxyPort uint32
	// TargetPort, for a gateway, gives the target port of its Service's
	// port the request is sent to (0 when unknown): Istio names the route
	// configuration http.TARGETPORT. Without it, the configuration is the
	// one with a virtual host named HOST:PORT.
	TargetPort func(n *envoy.Node, servicePort uint32) uint32
	// Health gives an endpoint's health by cluster and address:port (from
	// /clusters of a live proxy); nil uses the EDS health.
	Health func(cluster, hostPort string) (string, bool)
}

// ProxyTrace follows the request through a proxy's config dump.
func ProxyTrace(open DumpOpener, req Request, opts ProxyOptions) (*Trace, *envoy.Node, error) {
	var node *envoy.Node
	listenerPort := func(p uint32) bool {
		switch {
		case opts.ProxyPort != 0:
			return p == opts.ProxyPort
		case node != nil && !node.Router:
			return p == req.Port
		}
		return true // a gateway: its port is known from its routes
	}
	q := envoy.RouteQuery{
		KeepRoute: func(name string) bool {
			if opts.ProxyPort != 0 {
				return name == strconv.Itoa(int(opts.ProxyPort)) || name == "http."+strconv.Itoa(int(opts.ProxyPort))
			}
			// A sidecar's route configuration of an HTTP port is named by
			// it; a gateway's are "http.TARGETPORT" (few: keep them all to
			// find the one serving the Service port).
			return name == strconv.Itoa(int(req.Port)) || strings.HasPrefix(name, "http.")
		},
		Ports: listenerPort,
		Node:  func(n *envoy.Node) { node = n },
		// A sidecar's route configuration of a port has a virtual host per
		// service: decode only the one the request takes. A gateway's are
		// read whole (their virtual host names give the Service port).
		Authority: func() string {
			if node == nil || node.Router {
				return ""
			}
			return req.Authority()
		},
	}
	rc, err := open(1)
	if err != nil {
		return nil, nil, err
	}
	rd, err := envoy.ReadRouteDump(rc, q)
	rc.Close()
	if err != nil {
		return nil, nil, &DumpError{Err: err}
	}
	node = rd.Node
	if node == nil {
		return nil, nil, &DumpError{Err: fmt.Errorf("the config dump has no bootstrap node (was it taken with /config_dump?)")}
	}
	if node.Type != "" && node.Type != "sidecar" && node.Type != "router" {
		// A waypoint (or another kind) routes by other listeners than a
		// sidecar's port listeners: tracing it as one would be wrong.
		return nil, nil, &DumpError{Err: fmt.Errorf("the proxy is a %s (node %s); trace follows requests from sidecars and gateways", node.Type, node.ID)}
	}
	t := &Trace{Destinations: []Destination{}}
	cfg := pickRouteConfig(rd, node, req, opts)
	if cfg == nil && !node.Router {
		// No HTTP listener on the port: the sidecar's virtualOutbound
		// listener passes the connection through.
		t.Routed, t.Reason = true, fmt.Sprintf("passthrough: no HTTP route configuration for port %d", req.Port)
		t.Destinations = append(t.Destinations, Destination{Host: req.Host, Port: req.Port, Weight: 100, EnvoyCluster: PassthroughCluster, Endpoints: []Endpoint{}})
		return t, node, nil
	}
	if cfg == nil {
		t.Reason = fmt.Sprintf("no route configuration for port %d (404 NR)", req.Port)
		return t, node, nil
	}
	t.RouteConfig = cfg.GetName()
	for _, l := range rd.Listeners {
		for _, n := range l.RouteNames {
			if n == cfg.GetName() {
				t.Listener = l.Name
			}
		}
	}
	vh := route.SelectVirtualHost(cfg, req.Authority())
	if vh == nil {
		t.Reason = fmt.Sprintf("no virtual host for %s (404 NR)", req.Authority())
		return t, node, nil
	}
	t.VirtualHost = vh.GetName()
	idx, skipped := route.SelectRoute(vh, route.Request{Authority: req.Authority(), Method: req.Method, Scheme: req.Scheme, Path: req.Path, Headers: req.Headers})
	for _, s := range skipped {
		t.Notes = append(t.Notes, fmt.Sprintf("route %d of %s skipped: %s", s.Route, vh.GetName(), s.Reason))
	}
	if idx < 0 {
		t.Reason = "no route matched (404 NR)"
		return t, node, nil
	}
	r := vh.GetRoutes()[idx]
	t.Route = r.GetName()
	t.VirtualService = route.IstioConfig(r)
	a := route.ActionOf(r)
	describeProxyAction(t, r, a)
	if a.Kind != "route" || len(a.Clusters) == 0 {
		return t, node, nil
	}
	names := map[string]bool{}
	for _, c := range a.Clusters {
		names[c.Name] = true
	}
	rc, err = open(2)
	if err != nil {
		return nil, nil, err
	}
	cd, err := envoy.ReadClusterData(rc, names)
	rc.Close()
	if err != nil {
		return nil, nil, &DumpError{Err: err}
	}
	if !cd.HasEndpoints {
		t.EndpointsUnknown = true
		t.Notes = append(t.Notes, "the dump has no endpoints (saved without ?include_eds): they are not compared")
	}
	for _, c := range a.Clusters {
		if c.Name == PassthroughCluster {
			t.Reason = "passthrough: no service for " + req.Host
			t.Destinations = append(t.Destinations, Destination{Host: req.Host, Port: req.Port, Weight: 100, EnvoyCluster: c.Name, Endpoints: []Endpoint{}})
			continue
		}
		k := envoy.ParseSubsetKey(c.Name)
		d := Destination{Host: k.Host, Subset: k.Subset, Port: uint32(k.Port), Weight: c.Weight, EnvoyCluster: c.Name, Endpoints: []Endpoint{}}
		if len(a.Clusters) == 1 {
			d.Weight = 100
		}
		if k.Host == "" {
			d.Host = c.Name
		}
		cs, ok := cd.Clusters[c.Name]
		if !ok {
			t.Notes = append(t.Notes, fmt.Sprintf("cluster %s is not in the proxy (503 NC)", c.Name))
		} else if cs.HasConfig {
			d.DestinationRule = configName(cs.Config)
		}
		if cla := cd.Endpoints[c.Name]; cla != nil {
			for _, le := range cla.GetEndpoints() {
				loc := locality.Locality{Region: le.GetLocality().GetRegion(), Zone: le.GetLocality().GetZone(), SubZone: le.GetLocality().GetSubZone()}
				for _, lb := range le.GetLbEndpoints() {
					sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
					e := Endpoint{Address: sa.GetAddress(), Port: sa.GetPortValue(), Locality: loc.String(), Priority: le.GetPriority(), Weight: lb.GetLoadBalancingWeight().GetValue(), Health: healthName(lb.GetHealthStatus().String())}
					if opts.Health != nil {
						if h, ok := opts.Health(c.Name, e.hostPort()); ok {
							e.Health = h
						}
					}
					d.Endpoints = append(d.Endpoints, e)
				}
			}
		}
		sortEndpoints(d.Endpoints)
		t.Destinations = append(t.Destinations, d)
	}
	if missing := len(t.Destinations) - present(t.Destinations, cd); missing > 0 && missing == len(t.Destinations) {
		t.Routed = false
		t.Reason = "no cluster " + t.Destinations[0].EnvoyCluster + " (503 NC)"
		if missing > 1 {
			t.Reason = "none of the route's clusters exists (503 NC)"
		}
	}
	return t, node, nil
}

// present counts the destinations whose cluster the proxy has.
func present(ds []Destination, cd *envoy.ClusterData) int {
	n := 0
	for _, d := range ds {
		if _, ok := cd.Clusters[d.EnvoyCluster]; ok || d.EnvoyCluster == PassthroughCluster {
			n++
		}
	}
	return n
}

// DumpError is a config dump that cannot be read as a proxy's: it breaks
// off, is not a /config_dump answer, or is of a proxy trace does not follow.
type DumpError struct{ Err error }

func (e *DumpError) Error() string { return e.Err.Error() }
func (e *DumpError) Unwrap() error { return e.Err }

// SourceOf is the source a proxy's bootstrap node describes.
func SourceOf(n *envoy.Node) Source {
	kind := "sidecar"
	if n.Router {
		kind = "gateway"
	}
	return Source{
		Kind: kind, Namespace: n.Namespace, Name: n.Name, Labels: n.Labels, Cluster: n.ClusterID, Network: n.Network,
		Locality: locality.Locality{Region: n.Locality.Region, Zone: n.Locality.Zone, SubZone: n.Locality.SubZone},
	}
}

// healthName is EDS's health status as Envoy's /clusters prints it.
func healthName(s string) string {
	if s == "UNKNOWN" || s == "" {
		return "HEALTHY"
	}
	return s
}

// configName turns an istio metadata config path into NS/NAME.
func configName(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i+3 < len(parts); i++ {
		if parts[i] == "namespaces" {
			return parts[i+1] + "/" + parts[i+3]
		}
	}
	return path
}

func describeProxyAction(t *Trace, r *routev3.Route, a route.Action) {
	switch a.Kind {
	case "route":
		t.Routed = true
		t.Reason = "routed"
		if a.ClusterHeader != "" {
			t.Notes = append(t.Notes, "the cluster is taken from header "+a.ClusterHeader+", which is not traced")
		}
		var rw []string
		if a.PrefixRewrite != "" {
			rw = append(rw, "uri "+a.PrefixRewrite)
		}
		if a.HostRewrite != "" {
			rw = append(rw, "authority "+a.HostRewrite)
		}
		t.Rewrite = strings.Join(rw, ", ")
		t.Mirror = strings.Join(a.Mirrors, ", ")
		if tf := r.GetTypedPerFilterConfig(); tf != nil {
			if _, ok := tf["envoy.filters.http.fault"]; ok {
				t.Fault = "fault injection configured"
			}
		}
	case "redirect":
		t.Routed = true
		t.Reason = fmt.Sprintf("redirect %d to %s", a.Status, a.Redirect)
	case "direct_response":
		t.Routed = true
		t.Reason = fmt.Sprintf("direct response %d", a.Status)
	default:
		t.Reason = "route action " + a.Kind + " is not traced"
	}
}

// pickRouteConfig finds the route configuration serving the request's
// port: "PORT" for a sidecar; for a gateway, "http.TARGETPORT" with a
// virtual host named "HOST:PORT" for the Service port (Istio's names), or
// the one --proxy-port names.
func pickRouteConfig(rd *envoy.RouteDump, node *envoy.Node, req Request, opts ProxyOptions) *routev3.RouteConfiguration {
	byName := map[string]*routev3.RouteConfiguration{}
	for _, rc := range rd.Routes {
		byName[rc.GetName()] = rc
	}
	if opts.ProxyPort != 0 {
		p := strconv.Itoa(int(opts.ProxyPort))
		if node.Router {
			return byName["http."+p]
		}
		return byName[p]
	}
	if !node.Router {
		return byName[strconv.Itoa(int(req.Port))]
	}
	if opts.TargetPort != nil {
		if tp := opts.TargetPort(node, req.Port); tp != 0 {
			return byName["http."+strconv.Itoa(int(tp))]
		}
	}
	suffix := ":" + strconv.Itoa(int(req.Port))
	var names []string
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !strings.HasPrefix(n, "http.") {
			continue
		}
		for _, vh := range byName[n].GetVirtualHosts() {
			if strings.HasSuffix(vh.GetName(), suffix) {
				return byName[n]
			}
		}
	}
	return nil
}
