#!/usr/bin/env bash
# Fuzz the business-hours parser with libFuzzer for a bounded time.
#   run.sh [SECONDS]   (default 30)
# Exits non-zero on a crash, a sanitizer report or a broken contract; the
# failing input is left in test/fuzz/crash-* and printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-30}
work=$(mktemp -d /tmp/bedrock_support-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$here/../../src" "$here/schedule_fuzzer.c" "$here/../../src/sla/schedule.c" \
    -o "$work/schedule_fuzzer"
mkdir -p "$work/corpus"
cp "$here"/corpus/* "$work/corpus/"
cd "$work"
"$work/schedule_fuzzer" -max_total_time="$seconds" -max_len=512 -print_final_stats=1 \
    -artifact_prefix="$here/crash-" "$work/corpus" 2>&1 | tail -n 12
