#!/usr/bin/env bash
# Installs the LiteLLM proxy (the LLM gateway of Z6, lib/services/llm-gateway/) for the real-server
# tests (test/support/real-servers/litellm.ts) from PyPI's `litellm[proxy]` into a version-keyed
# virtualenv outside the repo; skipped when present. Keep LITELLM_VERSION in sync with
# test/support/real-servers/litellm.ts and the image tag in lib/services/llm-gateway/llm-gateway.ts.
set -euo pipefail

LITELLM_VERSION=1.80.11
venv="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/litellm/venv-$LITELLM_VERSION"

if [ -x "$venv/bin/litellm" ]; then
  echo "install-litellm: ok (cached in $venv)"
  exit 0
fi
SECONDS=0
# Install into a staging venv and move it into place, so an interrupted install never looks
# installed. A venv is not relocatable by path, so it is built at its final name and only marked
# ready (bin/litellm renamed into place) at the end.
trap '[ -x "$venv/bin/litellm" ] || rm -rf "$venv"' EXIT
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION"
echo "install-litellm: installed litellm $LITELLM_VERSION into $venv in ${SECONDS}s"
