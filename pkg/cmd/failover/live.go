package failover

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// The resources failover reads in each context: Istio's translation (every
// namespace, as exportTo and the DestinationRule lookup cross them), and
// the pods and nodes that give endpoints and the source their localities.
var liveResources = []struct {
	group, resource string
	core            schema.GroupVersionResource
}{
	{group: "networking.istio.io", resource: "serviceentries"},
	{group: "networking.istio.io", resource: "workloadentries"},
	{group: "networking.istio.io", resource: "destinationrules"},
	{core: schema.GroupVersionResource{Version: "v1", Resource: "pods"}},
	{core: schema.GroupVersionResource{Version: "v1", Resource: "nodes"}},
}

// fromContexts reads every selected context concurrently; a context that
// fails keeps its error and does not stop the others.
func (o *Options) fromContexts(ctx context.Context) ([]*world, error) {
	worlds := make([]*world, len(o.contexts))
	var wg sync.WaitGroup
	for i, name := range o.contexts {
		worlds[i] = &world{Context: name}
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.readContext(ctx, worlds[i])
		}()
	}
	wg.Wait()
	return worlds, nil
}

func (o *Options) readContext(ctx context.Context, w *world) {
	c, err := o.Flags.Cluster(w.Context)
	if err != nil {
		w.Err = err
		return
	}
	for _, r := range liveResources {
		gvr := r.core
		if r.group != "" {
			var ok bool
			gvr, ok, err = source.PreferredResource(ctx, c, r.group, r.resource)
			if err != nil {
				w.Err = fmt.Errorf("reading %s: %s", r.resource, source.Describe(err))
				return
			}
			if !ok {
				w.Err = fmt.Errorf("the cluster serves no %s (%s): is Istio installed?", r.resource, r.group)
				return
			}
		}
		objs, err := source.List(ctx, c, gvr, "", "")
		if err != nil {
			w.Err = fmt.Errorf("listing %s: %s", gvr.Resource, source.Describe(err))
			return
		}
		for i := range objs {
			objs[i].Context = w.Context
		}
		w.Objects = append(w.Objects, objs...)
	}
	if o.From != "" && o.target.Kind == "deployment" {
		pod, err := admin.ResolvePod(ctx, c, o.FromNamespace, o.target)
		if err != nil {
			w.Err = notFoundError{err.Error()}
			return
		}
		w.Pod = pod
	}
}
