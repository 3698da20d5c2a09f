// Package writer prints Envoy clusters and endpoints the way
// `istioctl proxy-config clusters|endpoints` prints them (the same bytes
// for the same input and filters), plus wide views with what failover
// debugging needs. Writers take an io.Writer, the data already read and
// filters; they never fetch anything.
package writer

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy"
)

// Output formats.
const (
	FormatShort = "short"
	FormatWide  = "wide"
	FormatJSON  = "json"
	FormatYAML  = "yaml"
	// FormatMarkdown is the short table as GitHub-flavoured Markdown.
	FormatMarkdown = "markdown"
)

// ValidateFormat checks an -o value ("" is short).
func ValidateFormat(f string) error {
	switch f {
	case "", FormatShort, FormatWide, FormatJSON, FormatYAML, FormatMarkdown:
		return nil
	}
	return fmt.Errorf("output format %q not supported, use one of: short, wide, json, yaml, markdown", f)
}

// newTable is istioctl's table writer: the last column is padded too, so a
// row whose last cell is empty keeps its trailing spaces.
func newTable(w io.Writer) *tabwriter.Writer {
	return new(tabwriter.Writer).Init(w, 0, 8, 5, ' ', 0)
}

// ClusterFilter selects clusters as istioctl's flags do: FQDN, Subset and
// Direction are substrings of the cluster name, Port matches "|PORT|".
type ClusterFilter struct {
	FQDN      string
	Port      int
	Subset    string
	Direction string
	// Hosts, when not nil, keeps only the clusters of these service FQDNs
	// (a VirtualDestination's hosts).
	Hosts map[string]bool
}

// Verify reports whether a cluster name passes the filter.
func (f ClusterFilter) Verify(name string) bool {
	if f.Hosts != nil && !f.Hosts[envoy.ClusterHost(name)] {
		return false
	}
	if f.FQDN != "" && !strings.Contains(name, f.FQDN) {
		return false
	}
	if f.Direction != "" && !strings.Contains(name, f.Direction) {
		return false
	}
	if f.Subset != "" && !strings.Contains(name, f.Subset) {
		return false
	}
	if f.Port != 0 && !strings.Contains(name, "|"+strconv.Itoa(f.Port)+"|") {
		return false
	}
	return true
}

// ClusterSet is the clusters of one proxy.
type ClusterSet struct {
	// Context is the kube context the proxy was read in ("" offline).
	Context string
	Dump    *envoy.Dump
	// Hosts, when not nil, replaces the filter's Hosts for this proxy.
	Hosts map[string]bool
}

func (f ClusterFilter) forSet(hosts map[string]bool) ClusterFilter {
	if hosts != nil {
		f.Hosts = hosts
	}
	return f
}

type sortedCluster struct {
	c   *envoy.ClusterSummary
	key envoy.SubsetKey
}

// sortClusters orders clusters as istioctl does: by service FQDN, subset,
// port, then direction; names that are not subset keys sort by name. The
// same unstable sort runs on the same input, so ties land where
// istioctl puts them.
func sortClusters(cs []envoy.ClusterSummary) []sortedCluster {
	out := make([]sortedCluster, len(cs))
	for i := range cs {
		out[i].c = &cs[i]
		if envoy.IsSubsetKey(cs[i].Name) {
			out[i].key = envoy.ParseSubsetKey(cs[i].Name)
		} else {
			out[i].key = envoy.SubsetKey{Host: cs[i].Name}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := &out[i].key, &out[j].key
		if a.Host == b.Host {
			if a.Subset == b.Subset {
				if a.Port == b.Port {
					return a.Direction < b.Direction
				}
				return a.Port < b.Port
			}
			return a.Subset < b.Subset
		}
		return a.Host < b.Host
	})
	return out
}

// DestinationRule renders the istio metadata "config" path of a cluster as
// istioctl's DESTINATION RULE column: NAME.NAMESPACE for a networking.istio.io
// resource path, <unknown> for another path, "" without the key.
func DestinationRule(c *envoy.ClusterSummary) string {
	if !c.HasConfig {
		return ""
	}
	return renderConfig(c.Config)
}

func renderConfig(path string) string {
	for _, prefix := range []string{
		"/apis/networking.istio.io/v1alpha3/namespaces/",
		"/apis/networking.istio.io/v1beta1/namespaces/",
		"/apis/networking.istio.io/v1/namespaces/",
	} {
		if strings.HasPrefix(path, prefix) {
			pieces := strings.Split(path, "/")
			if len(pieces) != 8 {
				return ""
			}
			return pieces[7] + "." + pieces[5]
		}
	}
	return "<unknown>"
}

// ClusterOptions change the cluster table.
type ClusterOptions struct {
	// Markdown writes the table as GitHub-flavoured Markdown.
	Markdown bool
	// Wide adds TLS MODE, SNI, LOCALITY LB and OUTLIER DETECTION.
	Wide bool
	// ContextColumn adds a first CONTEXT column (several contexts).
	ContextColumn bool
	// Warn, when set, is told about the values of the printed clusters that
	// Envoy's schema does not define.
	Warn io.Writer
	// typePrefix is istioctl's `proxy-config all` layout: a first NAME
	// column, cluster/NAME.
	typePrefix bool
}

// PrintClusterSummary prints the cluster table of each set.
func PrintClusterSummary(out io.Writer, sets []ClusterSet, f ClusterFilter, o ClusterOptions) error {
	t := &table{markdown: o.Markdown}
	header := []string{"SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"}
	if o.typePrefix {
		header = append([]string{"NAME"}, header...)
	}
	if o.Wide {
		header = append(header, "TLS MODE", "SNI", "LOCALITY LB", "OUTLIER DETECTION")
	}
	if o.ContextColumn {
		header = append([]string{"CONTEXT"}, header...)
	}
	t.add(header...)
	var warnings []*notes
	for _, set := range sets {
		var eds edsIndex
		if o.Wide {
			eds = newEDSIndex(set.Dump.Endpoints)
		}
		n := &notes{context: set.Context}
		warnings = append(warnings, n)
		f := f.forSet(set.Hosts)
		for _, sc := range sortClusters(set.Dump.Clusters) {
			c := sc.c
			if !f.Verify(c.Name) {
				continue
			}
			n.add(c.Notes...)
			var row []string
			if o.ContextColumn {
				row = append(row, set.Context)
			}
			name := c.Name
			if o.typePrefix {
				name = "cluster/" + name
				row = append(row, name)
			}
			if envoy.IsSubsetKey(c.Name) {
				subset := sc.key.Subset
				if subset == "" {
					subset = "-"
				}
				row = append(row, sc.key.Host, strconv.Itoa(sc.key.Port), subset, sc.key.Direction, c.Type, DestinationRule(c))
			} else {
				row = append(row, name, "-", "-", "-", c.Type, DestinationRule(c))
			}
			if o.Wide {
				wi, err := clusterWide(c, eds)
				if err != nil {
					return err
				}
				row = append(row, wi.TLSMode, wi.SNI, wi.LocalityLB, wi.Outlier)
			}
			t.add(row...)
		}
	}
	for _, n := range warnings {
		n.print(o.Warn)
	}
	return t.write(out)
}
