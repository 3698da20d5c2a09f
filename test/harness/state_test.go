package harness

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startSleeper starts a process the way the harness starts servers.
func startSleeper(t *testing.T, name string) *process {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep program")
	}
	p, err := startProcess(name, sleep, []string{"60"}, nil, filepath.Join(t.TempDir(), "log"), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(time.Second) })
	return p
}

// deadOwner returns the identity of a process that has exited.
func deadOwner(t *testing.T) process {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	st, err := procStartTime(pid)
	if err != nil {
		t.Skip("no /proc:", err)
	}
	_ = cmd.Wait()
	return process{Name: "owner", PID: pid, StartTime: st}
}

func TestReapStopsOnlyTheProcessesOfKilledRuns(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())

	orphan := startSleeper(t, "cluster1/kube-apiserver")
	orphanDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(orphanDir, dirMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The PID of a process of the killed run now names another process:
	// same PID, other start time. It must not be signalled.
	reused := startSleeper(t, "reused")
	impostor := &process{Name: "cluster1/etcd", PID: reused.PID, StartTime: reused.StartTime + 1}
	killed := &state{Name: "killed", Owner: deadOwner(t), Dir: orphanDir,
		Clusters: []clusterState{{Name: "cluster1", Processes: []*process{impostor, {Name: orphan.Name, PID: orphan.PID, StartTime: orphan.StartTime}}}}}

	mine := startSleeper(t, "cluster1/kube-apiserver")
	self, _ := procStartTime(os.Getpid())
	running := &state{Name: "running", Owner: process{PID: os.Getpid(), StartTime: self},
		Clusters: []clusterState{{Name: "cluster1", Processes: []*process{{Name: mine.Name, PID: mine.PID, StartTime: mine.StartTime}}}}}

	demo := startSleeper(t, "cluster1/kube-apiserver")
	detached := &state{Name: "demo", Owner: deadOwner(t), Detached: true,
		Clusters: []clusterState{{Name: "cluster1", Processes: []*process{{Name: demo.Name, PID: demo.PID, StartTime: demo.StartTime}}}}}

	for _, st := range []*state{killed, running, detached} {
		path, err := statePath(st.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeState(path, st); err != nil {
			t.Fatal(err)
		}
	}

	reapLeftovers(nil)

	select {
	case <-orphan.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the process of the killed run still runs")
	}
	if _, err := os.Stat(orphanDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the folder of the killed run was not removed: %v", err)
	}
	if p, _ := statePath("killed"); fileExists(p) {
		t.Error("the state file of the killed run was not removed")
	}
	for _, p := range []*process{reused, mine, demo} {
		if !p.alive() {
			t.Errorf("%s (pid %d) was stopped; only the killed run's processes may be", p.Name, p.PID)
		}
	}
	if p, _ := statePath("running"); !fileExists(p) {
		t.Error("the state file of the running environment was removed")
	}

	// StopDetached stops the detached one, and reports nothing the
	// second time.
	if stopped, err := StopDetached("demo"); err != nil || !stopped {
		t.Fatalf("StopDetached: %v, %v", stopped, err)
	}
	// The signal is sent; this test process, its parent, reaps it.
	select {
	case <-demo.done:
	case <-time.After(10 * time.Second):
		t.Error("StopDetached left the detached process running")
	}
	if stopped, err := StopDetached("demo"); err != nil || stopped {
		t.Errorf("second StopDetached: %v, %v; want false, nil", stopped, err)
	}
	if _, err := StopDetached("running"); err == nil {
		t.Error("StopDetached stopped the environment of a running process")
	}
}

func TestStopOrderPutsEtcdLast(t *testing.T) {
	got := stopOrder([]*process{{Name: "c1/etcd"}, {Name: "c1/kube-apiserver"}, {Name: "c1/kwok"}})
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	if want := "c1/kwok c1/kube-apiserver c1/etcd"; joinSpace(names) != want {
		t.Errorf("stop order %q, want %q", joinSpace(names), want)
	}
	// Proxies stop before the istiod they talk to, istiod before the
	// apiserver it watches.
	got = stopOrder([]*process{{Name: "c1/etcd"}, {Name: "c1/kube-apiserver"}, {Name: "c1/kwok"}, {Name: "c1/istiod"}, {Name: "c1/xds-proxy-ns-a"}})
	names = nil
	for _, p := range got {
		names = append(names, p.Name)
	}
	if want := "c1/xds-proxy-ns-a c1/istiod c1/kwok c1/kube-apiserver c1/etcd"; joinSpace(names) != want {
		t.Errorf("stop order %q, want %q", joinSpace(names), want)
	}
}

func TestReservedClosedPortRefusesConnections(t *testing.T) {
	port, closePort, err := reserveClosedPort()
	if err != nil {
		t.Fatal(err)
	}
	defer closePort()
	_, err = net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", itoa(port)), 2*time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial the reserved port: %v, want connection refused", err)
	}
	if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", itoa(port))); err == nil {
		l.Close()
		t.Error("another listener could take the reserved port")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func joinSpace(s []string) string { return strings.Join(s, " ") }

func itoa(n int) string { return strconv.Itoa(n) }
