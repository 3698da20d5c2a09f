// Package version implements `kubectl vd version` and the root command's
// --version flag.
package version

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/cmdutil"
	"github.com/kubectl-vd/kubectl-vd/pkg/version"
)

// Options are the options of the version command.
type Options struct {
	Output string

	// Info is filled by Complete; tests may set it.
	Info *version.Info

	genericiooptions.IOStreams
}

// NewCmdVersion returns the version command.
func NewCmdVersion(streams genericiooptions.IOStreams) *cobra.Command {
	o := &Options{IOStreams: streams}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, git commit, build date and Go version",
		Example: `  kubectl vd version
  kubectl vd version -o json`,
		Args:              cmdutil.UsageArgs(cobra.NoArgs),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Complete()
			if err := o.Validate(); err != nil {
				return cmdutil.Usage(err)
			}
			return o.Run()
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Output format: json or yaml (default: text)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads the build information.
func (o *Options) Complete() {
	if o.Info == nil {
		i := version.Get()
		o.Info = &i
	}
}

// Validate checks the output format.
func (o *Options) Validate() error {
	switch o.Output {
	case "", "json", "yaml":
		return nil
	}
	return cmdutil.UsageErrorf("invalid output format %q: use json or yaml", o.Output)
}

// Run prints the build information.
func (o *Options) Run() error {
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(o.Info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(o.Out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(o.Info)
		if err != nil {
			return err
		}
		_, err = o.Out.Write(b)
		return err
	}
	_, err := fmt.Fprint(o.Out, o.Info.Text())
	return err
}

// AddVersionFlag gives a root command a --version flag (without cobra's
// default -v shorthand, which kubectl users read as log verbosity) that
// prints the one-line form of the build information.
func AddVersionFlag(root *cobra.Command) {
	root.Version = version.Get().String()
	root.Flags().Bool("version", false, "Print the version and exit")
	root.SetVersionTemplate("{{.Version}}\n")
}
