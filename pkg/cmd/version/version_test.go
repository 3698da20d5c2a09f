package version

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-vd/kubectl-vd/pkg/version"
)

var info = version.Info{
	Version:   "v0.1.0",
	Commit:    "1c588cb",
	Date:      "2025-11-25T21:38:00Z",
	GoVersion: "go1.26.8",
	Platform:  "linux/amd64",
}

func TestRun(t *testing.T) {
	cases := []struct {
		output, want string
	}{
		{"", "Version:    v0.1.0\nGit commit: 1c588cb\nBuild date: 2025-11-25T21:38:00Z\nGo version: go1.26.8\nPlatform:   linux/amd64\n"},
		{"json", `{
  "version": "v0.1.0",
  "commit": "1c588cb",
  "date": "2025-11-25T21:38:00Z",
  "goVersion": "go1.26.8",
  "platform": "linux/amd64"
}
`},
		{"yaml", "commit: 1c588cb\ndate: \"2025-11-25T21:38:00Z\"\ngoVersion: go1.26.8\nplatform: linux/amd64\nversion: v0.1.0\n"},
	}
	for _, c := range cases {
		t.Run("output="+c.output, func(t *testing.T) {
			streams, _, out, errOut := genericiooptions.NewTestIOStreams()
			i := info
			o := &Options{Output: c.output, Info: &i, IOStreams: streams}
			o.Complete()
			if err := o.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if err := o.Run(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := out.String(); got != c.want {
				t.Errorf("output:\n%s\nwant:\n%s", got, c.want)
			}
			if errOut.Len() != 0 {
				t.Errorf("stderr: %q", errOut.String())
			}
		})
	}
}

func TestInvalidOutput(t *testing.T) {
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	cmd := NewCmdVersion(streams)
	cmd.SetArgs([]string{"-o", "xml"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	if err == nil || err.Error() != `invalid output format "xml": use json or yaml` {
		t.Fatalf("error = %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout: %q", out.String())
	}
}

func TestNoArguments(t *testing.T) {
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	cmd := NewCmdVersion(streams)
	cmd.SetArgs([]string{"extra"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), `unknown command "extra"`) {
		t.Fatalf("error = %v", err)
	}
}

// The command prints what the binary was built with.
func TestCommandPrintsBuildFlags(t *testing.T) {
	old := version.Version
	t.Cleanup(func() { version.Version = old })
	version.Version = "v7.7.7"
	streams, _, out, _ := genericiooptions.NewTestIOStreams()
	cmd := NewCmdVersion(streams)
	cmd.SetArgs([]string{"-o", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"version": "v7.7.7"`) {
		t.Errorf("output: %s", out)
	}
}

func TestVersionFlag(t *testing.T) {
	old := version.Version
	t.Cleanup(func() { version.Version = old })
	version.Version = "v7.7.7"
	root := &cobra.Command{Use: "kubectl-vd", Run: func(*cobra.Command, []string) { t.Error("root ran") }}
	root.SilenceErrors, root.SilenceUsage = true, true
	AddVersionFlag(root)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"--version"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.HasPrefix(got, "kubectl-vd v7.7.7 (commit ") || !strings.HasSuffix(got, ")\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("--version printed %q", got)
	}
	// -v stays free: kubectl users read it as log verbosity.
	if f := root.Flags().ShorthandLookup("v"); f != nil {
		t.Errorf("-v is a shorthand of --%s", f.Name)
	}
}
