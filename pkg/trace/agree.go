package trace

import (
	"fmt"
	"strings"
)

// Compare says where the proxy's trace differs from the configuration's,
// step by step: whether it is routed, the VirtualService and route, the
// clusters and weights, and per cluster the endpoints and their
// priorities. Health and the reason's wording are not compared.
func Compare(cfg, proxy *Trace) []string {
	if cfg == nil || proxy == nil {
		return nil
	}
	var out []string
	if cfg.Routed != proxy.Routed {
		out = append(out, fmt.Sprintf("routed: configuration %s, proxy %s", yesReason(cfg), yesReason(proxy)))
		return out
	}
	if !cfg.Routed {
		return nil
	}
	if cfg.VirtualService != proxy.VirtualService {
		out = append(out, fmt.Sprintf("VirtualService: configuration %s, proxy %s", orNone(cfg.VirtualService), orNone(proxy.VirtualService)))
	}
	if cfg.Route != proxy.Route {
		out = append(out, fmt.Sprintf("route: configuration %s, proxy %s", orNone(cfg.Route), orNone(proxy.Route)))
	}
	if cfg.Reason != proxy.Reason && (strings.HasPrefix(cfg.Reason, "redirect") || strings.HasPrefix(cfg.Reason, "direct") || strings.HasPrefix(proxy.Reason, "redirect") || strings.HasPrefix(proxy.Reason, "direct")) {
		out = append(out, fmt.Sprintf("action: configuration %s, proxy %s", cfg.Reason, proxy.Reason))
	}
	if cfg.Mirror != proxy.Mirror {
		out = append(out, fmt.Sprintf("mirror: configuration %s, proxy %s", orNone(cfg.Mirror), orNone(proxy.Mirror)))
	}
	byCluster := map[string]Destination{}
	for _, d := range proxy.Destinations {
		byCluster[d.EnvoyCluster] = d
	}
	seen := map[string]bool{}
	for _, c := range cfg.Destinations {
		seen[c.EnvoyCluster] = true
		p, ok := byCluster[c.EnvoyCluster]
		if !ok {
			out = append(out, fmt.Sprintf("cluster %s: in the configuration, not in the proxy's route", c.EnvoyCluster))
			continue
		}
		if c.Weight != p.Weight {
			out = append(out, fmt.Sprintf("cluster %s: weight %d in the configuration, %d in the proxy", c.EnvoyCluster, c.Weight, p.Weight))
		}
		if c.EnvoyCluster == PassthroughCluster || proxy.EndpointsUnknown {
			continue
		}
		out = append(out, compareEndpoints(c.EnvoyCluster, c.Endpoints, p.Endpoints)...)
	}
	for _, p := range proxy.Destinations {
		if !seen[p.EnvoyCluster] {
			out = append(out, fmt.Sprintf("cluster %s: in the proxy's route, not in the configuration", p.EnvoyCluster))
		}
	}
	return out
}

func compareEndpoints(cluster string, cfg, proxy []Endpoint) []string {
	var out []string
	pm := map[string]Endpoint{}
	for _, e := range proxy {
		pm[e.hostPort()] = e
	}
	cm := map[string]bool{}
	for _, c := range cfg {
		hp := c.hostPort()
		cm[hp] = true
		p, ok := pm[hp]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("cluster %s: endpoint %s (%s, priority %d) in the configuration, not in the proxy", cluster, hp, c.Locality, c.Priority))
		case p.Priority != c.Priority:
			out = append(out, fmt.Sprintf("cluster %s: endpoint %s priority %d in the configuration, %d in the proxy", cluster, hp, c.Priority, p.Priority))
		case p.Locality != c.Locality:
			out = append(out, fmt.Sprintf("cluster %s: endpoint %s locality %s in the configuration, %s in the proxy", cluster, hp, c.Locality, p.Locality))
		}
	}
	for _, p := range proxy {
		if !cm[p.hostPort()] {
			out = append(out, fmt.Sprintf("cluster %s: endpoint %s (%s, priority %d) in the proxy, not in the configuration", cluster, p.hostPort(), p.Locality, p.Priority))
		}
	}
	return out
}

func yesReason(t *Trace) string {
	if t.Routed {
		return "routed"
	}
	return "not routed (" + t.Reason + ")"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
