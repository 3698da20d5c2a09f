// Command demo starts two local clusters loaded with examples/bookinfo, each
// with a real istiod and the Envoy of its proxy pods played by xds-proxy
// (test/harness), and shows kubectl-vd at work on them; the clusters keep running afterwards so
// that one can try other commands. `make demo` and `make demo-down` run it.
//
// Usage:
//
//	go run ./test/cmd/demo up --bin bin/kubectl-vd
//	go run ./test/cmd/demo down
//
// `up` reuses clusters a previous `up` left running when they still answer,
// else stops whatever is left of them and starts new ones. The clusters,
// their kubeconfig and state live in ${XDG_CACHE_HOME:-~/.cache}/kubectl-vd/demo.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
	"github.com/kubectl-vd/kubectl-vd/test/meshenv"
)

// envName names the demo's state file in the harness's run folder.
const envName = "demo"

// fileCommands run first, on the example files, before any cluster is
// built.
var fileCommands = [][]string{
	{"find", "productpage", "-n", "bookinfo-frontends", "-f", "examples/bookinfo/cluster1", "-f", "examples/bookinfo/cluster2"},
	{"diff", "productpage", "-n", "bookinfo-frontends", "-f", "examples/bookinfo/cluster1", "-f", "examples/bookinfo/cluster2"},
	{"explain", "productpage", "-n", "bookinfo-frontends", "-f", "examples/bookinfo/cluster1", "-f", "examples/bookinfo/cluster2"},
}

// commands are what the demo runs, in order, after `kubectl vd`.
var commands = [][]string{
	{"find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2"},
	{"diff", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1", "--context", "cluster2"},
	{"explain", "productpage", "-n", "bookinfo-frontends", "--all-contexts"},
	// What istiod computed from the translations, read live from the
	// proxies' admin APIs through port-forwards.
	{"clusters", "productpage-v1-a", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "-o", "wide"},
	{"endpoints", "productpage-v1-a", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--vd", "productpage", "--vd-namespace", "bookinfo-frontends", "-o", "wide"},
}

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:], os.Stdout)
	case "down":
		err = down(os.Args[2:], os.Stdout)
	case "-h", "--help", "help":
		usage(os.Stdout)
		return
	default:
		fmt.Fprintf(os.Stderr, "demo: unknown command %q\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: demo up --bin PATH-TO-kubectl-vd | demo down")
}

func demoDir() (string, error) {
	c, err := harness.CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, envName), nil
}

func up(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	bin := fs.String("bin", "bin/kubectl-vd", "the kubectl-vd binary to run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("up: unexpected argument %q", fs.Arg(0))
	}
	binary, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	if st, err := os.Stat(binary); err != nil || st.IsDir() {
		return fmt.Errorf("no kubectl-vd binary at %s: build it first (make build)", binary)
	}
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	dir, err := demoDir()
	if err != nil {
		return err
	}

	// Ctrl-C while starting stops what was started (the harness does it
	// for a starting environment); afterwards it only ends the commands.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// At once, before any cluster exists: the same commands on the
	// example translation as files, so a newcomer sees the plugin's job
	// within a minute.
	fmt.Fprintln(out, "kubectl vd on the example translation saved as files (examples/bookinfo/cluster1 and cluster2):")
	fmt.Fprintln(out)
	for _, args := range fileCommands {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		runCommandIn(ctx, out, binary, root, "", args)
	}
	fmt.Fprintln(out, `Next, the same on live clusters: two real kube-apiservers with etcd, kwok for the pods and
Istio's own istiod, started on this machine (no Docker, no cluster of your own). The first run
builds them from source, once (about 15 to 25 minutes on 2 cores; cached in
~/.cache/kubectl-vd/tools), because the plugin is shown and tested against real API servers
and a real control plane, not fakes; later runs start in seconds.`)
	fmt.Fprintln(out)

	env, err := harness.Attach(ctx, envName)
	if err == nil {
		// Clusters of an older demo, without istiod, are not reused.
		if _, ierr := env.IstiodDebug(env.Clusters()[0], "/ready"); ierr != nil {
			err = ierr
		}
	}
	reused := true
	if err == nil {
		fmt.Fprintf(out, "reusing the demo clusters already running (stop them with `make demo-down`)\n")
	} else {
		if stopped, serr := harness.StopDetached(envName); serr != nil {
			return fmt.Errorf("stopping what is left of earlier demo clusters: %w", serr)
		} else if stopped {
			fmt.Fprintf(out, "stopped what was left of earlier demo clusters (%v)\n", err)
		}
		fmt.Fprintln(out, "starting 2 local clusters (etcd + kube-apiserver + kwok + istiod each, Istio and Gloo Mesh CRDs)...")
		env, err = harness.Start(ctx, harness.Options{Clusters: 2, Name: envName, Dir: dir, Detach: true, OnlyClusterContexts: true, Kwok: true, Istiod: true, Log: out})
		if err != nil {
			return err
		}
		proxies, err := meshenv.Load(ctx, env, root)
		if err != nil {
			return err
		}
		for _, c := range env.Clusters() {
			fmt.Fprintf(out, "loaded examples/bookinfo and examples/bookinfo/kubernetes into %s: %d proxies receive istiod's configuration\n", c, len(proxies[c]))
		}
		reused = false
	}

	// Reused clusters keep their proxies; the translations are applied
	// again in case they changed.
	for _, c := range env.Clusters() {
		if !reused {
			break
		}
		src := filepath.Join(root, "examples", "bookinfo", c)
		if _, err := os.Stat(src); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(out, "no %s: %s left empty\n", src, c)
			continue
		}
		if err := env.Apply(c, src); err != nil {
			return err
		}
		fmt.Fprintf(out, "loaded %s into %s\n", rel(root, src), c)
	}

	// kubectl finds plugins on PATH: the built one is in the folder of
	// binary.
	fmt.Fprintf(out, "\nkubeconfig: %s\ncontexts: %s\n\n    export KUBECONFIG=%s\n    export PATH=%s:$PATH\n\n",
		env.Kubeconfig, strings.Join(env.Contexts(), ", "), env.Kubeconfig, filepath.Dir(binary))

	for _, args := range commands {
		if ctx.Err() != nil {
			break
		}
		runCommand(ctx, out, binary, env.Kubeconfig, args)
	}
	fmt.Fprintf(out, "the clusters keep running: try more commands with the export above; stop them with `make demo-down`\n")
	return nil
}

// runCommand echoes and runs one plugin command; a failure (say, a command
// that does not exist yet) is shown and the demo goes on.
func runCommand(ctx context.Context, out io.Writer, binary, kubeconfig string, args []string) {
	runCommandIn(ctx, out, binary, "", kubeconfig, args)
}

// runCommandIn is runCommand in a folder (for relative file names), with
// no kubeconfig when kubeconfig is "".
func runCommandIn(ctx context.Context, out io.Writer, binary, dir, kubeconfig string, args []string) {
	fmt.Fprintf(out, "$ kubectl vd %s\n", strings.Join(args, " "))
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	if kubeconfig == "" {
		kubeconfig = os.DevNull
	}
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			fmt.Fprintf(out, "(exit status %d)\n", ee.ExitCode())
		} else {
			fmt.Fprintf(out, "(%v)\n", err)
		}
	}
	fmt.Fprintln(out)
}

func down(args []string, out io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("down: unexpected argument %q", args[0])
	}
	stopped, err := harness.StopDetached(envName)
	if err != nil {
		return err
	}
	if stopped {
		fmt.Fprintln(out, "demo clusters stopped")
	} else {
		fmt.Fprintln(out, "no demo clusters running")
	}
	return nil
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return r
	}
	return p
}
