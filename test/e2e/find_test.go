package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The translations of productpage/bookinfo-frontends in each cluster of the
// bookinfo example (examples/bookinfo/README.md), as `-o name` prints them.
var productpageNames = map[string][]string{
	"cluster1": {
		"destinationrule.networking.istio.io/productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad",
		"serviceentry.networking.istio.io/vd-productpage-global-bookinfo",
		"virtualservice.networking.istio.io/routetable-productpage-bookinfo-frontends-cluster1-gateways",
		"workloadentry.networking.istio.io/vd-productpage-global-bookinfo-app-productpage-172-23-0-6",
	},
	"cluster2": {
		"destinationrule.networking.istio.io/productpage-global-virtual-dest-a65c94ffce21a1199563fc5d06cd3ad",
		"serviceentry.networking.istio.io/vd-productpage-global-bookinfo",
		"virtualservice.networking.istio.io/routetable-productpage-bookinfo-frontends-cluster2-gateways",
		"workloadentry.networking.istio.io/vd-productpage-global-bookinfo-app-productpage-172-23-0-5",
	},
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestFindReturnsExactlyTheTranslationsPerContext(t *testing.T) {
	for _, ctx := range []string{"cluster1", "cluster2"} {
		stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", ctx, "-o", "name")
		if code != 0 || stderr != "" {
			t.Fatalf("%s: exit %d, stderr %q", ctx, code, stderr)
		}
		if got, want := strings.Join(lines(stdout), "\n"), strings.Join(productpageNames[ctx], "\n"); got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", ctx, got, want)
		}
	}
}

func TestFindKindNarrowsTheParentKind(t *testing.T) {
	stdout, _, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--kind", "vd", "-o", "name")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := lines(stdout); len(got) != 3 || strings.Contains(stdout, "virtualservice") {
		t.Errorf("--kind vd: %q", got)
	}
	stdout, _, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--kind", "RouteTable", "-o", "name")
	if code != 0 || strings.TrimSpace(stdout) != productpageNames["cluster1"][2] {
		t.Errorf("--kind RouteTable: exit %d, %q", code, stdout)
	}
	stdout, _, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--resources", "se,dr", "-o", "name")
	if code != 0 || len(lines(stdout)) != 2 {
		t.Errorf("--resources se,dr: exit %d, %q", code, stdout)
	}
}

// ageCell matches kubectl's AGE values, which change from run to run.
var ageCell = regexp.MustCompile(`^(\d+[smhd])+$|^<unknown>$`)

// normalizeTable replaces ages and re-spaces columns so a golden file holds
// only what is stable; column alignment is covered by the printers' tests.
func normalizeTable(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		fields := regexp.MustCompile(`\s{2,}`).Split(strings.TrimRight(l, " "), -1)
		for i, f := range fields {
			if ageCell.MatchString(f) {
				fields[i] = "AGE"
			}
		}
		out = append(out, strings.Join(fields, " | "))
	}
	return strings.Join(out, "\n")
}

func TestFindTableOneContext(t *testing.T) {
	stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	assertGolden(t, "find-table-cluster1", normalizeTable(stdout))

	stdout, _, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", "wide")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertGolden(t, "find-table-wide-two-contexts", normalizeTable(stdout))
}

func TestFindYAMLReadsBackThroughFilename(t *testing.T) {
	// One context: exactly kubectl's List, no context annotation.
	one, _, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "-o", "yaml")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var list struct {
		APIVersion string                   `json:"apiVersion"`
		Kind       string                   `json:"kind"`
		Items      []map[string]interface{} `json:"items"`
	}
	if err := yaml.Unmarshal([]byte(one), &list); err != nil {
		t.Fatal(err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" || len(list.Items) != 4 || strings.Contains(one, "kubectl-vd/context") || strings.Contains(one, "managedFields") {
		t.Fatalf("one context: not kubectl's List of 4 objects:\n%s", one)
	}

	// Several contexts: the context of each object survives the round trip.
	both, _, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", "yaml")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	snapshot := filepath.Join(t.TempDir(), "snapshot.yaml")
	if err := os.WriteFile(snapshot, []byte(both), 0o644); err != nil {
		t.Fatal(err)
	}
	again, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "-f", snapshot, "-o", "yaml")
	if code != 0 || stderr != "" {
		t.Fatalf("find -f: exit %d, stderr %q", code, stderr)
	}
	if again != both {
		t.Errorf("find -f snapshot -o yaml differs from the live output")
	}
	names, _, _ := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "-f", snapshot, "-o", "jsonpath={range .items[*]}{.metadata.annotations.kubectl-vd/context}/{.metadata.name}{\"\\n\"}{end}")
	if n := len(lines(names)); n != 8 {
		t.Errorf("snapshot holds %d objects, want 8:\n%s", n, names)
	}
	// Tables from the snapshot have the columns the servers gave live.
	live, _, _ := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	offline, _, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "-f", snapshot)
	if code != 0 || normalizeTable(offline) != normalizeTable(live) {
		t.Errorf("table from the snapshot differs from the live one:\n%s\n---\n%s", offline, live)
	}
	// Stdin works as a file.
	fromStdin, _, code := runVDStdin(t, both, "find", "productpage", "-n", "bookinfo-frontends", "-f", "-", "-o", "name")
	if code != 0 || len(lines(fromStdin)) != 8 {
		t.Errorf("find -f -: exit %d, %q", code, fromStdin)
	}
}

func TestFindNothingFoundIsALinePerContext(t *testing.T) {
	stdout, stderr, code := runVD(t, "find", "nothing-here", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	want := "no objects translated from parent bookinfo-frontends/nothing-here in cluster1\n" +
		"no objects translated from parent bookinfo-frontends/nothing-here in cluster2\n"
	if stderr != want {
		t.Errorf("stderr = %q, want %q", stderr, want)
	}
}

func TestFindErrors(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken-kubeconfig")
	os.WriteFile(broken, []byte("clusters: [oops: {"), 0o600)
	malformed := filepath.Join(dir, "malformed.yaml")
	os.WriteFile(malformed, []byte("apiVersion: v1\nkind: [List\n"), 0o600)
	unreadable := filepath.Join(dir, "unreadable.yaml")
	os.WriteFile(unreadable, []byte("apiVersion: v1\nkind: List\n"), 0o000)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"invalid name", []string{"find", "Bad Name!", "-n", "bookinfo-frontends"}, `error: invalid parent name "Bad Name!": `},
		{"invalid namespace", []string{"find", "productpage", "-n", "Not_A_Namespace"}, `error: invalid namespace "Not_A_Namespace": `},
		{"unknown context", []string{"find", "productpage", "--context", "nope"}, `error: context "nope" not found in kubeconfig`},
		{"missing kubeconfig", []string{"find", "productpage", "--kubeconfig", filepath.Join(dir, "missing")}, "error: kubeconfig " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{"broken kubeconfig", []string{"find", "productpage", "--kubeconfig", broken}, "error: cannot load kubeconfig: "},
		{"missing file", []string{"find", "productpage", "-f", filepath.Join(dir, "nope.yaml")}, "error: cannot read " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"},
		{"malformed file", []string{"find", "productpage", "-f", malformed}, "error: " + malformed + ": malformed YAML or JSON: "},
		{"unknown output", []string{"find", "productpage", "-o", "xml"}, `error: unknown output format "xml"`},
		{"URL", []string{"find", "productpage", "-f", "https://example.com/vd.yaml"}, "error: https://example.com/vd.yaml: kubectl vd reads local files only, not URLs: download the file and give its path. See 'kubectl vd find -h' for help and examples\n"},
		{"unknown flag", []string{"find", "productpage", "--frobnicate"}, "error: unknown flag: --frobnicate. See 'kubectl vd find -h' for help and examples\n"},
	}
	if os.Geteuid() != 0 { // root reads files whatever their mode
		cases = append(cases, struct {
			name string
			args []string
			want string
		}{"unreadable file", []string{"find", "productpage", "-f", unreadable}, "permission denied"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runVD(t, tc.args...)
			if code == 0 {
				t.Fatalf("exit 0, stdout %q", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want one line containing %q", stderr, tc.want)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace on stderr: %s", stderr)
			}
		})
	}
}

// TestFindCoversTheSeedScript runs the loop the lab's find-translation.sh
// runs (one kubectl get per Istio CRD, labels on parent_name, one namespace)
// and shows find returns all of its objects plus the ones it misses.
func TestFindCoversTheSeedScript(t *testing.T) {
	kubectl := func(args ...string) string {
		cmd := exec.Command("kubectl", append([]string{"--kubeconfig", testEnv.Kubeconfig, "--context", "cluster1"}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kubectl %v: %v", args, err)
		}
		return string(out)
	}
	var crds []string
	for _, l := range lines(kubectl("get", "crd", "-o", "name")) {
		if strings.Contains(l, "istio") {
			crds = append(crds, strings.TrimPrefix(l, "customresourcedefinition.apiextensions.k8s.io/"))
		}
	}
	if len(crds) < 10 {
		t.Fatalf("found only %d Istio CRDs", len(crds))
	}
	seen := map[string]bool{}
	for _, crd := range crds {
		for _, name := range lines(kubectl("get", crd, "-l", "gloo.solo.io/parent_name=productpage", "-n", "bookinfo-frontends", "-o", "name", "--ignore-not-found")) {
			seen[name] = true
		}
	}
	script := make([]string, 0, len(seen))
	for n := range seen {
		script = append(script, n)
	}
	sort.Strings(script)

	stdout, _, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "-o", "name")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	found := map[string]bool{}
	for _, n := range lines(stdout) {
		found[n] = true
	}
	for _, n := range script {
		if !found[n] {
			t.Errorf("the script finds %s, find does not", n)
		}
	}
	var missed []string
	for n := range found {
		if !seen[n] {
			missed = append(missed, n)
		}
	}
	sort.Strings(missed)
	// The script sees bookinfo-frontends only: the RouteTable's VirtualService
	// in istio-gateways is what it misses.
	if strings.Join(missed, ",") != "virtualservice.networking.istio.io/routetable-productpage-bookinfo-frontends-cluster1-gateways" {
		t.Errorf("objects the script misses = %v", missed)
	}
	// And it matches on parent_name only: the AuthorizationPolicy of another
	// parent named productpage would have been listed had it been in that namespace.
	t.Logf("script found %d objects, find %d", len(script), len(found))
}

func TestFindTreeAndOverview(t *testing.T) {
	stdout, _, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "-o", "tree")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertGolden(t, "find-tree", regexp.MustCompile(`\((\d+[smhd])+\)`).ReplaceAllString(stdout, "(AGE)"))

	stdout, stderr, code := runVD(t, "find", "-A", "--context", "cluster1,cluster2")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	assertGolden(t, "find-overview", stdout)
	stdout, _, _ = runVD(t, "find", "-n", "bookinfo-staging", "--context", "cluster1")
	if !strings.Contains(stdout, "VirtualDestination   bookinfo-staging   productpage") || strings.Contains(stdout, "bookinfo-frontends") {
		t.Errorf("overview of one namespace:\n%s", stdout)
	}
}

func TestFindAllContextsAndAllResources(t *testing.T) {
	// Every context of the test kubeconfig: the two clusters answer, the
	// limited users and the dead port are named, none hides the others.
	stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--all-contexts", "--request-timeout", "5s", "-o", "name")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// cluster3 holds cluster2's translations (see istioOnlyCluster).
	want := append(append(append([]string{}, productpageNames["cluster1"]...), productpageNames["cluster2"]...), productpageNames["cluster2"]...)
	if got := strings.Join(lines(stdout), "\n"); got != strings.Join(want, "\n") {
		t.Errorf("objects: got\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	for _, want := range []string{
		"error: context dead: cannot reach https://127.0.0.1:",
		"warning: context cluster1-limited: cannot list ",
		"warning: context cluster2-limited: cannot list ",
		"warning: context cluster3-limited: cannot list ",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// --all-resources also scans core kinds, such as a ConfigMap a parent
	// owns; the Istio scan does not.
	cm := `apiVersion: v1
kind: Namespace
metadata: {name: find-all-resources}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: productpage-settings
  namespace: find-all-resources
  labels: {gloo.solo.io/parent_name: productpage, gloo.solo.io/parent_namespace: bookinfo-frontends}
data: {a: b}
`
	if err := testEnv.ApplyYAML("cluster1", []byte(cm)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testEnv.Delete("cluster1", "configmaps/find-all-resources/productpage-settings") })
	stdout, _, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--all-resources", "-o", "name")
	if code != 0 || !strings.Contains(stdout, "configmap/productpage-settings\n") || len(lines(stdout)) != 5 {
		t.Errorf("--all-resources: exit %d\n%s", code, stdout)
	}
	stdout, _, _ = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "-o", "name")
	if strings.Contains(stdout, "configmap") {
		t.Errorf("the Istio scan listed a ConfigMap:\n%s", stdout)
	}
}

// TestFindResourcesNamesWhatNoContextServes: a --resources value that no
// readable context serves is one error line and a non-zero exit, live as
// with files; a resource one cluster serves is fine, and core kinds are
// known with --all-resources.
func TestFindResourcesNamesWhatNoContextServes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resources", "bogus"}, `error: unknown resource "bogus" in --resources: no context read serves it. See 'kubectl vd find -h' for help and examples` + "\n"},
		{[]string{"--resources", "se,bogus,nope.networking.istio.io"}, `error: unknown resources "bogus", "nope.networking.istio.io" in --resources: no context read serves it. See 'kubectl vd find -h' for help and examples` + "\n"},
		{[]string{"--resources", "configmaps"}, `error: unknown resource "configmaps" in --resources: no context read serves it. See 'kubectl vd find -h' for help and examples` + "\n"},
	} {
		args := append([]string{"find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2"}, tc.args...)
		stdout, stderr, code := runVD(t, args...)
		if code == 0 || stdout != "" || stderr != tc.want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q, want %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	stdout, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--resources", "se,destinationrules.networking.istio.io", "-o", "name")
	want := []string{productpageNames["cluster1"][0], productpageNames["cluster1"][1], productpageNames["cluster2"][0], productpageNames["cluster2"][1]}
	if code != 0 || stderr != "" || strings.Join(lines(stdout), "\n") != strings.Join(want, "\n") {
		t.Errorf("--resources se,dr: exit %d, stderr %q:\n%s", code, stderr, stdout)
	}
	stdout, stderr, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--all-resources", "--resources", "configmaps", "-o", "name")
	if code != 0 || stdout != "" || stderr != "no objects translated from parent bookinfo-frontends/productpage in cluster1\n" {
		t.Errorf("--all-resources --resources configmaps: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// diff checks the same way.
	_, stderr, code = runVD(t, "diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--resources", "bogus")
	if code != 2 || stderr != `error: unknown resource "bogus" in --resources: no context read serves it. See 'kubectl vd diff -h' for help and examples`+"\n" {
		t.Errorf("diff --resources bogus: exit %d, stderr %q", code, stderr)
	}
}

// -f DIR reads the directory's own files, and with -R those below it, as
// kubectl's -f does: the built binary on a copy of the example cluster1
// one level down.
func TestFindFilenameRecursive(t *testing.T) {
	src := filepath.Join(repoRoot, "examples", "bookinfo", "cluster1")
	dir := t.TempDir()
	sub := filepath.Join(dir, "cluster1")
	if err := os.CopyFS(sub, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	want, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "-f", src, "-o", "name")
	if code != 0 || want == "" {
		t.Fatalf("find -f %s: exit %d, stderr %q", src, code, stderr)
	}
	_, stderr, code = runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "-f", dir, "-o", "name")
	if code == 0 || stderr != "error: "+dir+": no .yaml, .yml or .json file in directory\n" {
		t.Errorf("without -R: exit %d, stderr %q", code, stderr)
	}
	got, stderr, code := runVD(t, "find", "productpage", "-n", "bookinfo-frontends", "-f", dir, "-R", "-o", "name")
	if code != 0 || stderr != "" || got != want {
		t.Errorf("-R: exit %d, stderr %q, stdout\n%s\nwant\n%s", code, stderr, got, want)
	}
}

// An unknown -o is refused before any context is resolved or read: a
// context that is unknown, or whose server is down, does not hide it.
func TestUnknownOutputIsRefusedBeforeTheContexts(t *testing.T) {
	for _, args := range [][]string{
		{"find", "productpage"},
		{"diff", "productpage", "--context", "cluster1"},
		{"clusters", "deploy/productpage-v1"},
		{"endpoints", "deploy/productpage-v1"},
	} {
		for _, context := range []string{"dead", "nowhere"} {
			name := args[0] + " --context " + context
			t.Run(name, func(t *testing.T) {
				full := append(append([]string(nil), args...), "-o", "nope", "--context", context)
				stdout, stderr, code := runVD(t, full...)
				if code == 0 || stdout != "" {
					t.Errorf("exit %d, stdout %q", code, stdout)
				}
				if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `"nope"`) || !strings.HasSuffix(stderr, "See 'kubectl vd "+args[0]+" -h' for help and examples\n") {
					t.Errorf("stderr = %q, want the output format refused", stderr)
				}
			})
		}
	}
}
