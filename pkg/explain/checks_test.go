package explain

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Names of the bookinfo example's productpage translation.
const (
	se   = "vd-productpage-global-bookinfo"
	dr   = "productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad"
	we1  = "vd-productpage-global-bookinfo-app-productpage-172-23-0-6" // in cluster1, to cluster2
	we2  = "vd-productpage-global-bookinfo-app-productpage-172-23-0-5" // in cluster2, to cluster1
	vs1  = "routetable-productpage-bookinfo-frontends-cluster1-gateways"
	vs2  = "routetable-productpage-bookinfo-frontends-cluster2-gateways"
	c1   = "cluster1"
	c2   = "cluster2"
	kSE  = "ServiceEntry"
	kWE  = "WorkloadEntry"
	kDR  = "DestinationRule"
	kVS  = "VirtualService"
	kVD  = "VirtualDestination"
	gloo = "networking.gloo.solo.io"
)

func TestChecksHaveUniqueCodesAndText(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks() {
		if seen[c.Code] {
			t.Errorf("code %s used twice", c.Code)
		}
		seen[c.Code] = true
		if c.Title == "" || c.Severity == 0 || c.run == nil {
			t.Errorf("check %s incomplete", c.Code)
		}
	}
}

func TestCleanExampleHasNoError(t *testing.T) {
	fs := Run(bookinfo(t).productpage())
	expectKeys(t, fs,
		"VD203 cluster1 cluster1:DestinationRule/"+dr+",cluster1:WorkloadEntry/"+we1,
		"VD203 cluster2 cluster2:DestinationRule/"+dr+",cluster2:WorkloadEntry/"+we2,
		"VD601  cluster1:DestinationRule/"+dr+",cluster2:DestinationRule/"+dr,
	)
	if AtLeast(fs, Error) {
		t.Error("the clean example has an error finding")
	}
}

func TestVD100UnreadableSpec(t *testing.T) {
	ch := bookinfo(t).edit(c1, kSE, se, set([]string{"spec", "ports"}, "http-9080")).productpage()
	fs := runCheck(t, "VD100", ch)
	expectKeys(t, fs, "VD100 cluster1 cluster1:ServiceEntry/"+se)
	if len(fs) == 1 && !strings.Contains(fs[0].Message, "spec cannot be read") {
		t.Errorf("message: %s", fs[0].Message)
	}
	expectKeys(t, runCheck(t, "VD100", bookinfo(t).productpage()))
}

// A VirtualService written by hand whose spec cannot be read (exportTo as a
// string) was left out of the chain in silence: it is reported when it
// names a host of the chain, and still left out when it does not.
func TestVD100UnreadableVirtualService(t *testing.T) {
	const broken = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: %s, namespace: bookinfo-backends}
spec:
  hosts: [%s]
  exportTo: "."
  http:
  - route:
    - destination: {host: %s, port: {number: 9080}}
`
	ch := bookinfo(t).
		with(c1, fmt.Sprintf(broken, "to-productpage", "productpage.bookinfo-frontends.svc.cluster.local", "productpage.global")).
		with(c1, fmt.Sprintf(broken, "elsewhere", "reviews.global", "reviews.global")).
		productpage()
	fs := runCheck(t, "VD100", ch)
	expectKeys(t, fs, "VD100 cluster1 cluster1:VirtualService/to-productpage")
	if len(fs) == 1 && !strings.Contains(fs[0].Message, "spec cannot be read") {
		t.Errorf("message: %s", fs[0].Message)
	}
	for _, cl := range ch.Clusters {
		for _, vs := range cl.VirtualServices {
			if vs.Ref.Name == "elsewhere" {
				t.Errorf("VirtualService elsewhere names no host of the chain but is in cluster %s", cl.Name)
			}
		}
	}
}

// The VirtualDestination has no Go type: a field of the wrong type was
// skipped in silence (its hosts lost).
func TestVD100UnreadableVirtualDestination(t *testing.T) {
	ch := bookinfo(t).edit(c1, kVD, "productpage", set([]string{"spec", "hosts"}, "productpage.global")).productpage()
	fs := runCheck(t, "VD100", ch)
	expectKeys(t, fs, "VD100 cluster1 cluster1:VirtualDestination/productpage")
	want := `VirtualDestination bookinfo-frontends/productpage: spec cannot be read: hosts is the string "productpage.global", not a list`
	if len(fs) == 1 && fs[0].Message != want {
		t.Errorf("message:\n got %s\nwant %s", fs[0].Message, want)
	}
	ch = bookinfo(t).edit(c1, kVD, "productpage", set([]string{"spec", "ports"}, []any{"9080", map[string]any{"number": "x"}})).productpage()
	fs = runCheck(t, "VD100", ch)
	want = `VirtualDestination bookinfo-frontends/productpage: spec cannot be read: ports[0] is the string "9080", not an object; ` +
		`ports[1].number is the string "x", not a number`
	if len(fs) != 1 || fs[0].Message != want {
		t.Errorf("findings %q, want one with message %s", keys(fs), want)
	}
}

func TestVD101MissingTranslation(t *testing.T) {
	f := bookinfo(t).without(c2, kSE, se).without(c2, kWE, we2).without(c2, kDR, dr)
	expectKeys(t, runCheck(t, "VD101", f.productpage()), "VD101 cluster2 cluster1:VirtualDestination/productpage")

	// The parent is gone too: an orphan case, not this one.
	f = bookinfo(t).without(c2, kSE, se).without(c2, kWE, we2).without(c2, kDR, dr).without(c1, kVD, "productpage")
	expectKeys(t, runCheck(t, "VD101", f.productpage()))

	// A cluster without Istio has nothing to translate into.
	f = bookinfo(t).without(c2, kSE, "").without(c2, kWE, "").without(c2, kDR, "").without(c2, kVS, "").without(c2, "Gateway", "")
	expectKeys(t, runCheck(t, "VD101", f.productpage()))
}

func TestVD102Orphans(t *testing.T) {
	f := bookinfo(t).without(c1, kVD, "productpage")
	expectKeys(t, runCheck(t, "VD102", f.productpage()),
		"VD102 cluster1 cluster1:ServiceEntry/"+se+",cluster1:WorkloadEntry/"+we1+",cluster1:DestinationRule/"+dr,
		"VD102 cluster2 cluster2:ServiceEntry/"+se+",cluster2:WorkloadEntry/"+we2+",cluster2:DestinationRule/"+dr,
	)

	// Without the Gloo API, a missing parent proves nothing.
	f = bookinfo(t).without(c1, kVD, "").without(c1, "RouteTable", "").without(c1, "VirtualGateway", "").
		without(c1, "FailoverPolicy", "").without(c1, "OutlierDetectionPolicy", "")
	expectKeys(t, runCheck(t, "VD102", f.productpage()))

	expectKeys(t, runCheck(t, "VD102", bookinfo(t).productpage()))
}

func TestVD102ParentClusterNotRead(t *testing.T) {
	// The translations say their parent lives in cluster1; only cluster2,
	// which serves the Gloo API but is not where the parent lives, is read.
	f := bookinfo(t).without(c1, "", "").with(c2, `
apiVersion: networking.gloo.solo.io/v2
kind: VirtualDestination
metadata: {name: other, namespace: bookinfo-frontends}
spec: {hosts: [other.global]}
`)
	expectKeys(t, runCheck(t, "VD102", f.productpage()))
}

func TestVD103IncompleteTranslation(t *testing.T) {
	f := bookinfo(t).without(c2, kDR, dr)
	expectKeys(t, runCheck(t, "VD103", f.productpage()), "VD103 cluster2 cluster2:ServiceEntry/"+se+",cluster2:WorkloadEntry/"+we2)
	expectKeys(t, runCheck(t, "VD103", bookinfo(t).productpage()))
}

func TestVD201FailoverWithoutOutlierDetection(t *testing.T) {
	noOD := portLevel(func(pl map[string]any) { delete(pl, "outlierDetection") })
	ch := bookinfo(t).edit(c2, kDR, dr, noOD).productpage()
	expectKeys(t, runCheck(t, "VD201", ch), "VD201 cluster2 cluster2:DestinationRule/"+dr)

	// Rule-wide outlier detection does not reach port-level settings.
	ch = bookinfo(t).edit(c2, kDR, dr, func(o source.Object) {
		var od any
		portLevel(func(pl map[string]any) { od = pl["outlierDetection"]; delete(pl, "outlierDetection") })(o)
		set([]string{"spec", "trafficPolicy", "outlierDetection"}, od)(o)
	}).productpage()
	fs := runCheck(t, "VD201", ch)
	expectKeys(t, fs, "VD201 cluster2 cluster2:DestinationRule/"+dr)
	if len(fs) == 1 && !strings.Contains(fs[0].Message, "rule-wide outlier detection does not apply") {
		t.Errorf("message: %s", fs[0].Message)
	}

	// Close cases: locality load balancing off, or a weighted distribution
	// (which needs no outlier detection).
	off := portLevel(func(pl map[string]any) {
		delete(pl, "outlierDetection")
		pl["loadBalancer"] = map[string]any{"localityLbSetting": map[string]any{"enabled": false}}
	})
	expectKeys(t, runCheck(t, "VD201", bookinfo(t).edit(c2, kDR, dr, off).productpage()))
	distribute := portLevel(func(pl map[string]any) {
		delete(pl, "outlierDetection")
		pl["loadBalancer"] = map[string]any{"localityLbSetting": map[string]any{"distribute": []any{
			map[string]any{"from": "us-east-1/*", "to": map[string]any{"us-east-1/*": 80, "eu-west-1/*": 20}},
		}}}
	})
	expectKeys(t, runCheck(t, "VD201", bookinfo(t).edit(c2, kDR, dr, distribute).productpage()))
	expectKeys(t, runCheck(t, "VD201", bookinfo(t).productpage()))
}

func TestVD202WorkloadEntryWithoutLocality(t *testing.T) {
	noLocality := set([]string{"spec", "locality"}, nil)
	ch := bookinfo(t).edit(c1, kWE, we1, noLocality).productpage()
	expectKeys(t, runCheck(t, "VD202", ch), "VD202 cluster1 cluster1:WorkloadEntry/"+we1+",cluster1:DestinationRule/"+dr)

	// Without locality load balancing a missing locality does not matter.
	lbOff := portLevel(func(pl map[string]any) {
		pl["loadBalancer"] = map[string]any{"localityLbSetting": map[string]any{"enabled": false}}
	})
	ch = bookinfo(t).edit(c1, kWE, we1, noLocality).edit(c1, kDR, dr, lbOff).productpage()
	expectKeys(t, runCheck(t, "VD202", ch))
}

func TestVD203WholeClusterEjection(t *testing.T) {
	expectKeys(t, runCheck(t, "VD203", bookinfo(t).productpage()),
		"VD203 cluster1 cluster1:DestinationRule/"+dr+",cluster1:WorkloadEntry/"+we1,
		"VD203 cluster2 cluster2:DestinationRule/"+dr+",cluster2:WorkloadEntry/"+we2,
	)
	// Close cases: at most half the endpoints, or two gateway endpoints for
	// cluster2.
	half := portLevel(func(pl map[string]any) {
		pl["outlierDetection"].(map[string]any)["maxEjectionPercent"] = int64(50)
	})
	ch := bookinfo(t).edit(c1, kDR, dr, half).productpage()
	expectKeys(t, runCheck(t, "VD203", ch), "VD203 cluster2 cluster2:DestinationRule/"+dr+",cluster2:WorkloadEntry/"+we2)

	ch = bookinfo(t).with(c1, `
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata:
  name: vd-productpage-global-bookinfo-app-productpage-172-23-0-16
  namespace: bookinfo-frontends
  labels:
    context.mesh.gloo.solo.io/cluster: cluster1
    gloo.solo.io/parent_kind: VirtualDestination
    gloo.solo.io/parent_name: productpage
    gloo.solo.io/parent_namespace: bookinfo-frontends
spec:
  address: 172.23.0.16
  labels: {app: productpage}
  locality: eu-west-1/eu-west-1b
  network: cluster2
  ports: {http-9080: 15443}
`).productpage()
	expectKeys(t, runCheck(t, "VD203", ch), "VD203 cluster2 cluster2:DestinationRule/"+dr+",cluster2:WorkloadEntry/"+we2)
}

func TestVD301RouteToUndeclaredHost(t *testing.T) {
	// cluster2's ServiceEntry declares another host than the one routed to.
	ch := bookinfo(t).edit(c2, kSE, se, set([]string{"spec", "hosts"}, []any{"productpage-v2.global"})).productpage()
	expectKeys(t, runCheck(t, "VD301", ch), "VD301 cluster2 cluster2:VirtualService/"+vs2+",cluster2:ServiceEntry/"+se)

	// Declared next to another host.
	ch = bookinfo(t).edit(c2, kSE, se, set([]string{"spec", "hosts"}, []any{"productpage-v2.global", "productpage.global"})).productpage()
	expectKeys(t, runCheck(t, "VD301", ch))
}

func TestVD302RouteToUndeclaredPort(t *testing.T) {
	ch := bookinfo(t).variant("route-to-undeclared-port").productpage()
	expectKeys(t, runCheck(t, "VD302", ch), "VD302 cluster1 cluster1:VirtualService/"+vs1+",cluster1:ServiceEntry/"+se)

	// No port: the single port of the ServiceEntry is used.
	noPort := func(o source.Object) {
		http := o.Obj.Object["spec"].(map[string]any)["http"].([]any)
		dest := http[0].(map[string]any)["route"].([]any)[0].(map[string]any)["destination"].(map[string]any)
		delete(dest, "port")
	}
	expectKeys(t, runCheck(t, "VD302", bookinfo(t).edit(c1, kVS, vs1, noPort).productpage()))
}

func TestVD303ServiceEntryHidden(t *testing.T) {
	ch := bookinfo(t).variant("exportto-hides-gateways").productpage()
	expectKeys(t, runCheck(t, "VD303", ch),
		"VD303 cluster1 cluster1:VirtualService/"+vs1+",cluster1:ServiceEntry/"+se,
		"VD303 cluster2 cluster2:VirtualService/"+vs2+",cluster2:ServiceEntry/"+se,
	)
	// Exported everywhere.
	for _, e := range [][]any{{"*"}, nil} {
		ch = bookinfo(t).edit(c1, kSE, se, set([]string{"spec", "exportTo"}, e)).productpage()
		expectKeys(t, runCheck(t, "VD303", ch))
	}
}

func TestVD304DestinationRuleHidden(t *testing.T) {
	ch := bookinfo(t).edit(c1, kDR, dr, set([]string{"spec", "exportTo"}, []any{"."})).productpage()
	expectKeys(t, runCheck(t, "VD304", ch), "VD304 cluster1 cluster1:VirtualService/"+vs1+",cluster1:DestinationRule/"+dr)
	ch = bookinfo(t).edit(c1, kDR, dr, set([]string{"spec", "exportTo"}, []any{"*"})).productpage()
	expectKeys(t, runCheck(t, "VD304", ch))
}

func TestVD305RouteToUndefinedSubset(t *testing.T) {
	subset := func(o source.Object) {
		http := o.Obj.Object["spec"].(map[string]any)["http"].([]any)
		dest := http[0].(map[string]any)["route"].([]any)[0].(map[string]any)["destination"].(map[string]any)
		dest["subset"] = "v1"
	}
	ch := bookinfo(t).edit(c1, kVS, vs1, subset).productpage()
	expectKeys(t, runCheck(t, "VD305", ch), "VD305 cluster1 cluster1:VirtualService/"+vs1+",cluster1:DestinationRule/"+dr)

	defined := set([]string{"spec", "subsets"}, []any{map[string]any{"name": "v1", "labels": map[string]any{"version": "v1"}}})
	ch = bookinfo(t).edit(c1, kVS, vs1, subset).edit(c1, kDR, dr, defined).productpage()
	expectKeys(t, runCheck(t, "VD305", ch))
}

func TestVD401WorkloadEntryPortNames(t *testing.T) {
	ch := bookinfo(t).edit(c1, kWE, we1, set([]string{"spec", "ports"}, map[string]any{"http": int64(15443)})).productpage()
	expectKeys(t, runCheck(t, "VD401", ch), "VD401 cluster1 cluster1:WorkloadEntry/"+we1+",cluster1:ServiceEntry/"+se)

	// An extra name is harmless.
	extra := set([]string{"spec", "ports"}, map[string]any{"http-9080": int64(15443), "metrics": int64(15443)})
	expectKeys(t, runCheck(t, "VD401", bookinfo(t).edit(c1, kWE, we1, extra).productpage()))
}

func TestVD402WorkloadEntryPort15443(t *testing.T) {
	ch := bookinfo(t).edit(c1, kWE, we1, set([]string{"spec", "ports"}, map[string]any{"http-9080": int64(9080)})).productpage()
	expectKeys(t, runCheck(t, "VD402", ch), "VD402 cluster1 cluster1:WorkloadEntry/"+we1)
	expectKeys(t, runCheck(t, "VD402", bookinfo(t).productpage()))
}

func TestVD403WorkloadEntryNotSelected(t *testing.T) {
	ch := bookinfo(t).edit(c1, kWE, we1, set([]string{"spec", "labels"}, map[string]any{"app": "reviews"})).productpage()
	expectKeys(t, runCheck(t, "VD403", ch), "VD403 cluster1 cluster1:WorkloadEntry/"+we1+",cluster1:ServiceEntry/"+se)

	// Extra labels on the entry still match the selector.
	more := set([]string{"spec", "labels"}, map[string]any{"app": "productpage", "version": "v1"})
	expectKeys(t, runCheck(t, "VD403", bookinfo(t).edit(c1, kWE, we1, more).productpage()))
}

func TestVD501MissingSAN(t *testing.T) {
	ch := bookinfo(t).variant("missing-san").productpage()
	expectKeys(t, runCheck(t, "VD501", ch), "VD501 cluster1 cluster1:DestinationRule/"+dr+",cluster1:WorkloadEntry/"+we1)

	// Trust domains that are not cluster names cannot be compared.
	other := portLevel(func(pl map[string]any) {
		pl["tls"].(map[string]any)["subjectAltNames"] = []any{"spiffe://cluster.local/ns/bookinfo-frontends/sa/bookinfo-productpage"}
	})
	expectKeys(t, runCheck(t, "VD501", bookinfo(t).edit(c1, kDR, dr, other).productpage()))
	expectKeys(t, runCheck(t, "VD501", bookinfo(t).productpage()))
}

func TestVD601CrossClusterDifference(t *testing.T) {
	fs := runCheck(t, "VD601", bookinfo(t).productpage())
	expectKeys(t, fs, "VD601  cluster1:DestinationRule/"+dr+",cluster2:DestinationRule/"+dr)
	want := "spec.trafficPolicy.portLevelSettings[port=9080].outlierDetection.consecutive5xxErrors is 2 in cluster1, 5 in cluster2"
	if len(fs) == 1 && !strings.Contains(fs[0].Message, want) {
		t.Errorf("message %q lacks %q", fs[0].Message, want)
	}
	same := portLevel(func(pl map[string]any) {
		pl["outlierDetection"].(map[string]any)["consecutive5xxErrors"] = int64(2)
	})
	expectKeys(t, runCheck(t, "VD601", bookinfo(t).edit(c2, kDR, dr, same).productpage()))
}

func TestConsumerNamespaces(t *testing.T) {
	for _, tc := range []struct {
		gateways, exportTo []string
		want               string
	}{
		{nil, nil, "apps"},
		{[]string{"mesh"}, []string{".", "web"}, "apps,web"},
		{[]string{"gw"}, nil, "apps"},
		{[]string{"istio-gateways/gw", "mesh"}, []string{"*"}, "apps,istio-gateways"},
	} {
		vs := model.VirtualService{Ref: model.Ref{Kind: kVS, Namespace: "apps", Name: "x"}, Gateways: tc.gateways, ExportTo: tc.exportTo}
		if got := strings.Join(consumerNamespaces(vs), ","); got != tc.want {
			t.Errorf("gateways %v exportTo %v: got %s, want %s", tc.gateways, tc.exportTo, got, tc.want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Severity
		ok   bool
	}{{"error", Error, true}, {"Warning", Warning, true}, {"info", Info, true}, {"none", 0, true}, {"fatal", 0, false}} {
		got, ok := ParseSeverity(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseSeverity(%q) = %v, %v", tc.in, got, ok)
		}
	}
	fs := []Finding{{Severity: Warning}, {Severity: Info}}
	if AtLeast(fs, Error) || !AtLeast(fs, Warning) || !AtLeast(fs, Info) || AtLeast(fs, 0) {
		t.Error("AtLeast")
	}
}
