package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Istio's control plane in the test clusters: Env.StartIstiod runs one real
// istiod (pilot-discovery, built from the istio.io/istio version that
// test/tools/istiod pins) per cluster against that cluster's apiserver, and
// Env.StartProxy plays the Envoy of a fake pod with xds-proxy (from the same
// tools module), a delta ADS client of that istiod which serves Envoy's admin
// API on the pod's port 15000 through kwok's port-forward.
//
// The clusters have no controller-manager: Env.WriteEndpointSlices writes
// the EndpointSlices istiod reads the Services' endpoints from.

const (
	// PilotDiscovery is istiod's program.
	PilotDiscovery = "pilot-discovery"
	// IstioNamespace is where istiod runs.
	IstioNamespace = "istio-system"
	// MeshID is the mesh of every test cluster, as in Gloo's workshop.
	MeshID = "mesh1"

	istioModule       = "istio.io/istio"
	bootstrapTemplate = "tools/packaging/common/envoy_bootstrap.json"
	xdsProxyName      = "xds-proxy"
	istiodInfoFile    = "istiod.json"
)

// istiodInfo is what a proxy needs of its cluster's istiod, kept in the
// cluster's folder so that a process attaching to a detached environment
// finds it.
type istiodInfo struct {
	XDSPort  int `json:"xdsPort"`
	HTTPPort int `json:"httpPort"`
}

// StartIstiod starts istiod in the named clusters (every cluster when none
// is named) and returns when each answers ready. Each runs with the mesh
// config of Gloo's workshop: trust domain, cluster id and network = the
// cluster's name, mesh id mesh1; plaintext xDS on a free port of 127.0.0.1;
// no webhook. It is stopped with the environment. The first call builds
// pilot-discovery (about 6 minutes on 2 cores; cached by version).
func (e *Env) StartIstiod(ctx context.Context, contexts ...string) error {
	if !e.opts.Kwok {
		return errors.New("StartIstiod needs an environment started with Kwok: true (proxies are fake pods)")
	}
	tools, err := BuildTools(ctx, e.opts.RepoRoot, e.opts.Log, PilotDiscovery)
	if err != nil {
		return err
	}
	var clusters []*cluster
	if len(contexts) == 0 {
		clusters = e.clusters
	}
	for _, name := range contexts {
		c, err := e.cluster(name)
		if err != nil {
			return err
		}
		clusters = append(clusters, c)
	}
	began := time.Now()
	errs := make([]error, len(clusters))
	done := make(chan int, len(clusters))
	for i, c := range clusters {
		go func() {
			errs[i] = e.startIstiod(ctx, c, tools[PilotDiscovery])
			done <- i
		}()
	}
	for range clusters {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	e.logf("istiod ready in %d clusters after %s", len(clusters), time.Since(began).Round(10*time.Millisecond))
	return nil
}

func (e *Env) startIstiod(ctx context.Context, c *cluster, exe string) error {
	if _, err := readIstiodInfo(c); err == nil {
		return fmt.Errorf("%s: istiod already started", c.name)
	}
	// The namespace's network label gives the cluster's pods their
	// network, as the workshop's values.global.network does.
	ns := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    topology.istio.io/network: %s\n", IstioNamespace, c.name)
	if err := e.ApplyYAML(c.name, []byte(ns)); err != nil {
		return err
	}
	dir := filepath.Join(c.dir, "istiod")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	meshFile := filepath.Join(dir, "mesh.yaml")
	mesh := fmt.Sprintf("trustDomain: %s\ndefaultConfig:\n  meshId: %s\n", c.name, MeshID)
	if err := os.WriteFile(meshFile, []byte(mesh), 0o644); err != nil {
		return err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	kc := clientcmdapi.NewConfig()
	kc.Clusters[c.name] = &clientcmdapi.Cluster{Server: c.cfg.Host, CertificateAuthorityData: e.creds.CA}
	kc.AuthInfos[adminUser] = &clientcmdapi.AuthInfo{Token: e.creds.AdminToken}
	kc.Contexts[c.name] = &clientcmdapi.Context{Cluster: c.name, AuthInfo: adminUser}
	kc.CurrentContext = c.name
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		return err
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePorts(6)
		if err != nil {
			return err
		}
		addr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
		args := []string{
			"discovery",
			"--kubeconfig=" + kubeconfig,
			"--clusterID=" + c.name,
			"--meshConfig=" + meshFile,
			// No mesh networks file: networks come from the namespace
			// labels and the WorkloadEntries.
			"--networksConfig=" + filepath.Join(dir, "no-mesh-networks.yaml"),
			"--httpAddr=" + addr(0),
			"--grpcAddr=" + addr(1),
			"--secureGRPCAddr=" + addr(2),
			"--httpsAddr=" + addr(3),
			"--monitoringAddr=" + addr(4),
			fmt.Sprintf("--ctrlz_port=%d", ports[5]),
			"--domain=cluster.local",
			"--log_output_level=default:warn,ads:info",
		}
		env := append(os.Environ(),
			"POD_NAMESPACE="+IstioNamespace,
			"POD_NAME=istiod-0",
			"CLUSTER_ID="+c.name,
			"ISTIOD_CUSTOM_HOST=localhost",
			// Gloo's translations select their WorkloadEntries with
			// the ServiceEntry only, not with the Kubernetes Service.
			"PILOT_ENABLE_K8S_SELECT_WORKLOAD_ENTRIES=false",
			// No webhook server reaches these clusters.
			"INJECTION_WEBHOOK_CONFIG_NAME=",
			"VALIDATION_WEBHOOK_CONFIG_NAME=",
			"PILOT_ENABLE_CROSS_CLUSTER_WORKLOAD_ENTRY=false",
			"KUBECONFIG="+kubeconfig,
			"HOME="+dir,
		)
		p, err := e.launch(c, "istiod", exe, args, env)
		if err != nil {
			return err
		}
		hc := &http.Client{Timeout: 2 * time.Second}
		lastErr = waitReady(ctx, p, 90*time.Second, func() bool {
			resp, err := hc.Get("http://" + addr(0) + "/ready")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		if lastErr == nil {
			info := istiodInfo{XDSPort: ports[1], HTTPPort: ports[0]}
			data, _ := json.Marshal(info)
			return os.WriteFile(filepath.Join(c.dir, istiodInfoFile), data, 0o644)
		}
		p.stop(stopGrace)
		if !errors.Is(lastErr, errPortTaken) {
			return lastErr
		}
	}
	return lastErr
}

func readIstiodInfo(c *cluster) (istiodInfo, error) {
	var info istiodInfo
	data, err := os.ReadFile(filepath.Join(c.dir, istiodInfoFile))
	if err != nil {
		return info, fmt.Errorf("%s: istiod is not running (Env.StartIstiod)", c.name)
	}
	err = json.Unmarshal(data, &info)
	return info, err
}

// IstiodDebug returns the answer of one of istiod's debug endpoints
// (/debug/configz, /debug/registryz, /debug/syncz...) in a cluster.
func (e *Env) IstiodDebug(context, path string) ([]byte, error) {
	c, err := e.cluster(context)
	if err != nil {
		return nil, err
	}
	info, err := readIstiodInfo(c)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(fmt.Sprintf("http://127.0.0.1:%d%s", info.HTTPPort, path))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("istiod %s: %s", path, resp.Status)
	}
	return body, err
}

// XDSProxy is a running xds-proxy playing the Envoy of one fake pod.
type XDSProxy struct {
	Context, Namespace, Pod, IP string
	// AdminPort is where its admin API listens on 127.0.0.1; the pod's
	// port 15000 forwards there.
	AdminPort int
}

// AdminURL is the proxy's admin API, reached directly.
func (p *XDSProxy) AdminURL() string { return fmt.Sprintf("http://127.0.0.1:%d", p.AdminPort) }

// Stale makes the proxy stop taking updates from istiod: it keeps the
// configuration it has, as an Envoy that lost its control plane would.
func (p *XDSProxy) Stale() error { return p.post("/vd-test/stale") }

// FailOutlierCheck marks a host (IP:PORT) of a cluster as failing (or no
// longer failing) its outlier check in /clusters.
func (p *XDSProxy) FailOutlierCheck(cluster, host string, failed bool) error {
	return p.post(fmt.Sprintf("/vd-test/outlier?cluster=%s&host=%s&failed=%t", queryEscape(cluster), queryEscape(host), failed))
}

func queryEscape(s string) string {
	return strings.NewReplacer("|", "%7C", "&", "%26", "=", "%3D", " ", "%20").Replace(s)
}

func (p *XDSProxy) post(path string) error {
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Post(p.AdminURL()+path, "text/plain", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("proxy %s/%s: %s %s: %s", p.Namespace, p.Pod, path, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

var podGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// StartProxy starts the Envoy of a running fake pod: a sidecar, or a
// gateway (node type router) when gateway is set. Its node is built from
// the pod (name, namespace, IP, labels, service account, node) as
// pilot-agent builds it. It returns once the proxy holds its clusters,
// endpoints, listeners and routes from istiod, and port-forwards to the
// pod's port 15000 reach its admin API (kwok applies the forward from a
// watch: retry the first one briefly).
func (e *Env) StartProxy(ctx context.Context, context, namespace, pod string, gateway bool) (*XDSProxy, error) {
	c, err := e.cluster(context)
	if err != nil {
		return nil, err
	}
	info, err := readIstiodInfo(c)
	if err != nil {
		return nil, err
	}
	exe, err := e.xdsProxyBinary(ctx)
	if err != nil {
		return nil, err
	}
	istioDir, err := moduleDir(ctx, filepath.Join(e.opts.RepoRoot, "test", "tools", "istiod", "go.mod"), istioModule, e.Dir)
	if err != nil {
		return nil, err
	}
	u, err := waitPodIP(ctx, c, namespace, pod)
	if err != nil {
		return nil, err
	}
	ip, _, _ := unstructured.NestedString(u.Object, "status", "podIP")
	sa, _, _ := unstructured.NestedString(u.Object, "spec", "serviceAccountName")
	node, _, _ := unstructured.NestedString(u.Object, "spec", "nodeName")
	if sa == "" {
		sa = "default"
	}
	labels, _ := json.Marshal(u.GetLabels())
	owner := ""
	for _, ref := range u.GetOwnerReferences() {
		owner = fmt.Sprintf("kubernetes://apis/%s/namespaces/%s/%ss/%s", ref.APIVersion, namespace, strings.ToLower(ref.Kind), ref.Name)
	}
	nodeType := "sidecar"
	if gateway {
		nodeType = "router"
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		args := []string{
			fmt.Sprintf("--xds=127.0.0.1:%d", info.XDSPort),
			fmt.Sprintf("--admin=127.0.0.1:%d", ports[0]),
			"--bootstrap-template=" + filepath.Join(istioDir, bootstrapTemplate),
			"--type=" + nodeType,
			"--pod=" + pod, "--namespace=" + namespace, "--ip=" + ip,
			"--service-account=" + sa, "--node-name=" + node,
			"--labels=" + string(labels), "--owner=" + owner,
			"--cluster-id=" + c.name, "--mesh-id=" + MeshID,
			"--network=" + c.name, "--trust-domain=" + c.name,
		}
		p, err := e.launch(c, xdsProxyName+"-"+namespace+"-"+pod, exe, args, os.Environ())
		if err != nil {
			return nil, err
		}
		px := &XDSProxy{Context: context, Namespace: namespace, Pod: pod, IP: ip, AdminPort: ports[0]}
		hc := &http.Client{Timeout: 2 * time.Second}
		lastErr = waitReady(ctx, p, 60*time.Second, func() bool {
			resp, err := hc.Get(px.AdminURL() + "/vd-test/synced")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
		if lastErr == nil {
			return px, e.forwardPod(context, namespace, pod, ports[0])
		}
		p.stop(stopGrace)
		if !errors.Is(lastErr, errPortTaken) {
			return nil, lastErr
		}
	}
	return nil, lastErr
}

// forwardPod makes port-forwards to port 15000 of one pod reach a local
// port, with a ClusterPortForward selecting that pod only.
func (e *Env) forwardPod(context, namespace, pod string, localPort int) error {
	return e.ApplyYAML(context, []byte(fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: envoy-admin-%s-%s
spec:
  selector:
    matchNamespaces: [%s]
    matchNames: [%s]
  forwards:
  - ports: [%d]
    target:
      address: 127.0.0.1
      port: %d
`, namespace, pod, namespace, pod, EnvoyAdminPort, localPort)))
}

// waitPodIP waits until kwok has made a pod Running with an IP.
func waitPodIP(ctx context.Context, c *cluster, namespace, pod string) (*unstructured.Unstructured, error) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		u, err := c.dyn.Resource(podGVR).Namespace(namespace).Get(ctx, pod, metav1.GetOptions{})
		if err == nil {
			phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
			ip, _, _ := unstructured.NestedString(u.Object, "status", "podIP")
			if phase == "Running" && ip != "" {
				return u, nil
			}
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("not Running with an IP")
			}
			return nil, fmt.Errorf("%s: pod %s/%s: %w", c.name, namespace, pod, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// xdsProxyBinary builds xds-proxy (once per content of its module: its
// sources, go.mod and go.sum) into the tools cache.
func (e *Env) xdsProxyBinary(ctx context.Context) (string, error) {
	modDir := filepath.Join(e.opts.RepoRoot, "test", "tools", "istiod")
	h := sha256.New()
	files := []string{"go.mod", "go.sum"}
	srcs, _ := filepath.Glob(filepath.Join(modDir, "xdsproxy", "*.go"))
	sort.Strings(srcs)
	for _, s := range srcs {
		files = append(files, filepath.Join("xdsproxy", filepath.Base(s)))
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(modDir, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	dir, err := ToolsDir()
	if err != nil {
		return "", err
	}
	dest := filepath.Join(dir, xdsProxyName+"-"+hex.EncodeToString(h.Sum(nil))[:16])
	if isExecutable(dest) {
		return dest, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, ".lock"), e.opts.Log)
	if err != nil {
		return "", err
	}
	defer unlock()
	if isExecutable(dest) {
		return dest, nil
	}
	fmt.Fprintf(e.opts.Log, "building %s into %s (seconds once pilot-discovery is built)\n", xdsProxyName, dest)
	tmp := fmt.Sprintf("%s.tmp-%d", dest, os.Getpid())
	defer os.Remove(tmp)
	cmd := exec.CommandContext(ctx, goBinary(), "build", "-C", modDir, "-trimpath", "-ldflags", "-s -w", "-o", tmp, "./xdsproxy")
	cmd.Stdout, cmd.Stderr = e.opts.Log, e.opts.Log
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building %s: %w", xdsProxyName, err)
	}
	return dest, os.Rename(tmp, dest)
}
