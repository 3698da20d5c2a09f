package version

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// set replaces the build variables and the build information for one test.
func set(t *testing.T, version, commit, date string, bi *debug.BuildInfo) {
	t.Helper()
	oldV, oldC, oldD, oldRead := Version, Commit, Date, readBuildInfo
	t.Cleanup(func() { Version, Commit, Date, readBuildInfo = oldV, oldC, oldD, oldRead })
	Version, Commit, Date = version, commit, date
	readBuildInfo = func() (*debug.BuildInfo, bool) { return bi, bi != nil }
}

func TestGetFromBuildFlags(t *testing.T) {
	set(t, "v0.1.0", "1c588cb", "2025-11-25T21:38:00Z", &debug.BuildInfo{
		GoVersion: "go0.0.0",
		Main:      debug.Module{Version: "v9.9.9"},
		Settings:  []debug.BuildSetting{{Key: "vcs.revision", Value: "ffffffffffffffff"}},
	})
	got := Get()
	want := Info{
		Version:   "v0.1.0",
		Commit:    "1c588cb",
		Date:      "2025-11-25T21:38:00Z",
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if got != want {
		t.Errorf("Get() = %+v, want %+v", got, want)
	}
}

func TestGetFallsBackToBuildInfo(t *testing.T) {
	set(t, "", "", "", &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/kubectl-vd/kubectl-vd", Version: "v0.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "67369565caf626cd88cd1445c086ee6baafed0c7"},
			{Key: "vcs.time", Value: "2025-11-25T21:46:03Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	})
	got := Get()
	if got.Version != "v0.2.0" || got.Commit != "67369565caf6-dirty" || got.Date != "2025-11-25T21:46:03Z" || got.GoVersion != "go1.26.8" {
		t.Errorf("Get() = %+v", got)
	}
}

func TestGetPartialBuildFlagsKeepsThem(t *testing.T) {
	set(t, "v0.1.0", "", "", &debug.BuildInfo{
		Main:     debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef0"}},
	})
	got := Get()
	if got.Version != "v0.1.0" || got.Commit != "abcdef0" || got.Date != Unknown {
		t.Errorf("Get() = %+v", got)
	}
}

func TestGetWithoutAnything(t *testing.T) {
	set(t, "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}})
	got := Get()
	if got.Version != Unknown || got.Commit != Unknown || got.Date != Unknown {
		t.Errorf("Get() = %+v, want every field %q", got, Unknown)
	}
	set(t, "", "", "", nil)
	if got := Get(); got.Version != Unknown || got.GoVersion != runtime.Version() {
		t.Errorf("Get() without build information = %+v", got)
	}
}

func TestForms(t *testing.T) {
	i := Info{Version: "v0.1.0", Commit: "1c588cb", Date: "2025-11-25T21:38:00Z", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	if got, want := i.String(), "kubectl-vd v0.1.0 (commit 1c588cb, built 2025-11-25T21:38:00Z, go1.26.8 linux/amd64)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	want := "Version:    v0.1.0\n" +
		"Git commit: 1c588cb\n" +
		"Build date: 2025-11-25T21:38:00Z\n" +
		"Go version: go1.26.8\n" +
		"Platform:   linux/amd64\n"
	if got := i.Text(); got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}
