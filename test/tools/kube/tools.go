//go:build tools

// Package tools pins the version of a test-only program that the end-to-end
// harness builds. It lives in its own module so that neither the plugin's
// go.mod nor the other tools' dependency graphs move it.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
