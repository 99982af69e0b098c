#!/usr/bin/env bash
# Benchmark: the delivery worker against a local webhook receiver
# (test/receivers/http_receiver.py) that answers after 20 ms, as a receiver
# across a network would.
#   1. Throughput: MESSAGES webhooks (default 10,000) committed at once and
#      sent with support.delivery_concurrency = 64, against the same worker
#      sending one at a time (concurrency 1) on a tenth as many.
#   2. Latency from commit to the receiver, median and 99th percentile, over
#      300 messages committed one by one, 20 ms apart.
#   3. The same throughput against a receiver that answers at once, where
#      the receiver (one Python process) is the bottleneck.
#   delivery.sh [MESSAGES]   (PGHOST/PGPORT/PGUSER as for psql)
set -euo pipefail
source "$(dirname "$0")/include/receiver.sh"
messages=${1:-10000}
db=bedrock_delivery_bench
port=54399
work=$(mktemp -d /tmp/bedrock_support-delivery.XXXXXX)
start_receiver $port "$work"
trap 'kill $receiver 2>/dev/null; rm -rf "$work"; psql -X -q -d postgres -c "ALTER SYSTEM RESET support.delivery_concurrency" -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true' EXIT

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db <<SQL
SET client_min_messages = warning;
CREATE EXTENSION bedrock_support;
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
VALUES ('receiver', 'webhook', 'http://127.0.0.1:$port/hooks/bench', 'benchmark-signing-secret');
-- n webhook messages in one transaction; the rate from its commit to the last delivery
CREATE FUNCTION bench_queue(n integer, label text) RETURNS void LANGUAGE sql AS \$\$
    INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, payload)
    SELECT 1, 'webhook', 'receiver', label, 'message ' || i, jsonb_build_object('kind', label, 'i', i)
      FROM generate_series(1, n) i
\$\$;
CREATE TABLE bench_runs (label text PRIMARY KEY, messages integer, committed_at timestamptz);
SQL

# sends n messages labelled label and prints messages per second
run() {
    local n=$1 label=$2
    psql -X -q -d $db -c "SELECT bench_queue($n, '$label')" \
         -c "INSERT INTO bench_runs VALUES ('$label', $n, clock_timestamp())" >/dev/null
    while [ "$(psql -X -qAt -d $db -c "SELECT count(*) FROM support.outbound_messages WHERE subject = '$label' AND state <> 'delivered'")" != 0 ]; do
        sleep 0.2
    done
    psql -X -qAt -d $db -c "SELECT round(r.messages / extract(epoch FROM max(m.delivered_at) - r.committed_at)::numeric, 1)
                              FROM bench_runs r JOIN support.outbound_messages m ON m.subject = r.label
                             WHERE r.label = '$label' GROUP BY r.messages, r.committed_at"
}

concurrency() {
    psql -X -q -d postgres -c "ALTER SYSTEM SET support.delivery_concurrency = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
}

echo
echo "== delivery: $messages webhooks to a receiver answering after 20 ms"
control '{"mode": "slow", "delay": 0.02}'
concurrency 64
concurrent=$(run "$messages" concurrent)
concurrency 1
sequential=$(run $((messages / 10)) sequential)
echo "  concurrency 64: $concurrent messages/s"
echo "  one at a time:  $sequential messages/s ($((messages / 10)) messages)"
echo "  concurrent delivery is $(echo "$concurrent $sequential" | awk '{printf "%.1f", $1 / $2}')x the rate of one at a time"

echo
echo "== delivery: latency from commit to the receiver (300 messages committed one by one, 20 ms apart)"
concurrency 64
read -r median p99 max < <(commit_to_receiver_ms $db latency "SELECT bench_queue(1, 'latency')" "$work" "$work/receiver.log")
echo "  300 messages: median $median ms, p99 $p99 ms, max $max ms (the receiver's 20 ms answer comes after this)"

echo
echo "== delivery: $messages webhooks to a receiver answering at once (the Python receiver is the limit)"
control '{"mode": "ok"}'
concurrency 64
fast=$(run "$messages" fast_concurrent)
concurrency 1
fast_one=$(run $((messages / 10)) fast_sequential)
echo "  concurrency 64: $fast messages/s; one at a time: $fast_one messages/s ($(echo "$fast $fast_one" | awk '{printf "%.1f", $1 / $2}')x)"
echo "  receiver: $(curl -s "http://127.0.0.1:$port/stats" | sed 's/, "by_path.*//')}"

psql -X -q -d postgres -c "DROP DATABASE $db WITH (FORCE)"
