package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// ValidateSARIF checks a SARIF log against the official SARIF 2.1.0 schema
// (testdata/sarif-schema-2.1.0.json, see its .SOURCE file).
func validateSARIF(t *testing.T, data []byte) {
	t.Helper()
	if err := sarifSchemaError(t, data); err != nil {
		t.Errorf("SARIF does not follow the 2.1.0 schema: %s", err)
	}
}

func sarifSchemaError(t *testing.T, data []byte) error {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %s", err)
	}
	return schema.Validate(v)
}

// The schema check does catch a log that is not SARIF.
func TestSARIFSchemaRejects(t *testing.T) {
	for _, bad := range []string{
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "fatal"}]}]}`,
		`{"version": "2.0.0", "runs": []}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]}]}`,
	} {
		if sarifSchemaError(t, []byte(bad)) == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestSARIFFollowsTheSchema: every variant's findings (so every kind of
// finding the examples make), one of them suppressed, with file
// locations, as one log.
func TestSARIFFollowsTheSchema(t *testing.T) {
	examples := filepath.Join("..", "..", "..", "examples")
	variants, err := os.ReadDir(filepath.Join(examples, "variants"))
	if err != nil {
		t.Fatal(err)
	}
	var reports []*Report
	results := 0
	for _, v := range variants {
		if !v.IsDir() {
			continue
		}
		paths := []string{filepath.Join(examples, "bookinfo", "cluster1"), filepath.Join(examples, "bookinfo", "cluster2")}
		for _, c := range []string{"cluster1", "cluster2"} {
			if p := filepath.Join(examples, "variants", v.Name(), c); exists(p) {
				paths = append(paths, p)
			}
		}
		objs, err := source.ReadFiles(paths, nil)
		if err != nil {
			t.Fatal(err)
		}
		name, ns := "productpage", "bookinfo-frontends"
		if v.Name() == "orphan-translation" {
			name, ns = "details", "bookinfo-backends"
		}
		ch := model.Build(model.FileInput(name, ns, objs))
		kept, suppressed := explain.Suppress(ch, explain.Run(ch), []explain.Suppression{{Code: "VD203"}})
		r := NewReport(ch, kept)
		r.SetSuppressed(suppressed)
		reports = append(reports, r)
		results += len(kept) + len(suppressed)
	}
	var b bytes.Buffer
	if err := SARIF(&b, reports); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, b.Bytes())

	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID      string `json:"id"`
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID       string `json:"ruleId"`
				RuleIndex    int    `json:"ruleIndex"`
				Suppressions []any  `json:"suppressions"`
				Locations    []struct {
					PhysicalLocation struct {
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(explain.Checks()) {
		t.Errorf("%d rules, want one per check", len(run.Tool.Driver.Rules))
	}
	if len(run.Results) != results {
		t.Errorf("%d results, want %d", len(run.Results), results)
	}
	suppressed := 0
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s has ruleIndex %d", r.RuleID, r.RuleIndex)
		}
		if len(r.Suppressions) > 0 {
			suppressed++
		}
		for _, l := range r.Locations {
			if l.PhysicalLocation.Region.StartLine < 1 {
				t.Errorf("result %s: a location without line", r.RuleID)
			}
		}
	}
	if suppressed == 0 {
		t.Error("no suppressed result")
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
