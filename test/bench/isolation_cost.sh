#!/usr/bin/env bash
# Benchmark: the cost of acting on each due ticket in a subtransaction of
# its own, in fair turns by account (1.1), against 1.0's batch (one
# transaction for all, oldest deadline first), on a pass that escalates
# 1,000 P1 tickets of 100 accounts among 100,000 open tickets. 1.0's
# run_due_actions is taken from its frozen install script
# (extension/bedrock_support--1.0.sql) and run beside 1.1's; each way runs
# three times, alternately, and the medians are compared.
#   isolation_cost.sh   (PGHOST/PGPORT/PGUSER as for psql)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=bedrock_isolation_bench

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -d postgres -c "ALTER DATABASE $db SET support.worker_enabled = off"
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION bedrock_support;
INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT 'bench account ' || i, 'UTC', 1 FROM generate_series(1, 100) i;
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT account_id, 'user' || account_id || '@bench.example', 'Bench User', 'campaign_manager' FROM support.accounts;
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'agent' || t || '-' || i || '@bedrock.example', 'Agent ' || t || '-' || i, t, '{campaign_management}', true
  FROM generate_series(1, 3) t, generate_series(1, 20) i;
-- open tickets whose next action is weeks away, loaded as an import would
SET session_replication_role = replica;
INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier,
                             status, created_at, updated_at, first_response_due, resolution_due,
                             escalation_due, next_update_due, actions_checked_at, next_action_at)
SELECT u.account_id, u.user_id, 'open ticket', 'email', 'campaign_performance', 'P3', 1, 'in_progress',
       now(), now(), now() + interval '30 days', now() + interval '40 days',
       now() + interval '35 days', now() + interval '30 days', now(), now() + interval '30 days'
  FROM generate_series(1, 100000) i JOIN support.account_users u ON u.account_id = 1 + i % 100;
RESET session_replication_role;
SQL
# 1.0's batch, as released, under another name
python3 - "$here/../../extension/bedrock_support--1.0.sql" <<'PY' | psql -X -q -v ON_ERROR_STOP=1 -d $db
import sys
s = open(sys.argv[1]).read()
i = s.index('CREATE FUNCTION support.run_due_actions(')
j = s.index('$$;', i) + 3
print(s[i:j].replace('support.run_due_actions(', 'public.run_due_actions_1_0(', 1) + ';')
PY
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
-- 1,000 P1s of all 100 accounts past their escalation mark; the pass that escalates them, in ms
CREATE FUNCTION bench_pass(one_point_zero boolean) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
    taken integer;
BEGIN
    SET LOCAL row_security = off;
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier, created_at, updated_at)
    SELECT u.account_id, u.user_id, 'due ticket', 'email', 'campaign_performance', 'P1', 1,
           now() - interval '13 minutes', now()
      FROM generate_series(1, 1000) i JOIN support.account_users u ON u.account_id = 1 + i % 100;
    SET LOCAL row_security = on;
    UPDATE support.tickets SET sla_paused = sla_paused WHERE subject = 'due ticket' AND next_action_at IS NULL;
    started := clock_timestamp();
    IF one_point_zero THEN
        SELECT r.actions INTO taken FROM public.run_due_actions_1_0(clock_timestamp(), 100000) r;
    ELSE
        SELECT r.actions INTO taken FROM support.run_due_actions(clock_timestamp(), 100000) r;
    END IF;
    RETURN round(extract(epoch FROM clock_timestamp() - started)::numeric * 1000, 1);
END $$;
CREATE FUNCTION bench_clear() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL session_replication_role = replica;
    DELETE FROM support.outbound_messages;
    UPDATE support.tickets SET next_action_at = now() + interval '60 days', subject = 'done ticket'
     WHERE subject = 'due ticket';
END $$;
CREATE TABLE bench_passes (way text, ms numeric);
SQL
for round in 1 2 3; do
    for way in false true; do
        psql -X -q -At -v ON_ERROR_STOP=1 -d $db -c "VACUUM ANALYZE support.tickets" \
            -c "INSERT INTO bench_passes SELECT CASE WHEN $way THEN '1.0' ELSE '1.1' END, bench_pass($way)" \
            -c "SELECT bench_clear()" >/dev/null
    done
done
psql -X -q -At -d $db <<'SQL'
SELECT format('worker isolation: a pass escalating 1,000 P1s among 100,000 open tickets: 1.1 (a subtransaction a ticket, fair turns) %s ms, 1.0 (one batch) %s ms: ratio %s',
              m11, m10, round((m11 / m10)::numeric, 2))
  FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE way = '1.1') AS m11,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE way = '1.0') AS m10
          FROM bench_passes) m;
SQL
psql -X -q -d postgres -c "DROP DATABASE $db"
