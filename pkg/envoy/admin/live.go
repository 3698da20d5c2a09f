package admin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	"k8s.io/klog/v2"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/kube"
	"github.com/kubectl-vd/kubectl-vd/pkg/source"
)

// DefaultAdminPort is the Envoy admin port of Istio proxies.
const DefaultAdminPort = 15000

// Pod reads the admin API of the proxy in one pod through a port-forward,
// like `kubectl port-forward` and istioctl. Every call (opening the
// forward, each request with its body) is bounded by the cluster's request
// timeout.
type Pod struct {
	Cluster   *kube.Cluster
	Namespace string
	Name      string
	AdminPort int

	mu  sync.Mutex
	fwd *forward
}

var _ Source = (*Pod)(nil)

// String names the pod in messages.
func (p *Pod) String() string { return "pod " + p.Namespace + "/" + p.Name }

// ConfigDump fetches /config_dump with the given path and query.
func (p *Pod) ConfigDump(ctx context.Context, path string, opts envoy.ReadOptions) (*envoy.Dump, error) {
	var dump *envoy.Dump
	err := p.get(ctx, path, func(r io.Reader) error {
		var err error
		dump, err = envoy.ReadConfigDump(r, opts)
		return err
	})
	return dump, err
}

// Clusters fetches /clusters?format=json.
func (p *Pod) Clusters(ctx context.Context, keepJSON bool) ([]envoy.ClusterStatus, error) {
	var cs []envoy.ClusterStatus
	err := p.get(ctx, ClustersPath, func(r io.Reader) error {
		var err error
		cs, err = envoy.ReadClusters(r, keepJSON)
		return err
	})
	return cs, err
}

// Get sends GET /path to the admin API and hands the body to read, for
// readers of their own (a route trace streams the config dump twice).
func (p *Pod) Get(ctx context.Context, path string, read func(io.Reader) error) error {
	return p.get(ctx, path, read)
}

// Close stops the port-forward.
func (p *Pod) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fwd != nil {
		p.fwd.close()
		p.fwd = nil
	}
}

func (p *Pod) port() int {
	if p.AdminPort == 0 {
		return DefaultAdminPort
	}
	return p.AdminPort
}

func (p *Pod) timeout() time.Duration {
	if p.Cluster.Timeout > 0 {
		return p.Cluster.Timeout
	}
	return kube.DefaultRequestTimeout
}

// get sends GET /path to the admin API and hands the body to read.
func (p *Pod) get(ctx context.Context, path string, read func(io.Reader) error) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	p.mu.Lock()
	if p.fwd == nil {
		fwd, err := openForward(ctx, p.Cluster, p.Namespace, p.Name, p.port())
		if err != nil {
			p.mu.Unlock()
			return fmt.Errorf("%s: %w", p, err)
		}
		p.fwd = fwd
	}
	fwd := p.fwd
	p.mu.Unlock()
	fwd.errs.reset()

	endpoint := "/" + strings.SplitN(path, "?", 2)[0]
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+fwd.addr+"/"+path, nil)
	if err != nil {
		return err
	}
	resp, err := fwd.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %s", p, fwd.explain(ctx, err, p.port()))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: the Envoy admin API answered %s to GET %s%s", p, resp.Status, endpoint, bodyExcerpt(resp.Body))
	}
	if err := read(resp.Body); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: reading %s timed out after %s", p, endpoint, p.timeout())
		}
		if fe := fwd.forwardError(); fe != "" {
			return fmt.Errorf("%s: %s", p, fe)
		}
		return fmt.Errorf("%s: %s: %s", p, endpoint, DescribeDecodeError(err))
	}
	return nil
}

// bodyExcerpt is the first line of an error answer, for the message.
func bodyExcerpt(r io.Reader) string {
	line, _ := bufio.NewReader(io.LimitReader(r, 512)).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		return ""
	}
	return ": " + line
}

// forward is a running port-forward from a local port to the pod.
type forward struct {
	addr   string
	client *http.Client
	cancel context.CancelFunc
	done   chan struct{}
	errs   *errorSink
}

// openForward starts a port-forward to the pod's port on a free local port
// of 127.0.0.1, with client-go's port-forwarder over SPDY.
func openForward(ctx context.Context, c *kube.Cluster, namespace, pod string, port int) (*forward, error) {
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	transport, upgrader, err := spdy.RoundTripperFor(c.Config)
	if err != nil {
		return nil, err
	}
	u := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(namespace).Name(pod).SubResource("portforward").URL()
	dialer := spdy.NewDialer(upgrader, &http.Client{Transport: transport}, http.MethodPost, u)

	// The port-forwarder reports failures of each forwarded connection
	// through its logger: collect them instead of printing them.
	sink := &errorSink{}
	fctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logr.New(sink)))
	ready := make(chan struct{})
	pf, err := portforward.NewOnAddressesWithContext(fctx, dialer, []string{"127.0.0.1"},
		[]string{"0:" + strconv.Itoa(port)}, ready, io.Discard, io.Discard)
	if err != nil {
		cancel()
		return nil, err
	}
	done := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(done)
		errc <- pf.ForwardPorts()
	}()
	select {
	case <-ready:
	case err := <-errc:
		cancel()
		return nil, fmt.Errorf("port-forward to port %d failed: %s", port, describeForwardError(err))
	case <-ctx.Done():
		cancel()
		return nil, fmt.Errorf("port-forward to port %d timed out", port)
	}
	ports, err := pf.GetPorts()
	if err != nil || len(ports) == 0 {
		cancel()
		return nil, fmt.Errorf("port-forward to port %d: no local port", port)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local)))
	client := &http.Client{Transport: &http.Transport{
		Proxy:              nil,
		DisableKeepAlives:  true,
		DisableCompression: false,
	}}
	return &forward{addr: addr, client: client, cancel: cancel, done: done, errs: sink}, nil
}

func (f *forward) close() {
	f.cancel()
	select {
	case <-f.done:
	case <-time.After(2 * time.Second):
	}
}

// forwardError is the last failure the port-forwarder reported.
func (f *forward) forwardError() string { return f.errs.last() }

// explain turns a failed request into one line: the port-forward's own
// error when it reported one (such as a refused connection in the pod).
func (f *forward) explain(ctx context.Context, err error, port int) string {
	if ctx.Err() != nil && f.errs.last() == "" {
		return fmt.Sprintf("the Envoy admin API on port %d did not answer in time", port)
	}
	// The forwarder reports after the connection closes, the cause (the
	// pod's side of the forward failing) last: give it a moment.
	deadline := time.Now().Add(2 * time.Second)
	for !f.errs.hasCause() && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if fe := f.errs.last(); fe != "" {
		return fe
	}
	return fmt.Sprintf("no answer from the Envoy admin API on port %d: %s", port, shortNetError(err))
}

// shortNetError is the innermost cause of a failed request ("EOF").
func shortNetError(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return kube.OneLine(err.Error())
		}
		err = inner
	}
}

// describeForwardError words a failure to open the port-forward.
func describeForwardError(err error) string {
	msg := source.Describe(err)
	if strings.Contains(msg, "unable to upgrade connection") {
		// "unable to upgrade connection: pod does not exist" and the like.
		if _, rest, ok := strings.Cut(msg, "unable to upgrade connection: "); ok {
			return strings.TrimSpace(rest)
		}
	}
	return msg
}

// errorSink is a logr sink that keeps the errors it is given.
type errorSink struct {
	mu   sync.Mutex
	msgs []string
	// cause is the error the pod's side reported for the forward.
	cause string
}

// forwardFailure is how client-go's port-forwarder logs the error the
// kubelet sends back for one forwarded connection.
const forwardFailure = "An error occurred forwarding"

func (s *errorSink) Init(logr.RuntimeInfo)                 {}
func (s *errorSink) Enabled(int) bool                      { return false }
func (s *errorSink) Info(int, string, ...any)              {}
func (s *errorSink) WithValues(...any) logr.LogSink        { return s }
func (s *errorSink) WithName(string) logr.LogSink          { return s }
func (s *errorSink) Error(err error, msg string, _ ...any) { s.add(err, msg) }

func (s *errorSink) add(err error, msg string) {
	text := msg
	if err != nil {
		text = kube.OneLine(err.Error())
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, text)
	if msg == forwardFailure && err != nil {
		s.cause = text
	}
	s.mu.Unlock()
}

func (s *errorSink) hasCause() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause != ""
}

func (s *errorSink) reset() {
	s.mu.Lock()
	s.msgs, s.cause = nil, ""
	s.mu.Unlock()
}

// last is the cause when known, else the last error reported.
func (s *errorSink) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.cause != "":
		return "port-forward failed: " + s.cause
	case len(s.msgs) > 0:
		return "port-forward failed: " + s.msgs[len(s.msgs)-1]
	}
	return ""
}

// Fetch returns the body of GET /path as the proxy answered it, for
// callers that save answers (bundles) rather than decode them.
func (p *Pod) Fetch(ctx context.Context, path string) ([]byte, error) {
	var body []byte
	err := p.get(ctx, path, func(r io.Reader) error {
		var err error
		body, err = io.ReadAll(r)
		return err
	})
	return body, err
}
