package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// Event is a change to a translated object.
type Event struct {
	Type   watch.EventType
	Object Object
}

// WatchProblem is reported when a watch broke and is being re-established,
// or when part of a context cannot be watched.
type WatchProblem struct {
	Context string
	Err     error
}

// Watch streams changes to the objects q selects in every cluster until ctx
// ends, then closes both channels. seen is what the caller already showed
// (its listing): those objects are announced again only if they changed
// meanwhile, and those gone are announced as deleted.
//
// Each (context, resource) pair runs a client-go informer: a watch that
// breaks is resumed or re-listed by its reflector, and what changed while it
// was down is replayed (a re-list is compared with what the informer held).
// A cluster-wide list that RBAC forbids falls back to the namespaces the
// query names, as the listing does.
func Watch(ctx context.Context, clusters []*kube.Cluster, q Query, seen []Object) (<-chan Event, <-chan WatchProblem) {
	events := make(chan Event)
	problems := make(chan WatchProblem)
	known := map[string]string{}
	for _, o := range seen {
		known[watchKey(o.Context, o.Resource, o.Namespace(), o.Name())] = o.Obj.GetResourceVersion()
	}
	var wg sync.WaitGroup
	for _, c := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &watcher{ctx: ctx, c: c, q: q, known: known, events: events, problems: problems}
			w.run()
		}()
	}
	go func() {
		wg.Wait()
		close(events)
		close(problems)
	}()
	return events, problems
}

func watchKey(context, resource, namespace, name string) string {
	return context + "\x00" + resource + "\x00" + namespace + "\x00" + name
}

// watcher watches one context.
type watcher struct {
	ctx      context.Context
	c        *kube.Cluster
	q        Query
	known    map[string]string // read only
	events   chan<- Event
	problems chan<- WatchProblem
}

func (w *watcher) report(err error) {
	select {
	case w.problems <- WatchProblem{w.c.Context, err}:
	case <-w.ctx.Done():
	}
}

func (w *watcher) run() {
	// Watches are long requests: the per-request timeout of c.Config would
	// cut them, so they get a client of their own, bounded by ctx instead.
	cfg := rest.CopyConfig(w.c.Config)
	cfg.Timeout = 0
	// The informers retry a lost connection on their own, silently: say
	// once when the context's connection is lost and once when it is back.
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &outageReporter{rt: rt, w: w} })
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		w.report(err)
		return
	}
	var resources []Resource
	for {
		resources, _, err = Discover(w.ctx, w.c, w.q.AllResources)
		if err == nil {
			break
		}
		if w.ctx.Err() != nil {
			return
		}
		w.report(fmt.Errorf("discovery failed: %s; retrying", describe(err)))
		if !sleep(w.ctx, watchRetryDelay) {
			return
		}
	}
	resources = FilterResources(resources, w.q.Resources)
	selector := w.q.Selector().String()
	var wg sync.WaitGroup
	for _, r := range resources {
		for _, ns := range w.namespacesFor(dyn, r, selector) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.inform(dyn, r, ns, selector)
			}()
		}
	}
	wg.Wait()
}

// namespacesFor is where r can be watched: everywhere, or, when RBAC
// forbids that, the namespaces of the query (said once).
func (w *watcher) namespacesFor(dyn dynamic.Interface, r Resource, selector string) []string {
	lctx, cancel := context.WithTimeout(w.ctx, w.c.Timeout)
	defer cancel()
	_, err := dyn.Resource(r.GVR).List(lctx, metav1.ListOptions{LabelSelector: selector, Limit: 1})
	if err == nil || !apierrors.IsForbidden(err) || !r.Namespaced {
		return []string{metav1.NamespaceAll}
	}
	ns := searchNamespaces(w.q)
	w.report(fmt.Errorf("%s: cannot watch across all namespaces (forbidden); watching namespace(s) %v only", r.GroupResource(), ns))
	return ns
}

// inform runs one informer until ctx ends and turns its callbacks into
// events.
func (w *watcher) inform(dyn dynamic.Interface, r Resource, namespace, selector string) {
	inf := dynamicinformer.NewFilteredDynamicInformer(dyn, r.GVR, namespace, 0, cache.Indexers{},
		func(o *metav1.ListOptions) { o.LabelSelector = selector }).Informer()
	_ = inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if w.ctx.Err() != nil {
			return
		}
		where := r.GroupResource()
		if namespace != "" {
			where += " in " + namespace
		}
		w.report(fmt.Errorf("%s: watch broke: %s; resuming", where, describe(err)))
	})

	// The informer's initial list is not news where the caller's listing
	// showed the same version.
	var mu sync.Mutex
	initial := map[string]bool{}
	send := func(t watch.EventType, obj any) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return
		}
		if u.GetAPIVersion() == "" {
			u.SetAPIVersion(r.GVR.GroupVersion().String())
		}
		if u.GetKind() == "" {
			u.SetKind(r.Kind)
		}
		select {
		case w.events <- Event{Type: t, Object: Object{Context: w.c.Context, Resource: r.GVR.Resource, Obj: u}}:
		case <-w.ctx.Done():
		}
	}
	reg, err := inf.AddEventHandler(cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, isInInitialList bool) {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				return
			}
			key := watchKey(w.c.Context, r.GVR.Resource, u.GetNamespace(), u.GetName())
			first := isInInitialList
			if first {
				mu.Lock()
				initial[key] = true
				mu.Unlock()
			}
			rv, wasSeen := w.known[key]
			switch {
			case first && wasSeen && rv == u.GetResourceVersion():
				// Already shown by the listing.
			case first && wasSeen:
				send(watch.Modified, u)
			default:
				send(watch.Added, u)
			}
		},
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(*unstructured.Unstructured)
			n, ok2 := newObj.(*unstructured.Unstructured)
			// A re-list re-delivers every object: only real changes count.
			if ok1 && ok2 && o.GetResourceVersion() == n.GetResourceVersion() {
				return
			}
			send(watch.Modified, newObj)
		},
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				// Deleted while the watch was down: seen on re-list.
				obj = d.Obj
			}
			send(watch.Deleted, obj)
		},
	})

	if err != nil {
		w.report(fmt.Errorf("%s: cannot watch: %s", r.GroupResource(), describe(err)))
		return
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		inf.RunWithContext(w.ctx)
	}()
	// reg.HasSynced: every object of the first list has reached the handler.
	if cache.WaitForCacheSync(w.ctx.Done(), reg.HasSynced) {
		mu.Lock()
		defer mu.Unlock()
		// Objects the listing showed that the informer's first list no
		// longer holds were deleted in between.
		for key := range w.known {
			parts := strings.SplitN(key, "\x00", 4)
			ctxName, res, ns, name := parts[0], parts[1], parts[2], parts[3]
			if ctxName != w.c.Context || res != r.GVR.Resource || (namespace != "" && ns != namespace) || initial[key] {
				continue
			}
			u := &unstructured.Unstructured{}
			u.SetAPIVersion(r.GVR.GroupVersion().String())
			u.SetKind(r.Kind)
			u.SetNamespace(ns)
			u.SetName(name)
			send(watch.Deleted, u)
		}
	}
	<-done
}

// watchRetryDelay spaces attempts at a discovery that failed.
const watchRetryDelay = 5 * time.Second

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

// outageReporter reports the first failed request of a context's watches
// and the first success after it.
type outageReporter struct {
	rt   http.RoundTripper
	w    *watcher
	mu   sync.Mutex
	down bool
}

func (o *outageReporter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.rt.RoundTrip(req)
	if o.w.ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return resp, err
	}
	o.mu.Lock()
	changed := o.down != (err != nil)
	o.down = err != nil
	o.mu.Unlock()
	if changed {
		if err != nil {
			// Worded as the lists' errors are, which client-go wraps so.
			lost := &url.Error{Op: req.Method, URL: req.URL.String(), Err: err}
			o.w.report(fmt.Errorf("connection lost (%s): the watch resumes when it is back, and replays what changed meanwhile", describe(lost)))
		} else {
			o.w.report(errors.New("connection back: resuming the watch"))
		}
	}
	return resp, err
}
