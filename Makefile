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

.PHONY: all build install test test-unit test-e2e tools testdata demo demo-down bench fuzz dist vet fmt clean

all: build

build:
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/kubectl-vd

install: build
	install -d $(PREFIX)
	install -m 0755 $(BIN) $(PREFIX)/kubectl-vd
	install -m 0755 completions/kubectl_complete-vd $(PREFIX)/kubectl_complete-vd
	@echo "installed kubectl-vd and kubectl_complete-vd in $(PREFIX)"

# Builds (once, cached by version in $(E2E_CACHE)/tools) the programs the
# end-to-end tests run: kube-apiserver, etcd, kwok, krew, pilot-discovery.
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

dist:
	LDFLAGS='$(LDFLAGS)' ./krew/dist.sh $(VERSION)

fmt:
	gofmt -w cmd pkg test internal

clean:
	rm -rf bin dist
