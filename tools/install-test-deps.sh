#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, skipping what is already there.
# Debian packages: docker-compose 1.29 (the `config` check of every compose file the tests produce),
# openssl (certificate chains checked with `openssl verify`), and the real servers the generated
# configs are started with (test/support/real-servers): postgresql-15 and redis-server; Java and
# Maven for Keycloak (tools/install-keycloak.sh fetches it from Maven Central).
# Nothing is started: the tests run their own servers on loopback and stop them.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

missing=()
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  # Keep the packages' postinst from starting their services (the Debian/Docker policy-rc.d convention);
  # only when no policy is in place already, and removed again afterwards.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-test-deps: ok (docker-compose $(docker-compose version --short 2>/dev/null || echo '?')," \
  "postgres $(/usr/lib/postgresql/15/bin/postgres --version 2>/dev/null | awk '{print $3}' || echo '?')," \
  "redis $(redis-server --version 2>/dev/null | sed -n 's/.*v=\([^ ]*\).*/\1/p' || echo '?'))"
