#!/usr/bin/env bash
# Installs the MLflow tracking server (lib/services/mlflow/mlflow-server.ts) for the real-server
# tests (test/support/real-servers/mlflow.ts): PyPI's `mlflow` at the release the image tag pins,
# with the Postgres driver (psycopg2-binary) and the S3 client (boto3) its backend and proxied
# artifact store need. Into a version-keyed virtualenv outside the repo; skipped when present.
# Keep MLFLOW_VERSION in sync with MLFLOW_VERSION in lib/services/mlflow/mlflow-server.ts (the image
# tag v<version>-full) and MLFLOW_TOOL_VERSION in test/support/real-servers/mlflow.ts.
set -euo pipefail

MLFLOW_VERSION=3.17.2
venv="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/mlflow/venv-$MLFLOW_VERSION"

if [ -x "$venv/bin/mlflow" ] && [ -e "$venv/.complete" ]; then
  echo "install-mlflow: ok (cached in $venv)"
  exit 0
fi
SECONDS=0
# A failed install must not look installed next time.
trap '[ -e "$venv/.complete" ] || rm -rf "$venv"' EXIT
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check \
  "mlflow==$MLFLOW_VERSION" "psycopg2-binary==2.9.13" "boto3==1.44.8"
touch "$venv/.complete"
echo "install-mlflow: installed $("$venv/bin/mlflow" --version) into $venv in ${SECONDS}s"
