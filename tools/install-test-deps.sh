#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, skipping what is already there.
# Debian packages: docker-compose 1.29 (the `config` check of every compose file the tests produce),
# openssl (certificate chains checked with `openssl verify`).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-test-deps: ok (docker-compose $(docker-compose version --short 2>/dev/null || echo '?'))"
