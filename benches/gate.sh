#!/usr/bin/env bash
# Times `itgc gate` over a deploy of 50+ changes with offline data (the demo organisation:
# its git history plus imported pull requests, tickets and organisation members), and prints
# the median against `git log` reading the same range in the same run.
#
#   benches/gate.sh [RUNS]     RUNS timed runs of each (default 9), alternating
#
# The gate does much more than `git log` (opens the store, links every commit to its PR,
# reads CODEOWNERS at each base, evaluates nine controls, renders a report), so the ratio is
# context, not a target; the target is the absolute time: well under a second.
set -euo pipefail

RUNS=${1:-9}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="$ROOT/target/bench-data"
ORG="$DATA/gate-demo"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/itgc"

cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml"
mkdir -p "$DATA"
(cd "$DATA" && "$BIN" -q demo --out gate-demo >/dev/null)
REPO="$ORG/repos/payments-api"
SINCE=$(git -C "$REPO" rev-list --first-parent --max-parents=0 main)
CHANGES=$(git -C "$REPO" rev-list --first-parent --count "$SINCE..main")

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

gate() {
    (cd "$ORG" && "$BIN" --color never gate --repo repos/payments-api --commit main \
        --since "$SINCE" >/dev/null) || [ $? -eq 1 ]   # 1 = deviations found, as planted
}
gitlog() {
    git -C "$REPO" log --first-parent --name-only --format='%H%x00%an%x00%ae%x00%at%x00%s' \
        "$SINCE..main" >/dev/null
}

gate; gitlog   # warm the page cache
: >"$DATA/gate.times"; : >"$DATA/gitlog.times"
for _ in $(seq "$RUNS"); do
    t0=$(now); gate; t1=$(now); gitlog; t2=$(now)
    elapsed "$t0" "$t1" >>"$DATA/gate.times"
    elapsed "$t1" "$t2" >>"$DATA/gitlog.times"
done
G=$(median <"$DATA/gate.times")
L=$(median <"$DATA/gitlog.times")
printf 'gate over %d changes: median %.0f ms (%d runs)\n' "$CHANGES" "$(echo "$G*1000" | bc -l)" "$RUNS"
printf 'git log over the same range: median %.1f ms\n' "$(echo "$L*1000" | bc -l)"
printf 'ratio gate / git log: %.1fx\n' "$(echo "$G/$L" | bc -l)"
if [ "$(echo "$G < 1.0" | bc -l)" = 1 ]; then echo "target (< 1 s): met"; else echo "target (< 1 s): MISSED"; exit 1; fi
