#!/usr/bin/env bash
# Builds an OpenTelemetry Collector with exactly the components of the generated Z9 collector config
# (tools/otelcol-builder.yaml) for the real-server tests (test/support/real-servers/otelcol.ts:
# `validate` on the generated otelcol.yaml, then a real collector redacting OTLP logs on their way to
# Loki's OTLP endpoint), into a version-keyed cache outside the repo, skipping when present. The
# builder (ocb) itself comes from the Go module proxy at the image's version; it then fetches the
# components from the same proxy and compiles (about 6 minutes on 2 cores). Keep OTEL_COLLECTOR_VERSION in sync with tools/otelcol-builder.yaml,
# test/support/real-servers/otelcol.ts and the image tag in lib/services/telemetry/otel-collector.ts.
set -euo pipefail

OTEL_COLLECTOR_VERSION=v0.161.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/otelcol"
bin="$cache/$OTEL_COLLECTOR_VERSION/bin"
manifest_sum=$(sha256sum "$here/otelcol-builder.yaml" | cut -c1-12)

# The binary is keyed by the manifest too, so adding a component rebuilds it.
if [ -x "$bin/otelcol-mlsec" ] && [ "$(cat "$bin/manifest.sha256" 2>/dev/null)" = "$manifest_sum" ]; then
  echo "install-otelcol: ok (cached in $bin)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-otelcol: need the Go toolchain (go) on PATH" >&2
  exit 1
fi

# -modcacherw: Go makes the module cache read-only otherwise, and `rm -rf` of the cache fails.
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS="-trimpath -modcacherw"
export CGO_ENABLED=0
staging="$cache/$OTEL_COLLECTOR_VERSION/staging.$$"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging" "$bin"

SECONDS=0
GOBIN="$staging" go install "go.opentelemetry.io/collector/cmd/builder@$OTEL_COLLECTOR_VERSION"
sed "s#^  output_path: .*#  output_path: $staging/dist#" "$here/otelcol-builder.yaml" > "$staging/builder.yaml"
"$staging/builder" --config "$staging/builder.yaml"
mv -f "$staging/dist/otelcol-mlsec" "$bin/otelcol-mlsec"
echo "$manifest_sum" > "$bin/manifest.sha256"
echo "install-otelcol: built otelcol-mlsec $OTEL_COLLECTOR_VERSION into $bin in ${SECONDS}s"
