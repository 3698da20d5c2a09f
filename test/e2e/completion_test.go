package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// completionEnv is a PATH holding kubectl, kubectl-vd and the repository's
// completions/kubectl_complete-vd, and the test kubeconfig: what a user has
// after `make install`.
func completionEnv(t *testing.T) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bin")
	link(t, vdBinary, bin, "kubectl-vd")
	link(t, filepath.Join(repoRoot, "completions", "kubectl_complete-vd"), bin, "kubectl_complete-vd")
	return []string{
		"PATH=" + bin + string(os.PathListSeparator) + kubectlDir(t),
		"KUBECONFIG=" + testEnv.Kubeconfig,
	}
}

// kubectlComplete asks kubectl for the completions of `kubectl vd ARGS`, as
// kubectl's shell scripts do, and returns its stdout (choices, then the
// ":<directive>" line).
func kubectlComplete(t *testing.T, env []string, args ...string) string {
	t.Helper()
	stdout, stderr, code := runEnv(t, 30*time.Second, env, "", "kubectl", append([]string{"__complete", "vd"}, args...)...)
	if code != 0 {
		t.Fatalf("kubectl __complete vd %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// choices drops the descriptions and the directive line.
func choices(out string) []string {
	var c []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, ":") || l == "" {
			continue
		}
		v, _, _ := strings.Cut(l, "\t")
		c = append(c, v)
	}
	return c
}

func TestCompletionHelperIsExecutable(t *testing.T) {
	fi, err := os.Stat(filepath.Join(repoRoot, "completions", "kubectl_complete-vd"))
	if err != nil || fi.Mode()&0o111 == 0 {
		t.Fatalf("completions/kubectl_complete-vd is not an executable file: %v", err)
	}
}

// `kubectl vd <TAB>` goes through kubectl's plugin completion to
// kubectl_complete-vd and gives what kubectl-vd itself answers.
func TestCompletionThroughKubectl(t *testing.T) {
	env := completionEnv(t)
	out := kubectlComplete(t, env, "")
	for _, want := range []string{"completion\tPrint a shell completion script\n", "find\t", "version\tPrint the version, git commit, build date and Go version\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("sub-commands: %q does not hold %q", out, want)
		}
	}
	if !strings.HasSuffix(out, "\n:4\n") {
		t.Errorf("sub-commands: %q does not end with the no-file directive", out)
	}
	direct, _, code := runEnv(t, 30*time.Second, env, "", vdBinary, "__complete", "")
	if code != 0 || direct != out {
		t.Errorf("kubectl-vd __complete \"\" = %q (exit %d), kubectl gave %q", direct, code, out)
	}

	if got, want := kubectlComplete(t, env, "completion", ""), "bash\nzsh\nfish\npowershell\n:4\n"; got != want {
		t.Errorf("completion <TAB>: %q, want %q", got, want)
	}
	if got, want := kubectlComplete(t, env, "version", "-o", ""), "json\nyaml\n:4\n"; got != want {
		t.Errorf("version -o <TAB>: %q, want %q", got, want)
	}
	out = kubectlComplete(t, env, "find", "--all-")
	if !strings.Contains(out, "--all-contexts\tUse every context of the kubeconfig\n") {
		t.Errorf("find --all-<TAB>: %q", out)
	}
}

func TestCompletionContextsAndNamespaces(t *testing.T) {
	env := completionEnv(t)
	got := choices(kubectlComplete(t, env, "find", "--context", ""))
	if want := "cluster1 cluster1-limited cluster2 cluster2-limited cluster3 cluster3-limited dead"; strings.Join(got, " ") != want {
		t.Errorf("--context <TAB>: %v, want %s", got, want)
	}
	got = choices(kubectlComplete(t, env, "find", "--context", "cluster1,cluster2-"))
	if want := "cluster1,cluster2-limited"; strings.Join(got, " ") != want {
		t.Errorf("--context cluster1,cluster2-<TAB>: %v, want %s", got, want)
	}
	got = choices(kubectlComplete(t, env, "find", "--context", "cluster2", "-n", "bookinfo-"))
	if want := "bookinfo-backends bookinfo-frontends bookinfo-staging"; strings.Join(got, " ") != want {
		t.Errorf("-n bookinfo-<TAB>: %v, want %s", got, want)
	}
	// A user who may not list namespaces gets nothing, silently.
	out := kubectlComplete(t, env, "find", "--context", "cluster1-limited", "-n", "")
	if out != ":4\n" {
		t.Errorf("-n <TAB> without permission: %q", out)
	}
}

func TestCompletionParentNames(t *testing.T) {
	env := completionEnv(t)
	out := kubectlComplete(t, env, "find", "-n", "bookinfo-frontends", "")
	assertGolden(t, "completion-parents-bookinfo-frontends", out)
	if !strings.Contains(out, "productpage\t") {
		t.Errorf("find -n bookinfo-frontends <TAB>: no productpage in %q", out)
	}
	got := choices(kubectlComplete(t, env, "find", "-n", "bookinfo-backends", "--context", "cluster2", "rev"))
	if strings.Join(got, " ") != "reviews" {
		t.Errorf("find -n bookinfo-backends --context cluster2 rev<TAB>: %v, want [reviews]", got)
	}
	got = choices(kubectlComplete(t, env, "find", "-n", "bookinfo-frontends", "--kind", "rt", ""))
	if strings.Join(got, " ") != "productpage" {
		t.Errorf("find --kind rt <TAB>: %v, want [productpage]", got)
	}
	// A dead context neither blocks nor hides the others.
	start := time.Now()
	got = choices(kubectlComplete(t, env, "find", "--context", "cluster1,dead", "-n", "bookinfo-frontends", "prod"))
	if strings.Join(got, " ") != "productpage" {
		t.Errorf("with a dead context: %v, want [productpage]", got)
	}
	if el := time.Since(start); el > 8*time.Second {
		t.Errorf("completion with a dead context took %s", el)
	}
	got = choices(kubectlComplete(t, env, "find", "--resources", "serviceentries,d"))
	if strings.Join(got, " ") != "serviceentries,destinationrules" {
		t.Errorf("--resources serviceentries,d<TAB>: %v", got)
	}
	got = choices(kubectlComplete(t, env, "find", "--kind", "V"))
	if strings.Join(got, " ") != "VirtualDestination VirtualGateway" {
		t.Errorf("--kind V<TAB>: %v", got)
	}
}

// The scripts cobra generates are valid for their shells, and the bash one
// completes when bash runs it (TestCompletionZshAndFish runs the others).
func TestCompletionScripts(t *testing.T) {
	env := completionEnv(t)
	shells := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}
	for shell, check := range shells {
		script, stderr, code := runEnv(t, 30*time.Second, env, "", vdBinary, "completion", shell)
		if code != 0 || !strings.Contains(script, "kubectl-vd") {
			t.Errorf("completion %s: exit %d\n%s", shell, code, stderr)
			continue
		}
		if _, err := exec.LookPath(check[0]); err != nil {
			t.Errorf("%s is not installed (.ci/run installs it)", check[0])
			continue
		}
		f := filepath.Join(t.TempDir(), "script")
		if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(check[0], append(check[1:], f)...).CombinedOutput(); err != nil {
			t.Errorf("%s rejects the %s script: %v\n%s", check[0], shell, err, out)
		}
	}
	if out, _, code := runEnv(t, 30*time.Second, env, "", vdBinary, "completion", "powershell"); code != 0 || !strings.Contains(out, "Register-ArgumentCompleter") {
		t.Errorf("completion powershell: exit %d", code)
	}

	// Source the bash script and complete "kubectl-vd completion ", as bash
	// does on TAB. The script reads the words with bash-completion's
	// _get_comp_words_by_ref; where that package is not installed, a
	// stand-in splits COMP_WORDS the same way for these plain words.
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal(err)
	}
	prog := `if [ -r /usr/share/bash-completion/bash_completion ]; then
  source /usr/share/bash-completion/bash_completion
else
  _get_comp_words_by_ref() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
fi
source <(kubectl-vd completion bash)
COMP_LINE="kubectl-vd completion "; COMP_POINT=${#COMP_LINE}
COMP_WORDS=(kubectl-vd completion ""); COMP_CWORD=2; COMP_TYPE=9
__start_kubectl-vd kubectl-vd "" completion
printf '%s\n' "${COMPREPLY[@]}"`
	stdout, stderr, code := runEnv(t, 30*time.Second, env, "", bash, "-c", prog)
	if code != 0 || stdout != "bash\nzsh\nfish\npowershell\n" {
		t.Errorf("bash completion of \"kubectl-vd completion \": exit %d, %q\n%s", code, stdout, stderr)
	}

	_, stderr, code = runEnv(t, 30*time.Second, env, "", vdBinary, "completion", "tcsh")
	if code != 1 || stderr != "error: unsupported shell \"tcsh\": use bash, zsh, fish, powershell. See 'kubectl vd completion -h' for help and examples\n" {
		t.Errorf("completion tcsh: exit %d, stderr %q", code, stderr)
	}
}

// shellComplete completes line as shell ("zsh" or "fish") does when TAB is
// pressed at its end, once setup has defined the completion, and returns
// the candidates the shell gets. zsh runs its real completion system
// (compinit) in a pseudo-terminal (testdata/complete.zsh); fish answers
// `complete -C`, which lists what TAB would offer.
func shellComplete(t *testing.T, env []string, shell, setup, line string) []string {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		t.Fatalf("%s is not installed (.ci/run installs it): %v", shell, err)
	}
	var stdout, stderr string
	var code int
	switch shell {
	case "zsh":
		out := filepath.Join(t.TempDir(), "candidates")
		stdout, stderr, code = runEnv(t, 60*time.Second, env, "", "zsh", "-f",
			filepath.Join(repoRoot, "test", "e2e", "testdata", "complete.zsh"), out, setup, line)
	case "fish":
		// The line goes through the environment: no quoting to get wrong.
		env = append(append([]string{}, env...), "COMPLETE_LINE="+line)
		stdout, stderr, code = runEnv(t, 60*time.Second, env, "", "fish", "--no-config", "-c",
			setup+"; and complete -C $COMPLETE_LINE")
	default:
		t.Fatalf("no driver for %s", shell)
	}
	if code != 0 || stderr != "" {
		t.Fatalf("%s completing %q: exit %d\n%s", shell, line, code, stderr)
	}
	return choices(stdout)
}

// zsh and fish complete `kubectl vd ...` end to end: the shell's
// completion of kubectl (kubectl completion zsh|fish, cobra's) asks kubectl,
// which finds completions/kubectl_complete-vd on PATH for the plugin, which
// asks kubectl-vd, which reads the harness's clusters. kubectl-vd's own
// zsh and fish scripts complete `kubectl-vd ...` too.
func TestCompletionZshAndFish(t *testing.T) {
	env := completionEnv(t)
	subcommands := []string{"bundle", "clusters", "completion", "diff", "drift", "endpoints", "explain", "failover", "find", "help", "report", "trace", "version"}
	contexts := []string{"cluster1", "cluster1-limited", "cluster2", "cluster2-limited", "cluster3", "cluster3-limited", "dead"}
	namespaces := []string{"bookinfo-backends", "bookinfo-frontends", "bookinfo-staging"}
	setups := map[string]map[string]string{
		"zsh":  {"kubectl": "source <(kubectl completion zsh)", "kubectl-vd": "source <(kubectl-vd completion zsh)"},
		"fish": {"kubectl": "kubectl completion fish | source", "kubectl-vd": "kubectl-vd completion fish | source"},
	}
	// Both shells show the candidates sorted (zsh's _describe groups
	// them by description first): compare them sorted.
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"kubectl vd ", subcommands},
		{"kubectl vd comp", []string{"completion"}},
		{"kubectl vd completion ", []string{"bash", "fish", "powershell", "zsh"}},
		{"kubectl vd clusters -o ", []string{"json", "short", "wide", "yaml"}},
		{"kubectl vd find --context ", contexts},
		{"kubectl vd find --context cluster1,cluster2-", []string{"cluster1,cluster2-limited"}},
		{"kubectl vd find --context cluster2 -n bookinfo-", namespaces},
		{"kubectl vd find -n bookinfo-backends --context cluster2 rev", []string{"reviews"}},
		{"kubectl vd find -n bookinfo-frontends --kind rt ", []string{"productpage"}},
		{"kubectl-vd completion ", []string{"bash", "fish", "powershell", "zsh"}},
		{"kubectl-vd find --context cluster2 -n bookinfo-", namespaces},
	} {
		for _, shell := range []string{"zsh", "fish"} {
			t.Run(shell+" "+tc.line, func(t *testing.T) {
				command, _, _ := strings.Cut(tc.line, " ")
				got := shellComplete(t, env, shell, setups[shell][command], tc.line)
				sort.Strings(got)
				if strings.Join(got, " ") != strings.Join(tc.want, " ") {
					t.Errorf("%s: %q<TAB> offers %q, want %q", shell, tc.line, got, tc.want)
				}
			})
		}
	}
}
