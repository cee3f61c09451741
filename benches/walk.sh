#!/usr/bin/env bash
# Times the library's first-parent walk (src/source/git.rs) against `git log` and prints the
# ratios and both tools' peak RSS (/usr/bin/time -v).
#
#   benches/walk.sh [RUNS] [SHAPE|REPO [BRANCH]]
#     RUNS    timed runs of each command (default 7), alternating
#     linear  (default) a generated repository of 50k first-parent commits (~65k in all),
#             3,000 files, a merge every 10th commit
#     merges  a generated repository of 20k first-parent commits, every 2nd a merge of a
#             2-4 commit side branch, 40,000 files (large trees)
#     REPO    any other argument: the path of a real repository (BRANCH default: main)
#
# What is compared, and why it is fair but honest:
#   The walk reads, per first-parent commit, the oid, parents, author and committer (with
#   .mailmap), the whole message, the signature header, AND the paths changed against the
#   first parent: a tree diff per commit.
#   - PRIMARY, like for like: `git log --first-parent --no-renames --name-only --format=...`.
#     It does the same work: the same first-parent chain, a first-parent tree diff per commit
#     (--first-parent implies --diff-merges=first-parent since git 2.31), no rename detection
#     (the walk does none: it lists both sides of a move), paths only, no content.
#   - SECONDARY, the target from the issue: `git log --first-parent --format=%H%x00%an%x00%ae%x00%at%x00%s`.
#     It diffs nothing, so this ratio charges the walk for every tree diff; it is printed
#     because it is the number the issue named, not because the two do the same work.
#   git writes its output to a file on the same disk (it has to format and write it; the walk
#   binary builds the same data in memory as `Vec<Commit>` and prints one count). Both read the
#   same repository after `git gc`, which writes a commit-graph as a real repository would have
#   (git log lists commits from it; the walk reads every commit anyway and does not use it).
#   The walk keeps libgit2's object re-hashing on (git does not re-hash on read; a tampered
#   pack must not change a population) and diffs as `itgc sync` does: on worker threads when
#   there are more than two cores, else on the walking thread (src/source/git/parallel.rs);
#   git log runs on one thread. INFO, not a target: the walk on one thread (`--serial`).
#   Each command runs once untimed to warm the page cache, then RUNS times, alternating, so
#   noise from other processes lands on both. Medians are reported. hyperfine is used instead
#   when installed (it runs each command's repetitions back to back; NO_HYPERFINE=1 forces
#   the alternating loop, the better choice on a busy machine).
#
# Needs: git, cargo, awk, bc. The repository is generated once under target/bench-data/
# (BENCH_DATA=DIR puts it elsewhere; CARGO_TARGET_DIR is honoured for the binary).
set -euo pipefail

RUNS=${1:-7}
SHAPE=${2:-linear}
BRANCH=${3:-main}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="${BENCH_DATA:-$ROOT/target/bench-data}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/walk_bench"
FORMAT='%H%x00%an%x00%ae%x00%at%x00%s'
case $SHAPE in
linear) REPO="$DATA/walk-50k.git" SHAPE_VARS=() ;;
merges) REPO="$DATA/walk-merges-20k.git" SHAPE_VARS=(-v MAIN=20000 -v NFILES=40000 -v MERGE_EVERY=2) ;;
*) REPO=$(cd "$SHAPE" && pwd) SHAPE=real ;;
esac

generate() {
    [ -d "$REPO" ] && return
    echo "generating $REPO (once; a minute or two)..." >&2
    mkdir -p "$DATA"
    local tmp="$REPO.tmp"
    rm -rf "$tmp"
    git init --quiet --bare "$tmp"
    LC_ALL=C awk "${SHAPE_VARS[@]}" -f "$ROOT/benches/gen-history.awk" |
        git -C "$tmp" fast-import --quiet
    git -C "$tmp" update-ref -d refs/heads/side
    git -C "$tmp" gc --quiet
    # Renamed into place only when complete, so an interrupted run regenerates.
    mv "$tmp" "$REPO"
}

build() {
    echo "building the walk bench binary..." >&2
    (cd "$ROOT" && cargo build --quiet --release --example walk_bench)
}

walk() { "$BIN" "$REPO" "$BRANCH" >"$DATA/walk.out"; }
walk_serial() { "$BIN" "$REPO" "$BRANCH" --serial >/dev/null; }
git_log() { git -C "$REPO" log --first-parent --format="$FORMAT" "$BRANCH" >"$DATA/log.out"; }
git_log_paths() {
    git -C "$REPO" log --first-parent --no-renames --name-only --format="$FORMAT" "$BRANCH" \
        >"$DATA/log-paths.out"
}

# Peak resident set size in MB of one run of the function named $1.
peak_mb() {
    local kb
    kb=$( (/usr/bin/time -v bash -c "$(declare -f "$1"); $(declare -p BIN REPO BRANCH DATA FORMAT); $1" >/dev/null) 2>&1 |
        awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }')
    echo $((kb / 1024))
}

# Seconds taken by one run of the function named $1.
time_once() {
    local start end
    start=$(date +%s.%N)
    "$1"
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

median() { sort -g | awk '{ v[NR] = $1 } END { m = int((NR + 1) / 2); if (NR % 2) print v[m]; else print (v[m] + v[m + 1]) / 2 }'; }

# Both tools must see the same population and the same changed paths, or the timing
# compares different work: the walk's paths are checked line for line against git's.
sanity() {
    local want got
    want=$(git -C "$REPO" rev-list --first-parent --count "$BRANCH")
    walk
    got=$(awk '{ print $1; exit }' "$DATA/walk.out")
    [ "$want" = "$got" ] || { echo "walk saw $got commits, git $want" >&2; exit 1; }
    "$BIN" "$REPO" "$BRANCH" --dump | LC_ALL=C sort >"$DATA/walk-paths.txt"
    git -C "$REPO" -c core.quotePath=false log --first-parent --no-renames --name-only \
        --format=%x01%H "$BRANCH" |
        awk '/^\001/ { oid = substr($0, 2); next } NF { print oid "\t" $0 }' |
        LC_ALL=C sort >"$DATA/git-paths.txt"
    cmp -s "$DATA/walk-paths.txt" "$DATA/git-paths.txt" || {
        echo "walk and git log --name-only list different paths:" >&2
        diff "$DATA/walk-paths.txt" "$DATA/git-paths.txt" | head >&2
        exit 1
    }
    echo "repository ($SHAPE): $(git -C "$REPO" rev-list --count "$BRANCH") commits," \
        "$want first-parent, $(git -C "$REPO" ls-tree -r "$BRANCH" | wc -l) files at the tip" >&2
    echo "walk: $(cat "$DATA/walk.out"), identical to git log --name-only" >&2
}

run_loop() {
    local names=(walk git_log git_log_paths walk_serial) name i
    for name in "${names[@]}"; do "$name"; done # warm the page cache
    for ((i = 1; i <= RUNS; i++)); do
        for name in "${names[@]}"; do time_once "$name" >>"$DATA/times.$name"; done
    done
}

# hyperfine runs each command RUNS times in a row (no alternation) and reports its own median.
run_hyperfine() {
    local csv="$DATA/hyperfine.csv"
    hyperfine --style basic --warmup 1 --runs "$RUNS" --export-csv "$csv" \
        -n walk "$BIN $REPO $BRANCH" \
        -n git_log "git -C $REPO log --first-parent --format='$FORMAT' $BRANCH" \
        -n git_log_paths "git -C $REPO log --first-parent --no-renames --name-only --format='$FORMAT' $BRANCH" \
        -n walk_serial "$BIN $REPO $BRANCH --serial" \
        >&2
    local name
    for name in walk git_log git_log_paths walk_serial; do
        awk -F, -v n="$name" '$1 == n { print $4 }' "$csv" >"$DATA/times.$name"
    done
}

report() {
    local walk log paths fast
    walk=$(median <"$DATA/times.walk")
    log=$(median <"$DATA/times.git_log")
    paths=$(median <"$DATA/times.git_log_paths")
    fast=$(median <"$DATA/times.walk_serial")
    printf 'medians over %s runs (s): walk %.3f  git log --name-only %.3f  git log %.3f\n' \
        "$RUNS" "$walk" "$paths" "$log"
    printf 'PRIMARY   walk / git log --first-parent --no-renames --name-only: %.2f\n' \
        "$(echo "$walk / $paths" | bc -l)"
    printf 'SECONDARY walk / git log --first-parent (no diff):               %.2f\n' \
        "$(echo "$walk / $log" | bc -l)"
    printf 'INFO      walk on one thread / git log --name-only:              %.2f  (%.3f s)\n' \
        "$(echo "$fast / $paths" | bc -l)" "$fast"
    printf 'peak RSS (MB): walk %s  git log --name-only %s\n' "$(peak_mb walk)" "$(peak_mb git_log_paths)"
}

[ "$SHAPE" = real ] || generate
build
sanity
rm -f "$DATA"/times.*
if [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null; then
    run_hyperfine
else
    run_loop
fi
report
