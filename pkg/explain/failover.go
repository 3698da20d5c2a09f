package explain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// hostPolicies are the traffic policies of a rule that Istio applies to
// the host itself (subsets aside).
func hostPolicies(dr model.DestinationRule) []model.TrafficPolicy {
	var out []model.TrafficPolicy
	for _, p := range dr.Policies {
		if p.Subset == "" {
			out = append(out, p)
		}
	}
	return out
}

func scopes(ps []model.TrafficPolicy) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Scope()
	}
	return strings.Join(s, ", ")
}

// checkFailoverWithoutOutlierDetection: Istio applies locality failover
// only when outlier detection is set on the same traffic policy; port-level
// settings do not inherit the rule-wide ones.
func checkFailoverWithoutOutlierDetection(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		for _, dr := range cl.DestinationRules {
			var bad []model.TrafficPolicy
			inherited := false
			for _, p := range dr.Policies {
				if p.LocalityFailover() && p.OutlierDetection == nil {
					bad = append(bad, p)
					if p.Port != 0 {
						if top, ok := dr.PolicyFor(0); ok && top.OutlierDetection != nil {
							inherited = true
						}
					}
				}
			}
			if len(bad) == 0 {
				continue
			}
			msg := fmt.Sprintf("%s asks for locality failover (%s) without outlier detection: Istio ignores the failover, "+
				"so traffic is not kept local nor moved away from failing endpoints", dr.Ref, scopes(bad))
			if inherited {
				msg += "; the rule-wide outlier detection does not apply to port-level settings"
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: msg,
				Objects: []model.Ref{dr.Ref},
				Hint: "Apply an OutlierDetectionPolicy to the VirtualDestination next to its FailoverPolicy (both select it), " +
					"so that Gloo writes outlierDetection into the same port-level traffic policy as localityLbSetting.",
			})
		}
	}
	return out
}

// checkWorkloadEntryWithoutLocality: with locality load balancing on,
// endpoints without a locality cannot be ranked.
func checkWorkloadEntryWithoutLocality(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		var lb []string
		var refs []model.Ref
		for _, dr := range cl.DestinationRules {
			var on []model.TrafficPolicy
			for _, p := range hostPolicies(dr) {
				if p.LocalityEnabled() {
					on = append(on, p)
				}
			}
			if len(on) > 0 {
				lb = append(lb, fmt.Sprintf("%s (%s)", dr.Ref, scopes(on)))
				refs = append(refs, dr.Ref)
			}
		}
		if len(lb) == 0 {
			continue
		}
		var missing []string
		var weRefs []model.Ref
		for _, we := range cl.WorkloadEntries {
			if we.Error == "" && we.Locality == "" {
				missing = append(missing, we.Ref.String()+" ("+we.Address+")")
				weRefs = append(weRefs, we.Ref)
			}
		}
		if len(missing) == 0 {
			continue
		}
		out = append(out, Finding{
			Cluster: cl.Name,
			Message: fmt.Sprintf("locality load balancing is on in %s, but %s %s no locality: Envoy ranks such endpoints as farthest away, "+
				"whatever cluster they lead to", strings.Join(lb, ", "), strings.Join(missing, ", "), hasHave(len(missing))),
			Objects: append(weRefs, refs...),
			Hint: "Gloo copies the locality of the remote cluster's nodes (topology.kubernetes.io/region and zone) into the WorkloadEntry: " +
				"label that cluster's nodes, or check the remote cluster's registration.",
		})
	}
	return out
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}

// remoteGroups groups a cluster's WorkloadEntries by the cluster they lead
// to (by address when that is not known).
func remoteGroups(cl model.Cluster) map[string][]model.WorkloadEntry {
	out := map[string][]model.WorkloadEntry{}
	for _, we := range cl.WorkloadEntries {
		if we.Error != "" {
			continue
		}
		key := we.RemoteCluster
		if key == "" {
			key = "endpoint " + we.Address
		}
		out[key] = append(out[key], we)
	}
	return out
}

// checkWholeClusterEjection: with maxEjectionPercent 100 and a single
// east-west endpoint per remote cluster, one ejection removes that cluster.
func checkWholeClusterEjection(ch *model.Chain) []Finding {
	var out []Finding
	for _, cl := range ch.Clusters {
		groups := remoteGroups(cl)
		if len(groups) == 0 {
			continue
		}
		var single []string
		var weRefs []model.Ref
		keys := make([]string, 0, len(groups))
		for k := range groups {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if len(groups[k]) == 1 {
				single = append(single, k)
				weRefs = append(weRefs, groups[k][0].Ref)
			}
		}
		if len(single) == 0 {
			continue
		}
		for _, dr := range cl.DestinationRules {
			var full []model.TrafficPolicy
			for _, p := range hostPolicies(dr) {
				if p.OutlierDetection != nil && p.OutlierDetection.MaxEjectionPercent >= 100 {
					full = append(full, p)
				}
			}
			if len(full) == 0 {
				continue
			}
			out = append(out, Finding{
				Cluster: cl.Name,
				Message: fmt.Sprintf("%s lets outlier detection eject 100%% of the endpoints (%s) and %s %s reached through a single "+
					"east-west gateway endpoint: one ejection takes that whole cluster out of the pool for the ejection time",
					dr.Ref, scopes(full), strings.Join(single, ", "), isAre(len(single))),
				Objects: append([]model.Ref{dr.Ref}, weRefs...),
				Hint: "This is how failover moves traffic away from a failing cluster. If that cluster must stay reachable, " +
					"lower maxEjectionPercent in the OutlierDetectionPolicy.",
			})
		}
	}
	return out
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
