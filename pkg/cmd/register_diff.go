package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	cmddiff "github.com/kubectl-vd/kubectl-vd/pkg/cmd/diff"
)

func init() {
	extraCommands = append(extraCommands, func(streams genericiooptions.IOStreams) *cobra.Command {
		return cmddiff.NewCmdDiff(streams)
	})
}
