#!/usr/bin/env bash
# Debian's sqlsmith against a desk with data (test/demo/scenario.sql) for a
# bounded time: half as the superuser, half as a staff login without a key
# (the extension's C functions get random arguments, its views and policies
# random queries). Every query is bounded by statement_timeout. A backend
# lost to a signal fails the run (make test's crash check reads the
# server log), as does sqlsmith losing its connection.
#   sqlsmith.sh [SECONDS]   (default 60; PGHOST/PGPORT/PGUSER as for psql)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}
half=$(( (seconds + 1) / 2 ))
db=bedrock_sqlsmith
seed=${BEDROCK_SQLSMITH_SEED:-$(( $(date +%s) % 100000 ))}

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -d postgres -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
ALTER DATABASE $db SET statement_timeout = '2s';
ALTER DATABASE $db SET lock_timeout = '500ms';
-- the workers stay out of the way of what sqlsmith does to their tables
ALTER DATABASE $db SET support.worker_enabled = off;
DROP ROLE IF EXISTS sqlsmith_staff;
CREATE ROLE sqlsmith_staff LOGIN IN ROLE support_agent, support_manager;
SQL
psql -X -q -d $db -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION bedrock_support'
(cd "$here/../demo" && psql -X -q -d $db -v ON_ERROR_STOP=1 -f scenario.sql >/dev/null)
echo "sqlsmith: $seconds s against a desk of $(psql -X -At -d $db -c 'SELECT count(*) FROM support.tickets') tickets, seed $seed"

run() {   # run ROLE: sqlsmith for half the time; fails if it stopped before the time was up
    local role=$1 log status=0
    log=$(mktemp /tmp/bedrock_support-sqlsmith.XXXXXX)
    timeout --signal=INT "$half" sqlsmith --seed="$seed" --exclude-catalog --verbose \
        --target="host=${PGHOST:-/tmp} port=${PGPORT:-5432} dbname=$db user=$role" >"$log" 2>&1 || status=$?
    # 124: stopped by timeout, as meant; anything else: sqlsmith gave up early
    grep -E "^(queries|error rate):" "$log" | tail -n 2 | sed "s/^/  $role: /" || true
    if [ "$status" -ne 124 ]; then
        echo "sqlsmith as $role stopped early (exit $status):" >&2
        tail -n 20 "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}
run "${PGUSER:-postgres}"
run sqlsmith_staff
# the server is still there, and answers
psql -X -q -At -d $db -c 'SELECT count(*) > 0 FROM support.tickets' | grep -qx t
psql -X -q -d postgres -c "DROP DATABASE $db" -c 'DROP ROLE sqlsmith_staff' 2>/dev/null
echo "sqlsmith: no backend lost"
