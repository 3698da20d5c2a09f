package failover

import (
	"context"
	"errors"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// fromContexts reads every selected context concurrently (pkg/source's
// mesh read: Istio's networking objects and the pods, nodes, services they
// select); a context that fails keeps its error and does not stop the
// others.
func (o *Options) fromContexts(ctx context.Context) ([]*world, error) {
	namespaces := []string{o.Namespace}
	if o.FromNamespace != o.Namespace {
		namespaces = append(namespaces, o.FromNamespace)
	}
	var results []source.ContextResult
	if o.bundle != nil {
		results = o.bundle.MeshConfigs(o.contexts)
	} else {
		results = source.MeshConfigs(ctx, o.Flags, o.contexts, namespaces)
	}
	worlds := make([]*world, len(results))
	for i, r := range results {
		w := &world{Context: r.Context, Objects: r.Objects}
		worlds[i] = w
		if r.Err != nil {
			w.Err = errors.New(source.Describe(r.Err))
			continue
		}
		for _, g := range r.Gaps {
			// Part of the context could not be read: what is shown may
			// miss endpoints, so the run ends with exit status 2.
			w.Gaps = append(w.Gaps, source.Describe(g))
		}
		if o.From != "" && o.target.Kind == "deployment" && o.bundle != nil {
			// The pod the bundle saved for the deployment.
			p, err := o.bundle.FindProxy(r.Context, o.FromNamespace, o.target)
			if err != nil {
				w.Err = notFoundError{err.Error()}
				continue
			}
			w.Pod = p.Pod
		} else if o.From != "" && o.target.Kind == "deployment" {
			c, err := o.Flags.Cluster(r.Context)
			if err != nil {
				w.Err = err
				continue
			}
			pod, err := admin.ResolvePod(ctx, c, o.FromNamespace, o.target)
			if err != nil {
				w.Err = liveResolveError(err)
				continue
			}
			w.Pod = pod
		}
	}
	return worlds, nil
}

// liveResolveError keeps "not found" (the source may live in another
// context, which reports skips) apart from every other failure to resolve
// the --from deployment (no ready pod, a timeout), which is that context's
// error. admin.ResolvePod says "not found" only in its message.
func liveResolveError(err error) error {
	if strings.HasSuffix(err.Error(), " not found") {
		return notFoundError{err.Error()}
	}
	return err
}
