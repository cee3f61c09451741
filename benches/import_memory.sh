#!/usr/bin/env bash
# Peak memory and time of `itgc import job-runs`: imports a generated CSV run log of ROWS runs
# (default 2,000,000, a year of minute-level runs of four jobs) and, in the same run, one of a
# tenth of that as the baseline, each into a fresh SQLite store, and prints both peak RSS
# figures (from GNU time) and their ratio. A streaming import holds a batch, not the file: the
# ratio stays near 1; an import that holds every row grows with the file (~10). It also times
# reading the large log with Python's csv module in the same run and prints the import's
# ratio to it. Targets (issue 19): import <= 2x that read, peak RSS < 300 MB.
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
    /usr/bin/time -f '%M %e' -o "$DATA/time.txt" "$ITGC_BIN" -q --color never \
        --database-url "sqlite://$store/itgc.db" import job-runs "$log" >/dev/null
    tail -n 1 "$DATA/time.txt"
}

# Wall seconds of merely reading $1 with Python's csv module (the baseline).
read_csv() {
    local t0 t1
    t0=$(date +%s.%N)
    python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1]))))' "$1" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

generate "$BASE" "$DATA/base.csv"
generate "$ROWS" "$DATA/runs.csv"
read_csv "$DATA/runs.csv" >/dev/null # warm the page cache
read -r base_rss base_wall < <(measure "$DATA/base.csv")
read_wall=$(read_csv "$DATA/runs.csv")
read -r rss wall < <(measure "$DATA/runs.csv")
printf 'import job-runs %9d rows (%s MB): peak RSS %7.1f MiB, wall %6.2f s\n' "$BASE" \
    "$(du -m "$DATA/base.csv" | cut -f1)" "$(echo "$base_rss / 1024" | bc -l)" "$base_wall"
printf 'import job-runs %9d rows (%s MB): peak RSS %7.1f MiB, wall %6.2f s\n' "$ROWS" \
    "$(du -m "$DATA/runs.csv" | cut -f1)" "$(echo "$rss / 1024" | bc -l)" "$wall"
printf 'reading the same %d rows with python csv:         wall %6.2f s\n' "$ROWS" "$read_wall"
printf 'peak RSS ratio (%d rows / %d rows): %.2f (bounded memory: near 1; held rows: near 10)\n' \
    "$ROWS" "$BASE" "$(echo "$rss / $base_rss" | bc -l)"
ratio=$(echo "$wall / $read_wall" | bc -l)
printf 'import / python csv read: %.2fx\n' "$ratio"
MISSED=0
verdict() { if [ "$(echo "$2" | bc -l)" = 1 ]; then echo "target ($1): met"; else echo "target ($1): MISSED"; MISSED=1; fi; }
verdict "import <= 2x the python csv read" "$ratio <= 2.0"
verdict "peak RSS < 300 MB" "$rss < 300 * 1024"
exit "$MISSED"
