package diff

import "testing"

// A hunk over many changed fields names a few and counts the rest, so its
// header stays one readable line however large the object.
func TestHunkHeaderNamesAFewPaths(t *testing.T) {
	cases := []struct {
		paths []string
		want  string
	}{
		{nil, ""},
		{[]string{"spec.a"}, "spec.a"},
		{[]string{"a", "b", "c", "d", "e"}, "a, b, c, d, e"},
		{[]string{"a", "b", "c", "d", "e", "f", "g"}, "a, b, c, d, e and 2 more"},
	}
	for _, tc := range cases {
		if got := joinPaths(tc.paths); got != tc.want {
			t.Errorf("joinPaths(%v) = %q, want %q", tc.paths, got, tc.want)
		}
	}
}
