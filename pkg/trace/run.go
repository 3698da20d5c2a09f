package trace

import (
	"errors"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"

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
		if in.Config != nil && in.Proxy.TargetPort == nil {
			in.Proxy.TargetPort = func(n *envoy.Node, port uint32) uint32 { return gatewayTargetPort(in.Config, n, port) }
		}
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

// gatewayTargetPort is the numeric target port of the port of the
// gateway's Service (in its namespace, selecting its labels) the request
// is sent to, or 0.
func gatewayTargetPort(cfg *mesh.Config, n *envoy.Node, port uint32) uint32 {
	for _, svc := range cfg.Services {
		if svc.Namespace != n.Namespace || !selectsLabels(svc, n.Labels) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			if uint32(p.Port) != port {
				continue
			}
			switch {
			case p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal > 0:
				return uint32(p.TargetPort.IntVal)
			case p.TargetPort.Type == intstr.Int:
				return port // no target port: the port itself
			}
		}
	}
	return 0
}

func selectsLabels(svc *corev1.Service, labels map[string]string) bool {
	if len(svc.Spec.Selector) == 0 {
		return false
	}
	for k, v := range svc.Spec.Selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
