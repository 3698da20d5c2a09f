package source

import (
	"context"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/metadata"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// The reads of shell completion: names only, metadata-only lists (the
// server sends no specs), each page bounded by the context's request
// timeout.

// ListMetadata lists the metadata of one resource in one namespace ("" for
// all), page by page.
func ListMetadata(ctx context.Context, c *kube.Cluster, gvr schema.GroupVersionResource, namespace, selector string) ([]metav1.PartialObjectMetadata, error) {
	client, err := metadata.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	return listMetadata(ctx, c, client, gvr, namespace, selector)
}

func listMetadata(ctx context.Context, c *kube.Cluster, client metadata.Interface, gvr schema.GroupVersionResource, namespace, selector string) ([]metav1.PartialObjectMetadata, error) {
	var out []metav1.PartialObjectMetadata
	err := eachPage(ctx, c, selector, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := client.Resource(gvr).Namespace(namespace).List(ctx, opts)
		if err != nil {
			return "", err
		}
		out = append(out, list.Items...)
		return list.Continue, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParentName is a Gloo parent seen in a context: its name and kind.
type ParentName struct {
	Name, Kind string
}

// labelledResources are the Istio resources whose parent_name labels name
// the parents: every Gloo parent that affects traffic yields at least one.
var labelledResources = []string{"serviceentries", "virtualservices", "destinationrules"}

const (
	istioNetworkingGroup = "networking.istio.io"
	glooNetworkingGroup  = "networking.gloo.solo.io"
)

// ParentNames reads the names of the Gloo parents of namespace in one
// context: the parent_name label values of the ServiceEntries,
// VirtualServices and DestinationRules translated from a parent of that
// namespace (wherever they live: listed across all namespaces, or in
// namespace when RBAC forbids that), plus the networking.gloo.solo.io
// objects of the namespace where the context serves the Gloo API. kinds,
// when given, narrows the parent kinds. What cannot be read is left out:
// the names are suggestions.
func ParentNames(ctx context.Context, c *kube.Cluster, namespace string, kinds []string) ([]ParentName, error) {
	client, err := metadata.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	groups, err := c.Discovery.ServerGroups()
	if err != nil {
		return nil, err
	}
	preferred := map[string]string{}
	for _, g := range groups.Groups {
		preferred[g.Name] = g.PreferredVersion.Version
	}

	var mu sync.Mutex
	var out []ParentName
	add := func(name, kind string) {
		if name == "" {
			return
		}
		mu.Lock()
		out = append(out, ParentName{Name: name, Kind: kind})
		mu.Unlock()
	}
	var wg sync.WaitGroup
	if v := preferred[istioNetworkingGroup]; v != "" {
		sel := parentSelector(namespace, kinds)
		for _, r := range labelledResources {
			wg.Go(func() {
				gvr := schema.GroupVersionResource{Group: istioNetworkingGroup, Version: v, Resource: r}
				_, _ = acrossNamespaces(true, []string{namespace}, func(ns string) error {
					items, err := listMetadata(ctx, c, client, gvr, ns, sel)
					for _, item := range items {
						add(item.Labels[LabelParentName], item.Labels[LabelParentKind])
					}
					return err
				})
			})
		}
	}
	// The Gloo objects themselves, where the context serves them (the
	// management cluster): the networking group, and the groups of the
	// kinds asked for.
	glooGroups := map[string]bool{glooNetworkingGroup: true}
	wanted := map[string]bool{}
	for _, k := range kinds {
		wanted[k] = true
		for _, pk := range ParentKinds {
			if pk.Kind == k && strings.HasSuffix(pk.Group, "gloo.solo.io") {
				glooGroups[pk.Group] = true
			}
		}
	}
	for g := range glooGroups {
		v := preferred[g]
		if v == "" {
			continue
		}
		wg.Go(func() {
			rl, err := c.Discovery.ServerResourcesForGroupVersion(g + "/" + v)
			if err != nil {
				return
			}
			var inner sync.WaitGroup
			for _, r := range rl.APIResources {
				if strings.Contains(r.Name, "/") || !r.Namespaced || !isParentKind(r.Kind, g) {
					continue
				}
				if len(wanted) > 0 && !wanted[r.Kind] {
					continue
				}
				inner.Go(func() {
					gvr := schema.GroupVersionResource{Group: g, Version: v, Resource: r.Name}
					items, _ := listMetadata(ctx, c, client, gvr, namespace, "")
					for _, item := range items {
						add(item.Name, r.Kind)
					}
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()
	return out, nil
}

// parentSelector selects the objects translated from a parent of namespace
// ns, of one of kinds when given.
func parentSelector(ns string, kinds []string) string {
	sel := labels.NewSelector()
	if r, err := labels.NewRequirement(LabelParentName, selection.Exists, nil); err == nil {
		sel = sel.Add(*r)
	}
	if r, err := labels.NewRequirement(LabelParentNamespace, selection.Equals, []string{ns}); err == nil {
		sel = sel.Add(*r)
	}
	if len(kinds) > 0 {
		if r, err := labels.NewRequirement(LabelParentKind, selection.In, kinds); err == nil {
			sel = sel.Add(*r)
		}
	}
	return sel.String()
}

func isParentKind(kind, group string) bool {
	for _, pk := range ParentKinds {
		if pk.Kind == kind && pk.Group == group {
			return true
		}
	}
	return false
}
