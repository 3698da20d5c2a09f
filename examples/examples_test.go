// Package examples holds the example translations used by the demo, the docs
// and the tests; this test checks that the files say what their README says.
package examples

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/api/networking/v1"
	securityv1 "istio.io/api/security/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

const bookinfo = "bookinfo"

// kubernetesSide is the folder of what the translations act on (nodes,
// Services, pods), checked by TestKubernetesSide.
const kubernetesSide = "kubernetes"

var clusters = []string{"cluster1", "cluster2"}

// remote is the east-west gateway each cluster's WorkloadEntries point at.
var remote = map[string]struct{ addr, dash, locality, network string }{
	"cluster1": {"172.23.0.6", "172-23-0-6", "eu-west-1/eu-west-1a", "cluster2"},
	"cluster2": {"172.23.0.5", "172-23-0-5", "us-east-1/us-east-1a", "cluster1"},
}

type object struct {
	file string
	u    *unstructured.Unstructured
}

func (o object) key() string {
	return o.u.GetKind() + " " + o.u.GetNamespace() + "/" + o.u.GetName()
}

func readCluster(t *testing.T, cluster string) []object {
	t.Helper()
	dir := filepath.Join(bookinfo, cluster)
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no YAML file in %s (%v)", dir, err)
	}
	var out []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("%s: %v", f, err)
			}
			if m == nil {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetName() == "" {
				t.Fatalf("%s: object without apiVersion, kind or name: %v", f, m)
			}
			out = append(out, object{file: filepath.Base(f), u: u})
		}
	}
	return out
}

func readAll(t *testing.T) map[string][]object {
	t.Helper()
	all := map[string][]object{}
	for _, c := range clusters {
		all[c] = readCluster(t, c)
	}
	entries, err := os.ReadDir(bookinfo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && all[e.Name()] == nil && e.Name() != kubernetesSide {
			t.Errorf("unexpected folder %s/%s", bookinfo, e.Name())
		}
	}
	return all
}

func find(objs []object, kind, ns, name string) (object, bool) {
	for _, o := range objs {
		if o.u.GetKind() == kind && o.u.GetNamespace() == ns && o.u.GetName() == name {
			return o, true
		}
	}
	return object{}, false
}

func mustFind(t *testing.T, objs []object, kind, ns, name string) object {
	t.Helper()
	o, ok := find(objs, kind, ns, name)
	if !ok {
		t.Fatalf("%s %s/%s not found", kind, ns, name)
	}
	return o
}

const (
	lParentName  = "gloo.solo.io/parent_name"
	lParentNS    = "gloo.solo.io/parent_namespace"
	lParentKind  = "gloo.solo.io/parent_kind"
	lParentGroup = "gloo.solo.io/parent_group"
	lCtxCluster  = "context.mesh.gloo.solo.io/cluster"
	lCtxNS       = "context.mesh.gloo.solo.io/namespace"
	lRelay       = "relay.solo.io/cluster"
)

// translatedFrom lists, sorted, the objects whose labels name the given parent.
func translatedFrom(objs []object, name, ns string) []string {
	var out []string
	for _, o := range objs {
		l := o.u.GetLabels()
		if l[lParentName] == name && l[lParentNS] == ns {
			out = append(out, o.key())
		}
	}
	sort.Strings(out)
	return out
}

func TestFilesAreClean(t *testing.T) {
	for c, objs := range readAll(t) {
		seen := map[string]bool{}
		for _, o := range objs {
			k := o.u.GetAPIVersion() + " " + o.key()
			if seen[k] {
				t.Errorf("%s: %s twice", c, k)
			}
			seen[k] = true
			if _, ok := o.u.Object["status"]; ok {
				t.Errorf("%s/%s: %s has a status", c, o.file, o.key())
			}
			md := o.u.Object["metadata"].(map[string]any)
			for _, f := range []string{"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "annotations"} {
				if _, ok := md[f]; ok {
					t.Errorf("%s/%s: %s has metadata.%s", c, o.file, o.key(), f)
				}
			}
			if strings.HasSuffix(o.u.GroupVersionKind().Group, "istio.io") && o.u.GetAPIVersion() != "networking.istio.io/v1" && o.u.GetAPIVersion() != "security.istio.io/v1" {
				t.Errorf("%s: %s uses %s", c, o.key(), o.u.GetAPIVersion())
			}
		}
	}
}

// TestIstioSpecsDecode decodes every Istio spec into istio.io/api types,
// rejecting unknown fields, so that field names and enum values are right.
func TestIstioSpecsDecode(t *testing.T) {
	for c, objs := range readAll(t) {
		for _, o := range objs {
			if !strings.HasSuffix(o.u.GroupVersionKind().Group, "istio.io") {
				continue
			}
			if _, err := decodeSpec(o); err != nil {
				t.Errorf("%s/%s: %s: %v", c, o.file, o.key(), err)
			}
		}
	}
}

func decodeSpec(o object) (proto.Message, error) {
	var msg proto.Message
	switch o.u.GetAPIVersion() + "/" + o.u.GetKind() {
	case "networking.istio.io/v1/ServiceEntry":
		msg = &networkingv1.ServiceEntry{}
	case "networking.istio.io/v1/WorkloadEntry":
		msg = &networkingv1.WorkloadEntry{}
	case "networking.istio.io/v1/DestinationRule":
		msg = &networkingv1.DestinationRule{}
	case "networking.istio.io/v1/VirtualService":
		msg = &networkingv1.VirtualService{}
	case "networking.istio.io/v1/Gateway":
		msg = &networkingv1.Gateway{}
	case "security.istio.io/v1/AuthorizationPolicy":
		msg = &securityv1.AuthorizationPolicy{}
	default:
		return nil, errors.New("no istio.io/api type known for this kind")
	}
	spec, ok := o.u.Object["spec"]
	if !ok {
		return nil, errors.New("no spec")
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(b, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

func decodeAs[T proto.Message](t *testing.T, o object) T {
	t.Helper()
	m, err := decodeSpec(o)
	if err != nil {
		t.Fatalf("%s: %v", o.key(), err)
	}
	v, ok := m.(T)
	if !ok {
		t.Fatalf("%s decodes to %T", o.key(), m)
	}
	return v
}

// TestGlooLabels checks the seed's full label set on every translated object.
func TestGlooLabels(t *testing.T) {
	for c, objs := range readAll(t) {
		n := 0
		for _, o := range objs {
			l := o.u.GetLabels()
			if _, ok := l[lParentName]; !ok {
				for k := range l {
					if strings.Contains(k, "solo.io") {
						t.Errorf("%s: %s has %s but no parent_name", c, o.key(), k)
					}
				}
				continue
			}
			n++
			want := map[string]string{
				"agent.gloo.solo.io":                "gloo-mesh",
				"cluster.multicluster.solo.io":      "",
				lCtxCluster:                         c,
				lCtxNS:                              o.u.GetNamespace(),
				"gloo.solo.io/parent_cluster":       "cluster1",
				"gloo.solo.io/parent_version":       "v2",
				"owner.gloo.solo.io/name":           "gloo-mesh",
				"reconciler.mesh.gloo.solo.io/name": "translator",
				lRelay:                              c,
			}
			for k, v := range want {
				got, ok := l[k]
				if !ok || got != v {
					t.Errorf("%s: %s: label %s = %q (present %v), want %q", c, o.key(), k, got, ok, v)
				}
			}
			for _, k := range []string{lParentNS, lParentKind, lParentGroup} {
				if l[k] == "" {
					t.Errorf("%s: %s: label %s missing", c, o.key(), k)
				}
			}
			for k := range l {
				if _, ok := want[k]; !ok && !strings.HasPrefix(k, "gloo.solo.io/parent_") && k != "app" {
					t.Errorf("%s: %s: unexpected label %s", c, o.key(), k)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no translated object", c)
		}
	}
}

var wantProductpage = map[string][]string{
	"cluster1": {
		"DestinationRule bookinfo-frontends/productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad",
		"ServiceEntry bookinfo-frontends/vd-productpage-global-bookinfo",
		"VirtualService istio-gateways/routetable-productpage-bookinfo-frontends-cluster1-gateways",
		"WorkloadEntry bookinfo-frontends/vd-productpage-global-bookinfo-app-productpage-172-23-0-6",
	},
	"cluster2": {
		"DestinationRule bookinfo-frontends/productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad",
		"ServiceEntry bookinfo-frontends/vd-productpage-global-bookinfo",
		"VirtualService istio-gateways/routetable-productpage-bookinfo-frontends-cluster2-gateways",
		"WorkloadEntry bookinfo-frontends/vd-productpage-global-bookinfo-app-productpage-172-23-0-5",
	},
}

// noise returns the objects that find productpage -n bookinfo-frontends must
// not return, in one cluster.
func noise(c string) []string {
	d := remote[c].dash
	return []string{
		"ServiceEntry bookinfo-backends/vd-reviews-global-bookinfo",
		"WorkloadEntry bookinfo-backends/vd-reviews-global-bookinfo-app-reviews-" + d,
		"DestinationRule bookinfo-backends/reviews-global-virtual-dest-c9f5f44373a0a4952a59cdb8e304dc9",
		"VirtualService istio-gateways/routetable-reviews-bookinfo-backends-" + c + "-gateways",
		"ServiceEntry bookinfo-staging/vd-productpage-staging-global-bookinfo-staging",
		"WorkloadEntry bookinfo-staging/vd-productpage-staging-global-bookinfo-staging-app-productpage-" + d,
		"DestinationRule bookinfo-staging/productpage-staging-global-virtual-dest-2da4e8ddeebead58fd0fa6950a269a1",
		"AuthorizationPolicy bookinfo-backends/accesspolicy-productpage-bookinfo-backends-reviews-9080",
		"DestinationRule bookinfo-frontends/productpage",
		"ServiceEntry bookinfo-frontends/external-api",
		"Gateway istio-gateways/virtualgateway-north-south-gw-i-854116bec1b325afa7cdbcac4c80738",
	}
}

func TestProductpageTranslation(t *testing.T) {
	for c, objs := range readAll(t) {
		got := translatedFrom(objs, "productpage", "bookinfo-frontends")
		if !reflect.DeepEqual(got, wantProductpage[c]) {
			t.Errorf("%s: translation of productpage/bookinfo-frontends:\n got %q\nwant %q", c, got, wantProductpage[c])
		}
		for _, k := range got {
			o := objectByKey(t, objs, k)
			l := o.u.GetLabels()
			wantKind := "VirtualDestination"
			if o.u.GetKind() == "VirtualService" {
				wantKind = "RouteTable"
			}
			if l[lParentKind] != wantKind || l[lParentGroup] != "networking.gloo.solo.io" {
				t.Errorf("%s: %s: parent %s/%s", c, k, l[lParentGroup], l[lParentKind])
			}
		}
	}
}

func objectByKey(t *testing.T, objs []object, key string) object {
	t.Helper()
	for _, o := range objs {
		if o.key() == key {
			return o
		}
	}
	t.Fatalf("%s not found", key)
	return object{}
}

func TestNoise(t *testing.T) {
	all := readAll(t)
	for c, objs := range all {
		want := map[string]bool{}
		for _, k := range wantProductpage[c] {
			want[k] = true
		}
		for _, k := range noise(c) {
			o := objectByKey(t, objs, k)
			l := o.u.GetLabels()
			if l[lParentName] == "productpage" && l[lParentNS] == "bookinfo-frontends" {
				t.Errorf("%s: noise %s matches productpage/bookinfo-frontends", c, k)
			}
			if want[k] {
				t.Errorf("%s: %s is both noise and translation", c, k)
			}
		}
		// Each kind of noise is there.
		has := func(pred func(object) bool) bool {
			for _, o := range objs {
				if pred(o) {
					return true
				}
			}
			return false
		}
		checks := map[string]func(object) bool{
			"parent productpage in bookinfo-staging": func(o object) bool {
				l := o.u.GetLabels()
				return l[lParentName] == "productpage" && l[lParentNS] == "bookinfo-staging" && o.u.GetNamespace() == "bookinfo-staging"
			},
			"parent productpage in bookinfo-backends": func(o object) bool {
				l := o.u.GetLabels()
				return l[lParentName] == "productpage" && l[lParentNS] == "bookinfo-backends"
			},
			"hand-written object named productpage in bookinfo-frontends": func(o object) bool {
				_, gloo := o.u.GetLabels()[lParentName]
				return !gloo && o.u.GetName() == "productpage" && o.u.GetNamespace() == "bookinfo-frontends"
			},
			"another RouteTable's VirtualService in istio-gateways": func(o object) bool {
				l := o.u.GetLabels()
				return o.u.GetKind() == "VirtualService" && o.u.GetNamespace() == "istio-gateways" && l[lParentKind] == "RouteTable" && l[lParentName] != "productpage"
			},
			"translation of VirtualDestination reviews": func(o object) bool {
				l := o.u.GetLabels()
				return l[lParentName] == "reviews" && l[lParentKind] == "VirtualDestination" && o.u.GetKind() == "ServiceEntry"
			},
		}
		for what, pred := range checks {
			if !has(pred) {
				t.Errorf("%s: no %s", c, what)
			}
		}
	}
}

func TestNamespacesAndParents(t *testing.T) {
	all := readAll(t)
	wantNS := []string{"bookinfo-backends", "bookinfo-frontends", "bookinfo-staging", "gloo-mesh-addons", "istio-gateways"}
	for c, objs := range all {
		var ns, parents []string
		for _, o := range objs {
			g := o.u.GroupVersionKind().Group
			switch {
			case o.u.GetKind() == "Namespace" && g == "":
				ns = append(ns, o.u.GetName())
			case strings.HasSuffix(g, "solo.io"):
				parents = append(parents, o.u.GetAPIVersion()+" "+o.key())
			}
		}
		sort.Strings(ns)
		if !reflect.DeepEqual(ns, wantNS) {
			t.Errorf("%s: namespaces %q, want %q", c, ns, wantNS)
		}
		for _, o := range objs {
			if o.u.GetKind() != "Namespace" && !contains(wantNS, o.u.GetNamespace()) {
				t.Errorf("%s: %s in a namespace the example does not create", c, o.key())
			}
		}
		sort.Strings(parents)
		var want []string
		if c == "cluster1" {
			want = []string{
				"networking.gloo.solo.io/v2 RouteTable bookinfo-frontends/productpage",
				"networking.gloo.solo.io/v2 VirtualDestination bookinfo-backends/reviews",
				"networking.gloo.solo.io/v2 VirtualDestination bookinfo-frontends/productpage",
				"networking.gloo.solo.io/v2 VirtualGateway istio-gateways/north-south-gw",
				"resilience.policy.gloo.solo.io/v2 FailoverPolicy bookinfo-frontends/failover",
				"resilience.policy.gloo.solo.io/v2 OutlierDetectionPolicy bookinfo-frontends/outlier-detection",
			}
		}
		if !reflect.DeepEqual(parents, want) {
			t.Errorf("%s: Gloo parents\n got %q\nwant %q", c, parents, want)
		}
	}
	vd := mustFind(t, all["cluster1"], "VirtualDestination", "bookinfo-frontends", "productpage")
	hosts, _, _ := unstructured.NestedStringSlice(vd.u.Object, "spec", "hosts")
	if !reflect.DeepEqual(hosts, []string{"productpage.global"}) {
		t.Errorf("VirtualDestination productpage hosts %q", hosts)
	}
	// Both policies select the VirtualDestination productpage by its labels.
	for _, p := range []string{"FailoverPolicy/failover", "OutlierDetectionPolicy/outlier-detection"} {
		kind, name, _ := strings.Cut(p, "/")
		o := mustFind(t, all["cluster1"], kind, "bookinfo-frontends", name)
		sel, _, _ := unstructured.NestedSlice(o.u.Object, "spec", "applyToDestinations")
		if len(sel) != 1 {
			t.Fatalf("%s: applyToDestinations %v", p, sel)
		}
		labels, _, _ := unstructured.NestedStringMap(sel[0].(map[string]any), "selector", "labels")
		for k, v := range labels {
			if vd.u.GetLabels()[k] != v {
				t.Errorf("%s does not select the VirtualDestination productpage (%s=%s)", p, k, v)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const (
	drName = "productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad"
	seName = "vd-productpage-global-bookinfo"
)

// TestPlantedFacts checks the specs of the productpage translation and the
// one planted difference between the clusters.
func TestPlantedFacts(t *testing.T) {
	all := readAll(t)
	drs := map[string]*networkingv1.DestinationRule{}
	for _, c := range clusters {
		objs := all[c]
		se := decodeAs[*networkingv1.ServiceEntry](t, mustFind(t, objs, "ServiceEntry", "bookinfo-frontends", seName))
		if !reflect.DeepEqual(se.GetHosts(), []string{"productpage.global"}) ||
			!reflect.DeepEqual(se.GetAddresses(), []string{"254.154.115.171"}) ||
			se.GetLocation() != networkingv1.ServiceEntry_MESH_INTERNAL ||
			se.GetResolution() != networkingv1.ServiceEntry_STATIC ||
			len(se.GetPorts()) != 1 || se.GetPorts()[0].GetName() != "http-9080" || se.GetPorts()[0].GetNumber() != 9080 ||
			se.GetPorts()[0].GetProtocol() != "HTTP" ||
			se.GetWorkloadSelector().GetLabels()["app"] != "productpage" {
			t.Errorf("%s: ServiceEntry %v", c, se)
		}
		exportTo := []string{"bookinfo-backends", "bookinfo-frontends", "gloo-mesh-addons", "istio-gateways"}
		if !reflect.DeepEqual(se.GetExportTo(), exportTo) {
			t.Errorf("%s: ServiceEntry exportTo %q", c, se.GetExportTo())
		}

		r := remote[c]
		we := decodeAs[*networkingv1.WorkloadEntry](t, mustFind(t, objs, "WorkloadEntry", "bookinfo-frontends",
			"vd-productpage-global-bookinfo-app-productpage-"+r.dash))
		if we.GetAddress() != r.addr || we.GetLocality() != r.locality || we.GetNetwork() != r.network ||
			!reflect.DeepEqual(we.GetPorts(), map[string]uint32{"http-9080": 15443}) ||
			we.GetLabels()["app"] != "productpage" {
			t.Errorf("%s: WorkloadEntry %v", c, we)
		}

		dr := decodeAs[*networkingv1.DestinationRule](t, mustFind(t, objs, "DestinationRule", "bookinfo-frontends", drName))
		drs[c] = dr
		if dr.GetHost() != "productpage.global" || !reflect.DeepEqual(dr.GetExportTo(), exportTo) {
			t.Errorf("%s: DestinationRule host %q exportTo %q", c, dr.GetHost(), dr.GetExportTo())
		}
		pls := dr.GetTrafficPolicy().GetPortLevelSettings()
		if len(pls) != 1 || pls[0].GetPort().GetNumber() != 9080 {
			t.Fatalf("%s: DestinationRule port settings %v", c, pls)
		}
		p := pls[0]
		sans := []string{
			"spiffe://cluster1/ns/bookinfo-frontends/sa/bookinfo-productpage",
			"spiffe://cluster2/ns/bookinfo-frontends/sa/bookinfo-productpage",
		}
		if p.GetTls().GetMode() != networkingv1.ClientTLSSettings_ISTIO_MUTUAL || !reflect.DeepEqual(p.GetTls().GetSubjectAltNames(), sans) {
			t.Errorf("%s: DestinationRule tls %v", c, p.GetTls())
		}
		if !p.GetLoadBalancer().GetLocalityLbSetting().GetEnabled().GetValue() {
			t.Errorf("%s: DestinationRule locality load balancing not enabled", c)
		}
		od := p.GetOutlierDetection()
		want5xx := map[string]uint32{"cluster1": 2, "cluster2": 5}[c]
		if od.GetConsecutive_5XxErrors().GetValue() != want5xx || od.GetInterval().AsDuration().String() != "5s" ||
			od.GetBaseEjectionTime().AsDuration().String() != "30s" || od.GetMaxEjectionPercent() != 100 {
			t.Errorf("%s: outlier detection %v, want consecutive5xxErrors %d", c, od, want5xx)
		}

		vs := decodeAs[*networkingv1.VirtualService](t, mustFind(t, objs, "VirtualService", "istio-gateways",
			"routetable-productpage-bookinfo-frontends-"+c+"-gateways"))
		gw := "virtualgateway-north-south-gw-i-854116bec1b325afa7cdbcac4c80738"
		mustFind(t, objs, "Gateway", "istio-gateways", gw)
		if !reflect.DeepEqual(vs.GetGateways(), []string{gw}) || !reflect.DeepEqual(vs.GetHosts(), []string{"*"}) ||
			len(vs.GetHttp()) != 1 {
			t.Fatalf("%s: VirtualService %v", c, vs)
		}
		var uris []string
		for _, m := range vs.GetHttp()[0].GetMatch() {
			uris = append(uris, m.GetUri().String())
			if m.GetSourceLabels()["istio"] != "ingressgateway" {
				t.Errorf("%s: match without the gateway's source labels: %v", c, m)
			}
		}
		if len(uris) != 5 {
			t.Errorf("%s: VirtualService matches %q", c, uris)
		}
		dst := vs.GetHttp()[0].GetRoute()[0].GetDestination()
		if dst.GetHost() != "productpage.global" || dst.GetPort().GetNumber() != 9080 {
			t.Errorf("%s: VirtualService routes to %v", c, dst)
		}
		l := mustFind(t, objs, "VirtualService", "istio-gateways", "routetable-productpage-bookinfo-frontends-"+c+"-gateways").u.GetLabels()
		if l[lCtxNS] != "istio-gateways" || l[lParentNS] != "bookinfo-frontends" || l[lParentKind] != "RouteTable" {
			t.Errorf("%s: VirtualService labels %v", c, l)
		}
	}

	// The DestinationRules differ only by consecutive5xxErrors.
	a := proto.Clone(drs["cluster1"]).(*networkingv1.DestinationRule)
	b := proto.Clone(drs["cluster2"]).(*networkingv1.DestinationRule)
	b.GetTrafficPolicy().GetPortLevelSettings()[0].GetOutlierDetection().GetConsecutive_5XxErrors().Value = 2
	if !proto.Equal(a, b) {
		t.Errorf("the DestinationRules differ by more than consecutive5xxErrors")
	}
}

// fold replaces the cluster name in an object's name and cluster label values.
func fold(o object, cluster string) map[string]any {
	u := o.u.DeepCopy()
	u.SetName(strings.ReplaceAll(u.GetName(), cluster, "CLUSTER"))
	l := u.GetLabels()
	for _, k := range []string{lCtxCluster, lRelay} {
		if l[k] == cluster {
			l[k] = "CLUSTER"
		}
	}
	u.SetLabels(l)
	return u.Object
}

// TestSameOnceFolded checks that the ServiceEntry, the VirtualService and
// the Gateway are identical across clusters once cluster names are folded.
func TestSameOnceFolded(t *testing.T) {
	all := readAll(t)
	for _, k := range [][3]string{
		{"ServiceEntry", "bookinfo-frontends", seName},
		{"VirtualService", "istio-gateways", "routetable-productpage-bookinfo-frontends-CLUSTER-gateways"},
		{"Gateway", "istio-gateways", "virtualgateway-north-south-gw-i-854116bec1b325afa7cdbcac4c80738"},
		{"VirtualService", "istio-gateways", "routetable-reviews-bookinfo-backends-CLUSTER-gateways"},
	} {
		var folded []map[string]any
		for _, c := range clusters {
			o := mustFind(t, all[c], k[0], k[1], strings.ReplaceAll(k[2], "CLUSTER", c))
			folded = append(folded, fold(o, c))
		}
		if !reflect.DeepEqual(folded[0], folded[1]) {
			a, _ := yaml.Marshal(folded[0])
			b, _ := yaml.Marshal(folded[1])
			t.Errorf("%s %s/%s differs across clusters once folded:\n%s\n---\n%s", k[0], k[1], k[2], a, b)
		}
	}
	// Before folding, the VirtualServices' names differ.
	if _, ok := find(all["cluster2"], "VirtualService", "istio-gateways", "routetable-productpage-bookinfo-frontends-cluster1-gateways"); ok {
		t.Error("cluster2 holds cluster1's VirtualService name")
	}
}

// TestReadme checks that the README names every planted object.
func TestReadme(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(bookinfo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, c := range clusters {
		for _, k := range append(append([]string{}, wantProductpage[c]...), noise(c)...) {
			_, name, _ := strings.Cut(k, "/")
			if !strings.Contains(readme, name) {
				t.Errorf("README does not name %s (%s)", k, c)
			}
		}
	}
	for _, s := range []string{"consecutive5xxErrors", "254.154.115.171", "172.23.0.5", "172.23.0.6"} {
		if !strings.Contains(readme, s) {
			t.Errorf("README does not mention %s", s)
		}
	}
}

// TestKubernetesSide checks examples/bookinfo/kubernetes: every pod runs on
// a node of its cluster's file in one of two zones of the cluster's region,
// in a namespace of the translations, and the gateway and the productpage
// pods the Gloo objects select are there.
func TestKubernetesSide(t *testing.T) {
	regions := map[string]string{"cluster1": "us-east-1", "cluster2": "eu-west-1"}
	for _, c := range clusters {
		t.Run(c, func(t *testing.T) {
			namespaces := map[string]bool{}
			for _, o := range readCluster(t, c) {
				if o.u.GetKind() == "Namespace" {
					namespaces[o.u.GetName()] = true
				}
			}
			objs := readCluster(t, filepath.Join(kubernetesSide, c))
			zones := map[string]string{}
			for _, o := range objs {
				if o.u.GetKind() != "Node" {
					continue
				}
				l := o.u.GetLabels()
				if l["topology.kubernetes.io/region"] != regions[c] || !strings.HasPrefix(l["topology.kubernetes.io/zone"], regions[c]) {
					t.Errorf("node %s: region %q zone %q, want in %s", o.u.GetName(), l["topology.kubernetes.io/region"], l["topology.kubernetes.io/zone"], regions[c])
				}
				zones[o.u.GetName()] = l["topology.kubernetes.io/zone"]
			}
			podZones := map[string]bool{}
			var pods []string
			for _, o := range objs {
				if ns := o.u.GetNamespace(); ns != "" && !namespaces[ns] {
					t.Errorf("%s: namespace %s is not in examples/bookinfo/%s", o.key(), ns, c)
				}
				if o.u.GetKind() != "Pod" {
					continue
				}
				node, _, _ := unstructured.NestedString(o.u.Object, "spec", "nodeName")
				if zones[node] == "" {
					t.Errorf("%s: node %q is not a node of the file", o.key(), node)
				}
				if o.u.GetLabels()["app"] == "productpage" {
					podZones[zones[node]] = true
				}
				pods = append(pods, o.key())
			}
			sort.Strings(pods)
			want := "Pod bookinfo-frontends/productpage-v1-a Pod bookinfo-frontends/productpage-v1-b Pod istio-gateways/istio-ingressgateway"
			if strings.Join(pods, " ") != want {
				t.Errorf("pods %q, want %q", strings.Join(pods, " "), want)
			}
			if len(podZones) != 2 {
				t.Errorf("productpage pods in zones %v, want two zones", podZones)
			}
		})
	}
}
