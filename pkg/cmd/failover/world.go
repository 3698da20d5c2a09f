package failover

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-vd/kubectl-vd/pkg/failover"
	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
	"github.com/kubectl-vd/kubectl-vd/pkg/mesh"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// world is what was read in one context.
type world struct {
	Context string
	Objects []source.Object
	// Pod is the --from pod when resolved live (its name).
	Pod string
	// Gaps say what could not be read while the rest was.
	Gaps []string
	Err  error
}

// fromFiles reads -f as a stream and groups the objects by the context
// each is placed in; objects that name no context go to every context.
func (o *Options) fromFiles() ([]*world, error) {
	picks := source.NewPicks(o.picks)
	byContext := map[string][]source.Object{}
	var unplaced []source.Object
	err := source.Visit(o.Filenames, o.In, func(obj source.Object) error {
		obj.Context = source.FileContext(obj)
		if obj.Context == "" {
			unplaced = append(unplaced, obj)
			return nil
		}
		if picks.Keep(obj) {
			byContext[obj.Context] = append(byContext[obj.Context], obj)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := picks.Err(); err != nil {
		return nil, err
	}
	if len(byContext) == 0 {
		byContext[""] = nil
	}
	names := make([]string, 0, len(byContext))
	for n := range byContext {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []*world
	for _, n := range names {
		// An object read twice is taken from its last file, as kubectl
		// apply would leave it.
		var latest source.Latest
		for _, obj := range byContext[n] {
			latest.Add(obj)
		}
		for _, u := range unplaced {
			u.Context = n
			latest.Add(u)
		}
		objs := latest.Objects()
		for i := range objs {
			objs[i] = withPodAddress(objs[i])
		}
		out = append(out, &world{Context: n, Objects: objs})
	}
	return out, nil
}

// withPodAddress gives a pod read from a file without an IP (saved before
// the kubelet set one, or written by hand) the address pod/NAME, so that it
// is still an endpoint, named, rather than left out.
func withPodAddress(o source.Object) source.Object {
	if o.Obj == nil || o.Group() != "" || o.Kind() != "Pod" {
		return o
	}
	if ip, _, _ := unstructured.NestedString(o.Obj.Object, "status", "podIP"); ip != "" {
		return o
	}
	cp := o
	cp.Obj = o.Obj.DeepCopy()
	_ = unstructured.SetNestedField(cp.Obj.Object, "pod/"+o.Name(), "status", "podIP")
	return cp
}

// reports computes the report of every context holding a translation,
// and one problem line per context that could not be computed.
func (o *Options) reports(worlds []*world) ([]*failover.Report, []string) {
	in := model.Input{Name: o.Name, Namespace: o.Namespace}
	for _, w := range worlds {
		c := model.Context{Name: w.Context}
		if w.Err != nil {
			c.Error = w.Err.Error()
		}
		in.Contexts = append(in.Contexts, c)
		in.Objects = append(in.Objects, w.Objects...)
	}
	ch := model.Build(in)
	clusterOf := map[string]string{}
	for _, c := range ch.Contexts {
		clusterOf[c.Name] = c.Cluster
	}
	failures := o.resolveFailures(clusterOf)

	var reports []*failover.Report
	var problems []string
	translated := 0
	for _, w := range worlds {
		label := contextLabel(w.Context)
		if w.Err != nil {
			if o.From != "" && len(worlds) > 1 && isNotFound(w.Err) {
				// The --from deployment lives in another context.
				continue
			}
			problems = append(problems, fmt.Sprintf("context %s: %s", label, w.Err))
			continue
		}
		for _, g := range w.Gaps {
			problems = append(problems, fmt.Sprintf("context %s: %s", label, g))
		}
		cl := ch.Cluster(clusterOf[w.Context])
		if cl == nil || len(cl.ServiceEntries) == 0 {
			// Not every context holds the translation (a management
			// cluster does not): Run says so when none does.
			continue
		}
		translated++
		cfg, errs := mesh.FromObjects(w.Context, w.Objects)
		for _, e := range errs {
			problems = append(problems, fmt.Sprintf("context %s: %s", label, e))
		}
		if cfg.Cluster == "" {
			cfg.Cluster = cl.Name
		}
		src, proxy, proxyNS, err := o.resolveSource(cfg, w)
		if err != nil {
			if o.From != "" && len(worlds) > 1 && isNotFound(err) {
				// The pod lives in another context.
				continue
			}
			problems = append(problems, fmt.Sprintf("context %s: %s", label, err))
			continue
		}
		rs, err := o.contextReports(w, cl, cfg, src, proxy, proxyNS, failures)
		if err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", label, err))
			continue
		}
		reports = append(reports, rs...)
	}
	if o.From != "" && translated > 0 && len(reports) == 0 && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("%s not found in namespace %s of any context read", o.target, o.FromNamespace))
	}
	return reports, problems
}

// resolveFailures turns --down contexts into the clusters they hold.
func (o *Options) resolveFailures(clusterOf map[string]string) []failover.Failure {
	out := make([]failover.Failure, len(o.failures))
	for i, f := range o.failures {
		out[i] = f
		if f.Kind != failover.FailCluster {
			continue
		}
		vals := make([]string, len(f.Values))
		for j, v := range f.Values {
			vals[j] = v
			if c := clusterOf[v]; c != "" {
				vals[j] = c
			}
		}
		out[i].Values = vals
	}
	return out
}

type notFoundError struct{ msg string }

func (e notFoundError) Error() string { return e.msg }

func isNotFound(err error) bool {
	_, ok := err.(notFoundError)
	return ok
}

func contextLabel(c string) string {
	if c == "" {
		return "(files)"
	}
	return c
}

// resolveSource finds the source's locality and labels, and the namespace
// of its proxy.
func (o *Options) resolveSource(cfg *mesh.Config, w *world) (locality.Source, string, string, error) {
	if o.From == "" {
		return locality.Source{Locality: o.source, Cluster: cfg.Cluster}, "", o.Namespace, nil
	}
	name := w.Pod
	if name == "" {
		var err error
		if name, err = resolvePod(cfg, o.FromNamespace, o.target.Kind, o.target.Name); err != nil {
			return locality.Source{}, "", "", err
		}
	}
	p := cfg.Pod(o.FromNamespace, name)
	if p == nil {
		return locality.Source{}, "", "", notFoundError{fmt.Sprintf("pod %s/%s not found", o.FromNamespace, name)}
	}
	src := cfg.SourceOf(p)
	if src.Locality.Region == "" {
		return locality.Source{}, "", "", fmt.Errorf("pod %s/%s: no locality (its node %q has no topology.kubernetes.io/region label)", p.Namespace, p.Name, p.Spec.NodeName)
	}
	return src, p.Namespace + "/" + p.Name, p.Namespace, nil
}

// contextReports computes a report per host and port of the chain in one
// context.
func (o *Options) contextReports(w *world, cl *model.Cluster, cfg *mesh.Config, src locality.Source, proxy, proxyNS string, failures []failover.Failure) ([]*failover.Report, error) {
	if src.Cluster == "" {
		src.Cluster = cl.Name
	}
	// The chain knows better which cluster stands behind an east-west
	// gateway's WorkloadEntry (network, labels, name, the other clusters).
	remote := map[string]string{}
	for _, we := range cl.WorkloadEntries {
		if we.RemoteCluster != "" {
			remote[we.Ref.Namespace+"/"+we.Ref.Name] = we.RemoteCluster
		}
	}
	var out []*failover.Report
	seen := map[string]bool{}
	for _, se := range cl.ServiceEntries {
		if se.Spec == nil || !model.ExportedTo(se.ExportTo, se.Ref.Namespace, proxyNS) {
			continue
		}
		for _, host := range se.Hosts {
			for _, port := range se.Ports {
				if o.Port != 0 && port.Number != o.Port {
					continue
				}
				key := fmt.Sprintf("%s:%d", host, port.Number)
				if seen[key] {
					continue
				}
				seen[key] = true
				eps, err := cfg.Endpoints(host, port.Number, proxyNS)
				if err != nil {
					return nil, err
				}
				for i := range eps {
					if c, ok := remote[eps[i].Namespace+"/"+eps[i].Name]; ok && eps[i].Kind == "WorkloadEntry" {
						eps[i].Cluster = c
					}
				}
				var pol failover.Policy
				if dr := cfg.DestinationRuleFor(host, proxyNS); dr != nil {
					tp := locality.Policy(&dr.Spec, port.Number, "")
					pol = failover.Policy{LocalityLB: tp.GetLoadBalancer().GetLocalityLbSetting(), OutlierDetection: tp.GetOutlierDetection()}
				}
				r := failover.Build(failover.Input{
					Source: failover.Source{
						Context: w.Context, Cluster: cl.Name, Proxy: proxy, Locality: src.Locality.String(),
						Host: host, Port: port.Number, Namespace: proxyNS,
					},
					From:      src,
					Endpoints: eps,
					Policy:    pol,
					Failures:  failures,
				})
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		if o.Port != 0 {
			return nil, fmt.Errorf("no ServiceEntry of VirtualDestination %s/%s has port %d", o.Namespace, o.Name, o.Port)
		}
		return nil, fmt.Errorf("no ServiceEntry of VirtualDestination %s/%s is exported to namespace %s", o.Namespace, o.Name, proxyNS)
	}
	return out, nil
}

// resolvePod names the pod of --from: the pod itself, or the first pod
// (by name) of a ReplicaSet of the deployment (named NAME-HASH), as files
// often hold pods without their Deployment.
func resolvePod(cfg *mesh.Config, ns, kind, name string) (string, error) {
	if kind != "deployment" {
		if cfg.Pod(ns, name) == nil {
			return "", notFoundError{fmt.Sprintf("pod %s/%s not found", ns, name)}
		}
		return name, nil
	}
	for _, p := range cfg.Pods {
		if p.Namespace != ns || p.DeletionTimestamp != nil {
			continue
		}
		for _, ref := range p.OwnerReferences {
			rest, found := strings.CutPrefix(ref.Name, name+"-")
			if ref.Kind == "ReplicaSet" && found && rest != "" && !strings.Contains(rest, "-") {
				return p.Name, nil
			}
		}
	}
	return "", notFoundError{fmt.Sprintf("no pod of deployment %s/%s found", ns, name)}
}
