package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Names of the productpage translation in examples/bookinfo.
const (
	ppSE  = "vd-productpage-global-bookinfo"
	ppDR  = "productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad"
	ppWE1 = "vd-productpage-global-bookinfo-app-productpage-172-23-0-6"
	ppWE2 = "vd-productpage-global-bookinfo-app-productpage-172-23-0-5"
	ppVS1 = "routetable-productpage-bookinfo-frontends-cluster1-gateways"
	ppVS2 = "routetable-productpage-bookinfo-frontends-cluster2-gateways"
)

// explainBaseline are the findings of the example as loaded: the planted
// outlier detection difference, and each cluster reached through one
// east-west endpoint under maxEjectionPercent 100.
var explainBaseline = []string{
	"VD203 cluster1 cluster1:DestinationRule/" + ppDR + ",cluster1:WorkloadEntry/" + ppWE1,
	"VD203 cluster2 cluster2:DestinationRule/" + ppDR + ",cluster2:WorkloadEntry/" + ppWE2,
	"VD601  cluster1:DestinationRule/" + ppDR + ",cluster2:DestinationRule/" + ppDR,
}

// explainVariants are examples/variants and the findings each adds.
var explainVariants = []struct {
	dir, name, namespace string
	want                 []string
}{
	{"failover-without-outlier-detection", "productpage", "bookinfo-frontends", []string{
		"VD201 cluster2 cluster2:DestinationRule/" + ppDR,
	}},
	{"route-to-undeclared-port", "productpage", "bookinfo-frontends", []string{
		"VD302 cluster1 cluster1:VirtualService/" + ppVS1 + ",cluster1:ServiceEntry/" + ppSE,
	}},
	{"exportto-hides-gateways", "productpage", "bookinfo-frontends", []string{
		"VD303 cluster1 cluster1:VirtualService/" + ppVS1 + ",cluster1:ServiceEntry/" + ppSE,
		"VD303 cluster2 cluster2:VirtualService/" + ppVS2 + ",cluster2:ServiceEntry/" + ppSE,
	}},
	{"workloadentry-without-locality", "productpage", "bookinfo-frontends", []string{
		"VD202 cluster1 cluster1:WorkloadEntry/" + ppWE1 + ",cluster1:DestinationRule/" + ppDR,
	}},
	{"missing-san", "productpage", "bookinfo-frontends", []string{
		"VD501 cluster1 cluster1:DestinationRule/" + ppDR + ",cluster1:WorkloadEntry/" + ppWE1,
	}},
	{"shadowed-route", "productpage", "bookinfo-frontends", []string{
		"VD306 cluster1 cluster1:VirtualService/productpage",
	}},
	{"conflicting-virtualservices", "productpage", "bookinfo-frontends", []string{
		"VD307 cluster1 cluster1:VirtualService/productpage-retries,cluster1:VirtualService/productpage-timeout",
	}},
	{"route-without-port", "productpage", "bookinfo-frontends", []string{
		"VD308 cluster1 cluster1:VirtualService/productpage,cluster1:ServiceEntry/" + ppSE,
	}},
	{"subset-selects-no-endpoint", "productpage", "bookinfo-frontends", []string{
		"VD404 cluster1 cluster1:DestinationRule/" + ppDR + ",cluster1:WorkloadEntry/" + ppWE1,
		"VD404 cluster2 cluster2:DestinationRule/" + ppDR + ",cluster2:WorkloadEntry/" + ppWE2,
	}},
	{"destinationrule-host-not-visible", "productpage", "bookinfo-frontends", []string{
		"VD104 cluster1 cluster1:DestinationRule/productpage-staging,cluster1:ServiceEntry/" + ppSE,
	}},
	{"conflicting-protocols", "productpage", "bookinfo-frontends", []string{
		"VD602 cluster1 cluster1:ServiceEntry/" + ppSE + ",cluster1:ServiceEntry/productpage-tcp",
	}},
	{"serviceentry-misses-workloadentry-address", "productpage", "bookinfo-frontends", []string{
		"VD405 cluster1 cluster1:ServiceEntry/productpage-vm,cluster1:WorkloadEntry/" + ppWE1,
	}},
	{"several-destinationrules", "productpage", "bookinfo-frontends", []string{
		"VD603 cluster1 cluster1:DestinationRule/" + ppDR + ",cluster1:DestinationRule/productpage",
	}},
	{"ejection-percent-too-low", "productpage", "bookinfo-frontends", []string{
		"VD204 cluster1 cluster1:DestinationRule/" + ppDR + ",cluster1:WorkloadEntry/" + ppWE1,
		"VD204 cluster2 cluster2:DestinationRule/" + ppDR + ",cluster2:WorkloadEntry/" + ppWE2,
	}},
	{"orphan-translation", "details", "bookinfo-backends", []string{
		"VD102 cluster1 cluster1:ServiceEntry/vd-details-global-bookinfo," +
			"cluster1:WorkloadEntry/vd-details-global-bookinfo-app-details-172-23-0-6," +
			"cluster1:DestinationRule/details-global-virtual-dest-5c3e0f7b2a9d41e68b0c7d3f1a2e4b6",
	}},
}

// explainReport is the part of `explain -o json` the tests read.
type explainReport struct {
	Chain struct {
		Name, Namespace string
		Contexts        []struct {
			Name, Cluster string
			GlooAPI       bool `json:"glooAPI"`
		}
		VirtualDestinations []struct{ Cluster string }
	}
	Findings []struct {
		Code, Severity, Cluster, Message string
		Objects                          []struct{ Context, Kind, Namespace, Name string }
	}
}

func explainJSON(t *testing.T, args ...string) (explainReport, int) {
	t.Helper()
	stdout, stderr, code := runVD(t, append(append([]string{"explain"}, args...), "-o", "json")...)
	if stderr != "" {
		t.Fatalf("explain %v: exit %d, stderr %q", args, code, stderr)
	}
	var r explainReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("explain -o json: %v\n%s", err, stdout)
	}
	return r, code
}

// findingKeys names findings as "CODE cluster context:Kind/name,...".
func findingKeys(r explainReport) []string {
	var out []string
	for _, f := range r.Findings {
		var objs []string
		for _, o := range f.Objects {
			objs = append(objs, o.Context+":"+o.Kind+"/"+o.Name)
		}
		out = append(out, f.Code+" "+f.Cluster+" "+strings.Join(objs, ","))
	}
	sort.Strings(out)
	return out
}

func sameKeys(got, want []string) bool {
	w := append([]string(nil), want...)
	sort.Strings(w)
	return strings.Join(got, "\n") == strings.Join(w, "\n")
}

func TestExplainBookinfo(t *testing.T) {
	stdout, stderr, code := runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	assertGolden(t, "explain-bookinfo", stdout)

	r, code := explainJSON(t, "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if code != 0 || !sameKeys(findingKeys(r), explainBaseline) {
		t.Errorf("exit %d, findings:\n%s", code, strings.Join(findingKeys(r), "\n"))
	}
	if len(r.Chain.VirtualDestinations) != 1 || r.Chain.VirtualDestinations[0].Cluster != "cluster1" {
		t.Errorf("the VirtualDestination is read from cluster1's Gloo API: %+v", r.Chain.VirtualDestinations)
	}

	// Warnings fail when asked to.
	if _, _, code := runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--fail-on", "warning"); code != 1 {
		t.Errorf("--fail-on warning: exit %d, want 1", code)
	}
}

// TestExplainVariants applies each variant over the example, checks that
// explain reports exactly its finding (named with its cluster and objects),
// and restores the example.
func TestExplainVariants(t *testing.T) {
	for _, v := range explainVariants {
		t.Run(v.dir, func(t *testing.T) {
			args := []string{v.name, "-n", v.namespace, "--context", "cluster1,cluster2"}
			base := map[string]bool{}
			if _, stderr, code := runVD(t, append([]string{"explain"}, args...)...); code == 2 && strings.HasPrefix(stderr, "error: no VirtualDestination ") {
				// Nothing to explain before the variant (its parent never existed).
			} else {
				before, _ := explainJSON(t, args...)
				for _, k := range findingKeys(before) {
					base[k] = true
				}
			}

			applyVariant(t, v.dir)
			after, code := explainJSON(t, args...)
			var added []string
			for _, k := range findingKeys(after) {
				if !base[k] {
					added = append(added, k)
				}
			}
			if !sameKeys(added, v.want) {
				t.Errorf("new findings:\n  got  %q\n  want %q", added, v.want)
			}
			severity := ""
			for _, f := range after.Findings {
				if f.Code == strings.Fields(v.want[0])[0] {
					severity = f.Severity
					if !strings.Contains(f.Message, f.Cluster) && !strings.Contains(f.Message, f.Objects[0].Name) {
						t.Errorf("message names neither its cluster nor its object: %s", f.Message)
					}
				}
			}
			if wantCode := map[string]int{"error": 1, "warning": 0}[severity]; code != wantCode {
				t.Errorf("exit %d with a finding of severity %q", code, severity)
			}

			// The narrative names the finding under the object it concerns.
			stdout, _, _ := runVD(t, append([]string{"explain"}, args...)...)
			code0 := strings.Fields(v.want[0])[0]
			// The codes of an object's findings follow "! see", worst first.
			marked := regexp.MustCompile(`! see (VD[0-9]+, )*` + code0 + `\b`)
			if !marked.MatchString(stdout) || !strings.Contains(stdout, strings.ToUpper(severity)) {
				t.Errorf("text output does not mark %s:\n%s", code0, stdout)
			}
		})
	}
	// Every variant was restored: the example explains as before.
	r, _ := explainJSON(t, "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if !sameKeys(findingKeys(r), explainBaseline) {
		t.Errorf("after the variants: %q", findingKeys(r))
	}
}

// applyVariant applies a variant's folders to the contexts of their names,
// and on cleanup deletes the objects it added and re-applies the example.
func applyVariant(t *testing.T, dir string) {
	t.Helper()
	for _, c := range []string{"cluster1", "cluster2"} {
		path := filepath.Join(repoRoot, "examples", "variants", dir, c)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		base := map[string]bool{}
		baseObjs, err := source.ReadFiles([]string{filepath.Join(repoRoot, "examples", "bookinfo", c)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range baseObjs {
			base[o.Kind()+"/"+o.Namespace()+"/"+o.Name()] = true
		}
		objs, err := source.ReadFiles([]string{path}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var added []string
		for _, o := range objs {
			if !base[o.Kind()+"/"+o.Namespace()+"/"+o.Name()] {
				added = append(added, strings.ToLower(o.Kind())+"."+o.Group()+"/"+o.Namespace()+"/"+o.Name())
			}
		}
		if err := testEnv.Apply(c, path); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			for _, ref := range added {
				if err := testEnv.Delete(c, ref); err != nil {
					t.Errorf("restoring %s: %v", c, err)
				}
			}
			if err := testEnv.Apply(c, filepath.Join(repoRoot, "examples", "bookinfo", c)); err != nil {
				t.Errorf("restoring %s: %v", c, err)
			}
		})
	}
}

// TestExplainParentDeleted deletes the VirtualDestination from cluster1's
// Gloo API: its translations become orphans in both clusters.
func TestExplainParentDeleted(t *testing.T) {
	if err := testEnv.Delete("cluster1", "virtualdestinations.networking.gloo.solo.io/bookinfo-frontends/productpage"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := testEnv.Apply("cluster1", filepath.Join(repoRoot, "examples", "bookinfo", "cluster1")); err != nil {
			t.Errorf("restoring cluster1: %v", err)
		}
	})
	r, code := explainJSON(t, "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	var orphans []string
	for _, k := range findingKeys(r) {
		if strings.HasPrefix(k, "VD102 ") {
			orphans = append(orphans, k)
		}
	}
	want := []string{
		"VD102 cluster1 cluster1:ServiceEntry/" + ppSE + ",cluster1:WorkloadEntry/" + ppWE1 + ",cluster1:DestinationRule/" + ppDR,
		"VD102 cluster2 cluster2:ServiceEntry/" + ppSE + ",cluster2:WorkloadEntry/" + ppWE2 + ",cluster2:DestinationRule/" + ppDR,
	}
	if code != 0 || !sameKeys(orphans, want) {
		t.Errorf("exit %d, orphans %q", code, orphans)
	}
	stdout, _, _ := runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if !strings.Contains(stdout, "  not found in context cluster1, context cluster2; the chain below is inferred from its translations\n") {
		t.Errorf("the narrative does not say the VirtualDestination is gone:\n%s", stdout)
	}
}

// TestExplainWithoutParentCluster reads cluster2 only: it serves the Gloo
// API but the VirtualDestination lives in cluster1, so nothing is an orphan.
func TestExplainWithoutParentCluster(t *testing.T) {
	r, code := explainJSON(t, "productpage", "-n", "bookinfo-frontends", "--context", "cluster2")
	want := []string{"VD203 cluster2 cluster2:DestinationRule/" + ppDR + ",cluster2:WorkloadEntry/" + ppWE2}
	if code != 0 || !sameKeys(findingKeys(r), want) {
		t.Errorf("exit %d, findings %q", code, findingKeys(r))
	}
}

// TestExplainUnreachableContext: the dead context is named on stderr, the
// others are explained, the exit status says something was missed.
func TestExplainUnreachableContext(t *testing.T) {
	stdout, stderr, code := runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,dead", "--request-timeout", "5s")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.HasPrefix(stderr, "error: context dead: ") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q", stderr)
	}
	for _, want := range []string{"Cluster cluster1\n", "Cluster dead\n  context dead could not be read: ", "  ServiceEntry bookinfo-frontends/" + ppSE + "\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

// TestExplainUnreadableVirtualService applies a VirtualService that routes
// to productpage.global and that the API server accepts (its schema lists
// both spellings of the mirror percentage) but Istio cannot read (the same
// field given twice): explain reports it as VD100 instead of leaving it out
// in silence.
func TestExplainUnreadableVirtualService(t *testing.T) {
	const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: productpage-retries
  namespace: bookinfo-backends
spec:
  hosts: [productpage.global]
  http:
  - route:
    - destination: {host: productpage.global, port: {number: 9080}}
    mirror: {host: productpage.global}
    mirrorPercent: 10
    mirror_percent: 20
`
	if err := testEnv.ApplyYAML("cluster1", []byte(vs)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := testEnv.Delete("cluster1", "virtualservices.networking.istio.io/bookinfo-backends/productpage-retries"); err != nil {
			t.Errorf("restoring cluster1: %v", err)
		}
	})
	r, code := explainJSON(t, "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	want := append([]string{"VD100 cluster1 cluster1:VirtualService/productpage-retries"}, explainBaseline...)
	if code != 1 || !sameKeys(findingKeys(r), want) {
		t.Errorf("exit %d (want 1), findings:\n%s", code, strings.Join(findingKeys(r), "\n"))
	}
	for _, f := range r.Findings {
		if f.Code == "VD100" && !strings.Contains(f.Message, "VirtualService bookinfo-backends/productpage-retries: spec cannot be read: ") {
			t.Errorf("VD100 message: %s", f.Message)
		}
	}
	stdout, _, _ := runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if !strings.Contains(stdout, "    VirtualService bookinfo-backends/productpage-retries\n      ! see VD100\n      spec cannot be read: ") {
		t.Errorf("the narrative does not show the VirtualService and its error:\n%s", stdout)
	}
}

// TestExplainSuppress: a finding is silenced by --suppress and by the
// annotation on an object it names, live; suppressed findings do not count
// for the exit status and the text says how many there were.
func TestExplainSuppress(t *testing.T) {
	args := []string{"explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--fail-on", "info"}
	if _, _, code := runVD(t, args...); code != 1 {
		t.Fatalf("before: exit %d, want 1 (the example has info findings)", code)
	}
	stdout, stderr, code := runVD(t, append(args, "--suppress", "VD203", "--suppress", "VD601=DestinationRule/bookinfo-frontends/*")...)
	if code != 0 || stderr != "" || !strings.Contains(stdout, "\nFindings: none (3 suppressed)\n") {
		t.Errorf("--suppress: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}

	// A DestinationRule written by hand next to Gloo's (VD603), annotated.
	const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: productpage
  namespace: bookinfo-frontends
  annotations:
    vd.kubectl.io/suppress: "KIA0201, VD203"
spec:
  host: productpage.global
  trafficPolicy:
    loadBalancer: {simple: LEAST_REQUEST}
`
	if err := testEnv.ApplyYAML("cluster1", []byte(dr)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := testEnv.Delete("cluster1", "destinationrules.networking.istio.io/bookinfo-frontends/productpage"); err != nil {
			t.Errorf("restoring cluster1: %v", err)
		}
	})
	r, code := explainJSON(t, "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if code != 0 || !sameKeys(findingKeys(r), explainBaseline) {
		t.Errorf("annotated: exit %d, findings:\n%s", code, strings.Join(findingKeys(r), "\n"))
	}
	stdout, _, _ = runVD(t, "explain", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if !strings.Contains(stdout, "\nFindings: 1 warning, 2 info (1 suppressed)\n") {
		t.Errorf("the text does not count the suppressed finding:\n%s", stdout)
	}
}

// TestExplainAllNamespaces explains every VirtualDestination of every
// namespace: from the Gloo API of cluster1 (and the translations), and in
// cluster3, which does not serve the Gloo API, from the translations'
// parent labels.
func TestExplainAllNamespaces(t *testing.T) {
	stdout, stderr, code := runVD(t, "explain", "-A", "--context", "cluster1,cluster2")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	assertGolden(t, "explain-all-namespaces", stdout)

	type overview struct {
		VirtualDestinations []explainReport `json:"virtualDestinations"`
		Summary             []struct {
			Namespace, Name, Cluster string
			Errors, Warnings, Infos  int
		} `json:"summary"`
	}
	read := func(args ...string) (overview, int) {
		t.Helper()
		stdout, stderr, code := runVD(t, append(append([]string{"explain"}, args...), "-o", "json")...)
		if stderr != "" {
			t.Fatalf("explain %v: exit %d, stderr %q", args, code, stderr)
		}
		var ov overview
		if err := json.Unmarshal([]byte(stdout), &ov); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return ov, code
	}
	names := func(ov overview) []string {
		var out []string
		for _, r := range ov.VirtualDestinations {
			out = append(out, r.Chain.Namespace+"/"+r.Chain.Name)
		}
		return out
	}
	ov, code := read("-A", "--context", "cluster1,cluster2")
	want := []string{"bookinfo-backends/reviews", "bookinfo-frontends/productpage", "bookinfo-staging/productpage"}
	if code != 0 || strings.Join(names(ov), " ") != strings.Join(want, " ") {
		t.Errorf("-A: exit %d, %q", code, names(ov))
	}
	for _, r := range ov.VirtualDestinations {
		if r.Chain.Namespace+"/"+r.Chain.Name == "bookinfo-frontends/productpage" && !sameKeys(findingKeys(r), explainBaseline) {
			t.Errorf("productpage among all: %q", findingKeys(r))
		}
	}

	// One namespace, without NAME; the worst exit status.
	ov, code = read("-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--fail-on", "info")
	if code != 1 || strings.Join(names(ov), " ") != "bookinfo-frontends/productpage" {
		t.Errorf("-n bookinfo-frontends: exit %d (want 1), %q", code, names(ov))
	}

	// cluster3 has no Gloo API: the parents come from the labels.
	ov, code = read("-A", "--context", istioOnlyCluster)
	if len(ov.VirtualDestinations) == 0 {
		t.Fatalf("cluster3: no VirtualDestination found (exit %d)", code)
	}
	for _, r := range ov.VirtualDestinations {
		if len(r.Chain.VirtualDestinations) != 0 {
			t.Errorf("cluster3 serves no Gloo API, yet %s/%s was read", r.Chain.Namespace, r.Chain.Name)
		}
	}
	found := false
	for _, n := range names(ov) {
		found = found || n == "bookinfo-frontends/productpage"
	}
	if !found {
		t.Errorf("cluster3: %q lacks bookinfo-frontends/productpage", names(ov))
	}
}
