package source

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// FuzzStreamedEqualsWhole: whatever the stream splitting does, a stream
// that k8s.io/apimachinery's decoder reads whole into valid objects reads
// into the same objects.
func FuzzStreamedEqualsWhole(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data:\n    k: |\n      x\n\n      # y\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\nkind: List\nmetadata: {}\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"))
	f.Add([]byte(`{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}], "kind": "List"}`))
	f.Add([]byte("apiVersion: v1\nitems:\n# c\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, labels: {x: \"1\"}}\nkind: List\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		want, ok := decodeWhole(data)
		if !ok {
			return
		}
		got, err := Decode("fuzz", data)
		if err != nil {
			t.Fatalf("streamed: %v; whole: %d objects", err, len(want))
		}
		if len(got) != len(want) {
			t.Fatalf("streamed %d objects, whole %d", len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i].Obj.Object, want[i].Obj.Object) || got[i].Context != want[i].Context {
				t.Fatalf("object %d:\n got %#v\nwant %#v", i, got[i].Obj.Object, want[i].Obj.Object)
			}
		}
	})
}

// decodeWhole is the reading before streaming: every document decoded
// whole by apiMachinery's decoder; ok only when every object is readable.
func decodeWhole(data []byte) ([]Object, bool) {
	if len(bytes.TrimSpace(data)) == 0 || bytes.IndexByte(data, 0) >= 0 {
		return nil, false
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []Object
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, false
		}
		if m == nil {
			continue
		}
		objs, err := fromMap(m)
		if err != nil {
			return nil, false
		}
		out = append(out, objs...)
	}
	return out, len(out) > 0
}
