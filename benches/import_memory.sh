#!/usr/bin/env bash
# Peak memory of `itgc import job-runs`: imports a generated CSV run log of ROWS runs (default
# 2,000,000, a year of minute-level runs of four jobs) and, in the same run, one of a tenth of
# that as the baseline, each into a fresh SQLite store, and prints both peak RSS figures (from
# `/usr/bin/time -v`) and their ratio. A streaming import holds a batch, not the file: the
# ratio stays near 1; an import that holds every row grows with the file (~10).
#
#   benches/import_memory.sh [ROWS]
#   ITGC_BIN=target/debug/itgc benches/import_memory.sh   # skip the release build
#
# Needs GNU time (`apt-get install time`) and python3 to generate the logs.
set -euo pipefail

ROWS=${1:-2000000}
BASE=$((ROWS / 10))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="$ROOT/target/bench-data/import-memory"

if [[ -z "${ITGC_BIN:-}" ]]; then
    cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" --bin itgc
    ITGC_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/itgc"
fi
[[ -x /usr/bin/time ]] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

rm -rf "$DATA" && mkdir -p "$DATA"

# Four jobs, one run a minute each, from 2026-01-01; every 1,499th run failed with a ticket.
generate() {
    python3 - "$1" "$2" <<'PY'
import sys, datetime
rows, path = int(sys.argv[1]), sys.argv[2]
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
with open(path, "w") as out:
    out.write("job,run_id,scheduled_for,started_at,finished_at,status,exit_code,ticket\n")
    for i in range(rows):
        job, minute = f"job-{i % 4}", i // 4
        at = start + datetime.timedelta(minutes=minute)
        s = at.strftime("%Y-%m-%dT%H:%M:%SZ")
        f = (at + datetime.timedelta(seconds=42)).strftime("%Y-%m-%dT%H:%M:%SZ")
        failed = i % 1499 == 0
        status, code, ticket = ("failed", 1, f"INC-{i}") if failed else ("succeeded", 0, "")
        out.write(f"{job},run-{minute},{s},{s},{f},{status},{code},{ticket}\n")
PY
}

# Peak RSS in KiB and wall seconds of importing $1 into a fresh store.
measure() {
    local log=$1 store="$DATA/store-$(basename "$1" .csv)"
    rm -rf "$store"
    /usr/bin/time -v -o "$DATA/time.txt" "$ITGC_BIN" -q --color never \
        --database-url "sqlite://$store/itgc.db" import job-runs "$log" >/dev/null
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DATA/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$DATA/time.txt")
    echo "$rss $wall"
}

generate "$BASE" "$DATA/base.csv"
generate "$ROWS" "$DATA/runs.csv"
read -r base_rss base_wall < <(measure "$DATA/base.csv")
read -r rss wall < <(measure "$DATA/runs.csv")
printf 'import job-runs %9d rows (%s MB): peak RSS %7.1f MiB, wall %s\n' "$BASE" \
    "$(du -m "$DATA/base.csv" | cut -f1)" "$(echo "$base_rss / 1024" | bc -l)" "$base_wall"
printf 'import job-runs %9d rows (%s MB): peak RSS %7.1f MiB, wall %s\n' "$ROWS" \
    "$(du -m "$DATA/runs.csv" | cut -f1)" "$(echo "$rss / 1024" | bc -l)" "$wall"
printf 'peak RSS ratio (%d rows / %d rows): %.2f (bounded memory: near 1; held rows: near 10)\n' \
    "$ROWS" "$BASE" "$(echo "$rss / $base_rss" | bc -l)"
