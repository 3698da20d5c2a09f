package envoy

import (
	"fmt"
	"io"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/internal/jsonscan"
)

// Locality is an Envoy locality.
type Locality struct {
	Region, Zone, SubZone string
}

// String writes a locality as Istio does: region/zone/subzone, stopping at
// the first empty part.
func (l Locality) String() string {
	s := l.Region
	if l.Zone == "" {
		return s
	}
	s += "/" + l.Zone
	if l.SubZone == "" {
		return s
	}
	return s + "/" + l.SubZone
}

// HostSummary is what the endpoint table shows of one host of a cluster in
// /clusters?format=json.
type HostSummary struct {
	// Address is the socket address, or "unix://" and the pipe path for
	// other addresses (istioctl's rendering).
	Address string
	Port    uint32
	// Status is the EDS health status (core.v3.HealthStatus).
	Status        int32
	FailedOutlier bool
	Weight        uint32
	Priority      uint32
	Locality      Locality
}

// ClusterStatus is one cluster of /clusters?format=json.
type ClusterStatus struct {
	Name           string
	EDSServiceName string
	Hosts          []HostSummary
	// Raw is the cluster's JSON, when asked for.
	Raw []byte
	// Notes name the enum values written as numbers Envoy does not define
	// (kept as such, as istioctl does).
	Notes []Note
}

// ReadClusters streams an Envoy admin /clusters?format=json answer. With
// keepJSON each cluster's JSON is kept in Raw.
func ReadClusters(r io.Reader, keepJSON bool) ([]ClusterStatus, error) {
	f, err := readAdmin(jsonscan.NewDecoder(r), ReadOptions{}, keepJSON, "/clusters answer")
	if err != nil {
		return nil, err
	}
	if f.Clusters == nil {
		return nil, &NotClustersError{isDump: f.Dump != nil}
	}
	return f.Clusters, nil
}

func readClusterStatuses(d *jsonscan.Decoder, keepJSON bool) ([]ClusterStatus, error) {
	var out []ClusterStatus
	err := arrayField(d, func(i int) error {
		if null, err := skipNull(d); null || err != nil {
			return err
		}
		src := d
		var raw []byte
		if keepJSON {
			var start int64
			var err error
			if raw, start, err = d.CaptureAt(); err != nil {
				return err
			}
			src = jsonscan.NewBytesAt(raw, start)
		}
		cs, err := readClusterStatus(src, i)
		if err != nil {
			return fmt.Errorf("cluster_statuses[%d]: %w", i, err)
		}
		cs.Raw = raw
		out = append(out, cs)
		return nil
	})
	return out, err
}

// NotClustersError says that the input is JSON but not a /clusters answer.
type NotClustersError struct{ isDump bool }

func (e *NotClustersError) Error() string {
	if e.isDump {
		return "not an Envoy /clusters?format=json answer: it is a /config_dump"
	}
	return `not an Envoy /clusters?format=json answer: no "cluster_statuses" list`
}

var (
	clusterStatusDesc = (&adminv3.ClusterStatus{}).ProtoReflect().Descriptor()
	hostStatusDesc    = (&adminv3.HostStatus{}).ProtoReflect().Descriptor()
	healthDesc        = (&adminv3.HostHealthStatus{}).ProtoReflect().Descriptor()
	addressDesc       = (&corev3.Address{}).ProtoReflect().Descriptor()
	socketDesc        = (&corev3.SocketAddress{}).ProtoReflect().Descriptor()
	pipeDesc          = (&corev3.Pipe{}).ProtoReflect().Descriptor()
	healthStatusEnum  = corev3.HealthStatus_UNKNOWN.Descriptor()
)

// statusReader reads one cluster of a /clusters answer. What the endpoint
// table does not show is walked along the schema all the same: istioctl
// reads these answers with the jsonpb reader, which rejects an enum name
// the enum does not define anywhere in the answer, so kubectl-vd does too
// (and names it); numbers it does not define are kept, and noted.
type statusReader struct {
	w     enumWalker
	cs    *ClusterStatus
	where string
	err   error
}

func (r *statusReader) report(u unknownEnum) {
	if u.byName {
		if r.err == nil {
			r.err = &UnknownEnumError{Field: u.path, Value: u.value, Enum: u.enum.FullName()}
		}
		return
	}
	r.cs.Notes = append(r.cs.Notes, u.note(r.where))
}

// skip walks a member this reader does not keep.
func (r *statusReader) skip(d *jsonscan.Decoder, md protoreflect.MessageDescriptor, key []byte) error {
	if err := r.w.member(d, md, key); err != nil {
		return err
	}
	return r.err
}

// in runs fn with seg added to the path of the values reported.
func (r *statusReader) in(seg string, fn func() error) error {
	r.w.path = append(r.w.path, seg)
	err := fn()
	r.w.path = r.w.path[:len(r.w.path)-1]
	if err != nil {
		return err
	}
	return r.err
}

func readClusterStatus(d *jsonscan.Decoder, index int) (ClusterStatus, error) {
	var cs ClusterStatus
	r := &statusReader{cs: &cs}
	r.w.report = r.report
	err := d.Object(func(key []byte) error {
		var err error
		switch {
		case string(key) == "name":
			cs.Name, err = stringField(d)
		case is(key, "eds_service_name", "edsServiceName"):
			cs.EDSServiceName, err = stringField(d)
		case is(key, "host_statuses", "hostStatuses"):
			seg := string(key)
			err = arrayField(d, func(i int) error {
				if null, err := skipNull(d); null || err != nil {
					return err
				}
				return r.in(fmt.Sprintf("%s[%d]", seg, i), func() error {
					h, err := r.readHost(d)
					if err == nil {
						cs.Hosts = append(cs.Hosts, h)
					}
					return err
				})
			})
		default:
			err = r.skip(d, clusterStatusDesc, key)
		}
		return err
	})
	// Notes name the cluster, known once it is read.
	r.where = clusterWhere(cs.Name, fmt.Sprintf("cluster_statuses[%d]", index))
	for i := range cs.Notes {
		cs.Notes[i].Where = r.where
	}
	return cs, err
}

func (r *statusReader) readHost(d *jsonscan.Decoder) (HostSummary, error) {
	var h HostSummary
	var socket, pipe string
	var hasSocket bool
	err := d.Object(func(key []byte) error {
		var err error
		switch {
		case string(key) == "address":
			err = r.in("address", func() error {
				return objectField(d, func(key []byte) error {
					switch {
					case is(key, "socket_address", "socketAddress"):
						if null, err := skipNull(d); null || err != nil {
							return err
						}
						hasSocket = true
						return r.in(string(key), func() error {
							return d.Object(func(key []byte) error {
								var err error
								switch {
								case string(key) == "address":
									socket, err = stringField(d)
								case is(key, "port_value", "portValue"):
									h.Port, err = uint32Field(d)
								default:
									err = r.skip(d, socketDesc, key)
								}
								return err
							})
						})
					case string(key) == "pipe":
						return r.in("pipe", func() error {
							return objectField(d, func(key []byte) error {
								if string(key) == "path" {
									var err error
									pipe, err = stringField(d)
									return err
								}
								return r.skip(d, pipeDesc, key)
							})
						})
					}
					return r.skip(d, addressDesc, key)
				})
			})
		case is(key, "health_status", "healthStatus"):
			err = r.in(string(key), func() error {
				return objectField(d, func(key []byte) error {
					var err error
					switch {
					case is(key, "eds_health_status", "edsHealthStatus"):
						err = r.in(string(key), func() error {
							var err error
							h.Status, err = checkEnum(d, healthStatusEnum, func(value string, byName bool) {
								r.report(unknownEnum{path: r.w.where(), value: value, byName: byName, enum: healthStatusEnum})
							})
							return err
						})
					case is(key, "failed_outlier_check", "failedOutlierCheck"):
						h.FailedOutlier, err = boolField(d)
					default:
						err = r.skip(d, healthDesc, key)
					}
					return err
				})
			})
		case string(key) == "weight":
			h.Weight, err = uint32Field(d)
		case string(key) == "priority":
			h.Priority, err = uint32Field(d)
		case string(key) == "locality":
			h.Locality, err = readLocality(d)
		default:
			err = r.skip(d, hostStatusDesc, key)
		}
		return err
	})
	if hasSocket {
		h.Address = socket
	} else {
		h.Address = "unix://" + pipe
		h.Port = 0
	}
	return h, err
}

func readLocality(d *jsonscan.Decoder) (Locality, error) {
	var l Locality
	err := objectField(d, func(key []byte) error {
		var err error
		switch {
		case string(key) == "region":
			l.Region, err = stringField(d)
		case string(key) == "zone":
			l.Zone, err = stringField(d)
		case is(key, "sub_zone", "subZone"):
			l.SubZone, err = stringField(d)
		default:
			err = d.Skip()
		}
		return err
	})
	return l, err
}
