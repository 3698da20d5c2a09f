package writer

import (
	"fmt"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	internalv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/internal_upstream/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

// none fills the wide columns that have nothing to say.
const none = "-"

// TLS modes shown in the wide cluster table, named after the
// DestinationRule TLS modes that produce them.
const (
	TLSIstioMutual = "ISTIO_MUTUAL"
	// TLSAutoIstioMutual is Istio's auto mTLS: ISTIO_MUTUAL towards
	// endpoints labelled tlsMode=istio, plain text towards the others.
	TLSAutoIstioMutual = "ISTIO_MUTUAL(auto)"
	TLSMutual          = "MUTUAL"
	TLSSimple          = "SIMPLE"
)

// wideInfo is what -o wide adds to a cluster row.
type wideInfo struct {
	TLSMode, SNI, LocalityLB, Outlier string
}

// edsIndex finds the EDS assignment of a cluster by its EDS service name.
type edsIndex map[string]*endpointv3.ClusterLoadAssignment

func newEDSIndex(claList []*endpointv3.ClusterLoadAssignment) edsIndex {
	if len(claList) == 0 {
		return nil
	}
	idx := make(edsIndex, len(claList))
	for _, cla := range claList {
		if _, dup := idx[cla.GetClusterName()]; !dup {
			idx[cla.GetClusterName()] = cla
		}
	}
	return idx
}

func clusterWide(s *envoy.ClusterSummary, eds edsIndex) (wideInfo, error) {
	wi := wideInfo{TLSMode: none, SNI: none, LocalityLB: none, Outlier: none}
	if s.Raw == nil {
		return wi, nil
	}
	c, _, err := envoy.DecodeCluster(s.Raw)
	if err != nil {
		return wi, fmt.Errorf("cluster %s: %w", s.Name, err)
	}
	wi.TLSMode, wi.SNI = tlsOf(c)
	var lb []string
	switch {
	case c.GetCommonLbConfig().GetLocalityWeightedLbConfig() != nil:
		lb = append(lb, "weighted")
	case c.GetCommonLbConfig().GetZoneAwareLbConfig() != nil:
		lb = append(lb, "zone-aware")
	}
	service := c.GetEdsClusterConfig().GetServiceName()
	if service == "" {
		service = c.GetName()
	}
	cla := eds[service]
	if cla == nil {
		cla = c.GetLoadAssignment()
	}
	if maxP := maxPriority(cla); maxP > 0 {
		lb = append(lb, fmt.Sprintf("failover(p0-p%d)", maxP))
	}
	if len(lb) > 0 {
		wi.LocalityLB = strings.Join(lb, ",")
	}
	if od := c.GetOutlierDetection(); od != nil {
		wi.Outlier = outlierOf(od)
	}
	return wi, nil
}

func maxPriority(cla *endpointv3.ClusterLoadAssignment) uint32 {
	var p uint32
	for _, l := range cla.GetEndpoints() {
		if l.GetPriority() > p {
			p = l.GetPriority()
		}
	}
	return p
}

// tlsOf tells how a cluster secures its upstream connections.
func tlsOf(c *clusterv3.Cluster) (mode, sni string) {
	if ts := c.GetTransportSocket(); ts != nil {
		return socketTLS(ts)
	}
	for _, m := range c.GetTransportSocketMatches() {
		isIstio := m.GetName() == "tlsMode-istio"
		if v, ok := m.GetMatch().GetFields()["tlsMode"]; ok && v.GetStringValue() == "istio" {
			isIstio = true
		}
		if !isIstio {
			continue
		}
		mode, sni := socketTLS(m.GetTransportSocket())
		if mode == TLSIstioMutual {
			mode = TLSAutoIstioMutual
		}
		return mode, sni
	}
	return none, none
}

func socketTLS(ts *corev3.TransportSocket) (mode, sni string) {
	a := ts.GetTypedConfig()
	if a == nil {
		return none, none
	}
	msg, err := anypb.UnmarshalNew(a, unmarshalAny)
	if err != nil {
		return shortType(a.GetTypeUrl()), none
	}
	switch m := msg.(type) {
	case *tlsv3.UpstreamTlsContext:
		sni = m.GetSni()
		if sni == "" {
			sni = none
		}
		ctx := m.GetCommonTlsContext()
		var certs []string
		for _, s := range ctx.GetTlsCertificateSdsSecretConfigs() {
			certs = append(certs, s.GetName())
		}
		validation := ctx.GetValidationContextSdsSecretConfig().GetName()
		if validation == "" {
			validation = ctx.GetCombinedValidationContext().GetValidationContextSdsSecretConfig().GetName()
		}
		switch {
		case len(certs) == 1 && certs[0] == "default" && validation == "ROOTCA":
			return TLSIstioMutual, sni
		case len(certs) > 0 || len(ctx.GetTlsCertificates()) > 0:
			return TLSMutual, sni
		}
		return TLSSimple, sni
	case *internalv3.InternalUpstreamTransport:
		return socketTLS(m.GetTransportSocket())
	}
	if strings.HasSuffix(a.GetTypeUrl(), ".RawBuffer") {
		return none, none
	}
	return shortType(a.GetTypeUrl()), none
}

var unmarshalAny = proto.UnmarshalOptions{}

func shortType(url string) string {
	if i := strings.LastIndexByte(url, '.'); i >= 0 {
		return url[i+1:]
	}
	return url
}

// outlierOf summarises outlier detection with Envoy's defaults filled in.
func outlierOf(od *clusterv3.OutlierDetection) string {
	u32 := func(v interface{ GetValue() uint32 }, isNil bool, def uint32) string {
		if isNil {
			return strconv.Itoa(int(def))
		}
		return strconv.Itoa(int(v.GetValue()))
	}
	dur := func(d *durationpb.Duration, def string) string {
		if d == nil {
			return def
		}
		return d.AsDuration().String()
	}
	parts := []string{"5xx=" + u32(od.GetConsecutive_5Xx(), od.GetConsecutive_5Xx() == nil, 5)}
	if od.GetConsecutiveGatewayFailure() != nil {
		parts = append(parts, "gateway="+strconv.Itoa(int(od.GetConsecutiveGatewayFailure().GetValue())))
	}
	parts = append(parts,
		"interval="+dur(od.GetInterval(), "10s"),
		"ejection="+dur(od.GetBaseEjectionTime(), "30s"),
		"max="+u32(od.GetMaxEjectionPercent(), od.GetMaxEjectionPercent() == nil, 10)+"%")
	return strings.Join(parts, ",")
}
