package complete

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

var (
	podsGVR        = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// workloadPrefixes are the forms of "deploy/NAME" the proxy commands accept.
var workloadPrefixes = []string{"deploy/", "deployment/", "deployments/"}

// Pods completes the first argument of the proxy commands (clusters,
// endpoints) with the pods of the selected namespace, or, once the user has
// typed "deploy/", with its deployments. Pods with an injected sidecar are
// described as "sidecar", gateway pods by their istio label.
func Pods(flags *kube.Flags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		for _, p := range workloadPrefixes {
			if strings.HasPrefix(toComplete, p) {
				res := collect(flags, func(ctx context.Context, t target, add func(string, string)) error {
					items, err := source.ListMetadata(ctx, t.cluster, deploymentsGVR, t.namespace, "")
					for _, item := range items {
						add(p+item.Name, "")
					}
					return err
				})
				return res.completions(toComplete), cobra.ShellCompDirectiveNoFileComp
			}
		}
		res := collect(flags, func(ctx context.Context, t target, add func(string, string)) error {
			items, err := source.ListMetadata(ctx, t.cluster, podsGVR, t.namespace, "")
			for _, item := range items {
				desc := ""
				if _, ok := item.Annotations["sidecar.istio.io/status"]; ok {
					desc = "sidecar"
				} else if v := item.Labels["istio"]; v != "" {
					desc = "istio=" + v
				}
				add(item.Name, desc)
			}
			return err
		})
		return res.completions(toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// PodFlags completes a flag naming a pod of -n and the flag naming its
// namespace, for commands whose argument is not the pod (it is the
// VirtualDestination).
func PodFlags(cmd *cobra.Command, flags *kube.Flags, pod, namespace string) {
	pods := Pods(flags)
	_ = cmd.RegisterFlagCompletionFunc(pod, func(c *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return pods(c, nil, toComplete)
	})
	_ = cmd.RegisterFlagCompletionFunc(namespace, Namespaces(flags))
}
