package envoy

import (
	"fmt"
	"io"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

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
		cs, err := readClusterStatus(src)
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

func readClusterStatus(d *jsonscan.Decoder) (ClusterStatus, error) {
	var cs ClusterStatus
	err := d.Object(func(key []byte) error {
		var err error
		switch {
		case string(key) == "name":
			cs.Name, err = stringField(d)
		case is(key, "eds_service_name", "edsServiceName"):
			cs.EDSServiceName, err = stringField(d)
		case is(key, "host_statuses", "hostStatuses"):
			err = arrayField(d, func(int) error {
				if null, err := skipNull(d); null || err != nil {
					return err
				}
				h, err := readHost(d)
				if err == nil {
					cs.Hosts = append(cs.Hosts, h)
				}
				return err
			})
		default:
			err = d.Skip()
		}
		return err
	})
	return cs, err
}

func readHost(d *jsonscan.Decoder) (HostSummary, error) {
	var h HostSummary
	var socket, pipe string
	var hasSocket bool
	err := d.Object(func(key []byte) error {
		var err error
		switch {
		case string(key) == "address":
			err = objectField(d, func(key []byte) error {
				switch {
				case is(key, "socket_address", "socketAddress"):
					if null, err := skipNull(d); null || err != nil {
						return err
					}
					hasSocket = true
					return d.Object(func(key []byte) error {
						var err error
						switch {
						case string(key) == "address":
							socket, err = stringField(d)
						case is(key, "port_value", "portValue"):
							h.Port, err = uint32Field(d)
						default:
							err = d.Skip()
						}
						return err
					})
				case string(key) == "pipe":
					return objectField(d, func(key []byte) error {
						if string(key) == "path" {
							var err error
							pipe, err = stringField(d)
							return err
						}
						return d.Skip()
					})
				}
				return d.Skip()
			})
		case is(key, "health_status", "healthStatus"):
			err = objectField(d, func(key []byte) error {
				var err error
				switch {
				case is(key, "eds_health_status", "edsHealthStatus"):
					h.Status, err = enumField(d, corev3.HealthStatus_value)
				case is(key, "failed_outlier_check", "failedOutlierCheck"):
					h.FailedOutlier, err = boolField(d)
				default:
					err = d.Skip()
				}
				return err
			})
		case string(key) == "weight":
			h.Weight, err = uint32Field(d)
		case string(key) == "priority":
			h.Priority, err = uint32Field(d)
		case string(key) == "locality":
			h.Locality, err = readLocality(d)
		default:
			err = d.Skip()
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
