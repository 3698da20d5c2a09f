package source

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// The reads of a proxy's pod (POD, deploy/NAME, -l SELECTOR), typed, each
// request bounded by the context's request timeout.

// Pod gets one pod.
func Pod(ctx context.Context, c *kube.Cluster, namespace, name string) (*corev1.Pod, error) {
	return withClientset(ctx, c, func(ctx context.Context, cs kubernetes.Interface) (*corev1.Pod, error) {
		return cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	})
}

// Deployment gets one deployment.
func Deployment(ctx context.Context, c *kube.Cluster, namespace, name string) (*appsv1.Deployment, error) {
	return withClientset(ctx, c, func(ctx context.Context, cs kubernetes.Interface) (*appsv1.Deployment, error) {
		return cs.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
	})
}

// Pods lists the pods of a namespace that a label selector matches, page
// by page.
func Pods(ctx context.Context, c *kube.Cluster, namespace, selector string) ([]corev1.Pod, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	err = eachPage(ctx, c, selector, func(ctx context.Context, opts metav1.ListOptions) (string, error) {
		list, err := cs.CoreV1().Pods(namespace).List(ctx, opts)
		if err != nil {
			return "", err
		}
		out = append(out, list.Items...)
		return list.Continue, nil
	})
	return out, err
}

// withClientset runs one request of Kubernetes' typed clientset.
func withClientset[T any](ctx context.Context, c *kube.Cluster, request func(context.Context, kubernetes.Interface) (T, error)) (T, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		var zero T
		return zero, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	return request(ctx, cs)
}

// eachPage runs a list page by page (pageSize objects a page, each page
// bounded by the context's request timeout) until the server says there
// is no more; list returns the page's continue token.
func eachPage(ctx context.Context, c *kube.Cluster, selector string, list func(context.Context, metav1.ListOptions) (string, error)) error {
	opts := metav1.ListOptions{LabelSelector: selector, Limit: pageSize}
	for {
		pctx, cancel := context.WithTimeout(ctx, c.Timeout)
		next, err := list(pctx, opts)
		cancel()
		if err != nil || next == "" {
			return err
		}
		opts.Continue = next
	}
}
