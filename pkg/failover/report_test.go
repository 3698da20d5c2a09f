package failover

import (
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
)

func TestFailureSelects(t *testing.T) {
	ep := locality.Endpoint{Address: "10.0.0.1", Port: 9080, Cluster: "c1",
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
			Config{OverprovisioningFactor: 140, OutlierDetection: true}},
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
