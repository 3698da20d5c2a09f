package drift

import (
	"reflect"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestCompare(t *testing.T) {
	actual := State{
		"a": {Name: "a", Fields: Fields{"x": "1", "y": "2", "endpoints[1.1.1.1:80].priority": "0"}},
		"b": {Name: "b", Fields: Fields{}},
	}
	expected := State{
		"a": {Name: "a", Fields: Fields{"x": "1", "y": "3", "z": "4"}},
		"c": {Name: "c", Fields: Fields{}},
	}
	got := Compare(actual, expected)
	want := []Difference{
		{Cluster: "a", Field: "y", Proxy: "2", Expected: "3"},
		{Cluster: "a", Field: "z", Proxy: Absent, Expected: "4"},
		{Cluster: "a", Field: "endpoints[1.1.1.1:80].priority", Proxy: "0", Expected: Absent},
		{Cluster: "b", Proxy: "present", Expected: Absent},
		{Cluster: "c", Proxy: Absent, Expected: "present"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestAcross(t *testing.T) {
	st := func(v string) State {
		return State{"c": {Name: "c", Fields: Fields{"od": v, "same": "x", "endpoints[a].priority": v}}}
	}
	holders := []Holder{{"cluster1", "ns/a", st("2")}, {"cluster1", "ns/b", st("2")}, {"cluster2", "ns/a", st("5")}}
	got := Across(holders)
	want := []Disagreement{{Cluster: "c", Field: "od", Values: map[string]string{"cluster1 ns/a": "2", "cluster1 ns/b": "2", "cluster2 ns/a": "5"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if Across(holders[:2]) != nil {
		t.Error("one context: nothing to compare across")
	}
	if got := valuesLine(want[0].Values); got != "2 (cluster1 ns/a, cluster1 ns/b); 5 (cluster2 ns/a)" {
		t.Errorf("valuesLine = %q", got)
	}
}

func TestProxyOf(t *testing.T) {
	md, _ := structpb.NewStruct(map[string]any{
		"CLUSTER_ID": "cluster1", "NETWORK": "n1",
		"LABELS": map[string]any{"topology.kubernetes.io/region": "r", "topology.kubernetes.io/zone": "z", "app": "x"},
	})
	p := ProxyOf(&corev3.Node{Id: "sidecar~10.0.0.1~pod-a.ns~ns.svc.cluster.local", Metadata: md})
	if p.Name != "pod-a" || p.Namespace != "ns" || p.Cluster != "cluster1" || p.Locality.String() != "r/z" || p.Network != "n1" {
		t.Errorf("got %+v", p)
	}
	// The node's own locality wins over the labels.
	p = ProxyOf(&corev3.Node{Metadata: md, Locality: &corev3.Locality{Region: "r2", Zone: "z2"}})
	if p.Locality.String() != "r2/z2" {
		t.Errorf("locality %s", p.Locality)
	}
}

func TestClusterName(t *testing.T) {
	if n := ClusterName(9080, "v1", "h.global"); n != "outbound|9080|v1|h.global" {
		t.Error(n)
	}
	port, subset, host, ok := ParseClusterName("outbound|9080||h.global")
	if !ok || port != 9080 || subset != "" || host != "h.global" {
		t.Error(port, subset, host, ok)
	}
	if _, _, _, ok := ParseClusterName("inbound|9080||"); ok {
		t.Error("inbound parsed")
	}
	keep := KeepHosts([]string{"h.global"})
	if !keep("outbound|80|v1|h.global") || keep("outbound|80||other") || keep("BlackHoleCluster") {
		t.Error("KeepHosts")
	}
}
