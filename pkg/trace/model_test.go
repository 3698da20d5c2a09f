package trace

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

func TestParseRequest(t *testing.T) {
	r, err := ParseRequest("http://Reviews:9080/reviews/0?u=normal", "post", []string{"End-User: jason", "x-empty:"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Host != "reviews" || r.Port != 9080 || !r.PortGiven || r.Path != "/reviews/0?u=normal" || r.Method != "POST" ||
		r.Headers["end-user"] != "jason" || r.Headers["x-empty"] != "" || r.Authority() != "reviews:9080" {
		t.Errorf("%+v", r)
	}
	r, err = ParseRequest("http://bookinfo.example.com", "", nil)
	if err != nil || r.Port != 80 || r.Path != "/" || r.Authority() != "bookinfo.example.com" || r.Method != "GET" {
		t.Errorf("%+v %v", r, err)
	}
	for _, bad := range []string{"bookinfo.example.com/p", "ftp://h/p", "http:///p", "http://h:0/", "http://h:70000/", "http://u@h/", "http://h/#f", "http://h/%zz"} {
		if _, err := ParseRequest(bad, "GET", nil); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if _, err := ParseRequest("http://h/", "GET", []string{"no colon"}); err == nil {
		t.Error("header without a colon: no error")
	}
}

func TestRelevant(t *testing.T) {
	vs := func(hosts ...any) source.Object {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "spec": map[string]any{"hosts": hosts}}}
		return source.Object{Obj: u}
	}
	req := func(host string) Request { return Request{Host: host} }
	for _, tc := range []struct {
		obj  source.Object
		host string
		want bool
	}{
		{vs("*"), "productpage.global", true},
		{vs("*.global"), "productpage.global", true},
		{vs("reviews"), "productpage.global", true}, // a short name: resolved later
		{vs("productpage.bookinfo-frontends.svc.cluster.local"), "productpage", true},
		{vs("reviews.global"), "productpage.global", false},
		{vs("reviews.global"), "10.0.0.1", true}, // a VIP names any service
		{source.Object{Obj: &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service"}}}, "x", true},
	} {
		if got := Relevant(tc.obj, req(tc.host)); got != tc.want {
			t.Errorf("%v for %s: %v, want %v", tc.obj.Obj.Object["spec"], tc.host, got, tc.want)
		}
	}
}

// TestRequestNormalized: Istio's proxies normalize the path before routing
// (normalize_path, RFC 3986: dot segments removed, percent-encoded
// unreserved characters decoded; escaped slashes kept), and the Host of an
// IPv6 address keeps its brackets.
func TestRequestNormalized(t *testing.T) {
	for raw, want := range map[string]string{
		"http://h/product%70age":        "/productpage",
		"http://h/a/./b/../productpage": "/a/productpage",
		"http://h/../x":                 "/x",
		"http://h/a/b/..":               "/a/",
		"http://h/a%2fb":                "/a%2Fb",
		"http://h/%7Euser//x":           "/~user//x",
		"http://h/a/..?q=%2e%2e":        "/?q=%2e%2e",
	} {
		r, err := ParseRequest(raw, "GET", nil)
		if err != nil || r.Path != want {
			t.Errorf("%s: path %q %v, want %q", raw, r.Path, err, want)
		}
	}
	r, err := ParseRequest("http://[::1]:8080/", "GET", nil)
	if err != nil || r.Host != "::1" || r.Authority() != "[::1]:8080" {
		t.Errorf("IPv6: %+v %v", r, err)
	}
}

// TestHostHeader: -H 'Host: ...' is the authority the proxy routes on; the
// URL still says the port the request is sent to.
func TestHostHeader(t *testing.T) {
	r, err := ParseRequest("http://10.0.0.1:9080/p", "GET", []string{"Host: Reviews.Global:9080"})
	if err != nil || r.Host != "reviews.global" || r.Port != 9080 || r.Authority() != "Reviews.Global:9080" {
		t.Errorf("%+v %v", r, err)
	}
	r, err = ParseRequest("http://10.0.0.1/p", "GET", []string{"host: bookinfo.example.com"})
	if err != nil || r.Host != "bookinfo.example.com" || r.Port != 80 || r.Authority() != "bookinfo.example.com" {
		t.Errorf("%+v %v", r, err)
	}
	if _, err := ParseRequest("http://10.0.0.1/p", "GET", []string{"Host: a b"}); err == nil {
		t.Error("a Host header with a space: no error")
	}
}

func TestRequestLine(t *testing.T) {
	r, _ := ParseRequest("http://10.0.0.1/p", "GET", []string{"Host: bookinfo.example.com"})
	if got := r.line(); got != "GET http://10.0.0.1/p (Host: bookinfo.example.com)" {
		t.Errorf("line %q", got)
	}
}
