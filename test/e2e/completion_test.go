package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
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
// completes when bash runs it.
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
			if shell == "bash" {
				t.Errorf("bash is not installed")
			}
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
	if code != 1 || stderr != "error: unsupported shell \"tcsh\": use bash, zsh, fish, powershell\n" {
		t.Errorf("completion tcsh: exit %d, stderr %q", code, stderr)
	}
}
