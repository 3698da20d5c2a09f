package explain

import (
	"strings"
	"testing"
)

// Objects written by hand around the bookinfo example, for the checks that
// mirror istioctl analyze and Kiali: each case fires, and a near case
// does not.

const handVS = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %s, namespace: bookinfo-frontends}
spec:
  hosts: [productpage.global]
`

func vsYAML(name, rest string) string {
	return strings.Replace(handVS, "%s", name, 1) + rest
}

func TestAnalyzerChecks(t *testing.T) {
	const route9080 = "    route: [{destination: {host: productpage.global, port: {number: 9080}}}]\n"
	for _, tc := range []struct {
		name, code string
		fixture    func(t *testing.T) *fixture
		want       []string
		istioCode  string
	}{
		{"rule after a catch-all", "VD306", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - name: all\n"+route9080+"  - match: [{uri: {prefix: /api}}]\n"+route9080))
		}, []string{"VD306 cluster1 cluster1:VirtualService/pp"}, "IST0130"},
		{"a repeated match", "VD306", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - match: [{uri: {prefix: /api}}]\n"+route9080+
				"  - match: [{uri: {prefix: /api}}, {uri: {prefix: /v2}}]\n"+route9080))
		}, []string{"VD306 cluster1 cluster1:VirtualService/pp"}, "IST0131"},
		{"a repeated match under another name", "VD306", func(t *testing.T) *fixture {
			// Istio compares matches without their names.
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - match: [{name: beta, headers: {x-user: {exact: beta}}}]\n"+route9080+
				"  - match: [{name: beta-again, headers: {x-user: {exact: beta}}}]\n"+route9080))
		}, []string{"VD306 cluster1 cluster1:VirtualService/pp"}, "IST0130"},
		{"a match repeated under another name next to a new one", "VD306", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - match: [{name: a, uri: {prefix: /api}}]\n"+route9080+
				"  - match: [{name: b, uri: {prefix: /api}}, {name: c, uri: {prefix: /v2}}]\n"+route9080))
		}, []string{"VD306 cluster1 cluster1:VirtualService/pp"}, "IST0131"},
		{"a match repeated within its rule", "VD306", func(t *testing.T) *fixture {
			// istioctl reports the second copy (IST0131) too.
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - match: [{uri: {prefix: /api}}, {uri: {prefix: /v2}}, {name: again, uri: {prefix: /api}}]\n"+route9080))
		}, []string{"VD306 cluster1 cluster1:VirtualService/pp"}, "IST0131"},
		{"same name, different header: nothing hidden", "VD306", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - match: [{name: beta, headers: {x-user: {exact: beta}}}]\n"+route9080+
				"  - match: [{name: beta, headers: {x-user: {exact: alpha}}}]\n"+route9080))
		}, nil, ""},
		{"catch-all last: nothing hidden", "VD306", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - match: [{uri: {prefix: /api}}]\n"+route9080+"  - name: all\n"+route9080))
		}, nil, ""},
		{"two VirtualServices for the sidecars", "VD307", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, vsYAML("a", "  http:\n  -"+route9080[5:])).with(c1, vsYAML("b", "  http:\n  -"+route9080[5:]))
		}, []string{"VD307 cluster1 cluster1:VirtualService/a,cluster1:VirtualService/b"}, "IST0109"},
		{"two VirtualServices no namespace sees together", "VD307", func(t *testing.T) *fixture {
			b := strings.Replace(vsYAML("b", "  exportTo: [.]\n  http:\n  -"+route9080[5:]), "bookinfo-frontends", "bookinfo-backends", 1)
			return bookinfo(t).with(c1, vsYAML("a", "  exportTo: [.]\n  http:\n  -"+route9080[5:])).with(c1, b)
		}, nil, ""},
		{"no port to a host with two", "VD308", func(t *testing.T) *fixture {
			return bookinfo(t).variant("route-without-port")
		}, []string{"VD308 cluster1 cluster1:VirtualService/productpage,cluster1:ServiceEntry/" + se}, "IST0112"},
		{"no port to a host with one", "VD308", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, vsYAML("pp", "  http:\n  - route: [{destination: {host: productpage.global}}]\n"))
		}, nil, ""},
		{"subset no WorkloadEntry carries", "VD404", func(t *testing.T) *fixture {
			return bookinfo(t).edit(c1, kDR, dr, set([]string{"spec", "subsets"}, []any{map[string]any{"name": "v1", "labels": map[string]any{"version": "v1"}}}))
		}, []string{"VD404 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:WorkloadEntry/" + we1}, "IST0173"},
		{"subset the WorkloadEntries carry", "VD404", func(t *testing.T) *fixture {
			return bookinfo(t).edit(c1, kDR, dr, set([]string{"spec", "subsets"}, []any{map[string]any{"name": "all", "labels": map[string]any{"app": "productpage"}}}))
		}, nil, ""},
		{"rule where the host is not exported", "VD104", func(t *testing.T) *fixture {
			return bookinfo(t).variant("destinationrule-host-not-visible")
		}, []string{"VD104 cluster1 cluster1:DestinationRule/productpage-staging,cluster1:ServiceEntry/" + se}, "IST0174"},
		{"rule with a misspelt host", "VD104", func(t *testing.T) *fixture {
			return bookinfo(t).edit(c1, kDR, dr, set([]string{"spec", "host"}, "productpage.globl"))
		}, []string{"VD104 cluster1 cluster1:DestinationRule/" + dr}, "IST0174"},
		{"rule where the host is exported", "VD104", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pp, namespace: bookinfo-backends}
spec: {host: productpage.global, exportTo: [.]}
`)
		}, nil, ""},
		{"TCP next to HTTP", "VD602", func(t *testing.T) *fixture { return bookinfo(t).variant("conflicting-protocols") },
			[]string{"VD602 cluster1 cluster1:ServiceEntry/" + se + ",cluster1:ServiceEntry/productpage-tcp"}, "IST0177"},
		{"TCP where the VirtualDestination's ServiceEntry is not exported", "VD602", func(t *testing.T) *fixture {
			// istioctl compares the ServiceEntries a namespace sees together.
			return bookinfo(t).with(c1, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: pp-tcp, namespace: legacy}
spec: {hosts: [productpage.global], exportTo: [.], ports: [{name: tcp, number: 9080, protocol: TCP}]}
`)
		}, nil, ""},
		{"TCP exported where the VirtualDestination's ServiceEntry is", "VD602", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: pp-tcp, namespace: legacy}
spec: {hosts: [productpage.global], exportTo: [bookinfo-backends], ports: [{name: tcp, number: 9080, protocol: TCP}]}
`)
		}, []string{"VD602 cluster1 cluster1:ServiceEntry/" + se + ",cluster1:ServiceEntry/pp-tcp"}, "IST0177"},
		{"two TCP rules no namespace sees with HTTP", "VD602", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: pp-tcp, namespace: legacy}
spec: {hosts: [productpage.global], exportTo: [.], ports: [{name: tcp, number: 9080, protocol: TCP}]}
`).with(c1, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: pp-tcp2, namespace: legacy2}
spec: {hosts: [productpage.global], exportTo: [legacy], ports: [{name: tcp, number: 9080, protocol: TCP}]}
`)
		}, nil, ""},
		{"HTTP next to HTTP", "VD602", func(t *testing.T) *fixture {
			return bookinfo(t).with(c1, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: pp, namespace: bookinfo-backends}
spec: {hosts: [productpage.global], ports: [{name: http, number: 9080, protocol: http}]}
`)
		}, nil, ""},
		{"addresses miss a WorkloadEntry's", "VD405", func(t *testing.T) *fixture {
			return bookinfo(t).variant("serviceentry-misses-workloadentry-address")
		}, []string{"VD405 cluster1 cluster1:ServiceEntry/productpage-vm,cluster1:WorkloadEntry/" + we1}, ""},
		{"addresses list the WorkloadEntry's", "VD405", func(t *testing.T) *fixture {
			f := bookinfo(t).variant("serviceentry-misses-workloadentry-address")
			return f.edit(c1, kSE, "productpage-vm", set([]string{"spec", "addresses"}, []any{"172.23.0.6"}))
		}, nil, ""},
		{"Gloo's virtual IP", "VD405", func(t *testing.T) *fixture { return bookinfo(t) }, nil, ""},
		{"two rules for the host", "VD603", func(t *testing.T) *fixture { return bookinfo(t).variant("several-destinationrules") },
			[]string{"VD603 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:DestinationRule/productpage"}, ""},
		{"two rules for different subsets", "VD603", func(t *testing.T) *fixture {
			return bookinfo(t).
				edit(c1, kDR, dr, set([]string{"spec", "subsets"}, []any{map[string]any{"name": "v1", "labels": map[string]any{"app": "productpage"}}})).
				with(c1, `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: pp, namespace: bookinfo-frontends}
spec: {host: productpage.global, subsets: [{name: v2, labels: {app: productpage}}]}
`)
		}, nil, ""},
		{"maxEjectionPercent unset", "VD204", func(t *testing.T) *fixture { return bookinfo(t).variant("ejection-percent-too-low") },
			[]string{"VD204 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:WorkloadEntry/" + we1,
				"VD204 cluster2 cluster2:DestinationRule/" + dr + ",cluster2:WorkloadEntry/" + we2}, ""},
		{"maxEjectionPercent 50 with two remote clusters of one endpoint", "VD204", func(t *testing.T) *fixture {
			f := bookinfo(t).edit(c1, kDR, dr, portLevel(func(pl map[string]any) {
				pl["outlierDetection"].(map[string]any)["maxEjectionPercent"] = int64(50)
			}))
			return f.with(c1, strings.NewReplacer("172-23-0-6", "172-23-0-7", "address: 172.23.0.6", "address: 172.23.0.7",
				"labels: {app: productpage}", "labels: {app: productpage, topology.istio.io/cluster: cluster3}", "network: cluster2", "network: cluster3").Replace(weYAML(t)))
		}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := runCheck(t, tc.code, tc.fixture(t).productpage())
			expectKeys(t, fs, tc.want...)
			for _, f := range fs {
				if tc.istioCode != "" && f.IstioCode != tc.istioCode {
					t.Errorf("istioCode %q, want %q", f.IstioCode, tc.istioCode)
				}
				if c, _ := Lookup(tc.code); c.Kiali != f.KialiCode {
					t.Errorf("kialiCode %q, want %q", f.KialiCode, c.Kiali)
				}
			}
		})
	}
}

// weYAML is cluster1's WorkloadEntry of the example, as YAML.
func weYAML(t *testing.T) string {
	t.Helper()
	return `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vd-productpage-global-bookinfo-app-productpage-172-23-0-6
  namespace: bookinfo-frontends
  labels: {app: productpage, context.mesh.gloo.solo.io/cluster: cluster1, gloo.solo.io/parent_cluster: cluster1,
    gloo.solo.io/parent_kind: VirtualDestination, gloo.solo.io/parent_name: productpage, gloo.solo.io/parent_namespace: bookinfo-frontends}
spec: {address: 172.23.0.6, labels: {app: productpage}, locality: eu-west-1/eu-west-1a, network: cluster2, ports: {http-9080: 15443}}
`
}

// TestEjectionMessage says what is needed.
func TestEjectionMessage(t *testing.T) {
	fs := runCheck(t, "VD204", bookinfo(t).variant("ejection-percent-too-low").productpage())
	if len(fs) == 0 {
		t.Fatal("no finding")
	}
	want := "DestinationRule bookinfo-frontends/" + dr + " (port 9080) has maxEjectionPercent unset (Envoy's default, 10): outlier detection can never " +
		"eject every endpoint of cluster2 (1 of 1 endpoints, needs 100%), so when that cluster fails its endpoints keep taking traffic and " +
		"requests get 503 instead of failing over"
	if fs[0].Message != want {
		t.Errorf("message:\n got %s\nwant %s", fs[0].Message, want)
	}
}
