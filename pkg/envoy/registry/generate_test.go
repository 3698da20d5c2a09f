package registry

import (
	"testing"

	"github.com/kubectl-vd/kubectl-vd/internal/istiocrds"
)

// The checked-in imports are what `go generate ./pkg/envoy/registry` writes
// from the go-control-plane, istio.io/api and cncf/xds versions go.mod
// requires: a bump without go generate is caught.
func TestAllIsCurrent(t *testing.T) {
	istiocrds.CheckGenerated(t, "./internal/genregistry", "all.go")
}
