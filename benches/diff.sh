#!/usr/bin/env bash
# Times `itgc diff --base` over 10k changes and 20 change-management controls, and prints the
# median against `itgc check` over the same store and controls in the same run (diff builds
# and evaluates two snapshots, so about 2x check is expected; the ratio is context, the target
# is absolute: under 2 s, issue 19's "keep" figure).
#
#   benches/diff.sh [RUNS] [CHANGES]   defaults: 5 runs, 10000 synthetic changes
#
# The demo organisation is grown with synthetic commits through the store API
# (examples/diff_bench.rs); 11 copies of CM-01 with other path filters make 20 change controls.
# The working tree narrows CM-05 and adds a control, so the diff has items leaving and entering.
set -euo pipefail

RUNS=${1:-5}
CHANGES=${2:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="$ROOT/target/bench-data"
ORG="$DATA/diff-demo"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/release"

cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" --bin itgc --example diff_bench
mkdir -p "$DATA"
# The bench made this directory on an earlier run (it adds a .git, so the demo would refuse it).
rm -rf "$ORG"
(cd "$DATA" && "$OUT/itgc" -q demo --out diff-demo >/dev/null)
rm -rf "$ORG/.git"
TOTAL=$("$OUT/examples/diff_bench" "$ORG" "$CHANGES")

globs=('src/**' 'infra/**' 'deploy/**' 'docs/**' 'ops/**' '**/*.tf' '**/*.rs' '**/*.yaml' '**' 'infra/iam/**' 'src/ledger/**')
for i in $(seq 10 20); do
    sed -e "s/^id: CM-01/id: CM-$i/" -e "/^  kind: changes/a\\  paths: [\"${globs[$((i - 10))]}\"]" \
        "$ORG/controls/CM-01.yaml" >"$ORG/controls/CM-$i.yaml"
done
g() { git -C "$ORG" -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false "$@"; }
g init -q -b main
g add controls policies
g commit -q -m base
sed -i 's#paths: \["infra/\*\*"\]#paths: ["infra/iam/**"]#' "$ORG/controls/CM-05.yaml"
sed -e 's/^id: CM-01/id: CM-21/' "$ORG/controls/CM-01.yaml" >"$ORG/controls/CM-21.yaml"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ok() { "$@" >/dev/null || [ $? -eq 1 ]; }   # 1 = a shrink / deviations, as planted
# check also exits 3 here: the bench's catalogue is a git repo that no policy declares (the
# meta-control's gap), which makes the run incomplete without changing what it evaluates.
ok_or_incomplete() { local rc=0; "$@" >/dev/null || rc=$?; [ $rc -le 1 ] || [ $rc -eq 3 ]; }

CONTROLS=()
for i in 01 02 03 04 05 06 07 08 09 $(seq 10 21); do CONTROLS+=(--control "CM-$i"); done
diff_run() { (cd "$ORG" && ok "$OUT/itgc" --color never diff --base main --period 2026-Q3); }
check_run() { (cd "$ORG" && ok_or_incomplete "$OUT/itgc" -q --color never check --period 2026-Q3 "${CONTROLS[@]}"); }

diff_run; check_run   # warm the page cache
: >"$DATA/diff.times"; : >"$DATA/check.times"
for _ in $(seq "$RUNS"); do
    t0=$(now); diff_run; t1=$(now); check_run; t2=$(now)
    elapsed "$t0" "$t1" >>"$DATA/diff.times"
    elapsed "$t1" "$t2" >>"$DATA/check.times"
done
D=$(median <"$DATA/diff.times")
C=$(median <"$DATA/check.times")

# Second case: the pull request also changes policy (a new owner route), so each side needs its
# own snapshot and every control is evaluated twice.
sed -i '/^owners:/a\  - team: platform\n    repo: payments-api\n    path: "ops/**"' "$ORG/policies/organisation.yaml"
diff_run
: >"$DATA/diff-policy.times"
for _ in $(seq "$RUNS"); do
    t0=$(now); diff_run; t1=$(now)
    elapsed "$t0" "$t1" >>"$DATA/diff-policy.times"
done
P=$(median <"$DATA/diff-policy.times")

printf 'diff --base over %d changes, 20 base controls: median %.0f ms (%d runs)\n' "$TOTAL" "$(echo "$D*1000" | bc -l)" "$RUNS"
printf '  ... when the policies change too: median %.0f ms\n' "$(echo "$P*1000" | bc -l)"
printf 'check over the same store and controls: median %.0f ms\n' "$(echo "$C*1000" | bc -l)"
printf 'ratio diff / check: %.1fx (policies changed: %.1fx)\n' "$(echo "$D/$C" | bc -l)" "$(echo "$P/$C" | bc -l)"
if [ "$(echo "$D < 2.0 && $P < 2.0" | bc -l)" = 1 ]; then echo "target (< 2 s, both cases): met"; else echo "target (< 2 s, both cases): MISSED"; exit 1; fi
