// Package find implements `kubectl vd find`.
package find

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// NewCmdFind returns the find command.
func NewCmdFind(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{Use: "find NAME"}
}
