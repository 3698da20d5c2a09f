package harness

import (
	"context"
	"fmt"
	"sort"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var (
	serviceGVR       = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	endpointSliceGVR = schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}
)

// endpointSliceManager marks the slices the harness writes, in place of
// the controller-manager's endpointslice-controller.k8s.io.
const endpointSliceManager = "kubectl-vd-e2e-harness"

// WriteEndpointSlices does once what the controller-manager's EndpointSlice
// controller does continuously, which these clusters lack: for every
// Service with a selector, one EndpointSlice (IPv4) holding the selected
// pods that run on a node, with their IP, readiness, node and the node's
// zone, and the Service's ports resolved to the pods' container ports. It
// first waits (up to a minute) until every selected pod that names a node
// has an IP. Call it again after changing Services or pods.
func (e *Env) WriteEndpointSlices(ctx context.Context, context string) error {
	c, err := e.cluster(context)
	if err != nil {
		return err
	}
	svcs, err := c.dyn.Resource(serviceGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	zones, err := nodeZones(ctx, c)
	if err != nil {
		return err
	}
	var slices []*unstructured.Unstructured
	for i := range svcs.Items {
		svc := &svcs.Items[i]
		sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
		if len(sel) == 0 {
			continue
		}
		pods, err := selectedPods(ctx, c, svc.GetNamespace(), sel)
		if err != nil {
			return err
		}
		slices = append(slices, endpointSlice(svc, pods, zones))
	}
	return e.applyObjects(context, slices)
}

func nodeZones(ctx context.Context, c *cluster) (map[string]string, error) {
	nodes, err := c.dyn.Resource(nodeGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, n := range nodes.Items {
		out[n.GetName()] = n.GetLabels()["topology.kubernetes.io/zone"]
	}
	return out, nil
}

// selectedPods lists the pods a selector picks that run on a node, waiting
// until kwok gave each an IP.
func selectedPods(ctx context.Context, c *cluster, namespace string, sel map[string]string) ([]unstructured.Unstructured, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		list, err := c.dyn.Resource(podGVR).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(sel).String()})
		if err != nil {
			return nil, err
		}
		var out []unstructured.Unstructured
		waiting := ""
		for _, p := range list.Items {
			node, _, _ := unstructured.NestedString(p.Object, "spec", "nodeName")
			if node == "" || p.GetDeletionTimestamp() != nil {
				continue
			}
			if ip, _, _ := unstructured.NestedString(p.Object, "status", "podIP"); ip == "" {
				waiting = p.GetName()
			}
			out = append(out, p)
		}
		if waiting == "" {
			sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: pod %s/%s has no IP after a minute", c.name, namespace, waiting)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func endpointSlice(svc *unstructured.Unstructured, pods []unstructured.Unstructured, zones map[string]string) *unstructured.Unstructured {
	svcPorts, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	var ports []any
	for _, sp := range svcPorts {
		m, _ := sp.(map[string]any)
		port := map[string]any{"protocol": "TCP"}
		if n, ok := m["name"].(string); ok {
			port["name"] = n
		}
		if p, ok := m["protocol"].(string); ok {
			port["protocol"] = p
		}
		port["port"] = targetPort(m, pods)
		if ap, ok := m["appProtocol"].(string); ok {
			port["appProtocol"] = ap
		}
		ports = append(ports, port)
	}
	var endpoints []any
	for _, p := range pods {
		ip, _, _ := unstructured.NestedString(p.Object, "status", "podIP")
		node, _, _ := unstructured.NestedString(p.Object, "spec", "nodeName")
		ep := map[string]any{
			"addresses":  []any{ip},
			"conditions": map[string]any{"ready": podReady(p), "serving": podReady(p), "terminating": false},
			"nodeName":   node,
			"targetRef":  map[string]any{"kind": "Pod", "namespace": p.GetNamespace(), "name": p.GetName(), "uid": string(p.GetUID())},
		}
		if z := zones[node]; z != "" {
			ep["zone"] = z
		}
		endpoints = append(endpoints, ep)
	}
	obj := map[string]any{
		"apiVersion":  "discovery.k8s.io/v1",
		"kind":        "EndpointSlice",
		"addressType": "IPv4",
		"metadata": map[string]any{
			"name":      svc.GetName() + "-e2e",
			"namespace": svc.GetNamespace(),
			"labels": map[string]any{
				"kubernetes.io/service-name":             svc.GetName(),
				"endpointslice.kubernetes.io/managed-by": endpointSliceManager,
			},
			"ownerReferences": []any{map[string]any{
				"apiVersion": "v1", "kind": "Service", "name": svc.GetName(), "uid": string(svc.GetUID()),
				"controller": true, "blockOwnerDeletion": true,
			}},
		},
		"ports": ports,
	}
	if endpoints != nil {
		obj["endpoints"] = endpoints
	}
	return &unstructured.Unstructured{Object: obj}
}

// targetPort resolves a Service port's targetPort: a number as it is, a
// name through the first selected pod's container port of that name.
func targetPort(svcPort map[string]any, pods []unstructured.Unstructured) int64 {
	port, _ := svcPort["port"].(int64)
	tp, ok := svcPort["targetPort"]
	if !ok {
		return port
	}
	var v intstr.IntOrString
	switch t := tp.(type) {
	case int64:
		return t
	case string:
		v = intstr.FromString(t)
	default:
		return port
	}
	for _, p := range pods {
		containers, _, _ := unstructured.NestedSlice(p.Object, "spec", "containers")
		for _, ct := range containers {
			cm, _ := ct.(map[string]any)
			cps, _ := cm["ports"].([]any)
			for _, cp := range cps {
				cpm, _ := cp.(map[string]any)
				if cpm["name"] == v.StrVal {
					if n, ok := cpm["containerPort"].(int64); ok {
						return n
					}
				}
			}
		}
	}
	return port
}

func podReady(p unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
	for _, cond := range conds {
		cm, _ := cond.(map[string]any)
		if cm["type"] == "Ready" {
			return cm["status"] == "True"
		}
	}
	return false
}
