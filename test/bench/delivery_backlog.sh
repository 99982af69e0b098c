#!/usr/bin/env bash
# Benchmark: delivery at any backlog.
#   1. The cost of finding and claiming the next deliverable message
#      (support.next_delivery() and support.claim_messages()) with 0,
#      100,000 and 1,000,000 messages waiting for an endpoint that does not
#      exist, as ratios against the run with none. Such messages are parked
#      by the first claims that meet them (a bounded batch per claim, timed
#      here as the one-time drain); from then on each claim is one probe of
#      the pending index. The delivery worker is kept out of this database:
#      the claims are driven by hand, and nothing is sent.
#   2. Latency from commit to a local webhook receiver (answering at once),
#      median and 99th percentile over 300 messages committed one by one
#      20 ms apart, with the delivery worker running and the same backlogs
#      waiting (parked by the worker itself; then a VACUUM, as autovacuum
#      does after such a change).
#   3. An immediate shutdown while messages are in flight: the time from
#      `pg_ctl restart -m immediate` to the last of them delivered (the
#      lease alone would take 2 x support.delivery_timeout + 5 s = 65 s).
#      Needs the server's data directory on this machine; skipped otherwise.
#   delivery_backlog.sh [LARGEST]   (PGHOST/PGPORT/PGUSER as for psql)
set -euo pipefail
source "$(dirname "$0")/../harness/common.sh"
source "$(dirname "$0")/include/receiver.sh"
largest=${1:-1000000}
db=bedrock_backlog_bench
live=bedrock_backlog_live
backlogs="0 $(( largest / 10 )) $largest"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -d postgres -c "ALTER DATABASE $db SET support.worker_enabled = off"
psql -X -q -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION bedrock_support;
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('receiver', 'webhook', 'https://receiver.example/hooks', 'benchmark-signing-secret');
-- n messages for an endpoint nobody configured, due an hour ago
CREATE FUNCTION bench_backlog(n integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, next_attempt_at)
    SELECT 1, 'webhook', 'nowhere', 'backlog', 'message ' || i, now() - interval '1 hour'
      FROM generate_series(1, n) i
$$;
-- claims, each in its own transaction as the worker's are, until nothing
-- more is parked; records the seconds it took
CREATE TABLE bench_drains (seconds numeric);
CREATE PROCEDURE bench_drain() LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    LOOP
        PERFORM count(*) FROM support.claim_messages(10, 16777216, 60000, '2026-01-01 00:00 UTC');
        COMMIT;
        EXIT WHEN NOT EXISTS (SELECT 1 FROM support.outbound_messages
                               WHERE state = 'pending' AND target = 'nowhere');
    END LOOP;
    INSERT INTO bench_drains VALUES (round(extract(epoch FROM clock_timestamp() - started)::numeric, 2));
    COMMIT;
END $$;
-- the median microseconds of one next_delivery() and one claim of one
-- deliverable message, over `rounds` rounds (each claim takes a fresh one)
CREATE FUNCTION bench_claims(rounds integer, OUT next_us numeric, OUT claim_us numeric) LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz;
    nexts numeric[] := '{}';
    claims numeric[] := '{}';
BEGIN
    INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, next_attempt_at)
    SELECT 1, 'webhook', 'receiver', 'deliverable', 'message ' || i, now() - interval '1 minute'
      FROM generate_series(1, rounds) i;
    FOR i IN 1..rounds LOOP
        t := clock_timestamp();
        PERFORM support.next_delivery();
        nexts := nexts || extract(epoch FROM clock_timestamp() - t) * 1e6;
        t := clock_timestamp();
        PERFORM count(*) FROM support.claim_messages(1, 16777216, 60000, '2026-01-01 00:00 UTC');
        claims := claims || extract(epoch FROM clock_timestamp() - t) * 1e6;
    END LOOP;
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1) INTO next_us FROM unnest(nexts) x;
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1) INTO claim_us FROM unnest(claims) x;
END $$;
SQL

echo "finding and claiming the next deliverable message, median of 500 (microseconds)"
printf '  %-34s %10s %10s %10s %10s %12s\n' "waiting for a missing endpoint" "next" "claim" "next x" "claim x" "drain (s)"
base_next= base_claim=
for waiting in $backlogs; do
    psql -X -q -d $db -c "SELECT bench_backlog($waiting)" -c "VACUUM ANALYZE support.outbound_messages" >/dev/null
    psql -X -q -d $db -c "TRUNCATE bench_drains" -c "CALL bench_drain()" >/dev/null
    drain=$(psql -X -qAt -d $db -c "SELECT seconds FROM bench_drains")
    psql -X -q -d $db -c "VACUUM ANALYZE support.outbound_messages" >/dev/null
    read -r next claim < <(psql -X -qAt -F ' ' -d $db -c "SELECT next_us, claim_us FROM bench_claims(500)")
    base_next=${base_next:-$next} base_claim=${base_claim:-$claim}
    printf '  %-34s %10s %10s %10s %10s %12s\n' "$(printf "%'d" $waiting 2>/dev/null || echo $waiting)" "$next" "$claim" \
        "$(awk -v a="$next" -v b="$base_next" 'BEGIN { printf "%.2f", a / b }')" "$(awk -v a="$claim" -v b="$base_claim" 'BEGIN { printf "%.2f", a / b }')" "$drain"
    psql -X -q -d $db -c "DELETE FROM support.outbound_messages" -c "VACUUM ANALYZE support.outbound_messages" >/dev/null
done
psql -X -q -d postgres -c "DROP DATABASE $db"

# 2. and 3.: the worker running, a receiver answering
port=54398
work=$(mktemp -d /tmp/bedrock_support-backlog.XXXXXX)
chmod 755 "$work"
start_receiver $port "$work"
trap 'kill $receiver 2>/dev/null; rm -rf "$work"' EXIT
count() { psql -X -qAt -d $live -c "$1" 2>/dev/null || echo unavailable; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $live" -c "CREATE DATABASE $live" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $live <<SQL
SET client_min_messages = warning;
CREATE EXTENSION bedrock_support;
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('receiver', 'webhook', 'http://127.0.0.1:$port/hooks/bench', 'benchmark-signing-secret');
CREATE FUNCTION bench_backlog(n integer) RETURNS void LANGUAGE sql AS \$\$
    INSERT INTO support.outbound_messages (account_id, destination, target, subject, body)
    SELECT 1, 'webhook', 'nowhere', 'backlog', 'message ' || i FROM generate_series(1, n) i
\$\$;
CREATE FUNCTION bench_queue(label text, n integer DEFAULT 1) RETURNS void LANGUAGE sql AS \$\$
    INSERT INTO support.outbound_messages (account_id, destination, target, subject, body)
    SELECT 1, 'webhook', 'receiver', label, 'message ' || i FROM generate_series(1, n) i
\$\$;
SQL

echo
echo "latency from commit to the receiver, the worker running (300 messages, 20 ms apart; milliseconds)"
printf '  %-34s %10s %10s %10s %14s\n' "waiting for a missing endpoint" "median" "p99" "max" "parked in (s)"
waited=0
for waiting in $backlogs; do
    started=$(date +%s.%N)
    psql -X -q -d $live -c "SELECT bench_backlog($(( waiting - waited )))" >/dev/null
    waited=$waiting
    while [ "$(count "SELECT count(*) FROM support.outbound_messages WHERE state = 'pending' AND target = 'nowhere'")" != 0 ]; do
        sleep 0.2
    done
    parked=$(awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN { print now - then }')
    psql -X -q -d $live -c "VACUUM ANALYZE support.outbound_messages" >/dev/null
    label="latency $waiting"
    read -r median p99 max < <(commit_to_receiver_ms $live "$label" "SELECT bench_queue('$label')" "$work" "$work/receiver.log")
    printf '  %-34s %10s %10s %10s %14s\n' "$(printf "%'d" $waiting 2>/dev/null || echo $waiting)" "$median" "$p99" "$max" "$(printf '%.1f' "$parked")"
done

echo
echo "an immediate shutdown with messages in flight (the receiver answering after 5 s)"
data=$(psql -X -qAt -d postgres -c "SHOW data_directory")
if ! as_server_user test -w "$data/postmaster.pid" 2>/dev/null; then
    echo "  skipped: the server's data directory is not on this machine"
else
    # recovery then replays the seconds before the crash, not this benchmark's
    # millions of row changes above (which a checkpoint would long have covered)
    psql -X -q -d postgres -c "CHECKPOINT"
    control '{"mode": "slow", "delay": 5}'
    psql -X -q -d $live -c "SELECT bench_queue('in flight', 64)" >/dev/null
    while [ "$(count "SELECT count(*) FROM support.outbound_messages WHERE subject = 'in flight' AND claiming_worker_started_at IS NOT NULL")" != 64 ]; do
        sleep 0.1
    done
    sleep 0.5    # the requests reach the receiver
    control '{"mode": "ok"}'
    started=$(date +%s.%N)
    # the server log of test/harness/cluster.sh's clusters, else one beside the data
    server_log=$(dirname "$data")/server.log
    as_server_user test -w "$server_log" || server_log=$data/bench_restart.log
    as_server_user "$PGBIN/pg_ctl" -D "$data" -m immediate -w -t 60 restart -l "$server_log" >/dev/null 2>&1 \
        || as_server_user "$PGBIN/pg_ctl" -D "$data" -w -t 60 start -l "$server_log" >/dev/null
    ready=$(awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN { print now - then }')
    while [ "$(count "SELECT count(*) FROM support.outbound_messages WHERE subject = 'in flight' AND state <> 'delivered'")" != 0 ]; do
        sleep 0.05
    done
    done_after=$(awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN { print now - then }')
    printf '  64 messages in flight: the server accepted connections after %.1f s, the last of them was delivered after %.1f s\n' \
        "$ready" "$done_after"
    printf '  (the lease alone: %s s)\n' "$(psql -X -qAt -d postgres -c "SELECT 2 * setting::int / 1000 + 5 FROM pg_settings WHERE name = 'support.delivery_timeout'")"
    printf '  (under their own keys: the receiver saw %s distinct keys for them)\n' \
        "$(psql -X -qAt -d $live -c "SELECT idempotency_key FROM support.outbound_messages WHERE subject = 'in flight'" \
           | grep -o -F -f - "$work/receiver.log" | sort -u | wc -l)"
fi
psql -X -q -d postgres -c "DROP DATABASE $live WITH (FORCE)"
