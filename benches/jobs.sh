#!/usr/bin/env bash
# Times `itgc check` of CO-01 (expected-runs) and CO-02 (failures-followed-up) over 2,000 jobs
# defined in one crontab, for a year of minute-to-daily schedules against their run logs
# (~4.3 million runs), and prints it with its peak RSS against the time to merely read the
# same run logs (parse the CSV files with Python's csv module, no evaluation) in the same run.
# Target: check under 30 s.
#
#   benches/jobs.sh [RUNS]   default: 3 runs
#
# Jobs: 3 every minute, 30 every 15 minutes, 100 hourly, 1,867 daily (half of them at a Berlin
# wall-clock time, so their UTC time moves at both DST changes). Every 997th run is missing and
# every 1,499th failed; the incident export is empty, so failures are deviations. The log is
# split by month, as an operations team would export it.
set -euo pipefail

RUNS=${1:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA="$ROOT/target/bench-data/jobs"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/release"

cargo build --quiet --release --manifest-path "$ROOT/Cargo.toml" --bin itgc
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

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
itgc() { (cd "$DATA/org" && "$OUT/itgc" -q --color never "$@"); }

itgc sync --period 2025 --source git >/dev/null
t0=$(now)
for f in "$DATA"/logs/runs-*.csv; do itgc import job-runs "$f" >/dev/null; done
itgc import incidents "$DATA/logs/incidents.csv" >/dev/null
t1=$(now)
ROWS=$(cat "$DATA"/logs/runs-*.csv | wc -l)
BYTES=$(cat "$DATA"/logs/runs-*.csv | wc -c)

read_logs() { python3 -c 'import csv,sys; print(sum(1 for f in sys.argv[1:] for _ in csv.reader(open(f))))' "$DATA"/logs/runs-*.csv >/dev/null; }
check_run() {
    (cd "$DATA/org" && /usr/bin/time -f '%e %M' -o "$DATA/check.rss" \
        "$OUT/itgc" -q --color never check --period 2025 --control CO-01 --control CO-02 --format json \
        >"$DATA/check.json") || [ $? -eq 1 ]
}

read_logs; check_run   # warm the page cache
: >"$DATA/read.times"; : >"$DATA/check.times"; : >"$DATA/check.rss.all"
for _ in $(seq "$RUNS"); do
    t2=$(now); read_logs; t3=$(now); check_run; t4=$(now)
    elapsed "$t2" "$t3" >>"$DATA/read.times"
    elapsed "$t3" "$t4" >>"$DATA/check.times"
    # time(1) writes "Command exited with non-zero status 1" first when check finds deviations.
    tail -n 1 "$DATA/check.rss" | awk '{print $2}' >>"$DATA/check.rss.all"
done
R=$(median <"$DATA/read.times")
C=$(median <"$DATA/check.times")
RSS=$(sort -g "$DATA/check.rss.all" | tail -1)
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
printf 'run logs: %d rows in 12 files, %.0f MB; import (parse + store) took %.1f s\n' "$((ROWS - 12))" "$(echo "$BYTES/1000000" | bc -l)" "$(elapsed "$t0" "$t1")"
printf 'check CO-01 + CO-02, 2,000 jobs over 2025: median %.2f s (%d runs), peak RSS %d MB\n' "$C" "$RUNS" "$((RSS / 1024))"
printf 'merely reading the same run logs (python csv): median %.2f s\n' "$R"
printf 'ratio check / read: %.2fx\n' "$(echo "$C/$R" | bc -l)"
if [ "$(echo "$C < 30.0" | bc -l)" = 1 ]; then echo "target (< 30 s): met"; else echo "target (< 30 s): MISSED"; exit 1; fi
