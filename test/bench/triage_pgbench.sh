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

psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SET client_min_messages = warning;
INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT 'pgbench account ' || i, 'UTC', 2 FROM generate_series(1, 50) i;
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT a.account_id, 'user' || a.account_id || '@pgbench.example', 'Bench User', 'campaign_manager'
  FROM support.accounts a WHERE a.name LIKE 'pgbench account %';
-- three agents per routing group, one skill each, so each group's balance can be read
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'pgbench' || g.tier || g.skill || i || '@pgbench.example', g.skill || ' ' || i, g.tier, ARRAY[g.skill], true
  FROM (VALUES (1, 'campaign_management'), (1, 'reporting'), (2, 'data_analysis'),
               (2, 'api_integration'), (3, 'infrastructure')) AS g(tier, skill),
       generate_series(1, 3) i;
DROP TABLE IF EXISTS pgbench_requesters, pgbench_shapes;
CREATE TABLE pgbench_requesters AS
SELECT row_number() OVER (ORDER BY account_id)::int AS n, account_id, user_id
  FROM support.account_users WHERE email LIKE '%@pgbench.example';
CREATE TABLE pgbench_shapes (n int PRIMARY KEY, subject text, channel text, category text, outage boolean);
INSERT INTO pgbench_shapes VALUES
  (1, 'Dashboards are slow today', 'portal', 'reporting', false),
  (2, 'Budget pacing far below plan', 'email', 'campaign_performance', false),
  (3, 'Conversions do not match our analytics', 'email', 'data_discrepancy', false),
  (4, 'Webhook deliveries time out', 'api', 'technical_integration', false),
  (5, 'How do I set up lookalike audiences', 'email', 'training', false),
  (6, 'Platform unreachable', 'monitoring', 'infrastructure', true);
-- the floor's own agents, off shift so triage never picks them: one per
-- pgbench client for each shape's routing group as the category seeds it,
-- so the floor never waits for another client's lock on an agent's row
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'floor' || g.tier || g.skill || i || '@floor.example', g.skill || ' floor ' || i, g.tier, ARRAY[g.skill], false
  FROM (VALUES (1, 'campaign_management'), (1, 'reporting'), (2, 'data_analysis'),
               (2, 'api_integration'), (3, 'infrastructure')) AS g(tier, skill),
       generate_series(0, 7) i;
DROP TABLE IF EXISTS pgbench_shape_agents;
CREATE TABLE pgbench_shape_agents AS
SELECT s.n AS shape, row_number() OVER (PARTITION BY s.n ORDER BY a.agent_id)::int - 1 AS client,
       a.agent_id, c.default_tier AS tier
  FROM pgbench_shapes s
  JOIN support.categories c ON c.category = s.category
  JOIN support.agents a ON a.tier = c.default_tier AND c.required_skill = ANY (a.skills)
 WHERE a.email LIKE '%@floor.example';
ANALYZE pgbench_requesters, pgbench_shapes, pgbench_shape_agents;
SQL

cat >"$work/bare.sql" <<'SQL'
\set r random(1, 50)
\set s random(1, 6)
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage, priority, tier)
SELECT r.account_id, r.user_id, s.subject, s.channel, s.category, s.outage, 'P3', 1
  FROM pgbench_requesters r, pgbench_shapes s WHERE r.n = :r AND s.n = :s;
SQL
cat >"$work/triaged.sql" <<'SQL'
\set r random(1, 50)
\set s random(1, 6)
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage)
SELECT r.account_id, r.user_id, s.subject, s.channel, s.category, s.outage
  FROM pgbench_requesters r, pgbench_shapes s WHERE r.n = :r AND s.n = :s;
SQL

cat >"$work/floor.sql" <<'SQL'
\set r random(1, 50)
\set s random(1, 6)
WITH t AS (
  INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, service_outage,
                               priority, tier, assignee_id)
  SELECT r.account_id, r.user_id, s.subject, s.channel, s.category, s.outage, 'P3', g.tier, g.agent_id
    FROM pgbench_requesters r, pgbench_shapes s, pgbench_shape_agents g
   WHERE r.n = :r AND s.n = :s AND g.shape = :s AND g.client = :client_id
  RETURNING account_id, ticket_id, requester_id, subject, channel, category, assignee_id),
events AS (
  INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility,
                                     body, new_value, details)
  SELECT t.account_id, t.ticket_id, 'created'::support.event_kind, t.requester_id,
         'client'::support.actor_kind, 'public'::support.visibility, t.subject, 'new',
         jsonb_build_object('channel', t.channel, 'category', t.category, 'priority', 'P3')
    FROM t
  UNION ALL
  SELECT t.account_id, t.ticket_id, 'assignee_change', NULL, 'system', 'internal',
         'Routed to the least-loaded agent', t.assignee_id::text, '{}'::jsonb
    FROM t),
messages AS (
  INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, template,
                                         subject, body, payload)
  SELECT t.account_id, t.ticket_id, 'email', 'user@pgbench.example', 'initial_response',
         'Re: ' || t.subject || ' [#' || t.ticket_id || ']',
         'Dear Bench User, thank you for contacting Bedrock Platform Support about ' || t.subject ||
         '. Your ticket #' || t.ticket_id || ' is assigned and we will update you shortly.', '{}'
    FROM t)
UPDATE support.agents g SET open_tickets = g.open_tickets + 1, last_assigned_at = clock_timestamp()
  FROM t WHERE g.agent_id = t.assignee_id;
SQL

run() {   # run NAME SCRIPT -> prints tps, and failed count on stderr
    "$PGBENCH" -n -M prepared -c 8 -j 2 -T "$seconds" -f "$2" "$db" >"$work/$1.log" 2>&1 || true
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/$1.log" | head -1
}
failed() { grep -E 'number of failed transactions|aborted' "$work/$1.log" | head -2 || true; }

psql -X -q -d "$db" -c 'ALTER TABLE support.tickets DISABLE TRIGGER ticket_classify, DISABLE TRIGGER ticket_triaged'
# each run starts from a vacuumed agents table: their load rows take an update per ticket
vacuum_agents() { psql -X -q -d "$db" -c 'VACUUM support.agents'; }
bare=$(run bare "$work/bare.sql")
vacuum_agents
floor=$(run floor "$work/floor.sql")
vacuum_agents
psql -X -q -d "$db" -c 'ALTER TABLE support.tickets ENABLE TRIGGER ticket_classify, ENABLE TRIGGER ticket_triaged'
triaged=$(run triaged "$work/triaged.sql")

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
