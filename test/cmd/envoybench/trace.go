package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

var (
	traceBench = flag.Bool("trace", true, "also measure kubectl vd trace (a 20,000-cluster proxy dump; 2,000 VirtualServices)")
	traceSize  = flag.Int("trace-clusters", 20000, "clusters of the proxy dump trace reads")
	traceVS    = flag.Int("trace-virtualservices", 2000, "VirtualServices (of 10 routes each) of the configuration trace")
)

// istioctlAll is `istioctl proxy-config all --file` on a 20,000-cluster
// proxy dump, measured on this machine (drift's reference too).
var istioctlAll = driftRef

// traceRows measures a proxy trace from a whole proxy dump and a
// configuration trace among many VirtualServices.
func traceRows(gen *generator, helper, dir, bin string) ([]row, error) {
	dump := filepath.Join(dir, fmt.Sprintf("proxy_dump-%d.json", *traceSize))
	host, err := gen.writeProxyDump(*dumpSrc, dump, *traceSize)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "measuring trace, %d-cluster proxy dump...\n", *traceSize)
	url := "http://" + host + ":9080/productpage"
	out, m, err := measureArgs(helper, dir, bin, []string{"trace", url, "--dump", dump})
	if err != nil {
		return nil, err
	}
	st, _ := os.Stat(dump)
	check := "routed"
	if !bytes.Contains(out, []byte("outbound|9080||"+host)) || !bytes.Contains(out, []byte("PRIORITY")) {
		check = "NOT ROUTED"
	}
	rows := []row{{name: fmt.Sprintf("trace --dump, %d clusters", *traceSize), input: filepath.Base(dump), size: st.Size(), m: m, output: check}}
	if *traceSize == 20000 {
		rows[0].ref = &istioctlAll // istioctl was measured on that size
	}

	// The same objects as JSON and as YAML: reading YAML costs more than
	// the trace itself.
	for _, ext := range []string{"json", "yaml"} {
		cfg := filepath.Join(dir, fmt.Sprintf("virtualservices-%d.%s", *traceVS, ext))
		if err := writeVirtualServices(cfg, *traceVS); err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "measuring trace, %d VirtualServices (%s)...\n", *traceVS, ext)
		url := fmt.Sprintf("http://svc-%d.example.com/r9/page", *traceVS-1)
		out, m, err := measureArgs(helper, dir, bin, []string{"trace", url, "-f", cfg, "--from-gateway", "istio-gateways/istio-ingressgateway"})
		if err != nil {
			return nil, err
		}
		st, _ := os.Stat(cfg)
		check := "routed"
		if !bytes.Contains(out, []byte(fmt.Sprintf("vs-%d", *traceVS-1))) || !bytes.Contains(out, []byte("route-9")) {
			check = "NOT ROUTED"
		}
		rows = append(rows, row{name: fmt.Sprintf("trace -f, %d VirtualServices x 10 routes (%s)", *traceVS, ext), input: filepath.Base(cfg), size: st.Size(), m: m, output: check, target: "target < 1 s"})
	}
	return rows, nil
}

// writeProxyDump writes the fixture's dump grown to n clusters, every
// section kept (bootstrap, listeners, routes, EDS): each replicated
// cluster of port 9080 gets its EDS assignment (a copy of its template's)
// and a virtual host in route configuration "9080", as istiod gives a
// sidecar for that many services. It returns the last 9080 host.
func (g *generator) writeProxyDump(src, path string, n int) (string, error) {
	var dump struct {
		Configs []map[string]json.RawMessage `json:"configs"`
	}
	if err := readJSON(src, &dump); err != nil {
		return "", err
	}
	// The EDS assignment of each template cluster.
	clas := map[string]json.RawMessage{}
	for _, c := range dump.Configs {
		var entries []struct {
			Config json.RawMessage `json:"endpoint_config"`
		}
		_ = json.Unmarshal(c["dynamic_endpoint_configs"], &entries)
		for _, e := range entries {
			var cla struct {
				Name string `json:"cluster_name"`
			}
			_ = json.Unmarshal(e.Config, &cla)
			clas[cla.Name] = e.Config
		}
	}
	type replica struct{ name, host, entry string }
	var reps []replica
	for i := 0; i < n-len(g.statics); i++ {
		t := g.templates[i%len(g.templates)]
		var entry struct {
			Cluster struct {
				Name string `json:"name"`
			} `json:"cluster"`
		}
		_ = json.Unmarshal(t.json, &entry)
		name := string(renamedName(entry.Cluster.Name, t.host, i))
		reps = append(reps, replica{name: name, host: envoy.ClusterHost(name), entry: entry.Cluster.Name})
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	last := ""
	w.WriteString("{\n \"configs\": [\n")
	for ci, c := range dump.Configs {
		if ci > 0 {
			w.WriteString(",\n")
		}
		var typ string
		_ = json.Unmarshal(c["@type"], &typ)
		switch {
		case strings.HasSuffix(typ, "ClustersConfigDump"):
			fmt.Fprintf(w, "{\"@type\": %q, \"static_clusters\": %s, \"dynamic_active_clusters\": [\n", typ, c["static_clusters"])
			for i := range reps {
				if i > 0 {
					w.WriteString(",\n")
				}
				w.Write(renamed(g.templates[i%len(g.templates)], i))
			}
			w.WriteString("]}")
		case strings.HasSuffix(typ, "EndpointsConfigDump"):
			fmt.Fprintf(w, "{\"@type\": %q, \"dynamic_endpoint_configs\": [\n", typ)
			first := true
			for i, r := range reps {
				cla, ok := clas[r.entry]
				if !ok {
					continue
				}
				if !first {
					w.WriteString(",\n")
				}
				first = false
				t := g.templates[i%len(g.templates)]
				w.WriteString(`{"endpoint_config": `)
				w.Write(bytes.ReplaceAll(cla, []byte(`|`+t.host+`"`), []byte(`|`+r.host+`"`)))
				w.WriteString("}")
			}
			w.WriteString("]}")
		case strings.HasSuffix(typ, "RoutesConfigDump"):
			var entries []map[string]json.RawMessage
			_ = json.Unmarshal(c["dynamic_route_configs"], &entries)
			fmt.Fprintf(w, "{\"@type\": %q, \"dynamic_route_configs\": [\n", typ)
			for ei, e := range entries {
				if ei > 0 {
					w.WriteString(",\n")
				}
				var rc map[string]json.RawMessage
				_ = json.Unmarshal(e["route_config"], &rc)
				var name string
				_ = json.Unmarshal(rc["name"], &name)
				if name != "9080" {
					w.WriteString(`{"route_config": `)
					w.Write(e["route_config"])
					w.WriteString("}")
					continue
				}
				var vhs []json.RawMessage
				_ = json.Unmarshal(rc["virtual_hosts"], &vhs)
				fmt.Fprintf(w, "{\"route_config\": {\"@type\": \"type.googleapis.com/envoy.config.route.v3.RouteConfiguration\", \"name\": \"9080\", \"ignore_port_in_host_matching\": true, \"virtual_hosts\": [\n")
				for _, r := range reps {
					if !strings.HasPrefix(r.name, "outbound|9080||") || clas[r.entry] == nil {
						continue
					}
					fmt.Fprintf(w, "{\"name\": %q, \"domains\": [%q], \"routes\": [{\"name\": \"default\", \"match\": {\"prefix\": \"/\"}, \"route\": {\"cluster\": %q}}]},\n", r.host+":9080", r.host, r.name)
					last = r.host
				}
				for vi, vh := range vhs {
					if vi > 0 {
						w.WriteString(",\n")
					}
					w.Write(vh)
				}
				w.WriteString("]}}")
			}
			w.WriteString("]}")
		default:
			b, _ := json.Marshal(c)
			w.Write(b)
		}
	}
	w.WriteString("\n ]\n}\n")
	if err := w.Flush(); err != nil {
		return "", err
	}
	if last == "" {
		return "", fmt.Errorf("%s: no cluster of port 9080 with endpoints to replicate", src)
	}
	return last, f.Close()
}

func renamedName(name, host string, i int) []byte {
	first, rest, _ := strings.Cut(host, ".")
	return bytes.ReplaceAll([]byte(name), []byte("|"+host), []byte(fmt.Sprintf("|%s-%d.%s", first, i, rest)))
}

// vsObjects are n VirtualServices of 10 routes each bound to one gateway,
// with the gateway's pod and node, and the ServiceEntry they route to.
func vsObjects(n int) []map[string]any {
	type m = map[string]any
	objs := []m{
		{"apiVersion": "v1", "kind": "Node", "metadata": m{"name": "gateways", "labels": m{
			"topology.kubernetes.io/region": "us-east-1", "topology.kubernetes.io/zone": "us-east-1a"}}},
		{"apiVersion": "v1", "kind": "Pod", "metadata": m{"name": "istio-ingressgateway", "namespace": "istio-gateways", "labels": m{"istio": "ingressgateway"}},
			"spec":   m{"nodeName": "gateways", "containers": []any{m{"name": "istio-proxy", "image": "istio/proxyv2"}}},
			"status": m{"podIP": "10.0.0.1"}},
		{"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": m{"name": "gw", "namespace": "istio-gateways"},
			"spec": m{"selector": m{"istio": "ingressgateway"}, "servers": []any{m{"hosts": []any{"*"}, "port": m{"name": "http", "number": 80, "protocol": "HTTP"}}}}},
		{"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "metadata": m{"name": "backend", "namespace": "istio-gateways"},
			"spec": m{"hosts": []any{"backend.global"}, "location": "MESH_INTERNAL", "resolution": "STATIC",
				"ports":     []any{m{"name": "http", "number": 9080, "protocol": "HTTP"}},
				"endpoints": []any{m{"address": "10.1.0.1", "locality": "us-east-1/us-east-1a"}, m{"address": "10.1.0.2", "locality": "us-east-1/us-east-1b"}}}},
	}
	for i := 0; i < n; i++ {
		var http []any
		for j := 0; j < 10; j++ {
			prefix := m{"prefix": fmt.Sprintf("/r%d/", j)}
			http = append(http, m{
				"name": fmt.Sprintf("route-%d", j),
				"match": []any{
					m{"uri": prefix, "headers": m{"x-version": m{"exact": fmt.Sprintf("v%d", j)}}},
					m{"uri": prefix},
				},
				"route": []any{m{"destination": m{"host": "backend.global", "port": m{"number": 9080}}}},
			})
		}
		objs = append(objs, m{"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
			"metadata": m{"name": fmt.Sprintf("vs-%d", i), "namespace": "istio-gateways"},
			"spec":     m{"hosts": []any{fmt.Sprintf("svc-%d.example.com", i)}, "gateways": []any{"gw"}, "http": http}})
	}
	return objs
}

// writeVirtualServices writes vsObjects as YAML documents (.yaml) or as a
// JSON List (.json).
func writeVirtualServices(path string, n int) error {
	objs := vsObjects(n)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if strings.HasSuffix(path, ".json") {
		items := make([]any, len(objs))
		for i, o := range objs {
			items[i] = o
		}
		if err := json.NewEncoder(w).Encode(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}); err != nil {
			return err
		}
	} else {
		for i, o := range objs {
			b, err := yaml.Marshal(o)
			if err != nil {
				return err
			}
			if i > 0 {
				w.WriteString("---\n")
			}
			w.Write(b)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
