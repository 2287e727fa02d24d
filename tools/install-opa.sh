#!/usr/bin/env bash
# Builds OPA (the policy decision point of lib/services/opa/opa-server.ts) for the real tests
# (test/support/real-servers/opa.ts: `opa check --strict`, `opa test` and `opa run --server` on the
# generated bundle) with `go install` from the Go module proxy into a version-keyed cache outside the
# repo, skipping when present. Static (CGO off), as upstream's `-static` images are built; the
# version is stamped as upstream's Makefile does, so `opa version` names the release.
# Keep OPA_VERSION in sync with test/support/real-servers/opa.ts and OPA_IMAGE_TAG in
# lib/services/opa/opa-server.ts.
set -euo pipefail

OPA_VERSION=v1.22.3

cache="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/opa"
bin="$cache/$OPA_VERSION/bin"

if [ -x "$bin/opa" ]; then
  echo "install-opa: ok (cached in $bin)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-opa: need the Go toolchain (go) on PATH" >&2
  exit 1
fi

# -modcacherw: Go makes the module cache read-only otherwise, and `rm -rf` of the cache fails.
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS="-trimpath -modcacherw"
export CGO_ENABLED=0
# Build into a staging dir and move into place, so an interrupted build never looks installed.
staging="$cache/$OPA_VERSION/staging.$$"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging" "$bin"

SECONDS=0
GOBIN="$staging" go install \
  -ldflags="-X github.com/open-policy-agent/opa/v1/version.Version=${OPA_VERSION#v}" \
  "github.com/open-policy-agent/opa@$OPA_VERSION"
mv -f "$staging/opa" "$bin/opa"
echo "install-opa: built opa $OPA_VERSION into $bin in ${SECONDS}s"
