package writer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

func viaTabwriter(rows [][]string) string {
	var b bytes.Buffer
	t := &table{rows: rows}
	_ = t.writeTabwriter(&b)
	return b.String()
}

func viaTable(rows [][]string) string {
	var b bytes.Buffer
	t := &table{}
	for _, r := range rows {
		t.add(r...)
	}
	_ = t.write(&b)
	return b.String()
}

func TestTableLaysOutLikeTabwriter(t *testing.T) {
	for _, rows := range [][][]string{
		{{"A", "B", "C"}, {"longer cell", "", ""}, {"é", "中文", "x"}},
		{{"ONLY"}, {"one column"}},
		{{"a", "b"}, {"tab\tinside", "x"}},
		{{"a", "b"}, {"line\nbreak", "x"}},
		{{"a", "b"}, {"esc\xffaped\xff", "x"}},
		{{"a", "b", "c"}, {"ragged", "row"}},
	} {
		if got, want := viaTable(rows), viaTabwriter(rows); got != want {
			t.Errorf("%q:\n got %q\nwant %q", rows, got, want)
		}
	}
}

func FuzzTable(f *testing.F) {
	f.Add("SERVICE FQDN|PORT|TYPE\nagent|-|STATIC\nreviews.default|9080|EDS")
	f.Add("a|b\n\xff|\t")
	f.Fuzz(func(t *testing.T, s string) {
		var rows [][]string
		for _, line := range strings.Split(s, "\n") {
			rows = append(rows, strings.Split(line, "|"))
		}
		if got, want := viaTable(rows), viaTabwriter(rows); got != want {
			t.Fatalf("%q:\n got %q\nwant %q", rows, got, want)
		}
	})
}

// With markdown the same rows are a GitHub-flavoured Markdown table: the
// first row is its header, and cells holding "|" (Envoy cluster names do)
// stay one cell.
func TestTableAsMarkdown(t *testing.T) {
	tb := &table{markdown: true}
	tb.add("ENDPOINT", "CLUSTER")
	tb.add("10.0.0.1:9080", "outbound|9080||productpage.global")
	tb.add("10.0.0.2:9080", "outbound|9080|v1|productpage.global")
	var md bytes.Buffer
	if err := tb.write(&md); err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert(md.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	out := html.String()
	for _, want := range []string{
		`<th style="text-align:left">ENDPOINT</th>`, `<th style="text-align:left">CLUSTER</th>`,
		`<td style="text-align:left">outbound|9080|v1|productpage.global</td>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in:\n%s\n(from)\n%s", want, out, md.String())
		}
	}
	if n := strings.Count(out, "<td"); n != 4 {
		t.Errorf("%d cells, want 4:\n%s", n, out)
	}
}
