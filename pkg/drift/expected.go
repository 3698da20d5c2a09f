package drift

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
)

// Istio's defaults (mesh config and pilot/pkg/networking/core).
const (
	// istioConnectTimeout is the mesh config's connectTimeout default.
	istioConnectTimeout = "10s"
	// istioUnlimited is what istiod writes for every circuit breaker
	// threshold a DestinationRule does not set (getDefaultCircuitBreakerThresholds).
	istioUnlimited = "4294967295"
)

// Mesh is what istiod's mesh config sets that the expected clusters
// depend on.
type Mesh struct {
	// TrustDomain names the SPIFFE identities of workloads when a
	// DestinationRule gives no subjectAltNames (Gloo's workshop: the
	// cluster's name).
	TrustDomain string
}

// Expected computes the Envoy clusters (with their endpoints) istiod gives
// a proxy for the hosts, from one context's configuration: a cluster per
// ServiceEntry port (outbound|PORT||HOST) and per subset of the
// DestinationRule in scope (outbound|PORT|SUBSET|HOST), with the traffic
// policy istiod applies to each (cluster_builder.go,
// cluster_traffic_policy.go: applyOutlierDetection, applyLoadBalancer,
// applyConnectionPool; loadbalancer for the priorities).
func Expected(cfg *mesh.Config, hosts []string, p Proxy, m Mesh) (State, error) {
	out := State{}
	src := locality.Source{Locality: p.Locality, Labels: p.Labels, Network: p.Network, Cluster: p.Cluster}
	for _, host := range hosts {
		ses := cfg.ServiceEntriesFor(host, p.Namespace)
		if len(ses) == 0 {
			continue
		}
		se := ses[0]
		dr := cfg.DestinationRuleFor(host, p.Namespace)
		var drSpec *networking.DestinationRule
		if dr != nil {
			drSpec = &dr.Spec
		}
		subsets := []string{""}
		for _, s := range drSpec.GetSubsets() {
			subsets = append(subsets, s.GetName())
		}
		for _, port := range se.Spec.GetPorts() {
			eps, err := cfg.Endpoints(host, port.GetNumber(), p.Namespace)
			if err != nil {
				return nil, err
			}
			for _, subset := range subsets {
				name := ClusterName(port.GetNumber(), subset, host)
				tp := locality.Policy(drSpec, port.GetNumber(), subset)
				f := expectedCluster(se.Spec.GetResolution(), tp, port.GetNumber(), subset, host, eps, se.Spec.GetSubjectAltNames(), cfg, m)
				sub := mesh.InSubset(eps, drSpec, subset)
				if f["type"] == "EDS" || f["type"] == "STATIC" {
					for k, v := range expectedEndpoints(src, sub, locality.Setting{
						LB: tp.GetLoadBalancer().GetLocalityLbSetting(), OutlierDetection: tp.GetOutlierDetection() != nil,
					}) {
						f[k] = v
					}
				}
				out[name] = &Cluster{Name: name, Fields: f}
			}
		}
	}
	return out, nil
}

func expectedCluster(res networking.ServiceEntry_Resolution, tp *networking.TrafficPolicy, port uint32, subset, host string,
	eps []locality.Endpoint, seSANs []string, cfg *mesh.Config, m Mesh,
) Fields {
	f := Fields{}
	switch res {
	case networking.ServiceEntry_DNS:
		f["type"] = "STRICT_DNS"
	case networking.ServiceEntry_DNS_ROUND_ROBIN:
		f["type"] = "LOGICAL_DNS"
	case networking.ServiceEntry_NONE:
		f["type"] = "ORIGINAL_DST"
	default:
		f["type"] = "EDS"
	}

	// Load balancer.
	lb := tp.GetLoadBalancer()
	switch {
	case f["type"] == "ORIGINAL_DST":
		f["lbPolicy"] = "CLUSTER_PROVIDED"
	case lb.GetSimple() == networking.LoadBalancerSettings_RANDOM:
		f["lbPolicy"] = "RANDOM"
	case lb.GetSimple() == networking.LoadBalancerSettings_ROUND_ROBIN:
		f["lbPolicy"] = "ROUND_ROBIN"
	case lb.GetSimple() == networking.LoadBalancerSettings_PASSTHROUGH:
		f["lbPolicy"], f["type"] = "CLUSTER_PROVIDED", "ORIGINAL_DST"
	default:
		f["lbPolicy"] = "LEAST_REQUEST"
	}
	if ch := lb.GetConsistentHash(); ch != nil {
		f["lbPolicy"] = "RING_HASH"
		if ch.GetMaglev() != nil {
			f["lbPolicy"] = "MAGLEV"
		}
	}
	lls := lb.GetLocalityLbSetting()
	od := tp.GetOutlierDetection()
	f["localityWeightedLb"] = boolString(len(lls.GetDistribute()) > 0 ||
		(od != nil && (len(lls.GetFailover()) > 0 || len(lls.GetFailoverPriority()) > 0)))

	// Connection pool.
	cp := tp.GetConnectionPool()
	f["connectTimeout"] = istioConnectTimeout
	if d := cp.GetTcp().GetConnectTimeout(); d != nil {
		f["connectTimeout"] = d.AsDuration().String()
	}
	f["circuitBreakers.maxConnections"] = positiveOr(int64(cp.GetTcp().GetMaxConnections()), istioUnlimited)
	f["circuitBreakers.maxPendingRequests"] = positiveOr(int64(cp.GetHttp().GetHttp1MaxPendingRequests()), istioUnlimited)
	f["circuitBreakers.maxRequests"] = positiveOr(int64(cp.GetHttp().GetHttp2MaxRequests()), istioUnlimited)
	f["circuitBreakers.maxRetries"] = positiveOr(int64(cp.GetHttp().GetMaxRetries()), istioUnlimited)

	// Outlier detection, and the panic threshold istiod sets with it (its
	// minHealthPercent) or, without it, because istiod sends unhealthy
	// endpoints by default (0).
	f["healthyPanicThreshold"] = "0"
	if od == nil {
		f["outlierDetection"] = outlierDetectionOff
	} else {
		f["healthyPanicThreshold"] = strconv.Itoa(int(max(od.GetMinHealthPercent(), 0)))
		f["outlierDetection.consecutive5xx"] = envoyConsecutive5xx
		f["outlierDetection.enforcingConsecutive5xx"] = envoyEnforcing5xx
		if e := od.GetConsecutive_5XxErrors(); e != nil {
			f["outlierDetection.consecutive5xx"] = u32(e.GetValue())
			f["outlierDetection.enforcingConsecutive5xx"] = enforcing(e.GetValue())
		}
		f["outlierDetection.consecutiveGatewayFailure"] = envoyConsecutiveGateway
		f["outlierDetection.enforcingConsecutiveGatewayFailure"] = envoyEnforcingGateway
		if e := od.GetConsecutiveGatewayErrors(); e != nil {
			f["outlierDetection.consecutiveGatewayFailure"] = u32(e.GetValue())
			f["outlierDetection.enforcingConsecutiveGatewayFailure"] = enforcing(e.GetValue())
		}
		f["outlierDetection.interval"] = envoyInterval
		if d := od.GetInterval(); d != nil {
			f["outlierDetection.interval"] = d.AsDuration().String()
		}
		f["outlierDetection.baseEjectionTime"] = envoyBaseEjectionTime
		if d := od.GetBaseEjectionTime(); d != nil {
			f["outlierDetection.baseEjectionTime"] = d.AsDuration().String()
		}
		f["outlierDetection.maxEjectionPercent"] = positiveOr(int64(od.GetMaxEjectionPercent()), envoyMaxEjectionPercent)
		// istiod turns success-rate ejection off.
		f["outlierDetection.enforcingSuccessRate"] = "0"
		f["outlierDetection.splitExternalLocalOriginErrors"] = boolString(od.GetSplitExternalLocalOriginErrors())
		f["outlierDetection.consecutiveLocalOriginFailure"] = envoyConsecutiveLocalOrigin
		f["outlierDetection.enforcingConsecutiveLocalOriginFailure"] = envoyEnforcingLocalOrigin
		f["outlierDetection.enforcingLocalOriginSuccessRate"] = envoyEnforcingLocalOriginSR
		if od.GetSplitExternalLocalOriginErrors() {
			if n := od.GetConsecutiveLocalOriginFailures().GetValue(); n > 0 {
				f["outlierDetection.consecutiveLocalOriginFailure"] = u32(n)
				f["outlierDetection.enforcingConsecutiveLocalOriginFailure"] = "100"
			}
			f["outlierDetection.enforcingLocalOriginSuccessRate"] = "0"
		}
	}

	// TLS.
	sni := fmt.Sprintf("outbound_.%d_.%s_.%s", port, subset, host)
	tls := tp.GetTls()
	switch tls.GetMode() {
	case networking.ClientTLSSettings_ISTIO_MUTUAL:
		f["tls.mode"] = tlsModeIstioMutual
		f["tls.sni"] = sni
		if tls.GetSni() != "" {
			f["tls.sni"] = tls.GetSni()
		}
		names := tls.GetSubjectAltNames()
		if len(names) == 0 {
			names = serviceIdentities(eps, seSANs, cfg, m)
		}
		f["tls.subjectAltNames"] = joinSorted(names)
	case networking.ClientTLSSettings_SIMPLE, networking.ClientTLSSettings_MUTUAL:
		f["tls.mode"] = tlsModeSimple
		if tls.GetMode() == networking.ClientTLSSettings_MUTUAL {
			f["tls.mode"] = tlsModeMutual
		}
		f["tls.sni"] = tls.GetSni()
		f["tls.subjectAltNames"] = joinSorted(tls.GetSubjectAltNames())
	case networking.ClientTLSSettings_DISABLE:
		f["tls.mode"] = tlsModeDisable
	default:
		// No TLS settings: auto mTLS, to the endpoints that run Istio.
		f["tls.mode"] = tlsModeAutoIstio
		f["tls.sni"] = sni
		if f["type"] == "ORIGINAL_DST" {
			f["tls.mode"] = tlsModeDisable
			delete(f, "tls.sni")
		}
	}
	return f
}

// serviceIdentities are the SPIFFE identities istiod expects of a
// service's workloads when the DestinationRule names none: the
// ServiceEntry's subjectAltNames and its workloads' service accounts.
func serviceIdentities(eps []locality.Endpoint, seSANs []string, cfg *mesh.Config, m Mesh) []string {
	set := map[string]bool{}
	for _, s := range seSANs {
		set[s] = true
	}
	td := m.TrustDomain
	if td == "" {
		td = cfg.Cluster
	}
	for _, e := range eps {
		sa := ""
		switch e.Kind {
		case "Pod":
			if p := cfg.Pod(e.Namespace, e.Name); p != nil {
				sa = p.Spec.ServiceAccountName
				if sa == "" {
					sa = "default"
				}
			}
		case "WorkloadEntry":
			for _, we := range cfg.WorkloadEntries {
				if we.Namespace == e.Namespace && we.Name == e.Name {
					sa = we.Spec.GetServiceAccount()
				}
			}
		}
		if sa != "" {
			set[fmt.Sprintf("spiffe://%s/ns/%s/sa/%s", td, e.Namespace, sa)] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	return out
}

// expectedEndpoints is what istiod's EDS gives the proxy: each endpoint
// with its locality, priority, weight and its locality's weight.
func expectedEndpoints(src locality.Source, eps []locality.Endpoint, s locality.Setting) Fields {
	f := Fields{}
	for _, a := range locality.Assign(src, eps, s) {
		key := "endpoints[" + a.HostPort() + "]"
		f[key+".locality"] = a.Locality.String()
		f[key+".priority"] = u32(a.Priority)
		w := a.Weight
		if w == 0 {
			w = 1
		}
		f[key+".weight"] = u32(w)
		f[key+".localityWeight"] = u32(max(a.LocalityWeight, 1))
	}
	return f
}

func enforcing(v uint32) string {
	if v > 0 {
		return "100"
	}
	return "0"
}

func positiveOr(v int64, def string) string {
	if v > 0 {
		return strconv.FormatInt(v, 10)
	}
	return def
}

func joinSorted(s []string) string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return strings.Join(c, ",")
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func unmarshalAny(b []byte, m proto.Message) error { return proto.Unmarshal(b, m) }
