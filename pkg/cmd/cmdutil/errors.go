// Package cmdutil holds what every kubectl-vd command shares: exit status
// handling and the validation of user input.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ExitError carries a process exit status up to main. Err, when set, is
// printed as one line on stderr; a nil Err means the command already said
// everything it had to say (diff's exit 1, for instance).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an ExitError with the given code.
func Exit(code int, err error) error { return &ExitError{Code: code, Err: err} }

// UsageError is a mistake on the command line: the line that reports it
// also points at the command's help.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

func (e *UsageError) Unwrap() error { return e.Err }

// UsageError marks the error as a mistake on the command line.
func (e *UsageError) UsageError() bool { return true }

// IsUsage reports whether err is a mistake on the command line: a
// UsageError, or an error of a library that says so through a
// UsageError() bool method (pkg/source does, for flag values it checks).
func IsUsage(err error) bool {
	var u interface{ UsageError() bool }
	return errors.As(err, &u) && u.UsageError()
}

// Usage marks err (which may be nil) as a mistake on the command line.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// UsageErrorf reports a mistake on the command line.
func UsageErrorf(format string, args ...any) error {
	return Usage(fmt.Errorf(format, args...))
}

// UsageArgs makes a cobra argument check's error a usage error.
func UsageArgs(check func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error { return Usage(check(c, args)) }
}

// ValidateLabelValue checks that s can be matched by a label selector, which
// is how Gloo records parent names and namespaces on translated objects.
func ValidateLabelValue(what, s string) error {
	if s == "" {
		return fmt.Errorf("%s must not be empty", what)
	}
	if errs := validation.IsValidLabelValue(s); len(errs) > 0 {
		return fmt.Errorf("invalid %s %q: %s", what, s, strings.Join(errs, "; "))
	}
	return nil
}

// ValidateNamespace checks a namespace name (an RFC 1123 label).
func ValidateNamespace(ns string) error {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("invalid namespace %q: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}

// WithStatus gives err the exit status code unless it already carries one
// (an ExitError inside): a command exits 2 on trouble while the statuses
// its Run chose (1: findings, differences, no route) survive.
func WithStatus(code int, err error) error {
	if err == nil {
		return nil
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return err
	}
	return Exit(code, err)
}

// OneName reads the one NAME argument of a command: cmd names the
// command and kind what NAME names ("VirtualDestination", "parent").
func OneName(cmd, kind string, args []string) (string, error) {
	switch len(args) {
	case 0:
		return "", UsageErrorf("%s needs the NAME of a %s", cmd, kind)
	case 1:
		return args[0], nil
	default:
		return "", UsageErrorf("%s takes one %s NAME, got %d arguments: %s", cmd, kind, len(args), strings.Join(args, " "))
	}
}

// Command is a command's Options as kubectl's commands have them.
type Command interface {
	Complete(cmd *cobra.Command, args []string) error
	Validate() error
	Run(ctx context.Context) error
}

// Wire makes cmd run o: Complete, Validate (its errors, like the flags'
// parsing errors, are usage errors) and Run; every error gets exit status
// code unless it carries one.
func Wire(cmd *cobra.Command, o Command, code int) {
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := o.Complete(cmd, args); err != nil {
			return WithStatus(code, err)
		}
		if err := o.Validate(); err != nil {
			return WithStatus(code, Usage(err))
		}
		return WithStatus(code, o.Run(cmd.Context()))
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return WithStatus(code, Usage(err)) })
}
