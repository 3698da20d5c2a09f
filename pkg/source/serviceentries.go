package source

import (
	"context"
	"fmt"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// ServiceEntryHosts reads the hosts of the ServiceEntries a label selector
// picks in every namespace of a cluster, with Istio's typed clientset at
// the version the server prefers, page by page. served is false when the
// cluster serves no ServiceEntries.
func ServiceEntryHosts(ctx context.Context, c *kube.Cluster, selector string) (hosts map[string]bool, served bool, err error) {
	gvr, served, err := PreferredResource(ctx, c, "networking.istio.io", "serviceentries")
	if err != nil || !served {
		return nil, served, err
	}
	cs, err := istioclient.NewForConfig(c.Config)
	if err != nil {
		return nil, true, err
	}
	hosts = map[string]bool{}
	err = eachPage(ctx, c, selector, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		return serviceEntryPage(ctx, cs, gvr.Version, opts, hosts)
	})
	if err != nil {
		return nil, true, err
	}
	return hosts, true, nil
}

// serviceEntryPage reads one page at a version, adds its hosts, and returns
// the continue token.
func serviceEntryPage(ctx context.Context, cs istioclient.Interface, version string, opts metav1.ListOptions, hosts map[string]bool) (string, error) {
	add := func(hs []string) {
		for _, h := range hs {
			hosts[h] = true
		}
	}
	switch version {
	case "v1":
		l, err := cs.NetworkingV1().ServiceEntries(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, se := range l.Items {
			add(se.Spec.GetHosts())
		}
		return l.Continue, nil
	case "v1beta1":
		l, err := cs.NetworkingV1beta1().ServiceEntries(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, se := range l.Items {
			add(se.Spec.GetHosts())
		}
		return l.Continue, nil
	case "v1alpha3":
		l, err := cs.NetworkingV1alpha3().ServiceEntries(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return "", err
		}
		for _, se := range l.Items {
			add(se.Spec.GetHosts())
		}
		return l.Continue, nil
	}
	return "", fmt.Errorf("ServiceEntries are served at %s, which this plugin does not read", version)
}
