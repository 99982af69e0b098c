#!/usr/bin/env bash
# Benchmark: single-ticket inserts from 8 concurrent pgbench clients, with
# triage (classification, routing, assignment, acknowledgment) against the
# same inserts with the triage triggers disabled, in one run. Also reports
# failed transactions (a deadlock would be one) and the spread of open
# tickets among the agents of each routing group. SECONDS (default 20) is
# each kind's time, in two runs of half of it.
# A third run measures a floor: with triage off, one plain SQL statement
# inserts the ticket (agent given) and writes the rows triage writes for a
# routine ticket (its created and routing events, the acknowledgment, the
# agent's load), with no classification, rendering or pick. No triage can
# run faster than the rows it must write, so the floor shows how much of
# the gap to the bare insert is those rows and how much is triage's logic.
#   triage_pgbench.sh DATABASE [SECONDS]   (PGHOST/PGPORT/PGUSER as for psql)
set -euo pipefail
db=$1 seconds=${2:-20}
PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
work=$(mktemp -d /tmp/bedrock_support-pgbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# the accounts, agents and ticket shapes; the three pgbench scripts
scripts=$(dirname "$0")/triage_single
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$scripts/setup.sql"

# Each kind runs twice, half the time each, in the order bare, floor, triage,
# triage, floor, bare: the machine's speed drifts over minutes, and the
# mirrored order gives each kind the same share of early and late.
half=$(( (seconds + 1) / 2 ))
run() {   # run NAME SCRIPT -> prints tps
    "$PGBENCH" -n -M prepared -c 8 -j 2 -T "$half" -f "$2" "$db" >"$work/$1.log" 2>&1 || true
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/$1.log" | head -1
}
failed() {   # failed NAME -> failed transactions over NAME's runs, or what aborted them
    grep -h -E 'aborted' "$work/$1".*.log || true
    cat "$work/$1".*.log | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' |
        awk '{ n += $1 } END { print n + 0 " failed transactions" }'
}
mean() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (a + b) / 2 }'; }
triage() { psql -X -q -d "$db" -c "ALTER TABLE support.tickets $1 TRIGGER ticket_20_classify, $1 TRIGGER ticket_80_triaged"; }
# each run starts from a vacuumed agents table: their load rows take an update per ticket
vacuum_agents() { psql -X -q -d "$db" -c 'VACUUM support.agents'; }

triage DISABLE
bare1=$(run bare.1 "$scripts/bare.sql"); vacuum_agents
floor1=$(run floor.1 "$scripts/floor.sql"); vacuum_agents
triage ENABLE
triaged1=$(run triaged.1 "$scripts/triaged.sql"); vacuum_agents
triaged2=$(run triaged.2 "$scripts/triaged.sql"); vacuum_agents
triage DISABLE
floor2=$(run floor.2 "$scripts/floor.sql"); vacuum_agents
bare2=$(run bare.2 "$scripts/bare.sql")
triage ENABLE
bare=$(mean "$bare1" "$bare2") floor=$(mean "$floor1" "$floor2") triaged=$(mean "$triaged1" "$triaged2")

echo
echo "single-ticket INSERTs, 8 pgbench clients, 2 x ${half} s each (-M prepared; mean of the two runs)"
printf '  triage triggers disabled   %8.0f tps   (%.0f, %.0f)\n' "$bare" "$bare1" "$bare2"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '  triage triggers disabled, the rows triage writes by plain SQL (floor)\n'
printf '                             %8.0f tps   (%.0f, %.0f)   %s of the bare rate\n' "$floor" "$floor1" "$floor2" \
       "$(ratio "$floor" "$bare")"
printf '  triage with assignment     %8.0f tps   (%.0f, %.0f)   %s of the bare rate, %s of the floor\n' \
       "$triaged" "$triaged1" "$triaged2" "$(ratio "$triaged" "$bare")" "$(ratio "$triaged" "$floor")"
echo "  floor: $(failed floor | tr '\n' ' '); triage: $(failed triaged | tr '\n' ' ')"
psql -X -q -At -d "$db" <<'SQL'
SELECT '  largest spread of open tickets within a routing group (max - min): ' ||
       max(spread) || ' over ' || count(*) || ' groups, ' || sum(total) || ' tickets assigned'
  FROM (SELECT g.tier, g.skills[1], max(n) - min(n) AS spread, sum(n) AS total
          FROM (SELECT a.agent_id, a.tier, a.skills,
                       (SELECT count(*) FROM support.tickets t
                         WHERE t.assignee_id = a.agent_id AND t.status NOT IN ('resolved', 'closed')) AS n
                  FROM support.agents a WHERE a.email LIKE '%@pgbench.example') g
         GROUP BY g.tier, g.skills[1]) s;
SQL
