#!/usr/bin/env bash
# Builds MinIO (server) and mc (client) for the real-server tests (test/support/real-servers/minio.ts)
# with `go install` into a version-keyed cache outside the repo, skipping when both binaries are there.
# Neither publishes binaries to a registry we use; both build from the Go module proxy (no replace
# directives). A cold build takes 6-12 minutes on 2 cores; the module and build caches live in the
# same cache, so a version bump rebuilds only what changed.
# Keep MINIO_VERSION / MC_VERSION in sync with test/support/real-servers/minio.ts.
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
MC_VERSION=v0.0.0-20250313080218-cf909e1063a9

cache="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/minio"
key="minio-${MINIO_VERSION#v0.0.0-}_mc-${MC_VERSION#v0.0.0-}"
bin="$cache/$key/bin"

if [ -x "$bin/minio" ] && [ -x "$bin/mc" ]; then
  echo "install-minio: ok (cached in $bin)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-minio: need the Go toolchain (go) on PATH" >&2
  exit 1
fi

# -modcacherw: Go makes the module cache read-only otherwise, and `rm -rf` of the cache fails.
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS="-trimpath -modcacherw"
# Static binaries, as upstream builds them: no C toolchain needed on the machine.
export CGO_ENABLED=0
# Build into a staging dir and move into place, so an interrupted build never looks installed.
staging="$cache/$key/staging.$$"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging" "$bin"

SECONDS=0
[ -x "$bin/minio" ] || GOBIN="$staging" go install "github.com/minio/minio@$MINIO_VERSION"
[ -x "$bin/mc" ] || GOBIN="$staging" go install "github.com/minio/mc@$MC_VERSION"
for b in minio mc; do
  if [ -e "$staging/$b" ]; then mv -f "$staging/$b" "$bin/$b"; fi
done
echo "install-minio: built minio $MINIO_VERSION and mc $MC_VERSION into $bin in ${SECONDS}s"
