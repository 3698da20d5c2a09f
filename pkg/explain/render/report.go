// Package render prints an explanation: the chain of a VirtualDestination
// and its findings, as an indented narrative (text), JSON, or a picture in
// Graphviz dot or Mermaid.
package render

import (
	"encoding/json"
	"io"

	"github.com/kubectl-vd/kubectl-vd/pkg/explain"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// Report is what every format prints.
type Report struct {
	Chain    *model.Chain      `json:"chain"`
	Findings []explain.Finding `json:"findings"`
	Summary  Summary           `json:"summary"`
	// Suppressed are the findings --suppress or an object's annotation
	// silenced: counted in the summary, shown in SARIF only.
	Suppressed []explain.Finding `json:"-"`

	// byRef indexes the findings by the objects they name (built on first
	// use): each object's header looks its findings up instead of reading
	// every finding.
	byRef map[model.Ref][]explain.Finding
}

// Summary counts the findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	// Suppressed counts the findings not reported (and not counted above).
	Suppressed int `json:"suppressed,omitempty"`
}

// SetSuppressed records the findings that were suppressed.
func (r *Report) SetSuppressed(fs []explain.Finding) {
	r.Suppressed = fs
	r.Summary.Suppressed = len(fs)
}

// NewReport bundles a chain and its findings.
func NewReport(ch *model.Chain, findings []explain.Finding) *Report {
	if findings == nil {
		findings = []explain.Finding{}
	}
	n := explain.Count(findings)
	return &Report{
		Chain:    ch,
		Findings: findings,
		Summary:  Summary{Errors: n[explain.Error], Warnings: n[explain.Warning], Infos: n[explain.Info]},
	}
}

// findingsOf returns the findings that name an object.
func (r *Report) findingsOf(ref model.Ref) []explain.Finding {
	if r.byRef == nil {
		r.byRef = map[model.Ref][]explain.Finding{}
		for _, f := range r.Findings {
			seen := make(map[model.Ref]bool, len(f.Objects))
			for _, o := range f.Objects {
				if !seen[o] {
					seen[o] = true
					r.byRef[o] = append(r.byRef[o], f)
				}
			}
		}
	}
	return r.byRef[ref]
}

// worst is the highest severity among findings (0 when none).
func worst(fs []explain.Finding) explain.Severity {
	var s explain.Severity
	for _, f := range fs {
		if f.Severity > s {
			s = f.Severity
		}
	}
	return s
}

// JSON writes the report as indented JSON.
func JSON(w io.Writer, r *Report) error { return writeJSON(w, r) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
