#!/usr/bin/env bash
# make bench: build, install, and run every benchmark under test/bench/ on a
# private cluster (port 54331, or the server PGHOST/PGPORT/PGUSER name).
# Each benchmark prints its ratio against a baseline measured in the same run.
#   BENCH_ROWS (default 1000000) rows for business_add
#   BENCH_TICKETS (default 100000) tickets for the deadline and triage triggers
#   BENCH_SECONDS (default 20) seconds per pgbench run
#   BENCH_ESCALATIONS (default 100000) escalations for the worker's memory
#   BENCH_MESSAGES (default 10000) webhooks for the delivery worker
#   BENCH_BACKLOG (default 1000000) messages waiting for a missing endpoint
#   BENCH_RLS_TICKETS (default 1000000) tickets for the RLS dashboard
set -euo pipefail
source "$(dirname "$0")/../harness/common.sh"
cd "$REPO"

make -s PG_CONFIG=$PG_CONFIG >/dev/null
make -s install PG_CONFIG=$PG_CONFIG >/dev/null
if [ -z "${PGHOST:-}${PGPORT:-}" ]; then
    bash test/harness/cluster.sh stop bench >/dev/null
    bash test/harness/cluster.sh start bench 54331
    export PGHOST=/tmp/bedrock_support-54331 PGPORT=54331 PGUSER=postgres
fi
export PGHOST PGPORT PGUSER

psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS bedrock_bench' -c 'CREATE DATABASE bedrock_bench' 2>/dev/null
psql -X -q -d bedrock_bench -c 'CREATE EXTENSION bedrock_support'
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
psql -X -q -d bedrock_bench -v rows="${BENCH_ROWS:-1000000}" -f test/bench/business_time.sql
psql -X -q -d bedrock_bench -v tickets="${BENCH_TICKETS:-100000}" -f test/bench/deadline_trigger.sql
psql -X -q -d bedrock_bench -v tickets="${BENCH_TICKETS:-100000}" -f test/bench/triage.sql
bash test/bench/triage_pgbench.sh bedrock_bench "${BENCH_SECONDS:-20}"
bash test/bench/triage_instructions.sh
bash test/bench/isolation_cost.sh
bash test/bench/escalation_worker.sh "${BENCH_ESCALATIONS:-100000}"
bash test/bench/delivery.sh "${BENCH_MESSAGES:-10000}"
bash test/bench/delivery_backlog.sh "${BENCH_BACKLOG:-1000000}"
bash test/bench/event_trigger.sh bedrock_bench "${BENCH_SECONDS:-20}"
bash test/bench/rls_dashboard.sh "${BENCH_RLS_TICKETS:-1000000}" "$(( ${BENCH_SECONDS:-20} / 2 ))"
psql -X -q -d postgres -c 'DROP DATABASE bedrock_bench'
