package cmd

import (
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/endpoints"
)

func init() {
	extraCommands = append(extraCommands, endpoints.NewCmdEndpoints)
}
