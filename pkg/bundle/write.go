package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-vd/kubectl-vd/pkg/printers"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Contents is what a bundle is written from.
type Contents struct {
	// Manifest is completed by Write: FormatVersion, the files of contexts
	// and proxies, Scrubbed, Never.
	Manifest Manifest
	// Objects are the objects read, by context name.
	Objects map[string][]source.Object
	// Proxies are the admin answers, in the order of Manifest.Proxies.
	Proxies []ProxyData
}

// FindsParent reports whether a context holds the parent of the manifest
// or an object translated from it: a bundle of a misspelled name holds
// only the mesh configuration, which its writer should hear about.
func (c *Contents) FindsParent() bool {
	p := c.Manifest.Parent
	translated := source.Query{Name: p.Name, Namespace: p.Namespace, ParentKinds: p.Kinds}.Matcher()
	for _, objs := range c.Objects {
		for _, o := range objs {
			if isTranslation(o) && translated(o) {
				return true
			}
			if strings.HasSuffix(o.Group(), "gloo.solo.io") && o.Name() == p.Name && o.Namespace() == p.Namespace {
				return true
			}
		}
	}
	return false
}

// ProxyData is what one proxy answered (nil when not read).
type ProxyData struct {
	ConfigDump []byte
	Clusters   []byte
}

// Write writes the bundle of c to w and returns its manifest. Private keys
// are replaced in every file first (the objects before they are printed,
// then every file as bytes), and a file that would still hold one is an
// error: nothing is written.
func Write(w io.Writer, c *Contents) (Manifest, error) {
	m := c.Manifest
	m.FormatVersion = FormatVersion
	m.Created = m.Created.UTC().Truncate(1e9)
	m.Never = never
	m.Scrubbed = []ScrubReport{}
	var entries []entry
	add := func(name string, data []byte, objects []string, keys int) {
		data, n := scrub(data)
		keys += n
		if keys > 0 {
			m.Scrubbed = append(m.Scrubbed, ScrubReport{File: name, Keys: keys, Objects: objects})
		}
		entries = append(entries, entry{name: name, data: data})
	}
	m.Contexts = append([]Context(nil), m.Contexts...)
	for i := range m.Contexts {
		ctx := &m.Contexts[i]
		objs := append([]source.Object(nil), c.Objects[ctx.Name]...)
		ctx.Objects = len(objs)
		ctx.File = ""
		if len(objs) == 0 {
			// Nothing read (or nothing to read): no file, as an empty
			// List is not a file of objects.
			continue
		}
		ctx.File = fmt.Sprintf("contexts/%d-%s/%s", i+1, safeName(ctx.Name), objectsFile)
		keys, where := 0, []string(nil)
		for j, o := range objs {
			copied := o.Obj.DeepCopy()
			n := scrubObject(copied.Object)
			if n > 0 {
				keys += n
				where = append(where, describeObject(o))
			}
			objs[j] = source.Object{Context: ctx.Name, Resource: o.Resource, Obj: copied}
		}
		source.Sort(objs)
		var buf bytes.Buffer
		if err := printers.YAML(&buf, objs, true); err != nil {
			return m, fmt.Errorf("context %s: %w", ctx.Name, err)
		}
		add(ctx.File, buf.Bytes(), where, keys)
	}
	m.Proxies = append([]Proxy(nil), m.Proxies...)
	for i := range m.Proxies {
		p := &m.Proxies[i]
		p.ConfigDump, p.Clusters = "", ""
		if i >= len(c.Proxies) {
			continue
		}
		dir := fmt.Sprintf("proxies/%d-%s-%s-%s/", i+1, safeName(p.Context), safeName(p.Namespace), safeName(p.Pod))
		if d := c.Proxies[i].ConfigDump; d != nil {
			p.ConfigDump = dir + ConfigDumpFile
			add(p.ConfigDump, d, nil, 0)
		}
		if d := c.Proxies[i].Clusters; d != nil {
			p.Clusters = dir + ClustersFile
			add(p.Clusters, d, nil, 0)
		}
	}
	sortScrubs(m.Scrubbed)
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return m, err
	}
	manifest = append(manifest, '\n')
	// The manifest holds error messages read from servers: scrubbed too.
	manifest, _ = scrub(manifest)
	entries = append(entries, entry{name: ManifestFile, data: manifest})
	for _, e := range entries {
		if HoldsPrivateKey(e.data) {
			return m, fmt.Errorf("%s still holds a private key after scrubbing: no bundle written", e.name)
		}
	}
	return m, writeArchive(w, entries, m.Created)
}

// scrubObject replaces private keys in every string of an object (keys of
// maps included), and returns how many.
func scrubObject(v map[string]any) int {
	n := 0
	for k, val := range v {
		nv, m := scrubValue(val)
		n += m
		v[k] = nv
		if sk, m := scrub([]byte(k)); m > 0 {
			delete(v, k)
			v[string(sk)] = nv
			n += m
		}
	}
	return n
}

func scrubValue(v any) (any, int) {
	switch t := v.(type) {
	case string:
		if !mayHoldKey(t) {
			return t, 0
		}
		s, n := scrub([]byte(t))
		return string(s), n
	case map[string]any:
		return t, scrubObject(t)
	case []any:
		n := 0
		for i := range t {
			var m int
			t[i], m = scrubValue(t[i])
			n += m
		}
		return t, n
	}
	return v, 0
}

// mayHoldKey is a quick test before the regular expressions.
func mayHoldKey(s string) bool {
	return strings.Contains(s, "PRIVATE KEY") || len(s) >= 40
}

func describeObject(o source.Object) string {
	u := o.Obj
	if u == nil {
		u = &unstructured.Unstructured{}
	}
	if u.GetNamespace() == "" {
		return u.GetKind() + " " + u.GetName()
	}
	return u.GetKind() + " " + u.GetNamespace() + "/" + u.GetName()
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName makes a context, namespace or pod name a path element.
func safeName(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if s == "" || s == "." || s == ".." {
		return "_"
	}
	return s
}
