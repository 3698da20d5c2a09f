//go:build tools

// Package tools pins the version of GoReleaser, which `make dist` runs to
// build the release archives, checksums and Krew manifest. It lives in its
// own module so that the plugin's go.mod never carries GoReleaser's large
// dependency graph.
package tools

import (
	_ "github.com/goreleaser/goreleaser/v2"
)
