#!/usr/bin/env bash
# make demo: build and install the extension, start the private demo cluster
# (or use the server PGHOST/PGPORT/PGUSER name), load the scenario into a
# fresh bedrock_demo database and print what happened to it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

DEMO_PORT=${BEDROCK_DEMO_PORT:-54329}

make -s PG_CONFIG=$PG_CONFIG >/dev/null
make -s install PG_CONFIG=$PG_CONFIG >/dev/null

if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    echo "using the existing server at ${PGHOST:-localhost}:${PGPORT:-5432}"
else
    # restarted so the server preloads the library just installed
    bash test/harness/cluster.sh stop demo >/dev/null
    bash test/harness/cluster.sh start demo "$DEMO_PORT"
    export PGHOST=/tmp/bedrock_support-$DEMO_PORT PGPORT=$DEMO_PORT PGUSER=postgres
    echo "demo cluster running on port $DEMO_PORT (socket in $PGHOST); 'make stop' stops it"
fi
export PGDATABASE=bedrock_demo

psql -X -q -d postgres -v ON_ERROR_STOP=1 \
     -c 'DROP DATABASE IF EXISTS bedrock_demo WITH (FORCE)' -c 'CREATE DATABASE bedrock_demo' \
     -c 'ALTER DATABASE bedrock_demo SET search_path = "$user", public, support' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION bedrock_support' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -f test/demo/scenario.sql
psql -X -q -v ON_ERROR_STOP=1 -f test/demo/live.sql
psql -X -q -f test/demo/report.sql 2>&1
echo
echo "explore it yourself: psql \"host=$PGHOST port=$PGPORT user=${PGUSER:-$USER} dbname=bedrock_demo\""
