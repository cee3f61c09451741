#!/usr/bin/env bash
# Times `itgc import job-runs` of a year of run logs (~4.2 million runs, 351 MB in 12 monthly
# CSV files) into a fresh SQLite store, and `itgc check` of CO-01 (expected-runs) and CO-02
# (failures-followed-up) over the 2,000 jobs of one crontab against them, and prints each with
# its peak RSS (`/usr/bin/time`) and its ratio against the time to merely read the same run
# logs (parse the CSV files with Python's csv module, no evaluation) measured in the same run.
# Targets (issue 19): import <= 2x the read, peak RSS < 300 MB; check under 30 s.
#
#   benches/jobs.sh [RUNS]   default: 3 runs (each: read, import into a fresh store, check)
#   KEEP_DATA=1 benches/jobs.sh 1   # reuse the generated logs of an earlier run
#   ITGC_BIN=path/to/itgc benches/jobs.sh   # skip the release build
#
# Jobs: 3 every minute, 30 every 15 minutes, 100 hourly, 1,867 daily (half of them at a Berlin
# wall-clock time, so their UTC time moves at both DST changes). Every 997th run is missing and
# every 1,499th failed; the incident export is empty, so failures are deviations. The log is
# split by month, as an operations team would export it.
set -euo pipefail

RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="$ROOT/target/bench-data/jobs"

if [[ -z "${ITGC_BIN:-}" ]]; then
    cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" --bin itgc
    ITGC_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/itgc"
fi
ITGC_BIN=$(realpath "$ITGC_BIN")
[[ -x /usr/bin/time ]] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }

# The organisation (policies, a crontab of 2,000 jobs in a git repository) and its run logs.
generate() {
rm -rf "$DATA" && mkdir -p "$DATA/org/controls" "$DATA/org/policies" "$DATA/org/repos/ops" "$DATA/logs"
cp "$ROOT/controls/CO-01.yaml" "$ROOT/controls/CO-02.yaml" "$DATA/org/controls/"
cat >"$DATA/org/policies/systems.yaml" <<'YAML'
organisation: { name: Bench Org, time_zone: UTC }
teams:
  - { id: ops, name: Operations }
  - { id: platform, name: Platform }
systems:
  - id: batch
    name: Batch scheduler
    owner: ops
    in_scope: [sox]
    repos:
      - { name: ops, location: repos/ops, branches: [main] }
    jobs:
      - { repo: ops, path: crontab, format: crontab, alert_route: "pagerduty:ops" }
YAML

python3 - "$DATA" <<'PY'
import sys, time, calendar, datetime, zoneinfo
data = sys.argv[1]
berlin = zoneinfo.ZoneInfo("Europe/Berlin")
jobs = []
lines = ["CRON_TZ=UTC"]
for j in range(1, 2001):
    name = f"job-{j:04d}"
    if j <= 3:
        kind, sched = "minute", "* * * * *"
    elif j <= 33:
        kind, sched = "quarter", "*/15 * * * *"
    elif j <= 133:
        kind, sched = "hourly", f"{j % 60} * * * *"
    else:
        kind, sched = "daily", f"{j % 60} {j % 24} * * *"
    jobs.append((name, kind, j))
    if j == 1067:
        lines.append("CRON_TZ=Europe/Berlin")
    lines.append(f"{sched} /opt/jobs/{name}.sh")
open(f"{data}/org/repos/ops/crontab", "w").write("\n".join(lines) + "\n")

start = calendar.timegm((2025, 1, 1, 0, 0, 0))
end = calendar.timegm((2026, 1, 1, 0, 0, 0))
stamps = {}
def stamp(t):
    s = stamps.get(t)
    if s is None:
        s = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        if len(stamps) < 2_000_000:
            stamps[t] = s
    return s
def slots(kind, j):
    if kind == "minute":
        return range(start, end, 60)
    if kind == "quarter":
        return range(start, end, 900)
    if kind == "hourly":
        return range(start + (j % 60) * 60, end, 3600)
    out = []
    day = datetime.date(2025, 1, 1)
    while day.year == 2025:
        local = datetime.datetime(day.year, day.month, day.day, j % 24, j % 60)
        if j > 1066:
            t = int(local.replace(tzinfo=berlin).timestamp())
            if datetime.datetime.fromtimestamp(t, berlin).replace(tzinfo=None) != local:
                # Skipped by the spring-forward gap: cron runs it when the gap ends.
                gap_end = local.replace(minute=0) + datetime.timedelta(hours=1)
                t = int(gap_end.replace(tzinfo=berlin).timestamp())
        else:
            t = calendar.timegm(local.timetuple())
        if start <= t < end:
            out.append(t)
        day += datetime.timedelta(days=1)
    return out
files = {m: open(f"{data}/logs/runs-2025-{m:02d}.csv", "w") for m in range(1, 13)}
for f in files.values():
    f.write("job,scheduled_for,started_at,finished_at,status,exit_code\n")
n = total = 0
for name, kind, j in jobs:
    for t in slots(kind, j):
        n += 1
        if n % 997 == 0:
            continue
        failed = n % 1499 == 0
        month = time.gmtime(t).tm_mon
        files[month].write(f"{name},{stamp(t)},{stamp(t + 3)},{stamp(t + 40)},{'failed' if failed else 'succeeded'},{1 if failed else 0}\n")
        total += 1
print(total)
PY
echo "key,job,created,resolved" >"$DATA/logs/incidents.csv"

g() { git -C "$DATA/org/repos/ops" -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false "$@"; }
g init -q -b main
g add crontab
GIT_AUTHOR_DATE=2024-12-01T00:00:00Z GIT_COMMITTER_DATE=2024-12-01T00:00:00Z g commit -q -m "2,000 jobs"
touch "$DATA/logs/.complete"
}

if [[ "${KEEP_DATA:-}" != 1 || ! -e "$DATA/logs/.complete" ]]; then generate; fi

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
STORE="$DATA/store"
itgc() { (cd "$DATA/org" && "$ITGC_BIN" -q --color never --database-url "sqlite://$STORE/itgc.db" "$@"); }
# Runs the itgc arguments under time(1), appending "wall-seconds peak-KiB" to $1; exit 1
# (deviations found) counts as success.
timed() {
    local into=$1
    shift
    (cd "$DATA/org" && /usr/bin/time -f '%e %M' -o "$DATA/time.out" \
        "$ITGC_BIN" -q --color never --database-url "sqlite://$STORE/itgc.db" "$@") || [ $? -eq 1 ]
    # time(1) writes "Command exited with non-zero status 1" first when check finds deviations.
    tail -n 1 "$DATA/time.out" >>"$into"
}

ROWS=$(cat "$DATA"/logs/runs-*.csv | wc -l)
BYTES=$(cat "$DATA"/logs/runs-*.csv | wc -c)

read_logs() { python3 -c 'import csv,sys; print(sum(1 for f in sys.argv[1:] for _ in csv.reader(open(f))))' "$DATA"/logs/runs-*.csv >/dev/null; }
# Imports every run log (and the empty incident export) into a fresh store: one process per
# file, as an operations team would import a month at a time.
import_logs() {
    rm -rf "$STORE"
    itgc sync --period 2025 --source git >/dev/null
    : >"$DATA/import.each"
    for f in "$DATA"/logs/runs-*.csv; do timed "$DATA/import.each" import job-runs "$f" >/dev/null; done
    timed "$DATA/import.each" import incidents "$DATA/logs/incidents.csv" >/dev/null
    awk '{s += $1} END {print s}' "$DATA/import.each" >>"$DATA/import.times"
    sort -g -k2 "$DATA/import.each" | tail -1 | awk '{print $2}' >>"$DATA/import.rss.all"
}
check_run() {
    timed "$DATA/check.each" check --period 2025 --control CO-01 --control CO-02 --format json \
        >"$DATA/check.json"
}

read_logs   # warm the page cache
: >"$DATA/read.times"; : >"$DATA/import.times"; : >"$DATA/import.rss.all"; : >"$DATA/check.each"
for _ in $(seq "$RUNS"); do
    t0=$(now); read_logs; t1=$(now)
    elapsed "$t0" "$t1" >>"$DATA/read.times"
    import_logs
    check_run
done
R=$(median <"$DATA/read.times")
I=$(median <"$DATA/import.times")
IRSS=$(sort -g "$DATA/import.rss.all" | tail -1)
C=$(awk '{print $1}' "$DATA/check.each" | median)
CRSS=$(awk '{print $2}' "$DATA/check.each" | sort -g | tail -1)
python3 - "$DATA/check.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for c in r["controls"]:
    items = c["items"]
    out = {}
    for i in items:
        out[i["outcome"]] = out.get(i["outcome"], 0) + 1
    print(f"  {c['id']}: {len(items)} jobs, {out}, gaps {len(c.get('gaps', []))}")
PY
IR=$(echo "$I/$R" | bc -l)
printf 'run logs: %d rows in 12 files, %.0f MB; %d runs\n' "$((ROWS - 12))" "$(echo "$BYTES/1000000" | bc -l)" "$RUNS"
printf 'merely reading the run logs (python csv):    median %6.2f s\n' "$R"
printf 'import job-runs, 12 files into a fresh store: median %6.2f s, peak RSS %4d MB, ratio %.2fx the read\n' "$I" "$((IRSS / 1024))" "$IR"
printf 'check CO-01 + CO-02, 2,000 jobs over 2025:    median %6.2f s, peak RSS %4d MB, ratio %.2fx the read\n' "$C" "$((CRSS / 1024))" "$(echo "$C/$R" | bc -l)"
verdict() { if [ "$(echo "$2" | bc -l)" = 1 ]; then echo "target ($1): met"; else echo "target ($1): MISSED"; MISSED=1; fi; }
MISSED=0
verdict "import <= 2x the read" "$IR <= 2.0"
verdict "import peak RSS < 300 MB" "$IRSS < 300 * 1024"
verdict "check < 30 s" "$C < 30.0"
exit "$MISSED"
