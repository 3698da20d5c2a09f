package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

func TestWrap(t *testing.T) {
	got := wrap("one two three four five six seven eight nine ten eleven twelve", 20)
	want := []string{"one two three four", "five six seven eight", "nine ten eleven", "twelve"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
	long := strings.Repeat("x", 30)
	if got := wrap("a "+long+" b", 20); strings.Join(got, "|") != "a|"+long+"|b" {
		t.Errorf("a long word is kept whole on its line: %q", got)
	}
}

func TestEscaping(t *testing.T) {
	if got := dotQuote("a \"b\" \\ c\nd"); got != `"a \"b\" \\ c\nd"` {
		t.Errorf("dotQuote: %s", got)
	}
	if got := mermaidText(`a "b" <c> | d`); got != "a #quot;b#quot; #lt;c#gt; #124; d" {
		t.Errorf("mermaidText: %s", got)
	}
}

// chain builds a chain from YAML objects of one context, plus contexts.
func chain(t *testing.T, yaml string, contexts ...model.Context) *model.Chain {
	t.Helper()
	objs, err := source.Decode("test", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	for i := range objs {
		objs[i].Context = "east"
	}
	return model.Build(model.Input{Name: "web", Namespace: "apps", Objects: objs,
		Contexts: append([]model.Context{{Name: "east", IstioAPI: true}}, contexts...)})
}

const routeToUndeclaredHost = `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: vd-web
  namespace: apps
  labels: {gloo.solo.io/parent_name: web, gloo.solo.io/parent_namespace: apps, gloo.solo.io/parent_kind: VirtualDestination}
spec:
  hosts: [web.global]
  ports: [{name: http, number: 80, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: web-dr
  namespace: apps
  labels: {gloo.solo.io/parent_name: web, gloo.solo.io/parent_namespace: apps, gloo.solo.io/parent_kind: VirtualDestination}
spec:
  host: web.global
  trafficPolicy: {tls: {mode: "ISTIO_MUTUAL"}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: "split", namespace: apps}
spec:
  hosts: [web.global]
  http:
  - route:
    - {destination: {host: web.global, port: {number: 80}}, weight: 50}
    - {destination: {host: "*.global", port: {number: 80}}, weight: 50}
`

func TestGraphMarksFindingsAndMissingHosts(t *testing.T) {
	ch := chain(t, routeToUndeclaredHost, model.Context{Name: "west", Error: "cannot reach https://127.0.0.1:1: connection refused"})
	r := NewReport(ch, explain.Run(ch))
	var dot, mmd, text bytes.Buffer
	if err := Dot(&dot, r); err != nil {
		t.Fatal(err)
	}
	if err := Mermaid(&mmd, r); err != nil {
		t.Fatal(err)
	}
	if err := Text(&text, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// The unreadable cluster is drawn as such.
		`"c1_none0" [label="could not be read", fillcolor="#ffffff", style="rounded,filled,dashed"];`,
		// The route's two destinations lead to the ServiceEntry.
		`"c0_vs0" -> "c0_se0" [label="routes :80"];`,
		// The VirtualDestination was not found and the Gloo API is not served.
		`Gloo API not served: inferred from its translations`,
	} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("dot lacks %q:\n%s", want, dot.String())
		}
	}
	for _, want := range []string{
		"  subgraph cluster_1[\"west\"]\n    c1_none0[/\"could not be read\"/]\n",
		"  vd[/\"VirtualDestination<br/>apps/web<br/>Gloo API not served: inferred from its translations\"/]\n",
	} {
		if !strings.Contains(mmd.String(), want) {
			t.Errorf("mermaid lacks %q:\n%s", want, mmd.String())
		}
	}
	for _, want := range []string{
		"  no context read serves the Gloo API (networking.gloo.solo.io): the chain below is inferred from\n  its translations\n",
		"Cluster west\n  context west could not be read: cannot reach https://127.0.0.1:1: connection refused\n",
		"      http route -> web.global:80 (50%), *.global:80 (50%)\n",
		"    tls ISTIO_MUTUAL\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}

func TestGraphDrawsUndeclaredHost(t *testing.T) {
	yaml := strings.Replace(routeToUndeclaredHost, "hosts: [web.global]\n  ports", "hosts: [web-v2.global]\n  ports", 1)
	yaml = strings.Replace(yaml, "host: web.global\n  trafficPolicy", "host: web-v2.global\n  trafficPolicy", 1)
	ch := chain(t, yaml+`---
apiVersion: networking.gloo.solo.io/v2
kind: VirtualDestination
metadata: {name: web, namespace: apps}
spec: {hosts: [web.global], ports: [{number: 80, protocol: HTTP}]}
`)
	r := NewReport(ch, explain.Run(ch))
	var dot bytes.Buffer
	if err := Dot(&dot, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"c0_missing0" [label="web.global\nno ServiceEntry declares it", fillcolor="#ffffff", style="rounded,filled,dashed", color="#d62728", penwidth=3, fontcolor="#d62728"];`,
		`"c0_vs0" -> "c0_missing0" [label="routes :80"];`,
		`"c0_vs0" [label="VirtualService\napps/split\n! VD301"`,
	} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("dot lacks %q:\n%s", want, dot.String())
		}
	}
}
