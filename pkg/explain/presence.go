package explain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// checkUnreadableSpec: an object whose spec does not decode as Istio's type
// is ignored by istiod as well; a VirtualDestination with a field of the
// wrong type is rejected by Gloo. Every kind the model reads is here: the
// model keeps unreadable objects (with their error) instead of dropping
// them.
func checkUnreadableSpec(ch *model.Chain) []Finding {
	var out []Finding
	add := func(cl string, r model.Ref, err string) {
		if err == "" {
			return
		}
		out = append(out, Finding{
			Cluster: cl,
			Message: fmt.Sprintf("%s: %s", r, err),
			Objects: []model.Ref{r},
			Hint:    "Compare the object with Istio's schema (kubectl explain " + strings.ToLower(r.Kind) + ".spec); istiod rejects or ignores what it cannot read.",
		})
	}
	for _, vd := range ch.VirtualDestinations {
		add(vd.Cluster, vd.Ref, vd.Error)
	}
	for _, cl := range ch.Clusters {
		for _, x := range cl.ServiceEntries {
			add(cl.Name, x.Ref, x.Error)
		}
		for _, x := range cl.WorkloadEntries {
			add(cl.Name, x.Ref, x.Error)
		}
		for _, x := range cl.DestinationRules {
			add(cl.Name, x.Ref, x.Error)
		}
		for _, x := range cl.VirtualServices {
			add(cl.Name, x.Ref, x.Error)
		}
	}
	return out
}

func vdRefs(ch *model.Chain) []model.Ref {
	var out []model.Ref
	for _, vd := range ch.VirtualDestinations {
		out = append(out, vd.Ref)
	}
	return out
}

func vdName(ch *model.Chain) string {
	return "VirtualDestination " + ch.Namespace + "/" + ch.Name
}

// checkMissingTranslation: the VirtualDestination exists but a cluster that
// serves Istio holds nothing translated from it.
func checkMissingTranslation(ch *model.Chain) []Finding {
	if !ch.ParentFound() {
		return nil
	}
	var out []Finding
	for _, cl := range ch.Clusters {
		if cl.Name == "" || cl.Unreadable || !cl.IstioAPI || cl.HasTranslation() {
			continue
		}
		out = append(out, Finding{
			Cluster: cl.Name,
			Message: fmt.Sprintf("%s exists but cluster %s holds no object translated from it: %s does not resolve there",
				vdName(ch), cl.Name, strings.Join(ch.Hosts, ", ")),
			Objects: vdRefs(ch),
			Hint: fmt.Sprintf("Gloo writes the translation into every cluster of the VirtualDestination's workspace: check that %s is registered, "+
				"that its Gloo agent is connected, and that the workspace selects its namespaces.", cl.Name),
		})
	}
	return out
}

// checkOrphans: translated objects remain while the Gloo API is served
// where the parent lived and the VirtualDestination is gone.
func checkOrphans(ch *model.Chain) []Finding {
	if ch.ParentFound() {
		return nil
	}
	var out []Finding
	for _, cl := range ch.Clusters {
		refs := cl.Translated()
		if len(refs) == 0 {
			continue
		}
		where, ok := parentLookedUp(ch, cl)
		if !ok {
			continue
		}
		out = append(out, Finding{
			Cluster: cl.Name,
			Message: fmt.Sprintf("%d object(s) in cluster %s were translated from %s, which no longer exists (looked up in %s)",
				len(refs), cl.Name, vdName(ch), where),
			Objects: refs,
			Hint: "Gloo normally deletes a translation with its parent: check that the Gloo agent of the cluster is connected " +
				"and reconciling, or delete the leftovers once the VirtualDestination is really gone.",
		})
	}
	return out
}

// parentLookedUp tells whether the VirtualDestination's absence is known:
// a context serving the Gloo API was read where the translations say their
// parent lives (or anywhere, when they do not say).
func parentLookedUp(ch *model.Chain, cl model.Cluster) (string, bool) {
	parentClusters := map[string]bool{}
	collect := func(o source.Object) {
		if o.Obj != nil {
			if pc := o.Obj.GetLabels()[source.LabelParentCluster]; pc != "" {
				parentClusters[pc] = true
			}
		}
	}
	for _, x := range cl.ServiceEntries {
		collect(x.Object)
	}
	for _, x := range cl.WorkloadEntries {
		collect(x.Object)
	}
	for _, x := range cl.DestinationRules {
		collect(x.Object)
	}
	for _, x := range cl.VirtualServices {
		if x.Translated {
			collect(x.Object)
		}
	}
	var served []string
	for _, c := range ch.Contexts {
		if !c.GlooAPI || c.Error != "" {
			continue
		}
		// Objects read from files without a context cannot be placed in
		// a cluster: their Gloo objects count for every cluster.
		if len(parentClusters) == 0 || parentClusters[c.Cluster] || c.Name == "" {
			served = append(served, contextLabel(c))
		}
	}
	if len(served) == 0 {
		return "", false
	}
	sort.Strings(served)
	return strings.Join(served, ", "), true
}

func contextLabel(c model.Context) string {
	if c.Name == "" {
		return "the files read"
	}
	return "context " + c.Name
}

// checkIncompleteTranslation: a cluster holds part of the translation only.
func checkIncompleteTranslation(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		if !cl.HasTranslation() {
			continue
		}
		var missing []string
		if len(cl.ServiceEntries) == 0 {
			missing = append(missing, "ServiceEntry (the host does not resolve)")
		}
		if len(cl.DestinationRules) == 0 {
			missing = append(missing, "DestinationRule (no mTLS to the east-west gateways, no failover policy)")
		}
		if len(missing) == 0 {
			continue
		}
		out = append(out, Finding{
			Cluster: cl.Name,
			Message: fmt.Sprintf("the translation in cluster %s has no %s", cl.Name, strings.Join(missing, " and no ")),
			Objects: cl.Translated(),
			Hint:    "Gloo writes a ServiceEntry and a DestinationRule for every VirtualDestination: check the Gloo agent's logs for translation errors in this cluster.",
		})
	}
	return out
}
