// Package mesh is one context's Istio and Kubernetes configuration, typed
// (istio.io/client-go and k8s.io/api objects), and the questions trace,
// drift and failover ask of it: which endpoints stand behind a host and
// port as a proxy of a namespace sees it, with their localities; which
// DestinationRule is in scope. It reads no cluster: pkg/source lists the
// objects (live or from files) and FromObjects types them.
package mesh

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Config is the configuration of one context.
type Config struct {
	// Context is the kube context, or the context files give their objects.
	Context string
	// Cluster is the Gloo (and Istio) cluster name when the objects say it.
	Cluster string

	VirtualServices  []*networkingv1.VirtualService
	DestinationRules []*networkingv1.DestinationRule
	ServiceEntries   []*networkingv1.ServiceEntry
	WorkloadEntries  []*networkingv1.WorkloadEntry
	Gateways         []*networkingv1.Gateway
	Sidecars         []*networkingv1.Sidecar

	Services       []*corev1.Service
	EndpointSlices []*discoveryv1.EndpointSlice
	Pods           []*corev1.Pod
	Nodes          []*corev1.Node

	nodes map[string]*corev1.Node
}

// FromObjects types the objects of one context. Objects of other kinds are
// ignored; an object that does not decode is left out and named in the
// errors, so that one bad object does not hide the rest.
func FromObjects(context string, objs []source.Object) (*Config, []error) {
	c := &Config{Context: context}
	var errs []error
	for _, o := range objs {
		if c.Cluster == "" {
			c.Cluster = source.GlooCluster(o)
		}
		if err := c.add(o); err != nil {
			errs = append(errs, fmt.Errorf("%s %s/%s: %w", o.Kind(), o.Namespace(), o.Name(), err))
		}
	}
	c.sort()
	c.nodes = make(map[string]*corev1.Node, len(c.Nodes))
	for _, n := range c.Nodes {
		c.nodes[n.Name] = n
	}
	return c, errs
}

// add types one object by its group and kind.
func (c *Config) add(o source.Object) error {
	switch o.Group() {
	case "networking.istio.io":
		switch o.Kind() {
		case "VirtualService":
			x := &networkingv1.VirtualService{}
			if err := istioObject(o, x, &x.Spec); err != nil {
				return err
			}
			c.VirtualServices = append(c.VirtualServices, x)
		case "DestinationRule":
			x := &networkingv1.DestinationRule{}
			if err := istioObject(o, x, &x.Spec); err != nil {
				return err
			}
			c.DestinationRules = append(c.DestinationRules, x)
		case "ServiceEntry":
			x := &networkingv1.ServiceEntry{}
			if err := istioObject(o, x, &x.Spec); err != nil {
				return err
			}
			c.ServiceEntries = append(c.ServiceEntries, x)
		case "WorkloadEntry":
			x := &networkingv1.WorkloadEntry{}
			if err := istioObject(o, x, &x.Spec); err != nil {
				return err
			}
			c.WorkloadEntries = append(c.WorkloadEntries, x)
		case "Gateway":
			x := &networkingv1.Gateway{}
			if err := istioObject(o, x, &x.Spec); err != nil {
				return err
			}
			c.Gateways = append(c.Gateways, x)
		case "Sidecar":
			x := &networkingv1.Sidecar{}
			if err := istioObject(o, x, &x.Spec); err != nil {
				return err
			}
			c.Sidecars = append(c.Sidecars, x)
		}
	case "":
		switch o.Kind() {
		case "Service":
			x := &corev1.Service{}
			if err := kubeObject(o, x); err != nil {
				return err
			}
			c.Services = append(c.Services, x)
		case "Pod":
			x := &corev1.Pod{}
			if err := kubeObject(o, x); err != nil {
				return err
			}
			c.Pods = append(c.Pods, x)
		case "Node":
			x := &corev1.Node{}
			if err := kubeObject(o, x); err != nil {
				return err
			}
			c.Nodes = append(c.Nodes, x)
		}
	case "discovery.k8s.io":
		if o.Kind() == "EndpointSlice" {
			x := &discoveryv1.EndpointSlice{}
			if err := kubeObject(o, x); err != nil {
				return err
			}
			c.EndpointSlices = append(c.EndpointSlices, x)
		}
	}
	return nil
}

// istioObject fills an istio.io/client-go object: its metadata through the
// unstructured converter, its spec through the lenient decoder model uses
// (Go durations accepted, unknown fields dropped, as istiod reads them).
func istioObject(o source.Object, obj runtime.Object, spec proto.Message) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(map[string]any{"metadata": o.Obj.Object["metadata"]}, obj); err != nil {
		return fmt.Errorf("metadata cannot be read: %w", err)
	}
	return model.DecodeSpec(o, spec)
}

func kubeObject(o source.Object, obj runtime.Object) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Obj.Object, obj); err != nil {
		return fmt.Errorf("cannot be read: %w", err)
	}
	return nil
}

func (c *Config) sort() {
	sortByName(c.VirtualServices, func(x *networkingv1.VirtualService) (string, string) { return x.Namespace, x.Name })
	sortByName(c.DestinationRules, func(x *networkingv1.DestinationRule) (string, string) { return x.Namespace, x.Name })
	sortByName(c.ServiceEntries, func(x *networkingv1.ServiceEntry) (string, string) { return x.Namespace, x.Name })
	sortByName(c.WorkloadEntries, func(x *networkingv1.WorkloadEntry) (string, string) { return x.Namespace, x.Name })
	sortByName(c.Gateways, func(x *networkingv1.Gateway) (string, string) { return x.Namespace, x.Name })
	sortByName(c.Sidecars, func(x *networkingv1.Sidecar) (string, string) { return x.Namespace, x.Name })
	sortByName(c.Services, func(x *corev1.Service) (string, string) { return x.Namespace, x.Name })
	sortByName(c.EndpointSlices, func(x *discoveryv1.EndpointSlice) (string, string) { return x.Namespace, x.Name })
	sortByName(c.Pods, func(x *corev1.Pod) (string, string) { return x.Namespace, x.Name })
	sortByName(c.Nodes, func(x *corev1.Node) (string, string) { return x.Namespace, x.Name })
}

// sortByName orders by namespace and name so that every answer is stable
// whatever order the objects were listed in.
func sortByName[T any](xs []T, key func(T) (string, string)) {
	sort.SliceStable(xs, func(i, j int) bool {
		ni, mi := key(xs[i])
		nj, mj := key(xs[j])
		if ni != nj {
			return ni < nj
		}
		return mi < mj
	})
}
