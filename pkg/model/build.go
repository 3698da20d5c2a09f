package model

import (
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Input is what was read for one VirtualDestination: its translations, the
// VirtualDestination object where a context serves the Gloo API, and the
// VirtualServices of every namespace (objects that are none of these are
// ignored, so a whole snapshot can be passed).
type Input struct {
	Name, Namespace string
	Objects         []source.Object
	// Contexts are the contexts read (Cluster is filled in by Build).
	Contexts []Context
	// ClusterHints count, per context, the Gloo clusters named by the
	// labels of objects read but not kept in Objects (see FileInputBuilder).
	ClusterHints map[string]map[string]int
}

// LabelTopologyCluster is Istio's cluster label, which some WorkloadEntries
// carry.
const LabelTopologyCluster = "topology.istio.io/cluster"

// Build assembles the chain of the VirtualDestination in.Name/in.Namespace.
// UnnamedCluster names the cluster of objects read from a file that says
// neither their context nor their Gloo cluster.
const UnnamedCluster = "-"

func Build(in Input) *Chain {
	ch := &Chain{Name: in.Name, Namespace: in.Namespace}
	ctxCluster := contextClusters(in)

	clusters := map[string]*Cluster{}
	clusterFor := func(name string) *Cluster {
		if name == "" {
			// Objects of a file that names no context nor Gloo cluster:
			// "-", as find prints their context.
			name = UnnamedCluster
		}
		c, ok := clusters[name]
		if !ok {
			c = &Cluster{Name: name}
			clusters[name] = c
		}
		return c
	}
	for _, c := range in.Contexts {
		c.Cluster = ctxCluster[c.Name]
		if c.Cluster == "" {
			c.Cluster = c.Name
		}
		ch.Contexts = append(ch.Contexts, c)
		if c.Cluster == "" {
			continue
		}
		cl := clusterFor(c.Cluster)
		cl.Contexts = appendUnique(cl.Contexts, c.Name)
		cl.GlooAPI = cl.GlooAPI || (c.GlooAPI && c.Error == "")
		cl.IstioAPI = cl.IstioAPI || (c.IstioAPI && c.Error == "")
	}
	// A cluster is unreadable when every one of its contexts failed.
	for name, cl := range clusters {
		failed := 0
		for _, c := range ch.Contexts {
			if c.Cluster == name && c.Error != "" {
				failed++
			}
		}
		cl.Unreadable = failed > 0 && failed == len(cl.Contexts)
	}
	objCluster := func(o source.Object) string {
		if o.Context != "" {
			if c := ctxCluster[o.Context]; c != "" {
				return c
			}
			return o.Context
		}
		return source.GlooCluster(o)
	}

	// Two contexts of one cluster (another user, an alias) read the same
	// objects: the cluster and the uid, not the context, say what is one.
	type key struct{ cluster, group, kind, ns, name, uid string }
	seen := map[key]bool{}
	var candidates, others []source.Object
	for _, o := range in.Objects {
		if o.Obj == nil {
			continue
		}
		// The same object may be read twice (a translated VirtualService
		// is also one of all VirtualServices): the first wins.
		k := key{objCluster(o), o.Group(), o.Kind(), o.Namespace(), o.Name(), string(o.Obj.GetUID())}
		if seen[k] {
			continue
		}
		seen[k] = true
		switch {
		case isVirtualDestination(o, in.Name, in.Namespace):
			ch.VirtualDestinations = append(ch.VirtualDestinations, newVirtualDestination(o, objCluster(o)))
		case translatedFrom(o, in.Name, in.Namespace):
			cl := clusterFor(objCluster(o))
			if o.Context != "" {
				cl.Contexts = appendUnique(cl.Contexts, o.Context)
			}
			addTranslated(cl, o)
		case o.Group() == GroupIstioNetworking && o.Kind() == KindVirtualService:
			candidates = append(candidates, o)
		case o.Group() == GroupIstioNetworking && (o.Kind() == KindServiceEntry || o.Kind() == KindDestinationRule):
			others = append(others, o)
		}
	}

	ch.Hosts = chainHosts(ch, clusters)
	for _, cl := range clusters {
		for i := range cl.VirtualServices {
			vs := &cl.VirtualServices[i]
			if vs.Spec != nil && vs.Error == "" {
				vs.Routes = routesTo(vs.Spec, ch.Hosts)
			}
		}
	}
	for _, o := range candidates {
		vs := newVirtualService(o)
		if vs.Error != "" {
			// istiod ignores a VirtualService it cannot read: when its
			// spec names a host of the chain, it is kept with its error
			// (finding VD100) rather than left out in silence.
			if !namesHost(o.Obj.Object["spec"], ch.Hosts) {
				continue
			}
		} else if vs.Routes = routesTo(vs.Spec, ch.Hosts); len(vs.Routes) == 0 && !declaresHost(vs.Hosts, ch.Hosts) {
			continue
		}
		cl := clusterFor(objCluster(o))
		if o.Context != "" {
			cl.Contexts = appendUnique(cl.Contexts, o.Context)
		}
		cl.VirtualServices = append(cl.VirtualServices, vs)
	}

	// ServiceEntries and DestinationRules of other parents that name a host
	// of the chain (exactly: a wildcard ServiceEntry of another parent is
	// not the chain's).
	for _, o := range others {
		switch o.Kind() {
		case KindServiceEntry:
			se := newServiceEntry(o)
			if se.Error == "" && declaresHost(se.Hosts, ch.Hosts) {
				cl := clusterFor(objCluster(o))
				cl.OtherServiceEntries = append(cl.OtherServiceEntries, se)
			}
		case KindDestinationRule:
			dr := newDestinationRule(o)
			if dr.Error == "" && declaresHost([]string{dr.Host}, ch.Hosts) {
				cl := clusterFor(objCluster(o))
				cl.OtherDestinationRules = append(cl.OtherDestinationRules, dr)
			}
		}
	}

	for _, cl := range clusters {
		sortCluster(cl)
		ch.Clusters = append(ch.Clusters, *cl)
	}
	sort.Slice(ch.Clusters, func(i, j int) bool { return ch.Clusters[i].Name < ch.Clusters[j].Name })
	sort.SliceStable(ch.VirtualDestinations, func(i, j int) bool {
		return ch.VirtualDestinations[i].Ref.Context < ch.VirtualDestinations[j].Ref.Context
	})
	attributeWorkloadEntries(ch)
	fillEmpty(ch)
	return ch
}

// fillEmpty turns nil lists into empty ones so that JSON shows [] rather
// than null.
func fillEmpty(ch *Chain) {
	if ch.Hosts == nil {
		ch.Hosts = []string{}
	}
	if ch.VirtualDestinations == nil {
		ch.VirtualDestinations = []VirtualDestination{}
	}
	if ch.Contexts == nil {
		ch.Contexts = []Context{}
	}
	if ch.Clusters == nil {
		ch.Clusters = []Cluster{}
	}
	for i := range ch.Clusters {
		cl := &ch.Clusters[i]
		if cl.Contexts == nil {
			cl.Contexts = []string{}
		}
		if cl.ServiceEntries == nil {
			cl.ServiceEntries = []ServiceEntry{}
		}
		if cl.WorkloadEntries == nil {
			cl.WorkloadEntries = []WorkloadEntry{}
		}
		if cl.DestinationRules == nil {
			cl.DestinationRules = []DestinationRule{}
		}
		if cl.VirtualServices == nil {
			cl.VirtualServices = []VirtualService{}
		}
		for j := range cl.VirtualServices {
			if cl.VirtualServices[j].Routes == nil {
				cl.VirtualServices[j].Routes = []Route{}
			}
			if cl.VirtualServices[j].Hosts == nil {
				cl.VirtualServices[j].Hosts = []string{}
			}
		}
		for j := range cl.ServiceEntries {
			if cl.ServiceEntries[j].Hosts == nil {
				cl.ServiceEntries[j].Hosts = []string{}
			}
			if cl.ServiceEntries[j].Ports == nil {
				cl.ServiceEntries[j].Ports = []ServicePort{}
			}
		}
		for j := range cl.DestinationRules {
			if cl.DestinationRules[j].Policies == nil {
				cl.DestinationRules[j].Policies = []TrafficPolicy{}
			}
		}
	}
	for i := range ch.VirtualDestinations {
		vd := &ch.VirtualDestinations[i]
		if vd.Hosts == nil {
			vd.Hosts = []string{}
		}
		if vd.Ports == nil {
			vd.Ports = []VDPort{}
		}
	}
}

// contextClusters maps each context to the Gloo cluster its objects name
// most often (the VirtualDestination's own translations first).
func contextClusters(in Input) map[string]string {
	own := map[string]map[string]int{}
	other := map[string]map[string]int{}
	for _, o := range in.Objects {
		if o.Obj == nil || o.Context == "" {
			continue
		}
		c := source.GlooCluster(o)
		if c == "" {
			continue
		}
		counts := other
		if translatedFrom(o, in.Name, in.Namespace) {
			counts = own
		}
		if counts[o.Context] == nil {
			counts[o.Context] = map[string]int{}
		}
		counts[o.Context][c]++
	}
	for ctx, m := range in.ClusterHints {
		if other[ctx] == nil {
			other[ctx] = map[string]int{}
		}
		for c, n := range m {
			other[ctx][c] += n
		}
	}
	out := map[string]string{}
	for _, counts := range []map[string]map[string]int{other, own} {
		for ctx, m := range counts {
			best, n := "", 0
			for c, k := range m {
				if k > n || (k == n && c < best) {
					best, n = c, k
				}
			}
			out[ctx] = best
		}
	}
	return out
}

func isVirtualDestination(o source.Object, name, ns string) bool {
	return o.Group() == GroupGlooNetworking && o.Kind() == KindVirtualDestination && o.Name() == name && o.Namespace() == ns
}

// translatedFrom reports whether Gloo's labels name the VirtualDestination
// as the object's parent.
func translatedFrom(o source.Object, name, ns string) bool {
	p, ok := source.Parent(o)
	if !ok || p.Name != name || p.Namespace != ns {
		return false
	}
	return p.Kind == "" || p.Kind == KindVirtualDestination
}

func addTranslated(cl *Cluster, o source.Object) {
	if o.Group() != GroupIstioNetworking {
		cl.Others = append(cl.Others, refOf(o))
		return
	}
	switch o.Kind() {
	case KindServiceEntry:
		cl.ServiceEntries = append(cl.ServiceEntries, newServiceEntry(o))
	case KindWorkloadEntry:
		cl.WorkloadEntries = append(cl.WorkloadEntries, newWorkloadEntry(o))
	case KindDestinationRule:
		cl.DestinationRules = append(cl.DestinationRules, newDestinationRule(o))
	case KindVirtualService:
		vs := newVirtualService(o)
		vs.Translated = true
		cl.VirtualServices = append(cl.VirtualServices, vs)
	default:
		cl.Others = append(cl.Others, refOf(o))
	}
}

func chainHosts(ch *Chain, clusters map[string]*Cluster) []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, vd := range ch.VirtualDestinations {
		for _, h := range vd.Hosts {
			add(h)
		}
	}
	for _, cl := range clusters {
		for _, se := range cl.ServiceEntries {
			for _, h := range se.Hosts {
				add(h)
			}
		}
	}
	sort.Strings(out)
	return out
}

func lessRef(a, b Ref) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.Context < b.Context
}

func sortCluster(cl *Cluster) {
	sort.Strings(cl.Contexts)
	sort.SliceStable(cl.ServiceEntries, func(i, j int) bool { return lessRef(cl.ServiceEntries[i].Ref, cl.ServiceEntries[j].Ref) })
	sort.SliceStable(cl.WorkloadEntries, func(i, j int) bool { return lessRef(cl.WorkloadEntries[i].Ref, cl.WorkloadEntries[j].Ref) })
	sort.SliceStable(cl.DestinationRules, func(i, j int) bool { return lessRef(cl.DestinationRules[i].Ref, cl.DestinationRules[j].Ref) })
	sort.SliceStable(cl.VirtualServices, func(i, j int) bool { return lessRef(cl.VirtualServices[i].Ref, cl.VirtualServices[j].Ref) })
	sort.SliceStable(cl.OtherServiceEntries, func(i, j int) bool { return lessRef(cl.OtherServiceEntries[i].Ref, cl.OtherServiceEntries[j].Ref) })
	sort.SliceStable(cl.OtherDestinationRules, func(i, j int) bool {
		return lessRef(cl.OtherDestinationRules[i].Ref, cl.OtherDestinationRules[j].Ref)
	})
	sort.SliceStable(cl.Others, func(i, j int) bool {
		if cl.Others[i].Kind != cl.Others[j].Kind {
			return cl.Others[i].Kind < cl.Others[j].Kind
		}
		return lessRef(cl.Others[i], cl.Others[j])
	})
}

// attributeWorkloadEntries tells, where it can, which Gloo cluster each
// WorkloadEntry leads to: its network when that names a cluster, Istio's
// topology label, a cluster name inside its name, or the only other
// cluster.
func attributeWorkloadEntries(ch *Chain) {
	known := map[string]bool{}
	for _, cl := range ch.Clusters {
		if cl.Name != "" {
			known[cl.Name] = true
		}
	}
	for _, vd := range ch.VirtualDestinations {
		for _, s := range vd.Services {
			if s.Cluster != "" {
				known[s.Cluster] = true
			}
		}
	}
	for _, cl := range ch.Clusters {
		for _, dr := range cl.DestinationRules {
			for _, p := range dr.Policies {
				if p.TLS != nil {
					for _, san := range p.TLS.SubjectAltNames {
						if td := TrustDomain(san); td != "" {
							known[td] = true
						}
					}
				}
			}
		}
	}
	for ci := range ch.Clusters {
		cl := &ch.Clusters[ci]
		others := []string{}
		for k := range known {
			if k != cl.Name {
				others = append(others, k)
			}
		}
		sort.Strings(others)
		for wi := range cl.WorkloadEntries {
			we := &cl.WorkloadEntries[wi]
			we.RemoteCluster = remoteCluster(we, cl.Name, others, known)
		}
	}
}

func remoteCluster(we *WorkloadEntry, own string, others []string, known map[string]bool) string {
	if we.Network != "" && known[we.Network] && we.Network != own {
		return we.Network
	}
	if c := we.Labels[LabelTopologyCluster]; c != "" {
		return c
	}
	if we.Object.Obj != nil {
		if c := we.Object.Obj.GetLabels()[LabelTopologyCluster]; c != "" {
			return c
		}
	}
	var inName []string
	for _, k := range others {
		n := we.Ref.Name
		if strings.Contains(n, "-"+k+"-") || strings.HasSuffix(n, "-"+k) {
			inName = append(inName, k)
		}
	}
	if len(inName) == 1 {
		return inName[0]
	}
	if len(others) == 1 {
		return others[0]
	}
	return ""
}

// declaresHost reports whether one of names is one of the chain's hosts,
// compared as Istio compares host names (case aside).
func declaresHost(names, hosts []string) bool {
	for _, n := range names {
		for _, h := range hosts {
			if strings.EqualFold(n, h) {
				return true
			}
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// namesHost reports whether a spec that cannot be decoded names one of
// hosts where a VirtualService names hosts: in its hosts, or as the host of
// a destination (route, mirror) at any depth. It reads the JSON as it is,
// whatever the types around.
func namesHost(spec any, hosts []string) bool {
	stack := []any{spec}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch k {
				case "host":
					if h, ok := e.(string); ok && HostIn(h, hosts) {
						return true
					}
				case "hosts":
					if h, ok := e.(string); ok && HostIn(h, hosts) {
						return true
					}
				}
				stack = append(stack, e)
			}
		case []any:
			for _, e := range x {
				if h, ok := e.(string); ok && HostIn(h, hosts) {
					return true
				}
				stack = append(stack, e)
			}
		}
	}
	return false
}
