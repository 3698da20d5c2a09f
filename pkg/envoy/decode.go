package envoy

import (
	"errors"
	"fmt"
	"strings"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/kubectl-vd/kubectl-vd/pkg/envoy/internal/jsonscan"
	// Every Envoy and Istio proxy type, so that the Any values of a dump
	// resolve and print as istioctl prints them.
	_ "github.com/kubectl-vd/kubectl-vd/pkg/envoy/registry"
)

// unknownType stands for Any values of types this program does not know: it
// has no field, so their content is dropped instead of failing the decoding.
var unknownType protoreflect.MessageType

func init() {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("kubectl_vd_unknown.proto"),
		Package:     proto.String("kubectl_vd.internal"),
		Syntax:      proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{Name: proto.String("Unknown")}},
	}, nil)
	if err != nil {
		panic(err) // a constant descriptor: cannot fail
	}
	unknownType = dynamicpb.NewMessageType(fd.Messages().Get(0))
}

// tolerantResolver resolves the types this program knows and maps the
// others to unknownType.
type tolerantResolver struct{}

func (tolerantResolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if mt, err := protoregistry.GlobalTypes.FindMessageByURL(url); err == nil {
		return mt, nil
	}
	return unknownType, nil
}

func (tolerantResolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(name); err == nil {
		return mt, nil
	}
	return unknownType, nil
}

func (tolerantResolver) FindExtensionByName(field protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(field)
}

func (tolerantResolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
}

// unmarshal reads protobuf JSON as istioctl does: unknown fields and unknown
// Any types are tolerated.
var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: tolerantResolver{}}

// IsUnresolved reports an error of printing a message holding an Any of a
// type this program does not know.
func IsUnresolved(err error) bool {
	return err != nil && strings.Contains(err.Error(), "unable to resolve")
}

// anyType reads the "@type" of an Any in JSON form.
func anyType(raw []byte) (string, error) {
	return readAny(jsonscan.NewBytes(raw), func(string) (fieldFunc, error) { return skipFields, nil })
}

// DecodeCluster decodes the JSON of a cluster Any into a v3 Cluster. A
// legacy envoy.api.v2.Cluster is read through the v3 schema (the fields
// kept by v3 have the same names); legacy tells which it was.
func DecodeCluster(raw []byte) (c *clusterv3.Cluster, legacy bool, err error) {
	t, err := anyType(raw)
	if err != nil {
		return nil, false, err
	}
	switch typeName(t) {
	case ClusterType:
	case "":
		// protobuf's JSON reader, told to discard unknown fields (as
		// istioctl reads dumps), reads an Any without "@type" as empty.
		return &clusterv3.Cluster{}, false, nil
	case LegacyClusterType:
		legacy = true
	default:
		return nil, false, fmt.Errorf("unexpected type %q where a Cluster was expected", t)
	}
	c = &clusterv3.Cluster{}
	if err := unmarshal.Unmarshal(raw, c); err != nil {
		return nil, legacy, cleanProtoError(err)
	}
	return c, legacy, nil
}

// DecodeClusterLoad decodes the JSON of an EDS ClusterLoadAssignment Any.
func DecodeClusterLoad(raw []byte) (*endpointv3.ClusterLoadAssignment, error) {
	t, err := anyType(raw)
	if err != nil {
		return nil, err
	}
	switch typeName(t) {
	case ClusterLoadType, LegacyClusterLoadType:
	case "":
		return nil, nil
	default:
		return nil, fmt.Errorf("unexpected type %q where a ClusterLoadAssignment was expected", t)
	}
	cla := &endpointv3.ClusterLoadAssignment{}
	if err := unmarshal.Unmarshal(raw, cla); err != nil {
		return nil, cleanProtoError(err)
	}
	return cla, nil
}

// DecodeClusterStatus decodes one element of /clusters?format=json.
func DecodeClusterStatus(raw []byte) (*adminv3.ClusterStatus, error) {
	cs := &adminv3.ClusterStatus{}
	if err := unmarshal.Unmarshal(raw, cs); err != nil {
		return nil, cleanProtoError(err)
	}
	return cs, nil
}

// FullDump is a config dump decoded entirely into go-control-plane types.
type FullDump struct {
	// Clusters: dynamic active, then static (istioctl's order).
	Clusters []*clusterv3.Cluster
	// Endpoints: dynamic, then static.
	Endpoints []*endpointv3.ClusterLoadAssignment
	// Sections are the type names of the dump's sections, in order.
	Sections []string
}

// LegacyError reports resources of the retired envoy.api.v2 API, which
// DecodeConfigDump cannot type (ReadConfigDump reads their summary).
type LegacyError struct{ Type string }

func (e *LegacyError) Error() string {
	return fmt.Sprintf("the dump holds %s resources of the retired Envoy v2 API", e.Type)
}

// DecodeConfigDump decodes a whole /config_dump answer with the admin v3
// types of go-control-plane and resolves the clusters and endpoints of its
// ClustersConfigDump and EndpointsConfigDump sections. Sections and Any
// values of other or unknown types are tolerated. It holds the whole dump
// in memory; ReadConfigDump streams.
func DecodeConfigDump(data []byte) (*FullDump, error) {
	cd := &adminv3.ConfigDump{}
	if err := unmarshal.Unmarshal(data, cd); err != nil {
		return nil, cleanProtoError(err)
	}
	out := &FullDump{}
	var dynEDS, staticEDS []*endpointv3.ClusterLoadAssignment
	for i, a := range cd.GetConfigs() {
		name := typeName(a.GetTypeUrl())
		out.Sections = append(out.Sections, name)
		switch name {
		case ClustersConfigDumpType:
			ccd := &adminv3.ClustersConfigDump{}
			if err := a.UnmarshalTo(ccd); err != nil {
				return nil, fmt.Errorf("configs[%d]: %w", i, err)
			}
			var dynamic, static []*clusterv3.Cluster
			for _, dc := range ccd.GetDynamicActiveClusters() {
				c, err := typedCluster(dc.GetCluster())
				if err != nil {
					return nil, err
				}
				if c != nil {
					dynamic = append(dynamic, c)
				}
			}
			for _, sc := range ccd.GetStaticClusters() {
				c, err := typedCluster(sc.GetCluster())
				if err != nil {
					return nil, err
				}
				if c != nil {
					static = append(static, c)
				}
			}
			out.Clusters = append(dynamic, static...)
		case EndpointsConfigDumpType:
			ecd := &adminv3.EndpointsConfigDump{}
			if err := a.UnmarshalTo(ecd); err != nil {
				return nil, fmt.Errorf("configs[%d]: %w", i, err)
			}
			for _, e := range ecd.GetDynamicEndpointConfigs() {
				cla, err := typedClusterLoad(e.GetEndpointConfig())
				if err != nil {
					return nil, err
				}
				if cla != nil {
					dynEDS = append(dynEDS, cla)
				}
			}
			for _, e := range ecd.GetStaticEndpointConfigs() {
				cla, err := typedClusterLoad(e.GetEndpointConfig())
				if err != nil {
					return nil, err
				}
				if cla != nil {
					staticEDS = append(staticEDS, cla)
				}
			}
		}
	}
	out.Endpoints = append(dynEDS, staticEDS...)
	return out, nil
}

func typedCluster(a *anypb.Any) (*clusterv3.Cluster, error) {
	if a == nil {
		return nil, nil
	}
	switch typeName(a.GetTypeUrl()) {
	case ClusterType, "":
		c := &clusterv3.Cluster{}
		if err := proto.Unmarshal(a.GetValue(), c); err != nil {
			return nil, err
		}
		return c, nil
	case LegacyClusterType:
		return nil, &LegacyError{Type: LegacyClusterType}
	}
	return nil, fmt.Errorf("unexpected type %q where a Cluster was expected", a.GetTypeUrl())
}

func typedClusterLoad(a *anypb.Any) (*endpointv3.ClusterLoadAssignment, error) {
	if a == nil {
		return nil, nil
	}
	switch typeName(a.GetTypeUrl()) {
	case ClusterLoadType:
		cla := &endpointv3.ClusterLoadAssignment{}
		if err := proto.Unmarshal(a.GetValue(), cla); err != nil {
			return nil, err
		}
		return cla, nil
	case "":
		return nil, nil
	case LegacyClusterLoadType:
		return nil, &LegacyError{Type: LegacyClusterLoadType}
	}
	return nil, fmt.Errorf("unexpected type %q where a ClusterLoadAssignment was expected", a.GetTypeUrl())
}

// DecodeClusters decodes a whole /clusters?format=json answer with the
// admin v3 types, and rejects enum names Envoy does not define, as
// istioctl's reader of these answers does. ReadClusters streams.
func DecodeClusters(data []byte) (*adminv3.Clusters, error) {
	cs := &adminv3.Clusters{}
	if err := unmarshal.Unmarshal(data, cs); err != nil {
		return nil, cleanProtoError(err)
	}
	if err := strictEnums(data, cs.ProtoReflect().Descriptor()); err != nil {
		return nil, err
	}
	return cs, nil
}

// cleanProtoError drops the "proto: " prefix and the (unstable) non-breaking
// spaces protobuf puts in its messages.
func cleanProtoError(err error) error {
	msg := strings.ReplaceAll(err.Error(), "\u00a0", " ")
	msg = strings.TrimPrefix(msg, "proto: ")
	msg = strings.TrimPrefix(msg, "syntax error ")
	if rest, ok := strings.CutPrefix(msg, "(line "); ok {
		if pos, tail, ok := strings.Cut(rest, "): "); ok {
			msg = tail + " (line " + pos + ")"
		}
	}
	return errors.New(strings.TrimSpace(msg))
}
