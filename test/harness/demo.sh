#!/usr/bin/env bash
# make demo: build and install the extension, start the private demo cluster
# (or use the server PGHOST/PGPORT/PGUSER name), load the scenario into a
# fresh bedrock_demo database and print what happened to it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

DEMO_PORT=${BEDROCK_DEMO_PORT:-54329}
HTTP_PORT=$((DEMO_PORT + 50))   # the local webhook/Slack receiver
SMTP_PORT=$((DEMO_PORT + 51))   # the local SMTP sink
SIGNING_SECRET=demo-webhook-signing-secret

make -s PG_CONFIG=$PG_CONFIG >/dev/null
make -s install PG_CONFIG=$PG_CONFIG >/dev/null

own_cluster=no
if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    echo "using the existing server at ${PGHOST:-localhost}:${PGPORT:-5432}"
else
    own_cluster=yes
    # restarted so the server preloads the library just installed
    bash test/harness/cluster.sh stop demo >/dev/null
    bash test/harness/cluster.sh start demo "$DEMO_PORT"
    export PGHOST=/tmp/bedrock_support-$DEMO_PORT PGPORT=$DEMO_PORT PGUSER=postgres
    echo "demo cluster running on port $DEMO_PORT (socket in $PGHOST); 'make stop' stops it"
fi
export PGDATABASE=bedrock_demo

psql -X -q -d postgres -v ON_ERROR_STOP=1 \
     -c 'DROP DATABASE IF EXISTS bedrock_demo WITH (FORCE)' -c 'CREATE DATABASE bedrock_demo' \
     -c 'ALTER DATABASE bedrock_demo SET search_path = "$user", public, support' >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION bedrock_support' >/dev/null
# the outbox is delivered to local receivers: Slack and a Jira-like webhook over HTTP, email over SMTP
bash test/harness/receivers.sh start $HTTP_PORT $SMTP_PORT $SIGNING_SECRET
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, sender, event_kinds) VALUES
  ('*', 'slack', 'http://127.0.0.1:$HTTP_PORT/slack/services/T0DEMO/B0DEMO/demo', NULL, NULL, NULL),
  ('jira', 'webhook', 'http://127.0.0.1:$HTTP_PORT/jira/bedrock', '$SIGNING_SECRET', NULL,
   '{created,escalation,status_change,resolution}'),
  ('mail', 'email', 'smtp://127.0.0.1:$SMTP_PORT', NULL, 'support@bedrockplatform.com', NULL);
-- the local sink speaks no TLS; every other SMTP server must
UPDATE support.delivery_endpoints SET plain_text_on_loopback = true WHERE endpoint = 'mail';
SQL
echo "local receivers: Slack and webhooks on http://127.0.0.1:$HTTP_PORT, email on smtp://127.0.0.1:$SMTP_PORT"
psql -X -q -P footer=off -v ON_ERROR_STOP=1 -f test/demo/scenario.sql
psql -X -q -P footer=off -v ON_ERROR_STOP=1 -f test/demo/live.sql
psql -X -q -P footer=off -v ON_ERROR_STOP=1 -f test/demo/assume.sql
psql -X -q -P footer=off -v ON_ERROR_STOP=1 -f test/demo/attacks.sql
psql -X -q -P footer=off -v ON_ERROR_STOP=1 -f test/demo/delivery.sql
psql -X -q -P footer=off -f test/demo/report.sql 2>&1
if [ $own_cluster = yes ]; then
    # a crash while a webhook is in flight: the next delivery worker sends it
    # again at its start, not when the lease (65 s) ends
    echo
    echo "== An immediate shutdown while a webhook is in flight (its receiver not answering)"
    curl -s -X POST "http://127.0.0.1:$HTTP_PORT/control" -d '{"mode": "hang", "times": 1}' >/dev/null
    key=$(psql -X -qAt -v ON_ERROR_STOP=1 -c "
        INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
        SELECT account_id, ticket_id, 'webhook', 'jira', 'In flight at the crash', 'sent again after the restart'
          FROM support.tickets ORDER BY ticket_id LIMIT 1
        RETURNING idempotency_key")
    for _ in $(seq 100); do
        grep -q "\"key\": \"$key\".*\"mode\": \"hang\"" "$REPO/.pgdata/receivers/http.log" 2>/dev/null && break
        sleep 0.1
    done
    dir=$(private_dir demo)
    log_lines=$(wc -l < "$dir/server.log")
    started=$(date +%s.%N)
    as_server_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m immediate -w restart >/dev/null
    until [ "$(psql -X -qAt -c "SELECT state FROM support.outbound_messages WHERE idempotency_key = '$key'" 2>/dev/null)" = delivered ]; do
        sleep 0.05
    done
    printf '   pg_ctl restart -m immediate; the webhook in flight was delivered %s s after the restart began\n' \
        "$(awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN { printf "%.1f", now - then }')"
    psql -X -q -P footer=off -c "SELECT state, attempts, idempotency_key = '$key' AS same_key, last_error FROM support.outbound_messages WHERE idempotency_key = '$key'"
    tail -n +"$((log_lines + 1))" "$dir/server.log" | grep -o 'bedrock_support worker: .*in flight.*' | sed 's/^/   server log: /' || true
fi
echo "== What the local receivers got"
bash test/harness/receivers.sh report
echo
echo "explore it yourself: psql \"host=$PGHOST port=$PGPORT user=${PGUSER:-$USER} dbname=bedrock_demo\""
