package diff

import (
	"math"
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// ClusterPlaceholder replaces a side's Gloo cluster name where folding
// applies.
const ClusterPlaceholder = "${CLUSTER}"

// LastAppliedAnnotation is written by kubectl apply.
const LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// droppedMetadata are the fields the API server sets; they differ between
// any two copies of an object and say nothing about its translation.
var droppedMetadata = []string{"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"}

var droppedAnnotations = []string{LastAppliedAnnotation, source.ContextAnnotation}

// Normalize returns a deep copy of an object's content without the fields
// set by the API server (uid, resourceVersion, generation,
// creationTimestamp, managedFields, selfLink, status), the kubectl
// last-applied annotation and the context annotation. Whole numbers are
// int64 whatever the source (files decode them as float64).
func Normalize(obj map[string]any) map[string]any {
	out, _ := normValue(obj).(map[string]any)
	if out == nil {
		return map[string]any{}
	}
	delete(out, "status")
	if md, ok := out["metadata"].(map[string]any); ok {
		for _, f := range droppedMetadata {
			delete(md, f)
		}
		if ann, ok := md["annotations"].(map[string]any); ok {
			for _, a := range droppedAnnotations {
				delete(ann, a)
			}
			if len(ann) == 0 {
				delete(md, "annotations")
			}
		}
		if l, ok := md["labels"].(map[string]any); ok && len(l) == 0 {
			delete(md, "labels")
		}
	}
	return out
}

// normValue deep-copies v with whole numbers as int64.
func normValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = normValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = normValue(e)
		}
		return l
	default:
		return normNumber(v)
	}
}

func normNumber(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
	case float32:
		return normNumber(float64(x))
	case int:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v
}

// InferCluster returns the Gloo cluster name that most of objs were
// translated for (context.mesh.gloo.solo.io/cluster, else
// relay.solo.io/cluster), or "" when none says.
func InferCluster(objs []source.Object) string {
	count := map[string]int{}
	for _, o := range objs {
		if c := source.GlooCluster(o); c != "" {
			count[c]++
		}
	}
	names := make([]string, 0, len(count))
	for n := range count {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if count[names[i]] != count[names[j]] {
			return count[names[i]] > count[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// clusterLabel reports whether a label's value is a Gloo cluster name:
// Gloo's context, relay and multicluster labels and any label whose name is
// "cluster" or ends in "_cluster" (gloo.solo.io/parent_cluster).
func clusterLabel(key string) bool {
	name := key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		name = key[i+1:]
	}
	switch key {
	case source.LabelContextCluster, source.LabelRelayCluster, "cluster.multicluster.solo.io":
		return true
	}
	return name == "cluster" || strings.HasSuffix(name, "_cluster")
}

// fold replaces every occurrence of cluster in s that stands as a whole
// token (not inside a longer word: cluster1 is not folded in cluster10)
// with ClusterPlaceholder.
func fold(s, cluster string) string {
	if cluster == "" || !strings.Contains(s, cluster) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], cluster)
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		start, end := i+j, i+j+len(cluster)
		if (start == 0 || !alnum(s[start-1])) && (end == len(s) || !alnum(s[end])) {
			b.WriteString(s[i:start])
			b.WriteString(ClusterPlaceholder)
		} else {
			b.WriteString(s[i:end])
		}
		i = end
	}
	return b.String()
}

func alnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// foldable reports where cluster names are folded: the object name, the
// values of cluster labels and gateway references. Spec values such as
// subjectAltNames are never folded: they name every cluster and must agree.
func foldable(p Path) bool {
	switch {
	case len(p) == 2 && p[0] == field("metadata") && p[1] == field("name"):
		return true
	case len(p) == 3 && p[0] == field("metadata") && p[1] == field("labels") && p[2].isField():
		return clusterLabel(p[2].Field)
	}
	return false
}

// foldableList reports the lists of names Gloo derives from cluster names.
func foldableList(p Path) bool {
	return len(p) > 0 && p[len(p)-1] == field("gateways")
}
