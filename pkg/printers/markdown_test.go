package printers

import (
	"bytes"
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
