package printers

import (
	"testing"

	"github.com/kubectl-vd/kubectl-vd/internal/istiocrds"
)

// The checked-in printer columns are what `go generate ./pkg/printers`
// writes from the istio.io/api version go.mod requires.
func TestIstioColumnsAreCurrent(t *testing.T) {
	istiocrds.CheckGenerated(t, "./internal/gencolumns", "istio_columns.go")
}
