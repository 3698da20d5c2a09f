// Package failover computes where Envoy sends the traffic of one cluster
// (in Envoy's sense: the upstream of a proxy) across its priority levels, and
// how that changes when hosts fail: the priority load with the
// overprovisioning factor, the panic threshold, and the cap outlier
// detection puts on ejections. It follows Envoy's load balancer
// (source/extensions/load_balancing_policies/common/load_balancer_impl.cc:
// recalculatePerPriorityState, distributeLoad, recalculatePerPriorityPanic,
// recalculateLoadInTotalPanic) and outlier detector (DetectorImpl::ejectHost),
// with integer percentages as Envoy computes them.
//
// Degraded hosts are not modelled: Istio never marks an endpoint degraded.
// Host health is counted per host, not per weight: Istio does not set the
// ClusterLoadAssignment's weighted_priority_health.
package failover

import (
	"sort"
)

// Defaults of Envoy and Istio.
const (
	// OverprovisioningFactor is Envoy's default, which Istio also writes in
	// every ClusterLoadAssignment (policy.overprovisioning_factor: 140).
	OverprovisioningFactor = 140
	// EnvoyPanicThreshold is Envoy's default healthy_panic_threshold.
	EnvoyPanicThreshold = 50
	// EnvoyMaxEjectionPercent is Envoy's default max_ejection_percent.
	EnvoyMaxEjectionPercent = 10
)

// Host is one endpoint of the cluster.
type Host struct {
	Address  string
	Port     uint32
	Locality string
	// Cluster is the Kubernetes cluster whose workload answers.
	Cluster  string
	Weight   uint32
	Priority uint32
	// Down: the host fails every request (the simulated failure).
	Down bool
}

// Key is address:port.
func (h Host) Key() string { return h.Address + ":" + uitoa(h.Port) }

// Config is what the Envoy cluster says about load balancing and health.
type Config struct {
	// OverprovisioningFactor in percent (0: Envoy's 140).
	OverprovisioningFactor uint32
	// PanicThreshold in percent, 0 disables panic mode.
	PanicThreshold uint32
	// OutlierDetection: the cluster ejects failing hosts. Without it (and
	// without active health checks, which Istio does not configure), a
	// failing host stays healthy for the load balancer.
	OutlierDetection bool
	// MaxEjectionPercent of the cluster's hosts outlier detection may
	// eject (0: Envoy's 10).
	MaxEjectionPercent uint32
}

// HostState is a host as the load balancer sees it.
type HostState struct {
	Host
	// Ejected by outlier detection (counted unhealthy).
	Ejected bool
	// Healthy for the load balancer: not ejected.
	Healthy bool
}

// Level is one priority level.
type Level struct {
	Priority uint32
	// Health is the level's availability in percent: healthy hosts /
	// hosts * overprovisioning factor, capped at 100.
	Health uint32
	// Load is the percentage of requests the level receives.
	Load uint32
	// Panic: the level balances across all its hosts, healthy or not.
	Panic bool
	Hosts []HostState
}

// Result is the load balancer's state for a set of hosts.
type Result struct {
	Levels []Level
	// NormalizedTotalHealth is the sum of the levels' health, capped at 100.
	NormalizedTotalHealth uint32
	// TotalPanic: every level is in panic; load follows host counts.
	TotalPanic bool
	// NoHealthyHost: no level has a healthy host and panic is disabled:
	// Envoy answers 503 with the flag UH.
	NoHealthyHost bool
	// Ejected counts the hosts outlier detection ejected; NotEjected the
	// down hosts it could not eject (the ejection cap, or no outlier
	// detection).
	Ejected, NotEjected int
	// SuccessPercent is the share of requests that reach a host that is not
	// down, in percent (hosts weighted by their weight within a level).
	SuccessPercent float64
}

// Health is Envoy's availability of a priority level: min(100, factor *
// healthy / total), integer arithmetic, 0 for an empty level.
func Health(healthy, total int, factor uint32) uint32 {
	if total <= 0 {
		return 0
	}
	if factor == 0 {
		factor = OverprovisioningFactor
	}
	h := uint64(factor) * uint64(healthy) / uint64(total)
	if h > 100 {
		return 100
	}
	return uint32(h)
}

// Loads distributes 100% of the requests over the levels by their health,
// as Envoy does: the normalized total health is the sum of the healths
// capped at 100; level i gets min(what is left, health_i * 100 / normalized
// total health) and the rounding remainder goes to the first level with
// some health. It returns the loads and the normalized total health; with
// no health at all every load is 0.
func Loads(health []uint32) ([]uint32, uint32) {
	loads := make([]uint32, len(health))
	var sum uint32
	for _, h := range health {
		sum += h
	}
	nth := min(sum, 100)
	if nth == 0 {
		return loads, 0
	}
	left := uint32(100)
	first := -1
	for i, h := range health {
		if first < 0 && h > 0 {
			first = i
		}
		loads[i] = min(left, h*100/nth)
		left -= loads[i]
	}
	if left > 0 && first >= 0 {
		loads[first] += left
	}
	return loads, nth
}

// EjectionCap is how many of n hosts outlier detection may eject at once:
// Envoy ejects one more host while ejected*100/n < max_ejection_percent,
// so ceil(n * max / 100), at most n.
func EjectionCap(n int, maxPercent uint32) int {
	if maxPercent > 100 {
		maxPercent = 100
	}
	c := (n*int(maxPercent) + 99) / 100
	return min(c, n)
}

// InPanic is Envoy's panic test of one level: the percentage of healthy
// hosts (0 for an empty level) is below the threshold.
func InPanic(healthy, total int, threshold uint32) bool {
	pct := 0.0
	if total > 0 {
		pct = 100 * float64(healthy) / float64(total)
	}
	return pct < float64(min(threshold, 100))
}

// Compute places the hosts in their priority levels, ejects the down ones
// as outlier detection would (in the order given, up to the cap), and
// computes each level's health, load and panic mode.
func Compute(hosts []Host, cfg Config) Result {
	var res Result
	maxPrio := -1
	for _, h := range hosts {
		maxPrio = max(maxPrio, int(h.Priority))
	}
	if maxPrio < 0 {
		// No host at all: Envoy has one empty level.
		maxPrio = 0
	}
	res.Levels = make([]Level, maxPrio+1)
	for i := range res.Levels {
		res.Levels[i].Priority = uint32(i)
	}
	maxEj := cfg.MaxEjectionPercent
	if maxEj == 0 {
		maxEj = EnvoyMaxEjectionPercent
	}
	budget := 0
	if cfg.OutlierDetection {
		budget = EjectionCap(len(hosts), maxEj)
	}
	for _, h := range hosts {
		st := HostState{Host: h, Healthy: true}
		if h.Down {
			if budget > 0 {
				budget--
				st.Ejected, st.Healthy = true, false
				res.Ejected++
			} else {
				res.NotEjected++
			}
		}
		res.Levels[h.Priority].Hosts = append(res.Levels[h.Priority].Hosts, st)
	}
	for i := range res.Levels {
		sort.SliceStable(res.Levels[i].Hosts, func(a, b int) bool {
			x, y := res.Levels[i].Hosts[a], res.Levels[i].Hosts[b]
			if x.Locality != y.Locality {
				return x.Locality < y.Locality
			}
			return x.Key() < y.Key()
		})
	}

	health := make([]uint32, len(res.Levels))
	healthyCount := make([]int, len(res.Levels))
	for i, l := range res.Levels {
		for _, h := range l.Hosts {
			if h.Healthy {
				healthyCount[i]++
			}
		}
		health[i] = Health(healthyCount[i], len(l.Hosts), cfg.OverprovisioningFactor)
		res.Levels[i].Health = health[i]
	}
	loads, nth := Loads(health)
	res.NormalizedTotalHealth = nth
	threshold := min(cfg.PanicThreshold, 100)
	switch {
	case threshold == 0 && nth == 0:
		// Panic disabled and nothing healthy: Envoy points all the load at
		// P0, where no host can be chosen.
		loads[0] = 100
		res.NoHealthyHost = true
	default:
		total := true
		for i, l := range res.Levels {
			p := nth != 100 && InPanic(healthyCount[i], len(l.Hosts), threshold)
			res.Levels[i].Panic = p
			total = total && p
		}
		if total {
			res.TotalPanic = true
			loads = panicLoads(res.Levels)
		}
	}
	for i := range res.Levels {
		res.Levels[i].Load = loads[i]
	}
	res.SuccessPercent = success(res)
	return res
}

// panicLoads is Envoy's load in total panic: by the number of hosts per
// level, the remainder to the first level with hosts (P0 when none has).
func panicLoads(levels []Level) []uint32 {
	loads := make([]uint32, len(levels))
	total := 0
	for _, l := range levels {
		total += len(l.Hosts)
	}
	if total == 0 {
		loads[0] = 100
		return loads
	}
	left := uint32(100)
	first := -1
	for i, l := range levels {
		if first < 0 && len(l.Hosts) > 0 {
			first = i
		}
		loads[i] = uint32(100 * len(l.Hosts) / total)
		left -= loads[i]
	}
	loads[first] += left
	return loads
}

// success is the share of requests that land on a host that is not down:
// within a level the load balancer picks among the healthy hosts (all
// hosts in panic), in proportion to their weights.
func success(res Result) float64 {
	if res.NoHealthyHost {
		return 0
	}
	var ok float64
	for _, l := range res.Levels {
		if l.Load == 0 {
			continue
		}
		var all, up float64
		for _, h := range l.Hosts {
			if !l.Panic && !h.Healthy {
				continue
			}
			w := float64(max(h.Weight, 1))
			all += w
			if !h.Down {
				up += w
			}
		}
		if all > 0 {
			ok += float64(l.Load) * up / all
		}
	}
	return ok
}

func uitoa(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b [10]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
