package envoy

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/internal/jsonscan"
)

// Note says that a value of an admin answer does not fit Envoy's schema,
// and how it was read instead: as istioctl reads it, so that tables stay
// the same, but never silently.
type Note struct {
	// Where names the object holding the value: `cluster "NAME"`,
	// `endpoints of "NAME"`, `dynamic_active_clusters[2]`.
	Where string
	// Field is the path of the value inside it, with the member names as
	// written ("type", "load_assignment.endpoints[0].lb_endpoints[1].health_status").
	Field string
	// Problem says what is wrong and how the value was read.
	Problem string
}

// String is the note as one line.
func (n Note) String() string {
	if n.Field == "" {
		return n.Where + ": " + n.Problem
	}
	return n.Where + ": " + n.Field + ": " + n.Problem
}

// Key groups the notes that say the same of different objects (the same
// field, indices aside, and the same problem), so that they are reported
// once.
func (n Note) Key() string {
	var b strings.Builder
	skip := false
	for _, r := range n.Field {
		switch {
		case r == '[':
			skip = true
			b.WriteString("[]")
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String() + "\x00" + n.Problem
}

// UnknownEnumError is an enum value written as a name the enum does not
// define, in an answer that istioctl reads strictly (/clusters, which it
// decodes with the jsonpb reader, which rejects such names).
type UnknownEnumError struct {
	Field string
	Value string
	Enum  protoreflect.FullName
}

func (e *UnknownEnumError) Error() string {
	return fmt.Sprintf("%s: %s is not a value of %s (istioctl rejects the answer too)", e.Field, e.Value, e.Enum)
}

// unknownEnum is one enum value the schema does not define.
type unknownEnum struct {
	path   string
	value  string // as written: a quoted name or a number
	byName bool
	enum   protoreflect.EnumDescriptor
}

// problem words an unknown enum value read as protobuf's JSON reader reads
// it when told to discard unknown fields (how istioctl reads config
// dumps): an unknown name leaves the field unset, an unknown number is
// kept.
func (u unknownEnum) problem() string {
	if u.byName {
		return fmt.Sprintf("%s is not a value of %s; read as unset (%s), as istioctl does",
			u.value, u.enum.FullName(), u.enum.Values().Get(0).Name())
	}
	return fmt.Sprintf("%s is not a value of %s; kept as a number, as istioctl does", u.value, u.enum.FullName())
}

func (u unknownEnum) note(where string) Note {
	return Note{Where: where, Field: u.path, Problem: u.problem()}
}

// checkEnum reads an enum value and reports it when the enum does not
// define it. Other kinds of values are left to the decoder that reads the
// value for real.
func checkEnum(d *jsonscan.Decoder, ed protoreflect.EnumDescriptor, report func(value string, byName bool)) (int32, error) {
	if null, err := skipNull(d); null || err != nil {
		return 0, err
	}
	k, err := d.Peek()
	if err != nil {
		return 0, err
	}
	switch k {
	case jsonscan.String:
		b, err := d.StringBytes()
		if err != nil {
			return 0, err
		}
		if n, ok := enumByName(ed, b); ok {
			return n, nil
		}
		report(strconv.Quote(string(b)), true)
		return 0, nil
	case jsonscan.Number:
		v, err := d.Int(32)
		if err != nil {
			return 0, err
		}
		n := int32(v)
		if ed.Values().ByNumber(protoreflect.EnumNumber(n)) == nil {
			report(strconv.Itoa(int(n)), false)
		}
		return n, nil
	}
	// Not an enum value: the error of a number reader, with its offset.
	_, err = d.Int(32)
	return 0, err
}

// enumByName looks a name up without making a string of it: enums are
// short, and this runs for every enum value of a /clusters answer.
func enumByName(ed protoreflect.EnumDescriptor, name []byte) (int32, bool) {
	values := ed.Values()
	for i := 0; i < values.Len(); i++ {
		if v := values.Get(i); string(v.Name()) == string(name) {
			return int32(v.Number()), true
		}
	}
	return 0, false
}

// enumWalker walks a JSON value along a message schema (Any values
// resolved from the linked types) and reports the enum values the schema
// does not define. It validates the JSON as Skip does, and reads nothing
// else. The path is kept as segments that cost no allocation (names held
// by the descriptors, indices as numbers) and written out only when a
// value is reported: large /clusters answers are walked whole.
type enumWalker struct {
	path   []segment
	report func(unknownEnum)
}

// segment is a member name (name), a list index (index >= 0) or a map key
// (key, quoted when written).
type segment struct {
	name  string
	index int
	key   string
}

func (w *enumWalker) push(s segment) { w.path = append(w.path, s) }
func (w *enumWalker) pop()           { w.path = w.path[:len(w.path)-1] }

func (w *enumWalker) where() string {
	var b strings.Builder
	for _, p := range w.path {
		switch {
		case p.name != "":
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p.name)
		case p.index >= 0:
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
		default:
			b.WriteString("[" + strconv.Quote(p.key) + "]")
		}
	}
	return b.String()
}

const anyFullName = "google.protobuf.Any"

// wellKnown tells the types of google.protobuf, which have JSON forms of
// their own (durations, structs, wrappers...).
func wellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}

// msgPlan is what the walker needs of a message, computed once per type:
// its fields by both the names the JSON mapping accepts, each with what to
// look into. Large /clusters answers are walked whole, member by member.
type msgPlan struct {
	any    bool // google.protobuf.Any: the type is resolved from "@type"
	opaque bool // other well-known types: JSON forms of their own, no enum
	fields map[string]*fieldPlan
}

type fieldPlan struct {
	name        string // as written
	list, isMap bool
	enum        protoreflect.EnumDescriptor    // enum values (google.protobuf.NullValue aside)
	msg         protoreflect.MessageDescriptor // message values
	sub         atomic.Pointer[msgPlan]        // msg's plan, once looked up
}

// subPlan is the plan of a message field's type, looked up once.
func (fp *fieldPlan) subPlan() *msgPlan {
	if p := fp.sub.Load(); p != nil {
		return p
	}
	p := planOf(fp.msg)
	fp.sub.Store(p)
	return p
}

var plans sync.Map // protoreflect.FullName -> *msgPlan

func planOf(md protoreflect.MessageDescriptor) *msgPlan {
	if p, ok := plans.Load(md.FullName()); ok {
		return p.(*msgPlan)
	}
	p := &msgPlan{any: md.FullName() == anyFullName}
	p.opaque = !p.any && wellKnown(md)
	if !p.any && !p.opaque {
		fields := md.Fields()
		p.fields = make(map[string]*fieldPlan, 2*fields.Len())
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			elem := fd
			if fd.IsMap() {
				elem = fd.MapValue()
			}
			for _, name := range []string{fd.JSONName(), fd.TextName()} {
				if _, dup := p.fields[name]; dup {
					continue
				}
				fp := &fieldPlan{name: name, list: fd.IsList(), isMap: fd.IsMap()}
				switch elem.Kind() {
				case protoreflect.EnumKind:
					if elem.Enum().FullName() != "google.protobuf.NullValue" {
						fp.enum = elem.Enum()
					}
				case protoreflect.MessageKind, protoreflect.GroupKind:
					fp.msg = elem.Message()
				}
				p.fields[name] = fp
			}
		}
	}
	actual, _ := plans.LoadOrStore(md.FullName(), p)
	return actual.(*msgPlan)
}

// message walks a message value of plan p.
func (w *enumWalker) message(d *jsonscan.Decoder, p *msgPlan) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	switch {
	case p.any:
		_, err := readAny(d, func(typeURL string) (fieldFunc, error) {
			mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
			if err != nil {
				return skipFields, nil // unknown types are dropped
			}
			inner := planOf(mt.Descriptor())
			if inner.opaque {
				return skipFields, nil // a well-known type, in "value"
			}
			return func(key []byte, d *jsonscan.Decoder) error { return w.member(d, inner, key) }, nil
		})
		return err
	case p.opaque:
		return d.Skip()
	}
	return d.Object(func(key []byte) error { return w.member(d, p, key) })
}

// member walks the value of one member of an object of plan p.
func (w *enumWalker) member(d *jsonscan.Decoder, p *msgPlan, key []byte) error {
	fp := p.fields[string(key)]
	if fp == nil || (fp.enum == nil && fp.msg == nil) {
		return d.Skip() // unknown fields are discarded; scalars hold no enum
	}
	w.push(segment{name: fp.name, index: -1})
	err := w.value(d, fp)
	w.pop()
	return err
}

func (w *enumWalker) value(d *jsonscan.Decoder, fp *fieldPlan) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	switch {
	case fp.isMap:
		if k, err := d.Peek(); err != nil || k != jsonscan.Object {
			return d.Skip()
		}
		return d.Object(func(key []byte) error {
			w.push(segment{index: -1, key: string(key)})
			err := w.single(d, fp)
			w.pop()
			return err
		})
	case fp.list:
		if k, err := d.Peek(); err != nil || k != jsonscan.Array {
			return d.Skip()
		}
		return d.Array(func(i int) error {
			w.push(segment{index: i})
			err := w.single(d, fp)
			w.pop()
			return err
		})
	}
	return w.single(d, fp)
}

func (w *enumWalker) single(d *jsonscan.Decoder, fp *fieldPlan) error {
	k, err := d.Peek()
	if err != nil {
		return err
	}
	if fp.enum != nil {
		if k != jsonscan.String && k != jsonscan.Number && k != jsonscan.Null {
			return d.Skip() // not an enum value: the decoder says so
		}
		_, err := checkEnum(d, fp.enum, func(value string, byName bool) {
			w.report(unknownEnum{path: w.where(), value: value, byName: byName, enum: fp.enum})
		})
		return err
	}
	if k != jsonscan.Object && k != jsonscan.Null && !wellKnown(fp.msg) {
		return d.Skip() // not a message: the decoder says so
	}
	return w.message(d, fp.subPlan())
}

// enumNotes walks raw, the JSON of a message md, and returns a note, under
// where, for every enum value md's schema does not define.
func enumNotes(raw []byte, md protoreflect.MessageDescriptor, where string) ([]Note, error) {
	var notes []Note
	w := &enumWalker{report: func(u unknownEnum) { notes = append(notes, u.note(where)) }}
	if err := w.message(jsonscan.NewBytes(raw), planOf(md)); err != nil {
		return nil, err
	}
	return notes, nil
}

// strictEnums walks raw, the JSON of a message md, and fails on the first
// enum name md's schema does not define, as the jsonpb reader does.
func strictEnums(raw []byte, md protoreflect.MessageDescriptor) error {
	var first error
	w := &enumWalker{report: func(u unknownEnum) {
		if u.byName && first == nil {
			first = &UnknownEnumError{Field: u.path, Value: u.value, Enum: u.enum.FullName()}
		}
	}}
	if err := w.message(jsonscan.NewBytes(raw), planOf(md)); err != nil {
		return err
	}
	return first
}
