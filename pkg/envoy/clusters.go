package envoy

import (
	"fmt"
	"io"
	"sync"

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
	// One path buffer for every cluster.
	path := make([]segment, 0, 16)
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
		cs, err := readClusterStatus(src, i, path)
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

// statusPlans are the plans of the messages of a /clusters answer, for
// the members the reader walks without keeping them. They are made on
// first use: loading descriptors costs memory that commands reading no
// /clusters answer should not pay.
type statusPlans struct {
	cluster, host, health, address, socket, pipe *msgPlan
	healthStatus                                 protoreflect.EnumDescriptor
}

var plansOfStatus = sync.OnceValue(func() *statusPlans {
	return &statusPlans{
		cluster:      planOf((&adminv3.ClusterStatus{}).ProtoReflect().Descriptor()),
		host:         planOf((&adminv3.HostStatus{}).ProtoReflect().Descriptor()),
		health:       planOf((&adminv3.HostHealthStatus{}).ProtoReflect().Descriptor()),
		address:      planOf((&corev3.Address{}).ProtoReflect().Descriptor()),
		socket:       planOf((&corev3.SocketAddress{}).ProtoReflect().Descriptor()),
		pipe:         planOf((&corev3.Pipe{}).ProtoReflect().Descriptor()),
		healthStatus: corev3.HealthStatus_UNKNOWN.Descriptor(),
	}
})

// statusReader reads one cluster of a /clusters answer. What the endpoint
// table does not show is walked along the schema all the same: istioctl
// reads these answers with the jsonpb reader, which rejects an enum name
// the enum does not define anywhere in the answer, so kubectl-vd does too
// (and names it); numbers it does not define are kept, and noted.
type statusReader struct {
	p     *statusPlans
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
func (r *statusReader) skip(d *jsonscan.Decoder, p *msgPlan, key []byte) error {
	if err := r.w.member(d, p, key); err != nil {
		return err
	}
	return r.err
}

// named is the path segment of a member known by its proto name or its
// JSON name, as written.
func named(key []byte, protoName, jsonName string) segment {
	if string(key) == jsonName {
		return segment{name: jsonName, index: -1}
	}
	return segment{name: protoName, index: -1}
}

// in runs fn with seg added to the path of the values reported.
func (r *statusReader) in(seg segment, fn func() error) error {
	r.w.push(seg)
	err := fn()
	r.w.pop()
	if err != nil {
		return err
	}
	return r.err
}

func readClusterStatus(d *jsonscan.Decoder, index int, path []segment) (ClusterStatus, error) {
	var cs ClusterStatus
	r := &statusReader{p: plansOfStatus(), cs: &cs}
	r.w.path = path[:0]
	r.w.report = r.report
	err := d.Object(func(key []byte) error {
		var err error
		switch {
		case string(key) == "name":
			cs.Name, err = stringField(d)
		case is(key, "eds_service_name", "edsServiceName"):
			cs.EDSServiceName, err = stringField(d)
		case is(key, "host_statuses", "hostStatuses"):
			err = r.in(named(key, "host_statuses", "hostStatuses"), func() error {
				return arrayField(d, func(i int) error {
					if null, err := skipNull(d); null || err != nil {
						return err
					}
					return r.in(segment{index: i}, func() error {
						h, err := r.readHost(d)
						if err == nil {
							cs.Hosts = append(cs.Hosts, h)
						}
						return err
					})
				})
			})
		default:
			err = r.skip(d, r.p.cluster, key)
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
			err = r.in(segment{name: "address", index: -1}, func() error {
				return objectField(d, func(key []byte) error {
					switch {
					case is(key, "socket_address", "socketAddress"):
						if null, err := skipNull(d); null || err != nil {
							return err
						}
						hasSocket = true
						return r.in(named(key, "socket_address", "socketAddress"), func() error {
							return d.Object(func(key []byte) error {
								var err error
								switch {
								case string(key) == "address":
									socket, err = stringField(d)
								case is(key, "port_value", "portValue"):
									h.Port, err = uint32Field(d)
								default:
									err = r.skip(d, r.p.socket, key)
								}
								return err
							})
						})
					case string(key) == "pipe":
						return r.in(segment{name: "pipe", index: -1}, func() error {
							return objectField(d, func(key []byte) error {
								if string(key) == "path" {
									var err error
									pipe, err = stringField(d)
									return err
								}
								return r.skip(d, r.p.pipe, key)
							})
						})
					}
					return r.skip(d, r.p.address, key)
				})
			})
		case is(key, "health_status", "healthStatus"):
			err = r.in(named(key, "health_status", "healthStatus"), func() error {
				return objectField(d, func(key []byte) error {
					var err error
					switch {
					case is(key, "eds_health_status", "edsHealthStatus"):
						err = r.in(named(key, "eds_health_status", "edsHealthStatus"), func() error {
							var err error
							h.Status, err = checkEnum(d, r.p.healthStatus, func(value string, byName bool) {
								r.report(unknownEnum{path: r.w.where(), value: value, byName: byName, enum: r.p.healthStatus})
							})
							return err
						})
					case is(key, "failed_outlier_check", "failedOutlierCheck"):
						h.FailedOutlier, err = boolField(d)
					default:
						err = r.skip(d, r.p.health, key)
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
			err = r.skip(d, r.p.host, key)
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
