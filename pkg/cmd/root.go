// Package cmd assembles the kubectl-vd command tree. Each sub-command lives in
// its own package under pkg/cmd and follows kubectl's pattern: an Options
// struct with Complete, Validate and Run, flags bound in NewCmdX, and
// IOStreams injected so that every command runs in tests without a terminal.
package cmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	cmdbundle "github.com/kubectl-vd/kubectl-vd/pkg/cmd/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/clusters"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/completion"
	cmddiff "github.com/kubectl-vd/kubectl-vd/pkg/cmd/diff"
	cmddrift "github.com/kubectl-vd/kubectl-vd/pkg/cmd/drift"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/endpoints"
	cmdexplain "github.com/kubectl-vd/kubectl-vd/pkg/cmd/explain"
	cmdfailover "github.com/kubectl-vd/kubectl-vd/pkg/cmd/failover"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/find"
	cmdreport "github.com/kubectl-vd/kubectl-vd/pkg/cmd/report"
	cmdtrace "github.com/kubectl-vd/kubectl-vd/pkg/cmd/trace"
	cmdversion "github.com/kubectl-vd/kubectl-vd/pkg/cmd/version"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// NewRootCmd returns the `kubectl vd` command with every sub-command.
func NewRootCmd(streams genericiooptions.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-vd",
		Short: "Show what Gloo Mesh translated a parent into, in every cluster",
		Long: `kubectl vd finds, compares and explains the Istio objects that Gloo Mesh
translated from a VirtualDestination, RouteTable, VirtualGateway, ExternalService
or policy, across one or many clusters, down to the Envoy clusters and endpoints.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// kubectl runs plugins as kubectl-vd; users type "kubectl vd".
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl vd"},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.UsageErrorf("%v", err)
	})
	var verbosity int
	root.PersistentFlags().IntVarP(&verbosity, "v", "v", 0,
		"Log level of the Kubernetes client, as kubectl's -v: 6 shows each request, 8 also the response bodies")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		return setClientLogging(verbosity, streams.ErrOut)
	}

	// Every sub-command, listed here as kubectl's NewKubectlCommand does.
	root.AddCommand(
		find.NewCmdFind(streams),
		cmddiff.NewCmdDiff(streams),
		cmdexplain.NewCmdExplain(streams),
		cmdfailover.NewCmdFailover(streams),
		cmddrift.NewCmdDrift(streams),
		clusters.NewCmdClusters(streams),
		endpoints.NewCmdEndpoints(streams),
		cmdbundle.NewCmdBundle(streams),
		cmdreport.NewCmdReport(streams),
		cmdtrace.NewCmdTrace(streams),
		completion.NewCmdCompletion(streams),
		cmdversion.NewCmdVersion(streams),
	)
	cmdversion.AddVersionFlag(root)
	return root
}

// Execute runs the command line and returns the process exit status. Errors
// are printed as one line on stderr, never as a stack trace.
func Execute(args []string, streams genericiooptions.IOStreams) int {
	// client-go logs through klog what it also returns as errors (memcache's
	// "Couldn't get current server API group list", cancelled requests):
	// each failure is reported once, by the command, as one line.
	klog.SetLogger(logr.Discard())
	// Ctrl-C cancels every request in flight; the command then ends with
	// one line instead of one error per request. A second Ctrl-C kills at
	// once, as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	root := NewRootCmd(streams)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var exit *cmdutil.ExitError
	if ctx.Err() != nil {
		// A command that had said all it had to (a watch ending on Ctrl-C)
		// keeps its exit status; anything else was cut short.
		if errors.As(err, &exit) && exit.Err == nil {
			return exit.Code
		}
		fmt.Fprintln(streams.ErrOut, "error: interrupted")
		return 130
	}
	if errors.As(err, &exit) {
		if exit.Err != nil {
			printError(streams, cmd, exit.Err)
		}
		return exit.Code
	}
	printError(streams, cmd, err)
	return 1
}

// setClientLogging routes client-go's klog output to w at the given level,
// or discards it at level 0 (the default), where each failure is reported
// once by the command instead.
func setClientLogging(level int, w io.Writer) error {
	// kubectl takes a negative level as 0.
	level = max(level, 0)
	// klog.V(n) is gated by the global verbosity, so set it either way.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Set("v", strconv.Itoa(level)); err != nil {
		return err
	}
	if level == 0 {
		klog.SetLogger(logr.Discard())
		return nil
	}
	klog.SetLogger(textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(level), textlogger.Output(w))))
	return nil
}

// printError writes err as one line; a usage error also points at the
// help of the command it concerns, as kubectl's do.
func printError(streams genericiooptions.IOStreams, cmd *cobra.Command, err error) {
	// One line: multi-line messages from libraries are folded.
	msg := kube.OneLine(err.Error())
	// cobra says "unknown command" for a sub-command that does not exist.
	if cmd != nil && (cmdutil.IsUsage(err) || strings.HasPrefix(msg, "unknown command ")) {
		if !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, ".") {
			msg += "."
		}
		msg += fmt.Sprintf(" See '%s -h' for help and examples", cmd.CommandPath())
	}
	fmt.Fprintf(streams.ErrOut, "error: %s\n", msg)
}
