# Latency from commit to a local receiver (test/receivers/http_receiver.py),
# shared by the delivery benchmarks (sourced, not run).
#   commit_to_receiver_ms DB LABEL QUEUE_ONE WORK RECEIVER_LOG
# commits QUEUE_ONE (a statement queueing one message with subject LABEL)
# 300 times, one by one, 20 ms apart; waits until all are delivered; prints
# "median p99 max" in milliseconds. created_at is the inserting
# transaction's start: a one-statement transaction's commit to within a
# millisecond.
commit_to_receiver_ms() {
    local db=$1 label=$2 queue_one=$3 work=$4 receiver_log=$5
    for _ in $(seq 300); do
        echo "$queue_one; SELECT pg_sleep(0.02);"
    done | psql -X -q -d "$db" >/dev/null
    while [ "$(psql -X -qAt -d "$db" -c "SELECT count(*) FROM support.outbound_messages WHERE subject = '$label' AND state <> 'delivered'" 2>/dev/null || echo unavailable)" != 0 ]; do
        sleep 0.2
    done
    psql -X -qAt -F ' ' -d "$db" -c "SELECT idempotency_key, extract(epoch FROM created_at) FROM support.outbound_messages WHERE subject = '$label'" \
        > "$work/committed.txt"
    /usr/bin/python3 - "$work/committed.txt" "$receiver_log" <<'PY'
import json, statistics, sys
committed = dict(line.split() for line in open(sys.argv[1]) if line.strip())
latencies = sorted((r["at"] - float(committed[r["key"]])) * 1000
                   for r in map(json.loads, open(sys.argv[2])) if r["key"] in committed)
p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)]
print(f"{statistics.median(latencies):.1f} {p99:.1f} {latencies[-1]:.1f}")
PY
}
