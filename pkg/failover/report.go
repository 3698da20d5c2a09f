package failover

import (
	"fmt"
	"sort"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
)

// Failure is one simulated failure: every endpoint it selects fails every
// request. Several values of one kind fail together.
type Failure struct {
	// Kind is FailCluster, FailLocality or FailEject.
	Kind string
	// Values are cluster names, localities (region[/zone[/subzone]]) or
	// address:port.
	Values []string
}

// Kinds of failures.
const (
	FailCluster  = "down"
	FailLocality = "down-locality"
	FailEject    = "eject"
)

// String is the failure as the flag that asks for it.
func (f Failure) String() string { return "--" + f.Kind + " " + strings.Join(f.Values, ",") }

// Selects reports whether the failure takes the endpoint down.
func (f Failure) Selects(e locality.Endpoint) bool {
	for _, v := range f.Values {
		switch f.Kind {
		case FailCluster:
			if e.Cluster == v {
				return true
			}
		case FailLocality:
			if within(e.Locality, v) {
				return true
			}
		case FailEject:
			if e.HostPort() == v || e.Address+":"+uitoa(e.Port) == v {
				return true
			}
		}
	}
	return false
}

// within reports whether l lies in the locality prefix "region[/zone[/subzone]]".
func within(l locality.Locality, prefix string) bool {
	parts := strings.SplitN(prefix, "/", 3)
	have := []string{l.Region, l.Zone, l.SubZone}
	for i, p := range parts {
		if p != have[i] {
			return false
		}
	}
	return true
}

// Policy is what the cluster's traffic policy sets for failover.
type Policy struct {
	// LocalityLB is the locality load balancer setting in effect (nil: the
	// mesh default, enabled without rules).
	LocalityLB *networking.LocalityLoadBalancerSetting `json:"-"`
	// OutlierDetection is the traffic policy's outlier detection, or nil.
	OutlierDetection *networking.OutlierDetection `json:"-"`
}

// EnvoyConfig is what istiod writes in the Envoy cluster for that policy.
// Panic threshold (pilot/pkg/networking/core/cluster_traffic_policy.go):
// with outlier detection, istiod sets healthy_panic_threshold to its
// minHealthPercent (0 when not set, which disables panic mode); without
// it, istiod sets 0 as well because it sends unhealthy endpoints by
// default (PILOT_AUTO_SEND_UNHEALTHY_ENDPOINTS, on by default), so Envoy's
// own default of 50% applies only when that is turned off.
func (p Policy) EnvoyConfig() Config {
	c := Config{OverprovisioningFactor: OverprovisioningFactor}
	if od := p.OutlierDetection; od != nil {
		c.OutlierDetection = true
		if od.GetMaxEjectionPercent() > 0 {
			c.MaxEjectionPercent = uint32(od.GetMaxEjectionPercent())
		}
		if od.GetMinHealthPercent() > 0 {
			c.PanicThreshold = uint32(od.GetMinHealthPercent())
		}
	}
	return c
}

// Setting is the locality.Setting of the policy.
func (p Policy) Setting() locality.Setting {
	return locality.Setting{LB: p.LocalityLB, OutlierDetection: p.OutlierDetection != nil}
}

// localityFailoverAsked: the policy asks for locality load balancing
// without a weighted distribution.
func (p Policy) localityFailoverAsked() bool {
	lb := p.LocalityLB
	if lb == nil {
		return false
	}
	if lb.GetEnabled() != nil && !lb.GetEnabled().GetValue() {
		return false
	}
	return len(lb.GetDistribute()) == 0
}

// localityFailover: istiod assigns failover priorities. The mesh default
// enables locality load balancing, so outlier detection alone turns
// failover on (loadbalancer.LocalityLBSettings.ApplyToCluster).
func (p Policy) localityFailover() bool {
	if p.OutlierDetection == nil {
		return false
	}
	return p.LocalityLB == nil || p.localityFailoverAsked()
}

// Source says whose traffic is computed.
type Source struct {
	Context string `json:"context,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	// Proxy is namespace/name of the pod, empty for --locality.
	Proxy     string `json:"proxy,omitempty"`
	Locality  string `json:"locality"`
	Host      string `json:"host"`
	Port      uint32 `json:"port"`
	Namespace string `json:"namespace"`
}

// Report is the priorities of a source and what each failure does.
type Report struct {
	Source     Source     `json:"source"`
	Settings   Settings   `json:"settings"`
	Priorities []Priority `json:"priorities"`
	// Outcome of the healthy case.
	Outcome   Outcome          `json:"outcome"`
	Scenarios []ScenarioResult `json:"scenarios"`
	// Notes say what the priorities depend on.
	Notes []string `json:"notes,omitempty"`
}

// Settings are the Envoy cluster settings the computation used.
type Settings struct {
	LocalityFailover       bool   `json:"localityFailover"`
	OutlierDetection       bool   `json:"outlierDetection"`
	MaxEjectionPercent     uint32 `json:"maxEjectionPercent,omitempty"`
	PanicThreshold         uint32 `json:"panicThreshold"`
	OverprovisioningFactor uint32 `json:"overprovisioningFactor"`
}

// Priority is one priority level.
type Priority struct {
	Priority uint32 `json:"priority"`
	// Load is the percentage of requests the level receives.
	Load      uint32     `json:"load"`
	Panic     bool       `json:"panic,omitempty"`
	Endpoints []Endpoint `json:"endpoints"`
}

// Endpoint is one endpoint of a level.
type Endpoint struct {
	Address  string `json:"address"`
	Port     uint32 `json:"port"`
	Locality string `json:"locality"`
	Cluster  string `json:"cluster"`
	Weight   uint32 `json:"weight"`
	// Healthy for Envoy's load balancer (not ejected).
	Healthy bool `json:"healthy"`
	// Down: the simulated failure takes it down (it may still be healthy
	// for Envoy when outlier detection cannot eject it).
	Down bool `json:"down,omitempty"`
}

// Outcome sums up where requests end.
type Outcome struct {
	// Status is "ok" (every request reaches a working endpoint), "degraded"
	// (some fail) or "503" (none can succeed).
	Status string `json:"status"`
	// Success is the percentage of requests that reach a working endpoint.
	Success float64 `json:"success"`
	Reason  string  `json:"reason,omitempty"`
}

// ScenarioResult is the priorities under one failure.
type ScenarioResult struct {
	Failure    string     `json:"failure"`
	Priorities []Priority `json:"priorities"`
	Outcome    Outcome    `json:"outcome"`
	Notes      []string   `json:"notes,omitempty"`
}

// Input is everything a report is computed from.
type Input struct {
	Source    Source
	From      locality.Source
	Endpoints []locality.Endpoint
	Policy    Policy
	Failures  []Failure
}

// Build assigns the endpoints their priorities for the source as istiod
// does, then computes the load per level, healthy and under each failure.
func Build(in Input) *Report {
	assigned := locality.Assign(in.From, in.Endpoints, in.Policy.Setting())
	cfg := in.Policy.EnvoyConfig()
	r := &Report{
		Source: in.Source,
		Settings: Settings{
			LocalityFailover:       in.Policy.localityFailover(),
			OutlierDetection:       cfg.OutlierDetection,
			PanicThreshold:         cfg.PanicThreshold,
			OverprovisioningFactor: cfg.OverprovisioningFactor,
		},
	}
	if cfg.OutlierDetection {
		r.Settings.MaxEjectionPercent = cfg.MaxEjectionPercent
		if r.Settings.MaxEjectionPercent == 0 {
			r.Settings.MaxEjectionPercent = EnvoyMaxEjectionPercent
		}
	}
	if in.Policy.localityFailoverAsked() && in.Policy.OutlierDetection == nil {
		r.Notes = append(r.Notes, "locality failover is asked without outlier detection: istiod assigns no priorities (every endpoint at priority 0) and Envoy never notices a failing endpoint (explain VD201)")
	}
	base := Compute(hosts(assigned, nil), cfg)
	r.Priorities = priorities(base)
	r.Outcome = outcome(base, len(assigned))
	for _, f := range in.Failures {
		res := Compute(hosts(assigned, &f), cfg)
		sr := ScenarioResult{Failure: f.String(), Priorities: priorities(res), Outcome: outcome(res, len(assigned))}
		sr.Notes = scenarioNotes(f, res, assigned, cfg)
		r.Scenarios = append(r.Scenarios, sr)
	}
	return r
}

// Failing reports whether some scenario (or the healthy case) leaves no
// working endpoint for any request.
func (r *Report) Failing() bool {
	if r.Outcome.Status == Status503 {
		return true
	}
	for _, s := range r.Scenarios {
		if s.Outcome.Status == Status503 {
			return true
		}
	}
	return false
}

// Outcome statuses.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	Status503      = "503"
)

func hosts(assigned []locality.Assigned, f *Failure) []Host {
	out := make([]Host, 0, len(assigned))
	for _, a := range assigned {
		w := a.Weight
		if w == 0 {
			w = 1
		}
		out = append(out, Host{
			Address:  a.Address,
			Port:     a.Port,
			Locality: a.Locality.String(),
			Cluster:  a.Cluster,
			Weight:   w,
			Priority: a.Priority,
			Down:     f != nil && f.Selects(a.Endpoint),
		})
	}
	return out
}

func priorities(res Result) []Priority {
	out := make([]Priority, 0, len(res.Levels))
	for _, l := range res.Levels {
		p := Priority{Priority: l.Priority, Load: l.Load, Panic: l.Panic, Endpoints: []Endpoint{}}
		for _, h := range l.Hosts {
			p.Endpoints = append(p.Endpoints, Endpoint{
				Address: h.Address, Port: h.Port, Locality: h.Locality, Cluster: h.Cluster,
				Weight: h.Weight, Healthy: h.Healthy, Down: h.Down,
			})
		}
		out = append(out, p)
	}
	return out
}

func outcome(res Result, n int) Outcome {
	o := Outcome{Success: round1(res.SuccessPercent)}
	switch {
	case n == 0:
		o.Status, o.Reason = Status503, "no endpoint: 503 UH (no healthy upstream)"
	case res.NoHealthyHost:
		o.Status, o.Reason = Status503, "every level empty of healthy hosts and panic disabled: 503 UH (no healthy upstream)"
	case res.SuccessPercent <= 0:
		o.Status, o.Reason = Status503, "every request goes to a failing endpoint"
	case res.SuccessPercent < 100:
		o.Status = StatusDegraded
		o.Reason = fmt.Sprintf("%s%% of requests go to failing endpoints", trimFloat(round1(100-res.SuccessPercent)))
	default:
		o.Status = StatusOK
		o.Reason = "every request reaches " + destinations(res)
	}
	return o
}

// destinations names the clusters that receive load.
func destinations(res Result) string {
	load := map[string]uint32{}
	for _, l := range res.Levels {
		if l.Load == 0 {
			continue
		}
		clusters := map[string]bool{}
		for _, h := range l.Hosts {
			if h.Healthy || l.Panic {
				clusters[h.Cluster] = true
			}
		}
		for c := range clusters {
			// A level spread over clusters: name each.
			load[c] += l.Load
		}
	}
	names := make([]string, 0, len(load))
	for c := range load {
		names = append(names, c)
	}
	sort.Strings(names)
	for i, c := range names {
		if c == "" {
			names[i] = "(unknown cluster)"
		}
	}
	if len(names) > 1 {
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	return strings.Join(names, "")
}

func scenarioNotes(f Failure, res Result, assigned []locality.Assigned, cfg Config) []string {
	var notes []string
	down := 0
	for _, a := range assigned {
		if f.Selects(a.Endpoint) {
			down++
		}
	}
	if down == 0 {
		notes = append(notes, "no endpoint matches "+f.String())
	}
	if !cfg.OutlierDetection && down > 0 {
		notes = append(notes, "no outlier detection: Envoy keeps sending requests to the failing endpoints")
	}
	if cfg.OutlierDetection && res.NotEjected > 0 {
		notes = append(notes, fmt.Sprintf("maxEjectionPercent %d lets outlier detection eject %d of %d endpoints: %d failing endpoint(s) stay in rotation",
			maxOr(cfg.MaxEjectionPercent, EnvoyMaxEjectionPercent), EjectionCap(len(assigned), maxOr(cfg.MaxEjectionPercent, EnvoyMaxEjectionPercent)), len(assigned), res.NotEjected))
	}
	for _, l := range res.Levels {
		if l.Panic {
			notes = append(notes, fmt.Sprintf("priority %d is in panic (fewer than %d%% of its hosts healthy): it balances across all its hosts", l.Priority, cfg.PanicThreshold))
		}
	}
	return notes
}

func maxOr(v, def uint32) uint32 {
	if v == 0 {
		return def
	}
	return v
}

func round1(f float64) float64 {
	return float64(int64(f*10+0.5)) / 10
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}
