package harness

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Environments that the process started and has not stopped yet: an
// interrupt (Ctrl-C, or SIGTERM from a CI runner) stops them before the
// process dies, instead of leaving servers behind.
var (
	liveMu  sync.Mutex
	live    = map[*Env]bool{}
	signals = make(chan os.Signal, 1)
	once    sync.Once
)

func track(e *Env) {
	liveMu.Lock()
	defer liveMu.Unlock()
	once.Do(func() { go onSignal() })
	if len(live) == 0 {
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	}
	live[e] = true
}

func untrack(e *Env) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if !live[e] {
		return
	}
	delete(live, e)
	if len(live) == 0 {
		// Give the signals back their default behaviour.
		signal.Stop(signals)
	}
}

func onSignal() {
	for sig := range signals {
		liveMu.Lock()
		envs := make([]*Env, 0, len(live))
		for e := range live {
			envs = append(envs, e)
		}
		liveMu.Unlock()
		var wg sync.WaitGroup
		for _, e := range envs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = e.Stop()
			}()
		}
		wg.Wait()
		// Die of the signal as the process would have without us.
		signal.Reset(sig)
		if s, ok := sig.(syscall.Signal); ok {
			_ = syscall.Kill(os.Getpid(), s)
		}
		time.Sleep(2 * time.Second)
		os.Exit(1)
	}
}
