#!/usr/bin/env bash
# Builds Benthos 4.27.0 (MIT; the last release before the project split) for the tests of the
# generated ingestion configs (`benthos lint`, `benthos blobl`, and a real run against MinIO),
# into a version-keyed cache outside the repo, skipping when present. No registry we reach carries
# a binary, so it builds from the Go module proxy. `go install pkg@version` is refused (the proxy
# will not list the module's versions), so it builds inside a throwaway module that requires it.
# -checklinkname=0: a dependency (parquet-go) links to a runtime symbol newer Go toolchains hide.
# A cold build takes about 10 minutes on 2 cores.
# Keep BENTHOS_VERSION in sync with test/support/real-servers/benthos.ts.
set -euo pipefail

BENTHOS_VERSION=v4.27.0

cache="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/benthos"
bin="$cache/$BENTHOS_VERSION/bin"

if [ -x "$bin/benthos" ]; then
  echo "install-benthos: ok (cached in $bin)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-benthos: need the Go toolchain (go) on PATH" >&2
  exit 1
fi

export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS="-trimpath -modcacherw -mod=mod"
export CGO_ENABLED=0
work="$cache/$BENTHOS_VERSION/build.$$"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work" "$bin"
cat > "$work/go.mod" <<MOD
module mlsec.local/benthos-build

go 1.21

require github.com/benthosdev/benthos/v4 $BENTHOS_VERSION
MOD

SECONDS=0
(cd "$work" && go build -ldflags="-checklinkname=0 -X github.com/benthosdev/benthos/v4/internal/cli.Version=$BENTHOS_VERSION" -o "$work/benthos" github.com/benthosdev/benthos/v4/cmd/benthos)
mv -f "$work/benthos" "$bin/benthos"
echo "install-benthos: built benthos $BENTHOS_VERSION into $bin in ${SECONDS}s"
