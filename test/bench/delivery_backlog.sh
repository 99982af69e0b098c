#!/usr/bin/env bash
# Benchmark: the cost of finding and claiming the next deliverable message
# (support.next_delivery() and support.claim_messages()) with 0, 100,000
# and 1,000,000 messages waiting for an endpoint that does not exist, as
# ratios against the run with none. Such messages are parked by the first
# claims that meet them (a bounded batch per claim, timed here as the
# one-time drain); from then on each claim is one probe of the pending index.
# The delivery worker is kept out of the database: the claims are driven by
# hand, and nothing is sent.
#   delivery_backlog.sh [LARGEST]   (PGHOST/PGPORT/PGUSER as for psql)
set -euo pipefail
largest=${1:-1000000}
db=bedrock_backlog_bench

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
        PERFORM count(*) FROM support.claim_messages(10, 60000);
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
        PERFORM count(*) FROM support.claim_messages(1, 60000);
        claims := claims || extract(epoch FROM clock_timestamp() - t) * 1e6;
    END LOOP;
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1) INTO next_us FROM unnest(nexts) x;
    SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1) INTO claim_us FROM unnest(claims) x;
END $$;
SQL

echo "finding and claiming the next deliverable message, median of 500 (microseconds)"
printf '  %-34s %10s %10s %10s %10s %12s\n' "waiting for a missing endpoint" "next" "claim" "next x" "claim x" "drain (s)"
base_next= base_claim=
for waiting in 0 $(( largest / 10 )) $largest; do
    psql -X -q -d $db -c "SELECT bench_backlog($waiting)" -c "VACUUM ANALYZE support.outbound_messages" >/dev/null
    psql -X -q -d $db -c "TRUNCATE bench_drains" -c "CALL bench_drain()" >/dev/null
    drain=$(psql -X -qAt -d $db -c "SELECT seconds FROM bench_drains")
    psql -X -q -d $db -c "VACUUM ANALYZE support.outbound_messages" >/dev/null
    read -r next claim < <(psql -X -qAt -F ' ' -d $db -c "SELECT next_us, claim_us FROM bench_claims(500)")
    base_next=${base_next:-$next} base_claim=${base_claim:-$claim}
    printf '  %-34s %10s %10s %10s %10s %12s\n' "$(printf "%'d" $waiting 2>/dev/null || echo $waiting)" "$next" "$claim" \
        "$(echo "scale=2; $next / $base_next" | bc)" "$(echo "scale=2; $claim / $base_claim" | bc)" "$drain"
    psql -X -q -d $db -c "DELETE FROM support.outbound_messages" -c "VACUUM ANALYZE support.outbound_messages" >/dev/null
done
psql -X -q -d postgres -c "DROP DATABASE $db"
