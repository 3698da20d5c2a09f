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

// base64Run is a run of base64 text long enough to hold a PEM header:
// Envoy's config dumps and Kubernetes objects carry key files as base64
// (inline_bytes, ConfigMap binaryData, annotations).
var base64Run = regexp.MustCompile(`[A-Za-z0-9+/]{40,}={0,2}`)

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
	data = base64Run.ReplaceAllFunc(data, func(run []byte) []byte {
		if !encodesPrivateKey(run) {
			return run
		}
		n++
		return []byte(Scrubbed)
	})
	return data, n
}

// encodesPrivateKey reports whether a base64 run decodes to text holding a
// PEM private key.
func encodesPrivateKey(run []byte) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding} {
		dec := make([]byte, enc.DecodedLen(len(run)))
		k, err := enc.Decode(dec, run)
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
