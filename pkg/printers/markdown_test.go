package printers

import (
	"bytes"
	gohtml "html"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// A cell holding "|" (Envoy cluster names do) or a line break stays one
// cell of a GFM table.
func TestMarkdownTableEscapesCells(t *testing.T) {
	var md bytes.Buffer
	err := MarkdownTable(&md, []string{"CLUSTER", "NOTE"}, [][]string{
		{"outbound|9080||productpage.global", "two\nlines"},
		{"", "empty cluster"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "| CLUSTER                              | NOTE          |\n" +
		"|:-------------------------------------|:--------------|\n" +
		"| outbound\\|9080\\|\\|productpage.global | two<br>lines  |\n" +
		"|                                      | empty cluster |\n"
	if md.String() != want {
		t.Errorf("got\n%s\nwant\n%s", md.String(), want)
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert(md.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "<td style=\"text-align:left\">outbound|9080||productpage.global</td>") || strings.Count(html.String(), "<td") != 4 {
		t.Errorf("parsed:\n%s", html.String())
	}
}

// A cell holding what GFM would read as table syntax, an escape or HTML
// round-trips: the HTML goldmark renders shows the text as it was.
func TestMarkdownTableCellsRoundTrip(t *testing.T) {
	cells := []string{
		`outbound|9080||productpage.global`,
		`C:\path\ and \| and a trailing \`,
		`<script>alert("x")</script> & &amp; <br>`,
		`a\\|b`,
	}
	rows := make([][]string, len(cells))
	for i, c := range cells {
		rows[i] = []string{c}
	}
	var md bytes.Buffer
	if err := MarkdownTable(&md, []string{"CELL"}, rows); err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.Table)).Convert(md.Bytes(), &html); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(html.String(), "\n") {
		if cell, ok := strings.CutPrefix(line, `<td style="text-align:left">`); ok {
			got = append(got, gohtml.UnescapeString(strings.TrimSuffix(cell, "</td>")))
		}
	}
	if len(got) != len(cells) {
		t.Fatalf("%d cells parsed, want %d:\n%s\n%s", len(got), len(cells), md.String(), html.String())
	}
	for i, c := range cells {
		if strings.TrimSpace(got[i]) != c {
			t.Errorf("cell %d: parsed %q, want %q\nmarkdown:\n%s", i, got[i], c, md.String())
		}
	}
}

// Text outside tables (a diff's sides, an object's heading) renders as
// written: no emphasis, link, code span or HTML out of names and paths.
func TestMarkdownTextRoundTrips(t *testing.T) {
	for _, s := range []string{
		`x<i>*y|.yaml`,
		`file:snap_dir/a_b*c*.yaml`,
		"VirtualService ns/<b>bold</b> `code` [link](http://x) ~~del~~ & \\",
	} {
		var html bytes.Buffer
		if err := goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough)).Convert([]byte("**"+MarkdownText(s)+"**\n"), &html); err != nil {
			t.Fatal(err)
		}
		got := strings.TrimSpace(html.String())
		want := "<p><strong>" + gohtml.EscapeString(s) + "</strong></p>"
		if gohtml.UnescapeString(got) != gohtml.UnescapeString(want) {
			t.Errorf("%q renders as %s", s, got)
		}
	}
}
