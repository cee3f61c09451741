#!/usr/bin/env bash
# Runs every fuzz target in turn for SECONDS each (default 1800) or RUNS executions (default
# 10 million), whichever comes first, from the seeded corpus, and prints one line per target:
# executions, seconds, corpus size, and whether it found a crash (kept in fuzz/artifacts/).
# Usage: cargo +nightly fuzz build -O && bash fuzz/seed.sh && bash fuzz/run-all.sh [SECONDS] [RUNS] [TARGET...]
# FUZZ_ARGS adds libFuzzer flags after the defaults (later flags win), e.g. the YAML targets'
# FUZZ_ARGS='-max_len=8192 -timeout=60'.
# It runs the binaries `cargo fuzz build -O` left (so the code fuzzed is the code built then;
# rebuild after changing the crate).
set -uo pipefail
fuzz=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-1800}
runs=${2:-10000000}
shift 2 2>/dev/null || shift $#
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cd "$fuzz/fuzz_targets" && ls | sed 's/\.rs$//')
logs=$fuzz/logs
mkdir -p "$logs"
printf '%-22s %12s %8s %8s  %s\n' target executions seconds corpus result
for t in "${targets[@]}"; do
  start=$(date +%s)
  mkdir -p "$fuzz/corpus/$t" "$fuzz/artifacts/$t"
  "$fuzz/target/x86_64-unknown-linux-gnu/release/$t" "$fuzz/corpus/$t" \
    -artifact_prefix="$fuzz/artifacts/$t/" -max_total_time="$seconds" -runs="$runs" \
    -print_final_stats=1 -rss_limit_mb=4096 -timeout=30 ${FUZZ_ARGS:-} >"$logs/$t.log" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$logs/$t.log" | tail -1 | grep -oE '[0-9]+$')
  corpus=$(find "$fuzz/corpus/$t" -type f 2>/dev/null | wc -l)
  result=clean
  [ $rc -eq 0 ] || result="FAILED rc=$rc: $(grep -m1 -E 'panicked|ERROR: libFuzzer|SUMMARY' "$logs/$t.log")"
  printf '%-22s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "$took" "$corpus" "$result"
done
