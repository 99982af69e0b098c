# The delivery benchmarks' local webhook receiver (test/receivers/
# http_receiver.py): starting it, steering it, and the latency from commit
# to it (sourced, not run).

# start_receiver PORT WORK: started in the background, its log in
# WORK/receiver.log (its stderr, answers to senders a shutdown killed, in
# WORK/receiver.err); sets $receiver to its pid and returns once it answers
start_receiver() {
    /usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/../../receivers/http_receiver.py" "$1" "$2/receiver.log" \
        'benchmark-signing-secret' 2>"$2/receiver.err" &
    receiver=$!
    receiver_port=$1
    for _ in $(seq 50); do curl -s "http://127.0.0.1:$1/stats" >/dev/null 2>&1 && return; sleep 0.1; done
}

# control JSON: the receiver's next answers ({"mode": "slow", "delay": 0.02}, ...)
control() { curl -s -X POST "http://127.0.0.1:$receiver_port/control" -d "$1" >/dev/null; }

# commit_to_receiver_ms DB LABEL QUEUE_ONE WORK RECEIVER_LOG
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
