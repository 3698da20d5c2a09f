package diff

// A line diff (Myers' O(ND) algorithm) and its grouping into the hunks of a
// unified diff.

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

// lineDiff returns a shortest edit script turning a into b.
func lineDiff(a, b []string) []edit {
	n, m := len(a), len(b)
	max := n + m
	if max == 0 {
		return nil
	}
	off := max + 1
	v := make([]int, 2*max+3)
	var trace [][]int
	var x, y int
search:
	for d := 0; d <= max; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y = x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				break search
			}
		}
	}
	// Walk the trace back from (n, m).
	x, y = n, m
	var rev []edit
	for d := len(trace) - 1; d >= 0; d-- {
		v := trace[d]
		k := x - y
		var prevK int
		if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := v[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, edit{op: opEqual, a: x, b: y})
		}
		if d > 0 {
			if x == prevX {
				y--
				rev = append(rev, edit{op: opInsert, a: x, b: y})
			} else {
				x--
				rev = append(rev, edit{op: opDelete, a: x, b: y})
			}
		}
		x, y = prevX, prevY
	}
	out := make([]edit, len(rev))
	for i := range rev {
		out[i] = rev[len(rev)-1-i]
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
