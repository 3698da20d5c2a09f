// Package bundle writes and reads kubectl-vd bundles: one deterministic
// tar.gz of what the other commands read for one parent in every context
// (the Gloo parents, their translations, the Kubernetes objects these
// select, the mesh configuration, Envoy admin answers of some proxies),
// with a manifest of where
// and when it was read and what could not be. Every command reads a bundle
// as it reads clusters (--bundle FILE) and prints what it printed live.
//
// Secrets are never read, and anything that looks like a PEM private key is
// replaced in every file before it is written; the manifest says where.
package bundle

import (
	"time"
)

// FormatVersion is the version of the bundle layout this build writes and
// reads.
const FormatVersion = 1

// Names of the entries of a bundle.
const (
	ManifestFile = "manifest.json"
	// objectsFile is the objects of one context: contexts/INDEX/objects.yaml,
	// a kubectl List whose items carry the kubectl-vd/context annotation.
	objectsFile = "objects.yaml"
	// ConfigDumpFile and ClustersFile are the admin answers of one proxy:
	// proxies/INDEX/config_dump.json and clusters.json.
	ConfigDumpFile = "config_dump.json"
	ClustersFile   = "clusters.json"
)

// Manifest describes a bundle.
type Manifest struct {
	FormatVersion int `json:"formatVersion"`
	// KubectlVD is the build of kubectl-vd that wrote the bundle.
	KubectlVD BuildInfo `json:"kubectlVd"`
	// Created is when the clusters were read (also every entry's mtime).
	Created time.Time `json:"created"`
	Parent  Parent    `json:"parent"`
	// Contexts are the kube contexts read, in the order given.
	Contexts []Context `json:"contexts"`
	// Proxies are the Envoy proxies read, per context.
	Proxies []Proxy `json:"proxies,omitempty"`
	// Scrubbed names the files where private keys were replaced.
	Scrubbed []ScrubReport `json:"scrubbed"`
	// Never says what a bundle never holds.
	Never []string `json:"never"`
}

// BuildInfo is the version of kubectl-vd.
type BuildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// Parent is what the bundle was taken for.
type Parent struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Kinds     []string `json:"kinds,omitempty"`
}

// Context is one kube context of a bundle.
type Context struct {
	Name string `json:"name"`
	// GlooCluster is the Gloo cluster the context's translations name.
	GlooCluster   string `json:"glooCluster,omitempty"`
	ServerVersion string `json:"serverVersion,omitempty"`
	// GlooAPI and IstioAPI tell whether the context serves
	// networking.gloo.solo.io VirtualDestinations and networking.istio.io
	// VirtualServices.
	GlooAPI  bool `json:"glooAPI"`
	IstioAPI bool `json:"istioAPI"`
	// Error is set when the context could not be read at all.
	Error string `json:"error,omitempty"`
	// Gaps are the parts of the translations that could not be read while
	// the rest was (a forbidden cluster-wide list, a broken API group):
	// commands print them as they did live.
	Gaps []string `json:"gaps,omitempty"`
	// Warnings are the other parts explain reads that could not be read
	// (the VirtualDestination, VirtualServices).
	Warnings []string `json:"warnings,omitempty"`
	// Mesh tells whether the mesh configuration was read (what drift and
	// failover read: source.MeshResources in every namespace); MeshGaps
	// are the parts of it that could not be.
	Mesh     bool     `json:"mesh"`
	MeshGaps []string `json:"meshGaps,omitempty"`
	// Missing are the parents and Kubernetes objects that could not be read.
	Missing []string `json:"missing,omitempty"`
	// Objects is the number of objects saved; File is their entry (none
	// when no object was saved).
	Objects int    `json:"objects"`
	File    string `json:"file,omitempty"`
	// Unserved are the --resources values no resource of the context
	// serves.
	Unserved []string `json:"unserved,omitempty"`
}

// Proxy is one Envoy proxy of a bundle.
type Proxy struct {
	Context   string `json:"context"`
	Namespace string `json:"namespace"`
	// Pod is the pod read (empty when it could not be resolved).
	Pod string `json:"pod,omitempty"`
	// Target is what was asked: pod/NAME, deploy/NAME or -l SELECTOR.
	Target string `json:"target"`
	// ConfigDump and Clusters are the entries holding the admin answers.
	ConfigDump string `json:"configDump,omitempty"`
	Clusters   string `json:"clusters,omitempty"`
	Error      string `json:"error,omitempty"`
}

// never is what the manifest says a bundle never holds.
var never = []string{
	"Secrets (never listed)",
	"PEM private keys (replaced by " + Scrubbed + " in every file, plain or base64-encoded)",
}
