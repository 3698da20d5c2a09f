package drift

import (
	"sort"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Envoy's defaults for what a cluster leaves unset (cluster.proto,
// outlier_detection.proto, circuit_breaker.proto).
const (
	envoyConnectTimeout          = "5s"
	envoyMaxConnections          = "1024"
	envoyMaxPendingRequests      = "1024"
	envoyMaxRequests             = "1024"
	envoyMaxRetries              = "3"
	envoyPanicThreshold          = "50"
	envoyConsecutive5xx          = "5"
	envoyInterval                = "10s"
	envoyBaseEjectionTime        = "30s"
	envoyMaxEjectionPercent      = "10"
	envoyEnforcing5xx            = "100"
	envoyEnforcingSuccessRate    = "100"
	envoyConsecutiveGateway      = "5"
	envoyEnforcingGateway        = "0"
	envoyConsecutiveLocalOrigin  = "5"
	envoyEnforcingLocalOrigin    = "100"
	envoyEnforcingLocalOriginSR  = "100"
	outlierDetectionOff          = "off"
	tlsModeIstioMutual           = "ISTIO_MUTUAL"
	tlsModeAutoIstio             = "ISTIO_MUTUAL (auto, to istio endpoints)"
	tlsModeDisable               = "DISABLE"
	tlsModeSimple                = "SIMPLE"
	tlsModeMutual                = "MUTUAL"
	istioCertificateSecret       = "default"
	istioRootSecret              = "ROOTCA"
	istioTransportSocketMatchTLS = "tlsMode-istio"
)

// Actual reduces a proxy's clusters and their endpoint assignments (EDS
// clusters take theirs from the assignment of their service name, or of
// their own name) to the compared fields.
func Actual(clusters []*clusterv3.Cluster, loads []*endpointv3.ClusterLoadAssignment) State {
	byName := map[string]*endpointv3.ClusterLoadAssignment{}
	for _, l := range loads {
		byName[l.GetClusterName()] = l
	}
	out := State{}
	for _, c := range clusters {
		f := ClusterFields(c)
		cla := c.GetLoadAssignment()
		if c.GetType() == clusterv3.Cluster_EDS {
			name := c.GetEdsClusterConfig().GetServiceName()
			if name == "" {
				name = c.GetName()
			}
			cla = byName[name]
		}
		for k, v := range EndpointFields(cla) {
			f[k] = v
		}
		out[c.GetName()] = &Cluster{Name: c.GetName(), Fields: f}
	}
	return out
}

// ClusterFields reduces one Envoy cluster (without its endpoints).
func ClusterFields(c *clusterv3.Cluster) Fields {
	f := Fields{}
	f["type"] = c.GetType().String()
	f["lbPolicy"] = c.GetLbPolicy().String()
	f["connectTimeout"] = durationOr(c.GetConnectTimeout(), envoyConnectTimeout)

	var th *clusterv3.CircuitBreakers_Thresholds
	for _, t := range c.GetCircuitBreakers().GetThresholds() {
		if t.GetPriority() == 0 { // DEFAULT
			th = t
		}
	}
	f["circuitBreakers.maxConnections"] = u32Or(th.GetMaxConnections(), envoyMaxConnections)
	f["circuitBreakers.maxPendingRequests"] = u32Or(th.GetMaxPendingRequests(), envoyMaxPendingRequests)
	f["circuitBreakers.maxRequests"] = u32Or(th.GetMaxRequests(), envoyMaxRequests)
	f["circuitBreakers.maxRetries"] = u32Or(th.GetMaxRetries(), envoyMaxRetries)

	f["healthyPanicThreshold"] = envoyPanicThreshold
	if p := c.GetCommonLbConfig().GetHealthyPanicThreshold(); p != nil {
		f["healthyPanicThreshold"] = percent(p.GetValue())
	}
	f["localityWeightedLb"] = boolString(c.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil)

	od := c.GetOutlierDetection()
	if od == nil {
		f["outlierDetection"] = outlierDetectionOff
	} else {
		for k, v := range outlierFields(od) {
			f[k] = v
		}
	}
	for k, v := range tlsFields(c) {
		f[k] = v
	}
	return f
}

// outlierFields are the outlier detection's effective values (Envoy's
// default for what is unset).
func outlierFields(od *clusterv3.OutlierDetection) Fields {
	return Fields{
		"outlierDetection.consecutive5xx":                         u32Or(od.GetConsecutive_5Xx(), envoyConsecutive5xx),
		"outlierDetection.interval":                               durationOr(od.GetInterval(), envoyInterval),
		"outlierDetection.baseEjectionTime":                       durationOr(od.GetBaseEjectionTime(), envoyBaseEjectionTime),
		"outlierDetection.maxEjectionPercent":                     u32Or(od.GetMaxEjectionPercent(), envoyMaxEjectionPercent),
		"outlierDetection.enforcingConsecutive5xx":                u32Or(od.GetEnforcingConsecutive_5Xx(), envoyEnforcing5xx),
		"outlierDetection.enforcingSuccessRate":                   u32Or(od.GetEnforcingSuccessRate(), envoyEnforcingSuccessRate),
		"outlierDetection.consecutiveGatewayFailure":              u32Or(od.GetConsecutiveGatewayFailure(), envoyConsecutiveGateway),
		"outlierDetection.enforcingConsecutiveGatewayFailure":     u32Or(od.GetEnforcingConsecutiveGatewayFailure(), envoyEnforcingGateway),
		"outlierDetection.splitExternalLocalOriginErrors":         boolString(od.GetSplitExternalLocalOriginErrors()),
		"outlierDetection.consecutiveLocalOriginFailure":          u32Or(od.GetConsecutiveLocalOriginFailure(), envoyConsecutiveLocalOrigin),
		"outlierDetection.enforcingConsecutiveLocalOriginFailure": u32Or(od.GetEnforcingConsecutiveLocalOriginFailure(), envoyEnforcingLocalOrigin),
		"outlierDetection.enforcingLocalOriginSuccessRate":        u32Or(od.GetEnforcingLocalOriginSuccessRate(), envoyEnforcingLocalOriginSR),
	}
}

// tlsFields reads the TLS mode, SNI and SANs of the cluster's transport
// socket, or of its tlsMode-istio match (auto mTLS).
func tlsFields(c *clusterv3.Cluster) Fields {
	f := Fields{}
	if ts := c.GetTransportSocket(); ts != nil {
		ctx := upstreamTLS(ts.GetTypedConfig().GetTypeUrl(), ts.GetTypedConfig().GetValue())
		if ctx == nil {
			f["tls.mode"] = tlsModeDisable
			return f
		}
		f["tls.mode"] = tlsMode(ctx)
		f["tls.sni"] = ctx.GetSni()
		f["tls.subjectAltNames"] = sans(ctx)
		return f
	}
	for _, m := range c.GetTransportSocketMatches() {
		if m.GetName() != istioTransportSocketMatchTLS {
			continue
		}
		ts := m.GetTransportSocket()
		if ctx := upstreamTLS(ts.GetTypedConfig().GetTypeUrl(), ts.GetTypedConfig().GetValue()); ctx != nil {
			f["tls.mode"] = tlsModeAutoIstio
			f["tls.sni"] = ctx.GetSni()
			return f
		}
	}
	f["tls.mode"] = tlsModeDisable
	return f
}

func upstreamTLS(typeURL string, value []byte) *tlsv3.UpstreamTlsContext {
	if !strings.HasSuffix(typeURL, "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext") {
		return nil
	}
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := unmarshalAny(value, ctx); err != nil {
		return nil
	}
	return ctx
}

// tlsMode tells Istio's modes apart: ISTIO_MUTUAL uses the workload
// certificate and root of Istio's SDS ("default", "ROOTCA").
func tlsMode(ctx *tlsv3.UpstreamTlsContext) string {
	cc := ctx.GetCommonTlsContext()
	certs := cc.GetTlsCertificateSdsSecretConfigs()
	if len(certs) == 1 && certs[0].GetName() == istioCertificateSecret &&
		cc.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName() == istioRootSecret {
		return tlsModeIstioMutual
	}
	if len(certs) > 0 || len(cc.GetTlsCertificates()) > 0 {
		return tlsModeMutual
	}
	return tlsModeSimple
}

func sans(ctx *tlsv3.UpstreamTlsContext) string {
	cc := ctx.GetCommonTlsContext()
	vc := cc.GetCombinedValidationContext().GetDefaultValidationContext()
	if vc == nil {
		vc = cc.GetValidationContext()
	}
	var out []string
	for _, m := range vc.GetMatchSubjectAltNames() {
		out = append(out, m.GetExact())
	}
	for _, m := range vc.GetMatchTypedSubjectAltNames() {
		out = append(out, m.GetMatcher().GetExact())
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// EndpointFields reduces an assignment: per endpoint (address:port) its
// locality, priority, weight and its locality's weight.
func EndpointFields(cla *endpointv3.ClusterLoadAssignment) Fields {
	f := Fields{}
	if cla == nil {
		return f
	}
	for _, l := range cla.GetEndpoints() {
		loc := l.GetLocality()
		locStr := strings.TrimRight(loc.GetRegion()+"/"+loc.GetZone()+"/"+loc.GetSubZone(), "/")
		for _, e := range l.GetLbEndpoints() {
			sa := e.GetEndpoint().GetAddress().GetSocketAddress()
			key := "endpoints[" + hostPort(sa.GetAddress(), sa.GetPortValue()) + "]"
			f[key+".locality"] = locStr
			f[key+".priority"] = u32(l.GetPriority())
			f[key+".weight"] = u32Or(e.GetLoadBalancingWeight(), "1")
			f[key+".localityWeight"] = u32Or(l.GetLoadBalancingWeight(), "1")
		}
	}
	return f
}

func hostPort(addr string, port uint32) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + u32(port)
	}
	return addr + ":" + u32(port)
}

func u32Or(v *wrapperspb.UInt32Value, def string) string {
	if v == nil {
		return def
	}
	return u32(v.GetValue())
}

func durationOr(d *durationpb.Duration, def string) string {
	if d == nil {
		return def
	}
	return d.AsDuration().String()
}

func percent(v float64) string {
	s := strings.TrimRight(strings.TrimRight(strings.TrimSuffix(formatFloat(v), ".000000"), "0"), ".")
	if s == "" {
		return "0"
	}
	return s
}
