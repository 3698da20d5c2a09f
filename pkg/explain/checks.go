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
	run func(ch *model.Chain) []Finding
}

// Checks returns every check, in code order.
func Checks() []Check {
	return []Check{
		{"VD100", Error, "an object's spec cannot be read", "an object's spec cannot be read (also a hand-written VirtualService naming a host of the chain, and a VirtualDestination with a field of the wrong type)", checkUnreadableSpec},
		{"VD101", Error, "no translation in a cluster while the VirtualDestination exists", "no translation in a cluster while the VirtualDestination exists", checkMissingTranslation},
		{"VD102", Warning, "translations whose VirtualDestination is gone (orphans)", "translations whose VirtualDestination is gone (orphans), when the Gloo API is served where it lived", checkOrphans},
		{"VD103", Warning, "translation without ServiceEntry or DestinationRule", "translation without ServiceEntry or DestinationRule", checkIncompleteTranslation},
		{"VD201", Error, "locality failover without outlier detection on the same traffic policy", "locality failover without outlier detection on the same traffic policy (Istio ignores it; port-level settings do not inherit)", checkFailoverWithoutOutlierDetection},
		{"VD202", Warning, "locality load balancing with WorkloadEntries lacking a locality", "locality load balancing with WorkloadEntries lacking a locality", checkWorkloadEntryWithoutLocality},
		{"VD203", Info, "outlier detection can eject a whole remote cluster", "outlier detection with `maxEjectionPercent: 100` and one east-west endpoint per remote cluster can eject that whole cluster", checkWholeClusterEjection},
		{"VD301", Error, "a VirtualService routes to a host no ServiceEntry declares", "a VirtualService routes to a host no ServiceEntry declares", checkRouteToUndeclaredHost},
		{"VD302", Error, "a VirtualService routes to a port the ServiceEntry does not declare", "a VirtualService routes to a port the ServiceEntry does not declare", checkRouteToUndeclaredPort},
		{"VD303", Error, "exportTo hides the ServiceEntry from a namespace that routes to it", "exportTo hides the ServiceEntry from a namespace that routes to it", checkServiceEntryHidden},
		{"VD304", Error, "exportTo hides the DestinationRule from a namespace that routes to its host", "exportTo hides the DestinationRule from a namespace that routes to its host", checkDestinationRuleHidden},
		{"VD305", Error, "a VirtualService routes to a subset the DestinationRule does not define", "a VirtualService routes to a subset the DestinationRule does not define", checkRouteToUndefinedSubset},
		{"VD401", Error, "a WorkloadEntry does not map the ServiceEntry's port names", "a WorkloadEntry does not map the ServiceEntry's port names", checkWorkloadEntryPortNames},
		{"VD402", Warning, "a remote WorkloadEntry port is not the east-west gateway's 15443", "a remote WorkloadEntry port is not the east-west gateway's 15443", checkWorkloadEntryPort15443},
		{"VD403", Warning, "a WorkloadEntry no ServiceEntry selects", "a WorkloadEntry no ServiceEntry selects", checkWorkloadEntryNotSelected},
		{"VD501", Error, "subjectAltNames miss a cluster that has endpoints", "subjectAltNames miss a cluster that has endpoints", checkMissingSAN},
		{"VD601", Warning, "the VirtualDestination is translated differently across clusters", "the VirtualDestination is translated differently across clusters (ServiceEntries and DestinationRules, cluster names folded)", checkCrossClusterDifference},
	}
}

// Run runs every check and returns the findings sorted.
func Run(ch *model.Chain) []Finding {
	var out []Finding
	for _, c := range Checks() {
		for _, f := range c.run(ch) {
			f.Code, f.Severity = c.Code, c.Severity
			out = append(out, f)
		}
	}
	Sort(out)
	return out
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

// ChecksTable is the Markdown table of the checks the README shows.
func ChecksTable() string {
	var b strings.Builder
	b.WriteString("| code | severity | finding |\n|---|---|---|\n")
	for _, c := range Checks() {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Code, c.Severity, c.Doc)
	}
	return b.String()
}
