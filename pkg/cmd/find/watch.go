package find

import (
	"context"
	"fmt"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// watch streams changes after the listing until ctx ends (Ctrl-C), which is
// a normal end: exit status 0.
func (o *Options) watch(ctx context.Context, results []source.ContextResult) error {
	var clusters []*kube.Cluster
	for _, c := range o.contexts {
		cl, err := o.Flags.Cluster(c)
		if err != nil {
			return err
		}
		clusters = append(clusters, cl)
	}
	var seen []source.Object
	for _, r := range results {
		seen = append(seen, r.Objects...)
	}
	events, problems := source.Watch(ctx, clusters, o.query, seen)
	fmt.Fprintf(o.Out, "%-9s %-16s %-18s %s\n", "EVENT", "CONTEXT", "KIND", "NAMESPACE/NAME")
	flush(o.Out)
	// Both channels are closed once every watcher has stopped (Ctrl-C).
	for events != nil || problems != nil {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			fmt.Fprintf(o.Out, "%-9s %-16s %-18s %s/%s\n", ev.Type, contextName(ev.Object.Context), ev.Object.Kind(), ev.Object.Namespace(), ev.Object.Name())
			flush(o.Out)
		case p, ok := <-problems:
			if !ok {
				problems = nil
				continue
			}
			fmt.Fprintf(o.ErrOut, "warning: context %s: %s\n", contextName(p.Context), p.Err)
		}
	}
	return nil
}

type flusher interface{ Flush() error }

func flush(w any) {
	if f, ok := w.(flusher); ok {
		_ = f.Flush()
	}
}
