package printers

import (
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// MarkdownTable writes a GitHub-flavoured Markdown table, ready to paste
// into an issue or a pull request. Cells are written as given (headers are
// not re-cased) and escaped as GFM needs, so that no cell can break the
// table or be read as markup: "|" and backslashes are escaped with a
// backslash, "<", ">" and "&" become HTML entities (a cell is never read as
// HTML), and line breaks become <br>.
func MarkdownTable(w io.Writer, header []string, rows [][]string) error {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	t.Header(anyCells(header)...)
	for _, r := range rows {
		if err := t.Append(anyCells(r)...); err != nil {
			return err
		}
	}
	return t.Render()
}

// markdownCell replaces in one pass: the <br> it writes is not escaped.
var markdownCell = strings.NewReplacer(
	"|", `\|`, `\`, `\\`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"\r\n", "<br>", "\n", "<br>",
)

func anyCells(cells []string) []any {
	out := make([]any, len(cells))
	for i, c := range cells {
		if c == "" {
			c = " "
		}
		out[i] = markdownCell.Replace(c)
	}
	return out
}

// markdownText escapes what GFM would read as markup in running text.
var markdownText = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "|", `\|`, "~", `\~`,
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
)

// MarkdownText escapes text written outside a table (a heading, a line
// naming the sides of a diff) so that names and paths read as written
// and never as emphasis, links or HTML.
func MarkdownText(s string) string { return markdownText.Replace(s) }
