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
# Then the same for one INSERT ... SELECT of many tickets (the issue's bulk
# case): triage off, triage without assignment, with assignment; counted
# for 500 and 2,500 tickets in a transaction rolled back, the difference
# over 2,000 is the cost of one ticket of a large statement.
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
    echo "ALTER TABLE support.tickets $triggers TRIGGER ticket_20_classify, $triggers TRIGGER ticket_80_triaged;"
    echo "PREPARE insert_ticket(int, int) AS $(sed -e '/^\\set/d' -e 's/:r\b/$1/g' -e 's/:s\b/$2/g' \
        -e 's/:client_id\b/0/g' "$scripts/$script.sql" | tr '\n' ' ')"
    for i in $(seq 1 "$count"); do
        echo "EXECUTE insert_ticket($(( i % 50 + 1 )), $(( i % 6 + 1 )));"
    done
}

count_session() {   # count_session NAME -> instructions a backend ran for $work/NAME.sql
    local log=$work/$1.log
    as_server_user valgrind --tool=callgrind --callgrind-out-file="$work/$1.out" \
        "$PGBIN/postgres" --single -D "$data" $db <"$work/$1.sql" >"$log" 2>&1
    if grep -q 'ERROR' "$log"; then
        grep -m3 'ERROR' "$log" >&2
        exit 1
    fi
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
}

instructions() {   # instructions SCRIPT COUNT -> instructions the backend ran
    session "$1" "$2" >"$work/$1-$2.sql"
    count_session "$1-$2"
}

per_insert() {   # per_insert SCRIPT -> instructions of one insert
    local few many
    few=$(instructions "$1" 100)
    many=$(instructions "$1" 500)
    echo $(( (many - few) / 400 ))
}

# A transaction of one INSERT ... SELECT of COUNT tickets over the same
# requesters and shapes: off (triage disabled, priority and tier given),
# classify (triage without assignment) or triage; rolled back.
bulk_session() {
    local variant=$1 count=$2
    echo "BEGIN;"
    case $variant in
    off) echo "ALTER TABLE support.tickets DISABLE TRIGGER ticket_20_classify, DISABLE TRIGGER ticket_80_triaged;" ;;
    classify) echo "SET LOCAL support.auto_assign = off;" ;;
    esac
    if [ "$variant" = off ]; then
        echo "INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage," \
             "priority, tier) SELECT r.account_id, r.user_id, s.subject || ' ' || i, s.channel, s.category, s.outage," \
             "'P3', 1 FROM generate_series(1, $count) i JOIN pgbench_requesters r ON r.n = 1 + i % 50" \
             "JOIN pgbench_shapes s ON s.n = 1 + i % 6;"
    else
        echo "INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage)" \
             "SELECT r.account_id, r.user_id, s.subject || ' ' || i, s.channel, s.category, s.outage" \
             "FROM generate_series(1, $count) i JOIN pgbench_requesters r ON r.n = 1 + i % 50" \
             "JOIN pgbench_shapes s ON s.n = 1 + i % 6;"
    fi
    echo "ROLLBACK;"
}

per_bulk_ticket() {   # per_bulk_ticket VARIANT -> instructions of one ticket of a large INSERT
    local few many
    bulk_session "$1" 500 >"$work/bulk-$1-500.sql"
    bulk_session "$1" 2500 >"$work/bulk-$1-2500.sql"
    few=$(count_session "bulk-$1-500")
    many=$(count_session "bulk-$1-2500")
    echo $(( (many - few) / 2000 ))
}

bare=$(per_insert bare)
floor=$(per_insert floor)
triaged=$(per_insert triaged)
bulk_off=$(per_bulk_ticket off)
bulk_classify=$(per_bulk_ticket classify)
bulk_triage=$(per_bulk_ticket triage)

rate() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
echo
echo "instructions per single-ticket INSERT (callgrind, one backend, inserts 101 to 500; rates as 1/count)"
printf '  %-46s %9d\n' "triage triggers disabled (bare)" "$bare"
printf '  %-46s %9d   %s of the bare rate\n' "the rows triage writes, by plain SQL (floor)" "$floor" \
       "$(rate "$floor" "$bare")"
printf '  %-46s %9d   %s of the bare rate, %s of the floor\n' "triage with assignment" "$triaged" \
       "$(rate "$triaged" "$bare")" "$(rate "$triaged" "$floor")"
echo
echo "instructions per ticket of one INSERT ... SELECT (tickets 501 to 2500 of the statement)"
printf '  %-46s %9d\n' "triage triggers disabled" "$bulk_off"
printf '  %-46s %9d   %s of the rate without triage\n' "triage without assignment" "$bulk_classify" \
       "$(rate "$bulk_classify" "$bulk_off")"
printf '  %-46s %9d   %s of the rate without triage\n' "triage with assignment" "$bulk_triage" \
       "$(rate "$bulk_triage" "$bulk_off")"
