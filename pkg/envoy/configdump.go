package envoy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/internal/jsonscan"
)

// Type names of the config dump sections and resources this package reads.
const (
	ClustersConfigDumpType  = "envoy.admin.v3.ClustersConfigDump"
	EndpointsConfigDumpType = "envoy.admin.v3.EndpointsConfigDump"
	ClusterType             = "envoy.config.cluster.v3.Cluster"
	LegacyClusterType       = "envoy.api.v2.Cluster"
	ClusterLoadType         = "envoy.config.endpoint.v3.ClusterLoadAssignment"
	LegacyClusterLoadType   = "envoy.api.v2.ClusterLoadAssignment"

	legacyClustersConfigDumpType  = "envoy.admin.v2alpha.ClustersConfigDump"
	legacyEndpointsConfigDumpType = "envoy.admin.v2alpha.EndpointsConfigDump"
	bootstrapConfigDumpType       = "envoy.admin.v3.BootstrapConfigDump"
)

// ClusterSummary is what the cluster table shows of one Envoy cluster.
type ClusterSummary struct {
	Name string
	// Type is the discovery type as Envoy names it (EDS, STATIC...).
	Type string
	// Config is the istio filter metadata's "config" value (the path of the
	// DestinationRule that shaped the cluster); HasConfig tells whether the
	// key is present.
	Config    string
	HasConfig bool
	// Dynamic is false for static (bootstrap) clusters.
	Dynamic bool
	// Legacy marks clusters of the retired envoy.api.v2 API.
	Legacy bool
	// Raw is the cluster's JSON as the dump holds it, when asked for.
	Raw []byte
	// Notes name the values of the cluster that Envoy's schema does not
	// define and say how they were read: the discovery type, and with
	// ClusterJSON every enum value of the cluster.
	Notes []Note
}

// ReadOptions choose what ReadConfigDump keeps.
type ReadOptions struct {
	// ClusterJSON keeps each cluster's JSON in ClusterSummary.Raw.
	ClusterJSON bool
	// Endpoints reads the EDS section (present with ?include_eds).
	Endpoints bool
	// Keep, when set, keeps only the clusters and endpoint assignments of
	// the cluster names it accepts: the others are skipped without being
	// decoded, so reading a few clusters of a large dump stays cheap.
	Keep func(name string) bool
	// Node reads the proxy's node from the bootstrap section.
	Node bool
}

// Dump is what ReadConfigDump took from a config dump.
type Dump struct {
	// Clusters in istioctl's order: dynamic active clusters, then static
	// ones, each in dump order. Warming clusters are left out, as istioctl
	// does.
	Clusters []ClusterSummary
	// HasClusters tells whether the dump has a clusters section.
	HasClusters bool
	// Endpoints are the EDS assignments (dynamic, then static) when asked.
	Endpoints    []*endpointv3.ClusterLoadAssignment
	HasEndpoints bool
	// Node is the bootstrap's node (its id, locality and metadata) when
	// asked and present.
	Node *corev3.Node
	// Sections lists the section types met, in order.
	Sections []string
	// Notes name the values of the EDS section that Envoy's schema does not
	// define (clusters have theirs in ClusterSummary.Notes).
	Notes []Note
}

// AllNotes is every note of the dump: the clusters' (in table order), then
// the endpoints'.
func (d *Dump) AllNotes() []Note {
	var out []Note
	for _, c := range d.Clusters {
		out = append(out, c.Notes...)
	}
	return append(out, d.Notes...)
}

// ErrNoClusters is returned when a config dump holds no cluster at all.
var ErrNoClusters = errors.New("no clusters found")

// NotDumpError says that the input is JSON but not an Envoy config dump.
type NotDumpError struct{ Reason string }

func (e *NotDumpError) Error() string { return "not an Envoy /config_dump answer: " + e.Reason }

// ReadConfigDump streams an Envoy admin /config_dump answer (JSON) and
// returns its clusters and, when asked, its endpoints. Sections of any other
// type, known or not, are skipped after a syntax check. Memory stays
// proportional to what is kept, not to the size of the dump.
func ReadConfigDump(r io.Reader, opts ReadOptions) (*Dump, error) {
	f, err := readAdmin(jsonscan.NewDecoder(r), opts, false, "/config_dump answer")
	if err != nil {
		return nil, err
	}
	if f.Dump == nil {
		if f.Clusters != nil {
			return nil, &NotDumpError{Reason: "it is a /clusters answer"}
		}
		return nil, &NotDumpError{Reason: `no "configs" list`}
	}
	return f.Dump, nil
}

// AdminFile is a saved admin answer: a config dump or a /clusters answer.
type AdminFile struct {
	Dump     *Dump
	Clusters []ClusterStatus
}

// Kind names what the file holds.
func (f *AdminFile) Kind() string {
	switch {
	case f.Dump != nil:
		return "an Envoy /config_dump"
	case f.Clusters != nil:
		return "an Envoy /clusters?format=json answer"
	}
	return "empty"
}

// ReadAdminFile streams either kind of admin answer, telling them apart by
// their top-level list ("configs" or "cluster_statuses").
func ReadAdminFile(r io.Reader, opts ReadOptions, keepClusterJSON bool) (*AdminFile, error) {
	f, err := readAdmin(jsonscan.NewDecoder(r), opts, keepClusterJSON, "admin API answer")
	if err != nil {
		return nil, err
	}
	if f.Dump == nil && f.Clusters == nil {
		return nil, errors.New(`not an Envoy admin API answer: no "configs" nor "cluster_statuses" list`)
	}
	return f, nil
}

func readAdmin(d *jsonscan.Decoder, opts ReadOptions, keepClusterJSON bool, what string) (*AdminFile, error) {
	f := &AdminFile{}
	err := topObject(d, what, func(key []byte) error {
		switch {
		case string(key) == "configs":
			if f.Dump == nil {
				f.Dump = &Dump{}
			}
			return readConfigs(d, f.Dump, opts)
		case is(key, "cluster_statuses", "clusterStatuses"):
			cs, err := readClusterStatuses(d, keepClusterJSON)
			if f.Clusters == nil {
				f.Clusters = []ClusterStatus{}
			}
			f.Clusters = append(f.Clusters, cs...)
			return err
		}
		return d.Skip()
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readConfigs reads the "configs" list of a dump.
func readConfigs(d *jsonscan.Decoder, dump *Dump, opts ReadOptions) error {
	var dynamic, static []ClusterSummary
	var dynEDS, staticEDS []*endpointv3.ClusterLoadAssignment
	err := arrayField(d, func(i int) error {
		if null, err := skipNull(d); null || err != nil {
			return err
		}
		_, err := readAny(d, func(typeURL string) (fieldFunc, error) {
			name := typeName(typeURL)
			dump.Sections = append(dump.Sections, name)
			switch name {
			case ClustersConfigDumpType, legacyClustersConfigDumpType:
				dump.HasClusters = true
				return func(key []byte, d *jsonscan.Decoder) error {
					var list *[]ClusterSummary
					switch {
					case is(key, "static_clusters", "staticClusters"):
						list = &static
					case is(key, "dynamic_active_clusters", "dynamicActiveClusters"):
						list = &dynamic
					default:
						return d.Skip()
					}
					section := string(key)
					return arrayField(d, func(j int) error {
						return readClusterEntry(d, list, list == &dynamic, opts, fmt.Sprintf("%s[%d]", section, j))
					})
				}, nil
			case bootstrapConfigDumpType:
				if !opts.Node {
					return skipFields, nil
				}
				return func(key []byte, d *jsonscan.Decoder) error {
					if string(key) != "bootstrap" {
						return d.Skip()
					}
					return objectField(d, func(key []byte) error {
						if string(key) != "node" {
							return d.Skip()
						}
						raw, err := d.Capture()
						if err != nil {
							return err
						}
						node := &corev3.Node{}
						if err := unmarshal.Unmarshal(raw, node); err != nil {
							return fmt.Errorf("bootstrap node: %w", err)
						}
						dump.Node = node
						return nil
					})
				}, nil
			case EndpointsConfigDumpType, legacyEndpointsConfigDumpType:
				if !opts.Endpoints {
					return skipFields, nil
				}
				dump.HasEndpoints = true
				return func(key []byte, d *jsonscan.Decoder) error {
					var list *[]*endpointv3.ClusterLoadAssignment
					switch {
					case is(key, "static_endpoint_configs", "staticEndpointConfigs"):
						list = &staticEDS
					case is(key, "dynamic_endpoint_configs", "dynamicEndpointConfigs"):
						list = &dynEDS
					default:
						return d.Skip()
					}
					return arrayField(d, func(j int) error {
						return readEndpointEntry(d, list, &dump.Notes, opts.Keep)
					})
				}, nil
			}
			return skipFields, nil
		})
		if err != nil {
			return fmt.Errorf("configs[%d]: %w", i, err)
		}
		return nil
	})
	dump.Clusters = append(dump.Clusters, append(dynamic, static...)...)
	dump.Endpoints = append(dump.Endpoints, append(dynEDS, staticEDS...)...)
	return err
}

func skipFields(_ []byte, d *jsonscan.Decoder) error { return d.Skip() }

// topObject reads the top-level object of an admin answer and checks that
// nothing follows it.
func topObject(d *jsonscan.Decoder, what string, fn func(key []byte) error) error {
	k, err := d.Peek()
	if err != nil {
		return err
	}
	if k != jsonscan.Object {
		return fmt.Errorf("not an Envoy %s: expected a JSON object, not %s", what, articled(k))
	}
	if err := d.Object(fn); err != nil {
		return err
	}
	return d.End()
}

func articled(k jsonscan.Kind) string {
	switch k {
	case jsonscan.Array, jsonscan.Object:
		return "an " + k.String()
	case jsonscan.Null:
		return "null"
	}
	return "a " + k.String()
}

// anyDescriptor is the schema of an Any: the enum walker resolves its
// type. Descriptors are loaded on first use, not by every command.
var anyDescriptor = sync.OnceValue(func() protoreflect.MessageDescriptor {
	return (&anypb.Any{}).ProtoReflect().Descriptor()
})

// readClusterEntry reads one StaticCluster or DynamicCluster; entry names
// it in notes about a cluster without a name.
func readClusterEntry(d *jsonscan.Decoder, list *[]ClusterSummary, dynamic bool, opts ReadOptions, entry string) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	return d.Object(func(key []byte) error {
		if string(key) != "cluster" {
			return d.Skip()
		}
		if null, err := skipNull(d); null || err != nil {
			return err // an entry without a cluster is left out, as istioctl does
		}
		var raw []byte
		src := d
		if opts.ClusterJSON {
			var start int64
			var err error
			capture := d.CaptureAt
			if opts.Keep != nil {
				// Most clusters are skipped: capture them into a reused
				// buffer, and copy those kept.
				capture = d.CaptureTemp
			}
			if raw, start, err = capture(); err != nil {
				return err
			}
			src = jsonscan.NewBytesAt(raw, start)
		}
		c, err := readClusterSummary(src, entry)
		if err != nil {
			return fmt.Errorf("cluster %d: %w", len(*list)+1, err)
		}
		if opts.Keep != nil {
			if !opts.Keep(c.Name) {
				return nil
			}
			raw = bytes.Clone(raw)
		}
		c.Dynamic = dynamic
		c.Raw = raw
		if raw != nil && !c.Legacy {
			// Every enum of the cluster is printed (-o json) or read (-o
			// wide): name those protobuf's JSON reader drops or keeps as
			// bare numbers, where the summary named only the type's.
			notes, err := enumNotes(raw, anyDescriptor(), clusterWhere(c.Name, entry))
			if err != nil {
				return fmt.Errorf("cluster %d: %w", len(*list)+1, err)
			}
			c.Notes = append(c.Notes[:0:0], noTypeNotes(c.Notes)...)
			c.Notes = append(c.Notes, notes...)
		}
		*list = append(*list, c)
		return nil
	})
}

// clusterWhere names a cluster in notes: by its name, or by its entry in
// the dump when it has none.
func clusterWhere(name, entry string) string {
	if name == "" {
		return entry
	}
	return "cluster " + strconv.Quote(name)
}

// noTypeProblem is the note on a cluster without "@type".
const noTypeProblem = `no "@type": read as an empty cluster, as istioctl does`

func noTypeNotes(notes []Note) []Note {
	var out []Note
	for _, n := range notes {
		if n.Problem == noTypeProblem {
			out = append(out, n)
		}
	}
	return out
}

var discoveryTypeEnum = sync.OnceValue(clusterv3.Cluster_STATIC.Descriptor)

// readClusterSummary reads the name, type and istio metadata of a cluster
// (an Any holding a Cluster) and skips the rest. entry names the cluster
// in notes when it has no name.
func readClusterSummary(d *jsonscan.Decoder, entry string) (ClusterSummary, error) {
	var c ClusterSummary
	var typ int32
	var badType *unknownEnum
	typeURL, err := readAny(d, func(typeURL string) (fieldFunc, error) {
		switch typeName(typeURL) {
		case ClusterType:
		case LegacyClusterType:
			c.Legacy = true
		default:
			return nil, fmt.Errorf("unexpected type %q where a Cluster was expected", typeURL)
		}
		return func(key []byte, d *jsonscan.Decoder) error {
			var err error
			switch string(key) {
			case "name":
				c.Name, err = stringField(d)
			case "type":
				ed := discoveryTypeEnum()
				typ, err = checkEnum(d, ed, func(value string, byName bool) {
					badType = &unknownEnum{path: "type", value: value, byName: byName, enum: ed}
				})
			case "metadata":
				err = readIstioConfig(d, &c)
			default:
				err = d.Skip()
			}
			return err
		}, nil
	})
	if err != nil {
		return c, err
	}
	c.Type = clusterv3.Cluster_DiscoveryType(typ).String()
	if typeURL == "" {
		// protobuf's JSON reader, told to discard unknown fields, reads an
		// Any without "@type" as empty: istioctl prints a row of nothing.
		c.Notes = append(c.Notes, Note{Where: entry + ".cluster", Problem: noTypeProblem})
	}
	if badType != nil {
		c.Notes = append(c.Notes, badType.note(clusterWhere(c.Name, entry)))
	}
	return c, nil
}

// readIstioConfig reads metadata.filter_metadata.istio.config.
func readIstioConfig(d *jsonscan.Decoder, c *ClusterSummary) error {
	return objectField(d, func(key []byte) error {
		if !is(key, "filter_metadata", "filterMetadata") {
			return d.Skip()
		}
		return objectField(d, func(key []byte) error {
			if string(key) != "istio" {
				return d.Skip()
			}
			return objectField(d, func(key []byte) error {
				if string(key) != "config" {
					return d.Skip()
				}
				c.HasConfig = true
				k, err := d.Peek()
				if err != nil {
					return err
				}
				if k == jsonscan.String {
					c.Config, err = d.String()
					return err
				}
				c.Config = "" // not a string: istioctl reads ""
				return d.Skip()
			})
		})
	})
}

// readEndpointEntry reads one StaticEndpointConfig or DynamicEndpointConfig.
func readEndpointEntry(d *jsonscan.Decoder, list *[]*endpointv3.ClusterLoadAssignment, notes *[]Note, keep func(string) bool) error {
	if null, err := skipNull(d); null || err != nil {
		return err
	}
	return d.Object(func(key []byte) error {
		if !is(key, "endpoint_config", "endpointConfig") {
			return d.Skip()
		}
		if null, err := skipNull(d); null || err != nil {
			return err
		}
		capture := d.CaptureAt
		if keep != nil {
			// The assignment is decoded into its own values: a reused
			// buffer will do.
			capture = d.CaptureTemp
		}
		raw, _, err := capture()
		if err != nil {
			return err
		}
		if keep != nil {
			name, err := clusterLoadName(raw)
			if err != nil {
				return err
			}
			if !keep(name) {
				return nil
			}
		}
		cla, err := DecodeClusterLoad(raw)
		if err != nil {
			return fmt.Errorf("endpoint config %d: %w", len(*list)+1, err)
		}
		if cla != nil {
			n, err := enumNotes(raw, anyDescriptor(), "endpoints of "+strconv.Quote(cla.GetClusterName()))
			if err != nil {
				return fmt.Errorf("endpoint config %d: %w", len(*list)+1, err)
			}
			*notes = append(*notes, n...)
			*list = append(*list, cla)
		}
		return nil
	})
}

// clusterLoadName reads only the cluster_name of a ClusterLoadAssignment's
// JSON, to skip the assignments a reader does not keep without decoding
// them.
func clusterLoadName(raw []byte) (string, error) {
	var name string
	d := jsonscan.NewBytesAt(raw, 0)
	err := d.Object(func(key []byte) error {
		if is(key, "cluster_name", "clusterName") {
			k, err := d.Peek()
			if err != nil {
				return err
			}
			if k == jsonscan.String {
				name, err = d.String()
				return err
			}
		}
		return d.Skip()
	})
	return name, err
}
