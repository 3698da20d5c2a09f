package complete

import (
	"context"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/spf13/cobra"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const (
	istioNetworkingGroup = "networking.istio.io"
	glooNetworkingGroup  = "networking.gloo.solo.io"
)

// labelledResources are the Istio resources whose parent_name labels name
// the parents: every Gloo parent that affects traffic yields at least one.
var labelledResources = []string{"serviceentries", "virtualservices", "destinationrules"}

var namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// ParentNames completes the first argument of a command with the names of
// the Gloo parents in the selected namespace (-n, else the context's), in
// every selected context: the gloo.solo.io/parent_name label values of the
// ServiceEntries, VirtualServices and DestinationRules translated from a
// parent of that namespace (wherever they live), plus the names of the
// networking.gloo.solo.io objects of that namespace where a context serves
// the Gloo API. The command's --kind flag, when set, narrows the kinds. Each
// name is described by its parent kind(s).
func ParentNames(flags *kube.Flags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		kinds := kindFilter(cmd)
		res := collect(flags, func(ctx context.Context, t target, add func(string, string)) {
			parentNames(ctx, t, kinds, add)
		})
		return res.completions(toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// kindFilter reads the canonical parent kinds of the command's --kind flag.
func kindFilter(cmd *cobra.Command) []string {
	if cmd == nil {
		return nil
	}
	f := cmd.Flag("kind")
	if f == nil || !f.Changed {
		return nil
	}
	var values []string
	if sv, ok := f.Value.(interface{ GetSlice() []string }); ok {
		values = sv.GetSlice()
	} else {
		values = []string{f.Value.String()}
	}
	kinds, err := source.ParseKinds(values)
	if err != nil {
		return nil
	}
	return kinds
}

func parentNames(ctx context.Context, t target, kinds []string, add func(string, string)) {
	groups, err := t.cluster.Discovery.ServerGroups()
	if err != nil || ctx.Err() != nil {
		return
	}
	preferred := map[string]string{}
	for _, g := range groups.Groups {
		preferred[g.Name] = g.PreferredVersion.Version
	}

	var wg sync.WaitGroup
	if v := preferred[istioNetworkingGroup]; v != "" {
		sel := parentSelector(t.namespace, kinds)
		for _, r := range labelledResources {
			wg.Add(1)
			go func() {
				defer wg.Done()
				labelled(ctx, t, schema.GroupVersionResource{Group: istioNetworkingGroup, Version: v, Resource: r}, sel, add)
			}()
		}
	}
	// The Gloo objects themselves, where the context serves them (the
	// management cluster): the networking group, and the groups of the
	// kinds --kind asks for.
	glooGroups := map[string]bool{glooNetworkingGroup: true}
	wanted := map[string]bool{}
	for _, k := range kinds {
		wanted[k] = true
		for _, pk := range source.ParentKinds {
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			rl, err := t.cluster.Discovery.ServerResourcesForGroupVersion(g + "/" + v)
			if err != nil {
				return
			}
			for _, r := range rl.APIResources {
				if strings.Contains(r.Name, "/") || !r.Namespaced || !isParentKind(r.Kind, g) {
					continue
				}
				if len(wanted) > 0 && !wanted[r.Kind] {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					gvr := schema.GroupVersionResource{Group: g, Version: v, Resource: r.Name}
					list, err := t.meta.Resource(gvr).Namespace(t.namespace).List(ctx, listOptions(""))
					if err != nil {
						return
					}
					for _, item := range list.Items {
						add(item.Name, r.Kind)
					}
				}()
			}
		}()
	}
	wg.Wait()
}

// labelled adds the parent names found on one resource's translated
// objects, listed across all namespaces, or in the parent's namespace when a
// cluster-wide list is forbidden.
func labelled(ctx context.Context, t target, gvr schema.GroupVersionResource, selector string, add func(string, string)) {
	list, err := t.meta.Resource(gvr).List(ctx, listOptions(selector))
	if apierrors.IsForbidden(err) {
		list, err = t.meta.Resource(gvr).Namespace(t.namespace).List(ctx, listOptions(selector))
	}
	if err != nil {
		return
	}
	for _, item := range list.Items {
		add(item.Labels[source.LabelParentName], item.Labels[source.LabelParentKind])
	}
}

// parentSelector selects the objects translated from a parent of namespace
// ns, of one of kinds when given.
func parentSelector(ns string, kinds []string) string {
	sel := labels.NewSelector()
	if r, err := labels.NewRequirement(source.LabelParentName, selection.Exists, nil); err == nil {
		sel = sel.Add(*r)
	}
	if r, err := labels.NewRequirement(source.LabelParentNamespace, selection.Equals, []string{ns}); err == nil {
		sel = sel.Add(*r)
	}
	if len(kinds) > 0 {
		if r, err := labels.NewRequirement(source.LabelParentKind, selection.In, kinds); err == nil {
			sel = sel.Add(*r)
		}
	}
	return sel.String()
}

func isParentKind(kind, group string) bool {
	for _, pk := range source.ParentKinds {
		if pk.Kind == kind && pk.Group == group {
			return true
		}
	}
	return false
}

// listOptions asks for metadata only (the metadata client's Accept header
// does the rest) with an optional label selector.
func listOptions(selector string) metav1.ListOptions {
	return metav1.ListOptions{LabelSelector: selector}
}

// Kinds completes --kind with the parent kinds kubectl-vd knows and their
// short names. For a comma-separated list ("vd,r") it completes the last
// element.
func Kinds(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	prefix, last := splitList(toComplete)
	var out []cobra.Completion
	for _, pk := range source.ParentKinds {
		group := pk.Group
		if group == "" {
			group = "core"
		}
		if strings.HasPrefix(pk.Kind, last) {
			out = append(out, cobra.CompletionWithDesc(prefix+pk.Kind, group))
		}
		if short := shortName(pk); short != "" && strings.HasPrefix(short, last) {
			out = append(out, cobra.CompletionWithDesc(prefix+short, pk.Kind))
		}
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// shortName is the short alias of a parent kind (vd, rt...), if it has one.
func shortName(pk source.ParentKind) string {
	if len(pk.Aliases) > 0 && len(pk.Aliases[0]) <= 4 {
		return pk.Aliases[0]
	}
	return ""
}

// IstioResources completes --resources with the resources of the *.istio.io
// API groups the selected contexts serve (from kubectl's discovery cache),
// each described by its kind. For a comma-separated list
// ("serviceentries,d") it completes the last element.
func IstioResources(flags *kube.Flags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		prefix, _ := splitList(toComplete)
		res := collect(flags, func(ctx context.Context, t target, add func(string, string)) {
			resources, _, err := source.Discover(ctx, t.cluster, false)
			if err != nil {
				return
			}
			for _, r := range resources {
				add(prefix+r.GVR.Resource, r.Kind+" ("+r.GVR.Group+")")
			}
		})
		return res.completions(toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}
