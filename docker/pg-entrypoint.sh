#!/bin/bash
# Entrypoint of funnelhouse/postgres:local (docker/Dockerfile.postgres): on an empty PGDATA, initdb with
# POSTGRES_USER / POSTGRES_PASSWORD (scram-sha-256 for every connection) and CREATE DATABASE POSTGRES_DB,
# then run the server as user postgres. The password goes through a file, never a command line.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${PGPORT:=5432}"
export PGPORT
if [ "${1:-postgres}" = postgres ]; then shift || true; else exec "$@"; fi
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${POSTGRES_PASSWORD:-}" ] || { echo "POSTGRES_PASSWORD is not set" >&2; exit 1; }
  pw=$(mktemp); printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"; chown postgres "$pw"
  runuser -u postgres -- "$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pw" -A scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
  # A server on the Unix socket only, to create the database, as the official image does.
  runuser -u postgres -- "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -p $PGPORT" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    PGPASSWORD=$POSTGRES_PASSWORD "$BIN/psql" -q -h /run/postgresql -p "$PGPORT" -U "$POSTGRES_USER" -d postgres \
      -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  runuser -u postgres -- "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  echo "database cluster initialised (user $POSTGRES_USER, database $POSTGRES_DB)"
fi
exec runuser -u postgres -- "$BIN/postgres" -D "$PGDATA" -p "$PGPORT" "$@"
