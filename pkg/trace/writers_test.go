package trace

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/internal/golden"
)

func gatewayDump(cluster string) DumpOpener {
	return fileOpener(filepath.Join("..", "envoy", "testdata", "istiod", cluster+".istio-gateways.istio-ingressgateway.config_dump.json"))
}

// writerOutput is /productpage from the ingress gateway of both clusters,
// agreeing, and cluster2's proxy traced against cluster1's configuration,
// which names another VirtualService and other endpoints.
func writerOutput(t *testing.T) Output {
	req := request(t, "http://bookinfo.example.com/productpage")
	var out Output
	out.Request = req
	for _, in := range []Input{
		{Context: "cluster1", Config: exampleConfig(t, "cluster1"), Dump: gatewayDump("cluster1")},
		{Context: "cluster2", Config: exampleConfig(t, "cluster2"), Dump: gatewayDump("cluster2")},
		{Context: "mixed", Config: exampleConfig(t, "cluster1"), Dump: gatewayDump("cluster2")},
	} {
		r, err := Run(in, req)
		if err != nil {
			t.Fatal(err)
		}
		out.Traces = append(out.Traces, r)
	}
	out.Traces = append(out.Traces, Result{Context: "down", Error: "the server has asked for the client to provide credentials"})
	return out
}

func TestWriters(t *testing.T) {
	out := writerOutput(t)
	if !out.Traces[0].Agree || !out.Traces[1].Agree || out.Traces[2].Agree {
		t.Fatalf("agreement: %v %v %v: %v", out.Traces[0].Agree, out.Traces[1].Agree, out.Traces[2].Agree, out.Traces[2].Differences)
	}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"text.txt", func(b *bytes.Buffer) error { return WriteText(b, out, false) }},
		{"wide.txt", func(b *bytes.Buffer) error { return WriteText(b, out, true) }},
		{"json.json", func(b *bytes.Buffer) error { return WriteJSON(b, out) }},
		{"markdown.md", func(b *bytes.Buffer) error { return WriteMarkdown(b, out) }},
	} {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, filepath.Join("testdata", "writers", f.name), b.Bytes())
	}
}

// TestMarkdownDetails: Markdown shows what text shows besides the steps:
// a rewrite, fault or mirror as rows when a side has one, and the notes.
func TestMarkdownDetails(t *testing.T) {
	out := Output{Request: request(t, "http://missing.example.com/x"), Traces: []Result{{
		Source: "gateway ns/gw",
		Config: &Trace{Reason: "no cluster outbound|80|v9|a (503 NC)", Rewrite: "uri /", Mirror: "outbound|80||m", Destinations: []Destination{{EnvoyCluster: "outbound|80|v9|a", Weight: 100}},
			Notes: []string{"cluster outbound|80|v9|a does not exist: no DestinationRule of a defines subset v9 (503 NC)"}},
	}}}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, out); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, filepath.Join("testdata", "writers", "markdown-details.md"), b.Bytes())
}
