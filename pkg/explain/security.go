package explain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// checkMissingSAN: Gloo names every cluster with backends in the
// subjectAltNames of the rule (spiffe://CLUSTER/ns/NS/sa/SA); a cluster
// with endpoints missing there fails the certificate check.
func checkMissingSAN(ch *model.Chain) []Finding {
	known := map[string]bool{}
	for _, cl := range ch.Clusters {
		known[cl.Name] = true
	}
	var out []Finding
	for _, cl := range ch.Clusters {
		// Clusters with endpoints, as seen from this one.
		endpoints := map[string][]model.Ref{}
		for _, we := range cl.WorkloadEntries {
			if we.Error == "" && we.RemoteCluster != "" {
				endpoints[we.RemoteCluster] = append(endpoints[we.RemoteCluster], we.Ref)
			}
		}
		for _, se := range cl.ServiceEntries {
			if len(se.WorkloadSelector) > 0 && cl.Name != "" {
				if _, ok := endpoints[cl.Name]; !ok {
					endpoints[cl.Name] = nil
				}
			}
		}
		if len(endpoints) == 0 {
			continue
		}
		for _, dr := range cl.DestinationRules {
			for _, p := range hostPolicies(dr) {
				if p.TLS == nil || len(p.TLS.SubjectAltNames) == 0 {
					continue
				}
				if p.TLS.Mode != "ISTIO_MUTUAL" && p.TLS.Mode != "MUTUAL" {
					continue
				}
				domains := map[string]bool{}
				namesClusters := false
				for _, san := range p.TLS.SubjectAltNames {
					td := model.TrustDomain(san)
					domains[td] = true
					if known[td] {
						namesClusters = true
					}
				}
				// Trust domains that are not cluster names: nothing to compare.
				if !namesClusters {
					continue
				}
				var missing []string
				refs := []model.Ref{dr.Ref}
				for c, weRefs := range endpoints {
					if !domains[c] {
						missing = append(missing, c)
						refs = append(refs, weRefs...)
					}
				}
				if len(missing) == 0 {
					continue
				}
				sort.Strings(missing)
				sortRefs(refs[1:])
				var have []string
				for td := range domains {
					have = append(have, td)
				}
				sort.Strings(have)
				out = append(out, Finding{
					Cluster: cl.Name,
					Message: fmt.Sprintf("%s (%s) accepts the identities of %s only, but %s %s endpoints: mTLS to %s fails the "+
						"subjectAltNames check and requests get 503", dr.Ref, p.Scope(), strings.Join(have, ", "),
						strings.Join(missing, ", "), hasHave(len(missing)), strings.Join(missing, ", ")),
					Objects: refs,
					Hint: "Gloo lists one spiffe://CLUSTER/ns/NAMESPACE/sa/SERVICEACCOUNT per cluster with backends: check that the " +
						"VirtualDestination's services exist in " + strings.Join(missing, ", ") + " and that Gloo discovered them.",
				})
			}
		}
	}
	return out
}

func sortRefs(refs []model.Ref) {
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Namespace != refs[j].Namespace {
			return refs[i].Namespace < refs[j].Namespace
		}
		return refs[i].Name < refs[j].Name
	})
}
