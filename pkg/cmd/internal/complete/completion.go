// Package completion holds the dynamic shell completion functions of the
// kubectl-vd commands: kube contexts, namespaces, parent names, parent kinds
// and pods. Every function is bounded by Timeout, reads what it can from
// kubectl's discovery cache, asks the API servers for metadata only, and
// stays silent on any error: a completion that fails offers nothing rather
// than printing a message into the user's command line.
package complete

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// Timeout bounds one completion, all contexts included. A context that has
// not answered by then is left out; the others still complete.
var Timeout = 2 * time.Second

// RegisterConnectionFlags registers the completion of kubectl's connection
// flags bound by kube.Flags.AddFlags on cmd: --context (contexts of the
// kubeconfig, comma-separated lists included), --namespace (namespaces of
// the selected contexts), --cluster and --user (from the kubeconfig).
// Flags cmd does not have are skipped.
func RegisterConnectionFlags(cmd *cobra.Command, flags *kube.Flags) {
	register := func(name string, f cobra.CompletionFunc) {
		if cmd.Flag(name) == nil {
			return
		}
		if _, ok := cmd.GetFlagCompletionFunc(name); ok {
			return
		}
		_ = cmd.RegisterFlagCompletionFunc(name, f)
	}
	register("context", Contexts(flags))
	register("namespace", Namespaces(flags))
	register("cluster", KubeconfigClusters(flags))
	register("user", KubeconfigUsers(flags))
}

// Contexts completes kube context names from the kubeconfig. For a
// comma-separated list ("cluster1,c") it completes the last element and
// leaves out the contexts already given.
func Contexts(flags *kube.Flags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := flags.RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		prefix, last := splitList(toComplete)
		taken := map[string]bool{}
		for _, c := range flags.Contexts {
			taken[c] = true
		}
		for _, c := range strings.Split(prefix, ",") {
			taken[c] = true
		}
		var out []cobra.Completion
		for name, c := range raw.Contexts {
			if taken[name] || !strings.HasPrefix(name, last) {
				continue
			}
			desc := "cluster " + c.Cluster
			if c.Namespace != "" {
				desc += ", namespace " + c.Namespace
			}
			if name == raw.CurrentContext {
				desc += " (current)"
			}
			out = append(out, cobra.CompletionWithDesc(prefix+name, desc))
		}
		sort.Strings(out)
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// KubeconfigClusters completes the cluster names of the kubeconfig (for
// kubectl's --cluster flag).
func KubeconfigClusters(flags *kube.Flags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := flags.RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(raw.Clusters))
		for n := range raw.Clusters {
			names = append(names, n)
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// KubeconfigUsers completes the user names of the kubeconfig (for kubectl's
// --user flag).
func KubeconfigUsers(flags *kube.Flags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		raw, err := flags.RawConfig()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		names := make([]string, 0, len(raw.AuthInfos))
		for n := range raw.AuthInfos {
			names = append(names, n)
		}
		return withPrefix(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// Namespaces completes the namespaces of every selected context.
func Namespaces(flags *kube.Flags) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		names := collect(flags, func(ctx context.Context, t target, add func(string, string)) error {
			items, err := source.ListMetadata(ctx, t.cluster, namespacesGVR, "", "")
			for _, item := range items {
				add(item.Name, "")
			}
			return err
		})
		return names.completions(toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// target is one selected context, ready to be asked.
type target struct {
	cluster *kube.Cluster
	// namespace is -n or the namespace of the first selected context.
	namespace string
}

// results accumulates completion candidates and their descriptions from
// several contexts at once.
type results struct {
	mu    sync.Mutex
	descs map[string]map[string]bool
}

func (r *results) add(name, desc string) {
	if name == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.descs == nil {
		r.descs = map[string]map[string]bool{}
	}
	if r.descs[name] == nil {
		r.descs[name] = map[string]bool{}
	}
	if desc != "" {
		r.descs[name][desc] = true
	}
}

// completions returns the candidates starting with toComplete, sorted, each
// with its descriptions joined.
func (r *results) completions(toComplete string) []cobra.Completion {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []cobra.Completion
	for name, descs := range r.descs {
		if !strings.HasPrefix(name, toComplete) {
			continue
		}
		d := make([]string, 0, len(descs))
		for k := range descs {
			d = append(d, k)
		}
		sort.Strings(d)
		if len(d) == 0 {
			out = append(out, name)
		} else {
			out = append(out, cobra.CompletionWithDesc(name, strings.Join(d, ", ")))
		}
	}
	sort.Strings(out)
	return out
}

// collect runs ask on every selected context concurrently (pkg/source's
// fan-out over contexts) and returns what answered within Timeout. Errors
// are dropped.
func collect(flags *kube.Flags, ask func(ctx context.Context, t target, add func(name, desc string)) error) *results {
	res := &results{}
	f := bounded(flags)
	contexts, err := f.SelectedContexts()
	if err != nil {
		return res
	}
	ns, err := f.DefaultNamespace(contexts)
	if err != nil || ns == "" {
		ns = "default"
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	source.EachContext(ctx, f, contexts, func(ctx context.Context, c *kube.Cluster) (struct{}, error) {
		return struct{}{}, ask(ctx, target{cluster: c, namespace: ns}, res.add)
	})
	return res
}

// bounded returns a copy of the connection flags whose request timeout is at
// most Timeout, so that no client call outlives the completion.
func bounded(flags *kube.Flags) *kube.Flags {
	return flags.WithRequestTimeout(Timeout)
}

// splitList splits a comma-separated flag value being typed into the
// elements already complete (with their trailing comma) and the last one.
func splitList(s string) (prefix, last string) {
	i := strings.LastIndexByte(s, ',')
	if i < 0 {
		return "", s
	}
	return s[:i+1], s[i+1:]
}

// withPrefix keeps the names that start with prefix, sorted.
func withPrefix(names []string, prefix string) []cobra.Completion {
	var out []cobra.Completion
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
