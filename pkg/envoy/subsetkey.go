package envoy

import (
	"strconv"
	"strings"
)

// SubsetKey is an Istio cluster name taken apart: direction|port|subset|host
// (outbound|9080|v1|reviews.default.svc.cluster.local), or its DNS SRV form
// outbound_.9080_.v1_.reviews.default.svc.cluster.local.
type SubsetKey struct {
	Direction string
	Port      int
	Subset    string
	Host      string
}

// ParseSubsetKey takes a cluster name apart the way Istio does. Parts that
// are missing stay empty; a name with more parts than four has no host.
func ParseSubsetKey(name string) SubsetKey {
	var k SubsetKey
	sep := "|"
	if strings.HasPrefix(name, "outbound_") || strings.HasPrefix(name, "inbound_") {
		sep = "_."
	}
	dir, rest, ok := strings.Cut(name, sep)
	if !ok {
		return k
	}
	k.Direction = dir
	p, rest, ok := strings.Cut(rest, sep)
	if !ok {
		return k
	}
	k.Port, _ = strconv.Atoi(p)
	subset, rest, ok := strings.Cut(rest, sep)
	if !ok {
		return k
	}
	k.Subset = subset
	if strings.Contains(rest, sep) {
		return k
	}
	k.Host = rest
	return k
}

// IsSubsetKey reports whether istioctl reads a cluster name as a subset key
// (it has more than three "|").
func IsSubsetKey(name string) bool { return strings.Count(name, "|") > 2 }

// ClusterHost is the service FQDN a cluster name stands for, "" when the
// name is not a subset key.
func ClusterHost(name string) string {
	if !IsSubsetKey(name) {
		return ""
	}
	return ParseSubsetKey(name).Host
}
