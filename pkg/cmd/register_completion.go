package cmd

import (
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/completion"
)

func init() {
	extraCommands = append(extraCommands, completion.NewCmdCompletion)
}
