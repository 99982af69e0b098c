#!/usr/bin/env bash
# Benchmark: the escalation worker.
#   1. Cost of an idle wake-up (the worker's probe for the next deadline,
#      its sweep of assumed keys and an empty batch) and of a pass that
#      escalates 1,000 tickets, with 100,000 and then 1,000,000 open tickets
#      in the table: the ratio 1M / 100k shows whether the cost grows with
#      the open tickets.
#   2. Latency from a deadline passing to its escalation, median and 99th
#      percentile over 1,000 tickets due at staggered times over 10 s, with
#      1,000,000 open tickets and support.max_sleep at 5 minutes.
#   3. The worker's memory before and after ESCALATIONS escalations
#      (default 100,000), from /proc/PID/status.
#   escalation_worker.sh [ESCALATIONS]   (PGHOST/PGPORT/PGUSER as for psql;
#   run as root or the server's user, to read the worker's /proc entry)
set -euo pipefail
escalations=${1:-100000}
db=bedrock_escalation_bench

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
# the first part measures in this session, without the worker
psql -X -q -d postgres -c "ALTER DATABASE $db SET support.worker_enabled = off"
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION bedrock_support;
INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT 'bench account ' || i, 'UTC', 1 FROM generate_series(1, 1000) i;
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT account_id, 'user' || account_id || '@bench.example', 'Bench User', 'campaign_manager' FROM support.accounts;
INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
SELECT 'agent' || t || '-' || i || '@bedrock.example', 'Agent ' || t || '-' || i, t, '{campaign_management}', true
  FROM generate_series(1, 3) t, generate_series(1, 20) i;

-- open tickets whose next action is weeks away, written as a bulk load
-- would (triggers off): they only have to be there, in the index
CREATE FUNCTION bench_fill(n integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL session_replication_role = replica;
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier,
                                 status, created_at, updated_at, first_response_due, resolution_due,
                                 escalation_due, next_update_due, actions_checked_at, next_action_at)
    SELECT u.account_id, u.user_id, 'open ticket', 'email', 'campaign_performance', 'P3', 1, 'in_progress',
           now(), now(), now() + interval '30 days', now() + interval '40 days',
           now() + interval '35 days', now() + interval '30 days', now(),
           now() + interval '30 days' + (random() * interval '10 days')
      FROM generate_series(1, n) i
      JOIN support.account_users u ON u.account_id = 1 + i % 1000;
END $$;

-- n P1 tickets whose escalation mark (12 minutes) is at now + first + i * step
CREATE FUNCTION bench_due(n integer, first interval, step interval) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL row_security = off;           -- an import: rows as they are
    INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier,
                                 created_at, updated_at)
    SELECT u.account_id, u.user_id, 'due ticket ' || i, 'email', 'campaign_performance', 'P1', 1,
           now() - interval '12 minutes' + first + step * i, now()
      FROM generate_series(1, n) i
      JOIN support.account_users u ON u.account_id = 1 + i % 1000;
    SET LOCAL row_security = on;
    UPDATE support.tickets SET sla_paused = sla_paused WHERE next_action_at IS NULL AND status = 'new';
END $$;

-- milliseconds per idle wake-up: the worker's probe, its sweep of assumed
-- keys (1.6) and an empty batch
CREATE FUNCTION bench_idle(rounds integer) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
    next timestamptz;
BEGIN
    FOR i IN 1..rounds LOOP
        PERFORM support.expire_assumptions();
        SELECT next_action_at INTO next FROM support.tickets
         WHERE next_action_at IS NOT NULL ORDER BY next_action_at LIMIT 1;
        PERFORM support.run_due_actions(clock_timestamp(), 500);
    END LOOP;
    RETURN round(extract(epoch FROM clock_timestamp() - started)::numeric * 1000 / rounds, 4);
END $$;

-- milliseconds for one batch that acts on every due ticket, and its actions
CREATE FUNCTION bench_pass(OUT ms numeric, OUT actions integer) LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    SELECT r.actions INTO actions FROM support.run_due_actions(clock_timestamp(), 100000) r;
    ms := round(extract(epoch FROM clock_timestamp() - started)::numeric * 1000, 1);
END $$;

CREATE TABLE bench_costs (open_tickets bigint, idle_ms numeric, pass_ms numeric, actions integer);
SQL

measure() {   # one row of bench_costs at the current table size
    psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
VACUUM ANALYZE support.tickets;
SELECT bench_idle(200) \gset ignored_
INSERT INTO bench_costs (open_tickets, idle_ms)
SELECT (SELECT count(*) FROM support.tickets WHERE status NOT IN ('resolved', 'closed')), bench_idle(1000);
SELECT bench_due(1000, interval '-1 minute', interval '0') \gset ignored_
UPDATE bench_costs SET (pass_ms, actions) = (SELECT ms, actions FROM bench_pass()) WHERE pass_ms IS NULL;
-- the escalated tickets' later deadlines would make the next idle round busy
SET session_replication_role = replica;
UPDATE support.tickets SET next_action_at = now() + interval '60 days' WHERE subject LIKE 'due ticket%';
SQL
}

echo
echo "== escalation worker: cost per wake-up and per pass as open tickets grow 10x"
psql -X -q -d $db -c "SELECT bench_fill(99000)" >/dev/null
measure
psql -X -q -d $db -c "SELECT bench_fill(900000)" >/dev/null
measure
psql -X -q -d $db <<'SQL'
SELECT open_tickets, idle_ms AS idle_wakeup_ms, pass_ms AS pass_of_1000_escalations_ms, actions
  FROM bench_costs ORDER BY open_tickets;
SELECT round(max(idle_ms) FILTER (WHERE open_tickets > 500000) / max(idle_ms) FILTER (WHERE open_tickets < 500000), 2)
           AS idle_ratio_1m_over_100k,
       round(max(pass_ms) FILTER (WHERE open_tickets > 500000) / max(pass_ms) FILTER (WHERE open_tickets < 500000), 2)
           AS pass_ratio_1m_over_100k
  FROM bench_costs;
SQL

echo
echo "== escalation worker: latency from deadline to escalation (1,000 staggered, support.max_sleep = 5min)"
psql -X -q -d postgres -c "ALTER SYSTEM SET support.max_sleep = '5min'" -c "SELECT pg_reload_conf()" >/dev/null
psql -X -q -d postgres -c "ALTER DATABASE $db RESET support.worker_enabled"
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
-- when the escalation reached the table, by the clock
CREATE TABLE bench_seen (ticket_id bigint PRIMARY KEY, due timestamptz, seen_at timestamptz);
CREATE FUNCTION bench_seen_escalation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.bench_seen VALUES (NEW.ticket_id, (NEW.details->>'due')::timestamptz, clock_timestamp());
    RETURN NULL;
END $$;
CREATE TRIGGER bench_seen AFTER INSERT ON support.ticket_events
    FOR EACH ROW WHEN (NEW.action_key LIKE 'escalation_mark@%') EXECUTE FUNCTION bench_seen_escalation();
SELECT support.wake_worker() \gset ignored_
SQL
for _ in $(seq 50); do
    [ "$(psql -X -qAt -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = '$db'")" = 1 ] && break
    sleep 0.2
done
psql -X -q -d $db -c "SELECT bench_due(1000, interval '5 seconds', interval '10 milliseconds')" >/dev/null
sleep 17
psql -X -q -d $db <<'SQL'
SELECT count(*) AS escalated,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM seen_at - due)) * 1000)::numeric, 1) AS median_ms,
       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM seen_at - due)) * 1000)::numeric, 1) AS p99_ms,
       round((max(extract(epoch FROM seen_at - due)) * 1000)::numeric, 1) AS max_ms,
       (SELECT count(*) FROM support.tickets WHERE status NOT IN ('resolved', 'closed')) AS open_tickets,
       current_setting('support.max_sleep') AS max_sleep
  FROM bench_seen;
SQL

echo
echo "== escalation worker: memory across $escalations escalations, in 5 rounds"
pid=$(psql -X -qAt -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = '$db'")
memory() { awk '/^(VmRSS|RssAnon):/ {printf "%s %6d kB  ", $1, $2}' "/proc/$pid/status"; }
echo "worker $pid after the latency run:  $(memory)"
started=$SECONDS
for round in 1 2 3 4 5; do
    psql -X -q -d $db -c "SELECT bench_due($escalations / 5, interval '-1 minute', interval '0')" >/dev/null
    while [ "$(psql -X -qAt -d $db -c "SELECT count(*) FROM support.tickets WHERE next_action_at <= now()")" != 0 ]; do
        sleep 1
    done
    echo "after round $round ($(psql -X -qAt -d $db -c "SELECT actions_taken FROM support.worker_status") actions in all): $(memory)"
done
echo "$escalations escalations (and the breaches that came due meanwhile) in $((SECONDS - started)) s"
echo "(RssAnon is the worker's private memory; VmRSS also counts the shared buffers it has touched)"

psql -X -q -d postgres -c "ALTER SYSTEM RESET support.max_sleep" -c "SELECT pg_reload_conf()" >/dev/null
psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)"
