package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one program the harness started: an etcd, a kube-apiserver or
// a kwok. Its identity (PID and kernel start time) is recorded in the state
// file, so that a later run can stop it after this one was SIGKILLed without
// ever signalling an unrelated process that reused the PID.
type process struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// StartTime is the process start time in clock ticks since boot
	// (/proc/PID/stat field 22); 0 where /proc does not exist.
	StartTime uint64 `json:"startTime,omitempty"`
	Exe       string `json:"exe"`
	Log       string `json:"log"`

	// done is closed when the process has exited; nil for a process
	// that is not a child of this one (read back from a state file).
	done chan struct{}
	err  error
}

// stopGrace is how long a process gets between SIGTERM and SIGKILL.
const stopGrace = 5 * time.Second

// startProcess runs exe in its own process group (its own session when
// detached, so that it outlives this process and its terminal), with stdout
// and stderr appended to logPath.
func startProcess(name, exe string, args []string, env []string, logPath string, detach bool) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child keeps its own copy of the descriptor
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()

	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stdin = devnull
	cmd.Stdout = logf
	cmd.Stderr = logf
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		// Its own group: a Ctrl-C in the terminal reaches only the test
		// process, which stops the servers in order (apiserver before
		// etcd) instead of all of them dying at once.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{Name: name, PID: cmd.Process.Pid, Exe: exe, Log: logPath}
	p.StartTime, _ = procStartTime(p.PID)
	if detach {
		// Nobody will wait for it here: init adopts it when this
		// process exits.
		_ = cmd.Process.Release()
		return p, nil
	}
	p.done = make(chan struct{})
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// alive reports whether the process still runs (and is still the process
// that was started, not a reuse of its PID).
func (p *process) alive() bool {
	if p == nil {
		return false
	}
	if p.done != nil {
		select {
		case <-p.done:
			return false
		default:
			return true
		}
	}
	return p.isSame()
}

// isSame checks that PID still names the recorded process.
func (p *process) isSame() bool {
	if p.PID <= 0 {
		return false
	}
	if err := syscall.Kill(p.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st, err := procStartTime(p.PID)
	if err != nil {
		// Without /proc the identity cannot be checked: never signal
		// what might be somebody else's process.
		return false
	}
	if st != p.StartTime {
		return false
	}
	if state, err := procState(p.PID); err == nil && state == "Z" {
		return false
	}
	return true
}

// exited returns a channel closed once the process is gone.
func (p *process) exited() <-chan struct{} {
	if p.done != nil {
		return p.done
	}
	ch := make(chan struct{})
	go func() {
		for p.isSame() {
			time.Sleep(50 * time.Millisecond)
		}
		close(ch)
	}()
	return ch
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	if !p.alive() {
		return
	}
	gone := p.exited()
	p.signal(syscall.SIGTERM)
	select {
	case <-gone:
		return
	case <-time.After(grace):
	}
	p.signal(syscall.SIGKILL)
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
	}
}

// signal signals the process group the process leads (it was started as
// its leader), falling back to the process alone.
func (p *process) signal(sig syscall.Signal) {
	if !p.alive() {
		return
	}
	if err := syscall.Kill(-p.PID, sig); err != nil {
		_ = syscall.Kill(p.PID, sig)
	}
}

// logTail returns the last lines of the process's log, for error messages.
func (p *process) logTail(lines int) string {
	data, err := os.ReadFile(p.Log)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// procStat returns the fields of /proc/PID/stat after the command name.
func procStat(pid int) ([]string, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return strings.Fields(s[i+1:]), nil
}

// procStartTime is field 22 of /proc/PID/stat (the 20th after the name).
func procStartTime(pid int) (uint64, error) {
	f, err := procStat(pid)
	if err != nil {
		return 0, err
	}
	if len(f) < 20 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64)
}

func procState(pid int) (string, error) {
	f, err := procStat(pid)
	if err != nil {
		return "", err
	}
	return f[0], nil
}

// RSS returns the resident memory of a process in bytes (Linux only).
func rss(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, err := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024, err
			}
		}
	}
	return 0, errors.New("no VmRSS")
}
