package trace

import (
	"errors"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
)

// Input is what one context's trace reads.
type Input struct {
	Context string
	// Config is the context's configuration; nil skips the configuration
	// trace.
	Config *mesh.Config
	// Dump is the source proxy's config dump; nil skips the proxy trace.
	Dump  DumpOpener
	Proxy ProxyOptions
	// Source is the proxy the request leaves from when no dump says it.
	Source *Source
	// Locality, when set, replaces the source's locality.
	Locality *locality.Locality
}

// Run traces the request on both sides that Input has and compares them.
func Run(in Input, req Request) (Result, error) {
	res := Result{Context: in.Context}
	var src Source
	if in.Source != nil {
		src = *in.Source
	}
	if in.Dump != nil {
		t, node, err := ProxyTrace(in.Dump, req, in.Proxy)
		if err != nil {
			return res, err
		}
		res.Proxy = t
		fromDump := SourceOf(node)
		if in.Source == nil {
			src = fromDump
		} else {
			if src.Kind == "" {
				src.Kind = fromDump.Kind
			}
			if src.Labels == nil {
				src.Labels = fromDump.Labels
			}
			if src.Locality == (locality.Locality{}) {
				src.Locality = fromDump.Locality
			}
			if src.Cluster == "" {
				src.Cluster = fromDump.Cluster
			}
			if src.Network == "" {
				src.Network = fromDump.Network
			}
		}
	} else if in.Source == nil {
		return res, errors.New("no source proxy: give --from, --dump, --from-gateway or --from-namespace")
	}
	if in.Locality != nil {
		src.Locality = *in.Locality
	}
	if src.Cluster == "" && in.Config != nil {
		src.Cluster = in.Config.Cluster
	}
	res.Source = src.String()
	if in.Config != nil {
		t, err := ConfigTrace(in.Config, src, req)
		if err != nil {
			return res, err
		}
		res.Config = t
	}
	res.Differences = Compare(res.Config, res.Proxy)
	res.Agree = len(res.Differences) == 0
	return res, nil
}
