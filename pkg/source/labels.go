package source

// Labels Gloo's translator writes on every object it generates.
const (
	LabelParentName      = "gloo.solo.io/parent_name"
	LabelParentNamespace = "gloo.solo.io/parent_namespace"
	LabelParentKind      = "gloo.solo.io/parent_kind"
	LabelParentGroup     = "gloo.solo.io/parent_group"
	LabelParentVersion   = "gloo.solo.io/parent_version"
	LabelParentCluster   = "gloo.solo.io/parent_cluster"
	LabelContextCluster  = "context.mesh.gloo.solo.io/cluster"
	LabelContextNS       = "context.mesh.gloo.solo.io/namespace"
	LabelContextWS       = "context.mesh.gloo.solo.io/workspace"
	// LabelRelayCluster is written by older Gloo versions.
	LabelRelayCluster = "relay.solo.io/cluster"
)

// GlooCluster returns the Gloo cluster name an object was translated for, as
// Gloo's labels tell it, or "".
func GlooCluster(o Object) string {
	l := o.Obj.GetLabels()
	if c := l[LabelContextCluster]; c != "" {
		return c
	}
	return l[LabelRelayCluster]
}

// ParentRef identifies a Gloo parent object.
type ParentRef struct {
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// Parent returns the Gloo parent recorded in an object's labels, and whether
// the object has one.
func Parent(o Object) (ParentRef, bool) {
	l := o.Obj.GetLabels()
	name := l[LabelParentName]
	if name == "" {
		return ParentRef{}, false
	}
	return ParentRef{Group: l[LabelParentGroup], Kind: l[LabelParentKind], Namespace: l[LabelParentNamespace], Name: name}, true
}
