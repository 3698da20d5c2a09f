package envoy

import (
	"fmt"
	"strconv"
	"strings"

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
		s, err := d.String()
		if err != nil {
			return 0, err
		}
		v := ed.Values().ByName(protoreflect.Name(s))
		if v == nil {
			report(strconv.Quote(s), true)
			return 0, nil
		}
		return int32(v.Number()), nil
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

// enumWalker walks a JSON value along a message schema (Any values
// resolved from the linked types) and reports the enum values the schema
// does not define. It validates the JSON as Skip does, and reads nothing
// else.
type enumWalker struct {
	path   []string
	report func(unknownEnum)
}

func (w *enumWalker) where() string {
	var b strings.Builder
	for _, p := range w.path {
		if b.Len() > 0 && p[0] != '[' {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

const anyFullName = "google.protobuf.Any"

// message walks a message value.
func (w *enumWalker) message(d *jsonscan.Decoder, md protoreflect.MessageDescriptor) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	if md.FullName() == anyFullName {
		_, err := readAny(d, func(typeURL string) (fieldFunc, error) {
			mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
			if err != nil || mt.Descriptor().FullName().Parent() == "google.protobuf" {
				// Unknown types are dropped; well-known types (in "value")
				// hold no enum but NullValue.
				return skipFields, nil
			}
			inner := mt.Descriptor()
			return func(key []byte, d *jsonscan.Decoder) error { return w.member(d, inner, key) }, nil
		})
		return err
	}
	if md.FullName().Parent() == "google.protobuf" {
		// Well-known types have their own JSON forms (durations, structs,
		// wrappers) and hold no enum but NullValue.
		return d.Skip()
	}
	return d.Object(func(key []byte) error { return w.member(d, md, key) })
}

// fieldOf finds a field by its JSON name or its proto name, both of which
// protobuf's JSON mapping accepts.
func fieldOf(md protoreflect.MessageDescriptor, key []byte) protoreflect.FieldDescriptor {
	fields := md.Fields()
	if fd := fields.ByJSONName(string(key)); fd != nil {
		return fd
	}
	return fields.ByTextName(string(key))
}

// member walks the value of one member of an object of message md.
func (w *enumWalker) member(d *jsonscan.Decoder, md protoreflect.MessageDescriptor, key []byte) error {
	fd := fieldOf(md, key)
	if fd == nil {
		return d.Skip() // unknown fields are discarded
	}
	w.path = append(w.path, string(key))
	err := w.value(d, fd)
	w.path = w.path[:len(w.path)-1]
	return err
}

func (w *enumWalker) value(d *jsonscan.Decoder, fd protoreflect.FieldDescriptor) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	switch {
	case fd.IsMap():
		vd := fd.MapValue()
		if k, err := d.Peek(); err != nil || k != jsonscan.Object {
			return d.Skip()
		}
		return d.Object(func(key []byte) error {
			w.path = append(w.path, "["+strconv.Quote(string(key))+"]")
			err := w.single(d, vd)
			w.path = w.path[:len(w.path)-1]
			return err
		})
	case fd.IsList():
		if k, err := d.Peek(); err != nil || k != jsonscan.Array {
			return d.Skip()
		}
		return d.Array(func(i int) error {
			w.path = append(w.path, "["+strconv.Itoa(i)+"]")
			err := w.single(d, fd)
			w.path = w.path[:len(w.path)-1]
			return err
		})
	}
	return w.single(d, fd)
}

func (w *enumWalker) single(d *jsonscan.Decoder, fd protoreflect.FieldDescriptor) error {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		ed := fd.Enum()
		if ed.FullName() == "google.protobuf.NullValue" {
			return d.Skip()
		}
		if k, err := d.Peek(); err != nil || (k != jsonscan.String && k != jsonscan.Number) {
			return d.Skip()
		}
		_, err := checkEnum(d, ed, func(value string, byName bool) {
			w.report(unknownEnum{path: w.where(), value: value, byName: byName, enum: ed})
		})
		return err
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if k, err := d.Peek(); err != nil || (k != jsonscan.Object && k != jsonscan.Null && fd.Message().FullName().Parent() != "google.protobuf") {
			return d.Skip()
		}
		return w.message(d, fd.Message())
	}
	return d.Skip()
}

// enumNotes walks raw, the JSON of a message md, and returns a note, under
// where, for every enum value md's schema does not define.
func enumNotes(raw []byte, md protoreflect.MessageDescriptor, where string) ([]Note, error) {
	var notes []Note
	w := &enumWalker{report: func(u unknownEnum) { notes = append(notes, u.note(where)) }}
	if err := w.message(jsonscan.NewBytes(raw), md); err != nil {
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
	if err := w.message(jsonscan.NewBytes(raw), md); err != nil {
		return err
	}
	return first
}
