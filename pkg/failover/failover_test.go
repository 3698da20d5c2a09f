package failover

import (
	"fmt"
	"reflect"
	"testing"
)

// TestLoadsPriorityLevels follows the tables of Envoy's "Priority levels"
// section (intro/arch_overview/upstream/load_balancing/priority): each
// level's health is its healthy percentage times the overprovisioning
// factor 1.4, capped at 100, and the load spills from P0 down.
func TestLoadsPriorityLevels(t *testing.T) {
	tests := []struct {
		healthyPercent []int // healthy hosts of 100 per level
		want           []uint32
	}{
		// Two levels.
		{[]int{100, 100}, []uint32{100, 0}},
		{[]int{72, 100}, []uint32{100, 0}},
		{[]int{71, 100}, []uint32{99, 1}},
		{[]int{50, 100}, []uint32{70, 30}},
		{[]int{25, 100}, []uint32{35, 65}},
		{[]int{0, 100}, []uint32{0, 100}},
		// Three levels.
		{[]int{100, 100, 100}, []uint32{100, 0, 0}},
		{[]int{72, 72, 100}, []uint32{100, 0, 0}},
		{[]int{71, 71, 100}, []uint32{99, 1, 0}},
		{[]int{50, 50, 100}, []uint32{70, 30, 0}},
		{[]int{25, 100, 100}, []uint32{35, 65, 0}},
		{[]int{25, 25, 100}, []uint32{35, 35, 30}},
		// Normalized total health 35+35+28 = 98: loads scale up; the
		// rounding remainder goes to P0 (the docs' table shows 36/36/28
		// before the remainder is placed; Envoy's distributeLoad gives the
		// first available level 35*100/98=35 plus the remainder).
		{[]int{25, 25, 20}, []uint32{37, 35, 28}},
		{[]int{0, 0, 100}, []uint32{0, 0, 100}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.healthyPercent), func(t *testing.T) {
			var health []uint32
			for _, p := range tt.healthyPercent {
				health = append(health, Health(p, 100, 0))
			}
			got, _ := Loads(health)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("loads of %v (health %v) = %v, want %v", tt.healthyPercent, health, got, tt.want)
			}
		})
	}
}

// TestComputeTwoOfThree: 2 of 3 hosts of P0 healthy → P0's health is
// 2/3*1.4 = 0.933, so P0 gets 93% and P1 the rest (Envoy docs, "Priority
// levels").
func TestComputeTwoOfThree(t *testing.T) {
	hosts := []Host{
		{Address: "10.0.0.1", Port: 80, Priority: 0, Down: true},
		{Address: "10.0.0.2", Port: 80, Priority: 0},
		{Address: "10.0.0.3", Port: 80, Priority: 0},
		{Address: "10.0.1.1", Port: 80, Priority: 1},
	}
	res := Compute(hosts, Config{OutlierDetection: true, MaxEjectionPercent: 100})
	if got := []uint32{res.Levels[0].Load, res.Levels[1].Load}; !reflect.DeepEqual(got, []uint32{93, 7}) {
		t.Fatalf("loads = %v, want [93 7]", got)
	}
	if res.Levels[0].Health != 93 || res.Ejected != 1 || res.SuccessPercent != 100 {
		t.Errorf("health %d ejected %d success %v", res.Levels[0].Health, res.Ejected, res.SuccessPercent)
	}
}

// TestComputePanic follows the table of Envoy's "Panic threshold" section
// (intro/arch_overview/upstream/load_balancing/panic_threshold), with the
// default threshold of 50%.
func TestComputePanic(t *testing.T) {
	tests := []struct {
		healthy    [2]int // of 100 hosts per level
		wantLoad   [2]uint32
		wantPanic  [2]bool
		totalPanic bool
	}{
		{[2]int{72, 72}, [2]uint32{100, 0}, [2]bool{false, false}, false},
		{[2]int{71, 71}, [2]uint32{99, 1}, [2]bool{false, false}, false},
		{[2]int{50, 60}, [2]uint32{70, 30}, [2]bool{false, false}, false},
		{[2]int{25, 100}, [2]uint32{35, 65}, [2]bool{false, false}, false},
		// Both levels in panic: load by host count.
		{[2]int{25, 25}, [2]uint32{50, 50}, [2]bool{true, true}, true},
		// The docs show 7%/93%; Envoy gives the rounding remainder of
		// 7*100/98 + 91*100/98 = 99 to the first available level.
		{[2]int{5, 65}, [2]uint32{8, 92}, [2]bool{true, false}, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.healthy), func(t *testing.T) {
			var hosts []Host
			for p, n := range tt.healthy {
				for i := 0; i < 100; i++ {
					hosts = append(hosts, Host{Address: fmt.Sprintf("10.%d.0.%d", p, i), Port: 80, Priority: uint32(p), Down: i >= n})
				}
			}
			res := Compute(hosts, Config{PanicThreshold: EnvoyPanicThreshold, OutlierDetection: true, MaxEjectionPercent: 100})
			got := [2]uint32{res.Levels[0].Load, res.Levels[1].Load}
			panic := [2]bool{res.Levels[0].Panic, res.Levels[1].Panic}
			if got != tt.wantLoad || panic != tt.wantPanic || res.TotalPanic != tt.totalPanic {
				t.Errorf("loads %v panic %v total %v, want %v %v %v", got, panic, res.TotalPanic, tt.wantLoad, tt.wantPanic, tt.totalPanic)
			}
		})
	}
}

func TestComputeNoHealthyHost(t *testing.T) {
	hosts := []Host{
		{Address: "10.0.0.1", Port: 80, Priority: 0, Down: true},
		{Address: "10.0.1.1", Port: 80, Priority: 1, Down: true},
	}
	// Istio's panic threshold 0: 503 UH, the load pointed at P0.
	res := Compute(hosts, Config{OutlierDetection: true, MaxEjectionPercent: 100})
	if !res.NoHealthyHost || res.Levels[0].Load != 100 || res.SuccessPercent != 0 {
		t.Errorf("got %+v", res)
	}
	// Envoy's default threshold: total panic, every host tried, all down.
	res = Compute(hosts, Config{PanicThreshold: 50, OutlierDetection: true, MaxEjectionPercent: 100})
	if res.NoHealthyHost || !res.TotalPanic || res.Levels[0].Load != 50 || res.SuccessPercent != 0 {
		t.Errorf("got %+v", res)
	}
	// No host at all.
	res = Compute(nil, Config{})
	if !res.NoHealthyHost || len(res.Levels) != 1 {
		t.Errorf("got %+v", res)
	}
}

// TestEjectionCap: Envoy ejects a host while ejected*100/hosts is below
// max_ejection_percent (DetectorImpl::ejectHost), counted over the whole
// cluster, not per level.
func TestEjectionCap(t *testing.T) {
	tests := []struct {
		n    int
		max  uint32
		want int
	}{
		{3, 100, 3}, {3, 10, 1}, {10, 10, 1}, {11, 10, 2}, {20, 10, 2}, {3, 50, 2}, {4, 50, 2}, {1, 10, 1}, {0, 10, 0}, {5, 0, 0}, {5, 200, 5},
	}
	for _, tt := range tests {
		if got := EjectionCap(tt.n, tt.max); got != tt.want {
			t.Errorf("EjectionCap(%d, %d) = %d, want %d", tt.n, tt.max, got, tt.want)
		}
	}
}

func TestComputeEjectionCapKeepsFailingHosts(t *testing.T) {
	hosts := []Host{
		{Address: "10.0.0.1", Port: 80, Priority: 0, Down: true},
		{Address: "10.0.0.2", Port: 80, Priority: 0, Down: true},
		{Address: "10.0.1.1", Port: 80, Priority: 1},
	}
	// Default max_ejection_percent 10: one host of three ejected, the other
	// keeps P0 at 70% health and takes 70% of the requests, which fail.
	res := Compute(hosts, Config{OutlierDetection: true})
	if res.Ejected != 1 || res.NotEjected != 1 {
		t.Fatalf("ejected %d not ejected %d", res.Ejected, res.NotEjected)
	}
	if res.Levels[0].Load != 70 || res.Levels[1].Load != 30 || res.SuccessPercent != 30 {
		t.Errorf("loads %d/%d success %v", res.Levels[0].Load, res.Levels[1].Load, res.SuccessPercent)
	}
	// Without outlier detection nothing is ejected: P0 keeps everything.
	res = Compute(hosts, Config{})
	if res.Ejected != 0 || res.Levels[0].Load != 100 || res.SuccessPercent != 0 {
		t.Errorf("without outlier detection: %+v", res)
	}
}

func TestHealth(t *testing.T) {
	for _, tt := range []struct {
		healthy, total int
		want           uint32
	}{{2, 3, 93}, {1, 2, 70}, {3, 4, 100}, {0, 5, 0}, {0, 0, 0}, {71, 100, 99}, {72, 100, 100}} {
		if got := Health(tt.healthy, tt.total, OverprovisioningFactor); got != tt.want {
			t.Errorf("Health(%d, %d) = %d, want %d", tt.healthy, tt.total, got, tt.want)
		}
	}
}
