package explain

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// SuppressAnnotation on an object lists the codes (VD, IST or KIA, comma
// separated) whose findings naming that object are not reported, as
// istioctl analyze's galley.istio.io/analyze-suppress does.
const SuppressAnnotation = "vd.kubectl.io/suppress"

// Suppression silences the findings of a code, for every object or for the
// findings naming one object (Kind, Namespace and Name may hold * and ?
// wildcards).
type Suppression struct {
	Code                  string
	Kind, Namespace, Name string
}

var suppressionCode = regexp.MustCompile(`^(VD[0-9]{3}|IST[0-9]{4}|KIA[0-9]{4})$`)

// ParseSuppression reads CODE or CODE=KIND/NAMESPACE/NAME (KIND/NAME for an
// object without namespace). A VD code must be one of the checks; IST and
// KIA codes match the findings that name them.
func ParseSuppression(s string) (Suppression, error) {
	code, target, hasTarget := strings.Cut(strings.TrimSpace(s), "=")
	code = strings.ToUpper(strings.TrimSpace(code))
	if !suppressionCode.MatchString(code) {
		return Suppression{}, fmt.Errorf("invalid --suppress %q: want CODE or CODE=KIND/NAMESPACE/NAME, with CODE like VD201, IST0130 or KIA0201", s)
	}
	if strings.HasPrefix(code, "VD") {
		if _, ok := Lookup(code); !ok {
			return Suppression{}, fmt.Errorf("invalid --suppress %q: no check %s (kubectl vd explain -h lists them)", s, code)
		}
	}
	sup := Suppression{Code: code}
	if !hasTarget {
		return sup, nil
	}
	parts := strings.Split(target, "/")
	// Spaces around the parts are the shell's layout; inside one they
	// would match nothing.
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if strings.ContainsFunc(parts[i], unicode.IsSpace) {
			return Suppression{}, fmt.Errorf("invalid --suppress %q: %q has a space, which no kind, namespace or name has", s, parts[i])
		}
	}
	switch {
	case len(parts) == 3:
		sup.Kind, sup.Namespace, sup.Name = parts[0], parts[1], parts[2]
	case len(parts) == 2:
		sup.Kind, sup.Name = parts[0], parts[1]
	default:
		return Suppression{}, fmt.Errorf("invalid --suppress %q: the object is KIND/NAMESPACE/NAME, got %q", s, target)
	}
	for _, p := range []string{sup.Kind, sup.Name} {
		if p == "" {
			return Suppression{}, fmt.Errorf("invalid --suppress %q: the object is KIND/NAMESPACE/NAME, got %q", s, target)
		}
	}
	for _, p := range []string{sup.Kind, sup.Namespace, sup.Name} {
		if _, err := path.Match(p, ""); err != nil {
			return Suppression{}, fmt.Errorf("invalid --suppress %q: bad pattern %q", s, p)
		}
	}
	return sup, nil
}

// codeOf reports whether the suppression's code is the finding's (its own
// or its istioctl or Kiali code).
func (s Suppression) codeOf(f Finding) bool {
	return s.Code == f.Code || (f.IstioCode != "" && s.Code == f.IstioCode) || (f.KialiCode != "" && s.Code == f.KialiCode)
}

func (s Suppression) matches(f Finding) bool {
	if !s.codeOf(f) {
		return false
	}
	if s.Kind == "" {
		return true
	}
	for _, o := range f.Objects {
		if match(s.Kind, o.Kind, true) && match(s.Namespace, o.Namespace, false) && match(s.Name, o.Name, false) {
			return true
		}
	}
	return false
}

func match(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	ok, _ := path.Match(pattern, s)
	return ok
}

// Suppressed kinds, as SARIF names them.
const (
	// SuppressedByFlag: --suppress.
	SuppressedByFlag = "external"
	// SuppressedByAnnotation: the object's SuppressAnnotation.
	SuppressedByAnnotation = "inSource"
)

// Suppress splits findings into those reported and those suppressed, by
// the suppressions given and by the annotation on the objects the findings
// name. Suppressed findings say how in SuppressedBy.
func Suppress(ch *model.Chain, fs []Finding, sups []Suppression) (kept, suppressed []Finding) {
	annotated := annotatedCodes(ch)
	for _, f := range fs {
		by := ""
		for _, s := range sups {
			if s.matches(f) {
				by = SuppressedByFlag
				break
			}
		}
		if by == "" {
			for _, o := range f.Objects {
				for _, code := range annotated[o] {
					if (Suppression{Code: code}).codeOf(f) {
						by = SuppressedByAnnotation
					}
				}
			}
		}
		if by == "" {
			kept = append(kept, f)
			continue
		}
		f.SuppressedBy = by
		suppressed = append(suppressed, f)
	}
	return kept, suppressed
}

// annotatedCodes indexes the codes each object of the chain suppresses.
func annotatedCodes(ch *model.Chain) map[model.Ref][]string {
	out := map[model.Ref][]string{}
	for r, o := range ch.ObjectsByRef() {
		v := o.Obj.GetAnnotations()[SuppressAnnotation]
		for _, c := range strings.Split(v, ",") {
			if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
				out[r] = append(out[r], c)
			}
		}
	}
	return out
}

// AnnotationProblems names the codes of SuppressAnnotation, on the objects
// of the chain, that are no check's: they silence nothing, which a typo
// would otherwise hide.
func AnnotationProblems(ch *model.Chain) []string {
	objects := ch.ObjectsByRef()
	refs := make([]model.Ref, 0, len(objects))
	for r := range objects {
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		a, b := refs[i], refs[j]
		if a.Context != b.Context {
			return a.Context < b.Context
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	var out []string
	for _, r := range refs {
		v, ok := objects[r].Obj.GetAnnotations()[SuppressAnnotation]
		if !ok {
			continue
		}
		where := r.String()
		if r.Context != "" {
			where = "[" + r.Context + "] " + where
		}
		for _, c := range strings.Split(v, ",") {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			code := strings.ToUpper(c)
			switch {
			case !suppressionCode.MatchString(code):
				out = append(out, fmt.Sprintf("%s: annotation %s names %q, which is no check code (VD201, IST0130 or KIA0201 for example): it suppresses nothing", where, SuppressAnnotation, c))
			case strings.HasPrefix(code, "VD"):
				if _, ok := Lookup(code); !ok {
					out = append(out, fmt.Sprintf("%s: annotation %s names %q, which is no check: it suppresses nothing", where, SuppressAnnotation, c))
				}
			}
		}
	}
	return out
}
