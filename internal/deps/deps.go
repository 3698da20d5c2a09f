// Package deps keeps the modules the packages share pinned in go.mod while
// the packages that use them are written; it is removed once they are.
package deps

import (
	_ "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	_ "github.com/olekukonko/tablewriter"
	_ "istio.io/api/networking/v1"
	_ "istio.io/client-go/pkg/apis/networking/v1"
	_ "k8s.io/cli-runtime/pkg/printers"
	_ "k8s.io/cli-runtime/pkg/resource"
	_ "k8s.io/client-go/tools/portforward"
	_ "k8s.io/client-go/transport/spdy"
	_ "sigs.k8s.io/yaml"
)
