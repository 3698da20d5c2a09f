// Package kube turns kubectl's connection flags into one client per selected
// kube context, and runs work on every context concurrently with each call
// bounded by a timeout, so that one dead cluster never hides the others.
package kube

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	goruntime "runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// DefaultRequestTimeout bounds every request when the user sets no
// --request-timeout: kubectl's own default (0, no limit) would let a
// black-holed cluster hang the whole command.
const DefaultRequestTimeout = 10 * time.Second

const (
	runtimeOS   = goruntime.GOOS
	runtimeArch = goruntime.GOARCH
)

// UserAgent is sent with every request of the plugin.
var UserAgent = "kubectl-vd (" + runtimeOS + "/" + runtimeArch + ")"

// Flags are kubectl's connection flags plus the ways to select several
// contexts at once.
type Flags struct {
	*genericclioptions.ConfigFlags
	// Contexts from --context, repeatable and comma-separated. ConfigFlags'
	// own --context flag is replaced by this one.
	Contexts    []string
	AllContexts bool
}

// NewFlags returns connection flags with kubectl's defaults (including the
// on-disk discovery cache).
func NewFlags() *Flags {
	return &Flags{ConfigFlags: genericclioptions.NewConfigFlags(true)}
}

// AddFlags binds the flags to a flag set.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	f.ConfigFlags.AddFlags(fs)
	// Replace the single-valued --context with a repeatable one.
	ctx := fs.Lookup("context")
	usage := "The name of the kubeconfig context to use; repeat or separate with commas for several"
	if ctx != nil {
		ctx.Usage = usage
		ctx.Value = newStringSliceValue(&f.Contexts)
		ctx.DefValue = ""
	} else {
		fs.StringSliceVar(&f.Contexts, "context", nil, usage)
	}
	fs.BoolVar(&f.AllContexts, "all-contexts", false, "Use every context of the kubeconfig")
	// kubectl's default (0: no limit) is not the plugin's: say what happens.
	if rt := fs.Lookup("request-timeout"); rt != nil {
		rt.DefValue = DefaultRequestTimeout.String()
		rt.Usage = "How long to wait for each server request before giving up on it and naming the context, " +
			"as a duration (1s, 2m) or whole seconds; 0 or unset means " + DefaultRequestTimeout.String() +
			": the plugin never waits forever"
	}
}

// RawConfig loads the merged kubeconfig. A missing or broken kubeconfig gives
// one clear error.
func (f *Flags) RawConfig() (clientcmdapi.Config, error) {
	if p := f.kubeconfigPath(); p != "" {
		if _, err := os.Stat(p); err != nil {
			return clientcmdapi.Config{}, fmt.Errorf("kubeconfig %s: %w", p, unwrapPathError(err))
		}
	}
	raw, err := f.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return clientcmdapi.Config{}, fmt.Errorf("cannot load kubeconfig: %w", err)
	}
	return raw, nil
}

func (f *Flags) kubeconfigPath() string {
	if f.KubeConfig != nil && *f.KubeConfig != "" {
		return *f.KubeConfig
	}
	return ""
}

// SelectedContexts resolves --context/--all-contexts to context names, in the
// order given (all contexts: sorted). Unknown contexts are an error.
func (f *Flags) SelectedContexts() ([]string, error) {
	// Every live read is bounded by --request-timeout: a wrong value is
	// said before any context is.
	if err := f.ValidateTimeout(); err != nil {
		return nil, err
	}
	raw, err := f.RawConfig()
	if err != nil {
		return nil, err
	}
	if f.AllContexts {
		if len(f.Contexts) > 0 {
			return nil, errors.New("--all-contexts and --context cannot be used together")
		}
		names := make([]string, 0, len(raw.Contexts))
		for n := range raw.Contexts {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return nil, errors.New("the kubeconfig has no contexts")
		}
		return names, nil
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range f.ContextNames() {
		if seen[n] {
			continue
		}
		if _, ok := raw.Contexts[n]; !ok {
			return nil, fmt.Errorf("context %q not found in kubeconfig", n)
		}
		seen[n] = true
		names = append(names, n)
	}
	if len(names) > 0 {
		return names, nil
	}
	if raw.CurrentContext == "" {
		if f.APIServer != nil && *f.APIServer != "" {
			return []string{""}, nil
		}
		return nil, errors.New("no context selected: the kubeconfig has no current-context; use --context or --all-contexts")
	}
	if _, ok := raw.Contexts[raw.CurrentContext]; !ok {
		return nil, fmt.Errorf("current context %q not found in kubeconfig", raw.CurrentContext)
	}
	return []string{raw.CurrentContext}, nil
}

// ContextNames are the --context values as given, comma-separated lists
// split, repeats kept, not checked against the kubeconfig: with -f they
// pick contexts recorded in files.
func (f *Flags) ContextNames() []string {
	var names []string
	for _, c := range f.Contexts {
		for _, n := range strings.Split(c, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	return names
}

// DefaultNamespace is the namespace of the first selected context (or -n).
func (f *Flags) DefaultNamespace(contexts []string) (string, error) {
	if f.Namespace != nil && *f.Namespace != "" {
		return *f.Namespace, nil
	}
	first := ""
	if len(contexts) > 0 {
		first = contexts[0]
	}
	ns, _, err := f.forContext(first).ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("cannot read the namespace of context %q: %w", first, err)
	}
	return ns, nil
}

// Cluster is the set of clients for one kube context.
type Cluster struct {
	// Context is the kube context name ("" when only --server is given).
	Context   string
	Config    *rest.Config
	Dynamic   dynamic.Interface
	Discovery discovery.CachedDiscoveryInterface
	// Timeout bounds each request.
	Timeout time.Duration
	flags   *genericclioptions.ConfigFlags

	rawOnce sync.Once
	raw     rest.Interface
	rawErr  error
}

// ContextError is a context whose clients cannot be built (a kubeconfig
// entry naming a missing certificate, for instance).
type ContextError struct {
	Context string
	Err     error
}

func (e *ContextError) Error() string { return fmt.Sprintf("context %q: %s", e.Context, e.Err) }

func (e *ContextError) Unwrap() error { return e.Err }

// Cluster builds the clients of one context. Building does not contact the
// server.
func (f *Flags) Cluster(context string) (*Cluster, error) {
	cf := f.forContext(context)
	cfg, err := cf.ToRESTConfig()
	if err != nil {
		return nil, &ContextError{Context: context, Err: err}
	}
	timeout := f.RequestTimeout()
	cfg.Timeout = timeout
	// Many small list calls run concurrently: lift client-go's default
	// client-side rate limit (5 QPS) the way kubectl does for discovery.
	cfg.QPS, cfg.Burst = 100, 200
	dc, err := cf.ToDiscoveryClient()
	if err != nil {
		return nil, &ContextError{Context: context, Err: err}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, &ContextError{Context: context, Err: err}
	}
	return &Cluster{Context: context, Config: cfg, Dynamic: dyn, Discovery: dc, Timeout: timeout, flags: cf}, nil
}

// RequestTimeout is --request-timeout, or DefaultRequestTimeout when unset.
func (f *Flags) RequestTimeout() time.Duration {
	if f.Timeout != nil && *f.Timeout != "" && *f.Timeout != "0" {
		if d, err := time.ParseDuration(*f.Timeout); err == nil && d > 0 {
			return d
		}
		// A bare integer means seconds, as in kubectl.
		var secs int
		if _, err := fmt.Sscanf(*f.Timeout, "%d", &secs); err == nil && secs > 0 {
			return time.Duration(secs) * time.Second
		}
	}
	return DefaultRequestTimeout
}

// ValidateTimeout reports a malformed --request-timeout.
func (f *Flags) ValidateTimeout() error {
	if f.Timeout == nil || *f.Timeout == "" || *f.Timeout == "0" {
		return nil
	}
	if _, err := time.ParseDuration(*f.Timeout); err == nil {
		return nil
	}
	var secs int
	var rest string
	if n, _ := fmt.Sscanf(*f.Timeout, "%d%s", &secs, &rest); n == 1 && secs >= 0 {
		return nil
	}
	return fmt.Errorf("invalid --request-timeout %q: use a duration such as 5s or 1m", *f.Timeout)
}

// forContext returns a copy of the connection flags pointing at one context.
func (f *Flags) forContext(context string) *genericclioptions.ConfigFlags {
	cf := copyConfigFlags(f.ConfigFlags)
	if cf.Timeout == nil || *cf.Timeout == "" || *cf.Timeout == "0" {
		// Bound discovery too: ConfigFlags passes this to every client it builds.
		d := f.RequestTimeout().String()
		cf.Timeout = &d
	}
	c := context
	cf.Context = &c
	// Name the plugin in every request (audit logs, API priority), whatever
	// the binary is called.
	wrap := cf.WrapConfigFn
	cf.WrapConfigFn = func(cfg *rest.Config) *rest.Config {
		if wrap != nil {
			cfg = wrap(cfg)
		}
		cfg.UserAgent = UserAgent
		return cfg
	}
	return cf
}

// WithRequestTimeout returns a copy of the flags whose requests are bounded
// by at most d (shell completion must answer quickly whatever the user set).
func (f *Flags) WithRequestTimeout(d time.Duration) *Flags {
	cf := copyConfigFlags(f.ConfigFlags)
	if cur := f.RequestTimeout(); cur < d {
		d = cur
	}
	t := d.String()
	cf.Timeout = &t
	return &Flags{ConfigFlags: cf, Contexts: f.Contexts, AllContexts: f.AllContexts}
}

// copyConfigFlags copies every exported field of kubectl's connection flags
// into new ConfigFlags (which hold a lock and caches, so cannot be copied as
// a struct). The copy walks the fields by reflection so that a flag added by
// a later cli-runtime (as --proxy-url and --as-user-extra were) reaches every
// context without a change here.
func copyConfigFlags(src *genericclioptions.ConfigFlags) *genericclioptions.ConfigFlags {
	cf := genericclioptions.NewConfigFlags(true)
	from := reflect.ValueOf(src).Elem()
	to := reflect.ValueOf(cf).Elem()
	for i := 0; i < from.NumField(); i++ {
		if from.Type().Field(i).IsExported() {
			to.Field(i).Set(from.Field(i))
		}
	}
	return cf
}

// ContextNamespace is the namespace set for this context in the kubeconfig
// (or by -n), "default" otherwise.
func (c *Cluster) ContextNamespace() string {
	ns, _, err := c.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil || ns == "" {
		return "default"
	}
	return ns
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// IsKubeconfigMissing reports whether clientcmd complained about an empty
// configuration.
func IsKubeconfigMissing(err error) bool { return clientcmd.IsEmptyConfig(err) }

// RawClient is a REST client for requests the typed and dynamic clients
// cannot make, such as lists in kubectl's server-side Table form.
func (c *Cluster) RawClient() (rest.Interface, error) {
	c.rawOnce.Do(func() {
		cfg := rest.CopyConfig(c.Config)
		cfg.NegotiatedSerializer = serializer.NewCodecFactory(runtime.NewScheme()).WithoutConversion()
		c.raw, c.rawErr = rest.UnversionedRESTClientFor(cfg)
	})
	return c.raw, c.rawErr
}

// ResolveNamespace is the namespace a command works in: -n when given,
// else fallback when it is not "" (a bundle's namespace, "default" for
// files, which belong to no kubeconfig entry), else that of the first
// selected context.
func (f *Flags) ResolveNamespace(contexts []string, fallback string) (string, error) {
	if f.Namespace != nil && *f.Namespace != "" {
		return *f.Namespace, nil
	}
	if fallback != "" {
		return fallback, nil
	}
	return f.DefaultNamespace(contexts)
}
