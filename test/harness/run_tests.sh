#!/usr/bin/env bash
# make test: build with warnings as errors, install, and run every test
# layer against a private cluster (or the server PGHOST/PGPORT/PGUSER name),
# then print one summary. Exits non-zero when anything failed.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$REPO"

TEST_PORT=${BEDROCK_TEST_PORT:-54330}

step() { printf '\n== %s\n' "$*"; }
fail_early() { echo "make test: $*" >&2; exit 1; }

step "build (warnings are errors) and install"
make -s clean PG_CONFIG=$PG_CONFIG >/dev/null 2>&1
make -s PG_CONFIG=$PG_CONFIG WERROR=1 >/dev/null || fail_early "build failed"
make -s install PG_CONFIG=$PG_CONFIG >/dev/null || fail_early "install failed (run as root, or own $($PG_CONFIG --pkglibdir))"

if [ -n "${PGHOST:-}${PGPORT:-}" ]; then
    step "using the existing server at ${PGHOST:-localhost}:${PGPORT:-5432} as ${PGUSER:-$USER}"
else
    step "starting the private test cluster on port $TEST_PORT"
    # restarted so the server preloads the library just installed
    bash test/harness/cluster.sh stop test >/dev/null
    bash test/harness/cluster.sh start test "$TEST_PORT" || fail_early "cluster did not start"
    export PGHOST=/tmp/bedrock_support-$TEST_PORT PGPORT=$TEST_PORT PGUSER=postgres
    server_log="$(private_dir test)/server.log"
    server_log_start=$(stat -c %s "$server_log" 2>/dev/null || echo 0)
fi
export PGHOST PGPORT PGUSER PGDATABASE=postgres

# The tests write results next to their inputs, so they run in a copy the
# server user owns; the checkout itself stays untouched.
work=$(mktemp -d /tmp/bedrock_support-tests.XXXXXX)
rsync -a --exclude .git --exclude .pgdata "$REPO/" "$work/"
[ "$(id -u)" -eq 0 ] && chown -R "$SERVER_USER" "$work"
cd "$work"

declare -A passed failed
layers=("pg_regress" "isolation" "pgTAP" "Perl TAP" "fuzz" "sqlsmith" "crashes")

count_regress() {  # pg_regress and isolation: "test x ... ok" / "... FAILED"
    passed[$1]=$(grep -cE '\.\.\. ok' "$2")
    failed[$1]=$(grep -cE '\.\.\. FAILED' "$2")
}
count_tap() {      # prove and pg_prove: "Tests=N", "Failed k/N subtests"
    local total bad
    total=$(sed -n 's/.*Tests=\([0-9]*\).*/\1/p' "$2" | tail -1)
    bad=$(sed -n 's/.*Failed \([0-9]*\)\/[0-9]* subtests.*/\1/p' "$2" | awk '{s+=$1} END {print s+0}')
    if grep -q 'Result: FAIL' "$2" && [ "$bad" -eq 0 ]; then bad=1; fi   # a script died
    passed[$1]=$(( ${total:-0} - bad )); failed[$1]=$bad
    [ "${total:-0}" -eq 0 ] && failed[$1]=$(( bad > 0 ? bad : 1 ))      # ran nothing: a failure
}

step "pg_regress (sql/, expected/)"
as_server_user make -s installcheck-regress PG_CONFIG=$PG_CONFIG 2>&1 | tee regress.log
count_regress "pg_regress" regress.log
[ -f regression.diffs ] && [ "${failed[pg_regress]}" -gt 0 ] && cat regression.diffs

step "isolation specs (test/specs/)"
as_server_user make -s installcheck-isolation PG_CONFIG=$PG_CONFIG 2>&1 | tee isolation.log
count_regress "isolation" isolation.log
[ -f output_iso/regression.diffs ] && [ "${failed[isolation]}" -gt 0 ] && cat output_iso/regression.diffs

step "pgTAP suites (test/pgtap/) through pg_prove"
as_server_user psql -X -q -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS pgtap_regression' \
    -c 'CREATE DATABASE pgtap_regression' >/dev/null
as_server_user psql -X -q -v ON_ERROR_STOP=1 -d pgtap_regression \
    -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION bedrock_support' >/dev/null
as_server_user pg_prove -d pgtap_regression test/pgtap/*.sql 2>&1 | tee pgtap.log
count_tap "pgTAP" pgtap.log

step "Perl TAP cluster tests (test/t/)"
as_server_user make -s installcheck-tap PG_CONFIG=$PG_CONFIG 2>&1 | tee tap.log
count_tap "Perl TAP" tap.log
if [ "${failed[Perl TAP]}" -gt 0 ]; then
    for log in tmp_check/log/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 40 "$log"; }; done
fi

step "fuzzing the business-hours parser (test/fuzz/, libFuzzer, ${BEDROCK_FUZZ_SECONDS:-20} s)"
if as_server_user bash test/fuzz/run.sh "${BEDROCK_FUZZ_SECONDS:-20}" 2>&1 | tee fuzz.log; then
    passed[fuzz]=1 failed[fuzz]=0
else
    passed[fuzz]=0 failed[fuzz]=1
    cat test/fuzz/crash-* 2>/dev/null
fi

step "sqlsmith against a desk with data (test/fuzz/sqlsmith.sh, ${BEDROCK_SQLSMITH_SECONDS:-60} s)"
if as_server_user bash test/fuzz/sqlsmith.sh "${BEDROCK_SQLSMITH_SECONDS:-60}" 2>&1 | tee sqlsmith.log; then
    passed[sqlsmith]=1 failed[sqlsmith]=0
else
    passed[sqlsmith]=0 failed[sqlsmith]=1
fi

# A backend killed by SIGSEGV, SIGABRT, SIGBUS or SIGFPE is a failure even
# when every test around it passed: the postmaster recovers and tests go on.
step "backends killed by a signal in any test cluster's log"
crash_pattern='terminated by signal (6|7|8|11)'
{
    [ -n "${server_log:-}" ] && [ -f "$server_log" ] && tail -c +$(( server_log_start + 1 )) "$server_log" | sed "s|^|test cluster: |"
    for log in tmp_check/log/*.log; do [ -f "$log" ] && sed "s|^|$log: |" "$log"; done
} | grep -E "$crash_pattern" > crashes.log || true
if [ -s crashes.log ]; then
    cat crashes.log
    passed[crashes]=0 failed[crashes]=$(wc -l < crashes.log)
else
    echo "none"
    passed[crashes]=1 failed[crashes]=0
fi

total_passed=0 total_failed=0
printf '\n== bedrock_support test summary\n'
for layer in "${layers[@]}"; do
    printf '%-10s %4d passed, %d failed\n' "$layer" "${passed[$layer]}" "${failed[$layer]}"
    total_passed=$(( total_passed + passed[$layer] ))
    total_failed=$(( total_failed + failed[$layer] ))
done
echo "$total_passed passed, $total_failed failed"

if [ "$total_failed" -eq 0 ]; then
    rm -rf "$work"
else
    echo "test outputs kept in $work" >&2
fi
[ "$total_failed" -eq 0 ]
