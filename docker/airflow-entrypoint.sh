#!/bin/bash
# /entrypoint of funnelhouse/airflow:local (docker/Dockerfile.local): the part of the official image's
# entrypoint docker-compose.yml relies on. `_AIRFLOW_DB_MIGRATE=true` migrates the metadata DB first;
# then, as there, `bash ...`, `python ...` and `airflow ...` run as given and anything else is an
# Airflow subcommand (`celery worker` = `airflow celery worker`).
set -euo pipefail
if [ "${_AIRFLOW_DB_MIGRATE:-}" = true ]; then airflow db migrate; fi
case "${1:-}" in
  bash|python|python3|airflow) exec "$@" ;;
esac
exec airflow "$@"
