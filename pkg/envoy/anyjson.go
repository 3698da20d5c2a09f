package envoy

import (
	"errors"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/internal/jsonscan"
)

// fieldFunc consumes the value of one member of an object.
type fieldFunc func(key []byte, d *jsonscan.Decoder) error

// readAny walks a google.protobuf.Any in its JSON form ({"@type": URL,
// fields...}). typed is called with the type URL and returns the handler of
// the other members. Envoy writes "@type" first, so the members stream
// through; members found before "@type" are buffered and replayed. An empty
// object, or one without "@type", is an empty Any (typeURL "").
func readAny(d *jsonscan.Decoder, typed func(typeURL string) (fieldFunc, error)) (string, error) {
	type member struct {
		key string
		raw []byte
	}
	var (
		pending []member
		handle  fieldFunc
		typeURL string
		seen    bool
	)
	err := d.Object(func(key []byte) error {
		if string(key) == "@type" {
			if seen {
				return errors.New(`duplicate "@type"`)
			}
			s, err := d.String()
			if err != nil {
				return err
			}
			typeURL, seen = s, true
			if handle, err = typed(s); err != nil {
				return err
			}
			for _, m := range pending {
				sub := jsonscan.NewBytes(m.raw)
				if err := handle([]byte(m.key), sub); err != nil {
					return err
				}
			}
			pending = nil
			return nil
		}
		if handle != nil {
			return handle(key, d)
		}
		k := string(key)
		raw, err := d.Capture()
		if err != nil {
			return err
		}
		pending = append(pending, member{k, raw})
		return nil
	})
	if err != nil {
		return "", err
	}
	// Without "@type" the members are unknown and the Any is empty, as
	// protobuf's JSON reader has it when told to discard unknown fields.
	return typeURL, nil
}

// typeName is the message name of a type URL
// (type.googleapis.com/envoy.config.cluster.v3.Cluster -> envoy.config.cluster.v3.Cluster).
func typeName(typeURL string) string {
	if i := strings.LastIndexByte(typeURL, '/'); i >= 0 {
		return typeURL[i+1:]
	}
	return typeURL
}

// skipNull consumes a null and reports whether there was one: protobuf's
// JSON mapping reads null as "not set" for messages, lists and scalars.
func skipNull(d *jsonscan.Decoder) (bool, error) { return d.Null() }

// stringField reads a string member (null reads as "").
func stringField(d *jsonscan.Decoder) (string, error) {
	if null, err := skipNull(d); null || err != nil {
		return "", err
	}
	return d.String()
}

// boolField reads a bool member (null reads as false).
func boolField(d *jsonscan.Decoder) (bool, error) {
	if null, err := skipNull(d); null || err != nil {
		return false, err
	}
	return d.Bool()
}

// uint32Field reads a uint32 member, as a number or a string.
func uint32Field(d *jsonscan.Decoder) (uint32, error) {
	if null, err := skipNull(d); null || err != nil {
		return 0, err
	}
	v, err := d.Uint(32)
	return uint32(v), err
}

// objectField walks an object member; null reads as an empty object.
func objectField(d *jsonscan.Decoder, fn func(key []byte) error) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	return d.Object(fn)
}

// arrayField walks an array member; null reads as an empty list.
func arrayField(d *jsonscan.Decoder, fn func(i int) error) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	return d.Array(fn)
}

// is reports whether a member key is a protobuf field, by its proto name or
// its JSON (lowerCamelCase) name, both of which the JSON mapping accepts.
func is(key []byte, protoName, jsonName string) bool {
	return string(key) == protoName || string(key) == jsonName
}
