package source

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// fakeAPIServer answers legacy discovery for networking.istio.io (served)
// and broken.istio.io (whose version fails, as a broken aggregated API
// does), and lists of serviceentries.
func fakeAPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	group := func(name string) map[string]any {
		gv := map[string]any{"groupVersion": name + "/v1", "version": "v1"}
		return map[string]any{"name": name, "versions": []any{gv}, "preferredVersion": gv}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"kind": "APIVersions", "versions": []string{"v1"}})
	})
	mux.HandleFunc("/api/v1", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"kind": "APIResourceList", "groupVersion": "v1", "resources": []any{}})
	})
	mux.HandleFunc("/apis", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{group("networking.istio.io"), group("broken.istio.io")}})
	})
	mux.HandleFunc("/apis/networking.istio.io/v1", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"kind": "APIResourceList", "groupVersion": "networking.istio.io/v1", "resources": []any{
			map[string]any{"name": "serviceentries", "singularName": "serviceentry", "namespaced": true, "kind": "ServiceEntry", "verbs": []string{"get", "list", "watch"}, "shortNames": []string{"se"}},
		}})
	})
	mux.HandleFunc("/apis/broken.istio.io/v1", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server is currently unable to handle the request","reason":"ServiceUnavailable","code":503}`, http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/apis/networking.istio.io/v1/serviceentries", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("labelSelector"); got != "gloo.solo.io/parent_name=productpage,gloo.solo.io/parent_namespace=ns" {
			t.Errorf("labelSelector = %q", got)
		}
		reply(w, map[string]any{"kind": "ServiceEntryList", "apiVersion": "networking.istio.io/v1", "metadata": map[string]any{}, "items": []any{
			map[string]any{"metadata": map[string]any{"name": "se", "namespace": "ns"}},
		}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// fakeCluster is a kube.Cluster for the fake server, with kubectl's cached
// discovery client.
func fakeCluster(t *testing.T, srv *httptest.Server) *kube.Cluster {
	t.Helper()
	f := flagsFor(t, t.TempDir(), `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "`+srv.URL+`"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: fake, context: {cluster: c, user: u}}]
current-context: fake
`)
	c, err := f.Cluster("fake")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTranslationsKeepGoingPastABrokenAPIGroup(t *testing.T) {
	c := fakeCluster(t, fakeAPIServer(t))
	res := Translations(context.Background(), []*kube.Cluster{c}, Query{Name: "productpage", Namespace: "ns"})
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("result: %+v", res)
	}
	if len(res[0].Objects) != 1 || res[0].Objects[0].Name() != "se" || res[0].Objects[0].Kind() != "ServiceEntry" || res[0].Objects[0].Context != "fake" {
		t.Errorf("objects: %+v", res[0].Objects)
	}
	if len(res[0].Gaps) != 1 || !strings.HasPrefix(res[0].Gaps[0].Error(), "API group broken.istio.io/v1 could not be discovered: ") {
		t.Errorf("gaps: %v", res[0].Gaps)
	}
}

// A group the server does not serve is an answer (false), whatever way the
// cached discovery client says "not found".
func TestServedAnswersForAGroupNotServed(t *testing.T) {
	c := fakeCluster(t, fakeAPIServer(t))
	for _, tc := range []struct {
		gvr  schema.GroupVersionResource
		want bool
	}{
		{schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"}, true},
		{schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "sidecars"}, false},
		{schema.GroupVersionResource{Group: "networking.mesh.gloo.solo.io", Version: "v2", Resource: "virtualdestinations"}, false},
		{schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1alpha3", Resource: "serviceentries"}, false},
	} {
		got, err := Served(context.Background(), c, tc.gvr)
		if err != nil || got != tc.want {
			t.Errorf("Served(%s) = %v, %v; want %v", tc.gvr, got, err, tc.want)
		}
	}
}

// Watch closes both of its channels once ctx ends: no goroutine is left
// behind by a watch that was interrupted.
func TestWatchClosesItsChannelsWhenDone(t *testing.T) {
	c := fakeCluster(t, fakeAPIServer(t))
	ctx, cancel := context.WithCancel(context.Background())
	events, problems := Watch(ctx, []*kube.Cluster{c}, Query{Name: "productpage", Namespace: "ns"}, nil)
	// The fake server lists one ServiceEntry that the caller had not shown.
	select {
	case ev := <-events:
		if ev.Type != "ADDED" || ev.Object.Name() != "se" {
			t.Errorf("first event %s %s", ev.Type, ev.Object.Name())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	cancel()
	deadline := time.After(10 * time.Second)
	for events != nil || problems != nil {
		select {
		case _, ok := <-events:
			if !ok {
				events = nil
			}
		case _, ok := <-problems:
			if !ok {
				problems = nil
			}
		case <-deadline:
			t.Fatal("channels still open 10s after the end")
		}
	}
}

// The version a resource is served at comes from discovery, not from a
// list of versions tried one after the other.
func TestPreferredResource(t *testing.T) {
	c := fakeCluster(t, fakeAPIServer(t))
	for _, tc := range []struct {
		group, resource string
		want            string
		ok              bool
	}{
		{"networking.istio.io", "serviceentries", "networking.istio.io/v1, Resource=serviceentries", true},
		{"networking.istio.io", "virtualservices", "", false},
		{"networking.gloo.solo.io", "virtualdestinations", "", false},
	} {
		gvr, ok, err := PreferredResource(context.Background(), c, tc.group, tc.resource)
		if err != nil || ok != tc.ok || (ok && gvr.String() != tc.want) {
			t.Errorf("PreferredResource(%s, %s) = %s, %v, %v; want %s, %v", tc.group, tc.resource, gvr, ok, err, tc.want, tc.ok)
		}
	}
}
