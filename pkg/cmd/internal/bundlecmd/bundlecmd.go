// Package bundlecmd is --bundle FILE, the same on every command. A command
// adopts it in three lines: Flag.AddTo in NewCmdX, Flag.Open in Complete
// (which resolves --context, --all-contexts and -n against the bundle),
// and, where it read clusters, the Source's Translations (for
// source.TranslationsOf), MeshConfigs (for source.MeshConfigs),
// ExplainInput, Objects or FindProxy and ProxySource (for an admin.Pod) in
// place of the live reads.
package bundlecmd

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-vd/kubectl-vd/pkg/bundle"
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
)

// ExitBadBundle is the exit status of a bundle that cannot be read.
const ExitBadBundle = 2

// Flag is the --bundle flag.
type Flag struct {
	Path string
}

// AddTo binds --bundle to cmd.
func (f *Flag) AddTo(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.Path, "bundle", "", "Read a bundle written by kubectl vd bundle instead of clusters; --context picks contexts of the bundle (default: all)")
	_ = cmd.RegisterFlagCompletionFunc("bundle", cobra.FixedCompletions([]cobra.Completion{"gz", "tgz"}, cobra.ShellCompDirectiveFilterFileExt))
}

// Given tells whether --bundle was given.
func (f *Flag) Given() bool { return f.Path != "" }

// Source is an opened bundle and what the connection flags pick in it.
type Source struct {
	*bundle.Bundle
	// Contexts are the contexts picked with --context (all with
	// --all-contexts or without --context), in the order given.
	Contexts []string
	// Namespace is -n, else the namespace of the bundle's parent.
	Namespace string
}

// Now is when the bundle was taken: ages are computed against it, so
// that they read as they did live.
func (s *Source) Now() time.Time { return s.Manifest.Created }

// Open reads the bundle and resolves the connection flags against it.
// files are the command's -f values: --bundle replaces them. A bundle that
// cannot be read is one error line and exit status 2.
func (f *Flag) Open(flags *kube.Flags, files []string) (*Source, error) {
	if len(files) > 0 {
		return nil, cmdutil.UsageErrorf("--bundle and -f both name what to read: give one of them")
	}
	if flags.AllContexts && len(flags.Contexts) > 0 {
		return nil, cmdutil.Usage(errors.New("--all-contexts and --context cannot be used together"))
	}
	b, err := bundle.Open(f.Path)
	if err != nil {
		return nil, cmdutil.Exit(ExitBadBundle, err)
	}
	contexts, err := b.SelectContexts(flags.ContextNames())
	if err != nil {
		return nil, cmdutil.Exit(ExitBadBundle, err)
	}
	s := &Source{Bundle: b, Contexts: contexts, Namespace: b.Manifest.Parent.Namespace}
	if flags.Namespace != nil && *flags.Namespace != "" {
		s.Namespace = *flags.Namespace
	}
	return s, nil
}
