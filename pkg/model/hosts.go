package model

import "strings"

// HostMatches reports whether a route's destination host is a host a
// ServiceEntry declares: the same name, or under a declared wildcard
// (*.global).
func HostMatches(host, declared string) bool {
	host, declared = strings.ToLower(host), strings.ToLower(declared)
	if host == declared {
		return true
	}
	if declared == "*" {
		return true
	}
	if strings.HasPrefix(declared, "*.") {
		return strings.HasSuffix(host, declared[1:])
	}
	return false
}

// HostIn reports whether host matches one of hosts.
func HostIn(host string, hosts []string) bool {
	for _, h := range hosts {
		if HostMatches(host, h) {
			return true
		}
	}
	return false
}

// ExportedTo reports whether an object of namespace own with that exportTo
// is visible in namespace ns. An empty list exports everywhere (Istio's
// default), "." to the object's own namespace, "*" everywhere, "~" nowhere.
func ExportedTo(exportTo []string, own, ns string) bool {
	if len(exportTo) == 0 {
		return true
	}
	for _, e := range exportTo {
		switch e {
		case "*":
			return true
		case ".":
			if ns == own {
				return true
			}
		case "~":
		default:
			if e == ns {
				return true
			}
		}
	}
	return false
}

// TrustDomain returns the trust domain of a SPIFFE identity
// (spiffe://cluster1/ns/x/sa/y -> cluster1), or "".
func TrustDomain(san string) string {
	rest, ok := strings.CutPrefix(san, "spiffe://")
	if !ok {
		return ""
	}
	td, _, _ := strings.Cut(rest, "/")
	return td
}
