package complete

import (
	"context"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/spf13/cobra"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

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
		res := collect(flags, func(ctx context.Context, t target, add func(string, string)) error {
			names, err := source.ParentNames(ctx, t.cluster, t.namespace, kinds)
			for _, n := range names {
				add(n.Name, n.Kind)
			}
			return err
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
		res := collect(flags, func(ctx context.Context, t target, add func(string, string)) error {
			resources, _, err := source.Discover(ctx, t.cluster, false)
			for _, r := range resources {
				add(prefix+r.GVR.Resource, r.Kind+" ("+r.GVR.Group+")")
			}
			return err
		})
		return res.completions(toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}
