package complete

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

func init() {
	// As the binary does (cmd.Execute): client-go's own logging of errors
	// the completion functions handle.
	klog.SetLogger(logr.Discard())
}

// fakeServer is an API server that answers discovery and metadata-only
// lists from objects held in memory, filtering by namespace and label
// selector as a real server does.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// groups served under /apis: group -> version -> resources.
	groups map[string]map[string][]metav1.APIResource
	// objects by list path without namespace ("/apis/networking.istio.io/v1/serviceentries").
	objects map[string][]metav1.PartialObjectMetadata
	// forbidden paths (exact, namespace included) answer 403.
	forbidden map[string]bool
	// hang makes every request wait until the client gives up.
	hang bool
	// requests records "PATH?QUERY" of every list.
	requests []string
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{
		t:         t,
		groups:    map[string]map[string][]metav1.APIResource{},
		objects:   map[string][]metav1.PartialObjectMetadata{},
		forbidden: map[string]bool{},
	}
	stop := make(chan struct{})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		hang := f.hang
		f.mu.Unlock()
		if hang {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		f.serve(w, r)
	}))
	t.Cleanup(func() {
		close(stop)
		f.srv.Close()
	})
	return f
}

// serveGroup makes the server serve a group version with resources.
func (f *fakeServer) serveGroup(group, version string, resources ...metav1.APIResource) {
	if f.groups[group] == nil {
		f.groups[group] = map[string][]metav1.APIResource{}
	}
	f.groups[group][version] = resources
}

// add stores an object under a list path (without namespace).
func (f *fakeServer) add(listPath, namespace, name string, lbls map[string]string, annotations map[string]string) {
	f.objects[listPath] = append(f.objects[listPath], metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadata"},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: lbls, Annotations: annotations},
	})
}

func (f *fakeServer) lists() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/api":
		writeJSON(w, 200, metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
		return
	case p == "/apis":
		list := metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}}
		for g, versions := range f.groups {
			grp := metav1.APIGroup{Name: g}
			for v := range versions {
				gv := metav1.GroupVersionForDiscovery{GroupVersion: g + "/" + v, Version: v}
				grp.Versions = append(grp.Versions, gv)
				grp.PreferredVersion = gv
			}
			list.Groups = append(list.Groups, grp)
		}
		writeJSON(w, 200, list)
		return
	}
	if p == "/api/v1" {
		writeJSON(w, 200, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "namespaces", Kind: "Namespace", Verbs: []string{"list"}},
			{Name: "pods", Kind: "Pod", Namespaced: true, Verbs: []string{"list"}},
		}})
		return
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	// Discovery of one group version.
	if len(parts) == 3 && parts[0] == "apis" {
		if res, ok := f.groups[parts[1]][parts[2]]; ok {
			writeJSON(w, 200, metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: parts[1] + "/" + parts[2], APIResources: res})
			return
		}
		writeStatus(w, 404, "NotFound")
		return
	}
	// Lists: /api/v1[/namespaces/NS]/RES, /apis/G/V[/namespaces/NS]/RES.
	prefix := 2
	if parts[0] == "apis" {
		prefix = 3
	}
	if len(parts) < prefix+1 {
		writeStatus(w, 404, "NotFound")
		return
	}
	base, rest := parts[:prefix], parts[prefix:]
	namespace := ""
	if len(rest) == 3 && rest[0] == "namespaces" {
		namespace, rest = rest[1], rest[2:]
	}
	if len(rest) != 1 {
		writeStatus(w, 404, "NotFound")
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, p+"?"+r.URL.RawQuery)
	f.mu.Unlock()
	if f.forbidden[p] {
		writeStatus(w, 403, "Forbidden")
		return
	}
	listPath := "/" + strings.Join(append(base, rest[0]), "/")
	sel, err := labels.Parse(r.URL.Query().Get("labelSelector"))
	if err != nil {
		writeStatus(w, 400, "BadRequest")
		return
	}
	list := metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "meta.k8s.io/v1", Kind: "PartialObjectMetadataList"}}
	for _, o := range f.objects[listPath] {
		if namespace != "" && o.Namespace != namespace {
			continue
		}
		if !sel.Matches(labels.Set(o.Labels)) {
			continue
		}
		list.Items = append(list.Items, o)
	}
	writeJSON(w, 200, list)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, code int, reason string) {
	writeJSON(w, code, metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Reason: metav1.StatusReason(reason), Code: int32(code),
		Message: strings.ToLower(reason),
	})
}

// fakeContext is a kubeconfig context pointing at a server.
type fakeContext struct {
	name, namespace string
	server          *fakeServer
}

// testFlags writes a kubeconfig with the contexts (the first is current) and
// returns connection flags reading it, with a private discovery cache.
func testFlags(t *testing.T, contexts ...fakeContext) *kube.Flags {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\n")
	if len(contexts) > 0 {
		fmt.Fprintf(&b, "current-context: %s\n", contexts[0].name)
	}
	b.WriteString("clusters:\n")
	for _, c := range contexts {
		url := "http://127.0.0.1:1"
		if c.server != nil {
			url = c.server.srv.URL
		}
		fmt.Fprintf(&b, "- name: %s-cluster\n  cluster:\n    server: %s\n", c.name, url)
	}
	b.WriteString("users:\n- name: admin\n  user:\n    token: t\n")
	b.WriteString("contexts:\n")
	for _, c := range contexts {
		fmt.Fprintf(&b, "- name: %s\n  context:\n    cluster: %s-cluster\n    user: admin\n", c.name, c.name)
		if c.namespace != "" {
			fmt.Fprintf(&b, "    namespace: %s\n", c.namespace)
		}
	}
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	f := kube.NewFlags()
	*f.KubeConfig = path
	*f.CacheDir = filepath.Join(dir, "cache")
	return f
}
