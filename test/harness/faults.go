package harness

import (
	"fmt"
	"strings"
	"syscall"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
)

// withoutGloo drops the Gloo Mesh CRDs (groups *.solo.io) from a bundle.
func withoutGloo(crds []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range crds {
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		if !strings.HasSuffix(group, "solo.io") {
			out = append(out, u)
		}
	}
	return out
}

// FreezeCluster stops the apiserver of one cluster with SIGSTOP: its port
// still accepts connections but nothing answers, as a cluster behind a
// black-holed network or a wedged server does. The returned function
// resumes it (SIGCONT); Stop works on a frozen cluster too.
func (e *Env) FreezeCluster(context string) (thaw func() error, err error) {
	c, err := e.cluster(context)
	if err != nil {
		return nil, err
	}
	if c.apiProc == nil {
		return nil, fmt.Errorf("%s: apiserver not running", context)
	}
	pid := c.apiProc.PID
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return nil, fmt.Errorf("%s: freezing apiserver: %w", context, err)
	}
	return func() error { return syscall.Kill(pid, syscall.SIGCONT) }, nil
}

// WriteKubeconfigVia writes a copy of the environment's kubeconfig to path in
// which the clusters of the named contexts are reached at other addresses
// (host:port, e.g. a Proxy in front of the apiserver). The certificates stay
// valid: they name 127.0.0.1, not a port.
func (e *Env) WriteKubeconfigVia(path string, addrs map[string]string) error {
	cfg, err := clientcmd.LoadFromFile(e.Kubeconfig)
	if err != nil {
		return err
	}
	for ctxName, addr := range addrs {
		kc, ok := cfg.Contexts[ctxName]
		if !ok {
			return fmt.Errorf("no context %q in %s", ctxName, e.Kubeconfig)
		}
		cl, ok := cfg.Clusters[kc.Cluster]
		if !ok {
			return fmt.Errorf("context %q names cluster %q, not in %s", ctxName, kc.Cluster, e.Kubeconfig)
		}
		copied := cl.DeepCopy()
		copied.Server = "https://" + addr
		name := kc.Cluster + "-via-" + strings.ReplaceAll(addr, ":", "-")
		cfg.Clusters[name] = copied
		nc := kc.DeepCopy()
		nc.Cluster = name
		cfg.Contexts[ctxName] = nc
	}
	return clientcmd.WriteToFile(*cfg, path)
}

// APIServerAddr is host:port of one cluster's apiserver.
func (e *Env) APIServerAddr(context string) (string, error) {
	c, err := e.cluster(context)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", c.port), nil
}
