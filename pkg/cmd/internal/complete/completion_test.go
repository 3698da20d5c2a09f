package complete

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

const (
	sePath = "/apis/networking.istio.io/v1/serviceentries"
	vsPath = "/apis/networking.istio.io/v1/virtualservices"
	drPath = "/apis/networking.istio.io/v1/destinationrules"
	vdPath = "/apis/networking.gloo.solo.io/v2/virtualdestinations"
	rtPath = "/apis/networking.gloo.solo.io/v2/routetables"
)

func parentLabels(name, namespace, kind string) map[string]string {
	return map[string]string{
		source.LabelParentName:      name,
		source.LabelParentNamespace: namespace,
		source.LabelParentKind:      kind,
	}
}

func serveIstio(s *fakeServer) {
	s.serveGroup("networking.istio.io", "v1",
		metav1.APIResource{Name: "serviceentries", Kind: "ServiceEntry", Namespaced: true, Verbs: []string{"list"}},
		metav1.APIResource{Name: "virtualservices", Kind: "VirtualService", Namespaced: true, Verbs: []string{"list"}},
		metav1.APIResource{Name: "destinationrules", Kind: "DestinationRule", Namespaced: true, Verbs: []string{"list"}},
	)
}

func serveGloo(s *fakeServer) {
	s.serveGroup("networking.gloo.solo.io", "v2",
		metav1.APIResource{Name: "virtualdestinations", Kind: "VirtualDestination", Namespaced: true, Verbs: []string{"list"}},
		metav1.APIResource{Name: "routetables", Kind: "RouteTable", Namespaced: true, Verbs: []string{"list"}},
		metav1.APIResource{Name: "routetables/status", Kind: "RouteTable", Namespaced: true, Verbs: []string{"get"}},
	)
}

// workloadCluster has translations only: a VirtualDestination's ServiceEntry,
// a RouteTable's VirtualService in istio-gateways, a DestinationRule, and a
// translation of a parent of another namespace.
func workloadCluster(t *testing.T) *fakeServer {
	s := newFakeServer(t)
	serveIstio(s)
	s.add(sePath, "bookinfo-frontends", "vd-productpage-global", parentLabels("productpage", "bookinfo-frontends", "VirtualDestination"), nil)
	s.add(vsPath, "istio-gateways", "routetable-productpage-bookinfo-frontends-cluster1-gateways", parentLabels("productpage", "bookinfo-frontends", "RouteTable"), nil)
	s.add(drPath, "bookinfo-frontends", "reviews-global-virtual-dest", parentLabels("reviews", "bookinfo-frontends", "VirtualDestination"), nil)
	s.add(sePath, "bookinfo-backends", "vd-details-global", parentLabels("details", "bookinfo-backends", "VirtualDestination"), nil)
	s.add(sePath, "bookinfo-frontends", "not-translated", nil, nil)
	return s
}

// managementCluster also serves the Gloo API.
func managementCluster(t *testing.T) *fakeServer {
	s := newFakeServer(t)
	serveIstio(s)
	serveGloo(s)
	s.add(vdPath, "bookinfo-frontends", "ratings", nil, nil)
	s.add(vdPath, "bookinfo-backends", "details", nil, nil)
	s.add(rtPath, "bookinfo-frontends", "frontpage", nil, nil)
	return s
}

func run(f cobra.CompletionFunc, cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if cmd == nil {
		cmd = &cobra.Command{Use: "x"}
	}
	got, d := f(cmd, args, toComplete)
	return got, d
}

func check(t *testing.T, what string, got []string, d cobra.ShellCompDirective, want ...string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		got = nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s completed\n  %q\nwant\n  %q", what, got, want)
	}
	if d != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("%s: directive %v, want NoFileComp", what, d)
	}
}

func TestParentNames(t *testing.T) {
	c1, c2 := workloadCluster(t), managementCluster(t)
	f := testFlags(t,
		fakeContext{"cluster1", "bookinfo-frontends", c1},
		fakeContext{"mgmt", "", c2})
	f.Contexts = []string{"cluster1", "mgmt"}

	got, d := run(ParentNames(f), nil, nil, "")
	check(t, "all parents", got, d,
		"frontpage\tRouteTable",
		"productpage\tRouteTable, VirtualDestination",
		"ratings\tVirtualDestination",
		"reviews\tVirtualDestination")

	got, d = run(ParentNames(f), nil, nil, "r")
	check(t, `"r"`, got, d, "ratings\tVirtualDestination", "reviews\tVirtualDestination")

	// Only the first argument is a parent name.
	got, d = run(ParentNames(f), nil, []string{"productpage"}, "")
	check(t, "second argument", got, d)

	// Translations are listed across namespaces by label, metadata only.
	for _, r := range c1.lists() {
		if !strings.Contains(r, "gloo.solo.io%2Fparent_namespace%3Dbookinfo-frontends") {
			t.Errorf("list without the parent namespace selector: %s", r)
		}
		if strings.Contains(r, "/namespaces/") {
			t.Errorf("namespaced list where a cluster-wide one is allowed: %s", r)
		}
	}
	// The Gloo objects are listed in the parent's namespace.
	for _, r := range c2.lists() {
		if strings.Contains(r, "gloo.solo.io/v2") && !strings.Contains(r, "/namespaces/bookinfo-frontends/") {
			t.Errorf("Gloo list outside the namespace: %s", r)
		}
	}
}

func TestParentNamesNamespaceFlag(t *testing.T) {
	f := testFlags(t, fakeContext{"cluster1", "bookinfo-frontends", workloadCluster(t)})
	*f.Namespace = "bookinfo-backends"
	got, d := run(ParentNames(f), nil, nil, "")
	check(t, "-n bookinfo-backends", got, d, "details\tVirtualDestination")
}

func TestParentNamesKindFlag(t *testing.T) {
	f := testFlags(t,
		fakeContext{"cluster1", "bookinfo-frontends", workloadCluster(t)},
		fakeContext{"mgmt", "", managementCluster(t)})
	f.Contexts = []string{"cluster1", "mgmt"}
	cmd := &cobra.Command{Use: "find"}
	cmd.Flags().StringSlice("kind", nil, "")
	if err := cmd.Flags().Set("kind", "rt"); err != nil {
		t.Fatal(err)
	}
	got, d := run(ParentNames(f), cmd, nil, "")
	check(t, "--kind rt", got, d, "frontpage\tRouteTable", "productpage\tRouteTable")
}

func TestParentNamesForbiddenClusterWide(t *testing.T) {
	s := workloadCluster(t)
	for _, p := range []string{sePath, vsPath, drPath} {
		s.forbidden[p] = true
	}
	f := testFlags(t, fakeContext{"cluster1", "bookinfo-frontends", s})
	got, d := run(ParentNames(f), nil, nil, "")
	// The VirtualService in istio-gateways cannot be seen from the namespace.
	check(t, "forbidden cluster-wide lists", got, d,
		"productpage\tVirtualDestination",
		"reviews\tVirtualDestination")
}

func TestDeadContextDoesNotHideOthers(t *testing.T) {
	old := Timeout
	Timeout = 500 * time.Millisecond
	t.Cleanup(func() { Timeout = old })
	dead := workloadCluster(t)
	dead.hang = true
	f := testFlags(t,
		fakeContext{"cluster1", "bookinfo-frontends", workloadCluster(t)},
		fakeContext{"dead", "bookinfo-frontends", dead},
		fakeContext{"refused", "bookinfo-frontends", nil})
	f.Contexts = []string{"cluster1", "dead", "refused"}
	start := time.Now()
	got, d := run(ParentNames(f), nil, nil, "p")
	if el := time.Since(start); el > Timeout+time.Second {
		t.Errorf("completion took %v with a context that never answers (timeout %v)", el, Timeout)
	}
	check(t, "with a dead context", got, d, "productpage\tRouteTable, VirtualDestination")
}

func TestSilentOnBadConfig(t *testing.T) {
	f := kube.NewFlags()
	*f.KubeConfig = "/nonexistent/kubeconfig"
	for name, fn := range map[string]cobra.CompletionFunc{
		"parents": ParentNames(f), "namespaces": Namespaces(f), "pods": Pods(f),
		"contexts": Contexts(f), "clusters": KubeconfigClusters(f), "users": KubeconfigUsers(f),
	} {
		got, d := run(fn, nil, nil, "")
		check(t, name, got, d)
	}
	// An unknown context selected: nothing either.
	f = testFlags(t, fakeContext{"cluster1", "", workloadCluster(t)})
	f.Contexts = []string{"nope"}
	got, d := run(ParentNames(f), nil, nil, "")
	check(t, "unknown context", got, d)
}

func TestNamespaces(t *testing.T) {
	s1, s2 := newFakeServer(t), newFakeServer(t)
	for _, ns := range []string{"default", "bookinfo-frontends", "istio-gateways"} {
		s1.add("/api/v1/namespaces", "", ns, nil, nil)
	}
	for _, ns := range []string{"default", "bookinfo-backends"} {
		s2.add("/api/v1/namespaces", "", ns, nil, nil)
	}
	f := testFlags(t, fakeContext{"cluster1", "", s1}, fakeContext{"cluster2", "", s2})
	got, d := run(Namespaces(f), nil, nil, "")
	check(t, "namespaces of the current context", got, d, "bookinfo-frontends", "default", "istio-gateways")

	f.Contexts = []string{"cluster1", "cluster2"}
	got, d = run(Namespaces(f), nil, nil, "book")
	check(t, "namespaces of two contexts", got, d, "bookinfo-backends", "bookinfo-frontends")
}

func TestPods(t *testing.T) {
	s := newFakeServer(t)
	s.add("/api/v1/pods", "bookinfo-frontends", "productpage-v1-5d9f", nil, map[string]string{"sidecar.istio.io/status": "{}"})
	s.add("/api/v1/pods", "bookinfo-frontends", "job-x", nil, nil)
	s.add("/api/v1/pods", "istio-gateways", "istio-eastwestgateway-7c4", map[string]string{"istio": "eastwestgateway"}, nil)
	s.add("/apis/apps/v1/deployments", "bookinfo-frontends", "productpage-v1", nil, nil)
	s.add("/apis/apps/v1/deployments", "istio-gateways", "istio-eastwestgateway", nil, nil)
	f := testFlags(t, fakeContext{"cluster1", "bookinfo-frontends", s})

	got, d := run(Pods(f), nil, nil, "")
	check(t, "pods", got, d, "job-x", "productpage-v1-5d9f\tsidecar")
	got, d = run(Pods(f), nil, nil, "deploy/")
	check(t, "deploy/", got, d, "deploy/productpage-v1")
	got, d = run(Pods(f), nil, []string{"x"}, "")
	check(t, "second argument", got, d)

	*f.Namespace = "istio-gateways"
	got, d = run(Pods(f), nil, nil, "istio")
	check(t, "-n istio-gateways", got, d, "istio-eastwestgateway-7c4\tistio=eastwestgateway")
	got, d = run(Pods(f), nil, nil, "deployment/istio")
	check(t, "deployment/", got, d, "deployment/istio-eastwestgateway")
}

func TestContexts(t *testing.T) {
	f := testFlags(t,
		fakeContext{"cluster1", "bookinfo-frontends", nil},
		fakeContext{"cluster2", "", nil},
		fakeContext{"mgmt", "", nil})
	got, d := run(Contexts(f), nil, nil, "")
	check(t, "contexts", got, d,
		"cluster1\tcluster cluster1-cluster, namespace bookinfo-frontends (current)",
		"cluster2\tcluster cluster2-cluster",
		"mgmt\tcluster mgmt-cluster")
	got, d = run(Contexts(f), nil, nil, "cluster1,c")
	check(t, "comma-separated", got, d, "cluster1,cluster2\tcluster cluster2-cluster")

	// Contexts given by an earlier --context are not offered again.
	f.Contexts = []string{"cluster2"}
	got, d = run(Contexts(f), nil, nil, "c")
	check(t, "after --context cluster2", got, d,
		"cluster1\tcluster cluster1-cluster, namespace bookinfo-frontends (current)")

	got, d = run(KubeconfigClusters(f), nil, nil, "m")
	check(t, "--cluster", got, d, "mgmt-cluster")
	got, d = run(KubeconfigUsers(f), nil, nil, "")
	check(t, "--user", got, d, "admin")
}

func TestKinds(t *testing.T) {
	got, d := Kinds(nil, nil, "V")
	check(t, `"V"`, got, d,
		"VirtualDestination\tnetworking.gloo.solo.io",
		"VirtualGateway\tnetworking.gloo.solo.io")
	got, d = Kinds(nil, nil, "v")
	check(t, `"v"`, got, d, "vd\tVirtualDestination", "vg\tVirtualGateway")
	got, d = Kinds(nil, nil, "vd,r")
	check(t, `"vd,r"`, got, d, "vd,rt\tRouteTable", "vd,rtp\tRetryTimeoutPolicy")

	// Every kind offered is one that --kind accepts as itself.
	all, _ := Kinds(nil, nil, "")
	for _, c := range all {
		v, _, _ := strings.Cut(c, "\t")
		kinds, err := source.ParseKinds([]string{v})
		if err != nil || len(kinds) != 1 {
			t.Errorf("--kind %s: %v %v", v, kinds, err)
			continue
		}
		found := false
		for _, pk := range source.ParentKinds {
			found = found || pk.Kind == kinds[0]
		}
		if !found {
			t.Errorf("--kind %s resolves to %q, not a known parent kind", v, kinds[0])
		}
	}
}

func TestIstioResources(t *testing.T) {
	s1 := workloadCluster(t)
	s2 := newFakeServer(t)
	s2.serveGroup("security.istio.io", "v1", metav1.APIResource{Name: "authorizationpolicies", Kind: "AuthorizationPolicy", Namespaced: true, Verbs: []string{"list"}})
	serveGloo(s2)
	f := testFlags(t, fakeContext{"cluster1", "", s1}, fakeContext{"cluster2", "", s2})
	f.Contexts = []string{"cluster1", "cluster2"}
	got, d := run(IstioResources(f), nil, nil, "")
	check(t, "--resources", got, d,
		"authorizationpolicies\tAuthorizationPolicy (security.istio.io)",
		"destinationrules\tDestinationRule (networking.istio.io)",
		"serviceentries\tServiceEntry (networking.istio.io)",
		"virtualservices\tVirtualService (networking.istio.io)")
	got, d = run(IstioResources(f), nil, nil, "serviceentries,d")
	check(t, "--resources serviceentries,d", got, d, "serviceentries,destinationrules\tDestinationRule (networking.istio.io)")
}

// Through cobra's __complete, as a shell (or kubectl) asks.
func TestRegisterConnectionFlags(t *testing.T) {
	s := newFakeServer(t)
	s.add("/api/v1/namespaces", "", "bookinfo-frontends", nil, nil)
	s2 := newFakeServer(t)
	s2.add("/api/v1/namespaces", "", "bookinfo-backends", nil, nil)
	kubeconfig := *testFlags(t, fakeContext{"cluster1", "", s}, fakeContext{"cluster2", "", s2}).KubeConfig

	// A fresh command tree per completion, as in a real process.
	complete := func(args ...string) string {
		flags := kube.NewFlags()
		*flags.KubeConfig = kubeconfig
		*flags.CacheDir = t.TempDir()
		root := &cobra.Command{Use: "kubectl-vd"}
		sub := &cobra.Command{Use: "find", Run: func(*cobra.Command, []string) {}, ValidArgsFunction: cobra.NoFileCompletions}
		flags.AddFlags(sub.Flags())
		RegisterConnectionFlags(sub, flags)
		RegisterConnectionFlags(sub, flags) // twice is harmless
		root.AddCommand(sub)

		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&bytes.Buffer{})
		root.SetArgs(append([]string{cobra.ShellCompNoDescRequestCmd}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got, want := complete("find", "--context", "c"), "cluster1\ncluster2\n:4\n"; got != want {
		t.Errorf("--context: %q, want %q", got, want)
	}
	if got, want := complete("find", "--context", "cluster2", "-n", ""), "bookinfo-backends\n:4\n"; got != want {
		t.Errorf("-n after --context cluster2: %q, want %q", got, want)
	}
	// For --flag=, cobra answers bare values; the shell scripts put them back after "=".
	if got, want := complete("find", "--namespace="), "bookinfo-frontends\n:4\n"; got != want {
		t.Errorf("--namespace=: %q, want %q", got, want)
	}
}
