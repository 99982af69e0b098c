#!/usr/bin/env bash
# A client's dashboard under row-level security with a key, against the
# same query run by the table owner with an explicit account_id filter.
#   rls_dashboard.sh [TICKETS] [SECONDS]   defaults: 1,000,000 tickets, 10 s per run
# 1,000 accounts of TICKETS/1000 tickets each. Every transaction picks a
# random account and looks its key up in a bench-only table; the baseline
# does the same lookup, so the only difference is the key check and RLS.
# After a warm-up, runs in ABBA order (baseline, RLS, RLS, baseline), 2 clients, pgbench.
set -euo pipefail
tickets=${1:-1000000}
seconds=${2:-10}
db=bedrock_rls_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -d $db -v ON_ERROR_STOP=1 -v tickets="$tickets" <<'SQL'
ALTER DATABASE bedrock_rls_bench SET support.worker_enabled = off;
CREATE EXTENSION bedrock_support;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_client') THEN
        CREATE ROLE bench_client LOGIN IN ROLE support_client;
    END IF;
END $$;
INSERT INTO support.accounts (name, time_zone, calendar_id)
SELECT 'Account ' || n, 'UTC', 2 FROM generate_series(1, 1000) n;
INSERT INTO support.account_users (account_id, email, full_name, role)
SELECT account_id, 'admin' || account_id || '@example.com', 'Admin ' || account_id, 'admin' FROM support.accounts;
-- bulk history without the triggers (a restore-like load), then a normal table
SET session_replication_role = replica;
INSERT INTO support.tickets (account_id, ticket_id, requester_id, subject, channel, category, priority, tier,
                             status, created_at, first_response_at, updated_at)
SELECT a, 100000 + n, a, 'Ticket ' || n, 'portal', 'reporting',
       (1 + (n / 7000) % 4)::int::support.priority, 1 + n % 3,
       (ARRAY['new', 'triaged', 'in_progress', 'pending_client', 'resolved', 'closed', 'closed', 'closed'])[1 + (n / 1000) % 8]::support.ticket_status,
       now() - (n % 100000) * interval '1 minute', now() - (n % 100000) * interval '1 minute' + interval '20 minutes', now()
  FROM generate_series(1, :tickets) n, LATERAL (SELECT 1 + n % 1000 AS a) acct;
RESET session_replication_role;
\o /dev/null
SELECT setval('support.ticket_id_seq', 100000 + :tickets);
\o
ANALYZE support.tickets;
CREATE TABLE bench_keys (account_id bigint PRIMARY KEY, auth_key text NOT NULL);
INSERT INTO bench_keys SELECT u.account_id, support.issue_key(u.user_id, '24 hours') FROM support.account_users u;
GRANT SELECT ON bench_keys TO bench_client;
SQL

dashboard="SELECT status, priority, count(*) AS tickets, min(created_at) AS oldest,
       avg(first_response_at - created_at) AS mean_first_response
  FROM support.tickets"
cat >"$work/owner.sql" <<SQL
\set account random(1, 1000)
BEGIN;
SELECT k.auth_key FROM bench_keys k WHERE k.account_id = :account;
$dashboard WHERE account_id = :account GROUP BY status, priority ORDER BY status, priority;
COMMIT;
SQL
cat >"$work/rls.sql" <<SQL
\set account random(1, 1000)
BEGIN;
SELECT set_config('support.auth_key', k.auth_key, true) FROM bench_keys k WHERE k.account_id = :account;
$dashboard GROUP BY status, priority ORDER BY status, priority;
COMMIT;
SQL

as_client() {   # account query -> the query's rows, run as bench_client with the account's key
    psql -X -q -At -d $db -U bench_client <<SQL
BEGIN;
\o /dev/null
SELECT set_config('support.auth_key', auth_key, true) FROM bench_keys WHERE account_id = $1;
\o
$2;
COMMIT;
SQL
}
# the RLS query must return the same rows as the owner's for an account
owner_rows=$(psql -X -At -d $db -c "$dashboard WHERE account_id = 7 GROUP BY status, priority ORDER BY status, priority")
rls_rows=$(as_client 7 "$dashboard GROUP BY status, priority ORDER BY status, priority")
if [ -z "$owner_rows" ] || [ "$owner_rows" != "$rls_rows" ]; then
    echo "rls_dashboard: the RLS dashboard differs from the owner's filtered one" >&2
    exit 1
fi
echo "rls dashboard: $(echo "$owner_rows" | wc -l) groups per account, same rows under RLS as with the owner's filter"
as_client 7 "EXPLAIN (COSTS OFF) $dashboard GROUP BY status, priority" | sed 's/^/  plan: /'

latency() {   # script user -> mean latency in ms
    pgbench -n -c 2 -j 2 -T "$seconds" -f "$1" -U "$2" $db 2>/dev/null |
        sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p'
}
latency "$work/owner.sql" postgres >/dev/null   # warm-up: the table and index into the cache
# ABBA, so a drift in the machine's speed falls on both equally
owner1=$(latency "$work/owner.sql" postgres)
rls1=$(latency "$work/rls.sql" bench_client)
rls2=$(latency "$work/rls.sql" bench_client)
owner2=$(latency "$work/owner.sql" postgres)
python3 - "$tickets" "$owner1" "$rls1" "$owner2" "$rls2" <<'PY'
import sys
tickets = int(sys.argv[1])
owner1, rls1, owner2, rls2 = map(float, sys.argv[2:])
owner = (owner1 + owner2) / 2
rls = (rls1 + rls2) / 2
print(f"rls dashboard over {tickets} tickets in 1000 accounts: owner with account filter {owner:.3f} ms,"
      f" client under RLS with a key {rls:.3f} ms per transaction -> {rls / owner:.2f}x"
      f" (runs: {owner1:.3f}/{rls1:.3f}, {owner2:.3f}/{rls2:.3f} ms; target at most 1.2x)")
PY
psql -X -q -d postgres -c "DROP DATABASE $db"
