package report

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/kubectl-vd/kubectl-vd/internal/golden"
	"github.com/kubectl-vd/kubectl-vd/pkg/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const examples = "../../examples/bookinfo"

func readDirs(t *testing.T, dirs ...string) []source.Object {
	t.Helper()
	objs, err := source.ReadFiles(dirs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// exampleBundle is a bundle of examples/bookinfo as the bundle command
// would take it of the two clusters (the Gloo parents in cluster1), with
// the productpage-v1-a proxy of each cluster from the dumps istiod
// computed for them (pkg/envoy/testdata/istiod).
func exampleBundle(t *testing.T) *bundle.Bundle {
	t.Helper()
	c := &bundle.Contents{
		Manifest: bundle.Manifest{
			Created:   time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC),
			KubectlVD: bundle.BuildInfo{Version: "v0.0.0-test", Commit: "test"},
			Parent:    bundle.Parent{Name: "productpage", Namespace: "bookinfo-frontends"},
			Contexts: []bundle.Context{
				{Name: "cluster1", GlooCluster: "cluster1", ServerVersion: "v1.37.2", GlooAPI: true, IstioAPI: true},
				{Name: "cluster2", GlooCluster: "cluster2", ServerVersion: "v1.37.2", IstioAPI: true, Missing: []string{"cannot read node cluster2-worker: forbidden"}},
			},
		},
		Objects: map[string][]source.Object{},
	}
	for _, cl := range []string{"cluster1", "cluster2"} {
		for _, o := range readDirs(t, filepath.Join(examples, cl), filepath.Join(examples, "kubernetes", cl)) {
			o.Context = cl
			c.Objects[cl] = append(c.Objects[cl], o)
		}
		dir := "../envoy/testdata/istiod/"
		dump, err := os.ReadFile(dir + cl + ".bookinfo-frontends.productpage-v1-a.config_dump.json")
		if err != nil {
			t.Fatal(err)
		}
		clusters, err := os.ReadFile(dir + cl + ".bookinfo-frontends.productpage-v1-a.clusters.json")
		if err != nil {
			t.Fatal(err)
		}
		c.Manifest.Proxies = append(c.Manifest.Proxies, bundle.Proxy{Context: cl, Namespace: "bookinfo-frontends", Pod: "productpage-v1-a", Target: "pod/productpage-v1-a"})
		c.Proxies = append(c.Proxies, bundle.ProxyData{ConfigDump: dump, Clusters: clusters})
	}
	var buf bytes.Buffer
	if _, err := bundle.Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Read("bookinfo.tar.gz", &buf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mdTable is a table of the report as a Markdown parser reads it.
type mdTable struct {
	section string
	header  []string
	rows    [][]string
}

func parseTables(t *testing.T, md []byte) []mdTable {
	t.Helper()
	doc := goldmark.New(goldmark.WithExtensions(extension.Table)).Parser().Parse(text.NewReader(md))
	var tables []mdTable
	section := ""
	cells := func(n ast.Node) []string {
		var out []string
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			out = append(out, string(c.Text(md)))
		}
		return out
	}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		switch n := n.(type) {
		case *ast.Heading:
			section = string(n.Text(md))
		case *east.Table:
			tb := mdTable{section: section}
			for r := n.FirstChild(); r != nil; r = r.NextSibling() {
				if _, ok := r.(*east.TableHeader); ok {
					tb.header = cells(r)
				} else {
					tb.rows = append(tb.rows, cells(r))
				}
			}
			tables = append(tables, tb)
		}
	}
	return tables
}

func TestReportFromBundle(t *testing.T) {
	b := exampleBundle(t)
	in := FromBundle(b, b.ContextNames(), "productpage", "bookinfo-frontends", nil)
	in.URL = "http://productpage.global:9080/productpage"
	var out bytes.Buffer
	if err := Write(context.Background(), &out, in); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/bookinfo-bundle.md", out.Bytes())

	var got []string
	for _, tb := range parseTables(t, out.Bytes()) {
		got = append(got, tb.section+": "+strings.Join(tb.header, ",")+" x"+itoa(len(tb.rows)))
	}
	want := []string{
		"Parent bookinfo-frontends/productpage: CONTEXT,GLOO CLUSTER,SERVER VERSION,STATUS x2",
		"cluster1: KIND,NAMESPACE,NAME,PARENT KIND,GLOO CLUSTER x4",
		"cluster2: KIND,NAMESPACE,NAME,PARENT KIND,GLOO CLUSTER x4",
		"Differences between clusters: KIND,NAMESPACE,NAME,STATUS x5",
		"Differences between clusters: PATH,CHANGE,A,B x1",
		"Findings: CODE,SEVERITY,CLUSTER,MESSAGE,OBJECTS,HINT x3",
		"cluster1: pod bookinfo-frontends/productpage-v1-a: ENDPOINT,STATUS,OUTLIER CHECK,CLUSTER,LOCALITY,PRIORITY,WEIGHT x3",
		"cluster2: pod bookinfo-frontends/productpage-v1-a: ENDPOINT,STATUS,OUTLIER CHECK,CLUSTER,LOCALITY,PRIORITY,WEIGHT x3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tables:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, tb := range parseTables(t, out.Bytes()) {
		for _, r := range tb.rows {
			if len(r) != len(tb.header) {
				t.Errorf("%s: row %q has %d cells, the header %d", tb.section, r, len(r), len(tb.header))
			}
		}
	}
	if !strings.Contains(out.String(), "## Trace of http://productpage.global:9080/productpage\n\n"+TraceUnavailable+"\n") {
		t.Error("no Trace section saying the trace is not available")
	}
	if !strings.Contains(out.String(), "```mermaid\n---\ntitle: VirtualDestination bookinfo-frontends/productpage") {
		t.Error("no Mermaid chain")
	}
}

func TestReportFromFiles(t *testing.T) {
	objs := readDirs(t, filepath.Join(examples, "cluster1"), filepath.Join(examples, "cluster2"))
	in := FromFiles(objs, []string{"examples/bookinfo/cluster1", "examples/bookinfo/cluster2"}, "productpage", "bookinfo-frontends", []string{"VirtualDestination"}, "v0.0.0-test")
	var out bytes.Buffer
	if err := Write(context.Background(), &out, in); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "testdata/bookinfo-files.md", out.Bytes())
	tables := parseTables(t, out.Bytes())
	if len(tables) != 6 || len(tables[1].rows) != 3 || tables[1].rows[0][0] != "DestinationRule" {
		t.Errorf("tables: %+v", tables)
	}
}

func TestReportCallsTheTraceHook(t *testing.T) {
	defer func(f func(context.Context, io.Writer, TraceRequest) error) { TraceSection = f }(TraceSection)
	var asked TraceRequest
	TraceSection = func(_ context.Context, w io.Writer, req TraceRequest) error {
		asked = req
		_, err := io.WriteString(w, "traced\n")
		return err
	}
	b := exampleBundle(t)
	in := FromBundle(b, []string{"cluster2"}, "productpage", "bookinfo-frontends", nil)
	in.URL = "http://productpage.global:9080/"
	var out bytes.Buffer
	if err := Write(context.Background(), &out, in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "## Trace of http://productpage.global:9080/\n\ntraced\n") {
		t.Errorf("trace section:\n%s", out.String()[strings.LastIndex(out.String(), "##"):])
	}
	if asked.URL != in.URL || asked.Bundle != b || strings.Join(asked.Contexts, ",") != "cluster2" || asked.Name != "productpage" {
		t.Errorf("request: %+v", asked)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
