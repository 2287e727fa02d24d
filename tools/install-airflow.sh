#!/usr/bin/env bash
# Installs Apache Airflow (lib/services/airflow/) for the real-server tests
# (test/support/real-servers/airflow.ts): apache-airflow[celery,postgres,redis] at the release the
# image tag pins, into a version-keyed virtualenv outside the repo; skipped when present.
#
# Airflow's constraints files live on GitHub, which is not a registry here. This script carries its
# own lock instead: every distribution pinned to the version pip resolved for this release from
# PyPI alone (`pip freeze` of a clean install), installed with --no-deps after pip checks the set
# is complete and consistent (`pip check`). One correction to what pip picks: celery 5.6.3 and
# kombu 5.6.2, not 5.7.0 (the celery provider imports `retry` from celery.backends.database, gone in 5.7). Keep AIRFLOW_VERSION in sync with AIRFLOW_VERSION in
# lib/services/airflow/airflow-deployment.ts and AIRFLOW_TOOL_VERSION in test/support/real-servers/airflow.ts.
set -euo pipefail

AIRFLOW_VERSION=3.3.2
venv="${MLSEC_TOOLS_CACHE:-$HOME/.cache/mlsec-cdk}/airflow/venv-$AIRFLOW_VERSION"

if [ -x "$venv/bin/airflow" ] && [ -e "$venv/.complete" ]; then
  echo "install-airflow: ok (cached in $venv)"
  exit 0
fi
SECONDS=0
# A failed install must not look installed next time.
trap '[ -e "$venv/.complete" ] || rm -rf "$venv"' EXIT
rm -rf "$venv"
python3 -m venv "$venv"
lock="$venv/airflow-lock.txt"
cat > "$lock" <<LOCK
a2wsgi==1.10.10
aiosmtplib==5.1.3
aiosqlite==0.22.1
alembic==1.20.1
amqp==5.4.2
annotated-doc==0.0.7
annotated-types==0.8.0
anyio==4.16.0
apache-airflow==$AIRFLOW_VERSION
apache-airflow-core==$AIRFLOW_VERSION
apache-airflow-providers-celery==3.26.0
apache-airflow-providers-common-compat==1.23.0
apache-airflow-providers-common-io==1.11.0
apache-airflow-providers-common-sql==2.4.0
apache-airflow-providers-postgres==7.1.1
apache-airflow-providers-redis==4.7.1
apache-airflow-providers-smtp==3.2.0
apache-airflow-providers-standard==1.21.0
apache-airflow-task-sdk==1.3.2
argcomplete==3.7.2
arrow==1.4.0
asgiref==3.13.0
asyncpg==0.32.0
attrs==26.1.0
babel==2.19.0
billiard==4.3.2
cachetools==8.0.2
cadwyn==7.0.0
celery==5.6.3
certifi==2026.10.19.post1
cffi==2.1.1
charset-normalizer==3.5.3
click==8.5.1
click-didyoumean==0.3.1
click-plugins==1.1.1.2
click-repl==0.4.1
colorlog==6.12.0
cron_descriptor==2.2.1
croniter==7.0.0
cryptography==50.0.2
Deprecated==1.3.1
dill==0.4.1
dnspython==2.9.2
email-validator==2.4.0
fastapi==0.136.3
fastapi-cli==0.0.34
flower==2.2.0
fsspec==2026.9.0
googleapis-common-protos==1.76.0
greenback==1.3.0
greenlet==3.5.6
grpcio==1.85.3
h11==0.16.0
httpcore==1.0.9
httptools==0.9.0
httpx==0.28.1
humanize==4.17.0
idna==3.20
importlib_metadata==10.2.0
isoduration==20.11.0
itsdangerous==2.2.0
Jinja2==3.1.6
jsonschema==4.26.0
jsonschema-specifications==2025.9.1
kombu==5.6.2
lazy-importer==0.1.0
lazy-object-proxy==1.13.0
libcst==1.9.0
linkify-it-py==2.2.0
lockfile==0.12.2
Mako==1.4.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
methodtools==0.4.7
more-itertools==11.2.1
msgspec==0.22.0
natsort==8.4.0
opentelemetry-api==1.45.2
opentelemetry-exporter-http-transport==0.66b2
opentelemetry-exporter-otlp==1.45.2
opentelemetry-exporter-otlp-common==0.66b2
opentelemetry-exporter-otlp-proto-common==1.45.2
opentelemetry-exporter-otlp-proto-grpc==1.45.2
opentelemetry-exporter-otlp-proto-http==1.45.2
opentelemetry-proto==1.45.2
opentelemetry-sdk==1.45.2
opentelemetry-semantic-conventions==0.66b2
outcome==1.3.0.post0
packaging==26.3
pathlib_abc==0.5.2
pathspec==1.1.1
pendulum==3.3.0
pluggy==1.7.0
prometheus_client==0.26.0
prompt_toolkit==3.0.53
protobuf==7.36.2
psutil==7.2.2
psycopg==3.3.9
psycopg-binary==3.3.9
psycopg2-binary==2.9.13
pycparser==3.12
pydantic==2.14.4
pydantic-extra-types==2.11.1
pydantic-settings==2.16.3
pydantic_core==2.50.5
Pygments==2.21.0
pygtrie==2.6.2
PyJWT==2.15.1
python-daemon==3.1.2
python-dateutil==2.9.0.post0
python-dotenv==1.2.4
python-multipart==0.0.34
python-slugify==9.2.0
pytz==2026.6
PyYAML==6.0.4
redis==8.1.0
referencing==0.37.0
requests==2.34.2
rich==15.0.0
rich-argparse==1.8.0
rich-toolkit==0.20.6
rpds-py==2026.9.1
setproctitle==1.3.8
shellingham==1.5.4
six==1.17.0
sniffio==1.3.1
SQLAlchemy==2.1.9
sqlparse==0.6.1
starlette==1.10.0
structlog==26.1.0
svcs==26.2.0
tabulate==0.10.0
tenacity==9.2.1
termcolor==3.3.0
text-unidecode==1.3
tornado==6.6.1
typer==0.29.2
typing-inspection==0.4.5
typing_extensions==4.16.0
tzdata==2026.6
tzlocal==5.4.5
universal_pathlib==0.3.10
urllib3==2.8.0
uuid6==2025.0.1
uvicorn==0.54.0
uvloop==0.23.0
vine==5.1.0
watchfiles==1.3.0
wcwidth==0.9.4
websockets==17.4
wirerope==1.0.0
wrapt==2.5.2
zipp==4.1.2
LOCK
"$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$lock"
"$venv/bin/pip" check --disable-pip-version-check
touch "$venv/.complete"
echo "install-airflow: installed $("$venv/bin/airflow" version 2>/dev/null | tail -1) into $venv in ${SECONDS}s"
