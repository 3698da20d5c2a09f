package explain

import (
	"fmt"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/model"
)

// Check is one rule over a chain.
type Check struct {
	Code     string
	Severity Severity
	// Title says in a few words what the check finds.
	Title string
	// Doc is the README's line for the check: the title and its fine
	// print.
	Doc string
	// Istio and Kiali are the codes of the istioctl analyze message and of
	// the Kiali validation that find the same problem ("" when none does).
	Istio, Kiali string
	run          func(ch *model.Chain) []Finding
}

// Checks returns every check, in code order.
func Checks() []Check {
	return []Check{
		{Code: "VD100", Severity: Error, Title: "an object's spec cannot be read", Doc: "an object's spec cannot be read (also a hand-written VirtualService naming a host of the chain, and a VirtualDestination with a field of the wrong type)", run: checkUnreadableSpec},
		{Code: "VD101", Severity: Error, Title: "no translation in a cluster while the VirtualDestination exists", Doc: "no translation in a cluster while the VirtualDestination exists", run: checkMissingTranslation},
		{Code: "VD102", Severity: Warning, Title: "translations whose VirtualDestination is gone (orphans)", Doc: "translations whose VirtualDestination is gone (orphans), when the Gloo API is served where it lived", run: checkOrphans},
		{Code: "VD103", Severity: Warning, Title: "translation without ServiceEntry or DestinationRule", Doc: "translation without ServiceEntry or DestinationRule", run: checkIncompleteTranslation},
		{Code: "VD104", Severity: Warning, Istio: "IST0174", Title: "a DestinationRule's host is declared by no ServiceEntry it sees",
			Doc: "a DestinationRule for a host of the chain that no ServiceEntry visible in the rule's namespace declares (istioctl's UnknownDestinationRuleHost; Kubernetes Services are not read, and a cluster without any ServiceEntry is VD103)",
			run: checkDestinationRuleHostUnknown},
		{Code: "VD201", Severity: Error, Title: "locality failover without outlier detection on the same traffic policy", Doc: "locality failover without outlier detection on the same traffic policy (Istio ignores it; port-level settings do not inherit)", run: checkFailoverWithoutOutlierDetection},
		{Code: "VD202", Severity: Warning, Title: "locality load balancing with WorkloadEntries lacking a locality", Doc: "locality load balancing with WorkloadEntries lacking a locality", run: checkWorkloadEntryWithoutLocality},
		{Code: "VD203", Severity: Info, Title: "outlier detection can eject a whole remote cluster", Doc: "outlier detection with `maxEjectionPercent: 100` and one east-west endpoint per remote cluster can eject that whole cluster", run: checkWholeClusterEjection},
		{Code: "VD204", Severity: Warning, Title: "maxEjectionPercent too low to empty a remote cluster, so failover never happens",
			Doc: "outlier detection whose `maxEjectionPercent` (Envoy's default 10 when unset) is below 100*k/N for a remote cluster reached through k of the N endpoints: Envoy never ejects them all, so traffic does not fail over and requests get 503 (no istioctl or Kiali check; N counts WorkloadEntries, not local pods)",
			run: checkEjectionTooLow},
		{Code: "VD301", Severity: Error, Title: "a VirtualService routes to a host no ServiceEntry declares", Doc: "a VirtualService routes to a host no ServiceEntry declares", run: checkRouteToUndeclaredHost},
		{Code: "VD302", Severity: Error, Title: "a VirtualService routes to a port the ServiceEntry does not declare", Doc: "a VirtualService routes to a port the ServiceEntry does not declare", run: checkRouteToUndeclaredPort},
		{Code: "VD303", Severity: Error, Title: "exportTo hides the ServiceEntry from a namespace that routes to it", Doc: "exportTo hides the ServiceEntry from a namespace that routes to it", run: checkServiceEntryHidden},
		{Code: "VD304", Severity: Error, Title: "exportTo hides the DestinationRule from a namespace that routes to its host", Doc: "exportTo hides the DestinationRule from a namespace that routes to its host", run: checkDestinationRuleHidden},
		{Code: "VD305", Severity: Error, Title: "a VirtualService routes to a subset the DestinationRule does not define", Doc: "a VirtualService routes to a subset the DestinationRule does not define", run: checkRouteToUndefinedSubset},
		{Code: "VD306", Severity: Warning, Istio: "IST0130, IST0131", Title: "a route to the host is hidden by an earlier route",
			Doc: "a route to a host of the chain that an earlier route of the same VirtualService always takes first: a rule after one without match conditions or whose matches all repeat earlier ones (istioctl's VirtualServiceUnreachableRule, IST0130), or some of its matches only (VirtualServiceIneffectiveMatch, IST0131, in the finding's `istioCode`)",
			run: checkShadowedRoutes},
		{Code: "VD307", Severity: Error, Istio: "IST0109", Title: "two VirtualServices declare the host for the same gateway or the mesh",
			Doc: "two VirtualServices declare a host of the chain for the sidecars (istioctl's ConflictingMeshGatewayVirtualServiceHosts) or for the same gateway (Istio merges them in creation order; istioctl does not report it)",
			run: checkConflictingVirtualServices},
		{Code: "VD308", Severity: Error, Istio: "IST0112", Title: "a route without port to a host with several ports",
			Doc: "a route without port to a host of the chain whose ServiceEntry declares several ports (istioctl's VirtualServiceDestinationPortSelectorRequired)",
			run: checkRouteWithoutPort},
		{Code: "VD401", Severity: Error, Title: "a WorkloadEntry does not map the ServiceEntry's port names", Doc: "a WorkloadEntry does not map the ServiceEntry's port names", run: checkWorkloadEntryPortNames},
		{Code: "VD402", Severity: Warning, Title: "a remote WorkloadEntry port is not the east-west gateway's 15443", Doc: "a remote WorkloadEntry port is not the east-west gateway's 15443", run: checkWorkloadEntryPort15443},
		{Code: "VD403", Severity: Warning, Title: "a WorkloadEntry no ServiceEntry selects", Doc: "a WorkloadEntry no ServiceEntry selects", run: checkWorkloadEntryNotSelected},
		{Code: "VD404", Severity: Warning, Istio: "IST0173", Title: "a DestinationRule subset selects no endpoint",
			Doc: "a DestinationRule subset whose labels none of the host's WorkloadEntries carries (istioctl's DestinationRuleSubsetNotSelectPods; pods are not read, so a subset of local pods only is reported too)",
			run: checkSubsetSelectsNoEndpoint},
		{Code: "VD405", Severity: Warning, Kiali: "KIA1201", Title: "a ServiceEntry's addresses miss its WorkloadEntries'",
			Doc: "a ServiceEntry of another parent (MESH_INTERNAL, with addresses and a workloadSelector) for a host of the chain whose addresses miss those of WorkloadEntries it selects (Kiali's \"Missing one or more addresses from matching WorkloadEntries\"; Gloo's own ServiceEntries are left out: their address is a virtual IP by design)",
			run: checkAddressesMissWorkloadEntries},
		{Code: "VD501", Severity: Error, Title: "subjectAltNames miss a cluster that has endpoints", Doc: "subjectAltNames miss a cluster that has endpoints", run: checkMissingSAN},
		{Code: "VD601", Severity: Warning, Title: "the VirtualDestination is translated differently across clusters", Doc: "the VirtualDestination is translated differently across clusters (ServiceEntries and DestinationRules, cluster names folded)", run: checkCrossClusterDifference},
		{Code: "VD602", Severity: Warning, Istio: "IST0177", Title: "ServiceEntries declare the host's port with different protocols",
			Doc: "ServiceEntries of a cluster that a namespace sees together (exportTo) declare the same host and port of the chain with different protocols (istioctl's ConflictingServiceEntryProtocol)",
			run: checkConflictingProtocols},
		{Code: "VD603", Severity: Warning, Kiali: "KIA0201", Title: "several DestinationRules for the host",
			Doc: "more than one DestinationRule for a host of the chain, seen from one namespace, for the same subsets or the whole host (Kiali's \"More than one DestinationRules for the same host subset combination\"): Istio keeps the oldest one's traffic policy",
			run: checkSeveralDestinationRules},
	}
}

// Run runs every check and returns the findings sorted.
func Run(ch *model.Chain) []Finding {
	var out []Finding
	for _, c := range Checks() {
		for _, f := range c.run(ch) {
			out = append(out, c.stamp(f))
		}
	}
	Sort(out)
	return out
}

// stamp gives a finding its check's code, severity and analyzer codes (a
// finding may name a more precise analyzer code itself).
func (c Check) stamp(f Finding) Finding {
	f.Code, f.Severity = c.Code, c.Severity
	if f.IstioCode == "" {
		f.IstioCode = c.Istio
	}
	if f.KialiCode == "" {
		f.KialiCode = c.Kiali
	}
	return f
}

// Lookup returns the check with that code.
func Lookup(code string) (Check, bool) {
	for _, c := range Checks() {
		if c.Code == code {
			return c, true
		}
	}
	return Check{}, false
}

// Analyzers names the istioctl analyze and Kiali codes of the check, or
// "none".
func (c Check) Analyzers() string {
	var parts []string
	for _, code := range []string{c.Istio, c.Kiali} {
		if code != "" {
			parts = append(parts, code)
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ChecksTable is the Markdown table of the checks the README shows.
func ChecksTable() string {
	var b strings.Builder
	b.WriteString("| code | severity | istioctl / Kiali | finding |\n|---|---|---|---|\n")
	for _, c := range Checks() {
		fmt.Fprintf(&b, "| <a id=\"%s\"></a>%s | %s | %s | %s |\n", strings.ToLower(c.Code), c.Code, c.Severity, c.Analyzers(), c.Doc)
	}
	return b.String()
}
