package model

import (
	"sort"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// FileInput makes the Input of a VirtualDestination from objects read from
// files. An object that appears twice (same context, group, kind,
// namespace and name) is taken from its last file, as kubectl apply would
// leave it, so files can override one another. An object without a
// recorded context takes the Gloo cluster its labels name. A context is
// said to serve the Gloo API when its files hold Gloo networking objects,
// and Istio when they hold Istio networking objects.
func FileInput(name, namespace string, objs []source.Object) Input {
	type key struct{ ctx, group, kind, ns, name string }
	index := map[key]int{}
	var kept []source.Object
	for _, o := range objs {
		if o.Obj == nil {
			continue
		}
		if o.Context == "" {
			o.Context = source.GlooCluster(o)
		}
		k := key{o.Context, o.Group(), o.Kind(), o.Namespace(), o.Name()}
		if i, ok := index[k]; ok {
			kept[i] = o
			continue
		}
		index[k] = len(kept)
		kept = append(kept, o)
	}
	contexts := map[string]*Context{}
	for _, o := range kept {
		c, ok := contexts[o.Context]
		if !ok {
			c = &Context{Name: o.Context}
			contexts[o.Context] = c
		}
		switch o.Group() {
		case GroupGlooNetworking:
			c.GlooAPI = true
		case GroupIstioNetworking:
			c.IstioAPI = true
		}
	}
	in := Input{Name: name, Namespace: namespace, Objects: kept}
	for _, c := range contexts {
		in.Contexts = append(in.Contexts, *c)
	}
	sort.Slice(in.Contexts, func(i, j int) bool { return in.Contexts[i].Name < in.Contexts[j].Name })
	return in
}
