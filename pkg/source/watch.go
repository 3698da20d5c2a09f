package source

import (
	"context"
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// Event is a change to a translated object.
type Event struct {
	Type   watch.EventType
	Object Object
}

// WatchProblem is reported when a watch broke and is being re-established.
type WatchProblem struct {
	Context string
	Err     error
}

// watchRestartDelay spaces re-lists of a broken watch.
const watchRestartDelay = time.Second

// Watch streams changes to the objects q selects in every cluster until ctx
// ends. Each (context, resource) pair has its own watch; one that breaks is
// re-listed and re-watched (and reported on problems), never dropped.
func Watch(ctx context.Context, clusters []*kube.Cluster, q Query, events chan<- Event, problems chan<- WatchProblem) {
	var wg sync.WaitGroup
	for _, c := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watchCluster(ctx, c, q, events, problems)
		}()
	}
	wg.Wait()
}

func watchCluster(ctx context.Context, c *kube.Cluster, q Query, events chan<- Event, problems chan<- WatchProblem) {
	// Watches are long requests: the per-request timeout of c.Config would
	// cut them, so they get a client of their own, bounded by ctx instead.
	cfg := rest.CopyConfig(c.Config)
	cfg.Timeout = 0
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		report(ctx, problems, WatchProblem{c.Context, err})
		return
	}
	var resources []Resource
	for {
		var gaps []error
		resources, gaps, err = Discover(ctx, c, q.AllResources)
		_ = gaps
		if err == nil {
			break
		}
		report(ctx, problems, WatchProblem{c.Context, fmt.Errorf("discovery failed: %s; retrying", describe(err))})
		if !sleep(ctx, watchRestartDelay*5) {
			return
		}
	}
	resources = FilterResources(resources, q.Resources)
	selector := q.Selector().String()
	var wg sync.WaitGroup
	for _, r := range resources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watchResource(ctx, c, dyn, r, selector, events, problems)
		}()
	}
	wg.Wait()
}

func watchResource(ctx context.Context, c *kube.Cluster, dyn dynamic.Interface, r Resource, selector string, events chan<- Event, problems chan<- WatchProblem) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			// (Re-)list to learn where to watch from; objects that changed
			// while the watch was down are not replayed as events.
			lctx, cancel := context.WithTimeout(ctx, c.Timeout)
			list, err := dyn.Resource(r.GVR).List(lctx, metav1.ListOptions{LabelSelector: selector, Limit: 1})
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				report(ctx, problems, WatchProblem{c.Context, fmt.Errorf("%s: list failed: %s; retrying", r.GroupResource(), describe(err))})
				if !sleep(ctx, watchRestartDelay) {
					return
				}
				continue
			}
			rv = list.GetResourceVersion()
		}
		timeout := int64(300)
		w, err := dyn.Resource(r.GVR).Watch(ctx, metav1.ListOptions{
			LabelSelector: selector, ResourceVersion: rv, TimeoutSeconds: &timeout, AllowWatchBookmarks: true,
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			report(ctx, problems, WatchProblem{c.Context, fmt.Errorf("%s: watch failed: %s; re-listing", r.GroupResource(), describe(err))})
			rv = ""
			if !sleep(ctx, watchRestartDelay) {
				return
			}
			continue
		}
		rv = drain(ctx, c, r, w, rv, events, problems)
	}
}

// drain forwards events until the watch ends and returns the resource
// version to resume from ("" to re-list).
func drain(ctx context.Context, c *kube.Cluster, r Resource, w watch.Interface, rv string, events chan<- Event, problems chan<- WatchProblem) string {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv
		case ev, ok := <-w.ResultChan():
			if !ok {
				// The server closed the stream (timeout or restart): resume.
				return rv
			}
			switch ev.Type {
			case watch.Bookmark:
				if u, ok := ev.Object.(*unstructured.Unstructured); ok {
					rv = u.GetResourceVersion()
				}
			case watch.Error:
				err := fmt.Errorf("%s: watch broke: %s; re-listing", r.GroupResource(), oneLine(fmt.Sprint(ev.Object)))
				if st, ok := ev.Object.(*metav1.Status); ok {
					err = fmt.Errorf("%s: watch broke: %s; re-listing", r.GroupResource(), st.Message)
				}
				report(ctx, problems, WatchProblem{c.Context, err})
				return ""
			default:
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				rv = u.GetResourceVersion()
				select {
				case events <- Event{Type: ev.Type, Object: Object{Context: c.Context, Resource: r.GVR.Resource, Obj: u}}:
				case <-ctx.Done():
					return rv
				}
			}
		}
	}
}

func report(ctx context.Context, problems chan<- WatchProblem, p WatchProblem) {
	select {
	case problems <- p:
	case <-ctx.Done():
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
