package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/kubectl-vd/kubectl-vd/pkg/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
	"github.com/kubectl-vd/kubectl-vd/pkg/report"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
	"github.com/kubectl-vd/kubectl-vd/pkg/trace"
)

// The report's Trace section is kubectl vd trace's, from the proxies a
// bundle saved.
func init() { report.TraceSection = traceSection }

// traceSection traces the URL from the first proxy the bundle saved in each
// context, against the context's mesh configuration, as kubectl vd trace
// does live from that pod, and writes trace's Markdown.
func traceSection(_ context.Context, w io.Writer, req report.TraceRequest) error {
	if req.Bundle == nil {
		_, err := fmt.Fprintf(w, "trace: the report traces from the proxies a bundle saved: give --bundle FILE (kubectl vd bundle --proxy POD), or run kubectl vd trace %s --from POD\n", req.URL)
		return err
	}
	r, err := trace.ParseRequest(req.URL, "GET", nil)
	if err != nil {
		return err
	}
	var results []trace.Result
	for _, name := range req.Contexts {
		res, err := traceBundleContext(req.Bundle, name, r)
		res.Context = name
		if err != nil {
			res.Error = strings.Join(strings.Fields(err.Error()), " ")
		}
		results = append(results, res)
	}
	return trace.WriteMarkdown(w, trace.Output{Request: r, Traces: results})
}

func traceBundleContext(b *bundle.Bundle, name string, r trace.Request) (trace.Result, error) {
	mc := b.MeshConfigs([]string{name})[0]
	if mc.Err != nil {
		return trace.Result{}, errors.New(source.Describe(mc.Err))
	}
	var saved *bundle.Proxy
	for _, p := range b.Manifest.Proxies {
		if p.Context == name && p.Error == "" && p.ConfigDump != "" && p.Clusters != "" {
			saved = &p
			break
		}
	}
	if saved == nil {
		return trace.Result{}, fmt.Errorf("the bundle saved no proxy of context %s", name)
	}
	cfg, errs := mesh.FromObjects(name, trace.RelevantObjects(mc.Objects, r))
	if len(errs) > 0 {
		return trace.Result{}, errs[0]
	}
	in := trace.Input{Context: name, Config: cfg}
	if p := cfg.Pod(saved.Namespace, saved.Pod); p != nil {
		s := cfg.SourceOf(p)
		in.Source = &trace.Source{Namespace: saved.Namespace, Name: saved.Pod, Labels: p.Labels, Locality: s.Locality, Cluster: s.Cluster, Network: s.Network}
	}
	dump, _ := b.File(saved.ConfigDump)
	clusters, _ := b.File(saved.Clusters)
	statuses, err := envoy.ReadClusters(bytes.NewReader(clusters), false)
	if err != nil {
		return trace.Result{}, fmt.Errorf("%s: /clusters: %s", saved.Clusters, err)
	}
	// Health as the proxy saw its hosts when the bundle was taken.
	health := map[string]string{}
	for _, cs := range statuses {
		for _, h := range cs.Hosts {
			status := corev3.HealthStatus(h.Status).String()
			if status == "UNKNOWN" {
				status = "HEALTHY" // Envoy's /clusters reads an unset status as healthy
			}
			if h.FailedOutlier {
				status += ",FAILED_OUTLIER_CHECK"
			}
			health[cs.Name+" "+hostPort(h.Address, h.Port)] = status
		}
	}
	in.Proxy.Health = func(cluster, hp string) (string, bool) {
		v, ok := health[cluster+" "+hp]
		return v, ok
	}
	in.Dump = func(int) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(dump)), nil }
	return trace.Run(in, r)
}

func hostPort(addr string, port uint32) string {
	if strings.Contains(addr, ":") {
		return "[" + addr + "]:" + strconv.Itoa(int(port))
	}
	return addr + ":" + strconv.Itoa(int(port))
}
