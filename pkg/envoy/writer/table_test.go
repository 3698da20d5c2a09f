package writer

import (
	"bytes"
	"strings"
	"testing"
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
