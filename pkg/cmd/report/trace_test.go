package report

import (
	"bytes"
	"context"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/report"
)

// Without a bundle there is no saved proxy to trace from: the section says
// so and makes nothing up.
func TestTraceSectionNeedsABundle(t *testing.T) {
	if report.TraceSection == nil {
		t.Fatal("the report's trace hook is not set")
	}
	var out bytes.Buffer
	if err := report.TraceSection(context.Background(), &out, report.TraceRequest{URL: "http://productpage.global:9080/", Contexts: []string{"cluster1"}}); err != nil {
		t.Fatal(err)
	}
	want := "trace: the report traces from the proxies a bundle saved: give --bundle FILE (kubectl vd bundle --proxy POD), or run kubectl vd trace http://productpage.global:9080/ --from POD\n"
	if out.String() != want {
		t.Errorf("got %q\nwant %q", out.String(), want)
	}
}
