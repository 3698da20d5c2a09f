package kube

import "strings"

// stringSliceValue is a pflag.Value that accumulates repeated and
// comma-separated values, replacing ConfigFlags' single --context.
type stringSliceValue struct {
	values  *[]string
	changed bool
}

func newStringSliceValue(p *[]string) *stringSliceValue { return &stringSliceValue{values: p} }

func (s *stringSliceValue) Set(v string) error {
	if !s.changed {
		*s.values = nil
		s.changed = true
	}
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*s.values = append(*s.values, part)
		}
	}
	return nil
}

func (s *stringSliceValue) Type() string   { return "strings" }
func (s *stringSliceValue) String() string { return strings.Join(*s.values, ",") }
