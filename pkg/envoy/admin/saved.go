package admin

import (
	"bytes"
	"context"
	"fmt"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

// Saved reads admin answers kept in memory (a bundle's): what a pod
// answered when it was read, decoded as the pod's answer is.
type Saved struct {
	// Name names the proxy in messages ("pod NAMESPACE/NAME").
	Name           string
	ConfigDumpJSON []byte
	ClustersJSON   []byte
}

var _ Source = (*Saved)(nil)

// ConfigDump decodes the saved /config_dump?include_eds; path is ignored:
// what the dump holds besides what opts asks for is skipped.
func (s *Saved) ConfigDump(_ context.Context, _ string, opts envoy.ReadOptions) (*envoy.Dump, error) {
	if s.ConfigDumpJSON == nil {
		return nil, fmt.Errorf("%s: no /config_dump was saved", s.Name)
	}
	d, err := envoy.ReadConfigDump(bytes.NewReader(s.ConfigDumpJSON), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: /config_dump: %s", s.Name, DescribeDecodeError(err))
	}
	return d, nil
}

// Clusters decodes the saved /clusters?format=json.
func (s *Saved) Clusters(_ context.Context, keepJSON bool) ([]envoy.ClusterStatus, error) {
	if s.ClustersJSON == nil {
		return nil, fmt.Errorf("%s: no /clusters?format=json was saved", s.Name)
	}
	cs, err := envoy.ReadClusters(bytes.NewReader(s.ClustersJSON), keepJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: /clusters: %s", s.Name, DescribeDecodeError(err))
	}
	return cs, nil
}

// Close does nothing.
func (s *Saved) Close() {}

// String names the proxy.
func (s *Saved) String() string { return s.Name }
