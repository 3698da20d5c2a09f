package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// state is what an environment records about itself on disk, in
// <cache>/run/<name>.json, rewritten each time it starts a process: enough
// for a later run to stop exactly the processes of a run that was killed
// before it could clean up, and for `demo down` to stop detached clusters.
type state struct {
	Name string `json:"name"`
	// Owner is the process that started the environment: while it lives
	// the environment is in use and never reaped.
	Owner    process `json:"owner"`
	Detached bool    `json:"detached"`
	// Dir is the environment's folder, removed with it; only a folder
	// holding dirMarker is ever removed.
	Dir        string `json:"dir"`
	Kubeconfig string `json:"kubeconfig"`
	Kwok       bool   `json:"kwok,omitempty"`
	// OnlyClusterContexts: see Options.
	OnlyClusterContexts bool           `json:"onlyClusterContexts,omitempty"`
	Clusters            []clusterState `json:"clusters"`
}

type clusterState struct {
	Name      string     `json:"name"`
	Port      int        `json:"port"`
	EtcdPort  int        `json:"etcdPort"`
	KwokPort  int        `json:"kwokPort,omitempty"`
	AuditLog  string     `json:"auditLog,omitempty"`
	Processes []*process `json:"processes"`
}

// dirMarker marks a folder the harness created.
const dirMarker = ".kubectl-vd-env"

func runDir() (string, error) {
	c, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, "run"), nil
}

func statePath(name string) (string, error) {
	d, err := runDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, name+".json"), nil
}

func writeState(path string, st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readState(path string) (*state, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st := &state{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// ownerAlive reports whether the process that started an environment still
// runs.
func (st *state) ownerAlive() bool {
	if st.Owner.PID == os.Getpid() {
		return true
	}
	return st.Owner.isSame()
}

// stopRecorded stops the processes a state records that still run (checking
// each one's identity first), apiservers and kwok before etcd, then removes
// the environment's folder and the state file.
func stopRecorded(st *state, path string) {
	done := make(chan struct{}, len(st.Clusters))
	for _, c := range st.Clusters {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, p := range stopOrder(c.Processes) {
				p.stop(stopGrace)
			}
		}()
	}
	for range st.Clusters {
		<-done
	}
	removeEnvDir(st.Dir)
	_ = os.Remove(path)
}

// stopOrder stops processes in the reverse order of their start (proxies,
// istiod, kwok, then the apiserver: each talks to the ones started before
// it), and etcd last: an apiserver whose etcd is gone hangs in shutdown
// until SIGKILL.
func stopOrder(ps []*process) []*process {
	var out, etcd []*process
	for i := len(ps) - 1; i >= 0; i-- {
		p := ps[i]
		if p == nil {
			continue
		}
		if strings.HasSuffix(p.Name, "/"+Etcd) {
			etcd = append(etcd, p)
		} else {
			out = append(out, p)
		}
	}
	return append(out, etcd...)
}

func removeEnvDir(dir string) {
	if dir == "" {
		return
	}
	if _, err := os.Stat(filepath.Join(dir, dirMarker)); err != nil {
		return
	}
	_ = os.RemoveAll(dir)
}

// reapLeftovers stops the processes of earlier test runs that were killed
// before they could stop them (their owner is gone), and only those:
// detached environments and environments of live processes are left alone.
func reapLeftovers(log io.Writer) {
	dir, err := runDir()
	if err != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		st, err := readState(path)
		if err != nil {
			// A half-written file of a dead run: only remove it when
			// old enough that no live run can be writing it.
			if info, serr := os.Stat(path); serr == nil && time.Since(info.ModTime()) > time.Hour {
				_ = os.Remove(path)
			}
			continue
		}
		if st.Detached || st.ownerAlive() {
			continue
		}
		n := 0
		for _, c := range st.Clusters {
			for _, p := range c.Processes {
				if p != nil && p.alive() {
					n++
				}
			}
		}
		if n > 0 && log != nil {
			fmt.Fprintf(log, "stopping %d leftover processes of the killed run %s\n", n, st.Name)
		}
		stopRecorded(st, path)
	}
}

// StopDetached stops the environment started with Options{Detach: true,
// Name: name} by an earlier process, and whatever of it still runs after a
// crash. It reports whether there was anything to stop.
func StopDetached(name string) (bool, error) {
	path, err := statePath(name)
	if err != nil {
		return false, err
	}
	st, err := readState(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		_ = os.Remove(path)
		return true, err
	}
	if !st.Detached && st.ownerAlive() {
		return false, fmt.Errorf("environment %s belongs to the running process %d", name, st.Owner.PID)
	}
	stopRecorded(st, path)
	return true, nil
}
