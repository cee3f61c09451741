#!/usr/bin/env bash
# An organisation end to end: generates REPOS repositories (a quarter of history each, CHANGES
# first-parent changes in all, a mix of merge-, squash- and rebase-style histories), their
# pull-request exports, TEAMS teams owning them through CODEOWNERS, LISTS access lists of
# ACCOUNTS accounts with an HR roster, then times `itgc sync` + every import + `check
# --packet`, and a second sync with nothing new, each with its peak RSS (/usr/bin/time).
#
#   benches/org.sh [REPOS] [CHANGES] [TEAMS] [LISTS] [ACCOUNTS]
#   defaults:       300     60000     45      50      2000
#
# Targets (issue 19): sync + imports + check --packet under 60 s and 1 GB peak; the second,
# no-op sync under 2 s. The baseline, measured in the same run: `git log --first-parent
# --no-renames --name-only` over every repository, the git work the sync does.
# Histories come from benches/gen-history.awk: MERGE_EVERY 2 (merge-heavy), 4, or larger
# than the history (squash or rebase merges only: single-parent commits).
# Not generated yet: the year of job runs (benches/jobs.sh times those on their own).
set -euo pipefail

REPOS=${1:-300}
CHANGES=${2:-60000}
TEAMS=${3:-45}
LISTS=${4:-50}
ACCOUNTS=${5:-2000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="${BENCH_DATA:-$ROOT/target/bench-data}/org"
# PROFILE=debug times the debug binary (only to try the script out); NO_BUILD=1 skips cargo.
PROFILE=${PROFILE:-release}
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE"
PERIOD=2026-Q3
START=1782864000 # 2026-07-01T00:00:00Z
PER_REPO=$((CHANGES / REPOS))

[ "${NO_BUILD:-0}" = 1 ] || cargo build --quiet --profile "${PROFILE/debug/dev}" --manifest-path "$ROOT/Cargo.toml" --bin itgc
rm -rf "$DATA"
mkdir -p "$DATA"
(cd "$DATA" && "$OUT/itgc" -q demo --out org >/dev/null)
ORG="$DATA/org"
rm -rf "$ORG/repos" "$ORG/.itgc" "$ORG/policies/exceptions.yaml"
mkdir -p "$ORG/repos" "$DATA/prs" "$DATA/lists"
export ITGC_DATABASE_URL="sqlite://$DATA/itgc.db"

team() { printf 'team-%02d' $(($1 % TEAMS + 1)); }

# One repository: gen-history's stream, then a commit adding CODEOWNERS for two teams.
repo() {
    local r=$1 dir="$ORG/repos/repo-$1" every owners
    case $((r % 3)) in 0) every=2 ;; 1) every=4 ;; *) every=$((PER_REPO + 1)) ;; esac
    # Commits are 60 + GAP/2 s apart on average, side-branch commits (three per merge on
    # average) included: the history fills about 80 days of the quarter.
    local commits=$((PER_REPO + 3 * PER_REPO / every))
    local gap=$((2 * (80 * 86400 / commits - 60)))
    owners="* @bench/$(team "$r")
/src/api/ @bench/$(team $((r + 1)))
"
    git init --quiet --bare "$dir"
    {
        LC_ALL=C awk -v MAIN="$PER_REPO" -v NFILES=300 -v MERGE_EVERY="$every" \
            -v START="$START" -v GAP="$gap" -f "$ROOT/benches/gen-history.awk"
        printf 'commit refs/heads/main\ncommitter Bench <bench@example.com> %d +0000\n' $((START + 85 * 86400))
        printf 'data 11\nCODEOWNERS\nM 100644 inline .github/CODEOWNERS\ndata %d\n%s\n' "${#owners}" "$owners"
    } | git -C "$dir" fast-import --quiet
    git -C "$dir" update-ref -d refs/heads/side 2>/dev/null || true
}

# The pull requests of one repository, GitHub's export shape (the demo's first pull request
# as the template): one per first-parent commit on main; a merge's side-branch commits are
# its PR's commits, a single-parent commit stands for a squash or rebase merge of itself.
prs() {
    git -C "$ORG/repos/repo-$1" log --first-parent --format='%H %P %cI' main |
        python3 -c '
import json, sys, subprocess, copy
template, repo = json.load(open(sys.argv[1]))[0], sys.argv[2]
out = []
for line in sys.stdin:
    f = line.split()
    oid, at = f[0], f[-1]
    side = [oid]
    if len(f) == 4:
        side = subprocess.run(["git", "-C", repo, "rev-list", "--reverse", f[1] + ".." + f[2]],
                              capture_output=True, text=True, check=True).stdout.split()
    pr = copy.deepcopy(template)
    pr["number"] = len(out) + 1
    pr["mergeCommit"] = {"oid": oid}
    pr["mergedAt"] = at.replace("+00:00", "Z")
    commit = pr["commits"][0]
    pr["commits"] = [dict(commit, oid=c) for c in side]
    for review in pr["reviews"]:
        review["commit"] = {"oid": side[-1]}
    out.append(pr)
json.dump(out, sys.stdout)
' "$DATA/template.json" "$ORG/repos/repo-$1" >"$DATA/prs/repo-$1.json"
}

echo "generating $REPOS repositories of $PER_REPO first-parent changes..." >&2
cp "$ORG/exports/github-prs.json" "$DATA/template.json"
for r in $(seq "$REPOS"); do repo "$r"; done
for r in $(seq "$REPOS"); do prs "$r"; done

# Teams, appended to the demo's organisation (their parent is its engineering team).
for t in $(seq "$TEAMS"); do
    printf '  - id: %s\n    name: Team %d\n    contact: "#team-%d"\n    parent: engineering\n' \
        "$(team $((t - 1)))" "$t" "$t"
done >"$DATA/teams.yaml"
sed -i "/^people:/e cat $DATA/teams.yaml" "$ORG/policies/organisation.yaml"
# The demo's ownership routes name the demo's systems; CODEOWNERS routes these repositories.
sed -i '/^owners:/,$d' "$ORG/policies/organisation.yaml"

# Access lists and the roster, as benches/access.sh shapes them (smaller).
awk -v n="$((ACCOUNTS * 2))" 'BEGIN {
    print "employee_id,name,email,manager_id,status,start_date,end_date,as_of"
    for (i = 1; i <= n; i++)
        printf "E%06d,Person %d,person.%d@bench.example,,%s,2020-01-01,%s,2026-10-01T08:00:00Z\n",
            i, i, i, i % 40 ? "active" : "terminated", i % 40 ? "" : "2026-08-01"
}' >"$DATA/roster.csv"
for l in $(seq "$LISTS"); do
    awk -v s="$l" -v n="$ACCOUNTS" 'BEGIN {
        print "user,email,name,groups,created,last_login,status,mfa,as_of"
        for (k = 1; k <= n; k++)
            printf "u%d-%d,person.%d@bench.example,Person %d,%s,2024-01-01T09:00:00Z,2026-09-%02dT10:00:00Z,ACTIVE,true,2026-10-01T08:00:00Z\n",
                s, k, (k * 7 + s) % (2 * n) + 1, k, k % 50 ? "Readers" : "Admins", 1 + k % 28
    }' >"$DATA/lists/list-$l.csv"
done

# Systems: ten repositories each, owned by a team; the access lists spread over them.
{
    echo "systems:"
    for s in $(seq 0 $(((REPOS - 1) / 10))); do
        printf '  - id: sys-%03d\n    name: System %d\n    owner: %s\n    in_scope: [sox]\n    repos:\n' "$s" "$s" "$(team "$s")"
        for r in $(seq $((s * 10 + 1)) $((s * 10 + 10))); do
            [ "$r" -le "$REPOS" ] || break
            printf '      - { name: repo-%d, location: repos/repo-%d, branches: [main] }\n' "$r" "$r"
        done
        if [ "$s" -lt "$LISTS" ]; then
            printf '    access_lists:\n'
            for l in $(seq $((s + 1)) "$(((REPOS - 1) / 10 + 1))" "$LISTS"); do
                printf '      - id: list-%d\n        format: csv\n' "$l"
                printf '        columns: { user_id: user, email: email, display_name: name, role: groups, created: created, last_login: last_login, disabled: status }\n'
                printf '        privileged_roles: [Admins]\n'
            done
        fi
    done
} >"$ORG/policies/systems.yaml"

now() { date +%s.%N; }
# Runs `itgc ARGS` in the organisation with its peak RSS (KB) appended to $DATA/rss.
itgc() {
    (cd "$ORG" && /usr/bin/time -f '%M' -a -o "$DATA/rss" "$OUT/itgc" --color never "$@") || [ $? -le 3 ]
}
peak_mb() { sort -n "$DATA/rss" | tail -1 | awk '{ print int($1 / 1024) }'; }

# Baseline: git's own walk of every repository, as the sync walks them.
t0=$(now)
for r in $(seq "$REPOS"); do
    git -C "$ORG/repos/repo-$r" log --first-parent --no-renames --name-only main >/dev/null
done
BASE=$(echo "$(now) - $t0" | bc -l)

: >"$DATA/rss"
t0=$(now)
itgc sync --period "$PERIOD" --source git >/dev/null
t1=$(now)
SYNC_RSS=$(peak_mb)
for r in $(seq "$REPOS"); do itgc import github-prs "$DATA/prs/repo-$r.json" --repo "repo-$r" >/dev/null; done
for l in $(seq "$LISTS"); do
    s=$(((l - 1) % ((REPOS - 1) / 10 + 1)))
    itgc import access-list "$DATA/lists/list-$l.csv" --system "$(printf 'sys-%03d' "$s")" --list "list-$l" >/dev/null
done
itgc import hr-roster "$DATA/roster.csv" >/dev/null
t2=$(now)
itgc check --period "$PERIOD" --packet "$DATA/packet" >"$DATA/check.txt" 2>"$DATA/check.err"
t3=$(now)
TOTAL_RSS=$(peak_mb)
: >"$DATA/rss"
t4=$(now)
itgc sync --period "$PERIOD" --source git >"$DATA/noop.txt"
t5=$(now)
NOOP_RSS=$(peak_mb)

d() { echo "$2 - $1" | bc -l; }
ALL=$(d "$t0" "$t3")
printf 'org: %d repositories, %d first-parent changes, %d teams, %d access lists x %d accounts\n' \
    "$REPOS" "$(for r in $(seq "$REPOS"); do git -C "$ORG/repos/repo-$r" rev-list --first-parent --count main; done | awk '{ n += $1 } END { print n }')" \
    "$TEAMS" "$LISTS" "$ACCOUNTS"
printf 'baseline git log --first-parent --name-only, every repository: %.2f s\n' "$BASE"
printf 'sync (git): %.2f s (%.2fx the baseline), peak RSS %d MB\n' "$(d "$t0" "$t1")" \
    "$(echo "$(d "$t0" "$t1") / $BASE" | bc -l)" "$SYNC_RSS"
printf 'imports (%d commands): %.2f s\n' "$((REPOS + LISTS + 1))" "$(d "$t1" "$t2")"
printf 'check --packet: %.2f s\n' "$(d "$t2" "$t3")"
printf 'end to end: %.2f s, peak RSS %d MB\n' "$ALL" "$TOTAL_RSS"
printf 'second sync, nothing new: %.2f s, peak RSS %d MB (%d branches unchanged)\n' \
    "$(d "$t4" "$t5")" "$NOOP_RSS" "$(grep -c 'unchanged since the last sync' "$DATA/noop.txt")"
fail=0
verdict() { if [ "$(echo "$2" | bc -l)" = 1 ]; then echo "target ($1): met"; else echo "target ($1): MISSED"; fail=1; fi; }
verdict "end to end < 60 s" "$ALL < 60"
verdict "peak RSS < 1 GB" "$TOTAL_RSS < 1024"
verdict "no-op sync < 2 s" "$(d "$t4" "$t5") < 2"
exit $fail
