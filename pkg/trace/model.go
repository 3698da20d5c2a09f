// Package trace follows one HTTP request from a proxy twice: through the
// Istio configuration (the VirtualServices, DestinationRules, services and
// endpoints istiod would read, and the priorities it would assign), and
// through what the proxy holds (its listeners, route configurations,
// clusters and EDS), then says whether both agree. A proxy that is stale or
// that rejected an update shows as a difference.
package trace

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/locality"
)

// Request is the HTTP request traced.
type Request struct {
	URL    string
	Scheme string
	// Host is the URL's host, as written.
	Host string
	// Port is the URL's port, or 80 (443 for https).
	Port      uint32
	PortGiven bool
	// Path is the path and query.
	Path    string
	Method  string
	Headers map[string]string
	// hostHeader is a Host header given with -H: the authority the proxy
	// routes on instead of the URL's.
	hostHeader string
}

// Authority is the Host header the request carries.
func (r Request) Authority() string {
	if r.hostHeader != "" {
		return r.hostHeader
	}
	host := r.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 address
	}
	if r.PortGiven {
		return host + ":" + strconv.Itoa(int(r.Port))
	}
	return host
}

// line is the request as the outputs show it: method, URL, and the Host
// header when one was given.
func (r Request) line() string {
	if r.hostHeader != "" {
		return r.Method + " " + r.URL + " (Host: " + r.hostHeader + ")"
	}
	return r.Method + " " + r.URL
}

// ParseRequest reads the URL (http://HOST[:PORT]/PATH[?QUERY]), the
// method and "Name: value" headers.
func ParseRequest(raw, method string, headers []string) (Request, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Request{}, fmt.Errorf("invalid URL %q: %s", raw, unwrapURLError(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Request{}, fmt.Errorf("invalid URL %q: use http://HOST[:PORT]/PATH", raw)
	}
	if u.Hostname() == "" {
		return Request{}, fmt.Errorf("invalid URL %q: no host", raw)
	}
	if u.User != nil || u.Fragment != "" {
		return Request{}, fmt.Errorf("invalid URL %q: no user or fragment in a traced URL", raw)
	}
	r := Request{URL: raw, Scheme: u.Scheme, Host: strings.ToLower(u.Hostname()), Port: 80, Method: strings.ToUpper(method), Headers: map[string]string{}}
	if u.Scheme == "https" {
		r.Port = 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return Request{}, fmt.Errorf("invalid URL %q: port %q", raw, p)
		}
		r.Port, r.PortGiven = uint32(n), true
	}
	r.Path = NormalizePath(u.EscapedPath())
	if r.Path == "" {
		r.Path = "/"
	}
	if u.RawQuery != "" {
		r.Path += "?" + u.RawQuery
	}
	if r.Method == "" {
		r.Method = "GET"
	}
	if !isToken(r.Method) {
		return Request{}, fmt.Errorf("invalid method %q: an HTTP method is a token (GET, POST, ...)", method)
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		name = strings.TrimSpace(name)
		if !ok || !isToken(name) {
			return Request{}, fmt.Errorf("invalid header %q: use -H 'Name: value'", h)
		}
		r.Headers[strings.ToLower(name)] = strings.TrimSpace(value)
	}
	if h, ok := r.Headers["host"]; ok {
		// As curl -H 'Host: NAME' http://ADDRESS/: the connection goes to
		// the URL's port, the proxy routes on the header.
		u, err := url.Parse("http://" + h)
		if err != nil || h == "" || u.Hostname() == "" || u.Host != h {
			return Request{}, fmt.Errorf("invalid Host header %q: use -H 'Host: NAME[:PORT]'", h)
		}
		r.Host, r.hostHeader = strings.ToLower(u.Hostname()), h
	}
	return r, nil
}

// NormalizePath is the path as Istio's proxies route it: their HTTP
// connection managers set normalize_path (RFC 3986 normalization before
// routing) and keep escaped slashes (path_with_escaped_slashes_action
// KEEP_UNCHANGED), without merging slashes. Percent-encoded unreserved
// characters are decoded, other escapes upper-cased, and dot segments
// removed.
func NormalizePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			c := unhex(p[i+1])<<4 | unhex(p[i+2])
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
				b.WriteByte(c)
			} else {
				b.WriteString(strings.ToUpper(p[i : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(p[i])
	}
	return removeDotSegments(b.String())
}

// removeDotSegments is RFC 3986's section 5.2.4 on an absolute path.
func removeDotSegments(in string) string {
	var out []string
	segs := strings.Split(in, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	res := strings.Join(out, "/")
	if !strings.HasPrefix(res, "/") {
		res = "/" + res
	}
	return res
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// isToken tells whether s is an HTTP token (RFC 9110 tchar), as a method
// and a header name must be.
func isToken(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", c):
		default:
			return false
		}
	}
	return s != ""
}

func unwrapURLError(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// Source is the proxy the request leaves from.
type Source struct {
	// Kind is "sidecar" or "gateway".
	Kind      string
	Namespace string
	Name      string
	Locality  locality.Locality
	Labels    map[string]string
	// Cluster is the Istio cluster of the proxy when known.
	Cluster string
	Network string
}

// String names the source as the outputs show it.
func (s Source) String() string {
	out := s.Kind + " " + s.Namespace + "/" + s.Name
	if l := s.Locality.String(); l != "" {
		out += " (" + l + ")"
	}
	return out
}

// Endpoint is one endpoint of a destination.
type Endpoint struct {
	Address  string `json:"address"`
	Port     uint32 `json:"port"`
	Locality string `json:"locality"`
	Priority uint32 `json:"priority"`
	Weight   uint32 `json:"weight"`
	Health   string `json:"health,omitempty"`
}

func (e Endpoint) hostPort() string {
	if strings.Contains(e.Address, ":") {
		return "[" + e.Address + "]:" + strconv.Itoa(int(e.Port))
	}
	return e.Address + ":" + strconv.Itoa(int(e.Port))
}

// Destination is one destination of the route, with its Envoy cluster and
// endpoints.
type Destination struct {
	Host         string     `json:"host"`
	Subset       string     `json:"subset"`
	Port         uint32     `json:"port"`
	Weight       uint32     `json:"weight"`
	EnvoyCluster string     `json:"envoyCluster"`
	Endpoints    []Endpoint `json:"endpoints"`
	// DestinationRule (NS/NAME) in scope, and the ServiceEntry or Service
	// the host is, on the configuration side; the DestinationRule the
	// cluster's metadata names on the proxy side.
	DestinationRule string `json:"destinationRule,omitempty"`
	Service         string `json:"service,omitempty"`
}

// Trace is one side of a trace.
type Trace struct {
	Routed bool `json:"routed"`
	// Reason says what happened: routed, a redirect, a direct response, or
	// why the request is not routed.
	Reason         string        `json:"reason"`
	VirtualService string        `json:"virtualService"`
	Route          string        `json:"route"`
	Destinations   []Destination `json:"destinations"`
	// Steps the proxy side went through.
	Listener    string `json:"listener,omitempty"`
	RouteConfig string `json:"routeConfig,omitempty"`
	VirtualHost string `json:"virtualHost,omitempty"`
	// Rewrite, Fault and Action describe what the route does besides
	// forwarding.
	Rewrite string `json:"rewrite,omitempty"`
	Fault   string `json:"fault,omitempty"`
	// Mirror are the Envoy clusters requests are mirrored to, joined by ", ".
	Mirror string `json:"mirror,omitempty"`
	// EndpointsUnknown is set on the proxy side when its dump has no EDS
	// section (saved without ?include_eds): its endpoints are not known,
	// and not compared.
	EndpointsUnknown bool `json:"endpointsUnknown,omitempty"`
	// Notes are what the trace could not evaluate.
	Notes []string `json:"notes,omitempty"`
}

// Result is the trace of one context.
type Result struct {
	Context     string   `json:"context"`
	Source      string   `json:"source"`
	Config      *Trace   `json:"config"`
	Proxy       *Trace   `json:"proxy"`
	Agree       bool     `json:"agree"`
	Differences []string `json:"differences"`
	// Error is why this context could not be traced.
	Error string `json:"error,omitempty"`
}

// Routed tells whether the request is routed and both sides agree.
func (r *Result) Routed() bool {
	if r.Error != "" {
		return false
	}
	for _, t := range []*Trace{r.Config, r.Proxy} {
		if t != nil && !t.Routed {
			return false
		}
	}
	return r.Agree
}

// sortEndpoints orders endpoints by priority, then locality, then
// address:port, as istiod orders them.
func sortEndpoints(eps []Endpoint) {
	sort.SliceStable(eps, func(i, j int) bool {
		a, b := eps[i], eps[j]
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		if a.Locality != b.Locality {
			return a.Locality < b.Locality
		}
		return a.hostPort() < b.hostPort()
	})
}
