package explain

import (
	"strings"
	"testing"
)

func TestParseSuppression(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Suppression
		err  string
	}{
		{"VD201", Suppression{Code: "VD201"}, ""},
		{"ist0130", Suppression{Code: "IST0130"}, ""},
		{"KIA0201=DestinationRule/bookinfo-frontends/*", Suppression{Code: "KIA0201", Kind: "DestinationRule", Namespace: "bookinfo-frontends", Name: "*"}, ""},
		{"VD102=Namespace/foo", Suppression{Code: "VD102", Kind: "Namespace", Name: "foo"}, ""},
		{" VD203 = WorkloadEntry / bookinfo-frontends / * ", Suppression{Code: "VD203", Kind: "WorkloadEntry", Namespace: "bookinfo-frontends", Name: "*"}, ""},
		{"VD203=WorkloadEntry/bookinfo frontends/*", Suppression{}, `invalid --suppress "VD203=WorkloadEntry/bookinfo frontends/*": "bookinfo frontends" has a space, which no kind, namespace or name has`},
		{"VD2", Suppression{}, `invalid --suppress "VD2": want CODE or CODE=KIND/NAMESPACE/NAME, with CODE like VD201, IST0130 or KIA0201`},
		{"VD999", Suppression{}, `invalid --suppress "VD999": no check VD999 (kubectl vd explain -h lists them)`},
		{"VD201=DestinationRule", Suppression{}, `invalid --suppress "VD201=DestinationRule": the object is KIND/NAMESPACE/NAME, got "DestinationRule"`},
		{"VD201=a/b/c/d", Suppression{}, `invalid --suppress "VD201=a/b/c/d": the object is KIND/NAMESPACE/NAME, got "a/b/c/d"`},
		{"VD201=DestinationRule/ns/[", Suppression{}, `invalid --suppress "VD201=DestinationRule/ns/[": bad pattern "["`},
	} {
		got, err := ParseSuppression(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v", tc.in, got, err)
		}
	}
}

func TestSuppress(t *testing.T) {
	parse := func(s ...string) []Suppression {
		var out []Suppression
		for _, x := range s {
			sup, err := ParseSuppression(x)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, sup)
		}
		return out
	}
	annotate := func(code string) func(f *fixture) *fixture {
		return func(f *fixture) *fixture {
			return f.edit(c2, kDR, dr, set([]string{"metadata", "annotations"}, map[string]any{SuppressAnnotation: code}))
		}
	}
	none := func(f *fixture) *fixture { return f }
	for _, tc := range []struct {
		name       string
		edit       func(f *fixture) *fixture
		sups       []Suppression
		suppressed []string
		by         string
	}{
		{"a code everywhere", none, parse("VD203"), []string{
			"VD203 cluster1 cluster1:DestinationRule/" + dr + ",cluster1:WorkloadEntry/" + we1,
			"VD203 cluster2 cluster2:DestinationRule/" + dr + ",cluster2:WorkloadEntry/" + we2,
		}, SuppressedByFlag},
		{"a code for one object", none, parse("VD203=WorkloadEntry/bookinfo-frontends/*-172-23-0-5"), []string{
			"VD203 cluster2 cluster2:DestinationRule/" + dr + ",cluster2:WorkloadEntry/" + we2,
		}, SuppressedByFlag},
		{"a code for another namespace", none, parse("VD203=WorkloadEntry/bookinfo-backends/*"), nil, ""},
		{"an istioctl code", func(f *fixture) *fixture { return f.variant("shadowed-route") }, parse("IST0130"), []string{
			"VD306 cluster1 cluster1:VirtualService/productpage",
		}, SuppressedByFlag},
		{"the annotation", annotate("VD201, VD203"), nil, []string{
			"VD203 cluster2 cluster2:DestinationRule/" + dr + ",cluster2:WorkloadEntry/" + we2,
		}, SuppressedByAnnotation},
		{"the annotation of another code", annotate("VD201"), nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := tc.edit(bookinfo(t)).productpage()
			all := Run(ch)
			kept, suppressed := Suppress(ch, all, tc.sups)
			expectKeys(t, suppressed, tc.suppressed...)
			if len(kept)+len(suppressed) != len(all) {
				t.Errorf("%d kept + %d suppressed, of %d", len(kept), len(suppressed), len(all))
			}
			for _, f := range suppressed {
				if f.SuppressedBy != tc.by {
					t.Errorf("suppressed by %q, want %q", f.SuppressedBy, tc.by)
				}
			}
		})
	}
}

// A code of the annotation that is no check's is told, not silently
// ignored: it suppresses nothing.
func TestAnnotationProblems(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{" vd203 , KIA0201 ,IST0130", nil},
		{"", nil},
		{"VD630, BOGUS,,VD203", []string{
			`[cluster2] DestinationRule bookinfo-frontends/` + dr + `: annotation vd.kubectl.io/suppress names "VD630", which is no check: it suppresses nothing`,
			`[cluster2] DestinationRule bookinfo-frontends/` + dr + `: annotation vd.kubectl.io/suppress names "BOGUS", which is no check code (VD201, IST0130 or KIA0201 for example): it suppresses nothing`,
		}},
	} {
		ch := bookinfo(t).edit(c2, kDR, dr, set([]string{"metadata", "annotations"}, map[string]any{SuppressAnnotation: tc.value})).productpage()
		got := AnnotationProblems(ch)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%q:\n got %q\nwant %q", tc.value, got, tc.want)
		}
	}
}
