package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	cmdexplain "github.com/kubectl-vd/kubectl-vd/pkg/cmd/explain"
)

func init() {
	extraCommands = append(extraCommands, func(streams genericiooptions.IOStreams) *cobra.Command {
		return cmdexplain.NewCmdExplain(streams)
	})
}
