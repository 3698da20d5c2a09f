# kubectl-vd

SHELL        := /bin/bash
BIN          := bin/kubectl-vd
PKG          := github.com/kubectl-vd/kubectl-vd
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo v0.0.0-dev)
COMMIT       ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD_DATE   ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS      := -s -w -X $(PKG)/pkg/version.Version=$(VERSION) -X $(PKG)/pkg/version.Commit=$(COMMIT) -X $(PKG)/pkg/version.Date=$(BUILD_DATE)
PREFIX       ?= $(or $(shell go env GOBIN),$(shell go env GOPATH)/bin)
# Test clusters, kube-apiserver/etcd/kwok/krew builds and demo state live
# outside the repository so that they survive clean clones.
E2E_CACHE    ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/kubectl-vd
GOTEST_FLAGS ?=

.PHONY: all build install test test-unit test-e2e tools testdata demo demo-down bench fuzz dist release vet fmt clean

all: build

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubectl-vd

install: build
	install -d $(PREFIX)
	install -m 0755 $(BIN) $(PREFIX)/kubectl-vd
	install -m 0755 completions/kubectl_complete-vd $(PREFIX)/kubectl_complete-vd
	@echo "installed kubectl-vd and kubectl_complete-vd in $(PREFIX)"

# Builds (once, cached by version in $(E2E_CACHE)/tools) the programs the
# end-to-end tests and `make dist` run: kube-apiserver, etcd, kwok, krew,
# pilot-discovery, goreleaser.
tools:
	go run ./test/cmd/e2e-tools

# Captures the Envoy admin answers of proxies fed by a real istiod (local
# clusters loaded with examples/bookinfo) into pkg/envoy/testdata/istiod.
testdata: tools
	go run ./test/cmd/envoy-testdata

# The whole suite: unit tests, golden tests and end-to-end tests on real
# local clusters started by the test harness.
test: tools vet
	go test -count=1 -timeout 60m $(GOTEST_FLAGS) ./...

test-unit:
	go test -count=1 $(GOTEST_FLAGS) $$(go list ./... | grep -v /test/e2e)

test-e2e: tools
	go test -count=1 -timeout 60m $(GOTEST_FLAGS) ./test/e2e/...

vet:
	go vet ./...
	@test -z "$$(gofmt -l cmd pkg test internal 2>/dev/null)" || { gofmt -l cmd pkg test internal; echo "gofmt needed"; exit 1; }

# Starts local clusters loaded with examples/, runs find, diff and explain
# against them and leaves them up; `make demo-down` stops them.
# The demo shows the plugin on the example files at once, then builds (once)
# and starts the clusters: it needs no `make tools` first.
demo: build
	go run ./test/cmd/demo up --bin $(BIN)

demo-down:
	go run ./test/cmd/demo down

bench: build tools
	go run ./test/cmd/bench --bin $(BIN)
	go run ./test/cmd/envoybench --bin $(BIN)

fuzz:
	go test -run '^$$' -fuzz FuzzDecodeConfigDump -fuzztime 20s ./pkg/envoy/
	go test -run '^$$' -fuzz FuzzDecodeClusters -fuzztime 20s ./pkg/envoy/
	go test -run '^$$' -fuzz FuzzStreamedEqualsWhole -fuzztime 20s ./pkg/source/

# GoReleaser, built once from test/tools/goreleaser like the test tools (it
# never enters the plugin's go.mod).
GORELEASER    = "$$(go run ./test/cmd/e2e-tools -print goreleaser | sed 's/^goreleaser //')"
# The v* tag at HEAD on a tree without local changes, else nothing.
# plugins/vd.yaml is an output of the release, not an input: `make dist`
# rewrites it, and may run again.
RELEASE_TAG   = $$(if [ -z "$$(git status --porcelain -- . ':!plugins/vd.yaml')" ]; then git tag --points-at HEAD --list 'v*' | head -n 1; fi)

# A release's version is its tag: VERSION=... would be silently ignored.
ifeq ($(origin VERSION),command line)
ifneq ($(filter dist release,$(MAKECMDGOALS)),)
$(error make dist takes its version from the v* tag at HEAD: git tag $(VERSION), then make dist)
endif
endif

# The release as .goreleaser.yaml describes it, into dist/: one archive per
# platform, checksums.txt and the Krew manifest dist/krew/vd.yaml. On a clean
# tree whose HEAD carries a v* tag it is that release, byte for byte what the
# release workflow publishes, and its manifest becomes plugins/vd.yaml.
# Anywhere else it is a snapshot, version vX.Y.Z-snapshot-COMMIT, whose
# manifest stays in dist/.
dist:
	@set -eo pipefail; goreleaser=$(GORELEASER); tag=$(RELEASE_TAG); \
	if [ -n "$$tag" ]; then \
	  GORELEASER_CURRENT_TAG=$$tag "$$goreleaser" release --clean --skip=publish,announce,validate; \
	  cp dist/krew/vd.yaml plugins/vd.yaml; \
	  echo "dist/ holds the release $$tag; plugins/vd.yaml is its Krew manifest"; \
	else \
	  "$$goreleaser" release --clean --snapshot; \
	  echo "dist/ holds a snapshot (no v* tag at HEAD, or local changes); its Krew manifest is dist/krew/vd.yaml"; \
	fi

# Builds the release of the v* tag at HEAD and publishes it on GitHub
# (GITHUB_TOKEN); the release workflow runs it on every v* tag.
release:
	@set -eo pipefail; goreleaser=$(GORELEASER); tag=$(RELEASE_TAG); \
	if [ -z "$$tag" ]; then echo "error: make release needs a v* tag at HEAD and no local changes" >&2; exit 2; fi; \
	"$$goreleaser" release --clean

fmt:
	gofmt -w cmd pkg test internal

clean:
	rm -rf bin dist
