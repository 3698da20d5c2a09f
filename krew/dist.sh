#!/usr/bin/env bash
# Builds a release: dist/kubectl-vd_VERSION_OS_ARCH.tar.gz (.zip for Windows)
# for linux/darwin amd64/arm64 and windows/amd64, dist/checksums.txt, and
# plugins/vd.yaml rendered from krew/vd.yaml.tmpl with each archive's URI and
# sha256. `make dist` runs it with the Makefile's LDFLAGS.
#
# Usage: krew/dist.sh VERSION      (VERSION: a semantic version such as v0.1.0)
# Extra options go to the builder: krew/dist.sh v0.1.0 -out /tmp/dist -j 1
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: $0 VERSION [options]" >&2
  exit 2
fi
version=$1
shift

if [ -z "${LDFLAGS:-}" ]; then
  pkg=github.com/kubectl-vd/kubectl-vd/pkg/version
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  LDFLAGS="-s -w -X $pkg.Version=$version -X $pkg.Commit=$commit -X $pkg.Date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
fi

# Built rather than `go run`, which adds its own "exit status" line to errors.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/dist" ./krew/dist
"$tmp/dist" -version "$version" -ldflags "$LDFLAGS" "$@"
