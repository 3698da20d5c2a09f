package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// Stdin is the file name that stands for standard input.
const Stdin = "-"

// ReadFiles reads objects from files, directories (their .yaml, .yml and
// .json files, not recursively) and "-" (stdin). Lists are flattened. Each
// object's context comes from ContextAnnotation, which is removed so that the
// object reads back exactly as it was on the server. A path that is missing,
// unreadable, binary, malformed or holds no object is an error naming it.
func ReadFiles(paths []string, stdin io.Reader) ([]Object, error) {
	var out []Object
	for _, p := range paths {
		objs, err := readPath(p, stdin)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func readPath(p string, stdin io.Reader) ([]Object, error) {
	if p == Stdin {
		if stdin == nil {
			return nil, errors.New("no standard input to read")
		}
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return Decode("standard input", data)
	}
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %s", p, describeOSError(err))
	}
	if !info.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %s", p, describeOSError(err))
		}
		return Decode(p, data)
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read directory %s: %s", p, describeOSError(err))
	}
	var names []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				names = append(names, filepath.Join(p, e.Name()))
			}
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no .yaml, .yml or .json file in directory", p)
	}
	var out []Object
	for _, n := range names {
		objs, err := readPath(n, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

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
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s is empty", what)
	}
	if looksBinary(data) {
		return nil, fmt.Errorf("%s is not a YAML or JSON file (binary data)", what)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []Object
	for doc := 1; ; doc++ {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("%s: malformed YAML or JSON: %s", what, oneLine(err.Error()))
		}
		if m == nil { // an empty document between "---" separators
			continue
		}
		objs, err := fromMap(m)
		if err != nil {
			return nil, fmt.Errorf("%s (document %d): %s", what, doc, err)
		}
		out = append(out, objs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no Kubernetes object", what)
	}
	return out, nil
}

func fromMap(m map[string]any) ([]Object, error) {
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "" || u.GetAPIVersion() == "" {
		return nil, errors.New("not a Kubernetes object (no apiVersion or kind)")
	}
	if u.IsList() {
		list, err := u.ToList()
		if err != nil {
			return nil, fmt.Errorf("malformed %s: %s", u.GetKind(), oneLine(err.Error()))
		}
		var out []Object
		for i := range list.Items {
			objs, err := fromMap(list.Items[i].Object)
			if err != nil {
				return nil, err
			}
			out = append(out, objs...)
		}
		return out, nil
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
	return []Object{o}, nil
}

// looksBinary reports NUL bytes or invalid text in the first kilobytes.
func looksBinary(data []byte) bool {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	return bytes.IndexByte(head, 0) >= 0
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
