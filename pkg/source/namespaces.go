package source

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fallback records the namespaces read one by one when a cluster-wide list
// was forbidden.
type fallback struct {
	readable, forbidden []string
}

// acrossNamespaces is the one RBAC fallback of every cluster read: list is
// run across all namespaces; when RBAC forbids that for a namespaced
// resource, it is run in each of namespaces instead (those the user names
// and may be allowed to read), and the fallback says which could be read.
// A nil fallback means the cluster-wide list answered.
func acrossNamespaces(namespaced bool, namespaces []string, list func(namespace string) error) (*fallback, error) {
	err := list(metav1.NamespaceAll)
	if err == nil || !apierrors.IsForbidden(err) || !namespaced {
		return nil, err
	}
	fb := &fallback{}
	for _, ns := range namespaces {
		if err := list(ns); err != nil {
			if apierrors.IsForbidden(err) {
				fb.forbidden = append(fb.forbidden, ns)
				continue
			}
			return nil, err
		}
		fb.readable = append(fb.readable, ns)
	}
	return fb, nil
}
