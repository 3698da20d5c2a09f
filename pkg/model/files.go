package model

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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
	// others are the ServiceEntries and DestinationRules of other parents:
	// which name a host of the chain is known once every file is read, so
	// they are kept as compact JSON with their hosts until then (a
	// snapshot holds thousands, of which a few matter).
	others     map[otherKey]otherObject
	otherOrder []otherKey
	deflate    *flate.Writer
}

type otherKey struct{ ctx, kind, ns, name string }

type otherObject struct {
	hosts []string
	obj   source.Object // Obj nil: the content is in data
	data  []byte
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
	if o.Group() == GroupIstioNetworking && (o.Kind() == KindServiceEntry || o.Kind() == KindDestinationRule) {
		b.addOther(o)
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
	return isVirtualDestination(o, b.name, b.namespace) || translatedFrom(o, b.name, b.namespace) ||
		(o.Group() == GroupIstioNetworking && o.Kind() == KindVirtualService)
}

func (b *FileInputBuilder) addOther(o source.Object) {
	var hosts []string
	spec, _ := o.Obj.Object["spec"].(map[string]any)
	if h, ok := spec["host"].(string); ok {
		hosts = append(hosts, strings.ToLower(h))
	}
	if l, ok := spec["hosts"].([]any); ok {
		for _, x := range l {
			if h, ok := x.(string); ok {
				hosts = append(hosts, strings.ToLower(h))
			}
		}
	}
	data, err := json.Marshal(o.Obj.Object)
	if err != nil {
		return
	}
	// Compressed: thousands of them wait for a few to be used.
	var buf bytes.Buffer
	if b.deflate == nil {
		b.deflate, _ = flate.NewWriter(&buf, flate.BestSpeed)
	} else {
		b.deflate.Reset(&buf)
	}
	if _, err := b.deflate.Write(data); err != nil || b.deflate.Close() != nil {
		return
	}
	data = bytes.Clone(buf.Bytes())
	if b.others == nil {
		b.others = map[otherKey]otherObject{}
	}
	k := otherKey{o.Context, o.Kind(), o.Namespace(), o.Name()}
	if _, ok := b.others[k]; !ok {
		b.otherOrder = append(b.otherOrder, k)
	}
	stub := o
	stub.Obj = nil
	b.others[k] = otherObject{hosts: hosts, obj: stub, data: data}
}

// chainHostSet is the hosts of the VirtualDestination and of its
// translated ServiceEntries among the objects kept, lower case.
func chainHostSet(objs []source.Object, name, namespace string) map[string]bool {
	set := map[string]bool{}
	for _, o := range objs {
		if !isVirtualDestination(o, name, namespace) && !(translatedFrom(o, name, namespace) && o.Kind() == KindServiceEntry) {
			continue
		}
		spec, _ := o.Obj.Object["spec"].(map[string]any)
		if l, ok := spec["hosts"].([]any); ok {
			for _, x := range l {
				if h, ok := x.(string); ok {
					set[strings.ToLower(h)] = true
				}
			}
		}
	}
	return set
}

// Input is what was read.
func (b *FileInputBuilder) Input() Input {
	in := Input{Name: b.name, Namespace: b.namespace, Objects: b.kept.Objects(), ClusterHints: b.hints}
	hosts := chainHostSet(in.Objects, b.name, b.namespace)
	for _, k := range b.otherOrder {
		x := b.others[k]
		named := false
		for _, h := range x.hosts {
			named = named || hosts[h]
		}
		if !named {
			continue
		}
		var m map[string]any
		if err := json.NewDecoder(flate.NewReader(bytes.NewReader(x.data))).Decode(&m); err != nil {
			continue
		}
		o := x.obj
		o.Obj = &unstructured.Unstructured{Object: m}
		if b.kept.Has(o) {
			continue
		}
		in.Objects = append(in.Objects, o)
	}
	for _, c := range b.contexts {
		in.Contexts = append(in.Contexts, *c)
	}
	sort.Slice(in.Contexts, func(i, j int) bool { return in.Contexts[i].Name < in.Contexts[j].Name })
	return in
}
