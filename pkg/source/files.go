package source

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Stdin is the file name that stands for standard input.
const Stdin = "-"

// ReadFiles reads objects from files, directories (their .yaml, .yml and
// .json files, not recursively: see VisitOptions.Recursive) and "-" (stdin). Lists are flattened. Each
// object's context is FileContext's. A path that is missing, unreadable,
// binary, malformed, holds no object or an object that is not readable is an
// error naming it; in a directory, files holding no object are skipped. ReadFiles keeps every object: commands that only need
// some of them use Visit.
func ReadFiles(paths []string, stdin io.Reader) ([]Object, error) {
	var out []Object
	err := Visit(paths, stdin, func(o Object) error {
		out = append(out, o)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Visit reads the same objects as ReadFiles but hands them to visit one by
// one as they are decoded, document by document (and List item by List
// item), without holding the files: a caller that keeps only what its
// output needs reads a file of any size in the memory of what it keeps.
// An error from visit stops the reading and is returned.
func Visit(paths []string, stdin io.Reader, visit func(Object) error) error {
	return VisitWith(paths, stdin, VisitOptions{}, visit)
}

// VisitOptions tune Visit.
type VisitOptions struct {
	// MayHold, when set, is shown the text of each item of a List (what
	// find -o yaml|json writes) before it is decoded; when it answers
	// false, the item is skipped without being decoded or checked.
	// Decoding is most of the time spent reading a snapshot: a caller that
	// wants the objects whose labels hold a value skips the rest by asking
	// whether the text contains it. It must answer false only for text that
	// cannot hold an object the caller wants. Other documents, which people
	// write by hand, are always decoded and checked.
	MayHold func(text []byte) bool
	// Recursive reads the directories below a directory too (kubectl's
	// -R/--recursive); without it only the directory's own files are read.
	Recursive bool
}

// VisitWith is Visit with options.
func VisitWith(paths []string, stdin io.Reader, opts VisitOptions, visit func(Object) error) error {
	if err := CheckPaths(paths); err != nil {
		return err
	}
	v := &visitor{visit: visit, mayHold: opts.MayHold, recursive: opts.Recursive}
	for _, p := range paths {
		if err := visitPath(p, stdin, v); err != nil {
			return err
		}
	}
	return nil
}

// visitor is what Visit does with the objects of every stream.
type visitor struct {
	visit     func(Object) error
	mayHold   func([]byte) bool
	recursive bool
}

// CheckPaths refuses what cannot be read as asked before anything is read:
// standard input can only be read once, and URLs are not fetched.
func CheckPaths(paths []string) error {
	if err := checkURLs(paths); err != nil {
		return err
	}
	n := 0
	for _, p := range paths {
		if p == Stdin {
			n++
		}
	}
	if n > 1 {
		return usageError{errors.New("standard input can be read once: give at most one -f -")}
	}
	return nil
}

// FileContext is the one rule that places an object read from a file: the
// context recorded in its ContextAnnotation (already moved to Context by the
// reader), else the Gloo cluster its labels name, else "" (the file's own,
// unnamed context).
func FileContext(o Object) string {
	if o.Context != "" {
		return o.Context
	}
	return GlooCluster(o)
}

func visitPath(p string, stdin io.Reader, visit *visitor) error {
	if p == Stdin {
		if stdin == nil {
			return errors.New("no standard input to read")
		}
		return decodeStream("standard input", "", stdin, visit)
	}
	info, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("cannot read %s: %s", p, describeOSError(err))
	}
	if !info.IsDir() {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("cannot read %s: %s", p, describeOSError(err))
		}
		defer f.Close()
		return decodeStream(p, p, f, visit)
	}
	names, err := dirFiles(p, visit.recursive)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("%s: no .yaml, .yml or .json file in directory", p)
	}
	// As kubectl, a directory's files that hold no object (empty, blank,
	// only comments or "---") are skipped: a tree of manifests often has
	// placeholders. The directory still has to hold an object.
	found := false
	for _, n := range names {
		err := visitPath(n, nil, visit)
		var none noObjectError
		if errors.As(err, &none) {
			continue
		}
		if err != nil {
			return err
		}
		found = true
	}
	if !found {
		return fmt.Errorf("%s: no Kubernetes object in its .yaml, .yml or .json files", p)
	}
	return nil
}

// noObjectError says a stream holds no object, and nothing wrong either.
type noObjectError struct{ msg string }

func (e noObjectError) Error() string { return e.msg }

func describeOSError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Decode parses one YAML or JSON stream (several documents, Lists) named
// what in errors.
func Decode(what string, data []byte) ([]Object, error) {
	var out []Object
	err := decodeStream(what, "", bytes.NewReader(data), &visitor{visit: func(o Object) error {
		out = append(out, o)
		return nil
	}})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeStream reads one stream named what: JSON when it starts with "{",
// YAML otherwise.
func decodeStream(what, file string, r io.Reader, visit *visitor) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(8192)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return fmt.Errorf("cannot read %s: %s", what, describeOSError(err))
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return fmt.Errorf("%s is not a YAML or JSON file (binary data)", what)
	}
	// Skip the blank lines before the first content: only whole lines, so
	// that an indented YAML document keeps its indentation.
	var first []byte
	skipped := 0
	for ; ; skipped++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			first = line
			break
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return noObjectError{what + " is empty"}
			}
			return fmt.Errorf("cannot read %s: %s", what, describeOSError(err))
		}
	}
	d := &decoder{what: what, file: file, v: visit}
	rest := io.MultiReader(bytes.NewReader(first), br)
	if bytes.TrimSpace(first)[0] == '{' {
		err = d.json(rest)
	} else {
		err = d.yaml(bufio.NewReaderSize(rest, 64<<10), skipped)
	}
	if err != nil {
		return err
	}
	if d.objects == 0 {
		return noObjectError{what + " holds no Kubernetes object"}
	}
	return nil
}

// decoder turns the documents (and List items) of one stream into objects.
type decoder struct {
	what    string
	file    string // the path, "" for standard input and bytes
	v       *visitor
	objects int
	// line is where the document or item being decoded starts (0: not
	// known).
	line int
	// head is what is known of the List document being streamed when its
	// items are read (JSON: the keys before "items"; YAML: nothing), and
	// pending its items without apiVersion and kind, which a typed list
	// (ServiceEntryList, as the API server answers) leaves to the list:
	// they are visited when the list's own kind is known.
	head    map[string]any
	pending []pendingItem
}

// pendingItem is a List item waiting for its List's kind.
type pendingItem struct {
	m          map[string]any
	item, line int
}

// typedListItem gives an item without apiVersion and kind those of its
// typed list (a ServiceEntryList's items are ServiceEntries), as
// apimachinery does when it decodes a list; it reports whether it did.
func typedListItem(list, item map[string]any) bool {
	if _, ok := item["apiVersion"]; ok {
		return false
	}
	if _, ok := item["kind"]; ok {
		return false
	}
	version, _ := list["apiVersion"].(string)
	kind, _ := list["kind"].(string)
	if version == "" || kind == "List" || !strings.HasSuffix(kind, "List") {
		return false
	}
	item["apiVersion"], item["kind"] = version, strings.TrimSuffix(kind, "List")
	return true
}

// skip reports whether the visitor does not want the objects of text,
// which then count as read.
func (d *decoder) skip(text []byte) bool {
	if d.v.mayHold == nil || d.v.mayHold(text) {
		return false
	}
	d.objects++
	return true
}

// where names a document, or an item of a List document, in errors.
func (d *decoder) where(doc, item int) string {
	if item > 0 {
		return fmt.Sprintf("%s (document %d, item %d)", d.what, doc, item)
	}
	return fmt.Sprintf("%s (document %d)", d.what, doc)
}

// object checks and visits one decoded map: an object, or a List whose
// items were not streamed.
func (d *decoder) object(m map[string]any, doc, item int) error {
	if item > 0 && m["apiVersion"] == nil && m["kind"] == nil {
		if d.head == nil || !typedListItem(d.head, m) {
			// The List's kind may come after its items.
			d.pending = append(d.pending, pendingItem{m: m, item: item, line: d.line})
			return nil
		}
	}
	return d.visitObject(m, doc, item)
}

func (d *decoder) visitObject(m map[string]any, doc, item int) error {
	objs, err := fromMap(m)
	if err != nil {
		var ie *itemError
		if item == 0 && errors.As(err, &ie) {
			return fmt.Errorf("%s: %s", d.where(doc, ie.item), ie.err)
		}
		return fmt.Errorf("%s: %s", d.where(doc, item), err)
	}
	for _, o := range objs {
		d.objects++
		if d.file != "" {
			o.File, o.Line = d.file, d.line
		}
		if err := d.v.visit(o); err != nil {
			return err
		}
	}
	return nil
}

// listHead checks what remains of a List document whose items were
// streamed one by one.
func (d *decoder) listHead(m map[string]any, doc int) error {
	pending := d.pending
	d.head, d.pending = nil, nil
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		return fmt.Errorf("%s: not a Kubernetes object (no apiVersion or kind)", d.where(doc, 0))
	}
	for _, p := range pending {
		typedListItem(m, p.m)
		d.line = p.line
		if err := d.visitObject(p.m, doc, p.item); err != nil {
			return err
		}
	}
	return nil
}

func fromMap(m map[string]any) ([]Object, error) {
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		return nil, errors.New("not a Kubernetes object (no apiVersion or kind)")
	}
	if items, ok := m["items"]; ok && items == nil {
		return nil, nil // a List with "items: null" is empty
	}
	if u.IsList() {
		// apimachinery names the wrong type for an item that is not an
		// object: say which item, and what it is.
		if items, ok := m["items"].([]any); ok {
			for i, it := range items {
				im, ok := it.(map[string]any)
				if !ok {
					return nil, &itemError{item: i + 1, err: fmt.Errorf("not a Kubernetes object (a %s)", valueKind(it))}
				}
				typedListItem(m, im)
			}
		}
		list, err := u.ToList()
		if err != nil {
			return nil, fmt.Errorf("malformed %s: %w", u.GetKind(), err)
		}
		var out []Object
		for i := range list.Items {
			objs, err := fromMap(list.Items[i].Object)
			if err != nil {
				var ie *itemError
				if errors.As(err, &ie) {
					err = ie.err // an item of a List in a List: the outer item
				}
				return nil, &itemError{item: i + 1, err: err}
			}
			out = append(out, objs...)
		}
		return out, nil
	}
	if err := checkObject(m); err != nil {
		return nil, err
	}
	o := Object{Obj: u}
	if ann := u.GetAnnotations(); ann != nil {
		if c, ok := ann[ContextAnnotation]; ok {
			o.Context = c
			delete(ann, ContextAnnotation)
			if len(ann) == 0 {
				unstructured.RemoveNestedField(u.Object, "metadata", "annotations")
			} else {
				u.SetAnnotations(ann)
			}
		}
	}
	o.Context = FileContext(o)
	return []Object{o}, nil
}

// itemError is the error of one item of a List.
type itemError struct {
	item int
	err  error
}

func (e *itemError) Error() string { return fmt.Sprintf("item %d: %s", e.item, e.err) }

// checkObject refuses what an API server never returns and what the
// unstructured accessors would silently read as empty: a missing or
// non-string name, labels or annotations that are not strings, a spec that
// is null or not a map.
func checkObject(m map[string]any) error {
	md, ok := m["metadata"].(map[string]any)
	if !ok {
		if m["metadata"] == nil {
			return errors.New("metadata.name is missing")
		}
		return fmt.Errorf("metadata is not a map (%s)", typeName(m["metadata"]))
	}
	switch name := md["name"].(type) {
	case nil:
		return errors.New("metadata.name is missing")
	case string:
		if name == "" {
			return errors.New("metadata.name is empty")
		}
	default:
		return fmt.Errorf("metadata.name is not a string (%s)", typeName(name))
	}
	if ns, ok := md["namespace"]; ok && ns != nil {
		if _, ok := ns.(string); !ok {
			return fmt.Errorf("metadata.namespace is not a string (%s)", typeName(ns))
		}
	}
	for _, field := range []string{"labels", "annotations"} {
		v, ok := md[field]
		if !ok || v == nil {
			continue
		}
		mm, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("metadata.%s is not a map (%s)", field, typeName(v))
		}
		for k, x := range mm {
			if _, ok := x.(string); !ok {
				return fmt.Errorf("metadata.%s[%s] is not a string (%s)", field, k, typeName(x))
			}
		}
	}
	if spec, ok := m["spec"]; ok {
		if spec == nil {
			return errors.New("spec is null")
		}
		if _, ok := spec.(map[string]any); !ok {
			return fmt.Errorf("spec is not a map (%s)", typeName(spec))
		}
	}
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64, int, int32:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
