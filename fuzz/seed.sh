#!/usr/bin/env bash
# Seeds each fuzz target's corpus (fuzz/corpus/TARGET, not committed) from the demo's real
# files: the built-in controls and policies, the demo organisation's exports, its job
# definitions and its packets, plus every kept regression input.
# Usage: bash fuzz/seed.sh   (from anywhere; builds the itgc binary in debug if needed)
set -euo pipefail
fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
corpus=$fuzz/corpus
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT

cargo build --quiet --manifest-path "$root/Cargo.toml"
"$root/target/debug/itgc" demo --out "$demo/org" --quiet >/dev/null
org=$demo/org

seed() { # seed TARGET NAME FILE [PREFIX-BYTE-HEX]
  mkdir -p "$corpus/$1"
  if [ -n "${4:-}" ]; then
    { printf "\\x$4"; cat "$3"; } >"$corpus/$1/$2"
  else
    cp "$3" "$corpus/$1/$2"
  fi
}

for f in "$root"/controls/*.yaml; do seed catalog_control "$(basename "$f")" "$f"; done
for f in "$root"/policies/*.yaml; do seed catalog_policy "$(basename "$f")" "$f"; done
mkdir -p "$corpus/expression"
for f in "$root"/controls/*.yaml "$root"/policies/*.yaml; do
  grep -hoE '(expr|filter): .+' "$f" | sed -E 's/^(expr|filter): //; s/^"(.*)"$/\1/' |
    while IFS= read -r e; do
      printf '%s' "$e" >"$corpus/expression/$(printf '%s' "$e" | sha1sum | cut -c1-12)"
    done || true
done
seed github_export_gh prs.json "$org/exports/github-prs.json"
for n in 1 2 3 31; do
  [ -f "$org/exports/github-rest/reviews/$n.json" ] || continue
  mkdir -p "$corpus/github_export_rest"
  { cat "$org/exports/github-rest/pulls.json"; printf '\0'; cat "$org/exports/github-rest/reviews/$n.json"; } \
    >"$corpus/github_export_rest/pulls-reviews-$n"
done
# The access lists the demo policy maps, in the order the target indexes them (the first
# byte picks one; seeding each list under every index costs little and finds the match).
for f in "$org"/exports/access/*.csv; do
  for i in 00 01 02 03; do seed import_access_list "$(basename "$f")-$i" "$f" "$i"; done
done
seed import_roster roster.csv "$org/exports/hr/roster.csv" 00
seed import_job_runs job-runs.csv "$org/exports/jobs/job-runs.csv"
seed import_tickets tickets.csv "$org/exports/tickets/tickets.csv"
for f in "$org"/repos/payments-api/ops/crontab "$org"/repos/payments-api/deploy/cronjobs/*.yaml; do
  for b in 00 01 02 03; do seed job_definitions "$(basename "$f")-$b" "$f" "$b"; done
done
seed packet_tar golden-signed.tar "$root/evidence/golden/v1-signed.tar"
seed packet_tar golden-first.tar "$root/evidence/golden/v1-first.tar"
(cd "$org" && "$root/target/debug/itgc" check --period 2026-Q3 --packet "$demo/packet.tar" --quiet >/dev/null 2>&1 || true)
[ -f "$demo/packet.tar" ] && seed packet_tar demo.tar "$demo/packet.tar"
for b in 00 01 02 03 04 05 06 07 08 09; do
  mkdir -p "$corpus/packet_dir"; printf "\\x$b{}" >"$corpus/packet_dir/byte-$b"
done
mkdir -p "$corpus/period"
for p in 2026-Q3 2026-08 2026 2026-07-01..2026-09-30 2026-H2; do printf '%s' "$p" >"$corpus/period/$p"; done
# No demo export exists for access reviews and incidents: their documented headers.
mkdir -p "$corpus/import_reviews" "$corpus/import_incidents"
printf '\0campaign,system,account,entitlement,reviewer_email,decision,decided_at,comment\nQ3,aws,alice,Admins,bob@x.example,approve,2026-09-30T10:00:00Z,"ok\nstill ok"\n' \
  >"$corpus/import_reviews/campaign.csv"
printf '\1[{"campaign":"Q3","system":"aws","account":"alice","reviewer_email":"b@x.example","decision":"revoke","decided_at":"2026-09-30T10:00:00Z"}]' \
  >"$corpus/import_reviews/campaign.json"
printf 'key,job,created,resolved,status,summary\nINC-1,nightly-reconcile,2026-08-01T02:00:00Z,2026-08-02T02:00:00Z,Done,failed run\n' \
  >"$corpus/import_incidents/incidents.csv"
for t in "$fuzz"/regressions/*/; do
  name=$(basename "$t"); mkdir -p "$corpus/$name"; cp "$t"* "$corpus/$name/" 2>/dev/null || true
done
for t in "$corpus"/*/; do echo "$(basename "$t"): $(find "$t" -type f | wc -l) seeds"; done
