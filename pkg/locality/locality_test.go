package locality

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"
)

func ep(addr, loc string, labels ...string) Endpoint {
	l, err := Parse(loc)
	if err != nil {
		panic(err)
	}
	m := map[string]string{}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return Endpoint{Address: addr, Port: 9080, Locality: l, Labels: m}
}

// summary is "addr:port@priority/localityweight" per endpoint, in order.
func summary(as []Assigned) string {
	var b []string
	for _, a := range as {
		b = append(b, fmt.Sprintf("%s@%d/%d", a.Address, a.Priority, a.LocalityWeight))
	}
	return strings.Join(b, " ")
}

func TestAssign(t *testing.T) {
	// The endpoints of the seed's productpage.global seen from cluster1:
	// a local pod, the east-west gateways of two remote clusters.
	seed := []Endpoint{
		ep("172.23.0.7", "eu-west-1/eu-west-1a"),
		ep("10.102.1.10", "us-east-1/us-east-1a"),
		ep("172.23.0.6", "us-east-1"),
	}
	east1a := Source{Locality: Locality{Region: "us-east-1", Zone: "us-east-1a"}, Labels: map[string]string{"app": "productpage"}}
	cases := []struct {
		name string
		src  Source
		eps  []Endpoint
		s    Setting
		want string
	}{{
		// Istio assigns priorities only with outlier detection: without it
		// Envoy would never move off priority 0.
		name: "no outlier detection: every endpoint at priority 0",
		src:  east1a, eps: seed, s: Setting{},
		want: "172.23.0.7@0/1 172.23.0.6@0/1 10.102.1.10@0/1",
	}, {
		// istiod computed these for the seed (notes/istiod-generated-envoy.md):
		// 10.102.1.10 priority 0, 172.23.0.6 priority 1, 172.23.0.7 priority 2.
		// Same zone 0, same region 2, other region 3, compacted to 0, 1, 2.
		name: "mesh default with outlier detection: subzone, zone, region, rest",
		src:  east1a, eps: seed, s: Setting{OutlierDetection: true},
		want: "10.102.1.10@0/1 172.23.0.6@1/1 172.23.0.7@2/1",
	}, {
		name: "locality load balancing disabled",
		src:  east1a, eps: seed,
		s:    Setting{LB: &networking.LocalityLoadBalancerSetting{Enabled: wrapperspb.Bool(false)}, OutlierDetection: true},
		want: "172.23.0.7@0/1 172.23.0.6@0/1 10.102.1.10@0/1",
	}, {
		// A failover rule from the source's region sends every other region
		// to priority 4, except the one it names (3).
		name: "failover rule names the region to fail over to",
		src:  east1a,
		eps:  append([]Endpoint{ep("172.23.0.8", "ap-south-1/ap-south-1a")}, seed...),
		s: Setting{LB: &networking.LocalityLoadBalancerSetting{Failover: []*networking.LocalityLoadBalancerSetting_Failover{
			{From: "us-east-1", To: "ap-south-1"}}}, OutlierDetection: true},
		want: "10.102.1.10@0/1 172.23.0.6@1/1 172.23.0.8@2/1 172.23.0.7@3/1",
	}, {
		name: "source in a region with no endpoint: every region is other",
		src:  Source{Locality: Locality{Region: "ap-south-1", Zone: "ap-south-1a"}},
		eps:  seed, s: Setting{OutlierDetection: true},
		want: "172.23.0.7@0/1 172.23.0.6@0/1 10.102.1.10@0/1",
	}, {
		name: "subzone differs: priority 1",
		src:  Source{Locality: Locality{"r", "z", "s1"}},
		eps:  []Endpoint{ep("a", "r/z/s2"), ep("b", "r/z/s1")},
		s:    Setting{OutlierDetection: true},
		want: "b@0/1 a@1/1",
	}, {
		// failoverPriority: the more leading labels an endpoint shares with
		// the proxy, the better its priority.
		name: "failoverPriority labels",
		src:  Source{Locality: Locality{"r", "z", ""}, Labels: map[string]string{"version": "v1", "tier": "gold"}},
		eps: []Endpoint{
			ep("both", "r/z", "version=v1", "tier=gold"),
			ep("version", "r/z", "version=v1", "tier=silver"),
			ep("none", "r/z", "version=v2", "tier=gold"),
		},
		s:    Setting{LB: &networking.LocalityLoadBalancerSetting{FailoverPriority: []string{"version", "tier"}}, OutlierDetection: true},
		want: "both@0/1 version@1/1 none@2/1",
	}, {
		name: "failoverPriority with a value override",
		src:  Source{Locality: Locality{"r", "z", ""}, Labels: map[string]string{"app": "x"}},
		eps:  []Endpoint{ep("a", "r/z", "tier=gold"), ep("b", "r/z", "tier=silver")},
		s:    Setting{LB: &networking.LocalityLoadBalancerSetting{FailoverPriority: []string{"tier=silver"}}, OutlierDetection: true},
		want: "b@0/1 a@1/1",
	}, {
		name: "failoverPriority on the topology labels Istio adds",
		src:  Source{Locality: Locality{"r1", "z1", ""}, Labels: map[string]string{"app": "x"}},
		eps:  []Endpoint{ep("far", "r2/z9"), ep("zone", "r1/z1"), ep("region", "r1/z2")},
		s: Setting{LB: &networking.LocalityLoadBalancerSetting{FailoverPriority: []string{LabelRegion, LabelZone}},
			OutlierDetection: true},
		want: "zone@0/1 region@1/1 far@2/1",
	}, {
		// distribute: 80% to the own zone, 20% to the other; each locality's
		// weight is its share of the "to" weight (rounded up), localities no
		// rule names get no traffic and are left out.
		name: "distribute",
		src:  Source{Locality: Locality{"r", "z1", ""}},
		eps:  []Endpoint{ep("a1", "r/z1"), ep("a2", "r/z1"), ep("b", "r/z2"), ep("c", "other/z")},
		s: Setting{LB: &networking.LocalityLoadBalancerSetting{Distribute: []*networking.LocalityLoadBalancerSetting_Distribute{
			{From: "r/z1/*", To: map[string]uint32{"r/z1/*": 80, "r/z2/*": 20}}}}},
		want: "a1@0/80 a2@0/80 b@0/20",
	}, {
		name: "weights sum per locality",
		src:  east1a,
		eps:  []Endpoint{{Address: "w", Port: 15443, Locality: Locality{Region: "eu"}, Weight: 3}, {Address: "x", Port: 15443, Locality: Locality{Region: "eu"}}},
		s:    Setting{OutlierDetection: true},
		want: "w@0/4 x@0/4",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := summary(Assign(c.src, c.eps, c.s)); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestPolicyMerging(t *testing.T) {
	od := &networking.OutlierDetection{MaxEjectionPercent: 100}
	dr := &networking.DestinationRule{
		Host: "h",
		TrafficPolicy: &networking.TrafficPolicy{
			OutlierDetection: od,
			PortLevelSettings: []*networking.TrafficPolicy_PortTrafficPolicy{{
				Port: &networking.PortSelector{Number: 8080},
				Tls:  &networking.ClientTLSSettings{Mode: networking.ClientTLSSettings_ISTIO_MUTUAL},
			}},
		},
		Subsets: []*networking.Subset{{Name: "v2", TrafficPolicy: &networking.TrafficPolicy{
			LoadBalancer: &networking.LoadBalancerSettings{LbPolicy: &networking.LoadBalancerSettings_Simple{Simple: networking.LoadBalancerSettings_RANDOM}},
		}}},
	}
	if p := Policy(dr, 9080, ""); p.GetOutlierDetection() != od {
		t.Errorf("destination-level outlier detection lost: %v", p)
	}
	// Port-level settings replace the destination level: no outlier
	// detection inherited (Istio's docs: "do not inherit").
	if p := Policy(dr, 8080, ""); p.GetOutlierDetection() != nil || p.GetTls() == nil {
		t.Errorf("port level: %v", p)
	}
	if p := Policy(dr, 9080, "v2"); p.GetOutlierDetection() != od || p.GetLoadBalancer().GetSimple() != networking.LoadBalancerSettings_RANDOM {
		t.Errorf("subset merge: %v", p)
	}
	if Policy(nil, 1, "") != nil {
		t.Error("no DestinationRule, no policy")
	}
	if s := SettingOf(Policy(dr, 9080, "")); !s.OutlierDetection || s.LB != nil {
		t.Errorf("SettingOf: %+v", s)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]string{"r": "r", "r/z": "r/z", "r/z/s": "r/z/s", "": ""} {
		l, err := Parse(in)
		if err != nil || l.String() != want {
			t.Errorf("Parse(%q) = %v, %v", in, l, err)
		}
	}
	for _, bad := range []string{"r//s", "/z", "a/b/c/d", "r/"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
