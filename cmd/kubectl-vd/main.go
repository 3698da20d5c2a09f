// Command kubectl-vd is a kubectl plugin that shows what Gloo Mesh translated
// a parent object (VirtualDestination, RouteTable, ...) into, in every cluster.
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/cmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(cmd.Execute(os.Args[1:], streams))
}
