// Package harness starts real local Kubernetes clusters for the end-to-end
// tests and the demo: per cluster an etcd and a kube-apiserver on 127.0.0.1
// (no container runtime, no controller-manager, no scheduler), with the
// Istio and Gloo Mesh v2 CRDs installed, and optionally kwok playing the
// kubelet of one fake node so that pods and port-forwards work.
//
// What the clusters are not: there is no controller-manager, so no garbage
// collection, no default service account, and a deleted namespace stays
// Terminating forever; there is no scheduler, so pods must name their node.
//
// Fake pods (Options.Kwok): a pod runs "on" the fake node when it sets
// spec.nodeName to FakeNodeName and tolerates the node's taint; kwok then
// marks it Running and Ready with an IP. FakePodYAML writes such a pod.
// Env.PortForwardTo makes `kubectl port-forward` (and the plugin's own
// port-forwards) to port 15000 of any fake pod reach a local server.
package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options say what to start.
type Options struct {
	// Clusters is the number of clusters (default 2), named cluster1,
	// cluster2, ...
	Clusters int
	// Kwok starts kwok against each cluster with one fake node, for pods
	// and port-forwards.
	Kwok bool
	// Istiod starts istiod in every cluster once it is up (needs Kwok); see
	// Env.StartIstiod, which also starts it later in a running environment.
	Istiod bool
	// AuditLog makes each apiserver log every request (level Metadata, JSON
	// lines), read back with Env.AuditEvents.
	AuditLog bool
	// OnlyClusterContexts leaves the clusterN-limited and dead contexts
	// out of the kubeconfig (for the demo, where --all-contexts should
	// mean the clusters).
	OnlyClusterContexts bool
	// Name names the environment's state file; default: unique per run.
	Name string
	// Dir holds the environment's files (kubeconfig, data, logs); default:
	// a new temporary folder. It is removed by Stop.
	Dir string
	// Detach leaves the clusters running after this process exits (they
	// run in their own session); stop them with StopDetached(Name).
	Detach bool
	// Log receives progress: tool builds, leftovers reaped, ready time.
	Log io.Writer
	// Verbose also logs when each cluster passes each step.
	Verbose bool
	// RepoRoot is the repository root; default: found from the working
	// directory.
	RepoRoot string
	// IstioOnly names clusters that get Istio's CRDs but not Gloo
	// Mesh's: a workload cluster as it is when Gloo's API lives elsewhere
	// (or before Gloo is installed).
	IstioOnly []string
}

// Context names written to the kubeconfig besides cluster1..N.
const (
	// LimitedSuffix makes the context of a user in no group, to whom RBAC
	// grants nothing: clusterN-limited.
	LimitedSuffix = "-limited"
	// DeadContext points at a closed port on 127.0.0.1.
	DeadContext = "dead"
)

// fieldManager names the harness's writes in managedFields; userAgent names
// them in audit logs, so that tests can tell them from the plugin's.
const (
	fieldManager = "kubectl-vd-e2e"
	UserAgent    = "kubectl-vd-e2e-harness"
)

// Env is a set of running clusters and the kubeconfig that reaches them.
type Env struct {
	// Kubeconfig is the path of the kubeconfig holding the contexts.
	Kubeconfig string
	// Dir is the environment's folder.
	Dir string

	opts      Options
	statePath string
	creds     *credentials
	deadPort  int
	closeDead func()
	clusters  []*cluster

	mu      sync.Mutex
	state   state
	stopped bool
}

// cluster is one etcd + kube-apiserver (+ kwok) and the clients that reach
// it as admin.
type cluster struct {
	name                           string
	dir                            string
	port, etcdPort, peerPort, kwok int
	auditLog                       string

	etcdProc, apiProc, kwokProc *process

	cfg    *rest.Config
	dyn    dynamic.Interface
	mapper *mapper
}

// Start builds the tools it needs (once, cached; minutes the first time),
// stops the leftovers of earlier killed runs, and starts the clusters in
// parallel. It returns when every cluster serves every CRD (and, with Kwok,
// the fake node is Ready). On error everything started is stopped.
func Start(ctx context.Context, opts Options) (_ *Env, err error) {
	began := time.Now()
	if opts.Clusters == 0 {
		opts.Clusters = 2
	}
	if opts.Clusters < 0 || opts.Clusters > 9 {
		return nil, fmt.Errorf("Clusters must be between 1 and 9, not %d", opts.Clusters)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.Istiod && !opts.Kwok {
		return nil, errors.New("Istiod needs Kwok: its proxies are fake pods")
	}
	if opts.RepoRoot == "" {
		if opts.RepoRoot, err = RepoRoot(); err != nil {
			return nil, err
		}
	}
	if opts.Name == "" {
		if opts.Detach {
			return nil, errors.New("a detached environment needs a Name")
		}
		opts.Name = fmt.Sprintf("e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	}
	want := []string{Etcd, KubeAPIServer}
	if opts.Kwok {
		want = append(want, Kwok)
	}
	if opts.Istiod {
		// Built before the clusters start rather than while they wait.
		want = append(want, PilotDiscovery)
	}
	tools, err := BuildTools(ctx, opts.RepoRoot, opts.Log, want...)
	if err != nil {
		return nil, err
	}
	reapLeftovers(opts.Log)
	// Ready times count from here: a first build takes minutes of its own.
	began = time.Now()

	e := &Env{opts: opts}
	if e.statePath, err = statePath(opts.Name); err != nil {
		return nil, err
	}
	if st, err := readState(e.statePath); err == nil && st.ownerAlive() || err == nil && st.Detached {
		return nil, fmt.Errorf("an environment named %s is already running (state %s)", opts.Name, e.statePath)
	}
	if opts.Dir != "" {
		// A folder of an earlier environment of this name that is no
		// longer running (checked above) is cleared, so that its etcd
		// data never leaks into the new clusters.
		removeEnvDir(opts.Dir)
		if entries, err := os.ReadDir(opts.Dir); err == nil && len(entries) > 0 {
			return nil, fmt.Errorf("%s is not empty and was not made by the harness", opts.Dir)
		}
		if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
			return nil, err
		}
		e.Dir = opts.Dir
	} else if e.Dir, err = os.MkdirTemp("", "kubectl-vd-e2e-"); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(e.Dir, dirMarker), nil, 0o644); err != nil {
		return nil, err
	}
	e.Kubeconfig = filepath.Join(e.Dir, "kubeconfig")
	self, _ := procStartTime(os.Getpid())
	e.state = state{
		Name: opts.Name, Owner: process{Name: "owner", PID: os.Getpid(), StartTime: self},
		Detached: opts.Detach, Dir: e.Dir, Kubeconfig: e.Kubeconfig, Kwok: opts.Kwok,
		OnlyClusterContexts: opts.OnlyClusterContexts,
	}

	// From here on an interrupt or a failure stops what was started.
	track(e)
	defer func() {
		if err != nil {
			_ = e.Stop()
		} else if opts.Detach {
			untrack(e)
		}
	}()
	if err := e.saveState(); err != nil {
		return nil, err
	}

	if e.creds, err = writeCredentials(e.Dir); err != nil {
		return nil, fmt.Errorf("writing certificates: %w", err)
	}
	var policy string
	if opts.AuditLog {
		policy = filepath.Join(e.Dir, "audit-policy.yaml")
		if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
			return nil, err
		}
	}
	if opts.Detach {
		// A reserved port dies with this process; any closed port will do.
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		e.deadPort, e.closeDead = ports[0], func() {}
	} else if e.deadPort, e.closeDead, err = reserveClosedPort(); err != nil {
		return nil, err
	}

	for i := 1; i <= opts.Clusters; i++ {
		name := "cluster" + strconv.Itoa(i)
		c := &cluster{name: name, dir: filepath.Join(e.Dir, name)}
		if err := os.MkdirAll(filepath.Join(c.dir, "logs"), 0o755); err != nil {
			return nil, err
		}
		if opts.AuditLog {
			c.auditLog = filepath.Join(c.dir, "audit.log")
		}
		e.clusters = append(e.clusters, c)
		e.state.Clusters = append(e.state.Clusters, clusterState{Name: name, AuditLog: c.auditLog})
	}

	// The CRD bundles come from Go modules: locate them while the
	// servers start.
	crdsCh := make(chan crdResult, 1)
	go func() {
		docs, err := loadCRDs(ctx, opts.RepoRoot, e.Dir, opts.Kwok)
		crdsCh <- crdResult{docs, err}
	}()
	var stages []byte
	var stagesErr error
	var stagesWG sync.WaitGroup
	if opts.Kwok {
		stagesWG.Add(1)
		go func() {
			defer stagesWG.Done()
			stages, stagesErr = kwokStages(ctx, opts.RepoRoot, e.Dir)
		}()
	}

	if err := e.parallel(func(c *cluster) error {
		if err := e.startCluster(ctx, c, tools, policy); err != nil {
			return err
		}
		e.logf("%s: apiserver ready after %s", c.name, time.Since(began).Round(10*time.Millisecond))
		return nil
	}); err != nil {
		return nil, err
	}
	if err := e.writeKubeconfig(); err != nil {
		return nil, err
	}
	crds := <-crdsCh
	if crds.err != nil {
		return nil, crds.err
	}
	stagesWG.Wait()
	if stagesErr != nil {
		return nil, stagesErr
	}
	if err := e.parallel(func(c *cluster) error {
		want := crds.crds
		if slices.Contains(opts.IstioOnly, c.name) {
			want = withoutGloo(want)
		}
		if err := c.installCRDs(ctx, want); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		e.logf("%s: CRDs served after %s", c.name, time.Since(began).Round(10*time.Millisecond))
		if opts.Kwok {
			if err := e.startKwok(ctx, c, tools[Kwok], stages); err != nil {
				return err
			}
			e.logf("%s: fake node Ready after %s", c.name, time.Since(began).Round(10*time.Millisecond))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if opts.Istiod {
		if err := e.StartIstiod(ctx); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(opts.Log, "%d clusters ready in %s (kubeconfig %s)\n", opts.Clusters, time.Since(began).Round(10*time.Millisecond), e.Kubeconfig)
	return e, nil
}

type crdResult struct {
	crds []*unstructured.Unstructured
	err  error
}

// logf writes a progress line when Options.Verbose is set.
func (e *Env) logf(format string, args ...any) {
	if e.opts.Verbose {
		fmt.Fprintf(e.opts.Log, format+"\n", args...)
	}
}

// parallel runs f for every cluster at once and returns the first error.
func (e *Env) parallel(f func(c *cluster) error) error {
	errs := make([]error, len(e.clusters))
	var wg sync.WaitGroup
	for i, c := range e.clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(c)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// launch starts a process unless the environment is being stopped, and
// records it in the state file before returning, so that no process can
// escape Stop or a later reaper.
func (e *Env) launch(c *cluster, role, exe string, args, env []string) (*process, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return nil, errors.New("environment stopped")
	}
	log := filepath.Join(c.dir, "logs", role+".log")
	p, err := startProcess(c.name+"/"+role, exe, args, env, log, e.opts.Detach)
	if err != nil {
		return nil, err
	}
	for i := range e.state.Clusters {
		cs := &e.state.Clusters[i]
		if cs.Name == c.name {
			cs.Processes = append(cs.Processes, p)
			cs.Port, cs.EtcdPort, cs.KwokPort = c.port, c.etcdPort, c.kwok
		}
	}
	return p, e.saveStateLocked()
}

func (e *Env) saveState() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.saveStateLocked()
}

func (e *Env) saveStateLocked() error {
	return writeState(e.statePath, &e.state)
}

// startCluster starts etcd then the apiserver of one cluster, retrying with
// other ports when one was taken between choosing and binding it.
func (e *Env) startCluster(ctx context.Context, c *cluster, tools map[string]string, auditPolicy string) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var ports []int
		if ports, err = freePorts(4); err != nil {
			return err
		}
		c.etcdPort, c.peerPort, c.port, c.kwok = ports[0], ports[1], ports[2], ports[3]
		if err = e.startEtcd(ctx, c, tools[Etcd]); err == nil {
			if err = e.startAPIServer(ctx, c, tools[KubeAPIServer], auditPolicy); err == nil {
				return nil
			}
		}
		if !errors.Is(err, errPortTaken) {
			return err
		}
		// Clear the failed attempt before the next one.
		if c.apiProc != nil {
			c.apiProc.stop(stopGrace)
		}
		if c.etcdProc != nil {
			c.etcdProc.stop(stopGrace)
		}
		_ = os.RemoveAll(filepath.Join(c.dir, "etcd"))
	}
	return err
}

var errPortTaken = errors.New("port already in use")

func (e *Env) startEtcd(ctx context.Context, c *cluster, exe string) error {
	client := fmt.Sprintf("http://127.0.0.1:%d", c.etcdPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", c.peerPort)
	args := []string{
		"--name=" + c.name,
		"--data-dir=" + filepath.Join(c.dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=" + c.name + "=" + peer,
		// Test data: durability is not worth an fsync per write.
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
	p, err := e.launch(c, Etcd, exe, args, os.Environ())
	if err != nil {
		return err
	}
	c.etcdProc = p
	hc := &http.Client{Timeout: 2 * time.Second}
	return waitReady(ctx, p, 30*time.Second, func() bool {
		resp, err := hc.Get(client + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"true"`)
	})
}

func (e *Env) startAPIServer(ctx context.Context, c *cluster, exe, auditPolicy string) error {
	cr := e.creds
	args := []string{
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", c.etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", c.port),
		"--tls-cert-file=" + cr.CertFile,
		"--tls-private-key-file=" + cr.KeyFile,
		"--cert-dir=" + filepath.Join(c.dir, "certs"),
		// The default reconciler refuses 127.0.0.1 as the advertise
		// address.
		"--endpoint-reconciler-type=none",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + cr.SAPubFile,
		"--service-account-signing-key-file=" + cr.SAKeyFile,
		"--token-auth-file=" + cr.TokenFile,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		// No controller-manager creates default service accounts, so
		// this admission plugin would reject every pod.
		"--disable-admission-plugins=ServiceAccount",
		// kwok's fake node has only an InternalIP (127.0.0.1).
		"--kubelet-preferred-address-types=InternalIP,Hostname",
		"--profiling=false",
	}
	if c.auditLog != "" {
		args = append(args,
			"--audit-policy-file="+auditPolicy,
			"--audit-log-path="+c.auditLog,
			"--audit-log-format=json",
			"--audit-log-mode=blocking",
			// Rotation would hide earlier events from AuditEvents; the
			// default rotates at 100 MB.
			"--audit-log-maxsize=4096",
		)
	}
	p, err := e.launch(c, KubeAPIServer, exe, args, os.Environ())
	if err != nil {
		return err
	}
	c.apiProc = p
	if c.cfg, err = adminConfig(c.port, cr); err != nil {
		return err
	}
	readyz := newReadyzClient(c.cfg)
	if err := waitReady(ctx, p, 120*time.Second, readyz); err != nil {
		return err
	}
	if c.dyn, err = dynamic.NewForConfig(c.cfg); err != nil {
		return err
	}
	c.mapper, err = newMapper(c.cfg)
	return err
}

// adminConfig is the REST config of the admin user for a port.
func adminConfig(port int, cr *credentials) (*rest.Config, error) {
	cfg := &rest.Config{
		Host:            fmt.Sprintf("https://127.0.0.1:%d", port),
		BearerToken:     cr.AdminToken,
		TLSClientConfig: rest.TLSClientConfig{CAData: cr.CA},
		UserAgent:       UserAgent,
		QPS:             100,
		Burst:           200,
		Timeout:         30 * time.Second,
	}
	return cfg, nil
}

func newReadyzClient(cfg *rest.Config) func() bool {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(cfg.CAData)
	hc := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	return func() bool {
		req, err := http.NewRequest(http.MethodGet, cfg.Host+"/readyz", nil)
		if err != nil {
			return false
		}
		req.Header.Set("Authorization", "Bearer "+cfg.BearerToken)
		resp, err := hc.Do(req)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode == http.StatusOK
	}
}

// waitReady polls ready until it holds, the process exits (an error with the
// end of its log; errPortTaken when it lost a port race) or timeout passes.
func waitReady(ctx context.Context, p *process, timeout time.Duration, ready func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ready() {
			return nil
		}
		if !p.alive() {
			tail := p.logTail(15)
			if strings.Contains(tail, "address already in use") {
				return fmt.Errorf("%s: %w", p.Name, errPortTaken)
			}
			return fmt.Errorf("%s exited before it was ready; end of %s:\n%s", p.Name, p.Log, tail)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s; end of %s:\n%s", p.Name, timeout, p.Log, p.logTail(15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// writeKubeconfig writes contexts clusterN (admin, in system:masters),
// clusterN-limited (a user in no group) and dead; current: cluster1.
func (e *Env) writeKubeconfig() error {
	cfg := clientcmdapi.NewConfig()
	cfg.AuthInfos[adminUser] = &clientcmdapi.AuthInfo{Token: e.creds.AdminToken}
	cfg.AuthInfos[limitedUser] = &clientcmdapi.AuthInfo{Token: e.creds.LimitedToken}
	for _, c := range e.clusters {
		cfg.Clusters[c.name] = &clientcmdapi.Cluster{
			Server:                   fmt.Sprintf("https://127.0.0.1:%d", c.port),
			CertificateAuthorityData: e.creds.CA,
		}
		cfg.Contexts[c.name] = &clientcmdapi.Context{Cluster: c.name, AuthInfo: adminUser}
		if !e.opts.OnlyClusterContexts {
			cfg.Contexts[c.name+LimitedSuffix] = &clientcmdapi.Context{Cluster: c.name, AuthInfo: limitedUser}
		}
	}
	cfg.CurrentContext = e.clusters[0].name
	if e.opts.OnlyClusterContexts {
		delete(cfg.AuthInfos, limitedUser)
		return clientcmd.WriteToFile(*cfg, e.Kubeconfig)
	}
	cfg.Clusters[DeadContext] = &clientcmdapi.Cluster{
		Server:                   fmt.Sprintf("https://127.0.0.1:%d", e.deadPort),
		CertificateAuthorityData: e.creds.CA,
	}
	cfg.Contexts[DeadContext] = &clientcmdapi.Context{Cluster: DeadContext, AuthInfo: adminUser}
	return clientcmd.WriteToFile(*cfg, e.Kubeconfig)
}

// Contexts returns every context of the kubeconfig: cluster1..N, then
// cluster1-limited..N-limited, then dead.
func (e *Env) Contexts() []string {
	var out []string
	for _, c := range e.clusters {
		out = append(out, c.name)
	}
	if e.opts.OnlyClusterContexts {
		return out
	}
	for _, c := range e.clusters {
		out = append(out, c.name+LimitedSuffix)
	}
	return append(out, DeadContext)
}

// Clusters returns the admin contexts, one per cluster: cluster1..N.
func (e *Env) Clusters() []string {
	var out []string
	for _, c := range e.clusters {
		out = append(out, c.name)
	}
	return out
}

// RESTConfig returns a copy of the admin REST config of a cluster.
func (e *Env) RESTConfig(context string) (*rest.Config, error) {
	c, err := e.cluster(context)
	if err != nil {
		return nil, err
	}
	return rest.CopyConfig(c.cfg), nil
}

func (e *Env) cluster(context string) (*cluster, error) {
	for _, c := range e.clusters {
		if c.name == context {
			return c, nil
		}
	}
	return nil, fmt.Errorf("no cluster for context %q (clusters: %s)", context, strings.Join(e.Clusters(), ", "))
}

// StopCluster stops the apiserver (and kwok) of one cluster, leaving its
// context pointing at a closed port, for fault tests. Its etcd runs on
// until Stop.
func (e *Env) StopCluster(context string) error {
	c, err := e.cluster(context)
	if err != nil {
		return err
	}
	c.kwokProc.stopIfStarted()
	c.apiProc.stopIfStarted()
	return nil
}

func (p *process) stopIfStarted() {
	if p != nil {
		p.stop(stopGrace)
	}
}

// Stop stops every process the environment started, apiservers and kwok
// before their etcd (SIGTERM, SIGKILL after a few seconds), then removes its
// folder and state file. It is idempotent, and runs on SIGINT and SIGTERM of
// the process that started the environment.
func (e *Env) Stop() error {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	st := e.state
	e.mu.Unlock()

	stopRecorded(&st, e.statePath)
	if e.closeDead != nil {
		e.closeDead()
	}
	untrack(e)
	return nil
}

// Attach returns the running detached environment of a name, after checking
// that all its processes run and its apiservers are ready.
func Attach(ctx context.Context, name string) (*Env, error) {
	path, err := statePath(name)
	if err != nil {
		return nil, err
	}
	st, err := readState(path)
	if err != nil {
		return nil, err
	}
	e := &Env{Kubeconfig: st.Kubeconfig, Dir: st.Dir, statePath: path, state: *st, closeDead: func() {}}
	e.opts = Options{Name: name, Detach: st.Detached, Kwok: st.Kwok, Clusters: len(st.Clusters), OnlyClusterContexts: st.OnlyClusterContexts, Log: io.Discard}
	for _, cs := range st.Clusters {
		if len(cs.Processes) == 0 {
			return nil, fmt.Errorf("%s: cluster %s has no process", name, cs.Name)
		}
		c := &cluster{name: cs.Name, dir: filepath.Join(st.Dir, cs.Name), port: cs.Port, etcdPort: cs.EtcdPort, kwok: cs.KwokPort, auditLog: cs.AuditLog}
		for _, p := range cs.Processes {
			if !p.alive() {
				return nil, fmt.Errorf("%s: %s is not running", name, p.Name)
			}
			switch {
			case strings.HasSuffix(p.Name, "/"+Etcd):
				c.etcdProc = p
			case strings.HasSuffix(p.Name, "/"+KubeAPIServer):
				c.apiProc = p
			case strings.HasSuffix(p.Name, "/"+Kwok):
				c.kwokProc = p
			}
		}
		if c.cfg, err = configFromKubeconfig(st.Kubeconfig, cs.Name); err != nil {
			return nil, err
		}
		c.cfg.UserAgent, c.cfg.QPS, c.cfg.Burst = UserAgent, 100, 200
		if err := waitReady(ctx, c.apiProc, 5*time.Second, newReadyzClient(c.cfg)); err != nil {
			return nil, err
		}
		if c.dyn, err = dynamic.NewForConfig(c.cfg); err != nil {
			return nil, err
		}
		if c.mapper, err = newMapper(c.cfg); err != nil {
			return nil, err
		}
		e.clusters = append(e.clusters, c)
	}
	if len(e.clusters) == 0 {
		return nil, fmt.Errorf("%s: no cluster", name)
	}
	return e, nil
}

func configFromKubeconfig(path, context string) (*rest.Config, error) {
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, err
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, context, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		return nil, err
	}
	// The readiness probe reads these directly.
	if len(cfg.CAData) == 0 {
		return nil, fmt.Errorf("%s: context %s has no CA data", path, context)
	}
	return cfg, nil
}

// ProcessRSS returns the resident memory in bytes of each running process
// of the environment by name (cluster1/kube-apiserver, ...), Linux only.
func (e *Env) ProcessRSS() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int64{}
	for _, cs := range e.state.Clusters {
		for _, p := range cs.Processes {
			if p.alive() {
				if n, err := rss(p.PID); err == nil {
					out[p.Name] = n
				}
			}
		}
	}
	return out
}

// sortedKeys is used for stable messages.
func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
