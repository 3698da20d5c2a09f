package explain

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/explain/render"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// The index -A builds gives each VirtualDestination the chain model.Build
// gives it from every object (through model.FileInput from files), on the example with each
// variant and with objects of other VirtualDestinations sharing hosts,
// versions read twice and objects of no context.
func TestObjectIndexGivesTheSameChains(t *testing.T) {
	variants, err := os.ReadDir(filepath.Join(examples, "variants"))
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]string{"bookinfo": {cluster1, cluster2}}
	for _, v := range variants {
		if !v.IsDir() {
			continue
		}
		paths := []string{cluster1, cluster2}
		for _, c := range []string{"cluster1", "cluster2"} {
			if p := filepath.Join(examples, "variants", v.Name(), c); isDir(p) {
				paths = append(paths, p)
			}
		}
		inputs[v.Name()] = paths
	}
	// Every variant at once: objects read twice, hosts shared.
	var everything []string
	for _, paths := range inputs {
		everything = append(everything, paths...)
	}
	inputs["every variant"] = everything
	for name, paths := range inputs {
		t.Run(name, func(t *testing.T) {
			var objs []source.Object
			if err := source.Visit(paths, nil, func(o source.Object) error {
				o.Context = source.FileContext(o)
				objs = append(objs, o)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			// An object of no context, and a copy of one under another
			// Gloo cluster's label.
			objs = append(objs, objs[len(objs)/2])
			// A context named after no cluster (a snapshot's) holding
			// ServiceEntries and DestinationRules only: its Gloo cluster
			// is guessed from their labels, also for a VirtualDestination
			// that has none of them there.
			for i := range objs {
				if k := objs[i].Kind(); objs[i].Context == "cluster2" && (k == "ServiceEntry" || k == "DestinationRule") {
					objs[i].Context = "snapshot"
				}
			}
			x := newObjectIndex(objs)
			keys := virtualDestinationsIn(objs, "")
			if len(keys) == 0 {
				t.Fatal("no VirtualDestination")
			}
			// As read from contexts: cluster1 serves the Gloo API.
			contexts := []model.Context{{Name: "cluster1", GlooAPI: true, IstioAPI: true}, {Name: "cluster2", IstioAPI: true}, {Name: "snapshot", IstioAPI: true}}
			for _, k := range keys {
				want := chainJSON(t, model.Build(model.FileInput(k.name, k.namespace, objs)))
				got := chainJSON(t, model.Build(x.fileInput(k)))
				if got != want {
					t.Errorf("%s/%s from files: the index gives\n%s\nFileInput gives\n%s", k.namespace, k.name, got, want)
				}
				want = chainJSON(t, model.Build(model.Input{Name: k.name, Namespace: k.namespace, Objects: objs, Contexts: contexts}))
				got = chainJSON(t, model.Build(x.input(k, contexts)))
				if got != want {
					t.Errorf("%s/%s from contexts: the index gives\n%s\nevery object gives\n%s", k.namespace, k.name, got, want)
				}
			}
		})
	}
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func chainJSON(t *testing.T, ch *model.Chain) string {
	t.Helper()
	var b bytes.Buffer
	if err := render.JSON(&b, render.NewReport(ch, explain.Run(ch))); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

// A code of the suppress annotation that is no check's is told on stderr,
// once, with one VirtualDestination or all of them; the exit status stays
// that of the findings.
func TestAnnotationWithUnknownCode(t *testing.T) {
	dir := t.TempDir()
	rule := `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  annotations:
    kubectl-vd/context: cluster1
    vd.kubectl.io/suppress: "VD630, KIA0201"
  name: productpage
  namespace: bookinfo-frontends
spec:
  host: productpage.global
`
	if err := os.WriteFile(filepath.Join(dir, "rule.yaml"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	want := `warning: [cluster1] DestinationRule bookinfo-frontends/productpage: annotation vd.kubectl.io/suppress names "VD630", which is no check: it suppresses nothing` + "\n"
	for _, args := range [][]string{
		append(append([]string{}, bookinfo...), "-f", dir),
		{"-A", "-f", cluster1, "-f", cluster2, "-f", dir},
	} {
		r := run(t, nil, args...)
		if r.stderr != want || r.code != 0 {
			t.Errorf("%v: exit %d, stderr\n%s\nwant exit 0, stderr\n%s", args, r.code, r.stderr, want)
		}
	}
}
