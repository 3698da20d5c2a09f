package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A private key planted in objects the bundle reads and in a proxy's config
// dump: its body never reaches an archive, in any form.
const plantedKeyBody = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCplantedKEYx1"

var plantedKey = "-----BEGIN RSA PRIVATE KEY-----\n" + plantedKeyBody + "\nbW9yZSBrZXkgbWF0ZXJpYWwgaGVyZQ==\n-----END RSA PRIVATE KEY-----\n"

// secretMarker is in the planted Secret only.
const secretMarker = "planted-secret-value-never-bundled"

// archiveEntries reads every entry of a bundle, failing the test on
// anything but a gzip-compressed tar of regular files.
func bundleEntries(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Mode != 0o644 || hdr.Uid != 0 || hdr.Gid != 0 {
			t.Errorf("%s: entry %s: type %c mode %o owner %d:%d, want a regular file 0644 0:0", path, hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = data
	}
}

// assertNoKey scans every byte of every entry for the planted key and
// Secret, plain, base64-encoded at any offset, or JSON-escaped.
func assertNoKey(t *testing.T, entries map[string][]byte) {
	t.Helper()
	needles := []string{plantedKeyBody, secretMarker, "BEGIN RSA PRIVATE KEY", "PRIVATE KEY-----"}
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", shift) + plantedKeyBody))
		// The part of the encoding that does not depend on the bytes before.
		needles = append(needles, enc[4:len(enc)-4])
	}
	for name, data := range entries {
		for _, n := range needles {
			if bytes.Contains(data, []byte(n)) {
				t.Errorf("entry %s holds %q", name, n)
			}
		}
	}
}

type manifestForTest struct {
	Created  time.Time `json:"created"`
	Contexts []struct {
		Name          string `json:"name"`
		GlooCluster   string `json:"glooCluster"`
		ServerVersion string `json:"serverVersion"`
		Error         string `json:"error"`
		Objects       int    `json:"objects"`
	} `json:"contexts"`
	Proxies []struct {
		Context, Namespace, Pod, Target, ConfigDump, Clusters, Error string
	} `json:"proxies"`
	Scrubbed []struct {
		File    string   `json:"file"`
		Keys    int      `json:"keys"`
		Objects []string `json:"objects"`
	} `json:"scrubbed"`
}

func readBundleManifest(t *testing.T, entries map[string][]byte) manifestForTest {
	t.Helper()
	var m manifestForTest
	if err := json.Unmarshal(entries["manifest.json"], &m); err != nil {
		t.Fatalf("manifest.json: %v\n%s", err, entries["manifest.json"])
	}
	return m
}

// normalizeManifest keeps what is stable from run to run.
func normalizeManifest(data []byte) string {
	s := string(data)
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`"created": "[^"]*"`),
		regexp.MustCompile(`"version": "[^"]*"`),
		regexp.MustCompile(`"commit": "[^"]*"`),
		regexp.MustCompile(`"serverVersion": "[^"]*"`),
	} {
		s = re.ReplaceAllStringFunc(s, func(m string) string { return m[:strings.Index(m, ":")] + `: "X"` })
	}
	return s
}

// keyedObjects are a parent's translation in a namespace of the test, with
// a private key in two annotations (as PEM and base64), and a Secret the
// bundle must never read.
func keyedObjects(cluster string) []byte {
	pemJSON, _ := json.Marshal(plantedKey)
	b64 := base64.StdEncoding.EncodeToString([]byte(plantedKey))
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: bundle-test
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: keyed-%[1]s
  namespace: bundle-test
  labels:
    gloo.solo.io/parent_name: keyed
    gloo.solo.io/parent_namespace: bundle-test
    gloo.solo.io/parent_kind: VirtualDestination
    gloo.solo.io/parent_group: networking.gloo.solo.io
    context.mesh.gloo.solo.io/cluster: %[1]s
  annotations:
    example.com/tls-key: %[2]s
    example.com/tls-key-b64: %[3]s
spec:
  hosts:
  - keyed.global
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 9080
    name: http
    protocol: HTTP
---
apiVersion: v1
kind: Secret
metadata:
  name: planted
  namespace: bundle-test
stringData:
  tls.key: |
%[4]s
  note: %[5]s
`, cluster, pemJSON, b64, indentLines(plantedKey, "    "), secretMarker))
}

func indentLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		out = append(out, prefix+l)
	}
	return strings.Join(out, "\n")
}

// scrubbedLive is a live output with the planted key replaced as the
// bundle replaces it.
func scrubbedLive(s string) string {
	pemJSON, _ := json.Marshal(plantedKey)
	b64 := base64.StdEncoding.EncodeToString([]byte(plantedKey))
	const scrubbed = "[private key scrubbed by kubectl-vd bundle]"
	s = strings.ReplaceAll(s, strings.TrimSuffix(strings.Trim(string(pemJSON), `"`), `\n`), scrubbed)
	s = strings.ReplaceAll(s, b64, scrubbed)
	return s
}

func TestBundleReadsBackAsLive(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "productpage.tar.gz")
	stdout, stderr, code := runVD(t, "bundle", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", file)
	if code != 0 || stderr != "" {
		t.Fatalf("bundle: exit %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(stdout, "bundle "+file+": bookinfo-frontends/productpage, 2 of 2 contexts read, ") {
		t.Errorf("bundle: stdout %q", stdout)
	}
	entries := bundleEntries(t, file)
	assertGolden(t, "bundle-productpage-manifest", normalizeManifest(entries["manifest.json"]))
	var names []string
	for n := range entries {
		names = append(names, n)
	}
	assertGolden(t, "bundle-productpage-entries", strings.Join(sortedStrings(names), "\n")+"\n")

	// The same state bundled again: the same bytes but for the time.
	again := filepath.Join(dir, "again.tar.gz")
	if _, stderr, code := runVD(t, "bundle", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", again); code != 0 {
		t.Fatalf("bundle again: exit %d: %s", code, stderr)
	}
	second := bundleEntries(t, again)
	for name, data := range entries {
		if name == "manifest.json" {
			continue
		}
		if !bytes.Equal(second[name], data) {
			t.Errorf("entry %s differs between two bundles of the same state", name)
		}
	}

	base := []string{"productpage", "-n", "bookinfo-frontends"}
	live := append(append([]string(nil), base...), "--context", "cluster1,cluster2")
	offline := append(append([]string(nil), base...), "--bundle", file)
	for _, c := range []struct {
		name  string
		args  []string
		table bool
	}{
		{"find", []string{"find"}, true},
		{"find-wide", []string{"find", "-o", "wide"}, true},
		{"find-yaml", []string{"find", "-o", "yaml"}, false},
		{"find-json", []string{"find", "-o", "json"}, false},
		{"find-name", []string{"find", "-o", "name"}, false},
		{"find-markdown", []string{"find", "-o", "markdown"}, true},
		{"find-vd", []string{"find", "--kind", "vd", "-o", "name"}, false},
		{"diff", []string{"diff"}, false},
		{"diff-json", []string{"diff", "-o", "json"}, false},
		{"diff-markdown", []string{"diff", "-o", "markdown"}, false},
		{"explain", []string{"explain"}, false},
		{"explain-json", []string{"explain", "-o", "json"}, false},
		{"explain-mermaid", []string{"explain", "-o", "mermaid"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantOut, wantErr, wantCode := runVD(t, append(append([]string(nil), c.args...), live...)...)
			gotOut, gotErr, gotCode := runVD(t, append(append([]string(nil), c.args...), offline...)...)
			if c.table {
				// Ages: live as of now, from the bundle as of its capture.
				if strings.Contains(c.name, "markdown") {
					wantOut, gotOut = markdownAges.ReplaceAllString(wantOut, "| AGE |"), markdownAges.ReplaceAllString(gotOut, "| AGE |")
				} else {
					wantOut, gotOut = normalizeTable(wantOut), normalizeTable(gotOut)
				}
			}
			if gotOut != wantOut || gotErr != wantErr || gotCode != wantCode {
				t.Errorf("--bundle: exit %d, stderr %q, stdout:\n%s\nlive: exit %d, stderr %q, stdout:\n%s", gotCode, gotErr, gotOut, wantCode, wantErr, wantOut)
			}
			if !strings.Contains(c.name, "-yaml") && !strings.Contains(c.name, "-json") || strings.HasPrefix(c.name, "explain") || strings.HasPrefix(c.name, "diff") {
				// Objects carry their uid and times: no golden for them.
				assertGolden(t, "bundle-"+c.name, gotOut)
			}
		})
	}
	// The report reads the same from the bundle as live, but for where
	// and when it was read.
	liveReport, stderr, code := runVD(t, "report", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if code != 0 || stderr != "" {
		t.Fatalf("report: exit %d, stderr %q", code, stderr)
	}
	mdFile := filepath.Join(dir, "report.md")
	if out, stderr, code := runVD(t, "report", "productpage", "--bundle", file, "-o", mdFile); code != 0 || stderr != "" || out != "" {
		t.Fatalf("report --bundle: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	bundleReport, _ := os.ReadFile(mdFile)
	if withoutReadLine(string(bundleReport)) != withoutReadLine(liveReport) {
		t.Errorf("report --bundle:\n%s\nlive:\n%s", bundleReport, liveReport)
	}
	if !strings.HasPrefix(strings.Split(string(bundleReport), "\n")[2], "Read from bundle "+file+", at ") {
		t.Errorf("report --bundle header: %q", strings.Split(string(bundleReport), "\n")[2])
	}
	assertGolden(t, "bundle-report", withoutReadLine(string(bundleReport)))

	// One context of the bundle, picked as live.
	wantOut, _, _ := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster2", "-o", "yaml")
	gotOut, _, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster2", "--bundle", file, "-o", "yaml")
	if code != 0 || gotOut != wantOut {
		t.Errorf("--bundle --context cluster2: exit %d\n%s\nlive:\n%s", code, gotOut, wantOut)
	}
	_, stderr, code = runVD(t, "find", "productpage", "--bundle", file, "--context", "cluster3")
	if code != 2 || !strings.Contains(stderr, `holds no context "cluster3" (it holds cluster1, cluster2)`) {
		t.Errorf("--context not in the bundle: exit %d, stderr %q", code, stderr)
	}
}

// withoutReadLine drops the line of a report saying where and when it
// was read.
func withoutReadLine(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 2 && strings.HasPrefix(lines[2], "Read from ") {
		lines = append(lines[:2:2], lines[3:]...)
	}
	return strings.Join(lines, "\n")
}

var markdownAges = regexp.MustCompile(`\| (\d+[smhd])+ +\|`)

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestBundleNeverHoldsSecretsOrPrivateKeys(t *testing.T) {
	for _, c := range []string{"cluster1", "cluster2"} {
		if err := testEnv.ApplyYAML(c, keyedObjects(c)); err != nil {
			t.Fatal(err)
		}
		// The other tests list every parent: the keyed one goes (its
		// namespace stays, Terminating without a controller otherwise).
		t.Cleanup(func() {
			for _, ref := range []string{"serviceentries.networking.istio.io/bundle-test/keyed-" + c, "secrets/bundle-test/planted"} {
				if err := testEnv.Delete(c, ref); err != nil {
					t.Errorf("cleaning up %s: %v", ref, err)
				}
			}
		})
	}
	file := filepath.Join(t.TempDir(), "keyed.tar.gz")
	// A dead context is named, and never hides the others.
	stdout, stderr, code := runVD(t, "bundle", "keyed", "-n", "bundle-test", "--context", "cluster1,dead,cluster2", "-o", file)
	if code != 1 || !strings.HasPrefix(stderr, "error: context dead: ") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("bundle with a dead context: exit %d, stderr %q", code, stderr)
	}
	if want := "bundle " + file + ": bundle-test/keyed, 2 of 3 contexts read, "; !strings.HasPrefix(stdout, want) || !strings.HasSuffix(stdout, ", 4 private keys scrubbed\n") {
		t.Errorf("bundle: stdout %q, want %q... 4 private keys scrubbed", stdout, want)
	}
	entries := bundleEntries(t, file)
	assertNoKey(t, entries)
	m := readBundleManifest(t, entries)
	if len(m.Contexts) != 3 || m.Contexts[1].Name != "dead" || m.Contexts[1].Error == "" || m.Contexts[0].Objects == 0 || m.Contexts[2].Objects == 0 {
		t.Errorf("manifest contexts: %+v", m.Contexts)
	}
	var scrubbed []string
	for _, s := range m.Scrubbed {
		scrubbed = append(scrubbed, fmt.Sprintf("%s %d %s", s.File, s.Keys, strings.Join(s.Objects, ",")))
	}
	want := "contexts/1-cluster1/objects.yaml 2 ServiceEntry bundle-test/keyed-cluster1\n" +
		"contexts/3-cluster2/objects.yaml 2 ServiceEntry bundle-test/keyed-cluster2"
	if got := strings.Join(scrubbed, "\n"); got != want {
		t.Errorf("manifest scrubbed:\n%s\nwant:\n%s", got, want)
	}

	// Read back as live: the dead context's error, the others' objects,
	// the key scrubbed.
	wantOut, wantErr, wantCode := runVD(t, "find", "keyed", "-n", "bundle-test", "--context", "cluster1,dead,cluster2", "-o", "json")
	gotOut, gotErr, gotCode := runVD(t, "find", "keyed", "-n", "bundle-test", "--bundle", file, "-o", "json")
	if gotOut != scrubbedLive(wantOut) || gotErr != wantErr || gotCode != wantCode || gotCode != 1 {
		t.Errorf("find --bundle: exit %d, stderr %q\n%s\nlive: exit %d, stderr %q\n%s", gotCode, gotErr, gotOut, wantCode, wantErr, wantOut)
	}
	if strings.Contains(wantOut, plantedKeyBody) == false {
		t.Errorf("the live output does not show the planted key: the test plants nothing")
	}
}

func TestBundleErrors(t *testing.T) {
	dir := t.TempDir()
	notGzip := filepath.Join(dir, "not.tar.gz")
	os.WriteFile(notGzip, []byte("apiVersion: v1\nkind: List\n"), 0o644)
	good := filepath.Join(dir, "good.tar.gz")
	if _, stderr, code := runVD(t, "bundle", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "-o", good); code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(good)
	truncated := filepath.Join(dir, "truncated.tar.gz")
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	// A bundle of RouteTable parents holds no chain to explain.
	rt := filepath.Join(dir, "rt.tar.gz")
	if _, stderr, code := runVD(t, "bundle", "productpage", "-n", "bookinfo-frontends", "--kind", "rt", "--context", "cluster1", "-o", rt); code != 0 {
		t.Fatalf("bundle --kind rt: exit %d: %s", code, stderr)
	}
	if out, _, code := runVD(t, "find", "productpage", "--bundle", rt, "-o", "name"); code != 0 || out != "virtualservice.networking.istio.io/routetable-productpage-bookinfo-frontends-cluster1-gateways\n" {
		t.Errorf("find --bundle of RouteTables: exit %d, %q", code, out)
	}
	if _, stderr, code := runVD(t, "explain", "productpage", "--bundle", rt); code != 2 ||
		stderr != "error: bundle "+rt+" holds the translations of RouteTable parents only (taken with --kind): explain reads a VirtualDestination's\n" {
		t.Errorf("explain --bundle of RouteTables: exit %d, stderr %q", code, stderr)
	}

	// A report of a dead context and a live one: the report shows both,
	// says which could not be read, and exits 1.
	stdout, stderr, code := runVD(t, "report", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,dead")
	if code != 1 || !strings.HasPrefix(stderr, "error: context dead: cannot reach ") || strings.Count(stderr, "\n") != 1 ||
		!regexp.MustCompile(`\| dead +\| - +\| - +\| not read: cannot reach https://127\.0\.0\.1:\d+: connection refused \|`).MatchString(stdout) ||
		!strings.Contains(stdout, "### dead\n\nNot read: cannot reach ") || !strings.Contains(stdout, "### cluster1\n\n| KIND ") {
		t.Errorf("report with a dead context: exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"find", "productpage", "--bundle", notGzip}, 2, "error: " + notGzip + " is not a kubectl-vd bundle: not a gzip-compressed tar archive\n"},
		{[]string{"explain", "productpage", "--bundle", truncated}, 2, "error: " + truncated + " is not a kubectl-vd bundle: truncated (the archive ends in the middle)\n"},
		{[]string{"diff", "productpage", "--bundle", filepath.Join(dir, "missing.tar.gz")}, 2, "error: cannot read bundle " + filepath.Join(dir, "missing.tar.gz") + ": no such file or directory\n"},
		{[]string{"clusters", "productpage-v1", "--bundle", good}, 2, "error: bundle " + good + " holds no proxy pod/productpage-v1\n"},
		{[]string{"find", "productpage", "--bundle", good, "-f", good}, 1, "error: --bundle and -f both name what to read: give one of them. See 'kubectl vd find -h' for help and examples\n"},
		{[]string{"report", "productpage", "--bundle", notGzip}, 2, "error: " + notGzip + " is not a kubectl-vd bundle: not a gzip-compressed tar archive\n"},
		{[]string{"report", "productpage", "--bundle", good, "--url", "productpage.global"}, 2, "error: invalid --url \"productpage.global\": give http://HOST[:PORT]/PATH. See 'kubectl vd report -h' for help and examples\n"},
		{[]string{"report", "productpage", "--context", "cluster1", "-f", good}, 2, "error: --context and --all-contexts choose live clusters; -f reads files. See 'kubectl vd report -h' for help and examples\n"},
		{[]string{"bundle", "productpage", "--context", "cluster1", "-o", good, "-l", "a in (b"}, 2, "error: --proxy-selector: invalid selector \"a in (b\": unable to parse requirement: found '', expected: ',' or ')'. See 'kubectl vd bundle -h' for help and examples\n"},
		{[]string{"bundle", "productpage", "--context", "cluster1"}, 2, "error: give the archive to write with -o FILE.tar.gz (- for standard output). See 'kubectl vd bundle -h' for help and examples\n"},
		{[]string{"bundle", "productpage", "--context", "cluster1", "-o", dir}, 2, "error: -o " + dir + " is a directory: give the archive's file name. See 'kubectl vd bundle -h' for help and examples\n"},
	} {
		stdout, stderr, code := runVD(t, c.args...)
		if code != c.code || stderr != c.want || stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stderr %q", strings.Join(c.args, " "), code, stdout, stderr, c.code, c.want)
		}
	}
}

// keyInRoutes puts the planted key in the route configuration istiod
// sends to every sidecar of cluster1 (two request headers: PEM on one
// line, and base64), and a Secret holding it next to the proxies.
func keyInRoutes() []byte {
	oneLine := "-----BEGIN PRIVATE KEY-----" + plantedKeyBody + "-----END PRIVATE KEY-----"
	b64 := base64.StdEncoding.EncodeToString([]byte(plantedKey))
	return []byte(fmt.Sprintf(`apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: keytest
  namespace: bookinfo-frontends
spec:
  hosts:
  - keytest.example.com
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 80
    name: http
    protocol: HTTP
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: keytest
  namespace: bookinfo-frontends
spec:
  hosts:
  - keytest.example.com
  http:
  - headers:
      request:
        set:
          x-planted-key: %q
          x-planted-key-b64: %q
    route:
    - destination:
        host: keytest.example.com
---
apiVersion: v1
kind: Secret
metadata:
  name: planted
  namespace: bookinfo-frontends
stringData:
  tls.key: %q
  note: %s
`, oneLine, b64, plantedKey, secretMarker))
}

func TestBundleWithIstiodProxies(t *testing.T) {
	m := startIstiodMesh(t)
	if err := m.env.ApplyYAML("cluster1", keyInRoutes()); err != nil {
		t.Fatal(err)
	}
	// Until istiod's routes with the key reach the proxy.
	deadline := time.Now().Add(60 * time.Second)
	for {
		out := m.vdOK(t, "clusters", "productpage-v1-a", "-n", frontends, "--context", "cluster1", "--fqdn", "keytest.example.com")
		if strings.Contains(out, "keytest.example.com") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keytest.example.com never reached the proxy:\n%s", out)
		}
		time.Sleep(500 * time.Millisecond)
	}

	file := filepath.Join(t.TempDir(), "productpage.tar.gz")
	out := m.vdOK(t, "bundle", "productpage", "-n", frontends, "--context", "cluster1,cluster2", "--proxy", "productpage-v1-a", "--proxy-namespace", frontends, "-o", file)
	if !strings.Contains(out, ", 2 of 2 contexts read, ") || !strings.Contains(out, ", 2 proxies, ") {
		t.Errorf("bundle: %q", out)
	}
	entries := bundleEntries(t, file)
	assertNoKey(t, entries)
	for name, data := range entries {
		if bytes.Contains(data, []byte("kind: Secret")) {
			t.Errorf("%s holds a Secret", name)
		}
	}
	man := readBundleManifest(t, entries)
	var scrubbed []string
	for _, s := range man.Scrubbed {
		scrubbed = append(scrubbed, strings.TrimSpace(fmt.Sprintf("%s %d %s", s.File, s.Keys, strings.Join(s.Objects, ","))))
	}
	// The key was in the VirtualService (every VirtualService is saved, as
	// explain reads them) and in cluster1's proxy's routes (both headers).
	want := "contexts/1-cluster1/objects.yaml 2 VirtualService bookinfo-frontends/keytest\n" +
		"proxies/1-cluster1-bookinfo-frontends-productpage-v1-a/config_dump.json 2"
	if strings.Join(scrubbed, "\n") != want {
		t.Errorf("scrubbed:\n%s\nwant:\n%s", strings.Join(scrubbed, "\n"), want)
	}
	// The Kubernetes objects the VirtualDestination selects.
	objects := string(entries["contexts/1-cluster1/objects.yaml"])
	for _, want := range []string{"kind: Service\n", "kind: EndpointSlice\n", "kind: Pod\n", "kind: Node\n", "name: productpage-v1-a\n", "name: cluster1-worker\n"} {
		if !strings.Contains(objects, want) {
			t.Errorf("cluster1's objects hold no %q", want)
		}
	}
	assertGolden(t, "bundle-istiod-manifest", normalizeManifest(entries["manifest.json"]))

	ipNames := func(s string) string {
		for _, c := range []string{"cluster1", "cluster2"} {
			for _, pod := range []string{"productpage-v1-a", "productpage-v1-b"} {
				s = strings.ReplaceAll(s, m.podIP(t, c, frontends, pod)+":", "<"+c+"/"+pod+">:")
			}
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			lines = append(lines, strings.Join(strings.Fields(l), " "))
		}
		return strings.Join(lines, "\n") + "\n"
	}
	vd := []string{"--vd", "productpage", "--vd-namespace", frontends}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"clusters", []string{"clusters", "productpage-v1-a", "-n", frontends}},
		{"clusters-wide-vd", append([]string{"clusters", "productpage-v1-a", "-n", frontends, "-o", "wide"}, vd...)},
		{"clusters-json-vd", append([]string{"clusters", "productpage-v1-a", "-n", frontends, "-o", "json"}, vd...)},
		{"endpoints", []string{"endpoints", "productpage-v1-a", "-n", frontends}},
		{"endpoints-wide-vd", append([]string{"endpoints", "productpage-v1-a", "-n", frontends, "-o", "wide"}, vd...)},
		{"endpoints-yaml-vd", append([]string{"endpoints", "productpage-v1-a", "-n", frontends, "-o", "yaml"}, vd...)},
		{"explain", []string{"explain", "productpage", "-n", frontends}},
	} {
		t.Run(c.name, func(t *testing.T) {
			live := m.vdOK(t, append(append([]string(nil), c.args...), "--context", "cluster1,cluster2")...)
			offline, stderr, code := m.vd(t, append(append([]string(nil), c.args...), "--bundle", file)...)
			if code != 0 || stderr != "" || offline != live {
				t.Errorf("--bundle: exit %d, stderr %q\n%s\nlive:\n%s", code, stderr, offline, live)
			}
			if c.name == "endpoints-wide-vd" || c.name == "clusters-wide-vd" {
				assertGolden(t, "bundle-istiod-"+c.name, ipNames(offline))
			}
		})
	}
	// failover and drift read the mesh configuration and the proxies the
	// bundle saved as they read them live.
	for _, args := range [][]string{
		{"failover", "productpage", "-n", frontends, "--from", "productpage-v1-a", "--down", "cluster1"},
		{"failover", "productpage", "-n", frontends, "--from", "productpage-v1-a", "--down", "cluster2", "-o", "json"},
		{"drift", "productpage", "-n", frontends, "--proxy", "productpage-v1-a"},
		{"drift", "productpage", "-n", frontends, "-l", "app=productpage", "-o", "json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			liveOut, liveErr, liveCode := m.vd(t, append(append([]string(nil), args...), "--context", "cluster1,cluster2")...)
			if args[0] == "drift" && args[4] == "-l" {
				// Live, -l reads every running pod; the bundle saved
				// productpage-v1-a only.
				liveOut, liveErr, liveCode = m.vd(t, append(append([]string(nil), args[:4]...), "--proxy", "productpage-v1-a", "-o", "json", "--context", "cluster1,cluster2")...)
			}
			out, errOut, code := m.vd(t, append(append([]string(nil), args...), "--bundle", file)...)
			if out != liveOut || errOut != liveErr || code != liveCode || liveOut == "" {
				t.Errorf("--bundle: exit %d, stderr %q\n%s\nlive: exit %d, stderr %q\n%s", code, errOut, out, liveCode, liveErr, liveOut)
			}
		})
	}

	report, stderr, code := m.vd(t, "report", "productpage", "--bundle", file)
	if code != 0 || stderr != "" {
		t.Fatalf("report --bundle: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"### cluster1: pod bookinfo-frontends/productpage-v1-a\n", "| 172.23.0.6:15443 | HEALTHY | OK            | outbound\\|9080\\|\\|productpage.global | eu-west-1/eu-west-1a | 2 "} {
		if !strings.Contains(report, want) {
			t.Errorf("report --bundle holds no %q:\n%s", want, report)
		}
	}

	// The report's trace of a URL, from the proxies the bundle saved, is
	// what kubectl vd trace prints live from those proxies.
	withTrace, stderr, code := m.vd(t, "report", "productpage", "--bundle", file, "--url", "http://productpage.global:9080/")
	if code != 0 || stderr != "" {
		t.Fatalf("report --url: exit %d, stderr %q", code, stderr)
	}
	liveTrace, stderr, code := m.vd(t, "trace", "http://productpage.global:9080/", "--from", "productpage-v1-a", "-n", frontends, "--context", "cluster1,cluster2", "-o", "markdown")
	if code != 0 || stderr != "" {
		t.Fatalf("trace: exit %d, stderr %q", code, stderr)
	}
	section := "## Trace of http://productpage.global:9080/\n\n"
	if i := strings.Index(withTrace, section); i < 0 || withTrace[i+len(section):] != liveTrace {
		t.Errorf("report's trace section:\n%s\nlive trace:\n%s", withTrace[max(i, 0):], liveTrace)
	}

	// The proxy of one context, named as it was saved.
	live := m.vdOK(t, "endpoints", "productpage-v1-a", "-n", frontends, "--context", "cluster2")
	offline, stderr, code := m.vd(t, "endpoints", "pod/productpage-v1-a", "--bundle", file, "--context", "cluster2")
	if code != 0 || offline != live {
		t.Errorf("one context: exit %d, stderr %q\n%s\nlive:\n%s", code, stderr, offline, live)
	}
	_, stderr, code = m.vd(t, "endpoints", "productpage-v1-b", "--bundle", file)
	if code != 2 || stderr != "error: bundle "+file+" holds no proxy pod/productpage-v1-b\n" {
		t.Errorf("a proxy not in the bundle: exit %d, stderr %q", code, stderr)
	}
}
