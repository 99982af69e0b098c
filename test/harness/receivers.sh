#!/usr/bin/env bash
# The demo's local receivers: a webhook/Slack receiver and an SMTP sink.
#   receivers.sh start HTTP_PORT SMTP_PORT   (re)start both, logs in .pgdata/receivers
#   receivers.sh stop
#   receivers.sh report HTTP_PORT            what they received, readably
set -euo pipefail
source "$(dirname "$0")/common.sh"
dir=$REPO/.pgdata/receivers
mkdir -p "$dir"

stop() {
    for pid_file in "$dir"/*.pid; do
        [ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null || true
        rm -f "$pid_file"
    done
}

case "$1" in
start)
    stop
    rm -f "$dir"/*.log
    nohup /usr/bin/python3 "$REPO/test/receivers/http_receiver.py" "$2" "$dir/http.log" "$4" \
        >/dev/null 2>&1 & echo $! >"$dir/http.pid"
    nohup /usr/bin/python3 "$REPO/test/receivers/smtp_sink.py" "$3" "$dir/smtp.log" \
        >/dev/null 2>&1 & echo $! >"$dir/smtp.pid"
    for _ in $(seq 50); do
        curl -s "http://127.0.0.1:$2/stats" >/dev/null 2>&1 && exit 0
        sleep 0.1
    done
    echo "the local receivers did not start" >&2; exit 1
    ;;
stop)
    stop
    ;;
report)
    /usr/bin/python3 - "$dir/http.log" "$dir/smtp.log" <<'PY'
import collections, json, sys
http = [json.loads(l) for l in open(sys.argv[1])] if __import__("os").path.exists(sys.argv[1]) else []
smtp = [json.loads(l) for l in open(sys.argv[2])] if __import__("os").path.exists(sys.argv[2]) else []
paths = collections.Counter(r["path"].split("/")[1] for r in http)
keys = collections.Counter(r["key"] for r in http)
signed = [r for r in http if r["verified"] is not None]
print(f"  HTTP receiver: {len(http)} requests, {len(keys)} distinct idempotency keys"
      f" ({', '.join(f'{n} to /{p}' for p, n in sorted(paths.items()))});"
      f" {sum(r['verified'] for r in signed)} of {len(signed)} webhook signatures verified")
print(f"  SMTP sink: {len(smtp)} emails")
for mail in smtp[:3]:
    print(f"    to {mail['rcpt_tos'][0]:<34} {mail['subject']}")
    print(f"    {'':<37} Message-ID {mail['message_id']}, In-Reply-To {mail['in_reply_to']}")
if len(smtp) > 3:
    print(f"    ... and {len(smtp) - 3} more")
PY
    ;;
esac
