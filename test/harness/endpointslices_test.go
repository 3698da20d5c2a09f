package harness

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func mustObject(t *testing.T, doc string) unstructured.Unstructured {
	t.Helper()
	// Through JSON, as the API server's answers: numbers are int64.
	data, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(data); err != nil {
		t.Fatal(err)
	}
	return u
}

// The slice of a Service holds its pods' IPs, readiness, nodes and zones,
// and its ports resolved to the pods' container ports, as the
// controller-manager's EndpointSlice controller writes them.
func TestEndpointSliceOfAService(t *testing.T) {
	svc := mustObject(t, `
apiVersion: v1
kind: Service
metadata: {name: gw, namespace: istio-gateways, uid: svc-uid}
spec:
  selector: {istio: ingressgateway}
  ports:
  - {name: http2, port: 80, targetPort: 8080}
  - {name: https, port: 443, targetPort: https-named, protocol: TCP}
  - {name: status, port: 15021}
`)
	ready := mustObject(t, `
apiVersion: v1
kind: Pod
metadata: {name: gw-a, namespace: istio-gateways, uid: a-uid}
spec:
  nodeName: node-a
  containers:
  - name: istio-proxy
    ports: [{name: https-named, containerPort: 8443}]
status:
  podIP: 10.0.1.1
  conditions: [{type: Ready, status: "True"}]
`)
	notReady := mustObject(t, `
apiVersion: v1
kind: Pod
metadata: {name: gw-b, namespace: istio-gateways, uid: b-uid}
spec: {nodeName: node-x}
status:
  podIP: 10.0.2.1
  conditions: [{type: Ready, status: "False"}]
`)
	got := endpointSlice(&svc, []unstructured.Unstructured{ready, notReady}, map[string]string{"node-a": "zone-a"})
	want := mustObject(t, `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
addressType: IPv4
metadata:
  name: gw-e2e
  namespace: istio-gateways
  labels:
    kubernetes.io/service-name: gw
    endpointslice.kubernetes.io/managed-by: kubectl-vd-e2e-harness
  ownerReferences:
  - {apiVersion: v1, kind: Service, name: gw, uid: svc-uid, controller: true, blockOwnerDeletion: true}
ports:
- {name: http2, port: 8080, protocol: TCP}
- {name: https, port: 8443, protocol: TCP}
- {name: status, port: 15021, protocol: TCP}
endpoints:
- addresses: [10.0.1.1]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: node-a
  zone: zone-a
  targetRef: {kind: Pod, namespace: istio-gateways, name: gw-a, uid: a-uid}
- addresses: [10.0.2.1]
  conditions: {ready: false, serving: false, terminating: false}
  nodeName: node-x
  targetRef: {kind: Pod, namespace: istio-gateways, name: gw-b, uid: b-uid}
`)
	gotYAML, _ := yaml.Marshal(got.Object)
	wantYAML, _ := yaml.Marshal(want.Object)
	if string(gotYAML) != string(wantYAML) {
		t.Errorf("slice:\n%s\nwant:\n%s", gotYAML, wantYAML)
	}
}
