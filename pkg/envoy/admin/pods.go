package admin

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Target is what the user names: a pod, a deployment (its first ready pod)
// or a label selector (the first ready pod it selects).
type Target struct {
	// Kind is "pod" or "deployment"; empty with Selector.
	Kind     string
	Name     string
	Selector string
}

// ParseTarget reads NAME, pod/NAME, deploy/NAME (and kubectl's other
// spellings of these two kinds), or takes a label selector.
func ParseTarget(arg, selector string) (Target, error) {
	if selector != "" {
		if arg != "" {
			return Target{}, fmt.Errorf("give a pod or -l/--selector, not both")
		}
		if _, err := labels.Parse(selector); err != nil {
			return Target{}, fmt.Errorf("invalid selector %q: %w", selector, err)
		}
		return Target{Selector: selector}, nil
	}
	kind, name := "pod", arg
	if k, n, ok := strings.Cut(arg, "/"); ok {
		switch strings.ToLower(k) {
		case "pod", "pods", "po":
			kind = "pod"
		case "deploy", "deployment", "deployments", "deployment.apps", "deployments.apps":
			kind = "deployment"
		default:
			return Target{}, fmt.Errorf("%q: only pods (NAME or pod/NAME) and deployments (deploy/NAME) can be read", arg)
		}
		name = n
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return Target{}, fmt.Errorf("invalid %s name %q: %s", kind, name, strings.Join(errs, "; "))
	}
	return Target{Kind: kind, Name: name}, nil
}

// String writes the target as the user would.
func (t Target) String() string {
	switch {
	case t.Selector != "":
		return "pods selected by " + t.Selector
	case t.Kind == "deployment":
		return "deploy/" + t.Name
	}
	return "pod/" + t.Name
}

// ResolvePod finds the pod to read in a namespace of a cluster. A named pod
// must be running; a deployment or a selector gives its first ready pod
// (by name). The reads are pkg/source's.
func ResolvePod(ctx context.Context, c *kube.Cluster, namespace string, t Target) (string, error) {
	switch {
	case t.Kind == "pod":
		pod, err := source.Pod(ctx, c, namespace, t.Name)
		if err != nil {
			if apierrors.IsNotFound(err) {
				return "", fmt.Errorf("pod %s/%s not found", namespace, t.Name)
			}
			return "", fmt.Errorf("pod %s/%s: %s", namespace, t.Name, source.Describe(err))
		}
		if pod.Status.Phase != corev1.PodRunning {
			return "", fmt.Errorf("pod %s/%s is not running (phase %s)", namespace, t.Name, phase(pod))
		}
		if pod.DeletionTimestamp != nil {
			return "", fmt.Errorf("pod %s/%s is terminating", namespace, t.Name)
		}
		return pod.Name, nil
	case t.Kind == "deployment":
		d, err := source.Deployment(ctx, c, namespace, t.Name)
		if err != nil {
			if apierrors.IsNotFound(err) {
				return "", fmt.Errorf("deployment %s/%s not found", namespace, t.Name)
			}
			return "", fmt.Errorf("deployment %s/%s: %s", namespace, t.Name, source.Describe(err))
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return "", fmt.Errorf("deployment %s/%s: invalid selector: %s", namespace, t.Name, err)
		}
		name, err := firstReadyPod(ctx, c, namespace, sel.String())
		if err != nil {
			return "", err
		}
		if name == "" {
			return "", fmt.Errorf("deployment %s/%s has no ready pod", namespace, t.Name)
		}
		return name, nil
	}
	name, err := firstReadyPod(ctx, c, namespace, t.Selector)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("no ready pod matches %s in namespace %s", t.Selector, namespace)
	}
	return name, nil
}

func phase(p *corev1.Pod) string {
	if p.Status.Phase == "" {
		return "unknown"
	}
	return string(p.Status.Phase)
}

func firstReadyPod(ctx context.Context, c *kube.Cluster, namespace, selector string) (string, error) {
	pods, err := source.Pods(ctx, c, namespace, selector)
	if err != nil {
		return "", fmt.Errorf("listing pods in %s: %s", namespace, source.Describe(err))
	}
	var ready []string
	for i := range pods {
		p := &pods[i]
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && isReady(p) {
			ready = append(ready, p.Name)
		}
	}
	sort.Strings(ready)
	if len(ready) == 0 {
		return "", nil
	}
	return ready[0], nil
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
