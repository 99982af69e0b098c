#!/usr/bin/env bash
# Benchmark: what the extension's event trigger (the record of DDL on the
# trails) costs DDL on a table that is not the desk's. One statement,
# ALTER TABLE ... SET DEFAULT on a table of one's own, from one pgbench
# client, three ways in one run: with no event trigger (the baseline), with
# the extension's (C: it looks at the statement and returns), and with the
# way 1.0 did it (PL/pgSQL running the recording query on every statement,
# rebuilt here for comparison). Each way runs twice, half the time each, in
# mirrored order. Prints each way's statements per second and its ratio to
# the baseline (1.000 = free).
#   event_trigger.sh DATABASE [SECONDS]   (PGHOST/PGPORT/PGUSER as for psql)
set -euo pipefail
db=$1 seconds=${2:-10}
PGBENCH=${PGBENCH:-/usr/lib/postgresql/15/bin/pgbench}
work=$(mktemp -d /tmp/bedrock_support-ddl.XXXXXX)
trap 'rm -rf "$work"; psql -X -q -d "$db" -c "DROP EVENT TRIGGER IF EXISTS bench_trail_changes_1_0" -c "ALTER EVENT TRIGGER bedrock_support_trail_changes ENABLE" -c "DROP FUNCTION IF EXISTS public.bench_record_trail_bypass_1_0()" -c "DROP TABLE IF EXISTS bench_ddl" >/dev/null' EXIT

psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE TABLE IF NOT EXISTS bench_ddl (n integer);
-- 1.0's event trigger: a query for every statement, on any table
CREATE OR REPLACE FUNCTION public.bench_record_trail_bypass_1_0() RETURNS event_trigger
    LANGUAGE plpgsql AS $$ BEGIN PERFORM support.record_trail_commands(); END $$;
SQL
echo 'ALTER TABLE bench_ddl ALTER COLUMN n SET DEFAULT 1;' >"$work/ddl.sql"

half=$(( (seconds + 1) / 2 ))
use() {   # use none|c|plpgsql: which event trigger records the trails
    psql -X -q -d "$db" -c "DROP EVENT TRIGGER IF EXISTS bench_trail_changes_1_0" \
        -c "ALTER EVENT TRIGGER bedrock_support_trail_changes $([ "$1" = c ] && echo ENABLE || echo DISABLE)" >/dev/null
    if [ "$1" = plpgsql ]; then
        psql -X -q -d "$db" -c "CREATE EVENT TRIGGER bench_trail_changes_1_0 ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE POLICY', 'ALTER POLICY', 'DROP POLICY')
            EXECUTE FUNCTION public.bench_record_trail_bypass_1_0()" >/dev/null
    fi
}
run() {   # run WAY -> statements per second
    use "$1"
    "$PGBENCH" -n -c 1 -T "$half" -f "$work/ddl.sql" "$db" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\) .*/\1/p' | head -1
}
none1=$(run none); c1=$(run c); old1=$(run plpgsql)
old2=$(run plpgsql); c2=$(run c); none2=$(run none)
awk -v n1="$none1" -v n2="$none2" -v c1="$c1" -v c2="$c2" -v o1="$old1" -v o2="$old2" 'BEGIN {
    n = (n1 + n2) / 2; c = (c1 + c2) / 2; o = (o1 + o2) / 2
    printf "event trigger: ALTER TABLE of a table outside the desk, statements/s: none %.0f, extension (C) %.0f, 1.0 (PL/pgSQL) %.0f\n", n, c, o
    printf "event trigger: ratio to none: extension %.3f, 1.0 %.3f (1.000 = free)\n", c / n, o / n
}'
