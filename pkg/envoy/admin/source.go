// Package admin gets Envoy admin API answers for the envoy commands: from
// a pod, through a Kubernetes port-forward to the proxy's admin port (as
// istioctl does), or from files saved earlier. It decodes while reading, so
// that large answers never sit whole in memory.
package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/internal/jsonscan"
)

// Admin paths, with istioctl's masks.
const (
	// ClustersDumpPath is istioctl's request for `proxy-config clusters`.
	ClustersDumpPath = "config_dump?mask=dynamic_active_clusters,dynamic_warming_clusters,static_clusters"
	// ClustersAndEDSDumpPath adds the EDS section (for -o wide).
	ClustersAndEDSDumpPath = "config_dump?include_eds=true&mask=dynamic_active_clusters,dynamic_warming_clusters,static_clusters,dynamic_endpoint_configs,static_endpoint_configs"
	// EDSDumpPath is the EDS section only.
	EDSDumpPath = "config_dump?include_eds=true&mask=dynamic_endpoint_configs,static_endpoint_configs"
	// ClustersPath is istioctl's request for `proxy-config endpoints`.
	ClustersPath = "clusters?format=json"
)

// Source gives the admin answers of one proxy.
type Source interface {
	// ConfigDump reads /config_dump (path is the admin path and query a
	// live proxy is asked; files hold what they hold).
	ConfigDump(ctx context.Context, path string, opts envoy.ReadOptions) (*envoy.Dump, error)
	// Clusters reads /clusters?format=json.
	Clusters(ctx context.Context, keepJSON bool) ([]envoy.ClusterStatus, error)
	// Close releases what the source holds (a port-forward).
	Close()
	// String names the proxy or the files in messages.
	String() string
}

// Files reads admin answers saved to files ("-" is standard input). Each
// file is read once, when first needed, and recognised by its content: a
// config dump or a /clusters answer.
type Files struct {
	Paths []string
	Stdin io.Reader

	read     bool
	files    []namedFile
	opts     envoy.ReadOptions
	keepJSON bool
	err      error
}

type namedFile struct {
	name string
	f    *envoy.AdminFile
}

var _ Source = (*Files)(nil)

func (s *Files) load(opts envoy.ReadOptions, keepJSON bool) error {
	if s.read {
		return s.err
	}
	s.read = true
	s.opts, s.keepJSON = opts, keepJSON
	for _, p := range s.Paths {
		f, err := s.readOne(p, opts)
		if err != nil {
			s.err = err
			return err
		}
		for _, prev := range s.files {
			if (prev.f.Dump != nil) == (f.Dump != nil) {
				s.err = fmt.Errorf("%s and %s are both %s: give at most one of each kind", prev.name, displayName(p), f.Kind())
				return s.err
			}
		}
		s.files = append(s.files, namedFile{name: displayName(p), f: f})
	}
	return nil
}

// HasClusters reports whether one of the files is a /clusters answer
// (after a first read).
func (s *Files) HasClusters() bool {
	for _, f := range s.files {
		if f.f.Clusters != nil {
			return true
		}
	}
	return false
}

func displayName(p string) string {
	if p == "-" {
		return "standard input"
	}
	return p
}

func (s *Files) readOne(p string, opts envoy.ReadOptions) (*envoy.AdminFile, error) {
	var r io.Reader
	if p == "-" {
		if s.Stdin == nil {
			return nil, errors.New("no standard input to read")
		}
		r = s.Stdin
	} else {
		fh, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %s", p, pathError(err))
		}
		defer fh.Close()
		if st, err := fh.Stat(); err == nil && st.IsDir() {
			return nil, fmt.Errorf("%s is a directory, not a saved Envoy admin answer", p)
		}
		r = fh
	}
	f, err := envoy.ReadAdminFile(r, opts, s.keepJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", displayName(p), DescribeDecodeError(err))
	}
	return f, nil
}

func pathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ConfigDump returns the file holding a config dump.
func (s *Files) ConfigDump(_ context.Context, _ string, opts envoy.ReadOptions) (*envoy.Dump, error) {
	if err := s.load(opts, false); err != nil {
		return nil, err
	}
	for _, f := range s.files {
		if f.f.Dump != nil {
			return f.f.Dump, nil
		}
	}
	if len(s.files) == 1 {
		if s.files[0].f.Clusters != nil {
			// The clusters view needs each cluster's discovery type and
			// DestinationRule, which only the config dump holds.
			return nil, fmt.Errorf("%s is %s, which lists hosts but not cluster types nor DestinationRules: give a saved /config_dump (curl localhost:15000/config_dump)", s.files[0].name, s.files[0].f.Kind())
		}
		return nil, fmt.Errorf("%s is %s, not a /config_dump", s.files[0].name, s.files[0].f.Kind())
	}
	return nil, errors.New("none of the files is an Envoy /config_dump")
}

// Clusters returns the file holding a /clusters answer.
func (s *Files) Clusters(_ context.Context, keepJSON bool) ([]envoy.ClusterStatus, error) {
	if err := s.load(s.opts, keepJSON); err != nil {
		return nil, err
	}
	for _, f := range s.files {
		if f.f.Clusters != nil {
			return f.f.Clusters, nil
		}
	}
	if len(s.files) == 1 {
		return nil, fmt.Errorf("%s is %s, not a /clusters?format=json answer", s.files[0].name, s.files[0].f.Kind())
	}
	return nil, errors.New("none of the files is an Envoy /clusters?format=json answer")
}

// HasConfigDump reports whether one of the files is a config dump (after
// a first read).
func (s *Files) HasConfigDump() bool {
	for _, f := range s.files {
		if f.f.Dump != nil {
			return true
		}
	}
	return false
}

// Load reads every file now, with the options a config dump is read with
// and whether the JSON of each /clusters cluster is kept.
func (s *Files) Load(opts envoy.ReadOptions, keepClusterJSON bool) error {
	return s.load(opts, keepClusterJSON)
}

// String names the files.
func (s *Files) String() string {
	names := make([]string, len(s.Paths))
	for i, p := range s.Paths {
		names[i] = displayName(p)
	}
	return strings.Join(names, ", ")
}

// Close does nothing: files are closed once read.
func (s *Files) Close() {}

// DescribeDecodeError words a decoding error for one line of output.
func DescribeDecodeError(err error) string {
	var se *jsonscan.SyntaxError
	if errors.As(err, &se) && se.Offset == 0 {
		if se.Msg == "unexpected end of JSON input" {
			return "empty, not an Envoy admin API answer"
		}
		return "not JSON, not an Envoy admin API answer (" + se.Msg + ")"
	}
	return err.Error()
}
