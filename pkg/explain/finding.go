// Package explain runs the checks over a VirtualDestination's chain and
// reports what is wrong with it: each check is one small unit with a stable
// code, a severity, a message naming the objects involved, and a hint.
package explain

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// Severity orders findings: Error above Warning above Info.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return "unknown"
}

// MarshalJSON writes the severity by name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity by name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	v, ok := ParseSeverity(name)
	if !ok || v == 0 {
		return fmt.Errorf("unknown severity %q", name)
	}
	*s = v
	return nil
}

// ParseSeverity reads error, warning, info, or none (0: nothing fails).
func ParseSeverity(s string) (Severity, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "error":
		return Error, true
	case "warning":
		return Warning, true
	case "info":
		return Info, true
	case "none":
		return 0, true
	}
	return 0, false
}

// Finding is one thing a check found.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	// IstioCode and KialiCode name the istioctl analyze message and the
	// Kiali validation that report the same problem, when one does.
	IstioCode string `json:"istioCode,omitempty"`
	KialiCode string `json:"kialiCode,omitempty"`
	// Cluster is the Gloo cluster concerned ("" for findings across
	// clusters).
	Cluster string      `json:"cluster,omitempty"`
	Message string      `json:"message"`
	Objects []model.Ref `json:"objects"`
	Hint    string      `json:"hint"`
	// SuppressedBy says how a suppressed finding was silenced
	// (SuppressedByFlag or SuppressedByAnnotation).
	SuppressedBy string `json:"-"`
}

// Involves reports whether the finding names the object.
func (f Finding) Involves(r model.Ref) bool {
	for _, o := range f.Objects {
		if o == r {
			return true
		}
	}
	return false
}

// Sort orders findings by severity (highest first), code, cluster, then
// first object.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		return firstObject(a) < firstObject(b)
	})
}

func firstObject(f Finding) string {
	if len(f.Objects) == 0 {
		return ""
	}
	o := f.Objects[0]
	return o.Context + "\x00" + o.Kind + "\x00" + o.Namespace + "\x00" + o.Name
}

// AtLeast reports whether a finding has severity min or above. A min of 0
// ("none") never matches.
func AtLeast(fs []Finding, min Severity) bool {
	if min == 0 {
		return false
	}
	for _, f := range fs {
		if f.Severity >= min {
			return true
		}
	}
	return false
}

// Count returns how many findings have each severity.
func Count(fs []Finding) map[Severity]int {
	out := map[Severity]int{}
	for _, f := range fs {
		out[f.Severity]++
	}
	return out
}
