// Package report writes one self-contained Markdown report of a parent
// across clusters: where and when it was read, its translations per
// cluster, the differences between clusters (pkg/diff), the findings and
// chain of a VirtualDestination (pkg/explain), the endpoints of the proxies
// saved in a bundle, and the trace of a URL when the build has one.
package report

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-vd/kubectl-vd/pkg/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/diff"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/writer"
	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/explain/render"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// TraceRequest is what the report knows when it asks for the trace of a
// URL: where it reads (a bundle, files or live contexts) and which
// contexts.
type TraceRequest struct {
	URL             string
	Name, Namespace string
	Contexts        []string
	// Bundle is the bundle the report reads; nil otherwise.
	Bundle *bundle.Bundle
	// Flags are the connection flags when the report reads live
	// contexts; nil otherwise.
	Flags *kube.Flags
	// Objects are the objects read from files; nil otherwise.
	Objects []source.Object
}

// TraceSection is the hook of the trace of a URL: it writes the body of
// the report's Trace section (Markdown). While it is nil the section says
// the trace is not available. pkg/cmd/report sets it (pkg/trace on the
// bundle's mesh configuration and saved proxies).
var TraceSection func(ctx context.Context, w io.Writer, req TraceRequest) error

// TraceUnavailable is the Trace section of a build without the trace
// feature.
const TraceUnavailable = "trace: not available in this build"

// Input is what a report is written from.
type Input struct {
	Name, Namespace string
	// Kinds narrow the parent kinds (none: any).
	Kinds []string
	// From says where the objects were read ("bundle FILE", "files ...",
	// "live contexts").
	From string
	// Read is when the objects were read (zero: not known, for files).
	Read time.Time
	// KubectlVD is the version that read them.
	KubectlVD string
	Contexts  []Context
	// Translations are find's results per context.
	Translations []source.ContextResult
	// Explain is what explain reads, for the VirtualDestination chain.
	Explain model.Input
	// Proxies are the saved proxies whose endpoints the report lists.
	Proxies []Proxy
	// URL asks for the Trace section.
	URL   string
	Trace TraceRequest
}

// Context is one context of the report.
type Context struct {
	Name, GlooCluster, ServerVersion string
	// Error is set when the context could not be read.
	Error string
	// Notes are the parts that could not be read.
	Notes []string
}

// Proxy is one proxy whose admin answers the report reads.
type Proxy struct {
	Context string
	// Name is "pod NAMESPACE/NAME".
	Name   string
	Source admin.Source
	Err    string
}

// Write writes the report.
func Write(ctx context.Context, w io.Writer, in Input) error {
	b := &builder{w: w}
	b.header(in)
	b.translations(in)
	b.differences(in)
	ch := model.Build(in.Explain)
	b.explain(in, ch)
	b.endpoints(ctx, in, ch)
	if in.URL != "" {
		b.trace(ctx, in)
	}
	return b.err
}

// builder writes sections and keeps the first error.
type builder struct {
	w   io.Writer
	err error
}

func (b *builder) printf(format string, args ...any) {
	if b.err == nil {
		_, b.err = fmt.Fprintf(b.w, format, args...)
	}
}

func (b *builder) table(header []string, rows [][]string) {
	for _, r := range rows {
		for i := range r {
			// A line break in a cell would be written as <br>: raw HTML
			// a renderer drops.
			r[i] = oneLine(r[i])
		}
	}
	if b.err == nil {
		b.err = printers.MarkdownTable(b.w, header, rows)
	}
}

func (b *builder) header(in Input) {
	kind := "Parent"
	if len(in.Kinds) > 0 {
		kind = strings.Join(in.Kinds, " or ")
	}
	b.printf("# %s %s/%s\n\n", md(kind), md(in.Namespace), md(in.Name))
	at := ""
	if !in.Read.IsZero() {
		at = " at " + in.Read.UTC().Format(time.RFC3339) + ","
	}
	b.printf("Read from %s,%s by kubectl-vd %s.\n\n", md(in.From), at, md(in.KubectlVD))
	rows := make([][]string, 0, len(in.Contexts))
	for _, c := range in.Contexts {
		status := "read"
		switch {
		case c.Error != "":
			status = "not read: " + c.Error
		case len(c.Notes) > 0:
			status = "partly read: " + strings.Join(c.Notes, "; ")
		}
		rows = append(rows, []string{c.Name, dash(c.GlooCluster), dash(c.ServerVersion), status})
	}
	b.table([]string{"CONTEXT", "GLOO CLUSTER", "SERVER VERSION", "STATUS"}, rows)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (b *builder) translations(in Input) {
	b.printf("\n## Translations\n")
	for _, r := range in.Translations {
		b.printf("\n### %s\n\n", md(contextLabel(r.Context)))
		if r.Err != nil {
			b.printf("Not read: %s\n", md(source.Describe(r.Err)))
			continue
		}
		if len(r.Objects) == 0 {
			b.printf("No object translated from %s/%s.\n", md(in.Namespace), md(in.Name))
			continue
		}
		objs := append([]source.Object(nil), r.Objects...)
		source.Sort(objs)
		rows := make([][]string, 0, len(objs))
		for _, o := range objs {
			parent := "-"
			if p, ok := source.Parent(o); ok {
				parent = p.Kind
			}
			rows = append(rows, []string{o.Kind(), o.Namespace(), o.Name(), parent, dash(source.GlooCluster(o))})
		}
		b.table([]string{"KIND", "NAMESPACE", "NAME", "PARENT KIND", "GLOO CLUSTER"}, rows)
	}
}

// differences compares the first context that has translations with each
// other one.
func (b *builder) differences(in Input) {
	b.printf("\n## Differences between clusters\n\n")
	var sides []diff.Side
	for _, r := range in.Translations {
		if r.Err == nil && len(r.Objects) > 0 {
			sides = append(sides, diff.Side{Label: contextLabel(r.Context), Context: r.Context, Objects: r.Objects})
		}
	}
	if len(sides) < 2 {
		b.printf("Fewer than two contexts hold translations: nothing to compare.\n")
		return
	}
	for i, other := range sides[1:] {
		if i > 0 {
			b.printf("\n")
		}
		if len(sides) > 2 {
			b.printf("### %s and %s\n\n", md(sides[0].Label), md(other.Label))
		}
		res, err := diff.Compare(sides[0], other, diff.Options{})
		if err != nil {
			b.printf("Cannot compare: %s\n", md(err.Error()))
			continue
		}
		if b.err == nil {
			b.err = diff.WriteMarkdown(b.w, res)
		}
	}
}

func (b *builder) explain(in Input, ch *model.Chain) {
	b.printf("\n## Findings\n\n")
	if !hasChain(ch) {
		b.printf("No VirtualDestination %s/%s and no object translated from one: the checks of explain are for VirtualDestinations.\n", md(in.Namespace), md(in.Name))
		return
	}
	r := render.NewReport(ch, explain.Run(ch))
	if b.err == nil {
		b.err = render.Markdown(b.w, r)
	}
	b.printf("\n## Chain\n\n```mermaid\n")
	if b.err == nil {
		b.err = render.Mermaid(b.w, r)
	}
	b.printf("```\n")
}

func hasChain(ch *model.Chain) bool {
	if len(ch.VirtualDestinations) > 0 {
		return true
	}
	for i := range ch.Clusters {
		if ch.Clusters[i].HasTranslation() {
			return true
		}
	}
	return false
}

// endpoints lists, per saved proxy, the endpoints of the chain's hosts
// (every endpoint when there is no chain), with locality, priority and
// weight from the config dump.
func (b *builder) endpoints(ctx context.Context, in Input, ch *model.Chain) {
	b.printf("\n## Endpoints\n\n")
	if len(in.Proxies) == 0 {
		b.printf("No proxy was read: take a bundle with --proxy POD to list the endpoints each proxy sees.\n")
		return
	}
	var hosts map[string]bool
	if len(ch.Hosts) > 0 {
		hosts = map[string]bool{}
		for _, h := range ch.Hosts {
			hosts[h] = true
		}
		b.printf("The endpoints of the Envoy clusters of %s, as each proxy saw them.\n", md(strings.Join(ch.Hosts, ", ")))
	}
	for _, p := range in.Proxies {
		b.printf("\n### %s: %s\n\n", md(contextLabel(p.Context)), md(p.Name))
		if p.Err != "" {
			b.printf("Not read: %s\n", md(p.Err))
			continue
		}
		set := writer.EndpointSet{Context: p.Context, Hosts: hosts}
		var err error
		if set.Clusters, err = p.Source.Clusters(ctx, false); err != nil {
			b.printf("Not read: %s\n", md(err.Error()))
			continue
		}
		if dump, err := p.Source.ConfigDump(ctx, admin.EDSDumpPath, envoy.ReadOptions{Endpoints: true}); err == nil {
			set.EDS = dump.Endpoints
		}
		if b.err == nil {
			b.err = writer.PrintEndpointsSummary(b.w, []writer.EndpointSet{set}, writer.EndpointFilter{}, writer.EndpointOptions{Markdown: true, Wide: set.EDS != nil})
		}
	}
}

func (b *builder) trace(ctx context.Context, in Input) {
	b.printf("\n## Trace of %s\n\n", md(in.URL))
	if TraceSection == nil {
		b.printf("%s\n", TraceUnavailable)
		return
	}
	if b.err == nil {
		req := in.Trace
		req.URL = in.URL
		if err := TraceSection(ctx, b.w, req); err != nil {
			b.printf("\ntrace failed: %s\n", md(err.Error()))
		}
	}
}

func contextLabel(c string) string {
	if c == "" {
		return model.UnnamedCluster
	}
	return c
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// markdownText escapes what Markdown would read as markup (emphasis, code,
// links, HTML, a table cell's end, an entity) with a backslash, which
// CommonMark allows before any ASCII punctuation.
var markdownText = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "&", `\&`, "|", `\|`, "#", `\#`, "~", `\~`, "!", `\!`,
)

// md makes text from names, contexts, errors and URLs one line of
// Markdown that reads as the text: its line breaks would end a heading or
// open a code block.
func md(s string) string { return markdownText.Replace(oneLine(s)) }

// FromBundle makes the Input of contexts of a bundle.
func FromBundle(b *bundle.Bundle, contexts []string, name, namespace string, kinds []string) Input {
	m := b.Manifest
	in := Input{
		Name: name, Namespace: namespace, Kinds: kinds,
		From:      "bundle " + b.Path,
		Read:      m.Created,
		KubectlVD: m.KubectlVD.Version,
	}
	picked := map[string]bool{}
	for _, name := range contexts {
		picked[name] = true
		c, _ := b.Context(name)
		notes := append(append(append([]string(nil), c.Gaps...), c.Warnings...), c.Missing...)
		in.Contexts = append(in.Contexts, Context{Name: c.Name, GlooCluster: c.GlooCluster, ServerVersion: c.ServerVersion, Error: c.Error, Notes: notes})
	}
	in.Translations = b.Translations(contexts, source.Query{Name: name, Namespace: namespace, ParentKinds: kinds})
	in.Explain, _, _ = b.ExplainInput(contexts, name, namespace)
	for _, p := range m.Proxies {
		if !picked[p.Context] {
			continue
		}
		pod := p.Pod
		if pod == "" {
			pod = p.Target
		}
		in.Proxies = append(in.Proxies, Proxy{Context: p.Context, Name: "pod " + p.Namespace + "/" + pod, Source: b.ProxySource(p), Err: p.Error})
	}
	in.Trace = TraceRequest{Name: name, Namespace: namespace, Contexts: contexts, Bundle: b}
	return in
}

// FromFiles makes the Input of objects read from files: each object in the
// context source.FileContext places it in, as find -f and explain -f read
// them.
func FromFiles(objs []source.Object, paths []string, name, namespace string, kinds []string, kubectlVD string) Input {
	in := Input{Name: name, Namespace: namespace, Kinds: kinds, From: "files " + strings.Join(paths, ", "), KubectlVD: kubectlVD}
	q := source.Query{Name: name, Namespace: namespace, ParentKinds: kinds}
	byContext := map[string][]source.Object{}
	seen := map[string]bool{}
	for _, o := range objs {
		o.Context = source.FileContext(o)
		seen[o.Context] = true
		if q.Matches(o) {
			byContext[o.Context] = append(byContext[o.Context], o)
		}
	}
	contexts := sortedKeys(seen)
	for _, c := range contexts {
		in.Contexts = append(in.Contexts, Context{Name: contextLabel(c), GlooCluster: glooClusterOf(byContext[c])})
		if len(byContext[c]) > 0 {
			in.Translations = append(in.Translations, source.ContextResult{Context: c, Objects: byContext[c]})
		}
	}
	in.Explain = model.FileInput(name, namespace, objs)
	in.Trace = TraceRequest{Name: name, Namespace: namespace, Contexts: contexts, Objects: objs}
	return in
}

func glooClusterOf(objs []source.Object) string {
	for _, o := range objs {
		if c := source.GlooCluster(o); c != "" {
			return c
		}
	}
	return ""
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
