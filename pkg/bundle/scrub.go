package bundle

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"sort"
)

// Scrubbed is the text that replaces a private key in a bundle.
const Scrubbed = "[private key scrubbed by kubectl-vd bundle]"

// pemPrivateKey matches a PEM private key block of any type (RSA, EC,
// ENCRYPTED, OPENSSH...), in plain text or inside a JSON or YAML string
// where its new lines are escaped; a block cut before its END line is
// matched to the end of its base64 text.
var pemPrivateKey = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[A-Za-z0-9+/=\s\\n]*)`)

// minBase64Run is the shortest base64 text checked: enough to hold a PEM
// header ("-----BEGIN PRIVATE KEY-----" is 40 characters in base64).
const minBase64Run = 40

var beginMarker = []byte("-----BEGIN ")
var privateKeyMarker = []byte("PRIVATE KEY-----")

// scrub replaces every PEM private key in data, plain or base64-encoded,
// and returns the new data and how many keys were replaced.
func scrub(data []byte) ([]byte, int) {
	n := 0
	if bytes.Contains(data, privateKeyMarker) {
		data = pemPrivateKey.ReplaceAllFunc(data, func([]byte) []byte {
			n++
			return []byte(Scrubbed)
		})
	}
	data, m := scrubBase64(data)
	return data, n + m
}

// scrubBase64 replaces the runs of base64 text that decode to a PEM
// private key. Envoy's config dumps and Kubernetes objects carry key files
// as base64 (inline_bytes, binaryData, annotations, KEY=VALUE lines), on
// one line or wrapped, in the standard or URL-safe alphabet, and sometimes
// encoded more than once: a run goes on across line breaks, raw or escaped
// (\n in JSON), so that the lines after the first of a wrapped key go
// too, and ends after its padding, so that "key=LS0t..." is two runs. A
// scanner rather than a regular expression: dumps are tens of MB.
func scrubBase64(data []byte) ([]byte, int) {
	var out []byte
	n, last := 0, 0
	for i := 0; i < len(data); {
		if !isBase64(data[i]) {
			i++
			continue
		}
		j, chars := runEnd(data, i)
		if chars >= minBase64Run && encodesPrivateKey(data[i:j], 0) {
			out = append(out, data[last:i]...)
			out = append(out, Scrubbed...)
			last = j
			n++
		}
		i = j
	}
	if n == 0 {
		return data, 0
	}
	return append(out, data[last:]...), n
}

// runEnd returns the end of the base64 run starting at data[i] and how
// many base64 characters it holds.
func runEnd(data []byte, i int) (int, int) {
	j, chars := i, 0
	for j < len(data) {
		switch c := data[j]; {
		case isBase64(c):
			j++
			chars++
			continue
		case c == '=':
			// Padding ends a run.
			for j < len(data) && data[j] == '=' {
				j++
				chars++
			}
			return j, chars
		case c == '\n' || c == '\r':
			j++
			continue
		case c == '\\' && j+1 < len(data) && (data[j+1] == 'n' || data[j+1] == 'r'):
			j += 2
			continue
		}
		break
	}
	return j, chars
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

// maxEncodings is how many times a key may be base64-encoded and still be
// found.
const maxEncodings = 4

// dashes is what five or more dashes ("-----BEGIN") are in base64, however
// they are aligned.
var dashes = []byte("LS0t")

var encodings = []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding}

// encodesPrivateKey reports whether a base64 run (line breaks, raw or
// escaped, left in) decodes, once or up to maxEncodings times, to text
// holding a PEM private key. The run may start with letters that are not
// part of the encoded text ("xLS0t..."): every alignment is tried.
func encodesPrivateKey(run []byte, depth int) bool {
	clean := run
	if bytes.IndexAny(run, "\n\r\\=") >= 0 {
		clean = cleanRun(run)
	}
	pem := bytes.Contains(clean, dashes)
	var buf [66]byte
	for off := 0; off < 4 && off < len(clean); off++ {
		for _, enc := range encodings {
			text := clean[off:]
			if !pem {
				// Another encoding layer is text of base64 letters: decode
				// a little first, and the rest only if it is.
				if depth+1 >= maxEncodings {
					return false
				}
				head := text[:min(len(text), 88)]
				head = head[:len(head)/4*4]
				k, _ := enc.Decode(buf[:], head)
				if k < 30 || !allBase64Text(buf[:k]) {
					continue
				}
			}
			dec := make([]byte, enc.DecodedLen(len(text)))
			k, _ := enc.Decode(dec, text)
			dec = dec[:k]
			if pem && bytes.Contains(dec, beginMarker) && bytes.Contains(dec, privateKeyMarker) {
				return true
			}
			if depth+1 < maxEncodings && holdsEncodedKey(dec, depth+1) {
				return true
			}
		}
	}
	return false
}

// cleanRun drops the line breaks (raw or escaped) and padding of a run.
func cleanRun(run []byte) []byte {
	clean := make([]byte, 0, len(run))
	for i := 0; i < len(run); i++ {
		switch c := run[i]; {
		case c == '\n' || c == '\r':
		case c == '\\' && i+1 < len(run):
			i++
		case c == '=':
		default:
			clean = append(clean, c)
		}
	}
	return clean
}

// holdsEncodedKey reports whether a base64 run of data encodes a private
// key.
func holdsEncodedKey(data []byte, depth int) bool {
	for i := 0; i < len(data); {
		if !isBase64(data[i]) {
			i++
			continue
		}
		j, chars := runEnd(data, i)
		if chars >= minBase64Run && encodesPrivateKey(data[i:j], depth) {
			return true
		}
		i = j
	}
	return false
}

func allBase64Text(b []byte) bool {
	for _, c := range b {
		if !isBase64(c) && c != '=' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// HoldsPrivateKey reports whether data still holds something that looks
// like a private key, plain or base64-encoded: the last check before an
// entry is written.
func HoldsPrivateKey(data []byte) bool {
	_, n := scrub(append([]byte(nil), data...))
	return n > 0
}

// ScrubReport says, per file of the bundle, how many private keys were
// replaced.
type ScrubReport struct {
	File string `json:"file"`
	Keys int    `json:"keys"`
	// Objects name the objects of the file that held them
	// ("Kind namespace/name"), for files of objects.
	Objects []string `json:"objects,omitempty"`
}

func sortScrubs(s []ScrubReport) {
	sort.Slice(s, func(i, j int) bool { return s[i].File < s[j].File })
}
