package trace

import (
	"fmt"
	"net"
	"sort"
	"strings"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
	"github.com/kubectl-vd/kubectl-vd/pkg/routing"
)

// PassthroughCluster is the cluster a sidecar sends unknown hosts to when
// the mesh allows any outbound traffic (Istio's default).
const PassthroughCluster = "PassthroughCluster"

// ConfigTrace follows the request through the configuration of one
// context, as istiod would configure the source proxy.
func ConfigTrace(cfg *mesh.Config, src Source, req Request) (*Trace, error) {
	t := &Trace{Destinations: []Destination{}}
	p := routing.Proxy{Namespace: src.Namespace, Labels: src.Labels, Router: src.Kind == "gateway"}
	host := req.Host
	if p.Router {
		p.Gateways = gatewaysOf(cfg, src, req)
		if len(p.Gateways) == 0 {
			t.Reason = fmt.Sprintf("no Gateway selecting the gateway has a server for %s on port %d (404 NR)", req.Host, req.Port)
			return t, nil
		}
	} else {
		host = resolve(cfg, req.Host, src.Namespace)
	}
	rreq := routing.Request{Host: host, Authority: req.Authority(), Port: req.Port, Path: req.Path, Method: req.Method, Scheme: req.Scheme, Headers: req.Headers}
	cands := routing.VirtualServicesFor(cfg.VirtualServices, p, host)
	if len(cands) == 0 {
		if p.Router {
			t.Reason = fmt.Sprintf("no VirtualService of the gateway's Gateways for %s (404 NR)", host)
			return t, nil
		}
		return defaultRoute(cfg, t, src, host, req)
	}
	sel, err := routing.FirstRouteIn(cands, cfg.VirtualServices, p, rreq)
	if err != nil {
		return nil, err
	}
	if sel == nil {
		t.Reason = "no route matched (404 NR)"
		t.VirtualService = candidateNames(cands)
		return t, nil
	}
	t.VirtualService = sel.VS.Namespace + "/" + sel.VS.Name
	t.Route = sel.Route.GetName()
	describeConfigRoute(t, sel.Route)
	t.Mirror = mirrors(cfg, sel, req.Port, src.Namespace)
	if !t.Routed || len(sel.Route.GetRoute()) == 0 {
		return t, nil
	}
	missing := 0
	for _, d := range routing.Destinations(sel, req.Port, func(h string) uint32 { return onlyPort(cfg, h, src.Namespace) }) {
		dst := destination(cfg, src, d.Host, d.Port, d.Subset, uint32(d.Weight))
		if why := noCluster(cfg, src, d.Host, d.Port, d.Subset); why != "" {
			missing++
			t.Notes = append(t.Notes, fmt.Sprintf("cluster %s does not exist: %s (503 NC)", dst.EnvoyCluster, why))
		}
		t.Destinations = append(t.Destinations, dst)
	}
	if len(t.Destinations) == 0 {
		t.Routed, t.Reason = false, "every destination has weight 0: no cluster to send to"
	}
	if missing > 0 && missing == len(t.Destinations) {
		t.Routed = false
		t.Reason = "no cluster " + t.Destinations[0].EnvoyCluster + " (503 NC)"
		if missing > 1 {
			t.Reason = "none of the route's clusters exists (503 NC)"
		}
	}
	return t, nil
}

// mirrors are the Envoy clusters istiod mirrors the route's requests to
// (mirror, mirrors), their ports as for a destination.
func mirrors(cfg *mesh.Config, sel *routing.Selected, reqPort uint32, ns string) string {
	dsts := []*networkingv1alpha3.Destination{}
	if m := sel.Route.GetMirror(); m != nil {
		dsts = append(dsts, m)
	}
	for _, m := range sel.Route.GetMirrors() {
		if m.GetDestination() != nil {
			dsts = append(dsts, m.GetDestination())
		}
	}
	vsNS := sel.VS.Namespace
	if sel.Delegate != nil {
		vsNS = sel.Delegate.Namespace
	}
	var out []string
	for _, d := range dsts {
		h := routing.ResolveShortName(d.GetHost(), vsNS)
		port := d.GetPort().GetNumber()
		if port == 0 {
			port = onlyPort(cfg, h, ns)
		}
		if port == 0 {
			port = reqPort
		}
		out = append(out, routing.ClusterName(h, port, d.GetSubset()))
	}
	return strings.Join(out, ", ")
}

// noCluster says why istiod makes no Envoy cluster for a destination, or
// "": a host no ServiceEntry or Service declares, a port it does not have
// (a destination without a port to a host of several takes the request's),
// a subset the DestinationRule in scope does not define.
func noCluster(cfg *mesh.Config, src Source, host string, port uint32, subset string) string {
	if !known(cfg, host, src.Namespace) {
		return "no ServiceEntry or Service declares " + host
	}
	if !hasPort(cfg, host, port, src.Namespace) {
		return fmt.Sprintf("%s has no port %d", host, port)
	}
	if subset == "" {
		return ""
	}
	dr := cfg.DestinationRuleFor(host, src.Namespace)
	if dr == nil {
		return "no DestinationRule of " + host + " defines subset " + subset
	}
	for _, s := range dr.Spec.GetSubsets() {
		if s.GetName() == subset {
			return ""
		}
	}
	return "DestinationRule " + dr.Namespace + "/" + dr.Name + " does not define subset " + subset
}

func candidateNames(cands []routing.Candidate) string {
	var names []string
	for _, c := range cands {
		names = append(names, c.VS.Namespace+"/"+c.VS.Name)
	}
	return strings.Join(names, ",")
}

// defaultRoute is what a sidecar does with a host no VirtualService
// configures: a known service's port has the route "default" to its
// cluster; anything else goes through the allow_any virtual host to the
// PassthroughCluster.
func defaultRoute(cfg *mesh.Config, t *Trace, src Source, host string, req Request) (*Trace, error) {
	if known(cfg, host, src.Namespace) && hasPort(cfg, host, req.Port, src.Namespace) {
		t.Routed, t.Reason, t.Route = true, "routed", "default"
		t.Destinations = append(t.Destinations, destination(cfg, src, host, req.Port, "", 100))
		return t, nil
	}
	t.Routed, t.Reason = true, fmt.Sprintf("passthrough: no service for %s on port %d", host, req.Port)
	if net.ParseIP(host) != nil {
		t.Reason = "passthrough: no Service or ServiceEntry of the configuration has address " + host
	}
	if anyServiceOn(cfg, req.Port, src.Namespace) {
		// The port has an HTTP route configuration: its allow_any
		// virtual host takes the request.
		t.Route = "allow_any"
	}
	t.Destinations = append(t.Destinations, Destination{Host: host, Port: req.Port, Weight: 100, EnvoyCluster: PassthroughCluster, Endpoints: []Endpoint{}})
	return t, nil
}

func describeConfigRoute(t *Trace, r *networkingv1alpha3.HTTPRoute) {
	switch {
	case r.GetRedirect() != nil:
		rd := r.GetRedirect()
		code := rd.GetRedirectCode()
		if code == 0 {
			code = 301
		}
		target := rd.GetAuthority()
		if rd.GetPort() != 0 {
			target += fmt.Sprintf(":%d", rd.GetPort())
		}
		target += rd.GetUri()
		t.Routed, t.Reason = true, fmt.Sprintf("redirect %d to %s", code, target)
	case r.GetDirectResponse() != nil:
		t.Routed, t.Reason = true, fmt.Sprintf("direct response %d", r.GetDirectResponse().GetStatus())
	case len(r.GetRoute()) > 0:
		t.Routed, t.Reason = true, "routed"
	default:
		t.Reason = "the route has no destination"
	}
	var rw []string
	if u := r.GetRewrite().GetUri(); u != "" {
		rw = append(rw, "uri "+u)
	}
	if a := r.GetRewrite().GetAuthority(); a != "" {
		rw = append(rw, "authority "+a)
	}
	t.Rewrite = strings.Join(rw, ", ")
	if f := r.GetFault(); f != nil {
		var parts []string
		if a := f.GetAbort(); a != nil {
			parts = append(parts, fmt.Sprintf("abort %d (%.0f%%)", a.GetHttpStatus(), a.GetPercentage().GetValue()))
		}
		if d := f.GetDelay(); d != nil {
			parts = append(parts, fmt.Sprintf("delay %s (%.0f%%)", d.GetFixedDelay().AsDuration(), d.GetPercentage().GetValue()))
		}
		t.Fault = strings.Join(parts, ", ")
	}
}

// destination resolves one destination: its cluster, the DestinationRule
// in scope, the service, and the endpoints with the priorities istiod
// assigns for the source.
func destination(cfg *mesh.Config, src Source, host string, port uint32, subset string, weight uint32) Destination {
	d := Destination{Host: host, Subset: subset, Port: port, Weight: weight, EnvoyCluster: routing.ClusterName(host, port, subset), Endpoints: []Endpoint{}}
	if ses := cfg.ServiceEntriesFor(host, src.Namespace); len(ses) > 0 {
		d.Service = "ServiceEntry " + ses[0].Namespace + "/" + ses[0].Name
	} else if svc := cfg.ServiceFor(host); svc != nil {
		d.Service = "Service " + svc.Namespace + "/" + svc.Name
	}
	eps, err := cfg.Endpoints(host, port, src.Namespace)
	if err != nil {
		return d
	}
	dr := cfg.DestinationRuleFor(host, src.Namespace)
	var setting locality.Setting
	if dr != nil {
		d.DestinationRule = dr.Namespace + "/" + dr.Name
		setting = locality.SettingOf(locality.Policy(&dr.Spec, port, subset))
		eps = mesh.InSubset(eps, &dr.Spec, subset)
	} else if subset != "" {
		eps = nil // a subset no rule defines has no endpoints
	}
	ls := locality.Source{Locality: src.Locality, Labels: src.Labels, Cluster: src.Cluster, Network: src.Network}
	for _, a := range locality.Assign(ls, eps, setting) {
		w := a.Weight
		if w == 0 {
			w = 1
		}
		d.Endpoints = append(d.Endpoints, Endpoint{Address: a.Address, Port: a.Port, Locality: a.Locality.String(), Priority: a.Priority, Weight: w})
	}
	sortEndpoints(d.Endpoints)
	return d
}

// resolve is the name a sidecar of ns reaches for host: the first of its
// search names that a service or a VirtualService declares.
func resolve(cfg *mesh.Config, host, ns string) string {
	if ip := net.ParseIP(host); ip != nil {
		// An address: the service whose VIP (ServiceEntry address or
		// cluster IP) it is, as the sidecar's virtual hosts list them.
		for _, se := range cfg.ServiceEntries {
			if !routing.Visible(se.Spec.GetExportTo(), se.Namespace, ns) || len(se.Spec.GetHosts()) == 0 {
				continue
			}
			for _, a := range se.Spec.GetAddresses() {
				if a == host {
					return se.Spec.GetHosts()[0]
				}
			}
		}
		for _, svc := range cfg.Services {
			if svc.Spec.ClusterIP == host {
				return svc.Name + "." + svc.Namespace + ".svc." + routing.DomainSuffix
			}
		}
		return host
	}
	names := routing.SearchNames(host, ns)
	if abs := strings.TrimSuffix(host, "."); abs != host {
		// An absolute name is not searched; the sidecar's virtual host of a
		// service lists its FQDN with a trailing dot too.
		names = nil
		if strings.Contains(abs, ".") {
			names = []string{abs}
		}
	}
	for _, h := range names {
		if known(cfg, h, ns) {
			return h
		}
		for _, vs := range cfg.VirtualServices {
			for _, vh := range vs.Spec.GetHosts() {
				if !strings.HasPrefix(vh, "*") && routing.ResolveShortName(vh, vs.Namespace) == h {
					return h
				}
			}
		}
	}
	return host
}

func known(cfg *mesh.Config, host, ns string) bool {
	return len(cfg.ServiceEntriesFor(host, ns)) > 0 || cfg.ServiceFor(host) != nil
}

func hasPort(cfg *mesh.Config, host string, port uint32, ns string) bool {
	for _, p := range ports(cfg, host, ns) {
		if p == port {
			return true
		}
	}
	return false
}

func ports(cfg *mesh.Config, host, ns string) []uint32 {
	var out []uint32
	for _, se := range cfg.ServiceEntriesFor(host, ns) {
		for _, p := range se.Spec.GetPorts() {
			out = append(out, p.GetNumber())
		}
	}
	if svc := cfg.ServiceFor(host); svc != nil {
		for _, p := range svc.Spec.Ports {
			out = append(out, uint32(p.Port))
		}
	}
	return out
}

// anyServiceOn tells whether a service visible from ns has port: the
// sidecar then has an HTTP listener and route configuration for it.
func anyServiceOn(cfg *mesh.Config, port uint32, ns string) bool {
	for _, se := range cfg.ServiceEntries {
		if !routing.Visible(se.Spec.GetExportTo(), se.Namespace, ns) {
			continue
		}
		for _, p := range se.Spec.GetPorts() {
			if p.GetNumber() == port {
				return true
			}
		}
	}
	for _, svc := range cfg.Services {
		for _, p := range svc.Spec.Ports {
			if uint32(p.Port) == port {
				return true
			}
		}
	}
	return false
}

// onlyPort is the port of a service that has exactly one, else 0.
func onlyPort(cfg *mesh.Config, host, ns string) uint32 {
	if ps := ports(cfg, host, ns); len(ps) == 1 {
		return ps[0]
	}
	return 0
}

// gatewaysOf are the Gateways (NS/NAME) whose selector picks the gateway
// proxy and that have a server on the request's port whose hosts take the
// request's host.
func gatewaysOf(cfg *mesh.Config, src Source, req Request) []string {
	var out []string
	for _, gw := range cfg.Gateways {
		if !selects(gw, src.Labels) {
			continue
		}
		for _, s := range gw.Spec.GetServers() {
			if s.GetPort().GetNumber() != req.Port {
				continue
			}
			if serverHost(s.GetHosts(), req.Host) {
				out = append(out, gw.Namespace+"/"+gw.Name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

func selects(gw *networkingv1.Gateway, labels map[string]string) bool {
	sel := gw.Spec.GetSelector()
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// serverHost: a Gateway server's hosts are "[NS/]HOST" with wildcards.
func serverHost(hosts []string, host string) bool {
	for _, h := range hosts {
		if _, rest, ok := strings.Cut(h, "/"); ok {
			h = rest
		}
		if routing.HostMatches(h, host) {
			return true
		}
	}
	return false
}
