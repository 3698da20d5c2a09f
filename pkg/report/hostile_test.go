package report

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// hostile is text that Markdown or HTML would take for markup.
const hostile = "a|b`c`<script>alert(1)</script>*d*\n```\n# h"

// A report of names, labels, contexts, errors and a URL holding Markdown
// and HTML renders them as text: no raw HTML, no table cell or fence
// broken.
func TestReportEscapesWhatItIsGiven(t *testing.T) {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("networking.istio.io/v1")
	u.SetKind("ServiceEntry")
	u.SetNamespace("ns")
	u.SetName("se" + hostile)
	u.SetLabels(map[string]string{
		source.LabelParentName:         "p" + hostile,
		source.LabelParentNamespace:    "ns" + hostile,
		source.LabelParentKind:         "VirtualDestination",
		"cluster.multicluster.solo.io": "gloo" + hostile,
	})
	ctxName := "ctx" + hostile
	in := Input{
		Name: "p" + hostile, Namespace: "ns" + hostile,
		From:      "files x" + hostile,
		KubectlVD: "v" + hostile,
		URL:       "http://h/" + hostile,
		Contexts: []Context{
			{Name: ctxName, GlooCluster: "g" + hostile, Notes: []string{"note" + hostile}},
			{Name: "dead" + hostile, Error: "err" + hostile},
		},
		Translations: []source.ContextResult{
			{Context: ctxName, Objects: []source.Object{{Context: ctxName, Obj: u}}},
			{Context: "dead" + hostile, Err: errors.New("err" + hostile)},
		},
		Proxies: []Proxy{{Context: ctxName, Name: "pod " + hostile, Err: "perr" + hostile}},
	}
	var md bytes.Buffer
	if err := Write(context.Background(), &md, in); err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert(md.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	// Emphasis and code spans in table cells are left to
	// printers.MarkdownTable, which escapes only |, <, > and &.
	for _, bad := range []string{"raw HTML omitted", "<script", "<h1>h", "<pre>"} {
		if strings.Contains(html.String(), bad) {
			t.Errorf("the rendered report holds %q:\n%s\nfrom:\n%s", bad, html.String(), md.String())
		}
	}
	if n := strings.Count(html.String(), "<em>"); n != 6 {
		t.Errorf("%d emphasized texts, want the 6 of table cells:\n%s", n, html.String())
	}
	for _, tb := range parseTables(t, md.Bytes()) {
		for _, r := range tb.rows {
			if len(r) != len(tb.header) {
				t.Errorf("%s: row %q has %d cells, the header %d", tb.section, r, len(r), len(tb.header))
			}
		}
	}
}
