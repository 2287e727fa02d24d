#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages, skipping what is already there.
# Debian packages: docker-compose 1.29 (the `config` check of every compose file the tests produce),
# openssl (certificate chains checked with `openssl verify`), and the real servers the generated
# configs are started with (test/support/real-servers): postgresql-15 and redis-server; Java and
# Maven for Keycloak (tools/install-keycloak.sh fetches it from Maven Central); nginx, ModSecurity,
# the OWASP CRS and clamd for the WAF and the scanner.
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
# The Z1 WAF hop and malware scanner (test/support/real-servers/{nginx-waf,clamd}.ts): nginx with
# the ModSecurity v3 connector and the OWASP CRS (Debian 12 ships CRS 3.3.4, the image 4.x:
# nginx-waf.ts says what differs), and clamd. freshclam is never run: the tests bring their own signatures.
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_http_modsecurity_module.so ] || missing+=(libnginx-mod-http-modsecurity)
[ -d /usr/share/modsecurity-crs/rules ] || missing+=(modsecurity-crs)
command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ] || missing+=(clamav-daemon)
command -v zip >/dev/null 2>&1 || missing+=(zip)
# busybox: the model fetch job's script runs with only busybox's tools and curl, as in its image.
command -v busybox >/dev/null 2>&1 || missing+=(busybox)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# JMESPath, to evaluate Grafana's generated role mapping the way Grafana does (test/services/telemetry).
/usr/bin/python3 -c 'import jmespath' 2>/dev/null || missing+=(python3-jmespath)

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
