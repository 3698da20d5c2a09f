package bundle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/admin"
	"github.com/kubectl-vd/kubectl-vd/pkg/model"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Bundle is a bundle read back.
type Bundle struct {
	// Path names the bundle in messages.
	Path     string
	Manifest Manifest
	files    map[string][]byte
	objects  map[string][]source.Object
}

// Open reads the bundle at path. Whatever makes it unreadable (not a
// tar.gz, truncated, no or bad manifest, a missing or malformed file) is
// one error naming the file.
func Open(path string) (*Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read bundle %s: %s", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("bundle %s is a directory: give the .tar.gz file kubectl vd bundle wrote", path)
	}
	return Read(path, f)
}

// Read reads a bundle from r, named path in messages.
func Read(path string, r io.Reader) (*Bundle, error) {
	files, err := readArchive(r)
	if err != nil {
		return nil, fmt.Errorf("%s is not a kubectl-vd bundle: %s", path, err)
	}
	b := &Bundle{Path: path, files: files, objects: map[string][]source.Object{}}
	raw, ok := files[ManifestFile]
	if !ok {
		return nil, fmt.Errorf("%s is not a kubectl-vd bundle: it has no %s", path, ManifestFile)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&b.Manifest); err != nil {
		return nil, fmt.Errorf("%s: %s is not a bundle manifest: %s", path, ManifestFile, oneLine(err.Error()))
	}
	switch m := b.Manifest; {
	case m.FormatVersion == 0:
		return nil, fmt.Errorf("%s: %s has no formatVersion: not a kubectl-vd bundle manifest", path, ManifestFile)
	case m.FormatVersion > FormatVersion:
		return nil, fmt.Errorf("%s was written by a newer kubectl-vd (bundle format %d; this build reads %d): upgrade kubectl-vd", path, m.FormatVersion, FormatVersion)
	case len(m.Contexts) == 0:
		return nil, fmt.Errorf("%s: the manifest names no context", path)
	}
	seen := map[string]bool{}
	for _, c := range b.Manifest.Contexts {
		if seen[c.Name] {
			return nil, fmt.Errorf("%s: the manifest names context %q twice", path, c.Name)
		}
		seen[c.Name] = true
		if c.File == "" {
			continue
		}
		data, ok := files[c.File]
		if !ok {
			return nil, fmt.Errorf("%s: %s is missing (the objects of context %s)", path, c.File, c.Name)
		}
		objs, err := source.Decode(path+":"+c.File, data)
		if err != nil {
			return nil, err
		}
		for i := range objs {
			// Every object of the file is of its context, whatever its
			// annotation says.
			objs[i].Context = c.Name
		}
		b.objects[c.Name] = objs
	}
	for _, p := range b.Manifest.Proxies {
		for _, f := range []string{p.ConfigDump, p.Clusters} {
			if _, ok := files[f]; f != "" && !ok {
				return nil, fmt.Errorf("%s: %s is missing (proxy %s in context %s)", path, f, p.Pod, p.Context)
			}
		}
	}
	return b, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ContextNames are the contexts of the bundle, in their order.
func (b *Bundle) ContextNames() []string {
	var out []string
	for _, c := range b.Manifest.Contexts {
		out = append(out, c.Name)
	}
	return out
}

// Context returns the manifest entry of a context.
func (b *Bundle) Context(name string) (Context, bool) {
	for _, c := range b.Manifest.Contexts {
		if c.Name == name {
			return c, true
		}
	}
	return Context{}, false
}

// SelectContexts checks contexts picked with --context against the
// bundle; none picked means every context of the bundle.
func (b *Bundle) SelectContexts(picks []string) ([]string, error) {
	if len(picks) == 0 {
		return b.ContextNames(), nil
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range picks {
		if _, ok := b.Context(p); !ok {
			return nil, fmt.Errorf("bundle %s holds no context %q (it holds %s)", b.Path, p, strings.Join(b.ContextNames(), ", "))
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// Objects are every object saved for a context.
func (b *Bundle) Objects(context string) []source.Object {
	return b.objects[context]
}

// Translations gives what source.TranslationsOf gave live for q in each
// of contexts: the translations (Istio objects carrying q's parent labels)
// and each context's error and gaps as they were read.
func (b *Bundle) Translations(contexts []string, q source.Query) []source.ContextResult {
	matches := q.Matcher()
	// A bundle taken with --kind holds the other kinds' translations only
	// as part of the mesh configuration: they were not looked up.
	taken := source.Query{ParentKinds: b.Manifest.Parent.Kinds}.Matcher()
	var out []source.ContextResult
	for _, name := range contexts {
		c, _ := b.Context(name)
		res := source.ContextResult{Context: name, Unserved: c.Unserved}
		if c.Error != "" {
			res.Err = errors.New(c.Error)
			out = append(out, res)
			continue
		}
		for _, g := range c.Gaps {
			res.Gaps = append(res.Gaps, errors.New(g))
		}
		resources := source.NewResourceFilter(q.Resources)
		for _, o := range b.objects[name] {
			if isTranslation(o) && matches(o) && taken(o) && (len(q.Resources) == 0 || resources.Keep(o)) {
				res.Objects = append(res.Objects, o)
			}
		}
		source.Sort(res.Objects)
		out = append(out, res)
	}
	return out
}

// MeshConfigs gives what source.MeshConfigs gave live in each of contexts
// (what drift and failover read): every object of source.MeshResources,
// and the parts that could not be read as gaps. A context whose mesh
// configuration could not be read is a result with Err.
func (b *Bundle) MeshConfigs(contexts []string) []source.ContextResult {
	var out []source.ContextResult
	for _, name := range contexts {
		c, _ := b.Context(name)
		res := source.ContextResult{Context: name}
		switch {
		case c.Error != "":
			res.Err = errors.New(c.Error)
		case !c.Mesh:
			res.Err = fmt.Errorf("the mesh configuration of context %s could not be read when bundle %s was taken", name, b.Path)
		default:
			for _, g := range c.MeshGaps {
				res.Gaps = append(res.Gaps, errors.New(g))
			}
			mesh := source.NewResourceFilter(source.MeshResources)
			for _, o := range b.objects[name] {
				if mesh.Keep(o) {
					res.Objects = append(res.Objects, o)
				}
			}
			source.Sort(res.Objects)
		}
		out = append(out, res)
	}
	return out
}

// isTranslation tells Gloo's Istio translations from the Kubernetes objects
// and Gloo parents saved with them.
func isTranslation(o source.Object) bool {
	return strings.HasSuffix(o.Group(), "istio.io")
}

// HoldsKind reports whether the bundle holds the translations of parents
// of a kind: every kind unless it was taken with --kind.
func (b *Bundle) HoldsKind(kind string) bool {
	if len(b.Manifest.Parent.Kinds) == 0 {
		return true
	}
	for _, k := range b.Manifest.Parent.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// ExplainInput gives what explain read live for the VirtualDestination
// name/namespace in contexts, with the problems (contexts that could not
// be read) and warnings (parts that could not) it printed.
func (b *Bundle) ExplainInput(contexts []string, name, namespace string) (model.Input, []string, []string) {
	in := model.Input{Name: name, Namespace: namespace}
	var problems, warnings []string
	q := source.Query{Name: name, Namespace: namespace, ParentKinds: []string{model.KindVirtualDestination}}
	for i, r := range b.Translations(contexts, q) {
		c, _ := b.Context(contexts[i])
		if r.Err != nil {
			problems = append(problems, fmt.Sprintf("context %s: %s", c.Name, c.Error))
			in.Contexts = append(in.Contexts, model.Context{Name: c.Name, Error: c.Error})
			continue
		}
		for _, g := range c.Gaps {
			warnings = append(warnings, fmt.Sprintf("context %s: %s", c.Name, g))
		}
		for _, w := range c.Warnings {
			warnings = append(warnings, fmt.Sprintf("context %s: %s", c.Name, w))
		}
		in.Objects = append(in.Objects, r.Objects...)
		for _, o := range b.objects[c.Name] {
			switch {
			case c.GlooAPI && o.Group() == model.GroupGlooNetworking && o.Kind() == model.KindVirtualDestination &&
				o.Name() == name && o.Namespace() == namespace:
				in.Objects = append(in.Objects, o)
			case c.IstioAPI && o.Group() == model.GroupIstioNetworking && o.Kind() == model.KindVirtualService:
				in.Objects = append(in.Objects, o)
			}
		}
		in.Contexts = append(in.Contexts, model.Context{Name: c.Name, GlooAPI: c.GlooAPI, IstioAPI: c.IstioAPI})
	}
	return in, problems, warnings
}

// proxyMatches tells whether a saved proxy is what the user names in
// namespace ("" for any).
func proxyMatches(p Proxy, namespace string, t admin.Target) bool {
	if namespace != "" && p.Namespace != namespace {
		return false
	}
	return p.Target == t.String() || (t.Kind == "pod" && p.Pod == t.Name)
}

// ProxyContexts are the contexts, in the bundle's order, where a proxy
// matching t in namespace ("" for any) was saved.
func (b *Bundle) ProxyContexts(namespace string, t admin.Target) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range b.Manifest.Contexts {
		for _, p := range b.Manifest.Proxies {
			if p.Context == c.Name && proxyMatches(p, namespace, t) && !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c.Name)
			}
		}
	}
	return out
}

// FindProxy finds the proxy saved in a context for what the user names
// (a pod, deploy/NAME, -l SELECTOR) in namespace ("" for any).
func (b *Bundle) FindProxy(context, namespace string, t admin.Target) (Proxy, error) {
	var here []string
	for _, p := range b.Manifest.Proxies {
		if p.Context != context {
			continue
		}
		here = append(here, p.Namespace+"/"+proxyLabel(p))
		if proxyMatches(p, namespace, t) {
			if p.Error != "" {
				// As it was printed live.
				return p, errors.New(p.Error)
			}
			return p, nil
		}
	}
	held := "no proxy"
	if len(here) > 0 {
		sort.Strings(here)
		held = strings.Join(here, ", ")
	}
	where := "in namespace " + namespace + " of context " + context
	if namespace == "" {
		where = "in context " + context
	}
	return Proxy{}, fmt.Errorf("bundle %s holds no proxy %s %s (it holds %s)", b.Path, t, where, held)
}

func proxyLabel(p Proxy) string {
	if p.Pod != "" && p.Target != "pod/"+p.Pod {
		return p.Pod + " (" + p.Target + ")"
	}
	if p.Pod != "" {
		return p.Pod
	}
	return p.Target
}

// ProxySource reads the saved admin answers of a proxy.
func (b *Bundle) ProxySource(p Proxy) admin.Source {
	s := &admin.Saved{Name: "pod " + p.Namespace + "/" + p.Pod}
	if p.ConfigDump != "" {
		s.ConfigDumpJSON = b.files[p.ConfigDump]
	}
	if p.Clusters != "" {
		s.ClustersJSON = b.files[p.Clusters]
	}
	return s
}

// File returns the bytes of an entry.
func (b *Bundle) File(name string) ([]byte, bool) {
	d, ok := b.files[name]
	return d, ok
}

// FileNames lists the entries, sorted.
func (b *Bundle) FileNames() []string {
	var out []string
	for n := range b.files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
