// Package version tells which build of kubectl-vd is running. Release builds
// set Version, Commit and Date with -ldflags -X; other builds (go install,
// go build) fall back to what the Go toolchain recorded in the binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set at build time with -ldflags "-X github.com/kubectl-vd/kubectl-vd/pkg/version.Version=v0.1.0 ...".
var (
	// Version is the release, a semantic version such as v0.1.0.
	Version = ""
	// Commit is the git commit the binary was built from.
	Commit = ""
	// Date is the build date, RFC 3339 in UTC.
	Date = ""
)

// Unknown stands for a value that neither the build flags nor the Go build
// information provide.
const Unknown = "unknown"

// Info describes a build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// readBuildInfo is replaced in tests.
var readBuildInfo = debug.ReadBuildInfo

// Get returns the build information of the running binary.
func Get() Info {
	info := Info{
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if info.Version != "" && info.Commit != "" && info.Date != "" {
		return info
	}
	if bi, ok := readBuildInfo(); ok && bi != nil {
		fromBuildInfo(&info, bi)
	}
	for _, v := range []*string{&info.Version, &info.Commit, &info.Date} {
		if *v == "" {
			*v = Unknown
		}
	}
	return info
}

// fromBuildInfo fills the fields left empty by the build flags from the
// module version and the version control settings `go build` records.
func fromBuildInfo(info *Info, bi *debug.BuildInfo) {
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if info.Version == "" {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
	}
	if info.Commit == "" {
		if rev := settings["vcs.revision"]; rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if settings["vcs.modified"] == "true" {
				rev += "-dirty"
			}
			info.Commit = rev
		}
	}
	if info.Date == "" {
		info.Date = settings["vcs.time"]
	}
}

// String is the one-line form printed by `kubectl vd --version`.
func (i Info) String() string {
	return fmt.Sprintf("kubectl-vd %s (commit %s, built %s, %s %s)", i.Version, i.Commit, i.Date, i.GoVersion, i.Platform)
}

// Text is the form printed by `kubectl vd version`.
func (i Info) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Version:    %s\n", i.Version)
	fmt.Fprintf(&b, "Git commit: %s\n", i.Commit)
	fmt.Fprintf(&b, "Build date: %s\n", i.Date)
	fmt.Fprintf(&b, "Go version: %s\n", i.GoVersion)
	fmt.Fprintf(&b, "Platform:   %s\n", i.Platform)
	return b.String()
}
