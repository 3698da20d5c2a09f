package diff

// A line diff and its grouping into the hunks of a unified diff.

import (
	"sort"

	"github.com/pmezard/go-difflib/difflib"
)

type opKind byte

const (
	opEqual  opKind = ' '
	opDelete opKind = '-'
	opInsert opKind = '+'
)

// edit is one step of an edit script: line a of the old text (equal,
// delete) and/or line b of the new text (equal, insert).
type edit struct {
	op   opKind
	a, b int
}

// anchorAbove is the number of lines (both texts) above which lineDiff
// anchors on unique lines: below it difflib alone is fast, and its choice
// of hunks for moved blocks reads better.
const anchorAbove = 2000

// lineDiff returns an edit script turning a into b, in memory linear in
// the lines (a shortest edit script needs memory growing with the square of
// the changes). Lines that occur once in each text and in the same order
// in both (a route's name, a keyed element's key) anchor large texts; the
// stretches between anchors are matched by go-difflib (Python's difflib:
// longest runs of lines first). Without the anchors difflib's own search
// takes time growing with the square of the lines when changes are spread
// all over a large object.
func lineDiff(a, b []string) []edit {
	out := make([]edit, 0, max(len(a), len(b)))
	if len(a)+len(b) <= anchorAbove {
		return matchStretch(out, a, b, 0, len(a), 0, len(b))
	}
	x, y := 0, 0
	for _, p := range anchors(a, b) {
		out = matchStretch(out, a, b, x, p.a, y, p.b)
		out = append(out, edit{op: opEqual, a: p.a, b: p.b})
		x, y = p.a+1, p.b+1
	}
	return matchStretch(out, a, b, x, len(a), y, len(b))
}

// matchStretch appends the edits turning a[alo:ahi] into b[blo:bhi].
func matchStretch(out []edit, a, b []string, alo, ahi, blo, bhi int) []edit {
	if alo == ahi && blo == bhi {
		return out
	}
	for _, op := range difflib.NewMatcher(a[alo:ahi], b[blo:bhi]).GetOpCodes() {
		i1, i2, j1, j2 := alo+op.I1, alo+op.I2, blo+op.J1, blo+op.J2
		switch op.Tag {
		case 'e':
			for i := 0; i < i2-i1; i++ {
				out = append(out, edit{op: opEqual, a: i1 + i, b: j1 + i})
			}
		default: // replace, delete, insert: the old lines, then the new ones
			for i := i1; i < i2; i++ {
				out = append(out, edit{op: opDelete, a: i, b: j1})
			}
			for j := j1; j < j2; j++ {
				out = append(out, edit{op: opInsert, a: i2, b: j})
			}
		}
	}
	return out
}

type linePair struct{ a, b int }

// anchors returns the longest chain, increasing in both texts, of the
// lines that occur exactly once in a and once in b (patience sorting).
func anchors(a, b []string) []linePair {
	type seen struct{ na, nb, posB int }
	count := make(map[string]*seen, len(a))
	for _, l := range a {
		s := count[l]
		if s == nil {
			s = &seen{}
			count[l] = s
		}
		s.na++
	}
	for j, l := range b {
		if s := count[l]; s != nil {
			s.nb++
			s.posB = j
		}
	}
	var cands []linePair
	for i, l := range a {
		if s := count[l]; s.na == 1 && s.nb == 1 {
			cands = append(cands, linePair{i, s.posB})
		}
	}
	// Longest increasing subsequence of the b positions: tails[k] is the
	// candidate ending the best chain of length k+1 found so far.
	var tails []int
	prev := make([]int, len(cands))
	for i, c := range cands {
		k := sort.Search(len(tails), func(t int) bool { return cands[tails[t]].b >= c.b })
		if k > 0 {
			prev[i] = tails[k-1]
		} else {
			prev[i] = -1
		}
		if k == len(tails) {
			tails = append(tails, i)
		} else {
			tails[k] = i
		}
	}
	out := make([]linePair, len(tails))
	for i, k := len(tails)-1, -1; i >= 0; i-- {
		if k < 0 {
			k = tails[len(tails)-1]
		} else {
			k = prev[k]
		}
		out[i] = cands[k]
	}
	return out
}

// hunk is a run of edits with up to context equal lines around changes.
type hunk struct {
	aStart, aLen, bStart, bLen int // 0-based starts
	edits                      []edit
}

func hunks(script []edit, context int) []hunk {
	var out []hunk
	i := 0
	for i < len(script) {
		// Find the next change.
		for i < len(script) && script[i].op == opEqual {
			i++
		}
		if i == len(script) {
			break
		}
		start := i - context
		if start < 0 {
			start = 0
		}
		// Extend while the gap between changes is at most 2*context.
		end := i
		for j := i; j < len(script); j++ {
			if script[j].op != opEqual {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		stop := end + context
		if stop > len(script) {
			stop = len(script)
		}
		h := hunk{edits: script[start:stop]}
		h.aStart, h.bStart = -1, -1
		for _, e := range h.edits {
			if e.op != opInsert {
				if h.aStart < 0 {
					h.aStart = e.a
				}
				h.aLen++
			}
			if e.op != opDelete {
				if h.bStart < 0 {
					h.bStart = e.b
				}
				h.bLen++
			}
		}
		if h.aStart < 0 {
			h.aStart = h.edits[0].a
		}
		if h.bStart < 0 {
			h.bStart = h.edits[0].b
		}
		out = append(out, h)
		i = stop
	}
	return out
}
