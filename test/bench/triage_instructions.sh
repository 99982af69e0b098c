#!/usr/bin/env bash
# Benchmark: CPU instructions per single-ticket INSERT, counted by valgrind's
# callgrind in a single-user backend, for the three statements of
# triage_pgbench.sh: the bare insert (triage triggers disabled), the floor
# (the rows triage writes, by one plain SQL statement) and the insert
# through triage with assignment. A count does not move with the machine's
# load as transaction rates do, so it shows changes of a few per cent; it
# leaves out what a count cannot see (lock waits, I/O, more clients).
# Each statement is counted over 100 and over 500 inserts in one backend:
# the difference over 400 is the steady cost of one insert, without the
# backend's start-up, first plans or first loads of the caches.
#   triage_instructions.sh   (as root or the server's user; needs valgrind)
set -euo pipefail
source "$(dirname "$0")/../harness/common.sh"
cd "$REPO"
name=instructions port=54334 db=bedrock_instructions
scripts=test/bench/triage_single

bash test/harness/cluster.sh stop $name >/dev/null
bash test/harness/cluster.sh start $name $port
export PGHOST=/tmp/bedrock_support-$port PGPORT=$port PGUSER=postgres
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -d $db -c 'CREATE EXTENSION bedrock_support'
psql -X -q -v ON_ERROR_STOP=1 -d $db -f $scripts/setup.sql
psql -X -q -d $db -c 'VACUUM ANALYZE'
bash test/harness/cluster.sh stop $name >/dev/null   # the single-user backend needs the data alone
data=$(private_dir $name)/data
work=$(mktemp -d /tmp/bedrock_support-instructions.XXXXXX)
[ "$(id -u)" -eq 0 ] && chown "$SERVER_USER" "$work"
trap 'rm -rf "$work"' EXIT

# A session of COUNT inserts through the pgbench script NAME, made a prepared
# statement ($1, $2 for :r, :s; client 0). A newline ends a command in a
# single-user backend, so each command is one line.
session() {
    local script=$1 count=$2 triggers=DISABLE
    [ "$script" = triaged ] && triggers=ENABLE
    echo "ALTER TABLE support.tickets $triggers TRIGGER ticket_classify, $triggers TRIGGER ticket_triaged;"
    echo "PREPARE insert_ticket(int, int) AS $(sed -e '/^\\set/d' -e 's/:r\b/$1/g' -e 's/:s\b/$2/g' \
        -e 's/:client_id\b/0/g' "$scripts/$script.sql" | tr '\n' ' ')"
    for i in $(seq 1 "$count"); do
        echo "EXECUTE insert_ticket($(( i % 50 + 1 )), $(( i % 6 + 1 )));"
    done
}

instructions() {   # instructions SCRIPT COUNT -> instructions the backend ran
    local log=$work/$1-$2.log
    session "$1" "$2" >"$work/$1-$2.sql"
    as_server_user valgrind --tool=callgrind --callgrind-out-file="$work/$1-$2.out" \
        "$PGBIN/postgres" --single -D "$data" $db <"$work/$1-$2.sql" >"$log" 2>&1
    if grep -q 'ERROR' "$log"; then
        grep -m3 'ERROR' "$log" >&2
        exit 1
    fi
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
}

per_insert() {   # per_insert SCRIPT -> instructions of one insert
    local few many
    few=$(instructions "$1" 100)
    many=$(instructions "$1" 500)
    echo $(( (many - few) / 400 ))
}

bare=$(per_insert bare)
floor=$(per_insert floor)
triaged=$(per_insert triaged)

rate() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
echo
echo "instructions per single-ticket INSERT (callgrind, one backend, inserts 101 to 500; rates as 1/count)"
printf '  %-46s %9d\n' "triage triggers disabled (bare)" "$bare"
printf '  %-46s %9d   %s of the bare rate\n' "the rows triage writes, by plain SQL (floor)" "$floor" \
       "$(rate "$floor" "$bare")"
printf '  %-46s %9d   %s of the bare rate, %s of the floor\n' "triage with assignment" "$triaged" \
       "$(rate "$triaged" "$bare")" "$(rate "$triaged" "$floor")"
