#!/usr/bin/env bash
# Benchmark: single-ticket inserts from 8 concurrent pgbench clients, with
# triage (classification, routing, assignment, acknowledgment) against the
# same inserts with the triage triggers disabled, in one run. Also reports
# failed transactions (a deadlock would be one) and the spread of open
# tickets among the agents of each routing group.
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

run() {   # run NAME SCRIPT -> prints tps, and failed count on stderr
    "$PGBENCH" -n -M prepared -c 8 -j 2 -T "$seconds" -f "$2" "$db" >"$work/$1.log" 2>&1 || true
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/$1.log" | head -1
}
failed() { grep -E 'number of failed transactions|aborted' "$work/$1.log" | head -2 || true; }

psql -X -q -d "$db" -c 'ALTER TABLE support.tickets DISABLE TRIGGER ticket_classify, DISABLE TRIGGER ticket_triaged'
# each run starts from a vacuumed agents table: their load rows take an update per ticket
vacuum_agents() { psql -X -q -d "$db" -c 'VACUUM support.agents'; }
bare=$(run bare "$scripts/bare.sql")
vacuum_agents
floor=$(run floor "$scripts/floor.sql")
vacuum_agents
psql -X -q -d "$db" -c 'ALTER TABLE support.tickets ENABLE TRIGGER ticket_classify, ENABLE TRIGGER ticket_triaged'
triaged=$(run triaged "$scripts/triaged.sql")

echo
echo "single-ticket INSERTs, 8 pgbench clients, ${seconds} s each (-M prepared)"
printf '  triage triggers disabled   %8.0f tps\n' "$bare"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '  triage triggers disabled, the rows triage writes by plain SQL (floor)\n'
printf '                             %8.0f tps   %s of the bare rate\n' "$floor" "$(ratio "$floor" "$bare")"
printf '  triage with assignment     %8.0f tps   %s of the bare rate, %s of the floor\n' "$triaged" \
       "$(ratio "$triaged" "$bare")" "$(ratio "$triaged" "$floor")"
echo "  pgbench errors in the floor run: $(failed floor | tr '\n' ' ')"
echo "  pgbench errors: $(failed triaged | tr '\n' ' ')"
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
