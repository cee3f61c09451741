#!/usr/bin/env bash
# Imports 50 access lists of 20k accounts each (1M accounts), a 30k-person HR roster and a
# review campaign covering every account, then evaluates all nine logical-access controls
# (LA-01..LA-09). Prints the import time against a baseline measured in the same run —
# `sqlite3 .import` of the very same CSV files into plain tables — as a ratio, the check's time
# against the issue's target, and the peak RSS of both (`/usr/bin/time -v`; the import's is its
# largest command's), and the check three times: the first records every finding, the second
# moves them from new to open, the third sees them open again. The report is the human one (the summary and every finding) written to a
# file, so the time is the evaluation's, not a renderer's.
#
#   benches/access.sh [SYSTEMS] [ACCOUNTS] [PEOPLE]   defaults: 50 systems, 20000, 30000
#
# Targets (issue 19): import within 2x the baseline and under 500 MB peak; check under 3 s and
# under 500 MB peak.
set -euo pipefail

SYSTEMS=${1:-50}
ACCOUNTS=${2:-20000}
PEOPLE=${3:-30000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="$ROOT/target/bench-data/access"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/release"
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed for the baseline (apt-get install sqlite3)"; exit 2; }

cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" --bin itgc
rm -rf "$DATA"
mkdir -p "$DATA"
(cd "$DATA" && "$OUT/itgc" -q demo --out org >/dev/null)
ORG="$DATA/org"
LISTS="$DATA/lists"
mkdir -p "$LISTS"

# The systems: okta, aws and github (which some controls name) and sys-04.. up to SYSTEMS.
system_id() { case $1 in 1) echo okta ;; 2) echo aws ;; 3) echo github ;; *) printf 'sys-%02d' "$1" ;; esac; }

# HR roster: every 40th person has left (some before the period, most during it).
awk -v n="$PEOPLE" 'BEGIN {
    print "employee_id,name,email,manager_id,status,start_date,end_date,as_of"
    for (i = 1; i <= n; i++) {
        manager = i > 10 ? sprintf("E%06d", int(i / 10)) : ""
        left = i % 40 == 0
        end = left ? sprintf("2026-%02d-%02d", 6 + i % 4, 1 + i % 28) : ""
        printf "E%06d,Person %d,person.%d@bench.example,%s,%s,2020-01-%02d,%s,2026-10-01T08:00:00Z\n",
            i, i, i, manager, left ? "terminated" : "active", 1 + i % 28, end
    }
}' >"$DATA/roster.csv"

# Access lists: account k of system s belongs to a person spread over the roster; every 200th
# account is nobody's (an orphan); every 50th is an admin, every 7th a developer too.
for s in $(seq "$SYSTEMS"); do
    awk -v s="$s" -v n="$ACCOUNTS" -v people="$PEOPLE" 'BEGIN {
        print "user,email,name,groups,created,last_login,status,mfa,as_of"
        for (k = 1; k <= n; k++) {
            p = (k * 7 + s * 131) % people + 1
            email = k % 200 == 0 ? sprintf("contractor.%d.%d@vendor.example", s, k) : sprintf("person.%d@bench.example", p)
            groups = k % 50 == 0 ? "Admins" : "Readers"
            if (k % 7 == 0) groups = groups ";Developers"
            printf "u%d-%d,%s,Person %d,%s,20%02d-%02d-%02dT09:00:00Z,2026-%02d-%02dT10:00:00Z,%s,%s,2026-10-01T08:00:00Z\n",
                s, k, email, p, groups, 20 + k % 7, 1 + k % 12, 1 + k % 28, 1 + k % 9, 1 + k % 28,
                k % 97 == 0 ? "DEPROVISIONED" : "ACTIVE", k % 13 == 0 ? "false" : "true"
        }
    }' >"$LISTS/$(system_id "$s").csv"
done

# One review campaign over every account: kept, except every 300th revoked.
for s in $(seq "$SYSTEMS"); do
    awk -F, -v sys="$(system_id "$s")" 'NR > 1 {
        decision = NR % 300 == 0 ? "revoke" : "keep"
        printf "2026-Q3 review,%s,%s,%s,manager.%d@bench.example,%s,2026-09-%02dT12:00:00Z,\n",
            sys, $1, $4, NR % 1000, decision, 1 + NR % 28
    }' "$LISTS/$(system_id "$s").csv"
done | { echo "campaign,system,account,entitlement,reviewer_email,decision,decided_at,comment"; cat; } >"$DATA/review.csv"
printf 'Issue key,Status,Created,Summary,Approver\nSEC-1,Done,2026-07-01,Grant aws Admins to u2-50,security@bench.example\n' >"$DATA/tickets.csv"

# The policy: the demo's payments-api and netsuite systems, plus the generated ones.
{
    sed -n '1,/^  - id: okta/p' "$ROOT/policies/systems.yaml" | sed '$d'
    for s in $(seq "$SYSTEMS"); do
        id=$(system_id "$s")
        cat <<EOF
  - id: $id
    name: Benchmark system $id
    owner: platform
    in_scope: [sox]
    access_lists:
      - id: $id-users
        format: csv
        columns: { user_id: user, email: email, display_name: name, role: groups,
                   created: created, last_login: last_login, disabled: status }
        privileged_roles: [Admins]
EOF
    done
    sed -n '/^  - id: netsuite/,$p' "$ROOT/policies/systems.yaml"
} >"$ORG/policies/systems.yaml"
rm -f "$ORG/policies/exceptions.yaml"

peak() { awk '/Maximum resident set size/ {print $6}' "$1"; }
now() { date +%s.%N; }

# Baseline: sqlite3 .import of the same CSV files, one table per file.
BASE_DB="$DATA/baseline.db"
{
    echo ".mode csv"
    for s in $(seq "$SYSTEMS"); do echo ".import '$LISTS/$(system_id "$s").csv' list_$s"; done
    echo ".import '$DATA/roster.csv' roster"
    echo ".import '$DATA/review.csv' review"
} >"$DATA/baseline.sql"
t0=$(now)
/usr/bin/time -v sqlite3 "$BASE_DB" <"$DATA/baseline.sql" 2>"$DATA/baseline.time" >/dev/null
t1=$(now)
BASE=$(echo "$t1 - $t0" | bc -l)

# itgc import of the same files, one command per export as a user would run them.
export ITGC_DATABASE_URL="sqlite://$DATA/itgc.db"
IMPORT_RSS=0
t0=$(now)
for s in $(seq "$SYSTEMS"); do
    id=$(system_id "$s")
    (cd "$ORG" && /usr/bin/time -v "$OUT/itgc" -q import access-list "$LISTS/$id.csv" --system "$id" \
        2>"$DATA/import.time" >/dev/null)
    rss=$(peak "$DATA/import.time"); [ "$rss" -gt "$IMPORT_RSS" ] && IMPORT_RSS=$rss
done
for args in "hr-roster $DATA/roster.csv" "access-review $DATA/review.csv" "tickets $DATA/tickets.csv"; do
    # shellcheck disable=SC2086
    (cd "$ORG" && /usr/bin/time -v "$OUT/itgc" -q import $args 2>"$DATA/import.time" >/dev/null)
    rss=$(peak "$DATA/import.time"); [ "$rss" -gt "$IMPORT_RSS" ] && IMPORT_RSS=$rss
done
t1=$(now)
IMPORT=$(echo "$t1 - $t0" | bc -l)

CONTROLS=()
for i in 1 2 3 4 5 6 7 8 9; do CONTROLS+=(--control "LA-0$i"); done
# check NAME: times one check (its findings recorded in the store); sets CHECK, CHECK_RSS, CODE.
check() {
    local t0 t1
    t0=$(now)
    set +e
    (cd "$ORG" && /usr/bin/time -v "$OUT/itgc" -q --color never check --period 2026-Q3 "${CONTROLS[@]}" \
        --output "$DATA/$1.txt" 2>"$DATA/$1.time")
    CODE=$?
    set -e
    t1=$(now)
    CHECK=$(echo "$t1 - $t0" | bc -l)
    CHECK_RSS=$(peak "$DATA/$1.time")
    [ "$CODE" -le 1 ] || { echo "check exited $CODE (expected 0 or 1: the data was incomplete)"; tail -5 "$DATA/$1.time"; exit 1; }
}
# The first check records every finding; the second, on the same data, moves each from new
# to open (a state change: every finding rewritten); the third sees them open again, the
# steady state of a scheduled check.
check check
FIRST=$CHECK FIRST_RSS=$CHECK_RSS
check check-2
SECOND=$CHECK SECOND_RSS=$CHECK_RSS
check check-3
for n in 2 3; do
    cmp -s "$DATA/check.txt" "$DATA/check-$n.txt" || { echo "check $n's report differs from the first's"; exit 1; }
done
ITEMS=$(awk '/^LA-0[1-9] / && $3 ~ /^[0-9]+$/ {n += $3} END {print n}' "$DATA/check.txt")

TOTAL=$((SYSTEMS * ACCOUNTS))
printf 'data: %d systems x %d accounts = %d accounts, %d people, %d review decisions\n' \
    "$SYSTEMS" "$ACCOUNTS" "$TOTAL" "$PEOPLE" "$TOTAL"
printf 'baseline sqlite3 .import of the same CSVs: %.2f s (peak RSS %d MB)\n' "$BASE" "$(( $(peak "$DATA/baseline.time") / 1024 ))"
printf 'itgc import (%d commands): %.2f s (peak RSS %d MB), ratio %.2fx\n' \
    "$((SYSTEMS + 3))" "$IMPORT" "$((IMPORT_RSS / 1024))" "$(echo "$IMPORT / $BASE" | bc -l)"
printf 'itgc check LA-01..LA-09: %.2f s, peak RSS %d MB, %d item results (exit %d)\n' \
    "$FIRST" "$((FIRST_RSS / 1024))" "$ITEMS" "$CODE"
printf 'the same check again (every finding moves from new to open): %.2f s, peak RSS %d MB\n' \
    "$SECOND" "$((SECOND_RSS / 1024))"
printf 'and a third time (every finding seen open again): %.2f s, peak RSS %d MB\n' \
    "$CHECK" "$((CHECK_RSS / 1024))"
fail=0
verdict() { if [ "$(echo "$2" | bc -l)" = 1 ]; then echo "target ($1): met"; else echo "target ($1): MISSED"; fail=1; fi; }
verdict "import within 2x baseline" "$IMPORT <= 2 * $BASE"
verdict "import peak RSS < 500 MB" "$IMPORT_RSS < 512000"
verdict "check < 3 s" "$FIRST < 3 && $SECOND < 3 && $CHECK < 3"
verdict "check peak RSS < 500 MB" "$FIRST_RSS < 512000 && $SECOND_RSS < 512000 && $CHECK_RSS < 512000"
exit $fail
