package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"
)

// The fake node kwok manages in each cluster (Options.Kwok).
const (
	FakeNodeName = "kwok-node"
	// FakeNodeTaint is the taint key of the fake node (value "fake",
	// effect NoSchedule): pods must tolerate it.
	FakeNodeTaint = "kwok.x-k8s.io/node"
	// EnvoyAdminPort is the pod port PortForwardTo forwards.
	EnvoyAdminPort = 15000
)

var nodeGVR = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}

// kwokStages returns the Stage objects of kwok's default stage set, read
// from the kwok module at the version the tools module pins, following the
// kustomizations' resource lists.
func kwokStages(ctx context.Context, repoRoot, workDir string) ([]byte, error) {
	dir, err := moduleDir(ctx, filepath.Join(repoRoot, "test", "tools", "kwok", "go.mod"), kwokModule, workDir)
	if err != nil {
		return nil, err
	}
	files, err := kustomizationFiles(filepath.Join(dir, kwokStageKustomization), 0)
	if err != nil {
		return nil, fmt.Errorf("kwok stages: %w", err)
	}
	var buf bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		buf.WriteString("---\n")
		buf.Write(data)
		buf.WriteString("\n")
	}
	return buf.Bytes(), nil
}

// kustomizationFiles lists the files a kustomization folder's resources
// name, descending into folders (kustomizations themselves).
func kustomizationFiles(dir string, depth int) ([]string, error) {
	if depth > 5 {
		return nil, fmt.Errorf("%s: kustomizations nested too deep", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	var out []string
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			sub, err := kustomizationFiles(p, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		} else {
			out = append(out, p)
		}
	}
	return out, nil
}

// startKwok runs kwok against a cluster as the kubelet of every node, with
// ClusterPortForward objects read from the cluster, then creates the fake
// node and waits until kwok reports it Ready.
func (e *Env) startKwok(ctx context.Context, c *cluster, exe string, stages []byte) error {
	stagesFile := filepath.Join(c.dir, "kwok-stages.yaml")
	if err := os.WriteFile(stagesFile, stages, 0o644); err != nil {
		return err
	}
	kubeconfig := filepath.Join(c.dir, "kwok.kubeconfig")
	kc := clientcmdapi.NewConfig()
	kc.Clusters[c.name] = &clientcmdapi.Cluster{Server: c.cfg.Host, CertificateAuthorityData: e.creds.CA}
	kc.AuthInfos[adminUser] = &clientcmdapi.AuthInfo{Token: e.creds.AdminToken}
	kc.Contexts[c.name] = &clientcmdapi.Context{Cluster: c.name, AuthInfo: adminUser}
	kc.CurrentContext = c.name
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		return err
	}
	// kwok reads ~/.kwok/kwok.yaml when it exists: give it a home of its
	// own so that nothing of the user's changes its behaviour.
	home := filepath.Join(c.dir, "kwok-home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + stagesFile,
		"--manage-all-nodes",
		"--node-ip=127.0.0.1",
		fmt.Sprintf("--node-port=%d", c.kwok),
		fmt.Sprintf("--server-address=127.0.0.1:%d", c.kwok),
		"--enable-crds=ClusterPortForward",
	}
	env := append(os.Environ(), "HOME="+home)
	p, err := e.launch(c, Kwok, exe, args, env)
	if err != nil {
		return err
	}
	c.kwokProc = p

	node := fmt.Sprintf(`apiVersion: v1
kind: Node
metadata:
  name: %s
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: %s
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
spec:
  taints:
  - key: %s
    value: fake
    effect: NoSchedule
`, FakeNodeName, FakeNodeName, FakeNodeTaint)
	if err := e.ApplyYAML(c.name, []byte(node)); err != nil {
		return err
	}
	return waitReady(ctx, p, 60*time.Second, func() bool {
		u, err := c.dyn.Resource(nodeGVR).Get(ctx, FakeNodeName, metav1.GetOptions{})
		if err != nil {
			return false
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, cond := range conds {
			cm, _ := cond.(map[string]any)
			if cm["type"] == "Ready" && cm["status"] == "True" {
				return true
			}
		}
		return false
	})
}

// PortForwardTo makes Kubernetes port-forwards to port 15000 (the Envoy
// admin port) of any fake pod of a cluster reach 127.0.0.1:localPort, by
// creating or updating the ClusterPortForward "envoy-admin" that kwok
// watches. kwok picks the change up from a watch, within moments; a test
// should retry its first port-forward briefly.
func (e *Env) PortForwardTo(context string, localPort int) error {
	if !e.opts.Kwok {
		return fmt.Errorf("PortForwardTo needs an environment started with Kwok: true")
	}
	if localPort <= 0 || localPort > 65535 {
		return fmt.Errorf("PortForwardTo: invalid port %d", localPort)
	}
	return e.ApplyYAML(context, []byte(fmt.Sprintf(`apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: envoy-admin
spec:
  forwards:
  - ports: [%d]
    target:
      address: 127.0.0.1
      port: %d
`, EnvoyAdminPort, localPort)))
}

// FakePodYAML returns a pod that runs on the fake node: spec.nodeName set
// to FakeNodeName (there is no scheduler) and a toleration of its taint.
// kwok makes it Running and Ready. Apply it with ApplyYAML.
func FakePodYAML(namespace, name string, labels map[string]string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: %s\n", name, namespace)
	if len(labels) > 0 {
		keys := make([]string, 0, len(labels))
		for k := range labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("  labels:\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "    %q: %q\n", k, labels[k])
		}
	}
	fmt.Fprintf(&b, `spec:
  nodeName: %s
  tolerations:
  - key: %s
    operator: Exists
    effect: NoSchedule
  containers:
  - name: istio-proxy
    image: docker.io/istio/proxyv2:fake
    ports:
    - name: http-envoy-prom
      containerPort: 15090
    - name: admin
      containerPort: %d
`, FakeNodeName, FakeNodeTaint, EnvoyAdminPort)
	return []byte(b.String())
}
