package model

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

func read(t *testing.T, ctx string, paths ...string) []source.Object {
	t.Helper()
	objs, err := source.ReadFiles(paths, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range objs {
		objs[i].Context = ctx
	}
	return objs
}

func decode(t *testing.T, ctx, yaml string) []source.Object {
	t.Helper()
	objs, err := source.Decode("test", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	for i := range objs {
		objs[i].Context = ctx
	}
	return objs
}

// bookinfo reads the example with kube contexts named unlike the Gloo
// clusters, as kind names them.
func bookinfo(t *testing.T) []source.Object {
	var objs []source.Object
	for _, c := range []string{"cluster1", "cluster2"} {
		objs = append(objs, read(t, "kind-"+c, filepath.Join("../../examples/bookinfo", c))...)
	}
	return objs
}

func refs[T any](items []T, ref func(T) Ref) []string {
	var out []string
	for _, x := range items {
		r := ref(x)
		out = append(out, r.Context+":"+r.String())
	}
	return out
}

func TestBuildBookinfo(t *testing.T) {
	ch := Build(FileInput("productpage", "bookinfo-frontends", bookinfo(t)))
	if got := ch.ClusterNames(); !reflect.DeepEqual(got, []string{"cluster1", "cluster2"}) {
		t.Fatalf("clusters %v", got)
	}
	if !reflect.DeepEqual(ch.Hosts, []string{"productpage.global"}) {
		t.Errorf("hosts %v", ch.Hosts)
	}
	if len(ch.VirtualDestinations) != 1 || ch.VirtualDestinations[0].Cluster != "cluster1" {
		t.Fatalf("virtual destinations %+v", ch.VirtualDestinations)
	}
	vd := ch.VirtualDestinations[0]
	if vd.Ports[0].Number != 9080 || vd.Ports[0].Protocol != "HTTP" || vd.Services[0].Labels["app"] != "productpage" {
		t.Errorf("virtual destination %+v", vd)
	}
	if !ch.GlooAPIServed() {
		t.Error("the files hold Gloo objects in kind-cluster1")
	}

	cl := ch.Cluster("cluster1")
	if !reflect.DeepEqual(cl.Contexts, []string{"kind-cluster1"}) {
		t.Errorf("contexts %v", cl.Contexts)
	}
	// Only productpage's translation: not reviews', not the staging one.
	if got := refs(cl.ServiceEntries, func(x ServiceEntry) Ref { return x.Ref }); !reflect.DeepEqual(got,
		[]string{"kind-cluster1:ServiceEntry bookinfo-frontends/vd-productpage-global-bookinfo"}) {
		t.Errorf("service entries %v", got)
	}
	if got := refs(cl.VirtualServices, func(x VirtualService) Ref { return x.Ref }); !reflect.DeepEqual(got,
		[]string{"kind-cluster1:VirtualService istio-gateways/routetable-productpage-bookinfo-frontends-cluster1-gateways"}) {
		t.Errorf("virtual services %v", got)
	}
	vs := cl.VirtualServices[0]
	if vs.Parent == nil || vs.Parent.Kind != "RouteTable" || vs.Translated {
		t.Errorf("parent of the route table's virtual service: %+v", vs.Parent)
	}
	if len(vs.Routes) != 1 || len(vs.Routes[0].Matches) != 5 || vs.Routes[0].Destinations[0] != (Destination{Host: "productpage.global", Port: 9080, InChain: true}) {
		t.Errorf("routes %+v", vs.Routes)
	}
	if vs.Routes[0].Matches[0] != "uri exact /productpage, from app=istio-ingressgateway,istio=ingressgateway" {
		t.Errorf("match %q", vs.Routes[0].Matches[0])
	}

	we := cl.WorkloadEntries[0]
	if we.Address != "172.23.0.6" || we.RemoteCluster != "cluster2" || we.Locality != "eu-west-1/eu-west-1a" || we.Ports["http-9080"] != 15443 {
		t.Errorf("workload entry %+v", we)
	}
	if !cl.ServiceEntries[0].Selects(we) {
		t.Error("the ServiceEntry selects its WorkloadEntry")
	}

	dr := cl.DestinationRules[0]
	p, ok := dr.PolicyFor(9080)
	if !ok || p.TLS.Mode != "ISTIO_MUTUAL" || len(p.TLS.SubjectAltNames) != 2 || !p.LocalityFailover() {
		t.Errorf("policy %+v", p)
	}
	od := p.OutlierDetection
	if od == nil || *od.Consecutive5xxErrors != 2 || od.Interval != "5s" || od.BaseEjectionTime != "30s" || od.MaxEjectionPercent != 100 {
		t.Errorf("outlier detection %+v", od)
	}
	if _, ok := dr.PolicyFor(9443); ok {
		t.Error("no policy applies to a port without settings when there is no rule-wide one")
	}
}

func TestBuildVirtualServicesOfAnyParent(t *testing.T) {
	objs := append(bookinfo(t), decode(t, "kind-cluster2", `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: by-hand, namespace: bookinfo-frontends}
spec:
  hosts: [productpage.global]
  http:
  - route:
    - {destination: {host: productpage.global}, weight: 90}
    - {destination: {host: productpage.bookinfo-frontends.svc.cluster.local}, weight: 10}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: elsewhere, namespace: bookinfo-frontends}
spec:
  hosts: [details]
  tcp:
  - route:
    - {destination: {host: details}}
`)...)
	ch := Build(FileInput("productpage", "bookinfo-frontends", objs))
	cl := ch.Cluster("cluster2")
	got := refs(cl.VirtualServices, func(x VirtualService) Ref { return x.Ref })
	want := []string{
		"kind-cluster2:VirtualService bookinfo-frontends/by-hand",
		"kind-cluster2:VirtualService istio-gateways/routetable-productpage-bookinfo-frontends-cluster2-gateways",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("virtual services %v", got)
	}
	byHand := cl.VirtualServices[0]
	if byHand.Parent != nil {
		t.Errorf("parent %+v", byHand.Parent)
	}
	d := byHand.Routes[0].Destinations
	if len(d) != 2 || !d[0].InChain || d[1].InChain || d[0].Weight != 90 {
		t.Errorf("destinations %+v", d)
	}
}

func TestBuildReadsEachObjectOnce(t *testing.T) {
	objs := bookinfo(t)
	objs = append(objs, objs...)
	ch := Build(Input{Name: "productpage", Namespace: "bookinfo-frontends", Objects: objs,
		Contexts: []Context{{Name: "kind-cluster1"}, {Name: "kind-cluster2"}}})
	cl := ch.Cluster("cluster1")
	if len(cl.ServiceEntries) != 1 || len(cl.VirtualServices) != 1 || len(ch.VirtualDestinations) != 1 {
		t.Errorf("duplicates kept: %d SE, %d VS, %d VD", len(cl.ServiceEntries), len(cl.VirtualServices), len(ch.VirtualDestinations))
	}
}

func TestBuildUnreadableContext(t *testing.T) {
	objs := read(t, "kind-cluster1", "../../examples/bookinfo/cluster1")
	ch := Build(Input{Name: "productpage", Namespace: "bookinfo-frontends", Objects: objs, Contexts: []Context{
		{Name: "kind-cluster1", GlooAPI: true, IstioAPI: true},
		{Name: "kind-cluster2", Error: "cannot reach https://127.0.0.1:1: connection refused"},
	}})
	if got := ch.ClusterNames(); !reflect.DeepEqual(got, []string{"cluster1", "kind-cluster2"}) {
		t.Fatalf("clusters %v", got)
	}
	if !ch.Cluster("kind-cluster2").Unreadable || ch.Cluster("cluster1").Unreadable {
		t.Error("unreadable")
	}
}

func TestRemoteCluster(t *testing.T) {
	we := func(name, network string, labels map[string]string) *WorkloadEntry {
		return &WorkloadEntry{Ref: Ref{Name: name}, Network: network, Labels: labels}
	}
	known := map[string]bool{"east": true, "west": true, "north": true}
	for _, tc := range []struct {
		we     *WorkloadEntry
		others []string
		want   string
	}{
		{we("a", "west", nil), []string{"north", "west"}, "west"},
		{we("a", "network2", map[string]string{LabelTopologyCluster: "north"}), []string{"north", "west"}, "north"},
		{we("vd-x-north-10-0-0-1", "", nil), []string{"north", "west"}, "north"},
		{we("a", "", nil), []string{"west"}, "west"},
		{we("a", "", nil), []string{"north", "west"}, ""},
	} {
		if got := remoteCluster(tc.we, "east", tc.others, known); got != tc.want {
			t.Errorf("%+v among %v: got %q, want %q", tc.we, tc.others, got, tc.want)
		}
	}
}

func TestPolicyForDoesNotInherit(t *testing.T) {
	objs := decode(t, "c", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: r, namespace: "n"}
spec:
  host: x.global
  trafficPolicy:
    outlierDetection: {consecutiveErrors: 3, baseEjectionTime: 90s, interval: 1m}
    loadBalancer: {simple: LEAST_REQUEST}
    portLevelSettings:
    - port: {number: 80}
      loadBalancer: {localityLbSetting: {failover: [{from: us-east-1, to: eu-west-1}]}}
`)
	dr := newDestinationRule(objs[0])
	if dr.Error != "" {
		t.Fatal(dr.Error)
	}
	top, _ := dr.PolicyFor(443)
	if top.Port != 0 || top.LoadBalancer.Simple != "LEAST_REQUEST" || *top.OutlierDetection.Consecutive5xxErrors != 3 ||
		top.OutlierDetection.BaseEjectionTime != "90s" || top.OutlierDetection.Interval != "1m" {
		t.Errorf("rule-wide policy %+v %+v", top, top.OutlierDetection)
	}
	p, _ := dr.PolicyFor(80)
	if p.Port != 80 || p.OutlierDetection != nil || !p.LocalityFailover() || p.LoadBalancer.Locality.Failover[0].To != "eu-west-1" {
		t.Errorf("port policy %+v", p)
	}
	if p.Scope() != "port 80" || top.Scope() != "all ports" {
		t.Errorf("scopes %q %q", p.Scope(), top.Scope())
	}
}

func TestDecodeErrorIsKept(t *testing.T) {
	objs := decode(t, "c", `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: s, namespace: "n"}
spec: {hosts: x.global}
`)
	se := newServiceEntry(objs[0])
	if !strings.HasPrefix(se.Error, "spec cannot be read: ") || strings.Contains(se.Error, "\n") {
		t.Errorf("error %q", se.Error)
	}
}

func TestFileInput(t *testing.T) {
	objs := decode(t, "", `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: s
  namespace: "n"
  labels: {context.mesh.gloo.solo.io/cluster: east, gloo.solo.io/parent_name: v, gloo.solo.io/parent_namespace: "n"}
spec: {hosts: [a.global]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: s
  namespace: "n"
  labels: {context.mesh.gloo.solo.io/cluster: east, gloo.solo.io/parent_name: v, gloo.solo.io/parent_namespace: "n"}
spec: {hosts: [b.global]}
---
apiVersion: networking.gloo.solo.io/v2
kind: VirtualDestination
metadata: {name: v, namespace: "n"}
`)
	in := FileInput("v", "n", objs)
	if len(in.Objects) != 2 {
		t.Fatalf("objects %d", len(in.Objects))
	}
	if in.Objects[0].Context != "east" {
		t.Errorf("context %q", in.Objects[0].Context)
	}
	hosts, _, _ := unstructuredHosts(in.Objects[0])
	if hosts != "b.global" {
		t.Errorf("the later object wins: %s", hosts)
	}
	want := []Context{{Name: "", GlooAPI: true}, {Name: "east", IstioAPI: true}}
	if !reflect.DeepEqual(in.Contexts, want) {
		t.Errorf("contexts %+v", in.Contexts)
	}
}

func unstructuredHosts(o source.Object) (string, bool, error) {
	h, ok := o.Obj.Object["spec"].(map[string]any)["hosts"].([]any)
	if !ok || len(h) == 0 {
		return "", false, nil
	}
	return h[0].(string), true, nil
}

func TestHostsAndExportTo(t *testing.T) {
	for _, tc := range []struct {
		host, declared string
		want           bool
	}{
		{"productpage.global", "productpage.global", true},
		{"Productpage.Global", "productpage.global", true},
		{"productpage.global", "*.global", true},
		{"productpage.global", "reviews.global", false},
		{"global", "*.global", false},
	} {
		if got := HostMatches(tc.host, tc.declared); got != tc.want {
			t.Errorf("HostMatches(%q, %q) = %v", tc.host, tc.declared, got)
		}
	}
	for _, tc := range []struct {
		exportTo []string
		ns       string
		want     bool
	}{
		{nil, "any", true},
		{[]string{"*"}, "any", true},
		{[]string{"."}, "own", true},
		{[]string{"."}, "other", false},
		{[]string{"~"}, "own", false},
		{[]string{"a", "b"}, "b", true},
		{[]string{"a", "b"}, "c", false},
	} {
		if got := ExportedTo(tc.exportTo, "own", tc.ns); got != tc.want {
			t.Errorf("ExportedTo(%v, own, %s) = %v", tc.exportTo, tc.ns, got)
		}
	}
	if TrustDomain("spiffe://cluster1/ns/a/sa/b") != "cluster1" || TrustDomain("cluster1/ns/a") != "" {
		t.Error("TrustDomain")
	}
}

// TestFileInputKeepsWhatBuildUses reads a snapshot object by object: only
// what Build uses is kept, and the chain is the one built from every
// object.
func TestFileInputKeepsWhatBuildUses(t *testing.T) {
	objs := bookinfo(t)
	// A context whose only objects are not translations of the
	// VirtualDestination is still named after its Gloo cluster.
	objs = append(objs, decode(t, "kind-cluster3", `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: other
  namespace: bookinfo-frontends
  labels: {context.mesh.gloo.solo.io/cluster: cluster3}
spec: {hosts: [other.global]}
`)...)
	b := NewFileInput("productpage", "bookinfo-frontends")
	for _, o := range objs {
		b.Add(o)
	}
	in := b.Input()
	for _, o := range in.Objects {
		if !isVirtualDestination(o, "productpage", "bookinfo-frontends") && !translatedFrom(o, "productpage", "bookinfo-frontends") && o.Kind() != KindVirtualService {
			t.Errorf("kept %s %s/%s", o.Kind(), o.Namespace(), o.Name())
		}
	}
	if len(in.Objects) >= len(objs)/2 {
		t.Errorf("kept %d of %d objects", len(in.Objects), len(objs))
	}
	all := Input{Name: "productpage", Namespace: "bookinfo-frontends", Objects: objs, Contexts: in.Contexts}
	got, want := Build(in), Build(all)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("chain from the kept objects differs from the chain of all objects:\n got %+v\nwant %+v", got.Contexts, want.Contexts)
	}
	if c := got.Contexts[len(got.Contexts)-1]; c.Name != "kind-cluster3" || c.Cluster != "cluster3" {
		t.Errorf("context %+v", c)
	}
}

// Objects of a file that names neither their context nor their Gloo
// cluster are in the cluster "-", never one with an empty name.
func TestBuildUnplacedObjects(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry",
		"metadata": map[string]any{"name": "a", "namespace": "ns1", "labels": map[string]any{
			"gloo.solo.io/parent_name": "pp", "gloo.solo.io/parent_namespace": "ns1", "gloo.solo.io/parent_kind": "VirtualDestination"}},
		"spec": map[string]any{"hosts": []any{"a.global"}},
	}}
	ch := Build(Input{Name: "pp", Namespace: "ns1", Objects: []source.Object{{Obj: u}}})
	if got := ch.ClusterNames(); !reflect.DeepEqual(got, []string{UnnamedCluster}) {
		t.Errorf("clusters %q", got)
	}
}

// TestFileInputKeepsOtherRulesOfTheHosts: DestinationRules and
// ServiceEntries of other parents wait until the files are read; those
// naming a host of the chain are kept, the last read of each.
func TestFileInputKeepsOtherRulesOfTheHosts(t *testing.T) {
	objs := bookinfo(t)
	objs = append(objs, decode(t, "cluster1", `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mine, namespace: bookinfo-frontends}
spec: {host: productpage.global, trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: other, namespace: bookinfo-frontends}
spec: {host: other.global}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: mine, namespace: bookinfo-backends}
spec: {hosts: [Productpage.Global], ports: [{name: tcp, number: 9080, protocol: TCP}]}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mine, namespace: bookinfo-frontends}
spec: {host: productpage.global, trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}}
`)...)
	b := NewFileInput("productpage", "bookinfo-frontends")
	for _, o := range objs {
		b.Add(o)
	}
	ch := Build(b.Input())
	cl := ch.Cluster("cluster1")
	if len(cl.OtherDestinationRules) != 1 || cl.OtherDestinationRules[0].Ref.Name != "mine" || len(cl.OtherServiceEntries) != 1 {
		t.Fatalf("other rules %+v, entries %+v", cl.OtherDestinationRules, cl.OtherServiceEntries)
	}
	if lb := cl.OtherDestinationRules[0].Policies[0].LoadBalancer; lb == nil || lb.Simple != "LEAST_REQUEST" {
		t.Errorf("the last read of the rule is not the one kept: %+v", lb)
	}
	if len(cl.OtherServiceEntries[0].Ports) != 1 || cl.OtherServiceEntries[0].Ports[0].Number != 9080 {
		t.Errorf("entry %+v", cl.OtherServiceEntries[0])
	}
}
