package source

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Query selects the translations of one parent.
type Query struct {
	// Name and Namespace of the parent, matched against the
	// gloo.solo.io/parent_name and parent_namespace labels (both: translated
	// objects may live in another namespace than their parent).
	Name, Namespace string
	// ParentKinds narrows the parent kind (canonical names, see ParseKinds);
	// empty means any.
	ParentKinds []string
	// Resources narrows the scanned resources (plural, singular, kind or
	// short name, optionally with .group); empty means every Istio resource.
	Resources []string
	// AllResources scans every listable resource of every group, core kinds
	// included, instead of the *.istio.io groups only.
	AllResources bool
	// SearchNamespaces are read one by one when a cluster-wide list is
	// forbidden, in addition to Namespace.
	SearchNamespaces []string
	// Everything lists every object of the resources, translated or not
	// (a whole mesh configuration), instead of one parent's translations.
	Everything bool
}

// Selector is the label selector the API servers evaluate for the query.
func (q Query) Selector() labels.Selector {
	if q.Everything {
		return labels.Everything()
	}
	sel := labels.NewSelector()
	add := func(key string, op selection.Operator, vals ...string) {
		r, err := labels.NewRequirement(key, op, vals)
		if err == nil {
			sel = sel.Add(*r)
		}
	}
	if q.Name != "" {
		add(LabelParentName, selection.Equals, q.Name)
	} else {
		add(LabelParentName, selection.Exists)
	}
	if q.Namespace != "" {
		add(LabelParentNamespace, selection.Equals, q.Namespace)
	}
	if len(q.ParentKinds) == 1 {
		add(LabelParentKind, selection.Equals, q.ParentKinds[0])
	} else if len(q.ParentKinds) > 1 {
		add(LabelParentKind, selection.In, q.ParentKinds...)
	}
	return sel
}

// Matches applies the query to an object read from a file.
func (q Query) Matches(o Object) bool {
	return q.Selector().Matches(labels.Set(o.Obj.GetLabels()))
}

// Matcher is Matches with the selector built once, for many objects.
func (q Query) Matcher() func(Object) bool {
	sel := q.Selector()
	return func(o Object) bool { return sel.Matches(labels.Set(o.Obj.GetLabels())) }
}

// Filter keeps the objects that match.
func (q Query) Filter(objs []Object) []Object {
	sel := q.Selector()
	var out []Object
	for _, o := range objs {
		if sel.Matches(labels.Set(o.Obj.GetLabels())) {
			out = append(out, o)
		}
	}
	return out
}

// ParentKind is a kind of Gloo object whose translations carry its name.
type ParentKind struct {
	Kind    string
	Group   string
	Aliases []string
}

// ParentKinds lists the Gloo parent kinds kubectl-vd knows by name, with the
// short names users type. Other kinds are accepted as written.
var ParentKinds = []ParentKind{
	{"VirtualDestination", "networking.gloo.solo.io", []string{"vd", "vds", "virtualdestinations"}},
	{"RouteTable", "networking.gloo.solo.io", []string{"rt", "rts", "routetables"}},
	{"VirtualGateway", "networking.gloo.solo.io", []string{"vg", "vgs", "virtualgateways"}},
	{"ExternalService", "networking.gloo.solo.io", []string{"es", "externalservices"}},
	{"ExternalEndpoint", "networking.gloo.solo.io", []string{"ee", "externalendpoints"}},
	{"Service", "", []string{"svc", "services"}},
	{"IssuedCertificate", "internal.gloo.solo.io", []string{"issuedcertificates"}},
	{"FailoverPolicy", "resilience.policy.gloo.solo.io", []string{"fp", "failoverpolicies"}},
	{"OutlierDetectionPolicy", "resilience.policy.gloo.solo.io", []string{"odp", "outlierdetectionpolicies"}},
	{"RetryTimeoutPolicy", "resilience.policy.gloo.solo.io", []string{"rtp", "retrytimeoutpolicies"}},
	{"ConnectionPolicy", "resilience.policy.gloo.solo.io", []string{"connectionpolicies"}},
	{"FaultInjectionPolicy", "resilience.policy.gloo.solo.io", []string{"faultinjectionpolicies"}},
	{"TrafficPolicy", "trafficcontrol.policy.gloo.solo.io", []string{"tp", "trafficpolicies"}},
	{"AccessPolicy", "security.policy.gloo.solo.io", []string{"ap", "accesspolicies"}},
	{"CORSPolicy", "security.policy.gloo.solo.io", []string{"corspolicies"}},
	{"ExtAuthPolicy", "security.policy.gloo.solo.io", []string{"extauthpolicies"}},
	{"RateLimitPolicy", "trafficcontrol.policy.gloo.solo.io", []string{"ratelimitpolicies"}},
	{"HeaderManipulationPolicy", "trafficcontrol.policy.gloo.solo.io", []string{"headermanipulationpolicies"}},
	{"TransformationPolicy", "trafficcontrol.policy.gloo.solo.io", []string{"transformationpolicies"}},
	{"Workspace", "admin.gloo.solo.io", []string{"ws", "workspaces"}},
}

// ParseKinds turns --kind values (repeatable, comma-separated, case
// insensitive, short names allowed) into canonical parent kinds. A kind
// kubectl-vd does not know is accepted as written (Gloo has more parent
// kinds than ParentKinds lists) unless it looks like a typo of a known one
// or is not written as a kind (lower case), which would silently match
// nothing.
func ParseKinds(values []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		for _, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			kind, known := canonicalKind(k)
			if errs := validation.IsValidLabelValue(kind); len(errs) > 0 {
				return nil, fmt.Errorf("invalid --kind %q: %s", k, strings.Join(errs, "; "))
			}
			if !known {
				if near := nearestKind(k); near != "" {
					return nil, usageError{fmt.Errorf("unknown --kind %q: did you mean %s?", k, near)}
				}
				if k[0] < 'A' || k[0] > 'Z' {
					return nil, usageError{fmt.Errorf("unknown --kind %q: give a kind (VirtualDestination, RouteTable, ...) or a short name (vd, rt, vg, ...)", k)}
				}
			}
			if !seen[kind] {
				seen[kind] = true
				out = append(out, kind)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func canonicalKind(k string) (string, bool) {
	lk := strings.ToLower(k)
	for _, pk := range ParentKinds {
		if strings.ToLower(pk.Kind) == lk {
			return pk.Kind, true
		}
		for _, a := range pk.Aliases {
			if a == lk {
				return pk.Kind, true
			}
		}
	}
	return k, false
}

// nearestKind is the known kind whose name (or a short name) is a few
// edits away from k, or "".
func nearestKind(k string) string {
	lk := strings.ToLower(k)
	best, bestDist := "", -1
	for _, pk := range ParentKinds {
		for _, name := range append([]string{strings.ToLower(pk.Kind)}, pk.Aliases...) {
			d := editDistance(lk, name)
			limit := len(name) / 5
			if limit < 1 {
				limit = 1
			}
			if limit > 3 {
				limit = 3
			}
			if d <= limit && (bestDist < 0 || d < bestDist) {
				best, bestDist = pk.Kind, d
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance, counting a swap of two
// neighbouring letters as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// usageError is an error in a flag's value: the command prints it with a
// pointer to its help.
type usageError struct{ error }

func (e usageError) UsageError() bool { return true }

func (e usageError) Unwrap() error { return e.error }
