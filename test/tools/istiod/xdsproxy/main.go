// Command xds-proxy plays the Envoy of one fake (kwok) pod for the end-to-end
// tests: it connects to its cluster's istiod as that pod's sidecar or
// gateway, with the node id and metadata pilot-agent would build and the
// bootstrap Istio's template renders, subscribes as Envoy does over delta
// ADS (CDS, EDS of the EDS clusters, LDS, RDS of the listeners' routes),
// keeps what it receives, and serves the parts of Envoy's admin API the
// plugin reads: /config_dump (with ?include_eds) and /clusters?format=json.
//
// No Envoy binary exists on the test machines, and what matters to the
// plugin is the configuration istiod computes, which this receives unchanged.
// Hosts are HEALTHY unless a test marks one as failing its outlier check.
//
// Test controls, on the admin address only (never part of Envoy's API):
//
//	POST /vd-test/stale            stop taking updates (no apply, no ACK)
//	POST /vd-test/outlier?cluster=C&host=IP:PORT&failed=true|false
//	GET  /vd-test/synced           200 once CDS, EDS, LDS and RDS arrived
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"istio.io/istio/pkg/bootstrap"
	"istio.io/istio/pkg/config/mesh"
	// Registers every Envoy extension type istiod emits, so that the
	// config dump's typed configs marshal to JSON as Envoy's do.
	_ "istio.io/istio/pkg/config/xds"
)

const (
	clusterType  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	endpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	listenerType = "type.googleapis.com/envoy.config.listener.v3.Listener"
	routeType    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
)

type options struct {
	xds, admin, template                       string
	nodeType, pod, namespace, ip, sa, nodeName string
	clusterID, meshID, network, trustDomain    string
	labels, owner                              string
}

func main() {
	var o options
	flag.StringVar(&o.xds, "xds", "", "istiod's plaintext xDS address (host:port)")
	flag.StringVar(&o.admin, "admin", "127.0.0.1:0", "address of the admin API")
	flag.StringVar(&o.template, "bootstrap-template", "", "Istio's envoy_bootstrap.json template")
	flag.StringVar(&o.nodeType, "type", "sidecar", "sidecar or router (a gateway)")
	flag.StringVar(&o.pod, "pod", "", "pod name")
	flag.StringVar(&o.namespace, "namespace", "", "pod namespace")
	flag.StringVar(&o.ip, "ip", "", "pod IP")
	flag.StringVar(&o.sa, "service-account", "default", "pod service account")
	flag.StringVar(&o.nodeName, "node-name", "", "the pod's node")
	flag.StringVar(&o.labels, "labels", "{}", "pod labels, JSON")
	flag.StringVar(&o.owner, "owner", "", "workload owner (kubernetes://apis/apps/v1/namespaces/NS/deployments/NAME)")
	flag.StringVar(&o.clusterID, "cluster-id", "", "Istio cluster id")
	flag.StringVar(&o.meshID, "mesh-id", "mesh1", "mesh id")
	flag.StringVar(&o.network, "network", "", "network of the pod")
	flag.StringVar(&o.trustDomain, "trust-domain", "cluster.local", "trust domain")
	flag.Parse()
	if o.xds == "" || o.pod == "" || o.namespace == "" || o.ip == "" || o.template == "" {
		fmt.Fprintln(os.Stderr, "xds-proxy: --xds, --pod, --namespace, --ip and --bootstrap-template are required")
		os.Exit(2)
	}

	boot, err := renderBootstrap(o)
	if err != nil {
		log.Fatalf("bootstrap: %v", err)
	}
	p := newProxy(boot)
	l, err := net.Listen("tcp", o.admin)
	if err != nil {
		log.Fatalf("admin listener: %v", err)
	}
	log.Printf("admin API on %s, node %s", l.Addr(), boot.Node.Id)
	srv := &http.Server{Handler: p.handler()}
	go func() { _ = srv.Serve(l) }()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p.run(ctx, o.xds)
	_ = srv.Close()
}

// renderBootstrap builds the node as pilot-agent does (environment of the
// injected sidecar, ISTIO_META_* variables) and renders Istio's bootstrap
// template with it, which is what Envoy would be started with.
func renderBootstrap(o options) (*bootstrapv3.Bootstrap, error) {
	labels := map[string]string{}
	if err := json.Unmarshal([]byte(o.labels), &labels); err != nil {
		return nil, fmt.Errorf("--labels: %w", err)
	}
	labelsJSON, _ := json.Marshal(labels)
	pc := mesh.DefaultProxyConfig()
	pc.DiscoveryAddress = "istiod.istio-system.svc:15012"
	pc.MeshId = o.meshID
	app := labels["app"]
	if app == "" {
		app = o.pod
	}
	envs := []string{
		"POD_NAME=" + o.pod,
		"POD_NAMESPACE=" + o.namespace,
		"INSTANCE_IP=" + o.ip,
		"SERVICE_ACCOUNT=" + o.sa,
		"ISTIO_METAJSON_LABELS=" + string(labelsJSON),
		"ISTIO_META_CLUSTER_ID=" + o.clusterID,
		"ISTIO_META_MESH_ID=" + o.meshID,
		"ISTIO_META_NODE_NAME=" + o.nodeName,
		"ISTIO_META_INTERCEPTION_MODE=REDIRECT",
		"ISTIO_META_WORKLOAD_NAME=" + workloadName(o.owner, o.pod),
		"ISTIO_META_ISTIO_VERSION=1.31.0",
		"TRUST_DOMAIN=" + o.trustDomain,
	}
	if o.owner != "" {
		envs = append(envs, "ISTIO_META_OWNER="+o.owner)
	}
	if o.network != "" {
		envs = append(envs, "ISTIO_META_NETWORK="+o.network)
	}
	if o.nodeType == "sidecar" {
		envs = append(envs, "ISTIO_META_APP_CONTAINERS="+app)
	}
	id := fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", o.nodeType, o.ip, o.pod, o.namespace, o.namespace)
	node, err := bootstrap.GetNodeMetaData(bootstrap.MetadataOptions{
		Envs:                envs,
		InstanceIPs:         []string{o.ip},
		ID:                  id,
		ProxyConfig:         pc,
		PilotSubjectAltName: []string{fmt.Sprintf("spiffe://%s/ns/istio-system/sa/istiod", o.trustDomain)},
		EnvoyStatusPort:     15021,
		EnvoyPrometheusPort: 15090,
	})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := bootstrap.New(bootstrap.Config{Node: node}).WriteTo(o.template, &buf); err != nil {
		return nil, err
	}
	b := &bootstrapv3.Bootstrap{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(buf.Bytes(), b); err != nil {
		return nil, fmt.Errorf("rendered bootstrap: %w", err)
	}
	return b, nil
}

func workloadName(owner, pod string) string {
	if i := strings.LastIndex(owner, "/"); i >= 0 {
		return owner[i+1:]
	}
	return pod
}

// resource is one xDS resource as received.
type resource struct {
	version string
	msg     proto.Message
	any     *anypb.Any
	updated time.Time
}

type proxy struct {
	boot    *bootstrapv3.Bootstrap
	started time.Time
	stale   atomic.Bool

	mu        sync.Mutex
	resources map[string]map[string]*resource // type URL -> name -> resource
	versions  map[string]string               // type URL -> system version of the last response
	received  map[string]bool
	// failed holds the hosts a test marked as failing their outlier
	// check: cluster -> "ip:port".
	failed map[string]map[string]bool
}

func newProxy(b *bootstrapv3.Bootstrap) *proxy {
	return &proxy{
		boot: b, started: time.Now(),
		resources: map[string]map[string]*resource{clusterType: {}, endpointType: {}, listenerType: {}, routeType: {}},
		versions:  map[string]string{},
		received:  map[string]bool{},
		failed:    map[string]map[string]bool{},
	}
}

// run keeps a delta ADS stream to istiod, reconnecting (with the versions it
// holds, as Envoy does) when the stream breaks, until ctx ends.
func (p *proxy) run(ctx context.Context, addr string) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
	if err != nil {
		log.Fatalf("xds client: %v", err)
	}
	defer conn.Close()
	client := discoveryv3.NewAggregatedDiscoveryServiceClient(conn)
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		began := time.Now()
		err := p.stream(ctx, client)
		if ctx.Err() != nil {
			return
		}
		log.Printf("xds stream ended: %v", err)
		if time.Since(began) > 10*time.Second {
			backoff = 200 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// subscriptions is what one stream asked for per type.
type subscriptions struct {
	names map[string]map[string]bool
	lds   bool
}

func (p *proxy) stream(ctx context.Context, client discoveryv3.AggregatedDiscoveryServiceClient) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := client.DeltaAggregatedResources(ctx)
	if err != nil {
		return err
	}
	subs := &subscriptions{names: map[string]map[string]bool{endpointType: {}, routeType: {}}}
	first := true
	send := func(req *discoveryv3.DeltaDiscoveryRequest) error {
		if first {
			req.Node = p.boot.Node
			first = false
		}
		return s.Send(req)
	}
	// Envoy starts with CDS (wildcard), then EDS for the EDS clusters it
	// got, then LDS, then RDS for the routes its listeners name.
	if err := send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: clusterType, InitialResourceVersions: p.heldVersions(clusterType)}); err != nil {
		return err
	}
	for {
		resp, err := s.Recv()
		if err != nil {
			return err
		}
		if p.stale.Load() {
			// A stale proxy: it neither applies nor acknowledges.
			continue
		}
		p.apply(resp)
		if err := send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resp.TypeUrl, ResponseNonce: resp.Nonce}); err != nil {
			return err
		}
		switch resp.TypeUrl {
		case clusterType:
			if err := p.resubscribe(send, subs, endpointType, p.edsClusters()); err != nil {
				return err
			}
			if len(subs.names[endpointType]) == 0 {
				if err := p.startLDS(send, subs); err != nil {
					return err
				}
			}
		case endpointType:
			if err := p.startLDS(send, subs); err != nil {
				return err
			}
		case listenerType:
			if err := p.resubscribe(send, subs, routeType, p.routeNames()); err != nil {
				return err
			}
		}
	}
}

func (p *proxy) startLDS(send func(*discoveryv3.DeltaDiscoveryRequest) error, subs *subscriptions) error {
	if subs.lds {
		return nil
	}
	subs.lds = true
	return send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: listenerType, InitialResourceVersions: p.heldVersions(listenerType)})
}

// resubscribe sends the change between what a stream asked for of a type
// and what is wanted now.
func (p *proxy) resubscribe(send func(*discoveryv3.DeltaDiscoveryRequest) error, subs *subscriptions, typeURL string, want map[string]bool) error {
	have := subs.names[typeURL]
	req := &discoveryv3.DeltaDiscoveryRequest{TypeUrl: typeURL}
	for n := range want {
		if !have[n] {
			req.ResourceNamesSubscribe = append(req.ResourceNamesSubscribe, n)
		}
	}
	for n := range have {
		if !want[n] {
			req.ResourceNamesUnsubscribe = append(req.ResourceNamesUnsubscribe, n)
		}
	}
	if len(req.ResourceNamesSubscribe) == 0 && len(req.ResourceNamesUnsubscribe) == 0 {
		return nil
	}
	sort.Strings(req.ResourceNamesSubscribe)
	sort.Strings(req.ResourceNamesUnsubscribe)
	if len(have) == 0 {
		req.InitialResourceVersions = p.heldVersions(typeURL)
	}
	subs.names[typeURL] = want
	p.mu.Lock()
	for n := range p.resources[typeURL] {
		if !want[n] {
			delete(p.resources[typeURL], n)
		}
	}
	p.mu.Unlock()
	return send(req)
}

func (p *proxy) heldVersions(typeURL string) map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.resources[typeURL]) == 0 {
		return nil
	}
	out := map[string]string{}
	for n, r := range p.resources[typeURL] {
		out[n] = r.version
	}
	return out
}

func (p *proxy) apply(resp *discoveryv3.DeltaDiscoveryResponse) {
	p.mu.Lock()
	defer p.mu.Unlock()
	held, ok := p.resources[resp.TypeUrl]
	if !ok {
		return
	}
	now := time.Now()
	for _, r := range resp.Resources {
		if r.Resource == nil {
			continue
		}
		msg, err := r.Resource.UnmarshalNew()
		if err != nil {
			log.Printf("%s %s: %v", resp.TypeUrl, r.Name, err)
			continue
		}
		held[r.Name] = &resource{version: r.Version, msg: msg, any: r.Resource, updated: now}
	}
	for _, n := range resp.RemovedResources {
		delete(held, n)
	}
	p.versions[resp.TypeUrl] = resp.SystemVersionInfo
	p.received[resp.TypeUrl] = true
}

func (p *proxy) edsClusters() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.edsClustersLocked()
}

func (p *proxy) edsClustersLocked() map[string]bool {
	out := map[string]bool{}
	for n, r := range p.resources[clusterType] {
		if c, ok := r.msg.(*clusterv3.Cluster); ok && c.GetType() == clusterv3.Cluster_EDS {
			name := n
			if sn := c.GetEdsClusterConfig().GetServiceName(); sn != "" {
				name = sn
			}
			out[name] = true
		}
	}
	return out
}

func (p *proxy) routeNames() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.routeNamesLocked()
}

func (p *proxy) routeNamesLocked() map[string]bool {
	out := map[string]bool{}
	for _, r := range p.resources[listenerType] {
		l, ok := r.msg.(*listenerv3.Listener)
		if !ok {
			continue
		}
		chains := append([]*listenerv3.FilterChain{}, l.FilterChains...)
		if l.DefaultFilterChain != nil {
			chains = append(chains, l.DefaultFilterChain)
		}
		for _, fc := range chains {
			for _, f := range fc.Filters {
				tc := f.GetTypedConfig()
				if tc == nil {
					continue
				}
				h := &hcmv3.HttpConnectionManager{}
				if tc.UnmarshalTo(h) != nil {
					continue
				}
				if rds := h.GetRds(); rds != nil && rds.RouteConfigName != "" {
					out[rds.RouteConfigName] = true
				}
			}
		}
	}
	return out
}

func (p *proxy) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/config_dump", func(w http.ResponseWriter, r *http.Request) {
		_, eds := r.URL.Query()["include_eds"]
		p.writeJSON(w, p.configDump(eds))
	})
	mux.HandleFunc("/clusters", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") != "json" {
			http.Error(w, "only /clusters?format=json is served", http.StatusNotImplemented)
			return
		}
		p.writeJSON(w, p.clusters())
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "LIVE")
	})
	mux.HandleFunc("POST /vd-test/stale", func(w http.ResponseWriter, r *http.Request) {
		p.stale.Store(true)
		fmt.Fprintln(w, "stale")
	})
	mux.HandleFunc("POST /vd-test/outlier", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		c, h := q.Get("cluster"), q.Get("host")
		if c == "" || h == "" {
			http.Error(w, "cluster and host are required", http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		if p.failed[c] == nil {
			p.failed[c] = map[string]bool{}
		}
		p.failed[c][h] = q.Get("failed") != "false"
		p.mu.Unlock()
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/vd-test/synced", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		ok := p.received[clusterType] && p.received[listenerType] &&
			(len(p.resources[endpointType]) > 0 || len(p.edsClustersLocked()) == 0) &&
			(p.received[routeType] || len(p.routeNamesLocked()) == 0)
		p.mu.Unlock()
		if !ok {
			http.Error(w, "not synced", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "synced")
	})
	return mux
}

func (p *proxy) writeJSON(w http.ResponseWriter, m proto.Message) {
	data, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// protojson varies its spacing on purpose; Envoy indents by one.
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", " "); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	buf.WriteByte('\n')
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(buf.Bytes())
}

func mustAny(m proto.Message) *anypb.Any {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	return a
}

func sortedNames(m map[string]*resource) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// configDump answers as Envoy's /config_dump: bootstrap, clusters, (the
// endpoints with include_eds), listeners, scoped routes, routes, secrets.
func (p *proxy) configDump(eds bool) *adminv3.ConfigDump {
	p.mu.Lock()
	defer p.mu.Unlock()
	started := timestamppb.New(p.started)
	out := &adminv3.ConfigDump{}
	out.Configs = append(out.Configs, mustAny(&adminv3.BootstrapConfigDump{Bootstrap: p.boot, LastUpdated: started}))

	cd := &adminv3.ClustersConfigDump{VersionInfo: p.versions[clusterType]}
	for _, c := range p.boot.GetStaticResources().GetClusters() {
		cd.StaticClusters = append(cd.StaticClusters, &adminv3.ClustersConfigDump_StaticCluster{Cluster: mustAny(c), LastUpdated: started})
	}
	for _, n := range sortedNames(p.resources[clusterType]) {
		r := p.resources[clusterType][n]
		cd.DynamicActiveClusters = append(cd.DynamicActiveClusters, &adminv3.ClustersConfigDump_DynamicCluster{
			VersionInfo: r.version, Cluster: r.any, LastUpdated: timestamppb.New(r.updated)})
	}
	out.Configs = append(out.Configs, mustAny(cd))

	if eds {
		ed := &adminv3.EndpointsConfigDump{}
		for _, c := range p.boot.GetStaticResources().GetClusters() {
			ed.StaticEndpointConfigs = append(ed.StaticEndpointConfigs, &adminv3.EndpointsConfigDump_StaticEndpointConfig{
				EndpointConfig: mustAny(p.loadAssignmentLocked(c)), LastUpdated: started})
		}
		for _, n := range sortedNames(p.resources[clusterType]) {
			r := p.resources[clusterType][n]
			c := r.msg.(*clusterv3.Cluster)
			cfg := &adminv3.EndpointsConfigDump_DynamicEndpointConfig{EndpointConfig: mustAny(p.loadAssignmentLocked(c))}
			if e := p.endpointResource(c); e != nil {
				cfg.VersionInfo, cfg.LastUpdated = e.version, timestamppb.New(e.updated)
			}
			ed.DynamicEndpointConfigs = append(ed.DynamicEndpointConfigs, cfg)
		}
		out.Configs = append(out.Configs, mustAny(ed))
	}

	ld := &adminv3.ListenersConfigDump{VersionInfo: p.versions[listenerType]}
	for _, n := range sortedNames(p.resources[listenerType]) {
		r := p.resources[listenerType][n]
		ld.DynamicListeners = append(ld.DynamicListeners, &adminv3.ListenersConfigDump_DynamicListener{
			Name: n,
			ActiveState: &adminv3.ListenersConfigDump_DynamicListenerState{
				VersionInfo: r.version, Listener: r.any, LastUpdated: timestamppb.New(r.updated)},
		})
	}
	out.Configs = append(out.Configs, mustAny(ld))
	out.Configs = append(out.Configs, mustAny(&adminv3.ScopedRoutesConfigDump{}))

	rd := &adminv3.RoutesConfigDump{}
	for _, n := range sortedNames(p.resources[routeType]) {
		r := p.resources[routeType][n]
		rd.DynamicRouteConfigs = append(rd.DynamicRouteConfigs, &adminv3.RoutesConfigDump_DynamicRouteConfig{
			VersionInfo: r.version, RouteConfig: r.any, LastUpdated: timestamppb.New(r.updated)})
	}
	out.Configs = append(out.Configs, mustAny(rd))
	// Secrets come from pilot-agent's SDS server, which is not played here.
	out.Configs = append(out.Configs, mustAny(&adminv3.SecretsConfigDump{}))
	return out
}

func (p *proxy) endpointResource(c *clusterv3.Cluster) *resource {
	if c.GetType() != clusterv3.Cluster_EDS {
		return nil
	}
	name := c.Name
	if sn := c.GetEdsClusterConfig().GetServiceName(); sn != "" {
		name = sn
	}
	return p.resources[endpointType][name]
}

// loadAssignmentLocked is the cluster's endpoints as Envoy holds them: from
// EDS for an EDS cluster, else the cluster's own, with Envoy's default
// overprovisioning factor filled in.
func (p *proxy) loadAssignmentLocked(c *clusterv3.Cluster) *endpointv3.ClusterLoadAssignment {
	var cla *endpointv3.ClusterLoadAssignment
	if e := p.endpointResource(c); e != nil {
		cla = proto.Clone(e.msg).(*endpointv3.ClusterLoadAssignment)
	} else if c.GetLoadAssignment() != nil {
		cla = proto.Clone(c.GetLoadAssignment()).(*endpointv3.ClusterLoadAssignment)
	} else {
		cla = &endpointv3.ClusterLoadAssignment{}
	}
	cla.ClusterName = c.Name
	if cla.Policy == nil {
		cla.Policy = &endpointv3.ClusterLoadAssignment_Policy{}
	}
	if cla.Policy.OverprovisioningFactor == nil {
		cla.Policy.OverprovisioningFactor = wrapperspb.UInt32(140)
	}
	return cla
}

// hostStats are the per-host statistics Envoy lists, all zero: no traffic
// flows through these proxies.
func hostStats() []*adminv3.SimpleMetric {
	var out []*adminv3.SimpleMetric
	for _, n := range []string{"cx_connect_fail", "cx_total", "rq_error", "rq_success", "rq_timeout", "rq_total"} {
		out = append(out, &adminv3.SimpleMetric{Name: n})
	}
	for _, n := range []string{"cx_active", "rq_active"} {
		out = append(out, &adminv3.SimpleMetric{Type: adminv3.SimpleMetric_GAUGE, Name: n})
	}
	return out
}

// clusters answers as Envoy's /clusters?format=json.
func (p *proxy) clusters() *adminv3.Clusters {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := &adminv3.Clusters{}
	add := func(c *clusterv3.Cluster, viaAPI bool) {
		st := &adminv3.ClusterStatus{Name: c.Name, AddedViaApi: viaAPI, ObservabilityName: c.Name}
		if c.AltStatName != "" {
			st.ObservabilityName = c.AltStatName
		}
		if cb := c.GetCircuitBreakers(); cb != nil {
			st.CircuitBreakers = cb
		}
		for _, le := range p.loadAssignmentLocked(c).GetEndpoints() {
			for _, lb := range le.GetLbEndpoints() {
				addr := lb.GetEndpoint().GetAddress()
				if addr == nil {
					continue
				}
				hs := &adminv3.HostStatus{
					Address:      addr,
					Stats:        hostStats(),
					HealthStatus: &adminv3.HostHealthStatus{EdsHealthStatus: lb.GetHealthStatus()},
					Weight:       1,
					Priority:     le.GetPriority(),
					Locality:     le.GetLocality(),
				}
				if hs.HealthStatus.EdsHealthStatus == corev3.HealthStatus_UNKNOWN {
					hs.HealthStatus.EdsHealthStatus = corev3.HealthStatus_HEALTHY
				}
				if w := lb.GetLoadBalancingWeight(); w != nil {
					hs.Weight = w.Value
				}
				if sa := addr.GetSocketAddress(); sa != nil {
					key := fmt.Sprintf("%s:%d", sa.GetAddress(), sa.GetPortValue())
					hs.HealthStatus.FailedOutlierCheck = p.failed[c.Name][key]
				}
				st.HostStatuses = append(st.HostStatuses, hs)
			}
		}
		out.ClusterStatuses = append(out.ClusterStatuses, st)
	}
	for _, c := range p.boot.GetStaticResources().GetClusters() {
		add(c, false)
	}
	for _, n := range sortedNames(p.resources[clusterType]) {
		add(p.resources[clusterType][n].msg.(*clusterv3.Cluster), true)
	}
	return out
}
