//go:build tools

// Package tools pins the version of Istio whose control plane
// (pilot-discovery) the end-to-end harness builds and runs in each test
// cluster. It lives in its own module so that the plugin's go.mod never
// depends on istio.io/istio.
package tools

import (
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
