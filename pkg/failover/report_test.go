package failover

import (
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
)

func TestFailureSelects(t *testing.T) {
	ep := locality.Endpoint{Address: "10.0.0.1", Port: 9080, Cluster: "c1", Kind: "Pod", Namespace: "ns", Name: "pp-a",
		Locality: locality.Locality{Region: "us-east-1", Zone: "us-east-1a", SubZone: "s1"}}
	tests := []struct {
		f    Failure
		want bool
	}{
		{Failure{FailCluster, []string{"c2", "c1"}}, true},
		{Failure{FailCluster, []string{"c2"}}, false},
		{Failure{FailLocality, []string{"us-east-1"}}, true},
		{Failure{FailLocality, []string{"us-east-1/us-east-1a"}}, true},
		{Failure{FailLocality, []string{"us-east-1/us-east-1a/s1"}}, true},
		{Failure{FailLocality, []string{"us-east-1/us-east-1b"}}, false},
		{Failure{FailLocality, []string{"us-east"}}, false},
		{Failure{FailEject, []string{"10.0.0.1:9080"}}, true},
		{Failure{FailEject, []string{"10.0.0.1:80"}}, false},
		// A pod by its name, live (it has an IP) as from files.
		{Failure{FailEject, []string{"pod/pp-a:9080"}}, true},
		{Failure{FailEject, []string{"pod/pp-a:80"}}, false},
		{Failure{FailEject, []string{"pod/pp-b:9080"}}, false},
	}
	for _, tt := range tests {
		if got := tt.f.Selects(ep); got != tt.want {
			t.Errorf("%s selects: %v, want %v", tt.f, got, tt.want)
		}
	}
}

// TestPolicy: what istiod writes in the Envoy cluster for a traffic policy.
func TestPolicy(t *testing.T) {
	od := &networking.OutlierDetection{MaxEjectionPercent: 30, MinHealthPercent: 20}
	tests := []struct {
		name     string
		p        Policy
		failover bool
		cfg      Config
	}{
		{"nothing", Policy{}, false, Config{OverprovisioningFactor: 140}},
		{"outlier detection alone turns failover on", Policy{OutlierDetection: od}, true,
			Config{OverprovisioningFactor: 140, OutlierDetection: true, MaxEjectionPercent: 30, PanicThreshold: 20}},
		{"failover without outlier detection", Policy{LocalityLB: &networking.LocalityLoadBalancerSetting{}}, false, Config{OverprovisioningFactor: 140}},
		{"disabled", Policy{OutlierDetection: &networking.OutlierDetection{},
			LocalityLB: &networking.LocalityLoadBalancerSetting{Enabled: wrapperspb.Bool(false)}}, false,
			Config{OverprovisioningFactor: 140, OutlierDetection: true}},
		{"distribute", Policy{OutlierDetection: &networking.OutlierDetection{},
			LocalityLB: &networking.LocalityLoadBalancerSetting{Distribute: []*networking.LocalityLoadBalancerSetting_Distribute{{From: "a/*", To: map[string]uint32{"a/*": 100}}}}}, false,
			Config{OverprovisioningFactor: 140, OutlierDetection: true, LocalityWeighted: true}},
		// Locality weighted load balancing: distribute (with or without
		// outlier detection), failover rules with outlier detection.
		{"distribute without outlier detection", Policy{
			LocalityLB: &networking.LocalityLoadBalancerSetting{Distribute: []*networking.LocalityLoadBalancerSetting_Distribute{{From: "a/*", To: map[string]uint32{"a/*": 100}}}}}, false,
			Config{OverprovisioningFactor: 140, LocalityWeighted: true}},
		{"failover rules", Policy{OutlierDetection: &networking.OutlierDetection{},
			LocalityLB: &networking.LocalityLoadBalancerSetting{Failover: []*networking.LocalityLoadBalancerSetting_Failover{{From: "a", To: "b"}}}}, true,
			Config{OverprovisioningFactor: 140, OutlierDetection: true, LocalityWeighted: true}},
		{"failoverPriority", Policy{OutlierDetection: &networking.OutlierDetection{},
			LocalityLB: &networking.LocalityLoadBalancerSetting{FailoverPriority: []string{"tier"}}}, true,
			Config{OverprovisioningFactor: 140, OutlierDetection: true, LocalityWeighted: true}},
		{"failover rules without outlier detection", Policy{
			LocalityLB: &networking.LocalityLoadBalancerSetting{Failover: []*networking.LocalityLoadBalancerSetting_Failover{{From: "a", To: "b"}}}}, false,
			Config{OverprovisioningFactor: 140}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.localityFailover(); got != tt.failover {
				t.Errorf("locality failover %v, want %v", got, tt.failover)
			}
			if got := tt.p.EnvoyConfig(); got != tt.cfg {
				t.Errorf("config %+v, want %+v", got, tt.cfg)
			}
		})
	}
}

func TestBuildNoEndpoint(t *testing.T) {
	r := Build(Input{Source: Source{Host: "h", Port: 80}})
	if r.Outcome.Status != Status503 || !r.Failing() {
		t.Errorf("no endpoint: %+v", r.Outcome)
	}
}

// TestBuildDistributeNote: with distribute, the split between localities
// is what the user asked for and the levels do not show it: a note does.
func TestBuildDistributeNote(t *testing.T) {
	eps := []locality.Endpoint{
		{Address: "10.0.0.1", Port: 80, Locality: locality.Locality{Region: "us-east-1", Zone: "a"}},
		{Address: "10.0.0.2", Port: 80, Locality: locality.Locality{Region: "us-east-1", Zone: "a"}},
		{Address: "10.0.1.1", Port: 80, Locality: locality.Locality{Region: "eu-west-1", Zone: "a"}},
		{Address: "10.0.2.1", Port: 80, Locality: locality.Locality{Region: "ap-south-1", Zone: "a"}},
	}
	r := Build(Input{
		From:      locality.Source{Locality: locality.Locality{Region: "us-east-1", Zone: "a"}},
		Endpoints: eps,
		Policy: Policy{LocalityLB: &networking.LocalityLoadBalancerSetting{Distribute: []*networking.LocalityLoadBalancerSetting_Distribute{
			{From: "us-east-1/*", To: map[string]uint32{"us-east-1/*": 80, "eu-west-1/*": 20}},
		}}},
	})
	want := "distribute: Envoy picks a locality by its weight: us-east-1/a 80%, eu-west-1/a 20% (localities the rule does not name get no endpoint)"
	if len(r.Notes) != 1 || r.Notes[0] != want {
		t.Errorf("notes %q, want %q", r.Notes, want)
	}
}

// TestBuildNoEjectionNote: with the default maxEjectionPercent of 10 and
// fewer than 10 endpoints, outlier detection can eject none: the report
// says so even without a failure scenario.
func TestBuildNoEjectionNote(t *testing.T) {
	eps := []locality.Endpoint{
		{Address: "10.0.0.1", Port: 80, Locality: locality.Locality{Region: "r", Zone: "a"}},
		{Address: "10.0.0.2", Port: 80, Locality: locality.Locality{Region: "r", Zone: "b"}},
	}
	r := Build(Input{
		From:      locality.Source{Locality: locality.Locality{Region: "r", Zone: "a"}},
		Endpoints: eps,
		Policy:    Policy{OutlierDetection: &networking.OutlierDetection{}},
	})
	want := "maxEjectionPercent 10 of 2 endpoints lets outlier detection eject none: a failing endpoint keeps its share and traffic never fails over"
	if len(r.Notes) != 1 || r.Notes[0] != want {
		t.Errorf("notes %q, want %q", r.Notes, want)
	}
	r = Build(Input{
		From:      locality.Source{Locality: locality.Locality{Region: "r", Zone: "a"}},
		Endpoints: eps,
		Policy:    Policy{OutlierDetection: &networking.OutlierDetection{MaxEjectionPercent: 50}},
	})
	if len(r.Notes) != 0 {
		t.Errorf("50%% of 2 ejects one: notes %q", r.Notes)
	}
}
