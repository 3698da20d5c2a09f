package cmdutil

import (
	"github.com/spf13/cobra"

	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// FilenameOptions are kubectl's -f/--filename and -R/--recursive, read the
// way kubectl reads them: files, directories (their .yaml, .yml and .json
// files; with -R those of every directory below too) and - for standard
// input, which is read once. kubectl also fetches URLs: the plugin reads
// local files only and says so.
type FilenameOptions struct {
	Filenames []string
	Recursive bool
}

// AddFlags binds -f (described by usage) and, when the command reads
// directories, -R.
func (o *FilenameOptions) AddFlags(cmd *cobra.Command, usage string, directories bool) {
	cmd.Flags().StringSliceVarP(&o.Filenames, "filename", "f", nil, usage)
	if directories {
		cmd.Flags().BoolVarP(&o.Recursive, "recursive", "R", false, "Read the directories given with -f recursively")
	}
	_ = cmd.RegisterFlagCompletionFunc("filename", cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault))
}

// Validate refuses what cannot be read before anything is read: a URL,
// standard input twice. As in kubectl, -R without -f is no error.
func (o *FilenameOptions) Validate() error {
	return source.CheckPaths(o.Filenames)
}

// VisitOptions are the reading options -R sets.
func (o *FilenameOptions) VisitOptions() source.VisitOptions {
	return source.VisitOptions{Recursive: o.Recursive}
}
