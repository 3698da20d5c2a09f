package model

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	networkingv1 "istio.io/api/networking/v1"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

var unmarshalSpec = protojson.UnmarshalOptions{DiscardUnknown: true}

// DecodeSpec decodes an object's spec into an Istio message through its
// JSON form, as the API server stores it, accepting Go durations where
// Istio does. Errors are one line.
func DecodeSpec(o source.Object, msg proto.Message) error {
	spec, ok := o.Obj.Object["spec"]
	if !ok || spec == nil {
		return nil
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("spec is not JSON: %s", err)
	}
	err = unmarshalSpec.Unmarshal(data, msg)
	if err != nil && strings.Contains(err.Error(), "google.protobuf.Duration") {
		// Istio accepts Go durations (5m, 1h30m) where protobuf's JSON
		// wants seconds (300s): convert them and read again.
		if data, jerr := json.Marshal(goDurations(spec, "")); jerr == nil {
			proto.Reset(msg)
			err = unmarshalSpec.Unmarshal(data, msg)
		}
	}
	if err != nil {
		return fmt.Errorf("spec cannot be read: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	return nil
}

// durationFields are the Istio networking fields that hold a duration.
var durationFields = map[string]bool{
	"interval": true, "baseEjectionTime": true, "connectTimeout": true, "idleTimeout": true,
	"maxConnectionDuration": true, "time": true, "timeout": true, "perTryTimeout": true,
	"warmupDurationSecs": true, "duration": true, "fixedDelay": true, "exponentialDelay": true,
	"maxStreamDuration": true, "ttl": true, "backoff": true, "maxAge": true,
}

// goDurations returns a copy of v where the strings of duration fields that
// parse as Go durations are written in seconds.
func goDurations(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = goDurations(e, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = goDurations(e, key)
		}
		return out
	case string:
		if durationFields[key] {
			if d, err := time.ParseDuration(x); err == nil {
				return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
			}
		}
	}
	return v
}

func refOf(o source.Object) Ref {
	return Ref{Context: o.Context, Kind: o.Kind(), Namespace: o.Namespace(), Name: o.Name()}
}

func newServiceEntry(o source.Object) ServiceEntry {
	se := ServiceEntry{Ref: refOf(o), Object: o, Spec: &networkingv1.ServiceEntry{}}
	if err := DecodeSpec(o, se.Spec); err != nil {
		se.Error = err.Error()
		return se
	}
	s := se.Spec
	se.Hosts = s.GetHosts()
	se.Addresses = s.GetAddresses()
	se.ExportTo = s.GetExportTo()
	se.Location = s.GetLocation().String()
	se.Resolution = s.GetResolution().String()
	for _, p := range s.GetPorts() {
		se.Ports = append(se.Ports, ServicePort{Name: p.GetName(), Number: p.GetNumber(), Protocol: p.GetProtocol(), TargetPort: p.GetTargetPort()})
	}
	if ws := s.GetWorkloadSelector(); ws != nil {
		se.WorkloadSelector = ws.GetLabels()
	}
	return se
}

func newWorkloadEntry(o source.Object) WorkloadEntry {
	we := WorkloadEntry{Ref: refOf(o), Object: o, Spec: &networkingv1.WorkloadEntry{}}
	if err := DecodeSpec(o, we.Spec); err != nil {
		we.Error = err.Error()
		return we
	}
	s := we.Spec
	we.Address = s.GetAddress()
	we.Ports = s.GetPorts()
	we.Locality = s.GetLocality()
	we.Network = s.GetNetwork()
	we.Labels = s.GetLabels()
	we.Weight = s.GetWeight()
	we.ServiceAccount = s.GetServiceAccount()
	return we
}

func newDestinationRule(o source.Object) DestinationRule {
	dr := DestinationRule{Ref: refOf(o), Object: o, Spec: &networkingv1.DestinationRule{}}
	if err := DecodeSpec(o, dr.Spec); err != nil {
		dr.Error = err.Error()
		return dr
	}
	s := dr.Spec
	dr.Host = s.GetHost()
	dr.ExportTo = s.GetExportTo()
	dr.Policies = policiesOf(s.GetTrafficPolicy(), "")
	for _, sub := range s.GetSubsets() {
		dr.Subsets = append(dr.Subsets, sub.GetName())
		dr.Policies = append(dr.Policies, policiesOf(sub.GetTrafficPolicy(), sub.GetName())...)
	}
	return dr
}

// policiesOf flattens a TrafficPolicy into its rule-wide part and one
// policy per port-level setting.
func policiesOf(tp *networkingv1.TrafficPolicy, subset string) []TrafficPolicy {
	if tp == nil {
		return nil
	}
	var out []TrafficPolicy
	top := TrafficPolicy{
		Subset:           subset,
		TLS:              tlsOf(tp.GetTls()),
		LoadBalancer:     loadBalancerOf(tp.GetLoadBalancer()),
		OutlierDetection: outlierDetectionOf(tp.GetOutlierDetection()),
		ConnectionPool:   protoMap(tp.GetConnectionPool()),
	}
	if top.TLS != nil || top.LoadBalancer != nil || top.OutlierDetection != nil || top.ConnectionPool != nil {
		out = append(out, top)
	}
	for _, pl := range tp.GetPortLevelSettings() {
		out = append(out, TrafficPolicy{
			Port:             pl.GetPort().GetNumber(),
			Subset:           subset,
			TLS:              tlsOf(pl.GetTls()),
			LoadBalancer:     loadBalancerOf(pl.GetLoadBalancer()),
			OutlierDetection: outlierDetectionOf(pl.GetOutlierDetection()),
			ConnectionPool:   protoMap(pl.GetConnectionPool()),
		})
	}
	return out
}

func tlsOf(t *networkingv1.ClientTLSSettings) *TLS {
	if t == nil {
		return nil
	}
	return &TLS{Mode: t.GetMode().String(), SNI: t.GetSni(), SubjectAltNames: t.GetSubjectAltNames(), CredentialName: t.GetCredentialName()}
}

func loadBalancerOf(lb *networkingv1.LoadBalancerSettings) *LoadBalancer {
	if lb == nil {
		return nil
	}
	out := &LoadBalancer{}
	if lb.GetSimple() != 0 || lb.GetLbPolicy() != nil {
		if _, ok := lb.GetLbPolicy().(*networkingv1.LoadBalancerSettings_Simple); ok {
			out.Simple = lb.GetSimple().String()
		}
	}
	out.ConsistentHash = lb.GetConsistentHash() != nil
	if l := lb.GetLocalityLbSetting(); l != nil {
		loc := &LocalityLB{FailoverPriority: l.GetFailoverPriority()}
		if l.GetEnabled() != nil {
			v := l.GetEnabled().GetValue()
			loc.Enabled = &v
		}
		for _, f := range l.GetFailover() {
			loc.Failover = append(loc.Failover, LocalityFailover{From: f.GetFrom(), To: f.GetTo()})
		}
		for _, d := range l.GetDistribute() {
			loc.Distribute = append(loc.Distribute, LocalityDistribute{From: d.GetFrom(), To: d.GetTo()})
		}
		out.Locality = loc
	}
	return out
}

func outlierDetectionOf(od *networkingv1.OutlierDetection) *OutlierDetection {
	if od == nil {
		return nil
	}
	out := &OutlierDetection{
		SplitExternalLocalOriginErrors: od.GetSplitExternalLocalOriginErrors(),
		Interval:                       durationString(od.GetInterval()),
		BaseEjectionTime:               durationString(od.GetBaseEjectionTime()),
		MaxEjectionPercent:             od.GetMaxEjectionPercent(),
		MinHealthPercent:               od.GetMinHealthPercent(),
	}
	if v := od.GetConsecutive_5XxErrors(); v != nil {
		n := v.GetValue()
		out.Consecutive5xxErrors = &n
	} else if n := od.GetConsecutiveErrors(); n != 0 {
		// The deprecated field counts 5xx errors as well.
		u := uint32(n)
		out.Consecutive5xxErrors = &u
	}
	if v := od.GetConsecutiveGatewayErrors(); v != nil {
		n := v.GetValue()
		out.ConsecutiveGatewayErrors = &n
	}
	if v := od.GetConsecutiveLocalOriginFailures(); v != nil {
		n := v.GetValue()
		out.ConsecutiveLocalOriginFailures = &n
	}
	return out
}

// durationString prints a duration the way users write them (5s, 1m30s,
// 500ms).
func durationString(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	v := d.AsDuration()
	switch {
	case v == 0:
		return "0s"
	case v%time.Hour == 0:
		return strconv.FormatInt(int64(v/time.Hour), 10) + "h"
	case v%time.Minute == 0:
		return strconv.FormatInt(int64(v/time.Minute), 10) + "m"
	case v%time.Second == 0:
		return strconv.FormatInt(int64(v/time.Second), 10) + "s"
	}
	return v.String()
}

// protoMap is a message in Istio's JSON form, as a map.
func protoMap(m proto.Message) map[string]any {
	if m == nil {
		return nil
	}
	data, err := protojson.Marshal(m)
	if err != nil {
		return nil
	}
	var out map[string]any
	if json.Unmarshal(data, &out) != nil || len(out) == 0 {
		return nil
	}
	return out
}

func newVirtualService(o source.Object) VirtualService {
	vs := VirtualService{Ref: refOf(o), Object: o, Spec: &networkingv1.VirtualService{}}
	if p, ok := source.Parent(o); ok {
		vs.Parent = &p
	}
	if err := DecodeSpec(o, vs.Spec); err != nil {
		vs.Error = err.Error()
		return vs
	}
	s := vs.Spec
	vs.Hosts = s.GetHosts()
	vs.Gateways = s.GetGateways()
	vs.ExportTo = s.GetExportTo()
	return vs
}

// routesTo returns the routes of a VirtualService with a destination whose
// host matches one of hosts.
func routesTo(s *networkingv1.VirtualService, hosts []string) []Route {
	var out []Route
	keep := func(r Route) {
		for i := range r.Destinations {
			r.Destinations[i].InChain = HostIn(r.Destinations[i].Host, hosts)
		}
		for _, d := range r.Destinations {
			if d.InChain {
				out = append(out, r)
				return
			}
		}
	}
	for _, h := range s.GetHttp() {
		r := Route{Protocol: "http", Name: h.GetName()}
		for _, m := range h.GetMatch() {
			r.Matches = append(r.Matches, httpMatchString(m))
		}
		for _, d := range h.GetRoute() {
			r.Destinations = append(r.Destinations, destinationOf(d.GetDestination(), d.GetWeight(), false))
		}
		if m := h.GetMirror(); m != nil {
			r.Destinations = append(r.Destinations, destinationOf(m, 0, true))
		}
		for _, m := range h.GetMirrors() {
			r.Destinations = append(r.Destinations, destinationOf(m.GetDestination(), 0, true))
		}
		keep(r)
	}
	for _, t := range s.GetTls() {
		r := Route{Protocol: "tls"}
		for _, m := range t.GetMatch() {
			r.Matches = append(r.Matches, tlsMatchString(m))
		}
		for _, d := range t.GetRoute() {
			r.Destinations = append(r.Destinations, destinationOf(d.GetDestination(), d.GetWeight(), false))
		}
		keep(r)
	}
	for _, t := range s.GetTcp() {
		r := Route{Protocol: "tcp"}
		for _, m := range t.GetMatch() {
			r.Matches = append(r.Matches, l4MatchString(m))
		}
		for _, d := range t.GetRoute() {
			r.Destinations = append(r.Destinations, destinationOf(d.GetDestination(), d.GetWeight(), false))
		}
		keep(r)
	}
	return out
}

func destinationOf(d *networkingv1.Destination, weight int32, mirror bool) Destination {
	return Destination{Host: d.GetHost(), Port: d.GetPort().GetNumber(), Subset: d.GetSubset(), Weight: weight, Mirror: mirror}
}

func stringMatch(m *networkingv1.StringMatch) string {
	switch v := m.GetMatchType().(type) {
	case *networkingv1.StringMatch_Exact:
		return "exact " + v.Exact
	case *networkingv1.StringMatch_Prefix:
		return "prefix " + v.Prefix
	case *networkingv1.StringMatch_Regex:
		return "regex " + v.Regex
	}
	return "present"
}

func httpMatchString(m *networkingv1.HTTPMatchRequest) string {
	var parts []string
	if m.GetUri() != nil {
		parts = append(parts, "uri "+stringMatch(m.GetUri()))
	}
	if m.GetMethod() != nil {
		parts = append(parts, "method "+stringMatch(m.GetMethod()))
	}
	if m.GetAuthority() != nil {
		parts = append(parts, "authority "+stringMatch(m.GetAuthority()))
	}
	if m.GetScheme() != nil {
		parts = append(parts, "scheme "+stringMatch(m.GetScheme()))
	}
	for _, k := range sortedKeys(m.GetHeaders()) {
		parts = append(parts, "header "+k+" "+stringMatch(m.GetHeaders()[k]))
	}
	for _, k := range sortedKeys(m.GetWithoutHeaders()) {
		parts = append(parts, "without header "+k+" "+stringMatch(m.GetWithoutHeaders()[k]))
	}
	for _, k := range sortedKeys(m.GetQueryParams()) {
		parts = append(parts, "query "+k+" "+stringMatch(m.GetQueryParams()[k]))
	}
	if m.GetPort() != 0 {
		parts = append(parts, "port "+uitoa(m.GetPort()))
	}
	parts = append(parts, commonMatch(m.GetSourceLabels(), m.GetSourceNamespace(), m.GetGateways())...)
	if len(parts) == 0 {
		return "any request"
	}
	return strings.Join(parts, ", ")
}

func tlsMatchString(m *networkingv1.TLSMatchAttributes) string {
	var parts []string
	if len(m.GetSniHosts()) > 0 {
		parts = append(parts, "sni "+strings.Join(m.GetSniHosts(), " "))
	}
	if len(m.GetDestinationSubnets()) > 0 {
		parts = append(parts, "destination "+strings.Join(m.GetDestinationSubnets(), " "))
	}
	if m.GetPort() != 0 {
		parts = append(parts, "port "+uitoa(m.GetPort()))
	}
	parts = append(parts, commonMatch(m.GetSourceLabels(), m.GetSourceNamespace(), m.GetGateways())...)
	if len(parts) == 0 {
		return "any connection"
	}
	return strings.Join(parts, ", ")
}

func l4MatchString(m *networkingv1.L4MatchAttributes) string {
	var parts []string
	if len(m.GetDestinationSubnets()) > 0 {
		parts = append(parts, "destination "+strings.Join(m.GetDestinationSubnets(), " "))
	}
	if m.GetPort() != 0 {
		parts = append(parts, "port "+uitoa(m.GetPort()))
	}
	if m.GetSourceSubnet() != "" {
		parts = append(parts, "source "+m.GetSourceSubnet())
	}
	parts = append(parts, commonMatch(m.GetSourceLabels(), m.GetSourceNamespace(), m.GetGateways())...)
	if len(parts) == 0 {
		return "any connection"
	}
	return strings.Join(parts, ", ")
}

func commonMatch(labels map[string]string, ns string, gateways []string) []string {
	var parts []string
	if len(labels) > 0 {
		parts = append(parts, "from "+LabelsString(labels))
	}
	if ns != "" {
		parts = append(parts, "from namespace "+ns)
	}
	if len(gateways) > 0 {
		parts = append(parts, "gateways "+strings.Join(gateways, " "))
	}
	return parts
}

// LabelsString prints labels as k=v,k=v in key order.
func LabelsString(l map[string]string) string {
	keys := sortedKeys(l)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func uitoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }

// newVirtualDestination reads the Gloo object, which has no Go type here.
// A field of the wrong type (hosts given as a string, a port that is not an
// object) is named in Error, not skipped in silence.
func newVirtualDestination(o source.Object, cluster string) VirtualDestination {
	vd := VirtualDestination{Ref: refOf(o), Cluster: cluster, Labels: o.Obj.GetLabels()}
	var problems []string
	bad := func(field string, v any, want string) {
		problems = append(problems, fmt.Sprintf("%s is %s, not %s", field, typeName(v), want))
	}
	spec, _ := o.Obj.Object["spec"].(map[string]any)
	if v, ok := o.Obj.Object["spec"]; ok && v != nil && spec == nil {
		bad("spec", v, "an object")
	}
	if v, ok := spec["hosts"]; ok && v != nil {
		if l, ok := v.([]any); ok {
			for i, h := range l {
				if s, ok := h.(string); ok {
					vd.Hosts = append(vd.Hosts, s)
				} else {
					bad(fmt.Sprintf("hosts[%d]", i), h, "a string")
				}
			}
		} else {
			bad("hosts", v, "a list")
		}
	}
	if v, ok := spec["ports"]; ok && v != nil {
		ports, ok := v.([]any)
		if !ok {
			bad("ports", v, "a list")
		}
		for i, p := range ports {
			m, ok := p.(map[string]any)
			if !ok {
				bad(fmt.Sprintf("ports[%d]", i), p, "an object")
				continue
			}
			vp := VDPort{Number: toInt64(m["number"])}
			if n, ok := m["number"]; ok && !isNumber(n) {
				bad(fmt.Sprintf("ports[%d].number", i), n, "a number")
			}
			vp.Protocol, _ = m["protocol"].(string)
			if tp, ok := m["targetPort"].(map[string]any); ok {
				if n := toInt64(tp["number"]); n != 0 {
					vp.TargetPort = strconv.FormatInt(n, 10)
				} else if s, ok := tp["name"].(string); ok {
					vp.TargetPort = s
				}
			}
			vd.Ports = append(vd.Ports, vp)
		}
	}
	if v, ok := spec["services"]; ok && v != nil {
		svcs, ok := v.([]any)
		if !ok {
			bad("services", v, "a list")
		}
		for i, s := range svcs {
			m, ok := s.(map[string]any)
			if !ok {
				bad(fmt.Sprintf("services[%d]", i), s, "an object")
				continue
			}
			vs := VDService{}
			vs.Name, _ = m["name"].(string)
			vs.Namespace, _ = m["namespace"].(string)
			vs.Cluster, _ = m["cluster"].(string)
			if l, ok := m["labels"].(map[string]any); ok {
				vs.Labels = map[string]string{}
				for k, v := range l {
					vs.Labels[k] = fmt.Sprint(v)
				}
			} else if l, ok := m["labels"]; ok && l != nil {
				bad(fmt.Sprintf("services[%d].labels", i), l, "an object")
			}
			vd.Services = append(vd.Services, vs)
		}
	}
	if len(problems) > 0 {
		vd.Error = "spec cannot be read: " + strings.Join(problems, "; ")
	}
	return vd
}

// typeName names a JSON value's type for messages.
func typeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	if isNumber(v) {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int32, int64, float32, float64:
		return true
	}
	return false
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}
