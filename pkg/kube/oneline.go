package kube

import "strings"

// OneLine folds a message onto one line: every run of white space (line
// breaks of multi-line library errors, the non-breaking spaces protobuf puts
// in its errors) becomes one space. Errors are wrapped with %w on their way
// up and folded once, where they are printed or kept as text.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
