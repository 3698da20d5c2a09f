package source

import (
	"context"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// Result is what one context answered to a read: a typed value, or the
// error that kept the context from answering.
type Result[T any] struct {
	Context string
	Value   T
	Err     error
}

// EachContext builds the clients of every context and reads them all
// concurrently with read, which bounds each of its requests by the
// context's request timeout (the reads of this package do). The results
// come back in the order of contexts; a context whose clients cannot be
// built is a result with that error, in its place, and never hides the
// others. When ctx ends first, the contexts still reading are results with
// ctx's error: nothing waits past it.
func EachContext[T any](ctx context.Context, f *kube.Flags, contexts []string, read func(context.Context, *kube.Cluster) (T, error)) []Result[T] {
	results := make([]Result[T], len(contexts))
	var clusters []*kube.Cluster
	var at []int
	for i, name := range contexts {
		c, err := f.Cluster(name)
		if err != nil {
			results[i] = Result[T]{Context: name, Err: err}
			continue
		}
		clusters = append(clusters, c)
		at = append(at, i)
	}
	for j, r := range eachCluster(ctx, clusters, read) {
		results[at[j]] = r
	}
	return results
}

// eachCluster is EachContext over clients already built.
func eachCluster[T any](ctx context.Context, clusters []*kube.Cluster, read func(context.Context, *kube.Cluster) (T, error)) []Result[T] {
	type answer struct {
		i int
		r Result[T]
	}
	results := make([]Result[T], len(clusters))
	pending := make(map[int]bool, len(clusters))
	// Buffered: a read that ends after ctx has ended never blocks.
	answers := make(chan answer, len(clusters))
	for i, c := range clusters {
		pending[i] = true
		go func() {
			v, err := read(ctx, c)
			answers <- answer{i, Result[T]{Context: c.Context, Value: v, Err: err}}
		}()
	}
	for len(pending) > 0 {
		select {
		case a := <-answers:
			results[a.i] = a.r
			delete(pending, a.i)
		case <-ctx.Done():
			for i := range pending {
				results[i] = Result[T]{Context: clusters[i].Context, Err: context.Cause(ctx)}
			}
			return results
		}
	}
	return results
}
