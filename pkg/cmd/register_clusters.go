package cmd

import (
	"github.com/kubectl-vd/kubectl-vd/pkg/cmd/clusters"
)

func init() {
	extraCommands = append(extraCommands, clusters.NewCmdClusters)
}
