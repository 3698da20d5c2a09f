// Package report implements `kubectl vd report`: one self-contained
// Markdown report of a parent across clusters, from live contexts, a
// bundle or files.
package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/bundlecmd"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/internal/complete"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/report"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
	"github.com/kubectl-vd/kubectl-vd/pkg/version"
)

const long = `Write one self-contained Markdown report of the parent NAME in NAMESPACE, to attach to an
issue or a pull request:

  header        the parent, where and when it was read, the kubectl-vd version, and per
                context its Gloo cluster, server version and what could not be read
  Translations  per cluster, a table of the objects find returns
  Differences   diff's Markdown between the first cluster and each other one
  Findings      explain's findings (for a VirtualDestination)
  Chain         explain's Mermaid diagram of the chain
  Endpoints     per proxy saved in the bundle (kubectl vd bundle --proxy), the endpoints of
                the chain's hosts with locality, priority and weight
  Trace         with --url and --bundle, kubectl vd trace's trace of that URL from the first
                proxy the bundle saved in each context

The objects are read from the selected contexts (as a bundle held in memory), from a bundle
(--bundle FILE), or from files (-f, as find -f and explain -f read them).

Exit status: 0, 1 when a context could not be read (the report says which and shows the
others), 2 on bad arguments or an unreadable bundle or file.`

const example = `  # From the live clusters
  kubectl vd report productpage -n bookinfo-frontends --context cluster1,cluster2 -o report.md

  # From a bundle, with the endpoints of the proxies it saved
  kubectl vd bundle productpage -n bookinfo-frontends --all-contexts --proxy deploy/productpage-v1 -o pp.tar.gz
  kubectl vd report productpage --bundle pp.tar.gz -o report.md

  # From files
  kubectl vd report productpage -n bookinfo-frontends -f examples/bookinfo/cluster1 -f examples/bookinfo/cluster2`

// Options holds what report needs to run.
type Options struct {
	Flags *kube.Flags

	Name      string
	Namespace string
	Kinds     []string
	cmdutil.FilenameOptions
	URL    string
	Output string
	Bundle bundlecmd.Flag

	// Now is the clock of live reads (tests set it).
	Now func() time.Time

	kinds    []string
	contexts []string
	bundle   *bundlecmd.Source

	genericiooptions.IOStreams
}

// NewOptions returns Options with defaults.
func NewOptions(streams genericiooptions.IOStreams) *Options {
	return &Options{Flags: kube.NewFlags(), Now: time.Now, IOStreams: streams}
}

// NewCmdReport returns the report command.
func NewCmdReport(streams genericiooptions.IOStreams) *cobra.Command {
	o := NewOptions(streams)
	cmd := &cobra.Command{
		Use:     "report NAME [-n NAMESPACE] [--bundle FILE | -f FILE...] [-o FILE.md]",
		Short:   "Write one Markdown report of a parent across clusters: translations, differences, findings, chain, endpoints",
		Long:    long,
		Example: example,
	}
	cmdutil.Wire(cmd, o, 2)
	o.Flags.AddFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringSliceVar(&o.Kinds, "kind", nil, "Parent kinds to match (VirtualDestination or vd, RouteTable or rt, ...); default: any")
	o.FilenameOptions.AddFlags(cmd, "Read objects from files, directories or - (stdin) instead of clusters", true)
	f.StringVar(&o.URL, "url", "", "Add the trace of this URL (http://HOST[:PORT]/PATH)")
	f.StringVarP(&o.Output, "output", "o", "", "Write the report to this file (default: standard output)")
	o.Bundle.AddTo(cmd)
	cmd.ValidArgsFunction = complete.ParentNames(o.Flags)
	complete.RegisterConnectionFlags(cmd, o.Flags)
	_ = cmd.RegisterFlagCompletionFunc("kind", complete.Kinds)
	return cmd
}

// Complete reads the arguments and where the objects come from.
func (o *Options) Complete(_ *cobra.Command, args []string) error {
	var err error
	if o.Name, err = cmdutil.OneName("report", "parent", args); err != nil {
		return err
	}
	if o.kinds, err = source.ParseKinds(o.Kinds); err != nil {
		return err
	}
	switch {
	case o.Bundle.Given():
		if o.bundle, err = o.Bundle.Open(o.Flags, o.Filenames); err != nil {
			return err
		}
		o.contexts, o.Namespace = o.bundle.Contexts, o.bundle.Namespace
	case len(o.Filenames) > 0:
		if o.Flags.AllContexts || len(o.Flags.Contexts) > 0 {
			return cmdutil.UsageErrorf("--context and --all-contexts choose live clusters; -f reads files")
		}
		if err := source.CheckPaths(o.Filenames); err != nil {
			return err
		}
		o.Namespace = "default"
		if o.Flags.Namespace != nil && *o.Flags.Namespace != "" {
			o.Namespace = *o.Flags.Namespace
		}
	default:
		if o.contexts, err = o.Flags.SelectedContexts(); err != nil {
			return err
		}
		if o.Namespace, err = o.Flags.DefaultNamespace(o.contexts); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks the input before anything is read.
func (o *Options) Validate() error {
	if err := cmdutil.ValidateLabelValue("parent name", o.Name); err != nil {
		return err
	}
	if err := cmdutil.ValidateNamespace(o.Namespace); err != nil {
		return err
	}
	if o.URL != "" {
		u, err := url.Parse(o.URL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("invalid --url %q: give http://HOST[:PORT]/PATH", o.URL)
		}
	}
	if o.Output != "" {
		if st, err := os.Stat(o.Output); err == nil && st.IsDir() {
			return fmt.Errorf("-o %s is a directory: give the report's file name", o.Output)
		}
	}
	return nil
}

// Run reads the objects and writes the report.
func (o *Options) Run(ctx context.Context) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var in report.Input
	failed := false
	switch {
	case o.bundle != nil:
		in = report.FromBundle(o.bundle.Bundle, o.contexts, o.Name, o.Namespace, o.kinds)
	case len(o.Filenames) > 0:
		var objs []source.Object
		err := source.VisitWith(o.Filenames, o.In, o.VisitOptions(), func(obj source.Object) error {
			objs = append(objs, obj)
			return nil
		})
		if err != nil {
			return err
		}
		in = report.FromFiles(objs, o.Filenames, o.Name, o.Namespace, o.kinds, version.Get().Version)
	default:
		b, err := o.readLive(ctx)
		if err != nil {
			return err
		}
		in = report.FromBundle(b, o.contexts, o.Name, o.Namespace, o.kinds)
		in.From = "contexts " + strings.Join(o.contexts, ", ")
		in.Trace.Bundle, in.Trace.Flags = nil, o.Flags
	}
	in.URL = o.URL
	for _, c := range in.Contexts {
		if c.Error != "" {
			fmt.Fprintf(o.ErrOut, "error: context %s: %s\n", c.Name, c.Error)
			failed = true
		}
	}
	var buf bytes.Buffer
	if err := report.Write(ctx, &buf, in); err != nil {
		return err
	}
	if err := o.write(buf.Bytes()); err != nil {
		return err
	}
	if failed {
		return cmdutil.Exit(1, nil)
	}
	return nil
}

// readLive reads the contexts as a bundle would, into memory.
func (o *Options) readLive(ctx context.Context) (*bundle.Bundle, error) {
	c := bundle.Capture(ctx, o.Flags, o.contexts, bundle.CaptureOptions{Name: o.Name, Namespace: o.Namespace, Kinds: o.kinds}, o.Now())
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	c.Manifest.KubectlVD = bundle.BuildInfo{Version: version.Get().Version, Commit: version.Get().Commit}
	var buf bytes.Buffer
	if _, err := bundle.Write(&buf, c); err != nil {
		return nil, err
	}
	return bundle.Read("(live)", &buf)
}

func (o *Options) write(data []byte) error {
	if o.Output == "" || o.Output == "-" {
		_, err := o.Out.Write(data)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.Output), ".kubectl-vd-report-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %s", o.Output, pathError(err))
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, bytes.NewReader(data))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), o.Output)
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %s", o.Output, pathError(err))
	}
	return nil
}

func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
