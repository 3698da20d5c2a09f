// Package jsonscan reads JSON from a stream one value at a time, without
// building it in memory: a caller walks objects and arrays with callbacks,
// reads the few scalars it needs and skips (while validating) everything
// else. It is what lets an 80 MB Envoy config dump be summarised in a few
// megabytes of memory.
//
// The grammar is RFC 8259 JSON. Strings are checked for control characters
// and bad escapes; invalid UTF-8 is tolerated as encoding/json does.
package jsonscan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth bounds the nesting of arrays and objects, so that hostile input
// cannot exhaust the stack of a caller that recurses.
const MaxDepth = 10000

const bufSize = 64 << 10

// SyntaxError is malformed JSON, with the offset of the offending byte.
type SyntaxError struct {
	Offset int64
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s (at byte %d)", e.Msg, e.Offset)
}

// Kind is the kind of the next value.
type Kind byte

// Kinds of values.
const (
	Invalid Kind = iota
	Object
	Array
	String
	Number
	Bool
	Null
)

func (k Kind) String() string {
	switch k {
	case Object:
		return "object"
	case Array:
		return "array"
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "boolean"
	case Null:
		return "null"
	}
	return "invalid"
}

// Decoder reads JSON values from a stream.
type Decoder struct {
	r    io.Reader
	buf  []byte
	pos  int
	end  int
	off  int64 // input offset of buf[0]
	rerr error

	capturing bool
	capStart  int
	capBuf    []byte
	temp      bool
	tempBuf   []byte

	scratch []byte
	keyBuf  []byte
	depth   int
}

// NewDecoder reads from r through an internal buffer.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{r: r, buf: make([]byte, bufSize)}
}

// NewBytes reads from data, which must not change while the decoder is used.
// Values captured from it share its memory.
func NewBytes(data []byte) *Decoder {
	return &Decoder{buf: data, end: len(data), rerr: io.EOF}
}

// NewBytesAt is NewBytes for data that sat at offset base of a larger
// input: offsets in errors count from the start of that input.
func NewBytesAt(data []byte, base int64) *Decoder {
	d := NewBytes(data)
	d.off = base
	return d
}

// Offset is the input offset of the next unread byte.
func (d *Decoder) Offset() int64 { return d.off + int64(d.pos) }

// fill reads more input once the buffer is consumed; it reports whether any
// byte is available.
func (d *Decoder) fill() bool {
	if d.pos < d.end {
		return true
	}
	if d.rerr != nil {
		return false
	}
	if d.capturing {
		d.capBuf = append(d.capBuf, d.buf[d.capStart:d.end]...)
		d.capStart = 0
	}
	d.off += int64(d.end)
	d.pos, d.end = 0, 0
	for tries := 0; d.end == 0 && d.rerr == nil; tries++ {
		n, err := d.r.Read(d.buf)
		d.end = n
		if err != nil {
			d.rerr = err
		} else if n == 0 && tries > 100 {
			d.rerr = io.ErrNoProgress
		}
	}
	return d.end > 0
}

// readError is the error for running out of input in the middle of a value.
func (d *Decoder) readError() error {
	if d.rerr != nil && d.rerr != io.EOF {
		return d.rerr
	}
	return &SyntaxError{Offset: d.Offset(), Msg: "unexpected end of JSON input"}
}

func (d *Decoder) syntaxErr(format string, args ...any) error {
	return &SyntaxError{Offset: d.Offset(), Msg: fmt.Sprintf(format, args...)}
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= 0x80 {
		s = fmt.Sprintf("\\x%02x", c)
		return "'" + s + "'"
	}
	return "'" + s[1:len(s)-1] + "'"
}

// peek skips white space and returns the next byte without consuming it.
func (d *Decoder) peek() (byte, bool) {
	for {
		buf, pos := d.buf[:d.end], d.pos
		for pos < len(buf) {
			c := buf[pos]
			if c > ' ' || (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
				d.pos = pos
				return c, true
			}
			pos++
		}
		d.pos = pos
		if !d.fill() {
			return 0, false
		}
	}
}

// Peek returns the kind of the next value without consuming it.
func (d *Decoder) Peek() (Kind, error) {
	c, ok := d.peek()
	if !ok {
		return Invalid, d.readError()
	}
	switch {
	case c == '{':
		return Object, nil
	case c == '[':
		return Array, nil
	case c == '"':
		return String, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return Number, nil
	case c == 't' || c == 'f':
		return Bool, nil
	case c == 'n':
		return Null, nil
	}
	return Invalid, d.syntaxErr("invalid character %s looking for beginning of value", quoteChar(c))
}

// End checks that only white space follows the value just read.
func (d *Decoder) End() error {
	c, ok := d.peek()
	if !ok {
		if d.rerr != nil && d.rerr != io.EOF {
			return d.rerr
		}
		return nil
	}
	return d.syntaxErr("invalid character %s after top-level value", quoteChar(c))
}

func (d *Decoder) expect(want byte, context string) error {
	c, ok := d.peek()
	if !ok {
		return d.readError()
	}
	if c != want {
		return d.syntaxErr("invalid character %s %s", quoteChar(c), context)
	}
	d.pos++
	return nil
}

// Object reads an object, calling fn for each member with its key. fn must
// consume the member's value (read it, skip it or walk it). The key is only
// valid until fn reads from the decoder.
func (d *Decoder) Object(fn func(key []byte) error) error {
	if err := d.expect('{', "looking for beginning of object"); err != nil {
		return err
	}
	if d.depth++; d.depth > MaxDepth {
		return d.syntaxErr("exceeded max depth")
	}
	c, ok := d.peek()
	if !ok {
		return d.readError()
	}
	if c == '}' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		c, ok := d.peek()
		if !ok {
			return d.readError()
		}
		if c != '"' {
			return d.syntaxErr("invalid character %s looking for beginning of object key string", quoteChar(c))
		}
		key, err := d.stringBytes()
		if err != nil {
			return err
		}
		// The key may alias the buffer, which reading the colon can refill.
		d.keyBuf = append(d.keyBuf[:0], key...)
		key = d.keyBuf
		if err := d.expect(':', "after object key"); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		c, ok = d.peek()
		if !ok {
			return d.readError()
		}
		switch c {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return nil
		default:
			return d.syntaxErr("invalid character %s after object key:value pair", quoteChar(c))
		}
	}
}

// Array reads an array, calling fn for each element with its index. fn must
// consume the element.
func (d *Decoder) Array(fn func(i int) error) error {
	if err := d.expect('[', "looking for beginning of array"); err != nil {
		return err
	}
	if d.depth++; d.depth > MaxDepth {
		return d.syntaxErr("exceeded max depth")
	}
	c, ok := d.peek()
	if !ok {
		return d.readError()
	}
	if c == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for i := 0; ; i++ {
		if err := fn(i); err != nil {
			return err
		}
		c, ok := d.peek()
		if !ok {
			return d.readError()
		}
		switch c {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return nil
		default:
			return d.syntaxErr("invalid character %s after array element", quoteChar(c))
		}
	}
}

// String reads a string value.
func (d *Decoder) String() (string, error) {
	c, ok := d.peek()
	if !ok {
		return "", d.readError()
	}
	if c != '"' {
		k, err := d.Peek()
		if err != nil {
			return "", err
		}
		return "", d.syntaxErr("expected a string, found %s", k)
	}
	b, err := d.stringBytes()
	return string(b), err
}

// StringBytes reads a string value into memory owned by the decoder, valid
// until the next read.
func (d *Decoder) StringBytes() ([]byte, error) {
	c, ok := d.peek()
	if !ok {
		return nil, d.readError()
	}
	if c != '"' {
		k, err := d.Peek()
		if err != nil {
			return nil, err
		}
		return nil, d.syntaxErr("expected a string, found %s", k)
	}
	return d.stringBytes()
}

// stringBytes reads the string starting at d.pos (a quote). The result
// aliases the buffer when the string holds no escape and does not cross a
// refill; otherwise it lives in the scratch buffer.
func (d *Decoder) stringBytes() ([]byte, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: the whole string is in the buffer and has no escape.
	for i := d.pos; i < d.end; i++ {
		c := d.buf[i]
		if c == '"' {
			d.pos = i + 1
			return d.buf[start:i], nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	d.scratch = d.scratch[:0]
	for {
		for d.pos < d.end {
			c := d.buf[d.pos]
			switch {
			case c == '"':
				d.pos++
				return d.scratch, nil
			case c == '\\':
				d.pos++
				if err := d.escape(); err != nil {
					return nil, err
				}
			case c < 0x20:
				return nil, d.syntaxErr("invalid character %s in string literal", quoteChar(c))
			default:
				j := d.pos + 1
				for j < d.end && d.buf[j] != '"' && d.buf[j] != '\\' && d.buf[j] >= 0x20 {
					j++
				}
				d.scratch = append(d.scratch, d.buf[d.pos:j]...)
				d.pos = j
			}
		}
		if !d.fill() {
			return nil, d.readError()
		}
	}
}

func (d *Decoder) next() (byte, bool) {
	if d.pos >= d.end && !d.fill() {
		return 0, false
	}
	c := d.buf[d.pos]
	d.pos++
	return c, true
}

// escape decodes one escape sequence (after the backslash) into scratch.
func (d *Decoder) escape() error {
	c, ok := d.next()
	if !ok {
		return d.readError()
	}
	switch c {
	case '"', '\\', '/':
		d.scratch = append(d.scratch, c)
	case 'b':
		d.scratch = append(d.scratch, '\b')
	case 'f':
		d.scratch = append(d.scratch, '\f')
	case 'n':
		d.scratch = append(d.scratch, '\n')
	case 'r':
		d.scratch = append(d.scratch, '\r')
	case 't':
		d.scratch = append(d.scratch, '\t')
	case 'u':
		r, err := d.hex4()
		if err != nil {
			return err
		}
		if !utf16.IsSurrogate(r) {
			d.scratch = utf8.AppendRune(d.scratch, r)
			return nil
		}
		// A surrogate must pair with a following \uXXXX; otherwise it
		// stands for U+FFFD, as in encoding/json.
		if (d.pos >= d.end && !d.fill()) || d.buf[d.pos] != '\\' {
			d.scratch = utf8.AppendRune(d.scratch, utf8.RuneError)
			return nil
		}
		d.pos++
		c2, ok := d.next()
		if !ok {
			return d.readError()
		}
		if c2 != 'u' {
			d.scratch = utf8.AppendRune(d.scratch, utf8.RuneError)
			d.pos-- // let escape read c2
			return d.escape()
		}
		r2, err := d.hex4()
		if err != nil {
			return err
		}
		if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
			d.scratch = utf8.AppendRune(d.scratch, dec)
			return nil
		}
		d.scratch = utf8.AppendRune(d.scratch, utf8.RuneError)
		if utf16.IsSurrogate(r2) {
			r2 = utf8.RuneError
		}
		d.scratch = utf8.AppendRune(d.scratch, r2)
	default:
		return d.syntaxErr("invalid character %s in string escape code", quoteChar(c))
	}
	return nil
}

func (d *Decoder) hex4() (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		c, ok := d.next()
		if !ok {
			return 0, d.readError()
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			d.pos--
			return 0, d.syntaxErr("invalid character %s in \\u hexadecimal character escape", quoteChar(c))
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

// plain marks the bytes that need no attention inside a string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString skips a string (d.pos at its opening quote).
func (d *Decoder) skipString() error {
	d.pos++
	for {
		// Plain characters, in a tight loop.
		buf, pos := d.buf[:d.end], d.pos
		for pos < len(buf) && plain[buf[pos]] {
			pos++
		}
		d.pos = pos
		if d.pos >= d.end {
			if !d.fill() {
				return d.readError()
			}
			continue
		}
		c := d.buf[d.pos]
		switch {
		case c == '"':
			d.pos++
			return nil
		case c == '\\':
			d.pos++
			c, ok := d.next()
			if !ok {
				return d.readError()
			}
			switch c {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, err := d.hex4(); err != nil {
					return err
				}
			default:
				d.pos--
				return d.syntaxErr("invalid character %s in string escape code", quoteChar(c))
			}
		default:
			return d.syntaxErr("invalid character %s in string literal", quoteChar(c))
		}
	}
}

// NumberBytes reads a number and returns its text, valid until the next
// read.
func (d *Decoder) NumberBytes() ([]byte, error) {
	c, ok := d.peek()
	if !ok {
		return nil, d.readError()
	}
	if c != '-' && (c < '0' || c > '9') {
		k, err := d.Peek()
		if err != nil {
			return nil, err
		}
		return nil, d.syntaxErr("expected a number, found %s", k)
	}
	d.scratch = d.scratch[:0]
	if err := d.number(true); err != nil {
		return nil, err
	}
	return d.scratch, nil
}

// number scans a number at d.pos, appending it to scratch when keep is set.
func (d *Decoder) number(keep bool) error {
	take := func() (byte, bool) {
		if d.pos >= d.end && !d.fill() {
			return 0, false
		}
		return d.buf[d.pos], true
	}
	eat := func(c byte) {
		if keep {
			d.scratch = append(d.scratch, c)
		}
		d.pos++
	}
	digits := func() int {
		n := 0
		for {
			c, ok := take()
			if !ok || c < '0' || c > '9' {
				return n
			}
			eat(c)
			n++
		}
	}
	c, _ := take()
	if c == '-' {
		eat(c)
	}
	c, ok := take()
	if !ok {
		return d.readError()
	}
	switch {
	case c == '0':
		eat(c)
	case c >= '1' && c <= '9':
		digits()
	default:
		return d.syntaxErr("invalid character %s in numeric literal", quoteChar(c))
	}
	if c, ok := take(); ok && c == '.' {
		eat(c)
		if digits() == 0 {
			if c, ok := take(); ok {
				return d.syntaxErr("invalid character %s after decimal point in numeric literal", quoteChar(c))
			}
			return d.readError()
		}
	}
	if c, ok := take(); ok && (c == 'e' || c == 'E') {
		eat(c)
		if c, ok := take(); ok && (c == '+' || c == '-') {
			eat(c)
		}
		if digits() == 0 {
			if c, ok := take(); ok {
				return d.syntaxErr("invalid character %s in exponent of numeric literal", quoteChar(c))
			}
			return d.readError()
		}
	}
	return nil
}

func (d *Decoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		c, ok := d.next()
		if !ok {
			return d.readError()
		}
		if c != word[i] {
			d.pos--
			return d.syntaxErr("invalid character %s in literal %s (expecting %s)", quoteChar(c), word, quoteChar(word[i]))
		}
	}
	return nil
}

// Bool reads true or false.
func (d *Decoder) Bool() (bool, error) {
	c, ok := d.peek()
	if !ok {
		return false, d.readError()
	}
	switch c {
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	}
	k, err := d.Peek()
	if err != nil {
		return false, err
	}
	return false, d.syntaxErr("expected a boolean, found %s", k)
}

// Null consumes a null and reports true, or consumes nothing and reports
// false when the next value is not null.
func (d *Decoder) Null() (bool, error) {
	c, ok := d.peek()
	if !ok {
		return false, d.readError()
	}
	if c != 'n' {
		return false, nil
	}
	return true, d.literal("null")
}

// Skip consumes the next value, checking that it is well formed.
func (d *Decoder) Skip() error {
	// Iterative, so that deep nesting costs no stack: stack holds the open
	// containers ('{' or '[').
	var stackArr [64]byte
	stack := stackArr[:0]
	for {
		// A value is expected here.
		c, ok := d.peek()
		if !ok {
			return d.readError()
		}
		switch {
		case c == '{':
			d.pos++
			if d.depth+len(stack)+1 > MaxDepth {
				return d.syntaxErr("exceeded max depth")
			}
			c, ok := d.peek()
			if !ok {
				return d.readError()
			}
			if c == '}' {
				d.pos++
				break
			}
			stack = append(stack, '{')
			if err := d.skipKey(); err != nil {
				return err
			}
			continue
		case c == '[':
			d.pos++
			if d.depth+len(stack)+1 > MaxDepth {
				return d.syntaxErr("exceeded max depth")
			}
			c, ok := d.peek()
			if !ok {
				return d.readError()
			}
			if c == ']' {
				d.pos++
				break
			}
			stack = append(stack, '[')
			continue
		case c == '"':
			if err := d.skipString(); err != nil {
				return err
			}
		case c == '-' || (c >= '0' && c <= '9'):
			if err := d.number(false); err != nil {
				return err
			}
		case c == 't':
			if err := d.literal("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := d.literal("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := d.literal("null"); err != nil {
				return err
			}
		default:
			return d.syntaxErr("invalid character %s looking for beginning of value", quoteChar(c))
		}
		// A value ended: close containers or move to the next member.
		for {
			if len(stack) == 0 {
				return nil
			}
			c, ok := d.peek()
			if !ok {
				return d.readError()
			}
			top := stack[len(stack)-1]
			if c == ',' {
				d.pos++
				if top == '{' {
					if err := d.skipKey(); err != nil {
						return err
					}
				}
				break
			}
			if (top == '{' && c == '}') || (top == '[' && c == ']') {
				d.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			if top == '{' {
				return d.syntaxErr("invalid character %s after object key:value pair", quoteChar(c))
			}
			return d.syntaxErr("invalid character %s after array element", quoteChar(c))
		}
	}
}

// skipKey skips `"key":`.
func (d *Decoder) skipKey() error {
	c, ok := d.peek()
	if !ok {
		return d.readError()
	}
	if c != '"' {
		return d.syntaxErr("invalid character %s looking for beginning of object key string", quoteChar(c))
	}
	if err := d.skipString(); err != nil {
		return err
	}
	return d.expect(':', "after object key")
}

// Capture consumes the next value and returns its text. The result is
// owned by the caller, except for decoders made with NewBytes, where it
// shares the input.
func (d *Decoder) Capture() ([]byte, error) {
	b, _, err := d.CaptureAt()
	return b, err
}

// CaptureAt is Capture that also returns the input offset of the value.
func (d *Decoder) CaptureAt() ([]byte, int64, error) {
	if _, ok := d.peek(); !ok {
		return nil, 0, d.readError()
	}
	start := d.Offset()
	b, err := d.capture()
	return b, start, err
}

// CaptureTemp is CaptureAt into a buffer the decoder reuses: the result is
// valid until the next capture, so that a reader that keeps few of many
// values does not allocate for each.
func (d *Decoder) CaptureTemp() ([]byte, int64, error) {
	d.temp = true
	defer func() { d.temp = false }()
	return d.CaptureAt()
}

func (d *Decoder) capture() ([]byte, error) {
	if d.capturing {
		return nil, errors.New("jsonscan: nested capture")
	}
	if d.r == nil {
		start := d.pos
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return d.buf[start:d.pos:d.pos], nil
	}
	d.capturing = true
	d.capStart = d.pos
	d.capBuf = d.capBuf[:0]
	err := d.Skip()
	d.capturing = false
	if err != nil {
		return nil, err
	}
	var out []byte
	if d.temp {
		out = d.tempBuf[:0]
	} else {
		out = make([]byte, 0, len(d.capBuf)+d.pos-d.capStart)
	}
	out = append(out, d.capBuf...)
	out = append(out, d.buf[d.capStart:d.pos]...)
	if d.temp {
		d.tempBuf = out
	}
	if cap(d.capBuf) > 1<<20 {
		d.capBuf = nil
	}
	return out, nil
}

// Uint parses a JSON number or a string holding one (protobuf's JSON form
// of integers) as an unsigned integer of the given bit size.
func (d *Decoder) Uint(bits int) (uint64, error) {
	k, err := d.Peek()
	if err != nil {
		return 0, err
	}
	var text []byte
	switch k {
	case Number:
		text, err = d.NumberBytes()
	case String:
		text, err = d.stringBytes()
	default:
		return 0, d.syntaxErr("expected an integer, found %s", k)
	}
	if err != nil {
		return 0, err
	}
	return parseUint(text, bits)
}

// Int is Uint for signed integers.
func (d *Decoder) Int(bits int) (int64, error) {
	k, err := d.Peek()
	if err != nil {
		return 0, err
	}
	var text []byte
	switch k {
	case Number:
		text, err = d.NumberBytes()
	case String:
		text, err = d.stringBytes()
	default:
		return 0, d.syntaxErr("expected an integer, found %s", k)
	}
	if err != nil {
		return 0, err
	}
	return parseInt(text, bits)
}

// parseUint accepts integers, also written with a fraction or exponent when
// the value is integral (as protobuf's JSON parser does).
func parseUint(text []byte, bits int) (uint64, error) {
	if v, err := strconv.ParseUint(string(text), 10, bits); err == nil {
		return v, nil
	}
	if f, err := strconv.ParseFloat(string(text), 64); err == nil && f >= 0 && f == float64(uint64(f)) && bytes.ContainsAny(text, ".eE") {
		v := uint64(f)
		if bits < 64 && v >= 1<<uint(bits) {
			return 0, fmt.Errorf("invalid value for uint%d: %s", bits, text)
		}
		return v, nil
	}
	return 0, fmt.Errorf("invalid value for uint%d: %s", bits, text)
}

func parseInt(text []byte, bits int) (int64, error) {
	if v, err := strconv.ParseInt(string(text), 10, bits); err == nil {
		return v, nil
	}
	if f, err := strconv.ParseFloat(string(text), 64); err == nil && f == float64(int64(f)) && bytes.ContainsAny(text, ".eE") {
		v := int64(f)
		if bits < 64 && (v >= 1<<uint(bits-1) || v < -(1<<uint(bits-1))) {
			return 0, fmt.Errorf("invalid value for int%d: %s", bits, text)
		}
		return v, nil
	}
	return 0, fmt.Errorf("invalid value for int%d: %s", bits, text)
}
