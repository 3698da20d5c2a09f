package harness

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
)

// GlooCRDs are the Gloo Mesh v2 CRDs installed in every cluster (see the
// file's header for where they come from).
//
//go:embed crds/gloo-v2.yaml
var GlooCRDs []byte

// Where the other CRDs come from: files of Go modules, at the versions the
// repository pins (the plugin's go.mod for Istio, the kwok tools module).
const (
	istioAPIModule = "istio.io/api"
	istioCRDFile   = "kubernetes/customresourcedefinitions.gen.yaml"
	kwokModule     = "sigs.k8s.io/kwok"
	kwokCRDFile    = "kustomize/crd/bases/kwok.x-k8s.io_clusterportforwards.yaml"
	// kwokStageKustomization is kwok's default set of stages (node
	// initialisation and heartbeat, pods becoming ready, completing and
	// being deleted).
	kwokStageKustomization = "kustomize/stage/fast"
)

// loadCRDs returns the CRDs for every cluster, ready to apply: Istio's,
// Gloo's and, with kwok, its ClusterPortForward.
func loadCRDs(ctx context.Context, repoRoot, workDir string, kwok bool) ([]*unstructured.Unstructured, error) {
	istioDir, err := moduleDir(ctx, filepath.Join(repoRoot, "go.mod"), istioAPIModule, workDir)
	if err != nil {
		return nil, err
	}
	istio, err := os.ReadFile(filepath.Join(istioDir, istioCRDFile))
	if err != nil {
		return nil, fmt.Errorf("Istio CRDs: %w", err)
	}
	docs := [][]byte{istio, GlooCRDs}
	if kwok {
		kwokDir, err := moduleDir(ctx, filepath.Join(repoRoot, "test", "tools", "kwok", "go.mod"), kwokModule, workDir)
		if err != nil {
			return nil, err
		}
		crd, err := os.ReadFile(filepath.Join(kwokDir, kwokCRDFile))
		if err != nil {
			return nil, fmt.Errorf("kwok CRDs: %w", err)
		}
		docs = append(docs, crd)
	}
	var crds []*unstructured.Unstructured
	for _, d := range docs {
		objs, err := decodeObjects(d)
		if err != nil {
			return nil, err
		}
		for _, u := range objs {
			if u.GetKind() == "CustomResourceDefinition" {
				crds = append(crds, cleanForApply(u))
			}
		}
	}
	return crds, nil
}

// moduleDir returns the folder of a module, at the version that the go.mod
// file gomod requires, in the module cache (downloading it if needed). The
// download runs in workDir, outside any module, so that no go.mod or go.sum
// of the repository is touched.
func moduleDir(ctx context.Context, gomod, module, workDir string) (string, error) {
	version, err := requiredVersion(gomod, module)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, goBinary(), "mod", "download", "-json", module+"@"+version)
	cmd.Dir = workDir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", module, version, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", module, version, err, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s gave no folder", module, version)
	}
	return info.Dir, nil
}

// installCRDs applies CRDs (shared, read only) and waits until all are
// served.
func (c *cluster) installCRDs(ctx context.Context, crds []*unstructured.Unstructured) error {
	// One after the other: the server is CPU-bound establishing them, and
	// applying them concurrently was measured no faster.
	for _, obj := range crds {
		if _, err := c.dyn.Resource(crdGVR).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			return fmt.Errorf("applying CRD %s: %w", obj.GetName(), err)
		}
	}
	return c.waitCRDs(ctx, crds)
}

// waitCRDs waits until discovery lists the resources of every served
// version of the CRDs (the server lists a CRD only once it is Established),
// then makes the mapper forget what it knew. Only discovery is polled:
// listing CRDs, whose schemas weigh megabytes, would slow the server that
// is busy establishing them.
func (c *cluster) waitCRDs(ctx context.Context, crds []*unstructured.Unstructured) error {
	plurals := map[string][]string{} // group/version -> plurals
	for _, u := range crds {
		group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(u.Object, "spec", "names", "plural")
		versions, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			if served, _ := vm["served"].(bool); served {
				name, _ := vm["name"].(string)
				plurals[group+"/"+name] = append(plurals[group+"/"+name], plural)
			}
		}
	}
	dc, err := discovery.NewDiscoveryClientForConfig(c.cfg)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		pending := unservedResources(dc, plurals)
		if len(pending) == 0 {
			c.mapper.reset()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("CRDs not served after 90s: %s", strings.Join(pending, ", "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// unservedResources returns the plural.group/version of the resources
// discovery does not list yet.
func unservedResources(dc discovery.DiscoveryInterface, plurals map[string][]string) []string {
	var pending []string
	for _, gv := range sortedKeys(plurals) {
		served := map[string]bool{}
		if rl, err := dc.ServerResourcesForGroupVersion(gv); err == nil {
			for _, r := range rl.APIResources {
				served[r.Name] = true
			}
		}
		for _, p := range plurals[gv] {
			if !served[p] {
				pending = append(pending, p+"."+gv)
			}
		}
	}
	return pending
}

// requiredVersion reads the version a go.mod requires of a module.
func requiredVersion(gomod, module string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(fields) >= 2 && fields[0] == module && strings.HasPrefix(fields[1], "v") {
			return fields[1], nil
		}
	}
	return "", fmt.Errorf("%s does not require %s", gomod, module)
}
