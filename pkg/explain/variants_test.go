package explain

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// variants lists examples/variants: each plants one misconfiguration in the
// bookinfo example, and explain must report exactly its finding on top of
// the example's own.
var variants = []struct {
	dir, name, namespace string
	want                 []string
}{
	{"failover-without-outlier-detection", "productpage", "bookinfo-frontends", []string{
		"VD201 cluster2 cluster2:DestinationRule/" + dr,
	}},
	{"route-to-undeclared-port", "productpage", "bookinfo-frontends", []string{
		"VD302 cluster1 cluster1:VirtualService/" + vs1 + ",cluster1:ServiceEntry/" + se,
	}},
	{"exportto-hides-gateways", "productpage", "bookinfo-frontends", []string{
		"VD303 cluster1 cluster1:VirtualService/" + vs1 + ",cluster1:ServiceEntry/" + se,
		"VD303 cluster2 cluster2:VirtualService/" + vs2 + ",cluster2:ServiceEntry/" + se,
	}},
	{"workloadentry-without-locality", "productpage", "bookinfo-frontends", []string{
		"VD202 cluster1 cluster1:WorkloadEntry/" + we1 + ",cluster1:DestinationRule/" + dr,
	}},
	{"missing-san", "productpage", "bookinfo-frontends", []string{
		"VD501 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:WorkloadEntry/" + we1,
	}},
	{"shadowed-route", "productpage", "bookinfo-frontends", []string{
		"VD306 cluster1 cluster1:VirtualService/productpage",
	}},
	{"conflicting-virtualservices", "productpage", "bookinfo-frontends", []string{
		"VD307 cluster1 cluster1:VirtualService/productpage-retries,cluster1:VirtualService/productpage-timeout",
	}},
	{"route-without-port", "productpage", "bookinfo-frontends", []string{
		"VD308 cluster1 cluster1:VirtualService/productpage,cluster1:ServiceEntry/" + se,
	}},
	{"subset-selects-no-endpoint", "productpage", "bookinfo-frontends", []string{
		"VD404 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:WorkloadEntry/" + we1,
		"VD404 cluster2 cluster2:DestinationRule/" + dr + ",cluster2:WorkloadEntry/" + we2,
	}},
	{"destinationrule-host-not-visible", "productpage", "bookinfo-frontends", []string{
		"VD104 cluster1 cluster1:DestinationRule/productpage-staging,cluster1:ServiceEntry/" + se,
	}},
	{"conflicting-protocols", "productpage", "bookinfo-frontends", []string{
		"VD602 cluster1 cluster1:ServiceEntry/" + se + ",cluster1:ServiceEntry/productpage-tcp",
	}},
	{"serviceentry-misses-workloadentry-address", "productpage", "bookinfo-frontends", []string{
		"VD405 cluster1 cluster1:ServiceEntry/productpage-vm,cluster1:WorkloadEntry/" + we1,
	}},
	{"several-destinationrules", "productpage", "bookinfo-frontends", []string{
		"VD603 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:DestinationRule/productpage",
	}},
	{"ejection-percent-too-low", "productpage", "bookinfo-frontends", []string{
		"VD204 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:WorkloadEntry/" + we1,
		"VD204 cluster2 cluster2:DestinationRule/" + dr + ",cluster2:WorkloadEntry/" + we2,
	}},
	{"orphan-translation", "details", "bookinfo-backends", []string{
		"VD102 cluster1 cluster1:ServiceEntry/vd-details-global-bookinfo," +
			"cluster1:WorkloadEntry/vd-details-global-bookinfo-app-details-172-23-0-6," +
			"cluster1:DestinationRule/details-global-virtual-dest-5c3e0f7b2a9d41e68b0c7d3f1a2e4b6",
	}},
}

func TestEveryVariantIsListed(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(examples, "variants"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, v := range variants {
		listed[v.dir] = true
	}
	for _, e := range entries {
		if e.IsDir() && !listed[e.Name()] {
			t.Errorf("examples/variants/%s is not tested", e.Name())
		}
	}
}

// TestVariantsFireExactlyTheirFinding: the findings of example + variant
// are those of the example (some may disappear) plus the variant's, and
// the variant's are not in the example.
func TestVariantsFireExactlyTheirFinding(t *testing.T) {
	for _, v := range variants {
		t.Run(v.dir, func(t *testing.T) {
			base := map[string]bool{}
			for _, k := range keys(Run(bookinfo(t).chain(v.name, v.namespace))) {
				base[k] = true
			}
			got := keys(Run(bookinfo(t).variant(v.dir).chain(v.name, v.namespace)))
			var extra []string
			for _, k := range got {
				if !base[k] {
					extra = append(extra, k)
				}
			}
			want := append([]string(nil), v.want...)
			sort.Strings(want)
			if len(extra) != len(want) {
				t.Fatalf("new findings:\n  got  %q\n  want %q", extra, want)
			}
			for i := range want {
				if extra[i] != want[i] {
					t.Fatalf("new findings:\n  got  %q\n  want %q", extra, want)
				}
			}
		})
	}
}
