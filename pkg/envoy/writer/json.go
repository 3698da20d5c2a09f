package writer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

// marshal is istioctl's protobuf JSON: lowerCamelCase names, defaults left
// out, Any values resolved from the types linked in.
var marshal = protojson.MarshalOptions{}

// jsonList collects the JSON of messages for one context.
type jsonList struct {
	context string
	items   [][]byte
}

// messageJSON prints one message, or falls back to the JSON as Envoy wrote
// it when the message holds an Any of a type this program does not know
// (istioctl fails there); warn is told about it.
func messageJSON(m proto.Message, raw []byte, what string, warn io.Writer) ([]byte, error) {
	b, err := marshal.Marshal(m)
	if err == nil {
		return b, nil
	}
	if envoy.IsUnresolved(err) && raw != nil {
		if warn != nil {
			fmt.Fprintf(warn, "warning: %s holds a type unknown to kubectl-vd; printed as Envoy wrote it\n", what)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("%s: %w", what, err)
}

// writeJSON prints lists the way istioctl prints a slice of messages with
// json.MarshalIndent (four spaces, HTML characters escaped), or as YAML
// converted from that JSON; several contexts make an object keyed by
// context.
func writeJSON(w io.Writer, lists []jsonList, keyed bool, format string) error {
	var buf bytes.Buffer
	writeList := func(l jsonList) {
		buf.WriteByte('[')
		for i, it := range l.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(it)
		}
		buf.WriteByte(']')
	}
	if keyed {
		buf.WriteByte('{')
		for i, l := range lists {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(l.context)
			buf.Write(k)
			buf.WriteByte(':')
			writeList(l)
		}
		buf.WriteByte('}')
	} else {
		var all jsonList
		for _, l := range lists {
			all.items = append(all.items, l.items...)
		}
		writeList(all)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, buf.Bytes()); err != nil {
		return err
	}
	var escaped bytes.Buffer
	json.HTMLEscape(&escaped, compact.Bytes())
	var out bytes.Buffer
	if err := json.Indent(&out, escaped.Bytes(), "", "    "); err != nil {
		return err
	}
	b := out.Bytes()
	if format == FormatYAML {
		y, err := yaml.JSONToYAML(b)
		if err != nil {
			return err
		}
		b = y
	}
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// PrintClusterDump prints the selected clusters as istioctl's -o json or
// -o yaml does. Clusters of the retired v2 API, and clusters holding types
// unknown to this program, are printed as the dump holds them.
func PrintClusterDump(w io.Writer, sets []ClusterSet, f ClusterFilter, format string, warn io.Writer) error {
	var lists []jsonList
	var warnings []*notes
	for _, set := range sets {
		l := jsonList{context: set.Context}
		n := &notes{context: set.Context}
		warnings = append(warnings, n)
		f := f.forSet(set.Hosts)
		for _, sc := range sortClusters(set.Dump.Clusters) {
			c := sc.c
			if !f.Verify(c.Name) {
				continue
			}
			n.add(c.Notes...)
			if c.Legacy {
				l.items = append(l.items, c.Raw)
				continue
			}
			typed, _, err := envoy.DecodeCluster(c.Raw)
			if err != nil {
				return fmt.Errorf("cluster %s: %w", c.Name, err)
			}
			b, err := messageJSON(typed, c.Raw, "cluster "+c.Name, warn)
			if err != nil {
				return err
			}
			l.items = append(l.items, b)
		}
		lists = append(lists, l)
	}
	for _, n := range warnings {
		n.print(warn)
	}
	return writeJSON(w, lists, len(sets) > 1, format)
}
