package completion

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// execute runs `kubectl-vd completion ARGS` in a small command tree.
func execute(args ...string) (stdout string, err error) {
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	root := &cobra.Command{Use: "kubectl-vd", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(&cobra.Command{Use: "find", Run: func(*cobra.Command, []string) {}})
	root.AddCommand(NewCmdCompletion(streams))
	root.SetArgs(append([]string{"completion"}, args...))
	err = root.Execute()
	return out.String(), err
}

func TestScripts(t *testing.T) {
	marks := map[string]string{
		"bash":       "complete -o default -F __start_kubectl-vd kubectl-vd",
		"zsh":        "#compdef kubectl-vd",
		"fish":       "complete -c kubectl-vd",
		"powershell": "Register-ArgumentCompleter -CommandName 'kubectl-vd'",
	}
	for shell, mark := range marks {
		out, err := execute(shell)
		if err != nil {
			t.Fatalf("%s: %v", shell, err)
		}
		if !strings.Contains(out, mark) || !strings.Contains(out, "__complete") {
			t.Errorf("%s script lacks %q or __complete", shell, mark)
		}
		noDesc, err := execute(shell, "--no-descriptions")
		if err != nil {
			t.Fatalf("%s --no-descriptions: %v", shell, err)
		}
		if noDesc == out {
			t.Errorf("%s: --no-descriptions changed nothing", shell)
		}
	}
}

func TestErrors(t *testing.T) {
	for args, want := range map[string]string{
		"":         "expected one shell (bash, zsh, fish, powershell), got 0 arguments",
		"bash zsh": "expected one shell (bash, zsh, fish, powershell), got 2 arguments",
		"tcsh":     `unsupported shell "tcsh": use bash, zsh, fish, powershell`,
		"Bash":     `unsupported shell "Bash": use bash, zsh, fish, powershell`,
	} {
		out, err := execute(strings.Fields(args)...)
		if err == nil || err.Error() != want {
			t.Errorf("completion %s: error %v, want %q", args, err, want)
		}
		if out != "" {
			t.Errorf("completion %s wrote %q", args, out)
		}
	}
}
