package model

import (
	"sort"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// FileInput makes the Input of a VirtualDestination from objects read from
// files. An object that appears twice (same context, group, kind,
// namespace and name) is taken from its last file, as kubectl apply would
// leave it, so files can override one another. Each object is in the
// context source.FileContext places it in. A context is said to serve the
// Gloo API when its files hold Gloo networking objects, and Istio when they
// hold Istio networking objects.
func FileInput(name, namespace string, objs []source.Object) Input {
	b := NewFileInput(name, namespace)
	for _, o := range objs {
		b.Add(o)
	}
	return b.Input()
}

// FileInputBuilder makes the same Input as FileInput from objects handed
// one by one as files are read, keeping only those Build uses (the
// VirtualDestination, its translations and every VirtualService) and, of
// the others, the Gloo cluster each context's objects name.
type FileInputBuilder struct {
	name, namespace string
	kept            source.Latest
	contexts        map[string]*Context
	hints           map[string]map[string]int
}

// NewFileInput starts the Input of the VirtualDestination name/namespace.
func NewFileInput(name, namespace string) *FileInputBuilder {
	return &FileInputBuilder{name: name, namespace: namespace, contexts: map[string]*Context{}, hints: map[string]map[string]int{}}
}

// Add reads one object.
func (b *FileInputBuilder) Add(o source.Object) {
	if o.Obj == nil {
		return
	}
	o.Context = source.FileContext(o)
	c, ok := b.contexts[o.Context]
	if !ok {
		c = &Context{Name: o.Context}
		b.contexts[o.Context] = c
	}
	switch o.Group() {
	case GroupGlooNetworking:
		c.GlooAPI = true
	case GroupIstioNetworking:
		c.IstioAPI = true
	}
	if b.used(o) || b.kept.Has(o) {
		// An object read again replaces the earlier read even when Build
		// no longer uses it.
		b.kept.Add(o)
		return
	}
	if cl := source.GlooCluster(o); o.Context != "" && cl != "" {
		if b.hints[o.Context] == nil {
			b.hints[o.Context] = map[string]int{}
		}
		b.hints[o.Context][cl]++
	}
}

// used reports whether Build reads the object.
func (b *FileInputBuilder) used(o source.Object) bool {
	if isVirtualDestination(o, b.name, b.namespace) || translatedFrom(o, b.name, b.namespace) {
		return true
	}
	if o.Group() != GroupIstioNetworking {
		return false
	}
	switch o.Kind() {
	case KindVirtualService, KindServiceEntry, KindDestinationRule:
		// ServiceEntries and DestinationRules of other parents may name
		// a host of the chain: which ones is known once it is built.
		return true
	}
	return false
}

// Input is what was read.
func (b *FileInputBuilder) Input() Input {
	in := Input{Name: b.name, Namespace: b.namespace, Objects: b.kept.Objects(), ClusterHints: b.hints}
	for _, c := range b.contexts {
		in.Contexts = append(in.Contexts, *c)
	}
	sort.Slice(in.Contexts, func(i, j int) bool { return in.Contexts[i].Name < in.Contexts[j].Name })
	return in
}
