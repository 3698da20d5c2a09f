// Package registry links every Envoy API type of go-control-plane (v3 and
// extensions) and Istio's proxy extension types into the program, so that
// the google.protobuf.Any values of a config dump resolve, decode and print
// the way istioctl prints them. all.go lists every go-control-plane package
// holding message types, except the retired v2 API and the gRPC service
// definitions; internal/genregistry writes it from the modules go.mod
// requires.
package registry

//go:generate go run ./internal/genregistry
