package source

import (
	"testing"

	"github.com/kubectl-vd/kubectl-vd/internal/istiocrds"
)

// The checked-in Istio resource names are what `go generate ./pkg/source`
// writes from the istio.io/api version go.mod requires.
func TestIstioResourcesAreCurrent(t *testing.T) {
	istiocrds.CheckGenerated(t, "./internal/genresources", "istio_resources.go")
}
