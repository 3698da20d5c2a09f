package source

import (
	"context"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// MeshResources are what a proxy's configuration is computed from: Istio's
// networking objects and the Kubernetes objects they select (pkg/mesh types
// them).
var MeshResources = []string{
	"virtualservices.networking.istio.io",
	"destinationrules.networking.istio.io",
	"serviceentries.networking.istio.io",
	"workloadentries.networking.istio.io",
	"gateways.networking.istio.io",
	"sidecars.networking.istio.io",
	"services",
	"endpointslices.discovery.k8s.io",
	"pods",
	"nodes",
}

// MeshConfigs reads every object of MeshResources, in all namespaces, in
// every context concurrently, with the same per-context timeout, cancel and
// RBAC fallback (to namespaces, the namespaces given) as the translations.
// One failing context never hides the others; what a context could not read
// is in its Gaps.
func MeshConfigs(ctx context.Context, f *kube.Flags, contexts []string, namespaces []string) []ContextResult {
	q := Query{Everything: true, AllResources: true, Resources: MeshResources, SearchNamespaces: namespaces}
	return TranslationsOf(ctx, f, contexts, q)
}
