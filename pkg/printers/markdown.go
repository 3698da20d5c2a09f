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
// not re-cased); a "|" is escaped and line breaks become <br>, so that no
// cell can break the table.
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

var markdownCell = strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>")

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
