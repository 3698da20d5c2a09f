package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const testKey = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oCHHEhvKzDeLoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n"

const testCert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUY2VydGlmaWNhdGVzIHN0YXkgaW4gYnVuZGxlcw==\n-----END CERTIFICATE-----\n"

func TestScrub(t *testing.T) {
	jsonKey, _ := json.Marshal(testKey)
	b64 := base64.StdEncoding.EncodeToString([]byte(testKey))
	for _, c := range []struct {
		name, in, want string
		keys           int
	}{
		{"plain PEM", "key: |\n  " + strings.ReplaceAll(testKey, "\n", "\n  ") + "x: 1\n", "key: |\n  " + Scrubbed + "\n  x: 1\n", 1},
		{"JSON string", `{"inline_string":` + string(jsonKey) + `}`, `{"inline_string":"` + Scrubbed + `\n"}`, 1},
		{"base64", `{"inline_bytes":"` + b64 + `"}`, `{"inline_bytes":"` + Scrubbed + `"}`, 1},
		{"base64 without padding", `"` + strings.TrimRight(b64, "=") + `"`, `"` + Scrubbed + `"`, 1},
		{"wrapped base64, escaped line breaks", `{"k":"` + wrap(b64, `\n`) + `"}`, `{"k":"` + Scrubbed + `"}`, 1},
		{"wrapped base64, raw line breaks", "k: " + wrap(b64, "\n") + "\n", "k: " + Scrubbed + "\n", 1},
		{"base64 after an equals sign", "tls.key=" + b64 + "\n", "tls.key=" + Scrubbed + "\n", 1},
		{"base64 in a flag", "--key=" + b64 + " --x", "--key=" + Scrubbed + " --x", 1},
		{"URL-safe base64", `"` + base64.URLEncoding.EncodeToString([]byte(testKey)) + `"`, `"` + Scrubbed + `"`, 1},
		{"base64 twice", `{"k":"` + base64.StdEncoding.EncodeToString([]byte(b64)) + `"}`, `{"k":"` + Scrubbed + `"}`, 1},
		{"base64 three times", "k: " + base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte(b64)))) + "\n", "k: " + Scrubbed + "\n", 1},
		{"base64 after other base64 letters", "x" + b64, Scrubbed, 1},
		{"no END line", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", Scrubbed, 1},
		{"one line", "x: -----BEGIN PRIVATE KEY-----MIIEvQ-----END PRIVATE KEY----- y", "x: " + Scrubbed + " y", 1},
		{"two keys", testKey + testKey, Scrubbed + "\n" + Scrubbed + "\n", 2},
		{"a certificate stays", testCert, testCert, 0},
		{"a base64 certificate stays", base64.StdEncoding.EncodeToString([]byte(testCert)), base64.StdEncoding.EncodeToString([]byte(testCert)), 0},
		{"Envoy's redacted key stays", `{"private_key":{"inline_string":"[redacted]"}}`, `{"private_key":{"inline_string":"[redacted]"}}`, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, n := scrub([]byte(c.in))
			if string(got) != c.want || n != c.keys {
				t.Errorf("scrub: %d keys\n%q\nwant %d keys\n%q", n, got, c.keys, c.want)
			}
			if HoldsPrivateKey(got) {
				t.Errorf("scrubbed text still holds a key: %q", got)
			}
		})
	}
}

// wrap cuts s into lines of 76 characters, as base64(1) writes them.
func wrap(s, newline string) string {
	var lines []string
	for len(s) > 76 {
		lines = append(lines, s[:76])
		s = s[76:]
	}
	return strings.Join(append(lines, s), newline)
}

func object(ctx, kind, ns, name string, labels map[string]string, annotations map[string]string) source.Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("networking.istio.io/v1")
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetLabels(labels)
	u.SetAnnotations(annotations)
	u.Object["spec"] = map[string]any{"hosts": []any{"productpage.global"}}
	return source.Object{Context: ctx, Obj: u}
}

var parentLabels = map[string]string{
	source.LabelParentName:      "productpage",
	source.LabelParentNamespace: "bookinfo-frontends",
	source.LabelParentKind:      "VirtualDestination",
}

func testContents() *Contents {
	created := time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)
	dump := []byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.SecretsConfigDump","dynamic_active_secrets":[{"secret":{"tls_certificate":{"private_key":{"inline_bytes":"` +
		base64.StdEncoding.EncodeToString([]byte(testKey)) + `"}}}}]}]}`)
	return &Contents{
		Manifest: Manifest{
			Created:   created,
			KubectlVD: BuildInfo{Version: "v0.0.0-test", Commit: "abc"},
			Parent:    Parent{Name: "productpage", Namespace: "bookinfo-frontends"},
			Contexts: []Context{
				{Name: "cluster1", GlooCluster: "cluster1", ServerVersion: "v1.37.2", GlooAPI: true, IstioAPI: true},
				{Name: "dead", Error: "cannot reach https://127.0.0.1:1: connection refused"},
				{Name: "arn:aws:eks:eu-west-1:1:cluster/c2", GlooCluster: "cluster2", IstioAPI: true, Gaps: []string{"cannot list workloadentries: forbidden"}},
			},
			Proxies: []Proxy{{Context: "cluster1", Namespace: "bookinfo-frontends", Pod: "productpage-v1-a", Target: "deploy/productpage-v1"}},
		},
		Objects: map[string][]source.Object{
			"cluster1": {
				object("cluster1", "ServiceEntry", "bookinfo-frontends", "se", parentLabels, map[string]string{"example.com/key": testKey}),
				object("cluster1", "DestinationRule", "bookinfo-frontends", "dr", parentLabels, nil),
				object("cluster1", "VirtualService", "other", "unrelated", nil, nil),
			},
			"arn:aws:eks:eu-west-1:1:cluster/c2": {
				object("arn:aws:eks:eu-west-1:1:cluster/c2", "ServiceEntry", "bookinfo-frontends", "se", parentLabels, nil),
			},
		},
		Proxies: []ProxyData{{ConfigDump: dump, Clusters: []byte(`{"cluster_statuses":[]}`)}},
	}
}

func writeBundle(t *testing.T, c *Contents) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriteIsDeterministic(t *testing.T) {
	a := writeBundle(t, testContents())
	b := writeBundle(t, testContents())
	if !bytes.Equal(a, b) {
		t.Fatal("two bundles of the same contents differ")
	}
	gz, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header: name %q, time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Mode != 0o644 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(testContents().Manifest.Created) {
			t.Errorf("%s: mode %o owner %d:%d (%s:%s) time %v", h.Name, h.Mode, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
	}
	want := []string{
		"contexts/1-cluster1/objects.yaml",
		"contexts/3-arn_aws_eks_eu-west-1_1_cluster_c2/objects.yaml",
		"manifest.json",
		"proxies/1-cluster1-bookinfo-frontends-productpage-v1-a/clusters.json",
		"proxies/1-cluster1-bookinfo-frontends-productpage-v1-a/config_dump.json",
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant, sorted:\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
}

func TestWriteScrubsAndReadsBack(t *testing.T) {
	data := writeBundle(t, testContents())
	b, err := Read("test.tar.gz", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range b.FileNames() {
		f, _ := b.File(name)
		if HoldsPrivateKey(f) || bytes.Contains(f, []byte("MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5")) {
			t.Errorf("%s holds the key:\n%s", name, f)
		}
	}
	m := b.Manifest
	got, _ := json.Marshal(m.Scrubbed)
	want := `[{"file":"contexts/1-cluster1/objects.yaml","keys":1,"objects":["ServiceEntry bookinfo-frontends/se"]},` +
		`{"file":"proxies/1-cluster1-bookinfo-frontends-productpage-v1-a/config_dump.json","keys":1}]`
	if string(got) != want {
		t.Errorf("scrubbed:\n%s\nwant\n%s", got, want)
	}
	if m.FormatVersion != FormatVersion || m.KubectlVD.Version != "v0.0.0-test" || m.Contexts[0].Objects != 3 || m.Contexts[1].File != "" || len(m.Never) == 0 {
		t.Errorf("manifest: %+v", m)
	}
	wantFailed := []string{
		"context dead: cannot reach https://127.0.0.1:1: connection refused",
		"context arn:aws:eks:eu-west-1:1:cluster/c2: cannot list workloadentries: forbidden",
	}
	if f := m.Failed(); strings.Join(f, "\n") != strings.Join(wantFailed, "\n") {
		t.Errorf("failed:\n%s", strings.Join(f, "\n"))
	}

	// The translations as live: per context, in the order asked, errors
	// and gaps kept, other objects left out.
	q := source.Query{Name: "productpage", Namespace: "bookinfo-frontends"}
	res := b.Translations([]string{"arn:aws:eks:eu-west-1:1:cluster/c2", "dead", "cluster1"}, q)
	if len(res) != 3 || len(res[0].Objects) != 1 || len(res[0].Gaps) != 1 || res[1].Err == nil ||
		res[1].Err.Error() != "cannot reach https://127.0.0.1:1: connection refused" || len(res[2].Objects) != 2 {
		t.Errorf("translations: %+v", res)
	}
	for _, o := range res[2].Objects {
		if o.Context != "cluster1" {
			t.Errorf("object %s in context %q", o.Name(), o.Context)
		}
		if _, ok := o.Obj.GetAnnotations()[source.ContextAnnotation]; ok {
			t.Errorf("object %s keeps the context annotation", o.Name())
		}
	}
	if got := res[2].Objects[1].Obj.GetAnnotations()["example.com/key"]; got != Scrubbed+"\n" {
		t.Errorf("annotation read back: %q", got)
	}

	// Proxies by what the user names.
	for _, tgt := range []admin.Target{{Kind: "pod", Name: "productpage-v1-a"}, {Kind: "deployment", Name: "productpage-v1"}} {
		p, err := b.FindProxy("cluster1", "", tgt)
		if err != nil || p.Pod != "productpage-v1-a" {
			t.Errorf("%s: %+v, %v", tgt, p, err)
		}
	}
	if _, err := b.FindProxy("cluster1", "other", admin.Target{Kind: "pod", Name: "productpage-v1-a"}); err == nil ||
		err.Error() != "bundle test.tar.gz holds no proxy pod/productpage-v1-a in namespace other of context cluster1 (it holds bookinfo-frontends/productpage-v1-a (deploy/productpage-v1))" {
		t.Errorf("proxy of another namespace: %v", err)
	}
	if got := b.ProxyContexts("", admin.Target{Kind: "deployment", Name: "productpage-v1"}); strings.Join(got, ",") != "cluster1" {
		t.Errorf("proxy contexts: %v", got)
	}
	if _, err := b.SelectContexts([]string{"cluster3"}); err == nil || !strings.Contains(err.Error(), `holds no context "cluster3" (it holds cluster1, dead, arn:aws:eks:eu-west-1:1:cluster/c2)`) {
		t.Errorf("unknown context: %v", err)
	}
}

// The manifest holds messages servers wrote (errors): scrubbed too.
func TestManifestIsScrubbed(t *testing.T) {
	c := testContents()
	c.Manifest.Contexts[1].Error = "x " + base64.StdEncoding.EncodeToString([]byte(testKey))
	var buf bytes.Buffer
	if _, err := Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	b, err := Read("b.tar.gz", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Manifest.Contexts[1].Error; got != "x "+Scrubbed {
		t.Errorf("manifest error: %q", got)
	}
}

func TestBadBundles(t *testing.T) {
	good := writeBundle(t, testContents())
	withoutManifest := func() []byte {
		var buf bytes.Buffer
		if err := writeArchive(&buf, []entry{{name: "contexts/1-a/objects.yaml", data: []byte("kind: List\n")}}, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}()
	badManifest := func(m string) []byte {
		var buf bytes.Buffer
		if err := writeArchive(&buf, []entry{{name: ManifestFile, data: []byte(m)}}, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not gzip", []byte("apiVersion: v1\nkind: List\n"), "b.tar.gz is not a kubectl-vd bundle: not a gzip-compressed tar archive"},
		{"short text", []byte("hi\n"), "b.tar.gz is not a kubectl-vd bundle: not a gzip-compressed tar archive"},
		{"cut in the gzip header", good[:5], "b.tar.gz is not a kubectl-vd bundle: truncated (the archive ends in the middle)"},
		{"empty", nil, "b.tar.gz is not a kubectl-vd bundle: not a gzip-compressed tar archive"},
		{"truncated", good[:len(good)/2], "b.tar.gz is not a kubectl-vd bundle: truncated (the archive ends in the middle)"},
		{"no trailer", good[:len(good)-4], "b.tar.gz is not a kubectl-vd bundle: truncated (the archive ends in the middle)"},
		{"gzip of something else", gzipOf("hello"), "b.tar.gz is not a kubectl-vd bundle: a gzip-compressed file, but not of a tar archive"},
		{"gzip of a long text", gzipOf(strings.Repeat("hello world\n", 100)), "b.tar.gz is not a kubectl-vd bundle: damaged (archive/tar: invalid tar header)"},
		{"symbolic link", rawTar(t, withManifest(&tar.Header{Name: "contexts/1-a/objects.yaml", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"})), "b.tar.gz is not a kubectl-vd bundle: entry contexts/1-a/objects.yaml is a symbolic link: a bundle holds only files"},
		{"hard link", rawTar(t, withManifest(&tar.Header{Name: "x", Typeflag: tar.TypeLink, Linkname: "manifest.json"})), "b.tar.gz is not a kubectl-vd bundle: entry x is a hard link: a bundle holds only files"},
		{"device", rawTar(t, withManifest(&tar.Header{Name: "x", Typeflag: tar.TypeChar})), "b.tar.gz is not a kubectl-vd bundle: entry x is a device or pipe: a bundle holds only files"},
		{"duplicate entry", rawTar(t, withManifest(&tar.Header{Name: "./manifest.json", Typeflag: tar.TypeReg, Size: 2}, []byte("{}"))), "b.tar.gz is not a kubectl-vd bundle: entry manifest.json appears twice"},
		{"parent directory", rawTar(t, withManifest(&tar.Header{Name: "..", Typeflag: tar.TypeReg, Size: 1}, []byte("x"))), `b.tar.gz is not a kubectl-vd bundle: entry ".." is outside the archive`},
		{"dot-dot path", rawTar(t, withManifest(&tar.Header{Name: "a/../../etc/x", Typeflag: tar.TypeReg, Size: 1}, []byte("x"))), `b.tar.gz is not a kubectl-vd bundle: entry "a/../../etc/x" is outside the archive`},
		{"absolute path", rawTar(t, withManifest(&tar.Header{Name: "/etc/x", Typeflag: tar.TypeReg, Size: 1}, []byte("x"))), `b.tar.gz is not a kubectl-vd bundle: entry "/etc/x" is outside the archive`},
		{"entry too large", rawTar(t, withManifest(&tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: 3 << 20}, make([]byte, 3<<20))), "b.tar.gz is not a kubectl-vd bundle: entry big is 3145728 bytes, more than a bundle entry holds (2097152)"},
		{"entries too large", rawTar(t, withManifest(&tar.Header{Name: "a", Typeflag: tar.TypeReg, Size: 2 << 20}, make([]byte, 2<<20), &tar.Header{Name: "b", Typeflag: tar.TypeReg, Size: 2 << 20}, make([]byte, 2<<20))), "b.tar.gz is not a kubectl-vd bundle: its entries hold more than 3145728 bytes"},
		{"no manifest", withoutManifest, "b.tar.gz is not a kubectl-vd bundle: it has no manifest.json"},
		{"manifest not JSON", badManifest("nope"), "b.tar.gz: manifest.json is not a bundle manifest: invalid character 'o' in literal null (expecting 'u')"},
		{"manifest without version", badManifest(`{"contexts":[{"name":"a"}]}`), "b.tar.gz: manifest.json has no formatVersion: not a kubectl-vd bundle manifest"},
		{"newer format", badManifest(`{"formatVersion":9,"contexts":[{"name":"a"}]}`), "b.tar.gz was written by a newer kubectl-vd (bundle format 9; this build reads 1): upgrade kubectl-vd"},
		{"no context", badManifest(`{"formatVersion":1}`), "b.tar.gz: the manifest names no context"},
		{"missing objects", badManifest(`{"formatVersion":1,"contexts":[{"name":"a","file":"contexts/1-a/objects.yaml"}]}`), "b.tar.gz: contexts/1-a/objects.yaml is missing (the objects of context a)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func(e, all int64) { maxEntrySize, maxBundleSize = e, all }(maxEntrySize, maxBundleSize)
			maxEntrySize, maxBundleSize = 2<<20, 3<<20
			_, err := Read("b.tar.gz", bytes.NewReader(c.data))
			if err == nil || err.Error() != c.want || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v\nwant %s", err, c.want)
			}
		})
	}
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.tar.gz")); err == nil || err.Error() != "cannot read bundle "+filepath.Join(dir, "missing.tar.gz")+": no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	p := filepath.Join(dir, "ok.tar.gz")
	os.WriteFile(p, good, 0o644)
	if _, err := Open(p); err != nil {
		t.Errorf("good bundle: %v", err)
	}
}

// withManifest is a valid manifest followed by the headers and data of
// more entries (data only after headers of regular files).
func withManifest(more ...any) []any {
	m := []byte(`{"formatVersion":1,"contexts":[{"name":"a"}]}`)
	return append([]any{&tar.Header{Name: ManifestFile, Typeflag: tar.TypeReg, Size: int64(len(m))}, m}, more...)
}

// rawTar writes a gzip-compressed tar of any headers, as a hand-made or
// hostile archive would be.
func rawTar(t *testing.T, items []any) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, it := range items {
		var err error
		switch v := it.(type) {
		case *tar.Header:
			v.Mode = 0o644
			err = tw.WriteHeader(v)
		case []byte:
			_, err = tw.Write(v)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

func gzipOf(s string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write([]byte(s))
	gz.Close()
	return buf.Bytes()
}

// BenchmarkScrubConfigDump is the scrubbing of 48 MB of config dumps
// (istiod's dump of a bookinfo proxy, 300 times), the size of a large
// mesh's dump: `go test ./pkg/bundle/ -bench Scrub -run XXX`.
func BenchmarkScrubConfigDump(b *testing.B) {
	one, err := os.ReadFile("../envoy/testdata/istiod/cluster1.bookinfo-frontends.productpage-v1-a.config_dump.json")
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat(one, 300)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, n := scrub(append([]byte(nil), data...)); n != 0 {
			b.Fatalf("%d keys in a dump without any", n)
		}
	}
}

// What drift and failover read: every object of source.MeshResources of a
// context whose mesh configuration was read, an error for the others.
func TestMeshConfigs(t *testing.T) {
	c := testContents()
	c.Manifest.Contexts[0].Mesh = true
	c.Manifest.Contexts[0].MeshGaps = []string{"cannot list pods in kube-system: forbidden"}
	cm := object("cluster1", "ConfigMap", "bookinfo-frontends", "settings", nil, nil)
	cm.Obj.SetAPIVersion("v1")
	pod := object("cluster1", "Pod", "bookinfo-frontends", "productpage-v1-a", nil, nil)
	pod.Obj.SetAPIVersion("v1")
	c.Objects["cluster1"] = append(c.Objects["cluster1"], cm, pod)
	var buf bytes.Buffer
	if _, err := Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	b, err := Read("b.tar.gz", &buf)
	if err != nil {
		t.Fatal(err)
	}
	res := b.MeshConfigs([]string{"cluster1", "dead", "arn:aws:eks:eu-west-1:1:cluster/c2"})
	var kinds []string
	for _, o := range res[0].Objects {
		kinds = append(kinds, o.Kind()+"/"+o.Name())
	}
	if got := strings.Join(kinds, " "); got != "DestinationRule/dr Pod/productpage-v1-a ServiceEntry/se VirtualService/unrelated" || len(res[0].Gaps) != 1 || res[0].Err != nil {
		t.Errorf("cluster1: %s, gaps %v, err %v", got, res[0].Gaps, res[0].Err)
	}
	if res[1].Err == nil || res[1].Err.Error() != "cannot reach https://127.0.0.1:1: connection refused" {
		t.Errorf("dead: %v", res[1].Err)
	}
	if res[2].Err == nil || !strings.Contains(res[2].Err.Error(), "the mesh configuration of context arn:aws:eks:eu-west-1:1:cluster/c2 could not be read") {
		t.Errorf("c2: %v", res[2].Err)
	}
}

// A proxy that could not be read replays as live: its error as it was
// printed.
func TestProxyNotReadReplaysAsLive(t *testing.T) {
	c := testContents()
	c.Manifest.Proxies = []Proxy{
		{Context: "cluster1", Namespace: "bookinfo-frontends", Target: "pod/nope", Error: "pod bookinfo-frontends/nope not found"},
		{Context: "arn:aws:eks:eu-west-1:1:cluster/c2", Namespace: "bookinfo-frontends", Target: "pod/nope", Error: "pod bookinfo-frontends/nope not found"},
	}
	c.Proxies = nil
	b, err := Read("b.tar.gz", bytes.NewReader(writeBundle(t, c)))
	if err != nil {
		t.Fatal(err)
	}
	target := admin.Target{Kind: "pod", Name: "nope"}
	if got := strings.Join(b.ProxyContexts("", target), ","); got != "cluster1,arn:aws:eks:eu-west-1:1:cluster/c2" {
		t.Errorf("ProxyContexts: %s", got)
	}
	if got := b.ProxyContexts("", admin.Target{Kind: "pod", Name: "other"}); len(got) != 0 {
		t.Errorf("ProxyContexts of a proxy never asked for: %q", got)
	}
	if _, err := b.FindProxy("cluster1", "bookinfo-frontends", target); err == nil || err.Error() != "pod bookinfo-frontends/nope not found" {
		t.Errorf("FindProxy: %v", err)
	}
}

// A bundle of a parent no context knows is told from one of a parent
// whose translations were saved.
func TestFindsParent(t *testing.T) {
	c := testContents()
	if !c.FindsParent() {
		t.Error("FindsParent of productpage: false")
	}
	c.Manifest.Parent.Name = "nosuchparent"
	if c.FindsParent() {
		t.Error("FindsParent of a parent without translations: true")
	}
	u := object("cluster1", "VirtualDestination", "bookinfo-frontends", "nosuchparent", nil, nil)
	u.Obj.SetAPIVersion("networking.gloo.solo.io/v2")
	c.Objects["cluster1"] = append(c.Objects["cluster1"], u)
	if !c.FindsParent() {
		t.Error("FindsParent of a VirtualDestination without translations: false")
	}
}
