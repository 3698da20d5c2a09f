package find

import (
	"context"
	"fmt"
	"sync"

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
	events := make(chan source.Event)
	problems := make(chan source.WatchProblem)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		source.Watch(ctx, clusters, o.query, events, problems)
		close(events)
	}()
	fmt.Fprintf(o.Out, "%-9s %-16s %-18s %s\n", "EVENT", "CONTEXT", "KIND", "NAMESPACE/NAME")
	flush(o.Out)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				wg.Wait()
				return nil
			}
			fmt.Fprintf(o.Out, "%-9s %-16s %-18s %s/%s\n", ev.Type, contextName(ev.Object.Context), ev.Object.Kind(), ev.Object.Namespace(), ev.Object.Name())
			flush(o.Out)
		case p := <-problems:
			fmt.Fprintf(o.ErrOut, "warning: context %s: %s\n", contextName(p.Context), p.Err)
		case <-ctx.Done():
			// Drain until the watchers have stopped.
			go func() {
				for range problems {
				}
			}()
			for range events {
			}
			return nil
		}
	}
}

type flusher interface{ Flush() error }

func flush(w any) {
	if f, ok := w.(flusher); ok {
		_ = f.Flush()
	}
}
