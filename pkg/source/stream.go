package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"

	"sigs.k8s.io/yaml"
)

// A snapshot written by `find -o yaml|json` is one List document: decoding
// it whole would hold the file several times over. Both decoders below
// hand out the items of a List one by one instead, and every other
// document whole, as k8s.io/apimachinery's YAMLOrJSONDecoder would decode
// it (numbers as float64, the same maps), so the objects are the same.

// json decodes a stream of JSON values; the "items" array of an object is
// read element by element.
func (d *decoder) json(r io.Reader) error {
	dec := json.NewDecoder(r)
	for doc := 1; ; doc++ {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return d.malformed(err)
		}
		if tok == nil { // a null document
			continue
		}
		if delim, ok := tok.(json.Delim); !ok || delim != '{' {
			return fmt.Errorf("%s: not a Kubernetes object (a JSON %s)", d.where(doc, 0), jsonKind(tok))
		}
		m := map[string]any{}
		list := false
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return d.malformed(err)
			}
			key, _ := kt.(string)
			if key != "items" {
				var v any
				if err := dec.Decode(&v); err != nil {
					return d.malformed(err)
				}
				m[key] = v
				continue
			}
			d.head = m
			v, streamed, err := d.jsonItems(dec, doc)
			if err != nil {
				return err
			}
			if streamed {
				list = true
			} else {
				m[key] = v
			}
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return d.malformed(err)
		}
		if list {
			if err := d.listHead(m, doc); err != nil {
				return err
			}
			continue
		}
		if err := d.object(m, doc, 0); err != nil {
			return err
		}
	}
}

// jsonItems reads the value of an "items" key: an array is visited element
// by element (streamed is true), anything else is returned whole.
func (d *decoder) jsonItems(dec *json.Decoder, doc int) (v any, streamed bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false, d.malformed(err)
	}
	switch tok {
	case json.Delim('['):
		for item := 1; dec.More(); item++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, false, d.malformed(err)
			}
			if d.skip(raw) {
				continue
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return nil, false, d.malformed(err)
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false, fmt.Errorf("%s: not a Kubernetes object (no apiVersion or kind)", d.where(doc, item))
			}
			if err := d.object(m, doc, item); err != nil {
				return nil, false, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, false, d.malformed(err)
		}
		return nil, true, nil
	case json.Delim('{'):
		m := map[string]any{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, false, d.malformed(err)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				return nil, false, d.malformed(err)
			}
			m[kt.(string)] = v
		}
		if _, err := dec.Token(); err != nil {
			return nil, false, d.malformed(err)
		}
		return m, false, nil
	}
	return tok, false, nil // a scalar
}

func jsonKind(tok json.Token) string {
	switch tok {
	case json.Delim('['):
		return "array"
	}
	switch tok.(type) {
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "value"
}

func (d *decoder) malformed(err error) error {
	return fmt.Errorf("%s: malformed YAML or JSON: %w", d.what, err)
}

// yaml splits a YAML stream into documents at "---" lines, and a document
// whose top-level "items:" key holds a block sequence (what kubectl and
// every YAML library write for a List) into its items, each decoded on
// its own. Anything else is decoded whole, so any valid YAML reads as it
// would have whole.
func (d *decoder) yaml(br *bufio.Reader, skipped int) error {
	s := yamlSplitter{d: d, doc: 1, lineNo: skipped}
	for {
		// A line is classified by its start and copied, fragment by
		// fragment, straight into the buffer it belongs to: a line of
		// 100 MB is held once.
		frag, err := br.ReadSlice('\n')
		whole := !errors.Is(err, bufio.ErrBufferFull)
		if err != nil && whole && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot read %s: %s", d.what, describeOSError(err))
		}
		if len(frag) > 0 {
			dst, perr := s.line(frag, whole)
			if perr != nil {
				return perr
			}
			last := frag[len(frag)-1]
			for !whole {
				frag, err = br.ReadSlice('\n')
				whole = !errors.Is(err, bufio.ErrBufferFull)
				if err != nil && whole && !errors.Is(err, io.EOF) {
					return fmt.Errorf("cannot read %s: %s", d.what, describeOSError(err))
				}
				if dst != nil {
					dst.Write(frag)
				}
				if len(frag) > 0 {
					last = frag[len(frag)-1]
				}
			}
			if last != '\n' && dst != nil {
				dst.WriteByte('\n')
			}
		}
		if err != nil {
			if err := s.endDocument(); err != nil {
				return err
			}
			return s.drain(0)
		}
	}
}

type splitState int

const (
	inBody   splitState = iota
	afterKey            // after a top-level "items:" line
	inItems             // in the block sequence of items
)

type yamlSplitter struct {
	d     *decoder
	doc   int
	lines int // lines of the current document
	// lineNo is the number of the line being split; docStart and
	// itemStart those of the first content line of the document and of
	// the current item's "- " line.
	lineNo, docStart, itemStart int

	state  splitState
	body   bytes.Buffer // the document but its streamed items
	held   bytes.Buffer // "items:" and what follows until its value is known
	item   bytes.Buffer // the current item, as a one-element sequence
	indent int          // of the "- " of items
	items  int          // items visited in this document
	list   bool         // items were streamed
	// pending are whole documents being decoded, in stream order.
	pending []*pendingDoc
}

// line takes the start of a line (all of it when whole), writes it to the
// buffer it belongs to and returns that buffer (nil: the line is dropped),
// where the rest of the line goes.
func (s *yamlSplitter) line(line []byte, whole bool) (*bytes.Buffer, error) {
	s.lineNo++
	if whole && isSeparator(line) {
		if s.lines > 0 {
			if err := s.endDocument(); err != nil {
				return nil, err
			}
			s.doc++
		}
		return nil, nil
	}
	s.lines++
	blank := isBlankOrComment(line)
	if !blank && s.docStart == 0 {
		s.docStart = s.lineNo
	}
	switch s.state {
	case afterKey:
		if blank {
			return writeTo(&s.held, line), nil
		}
		ind := indentation(line)
		if isSequenceEntry(line[ind:]) {
			s.state, s.indent, s.list = inItems, ind, true
			s.held.Reset()
			s.itemStart = s.lineNo
			return writeTo(&s.item, line), nil
		}
		// Not a block sequence: the document is decoded whole.
		s.body.Write(s.held.Bytes())
		s.held.Reset()
		s.state = inBody
	case inItems:
		if blank {
			if s.item.Len() > 0 {
				return writeTo(&s.item, line), nil
			}
			return nil, nil
		}
		ind := indentation(line)
		if ind > s.indent {
			return writeTo(&s.item, line), nil
		}
		if err := s.flushItem(); err != nil {
			return nil, err
		}
		if ind == s.indent && isSequenceEntry(line[ind:]) {
			s.itemStart = s.lineNo
			return writeTo(&s.item, line), nil
		}
		s.state = inBody
	}
	if whole && !s.list && isItemsKey(line) {
		s.state = afterKey
		return writeTo(&s.held, line), nil
	}
	return writeTo(&s.body, line), nil
}

func writeTo(b *bytes.Buffer, p []byte) *bytes.Buffer {
	b.Write(p)
	return b
}

// release drops the memory of a buffer that held a huge document.
func release(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		*b = bytes.Buffer{}
	} else {
		b.Reset()
	}
}

func (s *yamlSplitter) flushItem() error {
	if s.item.Len() == 0 {
		return nil
	}
	if err := s.drain(0); err != nil {
		return err
	}
	s.items++
	if s.d.skip(s.item.Bytes()) {
		release(&s.item)
		return nil
	}
	var seq []any
	err := yaml.Unmarshal(s.item.Bytes(), &seq)
	release(&s.item)
	if err != nil {
		return s.d.malformed(err)
	}
	var m map[string]any
	if len(seq) == 1 {
		m, _ = seq[0].(map[string]any)
	}
	if m == nil {
		return fmt.Errorf("%s: not a Kubernetes object (no apiVersion or kind)", s.d.where(s.doc, s.items))
	}
	s.d.line = s.itemStart
	return s.d.object(m, s.doc, s.items)
}

func (s *yamlSplitter) endDocument() error {
	defer func() {
		s.lines, s.state, s.items, s.list, s.docStart = 0, inBody, 0, false, 0
		release(&s.body)
		release(&s.held)
		release(&s.item)
	}()
	if s.state == afterKey {
		s.body.Write(s.held.Bytes())
	}
	if err := s.flushItem(); err != nil {
		return err
	}
	if !s.list {
		// A whole document is decoded on another core while the stream
		// is split further; its objects are still visited in order.
		p := &pendingDoc{doc: s.doc, docStart: s.docStart, done: make(chan struct{})}
		text := bytes.Clone(s.body.Bytes())
		go func() {
			defer close(p.done)
			p.err = yaml.Unmarshal(text, &p.v)
		}()
		s.pending = append(s.pending, p)
		return s.drain(decodeWindow)
	}
	var v any
	if err := yaml.Unmarshal(s.body.Bytes(), &v); err != nil {
		return s.d.malformed(err)
	}
	m, isMap := v.(map[string]any)
	if v != nil && !isMap {
		return fmt.Errorf("%s: not a Kubernetes object (a %s)", s.d.where(s.doc, 0), valueKind(v))
	}
	if m == nil {
		m = map[string]any{}
	}
	return s.d.listHead(m, s.doc)
}

// decodeWindow bounds the documents decoded ahead of the visitor: enough
// to keep every core busy, few enough to keep memory flat.
var decodeWindow = 2 * runtime.GOMAXPROCS(0)

// pendingDoc is a whole document being decoded.
type pendingDoc struct {
	doc, docStart int
	done          chan struct{}
	v             any
	err           error
}

// drain visits, in stream order, the decoded documents beyond the first
// keep ones still pending (all of them for 0).
func (s *yamlSplitter) drain(keep int) error {
	for len(s.pending) > keep {
		p := s.pending[0]
		s.pending = s.pending[1:]
		<-p.done
		if p.err != nil {
			return s.d.malformed(p.err)
		}
		m, isMap := p.v.(map[string]any)
		if p.v != nil && !isMap {
			return fmt.Errorf("%s: not a Kubernetes object (a %s)", s.d.where(p.doc, 0), valueKind(p.v))
		}
		if m == nil { // an empty document, or comments only
			continue
		}
		s.d.line = p.docStart
		if err := s.d.object(m, p.doc, 0); err != nil {
			return err
		}
	}
	return nil
}

// isSeparator is a "---" line, optionally followed by a comment.
func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimSpace(line[3:])
	return len(rest) == 0 || rest[0] == '#'
}

func isBlankOrComment(line []byte) bool {
	t := bytes.TrimSpace(line)
	return len(t) == 0 || t[0] == '#'
}

// isItemsKey is a top-level "items:" line whose value starts on the next
// line.
func isItemsKey(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("items:")) {
		return false
	}
	rest := bytes.TrimSpace(line[len("items:"):])
	return len(rest) == 0 || rest[0] == '#'
}

func isSequenceEntry(s []byte) bool {
	return len(s) > 0 && s[0] == '-' && (len(s) == 1 || s[1] == ' ' || s[1] == '\n' || s[1] == '\r' || s[1] == '\t')
}

func indentation(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

// valueKind names what a decoded YAML or JSON value is, for messages.
func valueKind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case float64, int64, int, json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "value"
}
