#!/usr/bin/env bash
# Installs Keycloak (Quarkus distribution) for the real-server tests from Maven Central with the
# maven-dependency-plugin, unpacked into a version-keyed folder outside the repo; skipped when
# present. Needs Java 17+. Keep KEYCLOAK_VERSION in sync with test/support/real-servers/keycloak.ts.
set -euo pipefail

KEYCLOAK_VERSION=26.7.3
root="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/keycloak"
home="$root/keycloak-$KEYCLOAK_VERSION"

if [ -x "$home/bin/kc.sh" ]; then
  echo "install-keycloak: ok (cached in $home)"
  exit 0
fi
command -v java >/dev/null || { echo "install-keycloak: needs Java 17+ (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-keycloak: needs Maven (apt-get install maven)" >&2; exit 1; }
SECONDS=0
mkdir -p "$root"
tmp=$(mktemp -d "$root/.download.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" "-DoutputDirectory=$tmp"
tar -xzf "$tmp/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$tmp"
# Rename last so a half-unpacked tree never looks installed.
mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$home"
echo "install-keycloak: installed $KEYCLOAK_VERSION into $home in ${SECONDS}s"
