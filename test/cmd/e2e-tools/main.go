// Command e2e-tools builds the programs the end-to-end tests, the demo and
// `make dist` run (kube-apiserver, etcd, kwok, krew, validate-krew-manifest,
// goreleaser), each from its pinned module under test/tools, into
// ${XDG_CACHE_HOME:-~/.cache}/kubectl-vd/tools/NAME-VERSION, once: a tool
// already there is reused. `make tools` runs it.
//
// Usage: go run ./test/cmd/e2e-tools [-print] [NAME...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
)

func main() {
	printPaths := flag.Bool("print", false, "print NAME PATH for each tool once built")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: e2e-tools [-print] [NAME...]\nbuilds the test tools (all when none is named):")
		for _, t := range harness.Tools {
			fmt.Fprintf(flag.CommandLine.Output(), " %s", t.Name)
		}
		fmt.Fprintln(flag.CommandLine.Output())
		flag.PrintDefaults()
	}
	flag.Parse()

	// Ctrl-C stops the build; the unfinished binary is never renamed into
	// place.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	root, err := harness.RepoRoot()
	if err != nil {
		fail(err)
	}
	paths, err := harness.BuildTools(ctx, root, os.Stderr, flag.Args()...)
	if err != nil {
		fail(err)
	}
	names := flag.Args()
	if len(names) == 0 {
		for _, t := range harness.Tools {
			names = append(names, t.Name)
		}
	}
	for _, n := range names {
		if *printPaths {
			fmt.Printf("%s %s\n", n, paths[n])
		}
	}
	if !*printPaths {
		fmt.Fprintf(os.Stderr, "tools ready in %s\n", mustToolsDir())
	}
}

func mustToolsDir() string {
	d, err := harness.ToolsDir()
	if err != nil {
		fail(err)
	}
	return d
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "e2e-tools:", err)
	os.Exit(1)
}
