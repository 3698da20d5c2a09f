package cmdutil

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// IsTerminal reports whether w is a terminal (colour is only for people).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ValidateColor checks a --color value.
func ValidateColor(mode string) error {
	switch mode {
	case "auto", "always", "never":
		return nil
	}
	return fmt.Errorf("invalid --color %q: use auto, always or never", mode)
}

// UseColor decides --color: auto colours a terminal unless NO_COLOR is set
// (https://no-color.org). isTerminal and getenv are injected for tests.
func UseColor(mode string, w io.Writer, isTerminal func(io.Writer) bool, getenv func(string) string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	return getenv("NO_COLOR") == "" && isTerminal(w)
}
