#!/usr/bin/env bash
# Builds oauth2-proxy (the OIDC proxy of RouteAuth.oidc hosts, lib/identity/oidc-proxy.ts) for the
# real-server tests (test/support/real-servers/oauth2-proxy.ts) with `go install` into a
# version-keyed cache outside the repo, skipping when present. No registry we use carries the
# binary; it builds from the Go module proxy (its go.mod has no replace directives). The version
# string is stamped as upstream's Makefile does, so `oauth2-proxy --version` names the release.
# Keep OAUTH2_PROXY_VERSION in sync with test/support/real-servers/oauth2-proxy.ts and the image
# tag in lib/identity/oidc-proxy.ts.
set -euo pipefail

OAUTH2_PROXY_VERSION=v7.15.6

cache="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/oauth2-proxy"
bin="$cache/$OAUTH2_PROXY_VERSION/bin"

if [ -x "$bin/oauth2-proxy" ]; then
  echo "install-oauth2-proxy: ok (cached in $bin)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-oauth2-proxy: need the Go toolchain (go) on PATH" >&2
  exit 1
fi

# -modcacherw: Go makes the module cache read-only otherwise, and `rm -rf` of the cache fails.
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS="-trimpath -modcacherw"
# Static binary, as upstream builds it: no C toolchain needed on the machine.
export CGO_ENABLED=0
# Build into a staging dir and move into place, so an interrupted build never looks installed.
staging="$cache/$OAUTH2_PROXY_VERSION/staging.$$"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging" "$bin"

SECONDS=0
GOBIN="$staging" go install \
  -ldflags="-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=$OAUTH2_PROXY_VERSION" \
  "github.com/oauth2-proxy/oauth2-proxy/v7@$OAUTH2_PROXY_VERSION"
mv -f "$staging/oauth2-proxy" "$bin/oauth2-proxy"
echo "install-oauth2-proxy: built oauth2-proxy $OAUTH2_PROXY_VERSION into $bin in ${SECONDS}s"
