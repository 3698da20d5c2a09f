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
// as base64 (inline_bytes, binaryData, annotations), on one line or
// wrapped: a run goes on across line breaks, raw or escaped (\n in JSON),
// so that the lines after the first of a wrapped key go too. A scanner
// rather than a regular expression: dumps are tens of MB.
func scrubBase64(data []byte) ([]byte, int) {
	var out []byte
	n, last := 0, 0
	for i := 0; i < len(data); {
		if !isBase64(data[i]) {
			i++
			continue
		}
		j, chars := i, 0
		for j < len(data) {
			switch c := data[j]; {
			case isBase64(c) || c == '=':
				j++
				chars++
				continue
			case c == '\n' || c == '\r':
				j++
				continue
			case c == '\\' && j+1 < len(data) && (data[j+1] == 'n' || data[j+1] == 'r'):
				j += 2
				continue
			}
			break
		}
		if chars >= minBase64Run && encodesPrivateKey(data[i:j]) {
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

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// encodesPrivateKey reports whether a base64 run (line breaks, raw or
// escaped, left in) decodes to text holding a PEM private key.
func encodesPrivateKey(run []byte) bool {
	clean := make([]byte, 0, len(run))
	for i := 0; i < len(run); i++ {
		switch c := run[i]; {
		case c == '\n' || c == '\r':
		case c == '\\' && i+1 < len(run):
			i++
		default:
			clean = append(clean, c)
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		dec := make([]byte, enc.DecodedLen(len(clean)))
		k, err := enc.Decode(dec, clean)
		if err != nil && k == 0 {
			continue
		}
		dec = dec[:k]
		if bytes.Contains(dec, beginMarker) && bytes.Contains(dec, privateKeyMarker) {
			return true
		}
	}
	return false
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
