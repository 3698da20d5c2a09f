package cmd

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	cmdversion "github.com/kubectl-vd/kubectl-vd/pkg/cmd/version"
)

func init() {
	extraCommands = append(extraCommands, func(streams genericiooptions.IOStreams) *cobra.Command {
		return cmdversion.NewCmdVersion(streams)
	})
	rootOptions = append(rootOptions, cmdversion.AddVersionFlag)
}
