// Package textdiff finds where two texts first differ, for messages that
// name one line rather than print both texts.
package textdiff

import "strings"

// FirstLine returns the 1-based number of the first line where a and b
// differ, with that line of each (empty past the end); 0 when they are the
// same.
func FirstLine(a, b string) (n int, lineA, lineB string) {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return i + 1, x, y
		}
	}
	return 0, "", ""
}
