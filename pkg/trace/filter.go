package trace

import (
	"net"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Relevant tells whether an object can take part in the request's trace.
// Only VirtualServices are left out: those none of whose hosts can name
// the request's host (a wildcard, a short name, or a name with the same
// first label). Typing a VirtualService costs far more than tracing it, so
// a mesh of thousands is read in the time of the few that matter.
func Relevant(o source.Object, req Request) bool {
	if o.Group() != "networking.istio.io" || o.Kind() != "VirtualService" {
		return true
	}
	if net.ParseIP(req.Host) != nil {
		return true // a VIP: the service it stands for is not known yet
	}
	spec, _ := o.Obj.Object["spec"].(map[string]any)
	hosts, _ := spec["hosts"].([]any)
	first, _, _ := strings.Cut(req.Host, ".")
	for _, h := range hosts {
		s, ok := h.(string)
		if !ok {
			return true // let the typing report it
		}
		s = strings.ToLower(s)
		label, _, _ := strings.Cut(s, ".")
		if strings.HasPrefix(s, "*") || !strings.Contains(s, ".") || label == first {
			return true
		}
	}
	return len(hosts) == 0
}

// RelevantObjects keeps the objects Relevant keeps.
func RelevantObjects(objs []source.Object, req Request) []source.Object {
	out := objs[:0:0]
	for _, o := range objs {
		if Relevant(o, req) {
			out = append(out, o)
		}
	}
	return out
}
