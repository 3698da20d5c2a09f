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
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	return cs.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
}

// Deployment gets one deployment.
func Deployment(ctx context.Context, c *kube.Cluster, namespace, name string) (*appsv1.Deployment, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	return cs.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
}

// Pods lists the pods of a namespace that a label selector matches, page
// by page.
func Pods(ctx context.Context, c *kube.Cluster, namespace, selector string) ([]corev1.Pod, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	opts := metav1.ListOptions{LabelSelector: selector, Limit: pageSize}
	for {
		lctx, cancel := context.WithTimeout(ctx, c.Timeout)
		list, err := cs.CoreV1().Pods(namespace).List(lctx, opts)
		cancel()
		if err != nil {
			return nil, err
		}
		out = append(out, list.Items...)
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}
