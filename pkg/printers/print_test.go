package printers

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// A template that fails on the objects writes nothing to the output (kubectl's
// printers would write their debugging dump of every object there) and
// returns one line naming the template.
func TestPrintTemplateErrorWritesNothing(t *testing.T) {
	f := false
	cases := []struct {
		format, wantErr string
		allowMissing    *bool
	}{
		{"go-template={{index .items 99}}", `error executing template "{{index .items 99}}": template: output:1:2: executing "output" at <index .items 99>: error calling index: index out of range: 99`, nil},
		{"jsonpath={.items[0].nope}", `error executing jsonpath "{.items[0].nope}": Error executing template: nope is not found`, &f},
		{"jsonpath={.items[*].metadata.name}{.items[0].nope}", `error executing jsonpath "{.items[*].metadata.name}{.items[0].nope}": Error executing template: nope is not found`, &f},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			pf := genericclioptions.NewPrintFlags("")
			pf.OutputFormat = &c.format
			if c.allowMissing != nil {
				*pf.TemplatePrinterFlags.AllowMissingKeys = *c.allowMissing
			}
			p, err := pf.ToPrinter()
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = Print(&out, p, objects(t), false)
			if err == nil || err.Error() != c.wantErr || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want %q", err, c.wantErr)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q, want nothing", out.String())
			}
		})
	}
}
