#!/usr/bin/env bash
# Builds Prometheus v3.16.0 (prometheus + promtool) and Alertmanager v0.35.0 (alertmanager +
# amtool), Apache-2.0, for the tests of the generated metrics configs (`promtool check config`,
# `check rules`, `test rules`, `check web-config`, `amtool check-config`, and real servers on
# loopback), into a version-keyed cache outside the repo, skipping when present. No registry we
# reach carries a binary, so it builds from the Go module proxy inside a throwaway module that
# requires each (Prometheus' Go module versions are v0.3MM.P for v3.MM.P).
# Built without the `builtinassets` tag: Prometheus' React UI is not embedded (the server answers
# every API; only the UI pages are missing). Alertmanager's module carries no built UI either
# (`//go:embed app/dist` matches nothing), so it builds from a copy of its module source with a
# one-page placeholder UI (a `replace` in the throwaway module); the API and the rest are unchanged.
# A cold build takes about 15 minutes on 2 cores.
# Keep the versions in sync with test/support/real-servers/prometheus.ts and
# lib/services/metrics/metrics-images.ts.
set -euo pipefail

PROMETHEUS_VERSION=v3.16.0
PROMETHEUS_MODULE_VERSION=v0.316.0
ALERTMANAGER_VERSION=v0.35.0

cache="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/prometheus"
bin="$cache/$PROMETHEUS_VERSION-am-$ALERTMANAGER_VERSION/bin"

if [ -x "$bin/prometheus" ] && [ -x "$bin/promtool" ] && [ -x "$bin/alertmanager" ] && [ -x "$bin/amtool" ]; then
  echo "install-prometheus: ok (cached in $bin)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-prometheus: need the Go toolchain (go >= 1.26.7) on PATH" >&2
  exit 1
fi

export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOFLAGS="-trimpath -modcacherw -mod=mod"
export CGO_ENABLED=0
work="$cache/build.$$"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/prometheus" "$work/alertmanager" "$work/out" "$bin"

SECONDS=0
cat > "$work/prometheus/go.mod" <<MOD
module mlsec.local/prometheus-build

go 1.26.7

require github.com/prometheus/prometheus $PROMETHEUS_MODULE_VERSION
MOD
cat > "$work/alertmanager/go.mod" <<MOD
module mlsec.local/alertmanager-build

go 1.26.0

require github.com/prometheus/alertmanager $ALERTMANAGER_VERSION
MOD

stamp() { # version vars read by `--version` (prometheus/common/version)
  echo "-s -w -X github.com/prometheus/common/version.Version=${1#v} -X github.com/prometheus/common/version.Branch=release -X github.com/prometheus/common/version.BuildUser=mlsec-cdk"
}

if ! { [ -x "$bin/prometheus" ] && [ -x "$bin/promtool" ]; }; then
  (cd "$work/prometheus" && go build -ldflags="$(stamp $PROMETHEUS_VERSION)" -o "$work/out/" \
    github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool)
  mv -f "$work/out/prometheus" "$work/out/promtool" "$bin/"
fi

am_src="$(cd "$work/alertmanager" && go mod download -json "github.com/prometheus/alertmanager@$ALERTMANAGER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
cp -R "$am_src" "$work/alertmanager/src"
chmod -R u+w "$work/alertmanager/src"
for ui in elm mantine; do
  mkdir -p "$work/alertmanager/src/ui/app/dist/$ui"
  printf '<!doctype html><title>Alertmanager</title><p>UI not built (mlsec-cdk test build); the API is complete.</p>\n' > "$work/alertmanager/src/ui/app/dist/$ui/index.html"
done
echo "replace github.com/prometheus/alertmanager => ./src" >> "$work/alertmanager/go.mod"
(cd "$work/alertmanager" && go build -ldflags="$(stamp $ALERTMANAGER_VERSION)" -o "$work/out/" \
  github.com/prometheus/alertmanager/cmd/alertmanager github.com/prometheus/alertmanager/cmd/amtool)
mv -f "$work/out/alertmanager" "$work/out/amtool" "$bin/"
echo "install-prometheus: built prometheus/promtool $PROMETHEUS_VERSION and alertmanager/amtool $ALERTMANAGER_VERSION into $bin in ${SECONDS}s"
