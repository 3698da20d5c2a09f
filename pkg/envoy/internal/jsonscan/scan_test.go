package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

var samples = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `-12.25E-3`, `true`, `false`, `null`,
	`{"a":[1,2,{"b":null}],"c":"x\"y\\z\u00e9\ud83d\ude00","d":{}}`,
	` [ 1 , [ [ ] ] , { "k" : "v" } ] `,
	`"\ud800"`, `"\ud800\u0041"`, `"\ud800\n"`, `"\udc00\ud800"`,
	`{"a":1,}`, `[1,]`, `[1 2]`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `1e`, `-`, `.5`,
	`"\x"`, "\"a\x01\"", `"\u12g4"`, `tru`, `nul`, `{"a":1`, `[`, `"abc`, ``, `   `,
	`{"a":1} x`, `[1]]`, `{"a":tru}`, `[--1]`, `[1e+]`, `{"a":"b"}{"c":1}`,
}

func readers(s string) map[string]func() *Decoder {
	return map[string]func() *Decoder{
		"bytes":   func() *Decoder { return NewBytes([]byte(s)) },
		"stream":  func() *Decoder { return NewDecoder(strings.NewReader(s)) },
		"onebyte": func() *Decoder { return NewDecoder(iotest.OneByteReader(strings.NewReader(s))) },
	}
}

func skipAll(d *Decoder) error {
	if err := d.Skip(); err != nil {
		return err
	}
	return d.End()
}

func TestSkipAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range samples {
		want := json.Valid([]byte(s))
		for name, mk := range readers(s) {
			err := skipAll(mk())
			if (err == nil) != want {
				t.Errorf("%s %q: Skip error %v, encoding/json valid=%v", name, s, err, want)
			}
		}
	}
}

func TestCaptureReturnsTheValue(t *testing.T) {
	doc := `{"pad":"` + strings.Repeat("x", 3*bufSize) + `","v":{"a":[1,"two",{"three":3}]},"w":2}`
	for name, mk := range readers(doc) {
		d := mk()
		var got []byte
		err := d.Object(func(key []byte) error {
			if string(key) == "v" {
				b, err := d.Capture()
				got = b
				return err
			}
			return d.Skip()
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != `{"a":[1,"two",{"three":3}]}` {
			t.Errorf("%s: captured %q", name, got)
		}
	}
}

func TestStringDecodesLikeEncodingJSON(t *testing.T) {
	for _, s := range []string{`"plain"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`,
		`"\ud800"`, `"\ud800x"`, `"\ud800\u0041"`, `"\ud800\n"`, `"\udc00"`, `"` + strings.Repeat("é", bufSize) + `\n"`} {
		var want string
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		for name, mk := range readers(s) {
			got, err := mk().String()
			if err != nil || got != want {
				t.Errorf("%s %q: got %q, %v; want %q", name, s, got, err, want)
			}
		}
	}
}

func TestObjectAndArrayWalk(t *testing.T) {
	doc := `{"list":[{"n":"a","p":"9080"},{"n":"b","p":15443}],"skip":{"x":[1,2]}}`
	for name, mk := range readers(doc) {
		d := mk()
		var got []string
		err := d.Object(func(key []byte) error {
			if string(key) != "list" {
				return d.Skip()
			}
			return d.Array(func(int) error {
				return d.Object(func(key []byte) error {
					switch string(key) {
					case "n":
						s, err := d.String()
						got = append(got, s)
						return err
					case "p":
						v, err := d.Uint(32)
						got = append(got, string(rune('0'+v%10)))
						return err
					}
					return d.Skip()
				})
			})
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Join(got, ",") != "a,0,b,3" {
			t.Errorf("%s: got %v", name, got)
		}
	}
}

func TestErrorsNameTheOffset(t *testing.T) {
	err := skipAll(NewBytes([]byte(`{"a": [1, 2 x]}`)))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 12 {
		t.Fatalf("got %v", err)
	}
	if err.Error() != "invalid character 'x' after array element (at byte 12)" {
		t.Errorf("message %q", err.Error())
	}
	err = skipAll(NewBytes([]byte(`{"a": [1, 2`)))
	if err == nil || !strings.Contains(err.Error(), "unexpected end of JSON input") {
		t.Errorf("truncated: %v", err)
	}
}

func TestDepthIsBounded(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	if err := skipAll(NewBytes([]byte(deep))); err == nil || !strings.Contains(err.Error(), "max depth") {
		t.Errorf("deep input: %v", err)
	}
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if err := skipAll(NewBytes([]byte(ok))); err != nil {
		t.Errorf("moderate depth: %v", err)
	}
}

func TestReadErrorsSurface(t *testing.T) {
	boom := errors.New("connection reset")
	d := NewDecoder(io.MultiReader(strings.NewReader(`{"a":[1,`), iotest.ErrReader(boom)))
	if err := d.Skip(); !errors.Is(err, boom) {
		t.Errorf("got %v", err)
	}
}

func TestIntegers(t *testing.T) {
	for s, want := range map[string]uint64{`9080`: 9080, `"15443"`: 15443, `1e3`: 1000, `4294967295`: 4294967295} {
		v, err := NewBytes([]byte(s)).Uint(32)
		if err != nil || v != want {
			t.Errorf("%s: %d %v", s, v, err)
		}
	}
	for _, s := range []string{`4294967296`, `-1`, `1.5`, `"x"`, `true`} {
		if _, err := NewBytes([]byte(s)).Uint(32); err == nil {
			t.Errorf("%s: accepted", s)
		}
	}
	if v, err := NewBytes([]byte(`-7`)).Int(32); err != nil || v != -7 {
		t.Errorf("int: %d %v", v, err)
	}
}

func FuzzSkip(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want := json.Valid(data)
		err := skipAll(NewBytes(data))
		if (err == nil) != want && !(err != nil && strings.Contains(err.Error(), "max depth")) {
			t.Fatalf("bytes: Skip error %v, encoding/json valid=%v", err, want)
		}
		err2 := skipAll(NewDecoder(iotest.OneByteReader(bytes.NewReader(data))))
		if (err == nil) != (err2 == nil) {
			t.Fatalf("stream and bytes disagree: %v / %v", err, err2)
		}
	})
}

// A key whose closing quote is the last byte of the buffer must survive the
// refill that reading the colon causes.
func TestKeyAtBufferEnd(t *testing.T) {
	for shift := -4; shift < 12; shift++ {
		// The closing quote of "cluster" lands at byte bufSize-1-shift.
		prefix := `{"pad":"` + strings.Repeat("x", bufSize-19-shift) + `",`
		doc := prefix + `"cluster":{"name":"a"},"tail":"` + strings.Repeat("y", bufSize) + `"}`
		d := NewDecoder(strings.NewReader(doc))
		found := false
		err := d.Object(func(key []byte) error {
			if string(key) == "cluster" {
				found = true
			}
			return d.Skip()
		})
		if err != nil || !found {
			t.Errorf("shift %d: found=%v err=%v", shift, found, err)
		}
	}
}

// TestCaptureTempReusesItsBuffer: each value is right when read, across
// buffer refills, and the next capture reuses the same memory.
func TestCaptureTempReusesItsBuffer(t *testing.T) {
	doc := `[{"a":"` + strings.Repeat("y", 2*bufSize) + `"},{"b":[1,2]},{"c":3}]`
	want := []string{`{"a":"` + strings.Repeat("y", 2*bufSize) + `"}`, `{"b":[1,2]}`, `{"c":3}`}
	for name, mk := range readers(doc) {
		d := mk()
		var got []string
		var first []byte
		err := d.Array(func(i int) error {
			b, _, err := d.CaptureTemp()
			if i == 1 {
				first = b
			}
			got = append(got, string(b))
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: value %d = %.40q, want %.40q", name, i, got[i], want[i])
			}
		}
		if name != "bytes" && string(first) == `{"b":[1,2]}` {
			t.Errorf("%s: the second capture was not overwritten by the third (buffer not reused)", name)
		}
	}
}
