//! File contents of the demo repository: small, plausible service code, infrastructure and
//! operations files. Texts are fixed so every build writes the same blobs.

pub(crate) const README: &str = "\
# payments-api

Card and bank-transfer payments for Demo Fintech: payment intents, captures, refunds, the
double-entry ledger and the nightly reconciliation against the bank statement.

## Layout

- `cmd/payments-api/` — the HTTP service
- `internal/` — domain packages (`api`, `ledger`, `money`, `webhooks`, `fx`, `risk`)
- `jobs/` — batch jobs (Python), scheduled by `deploy/cronjobs/` and `ops/crontab`
- `infra/` — Terraform for the service's AWS resources

## Development

    make test
    make run

Changes to `main` go through pull requests with one approving review (see `CODEOWNERS`).
";

pub(crate) const README_TYPO_BEFORE: &str =
    "Changes to `main` go through pull requests with one approving review";
pub(crate) const README_TYPO_AFTER: &str =
    "Changes to `main` go through pull requests with at least one approving review";

pub(crate) const GO_MOD: &str = "\
module github.com/demo-fintech/payments-api

go 1.22

require (
\tgithub.com/jackc/pgx/v5 v5.6.0
\tgolang.org/x/crypto v0.24.0
)
";

pub(crate) const GO_SUM: &str = "\
github.com/jackc/pgx/v5 v5.6.0 h1:SWJzexBzPL5jb0GEsrPMLIsi/3jOo7RHlzTjcAeDrPY=
github.com/jackc/pgx/v5 v5.6.0/go.mod h1:DNZ/vlrUnhWCoFGxHAG8U2ljioxukquj7utPDgtQdTw=
golang.org/x/crypto v0.24.0 h1:mnl8DM0o513X8fdIkmyFE/5hTYxbwYOjDS/+rK6qpRI=
golang.org/x/crypto v0.24.0/go.mod h1:Z1PMYSOR5nyMcyAVAIQSKCDwalqZaAuV3Bez9DdOvmg=
";

pub(crate) const MAIN_GO: &str = "\
package main

import (
\t\"log\"
\t\"net/http\"

\t\"github.com/demo-fintech/payments-api/internal/api\"
)

func main() {
\tmux := http.NewServeMux()
\tapi.Register(mux)
\tlog.Fatal(http.ListenAndServe(\":8080\", mux))
}
";

pub(crate) const HANDLERS_GO: &str = "\
// Package api exposes the payments HTTP API.
package api

import \"net/http\"

// Register mounts every route on mux.
func Register(mux *http.ServeMux) {
\tmux.HandleFunc(\"POST /v1/payments\", createPayment)
\tmux.HandleFunc(\"GET /v1/payments/{id}\", getPayment)
}

func createPayment(w http.ResponseWriter, r *http.Request) {
\tw.WriteHeader(http.StatusAccepted)
}

func getPayment(w http.ResponseWriter, r *http.Request) {
\tw.WriteHeader(http.StatusOK)
}
";

pub(crate) const GITIGNORE: &str =
    "/bin/\n*.tfstate\n*.tfstate.backup\n.terraform/\n__pycache__/\n";

pub(crate) const MAKEFILE: &str = "\
.PHONY: test run

test:
\tgo test ./...

run:
\tgo run ./cmd/payments-api
";

pub(crate) const LEDGER_GO: &str = "\
// Package ledger is the double-entry ledger behind every payment.
package ledger

import \"errors\"

// Entry is one side of a posting, in minor units.
type Entry struct {
\tAccount string
\tAmount  int64
}

// ErrUnbalanced is returned when a posting's entries do not sum to zero.
var ErrUnbalanced = errors.New(\"ledger: posting does not balance\")

// Post checks that entries balance before they are written.
func Post(entries []Entry) error {
\tvar sum int64
\tfor _, e := range entries {
\t\tsum += e.Amount
\t}
\tif sum != 0 {
\t\treturn ErrUnbalanced
\t}
\treturn nil
}
";

pub(crate) const LEDGER_TEST_GO: &str = "\
package ledger

import \"testing\"

func TestPostRejectsUnbalanced(t *testing.T) {
\tif err := Post([]Entry{{\"cash\", 100}, {\"revenue\", -99}}); err != ErrUnbalanced {
\t\tt.Fatalf(\"got %v\", err)
\t}
}
";

pub(crate) const CI_YML: &str = "\
name: CI
on:
  pull_request:
  push:
    branches: [main]
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with: { go-version: '1.22' }
      - run: go build ./...
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-go@v5
        with: { go-version: '1.22' }
      - run: go test ./...
  lint:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - uses: golangci/golangci-lint-action@v6
";

pub(crate) const DEPENDABOT_YML: &str = "\
version: 2
updates:
  - package-ecosystem: gomod
    directory: /
    schedule:
      interval: weekly
";

pub(crate) const CODEOWNERS: &str = "\
# Every change needs an approving review from a code owner (branch protection on main).
*                 @demo-fintech/payments-eng
/infra/           @demo-fintech/platform
/deploy/          @demo-fintech/platform
/ops/             @demo-fintech/platform
/CODEOWNERS       @demo-fintech/payments-leads
";

pub(crate) const TF_MAIN: &str = "\
terraform {
  required_version = \">= 1.7\"
  backend \"s3\" {
    bucket = \"demo-fintech-terraform-state\"
    key    = \"payments-api/terraform.tfstate\"
    region = \"eu-west-1\"
  }
}

provider \"aws\" {
  region = var.region
}
";

pub(crate) const TF_VARIABLES: &str = "\
variable \"region\" {
  type    = string
  default = \"eu-west-1\"
}

variable \"environment\" {
  type    = string
  default = \"prod\"
}
";

pub(crate) const TF_RDS: &str = "\
resource \"aws_db_instance\" \"ledger\" {
  identifier              = \"payments-ledger-${var.environment}\"
  engine                  = \"postgres\"
  engine_version          = \"16.3\"
  instance_class          = \"db.r6g.large\"
  allocated_storage       = 200
  storage_encrypted       = true
  backup_retention_period = 35
  deletion_protection     = true
}
";

pub(crate) const TF_IAM: &str = "\
resource \"aws_iam_role\" \"reconcile\" {
  name               = \"payments-reconcile-${var.environment}\"
  assume_role_policy = data.aws_iam_policy_document.reconcile_assume.json
}

resource \"aws_iam_role_policy\" \"reconcile_read_statements\" {
  role = aws_iam_role.reconcile.id
  policy = jsonencode({
    Version = \"2012-10-17\"
    Statement = [{
      Effect   = \"Allow\"
      Action   = [\"s3:GetObject\"]
      Resource = \"arn:aws:s3:::demo-fintech-bank-statements/*\"
    }]
  })
}
";

pub(crate) const CRONJOB_YAML: &str = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-reconcile
  namespace: payments
  labels:
    app.kubernetes.io/part-of: payments-api
spec:
  schedule: \"0 2 * * *\"
  timeZone: Etc/UTC
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 3600
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: reconcile
              image: ghcr.io/demo-fintech/payments-api:1.4.0
              command: [\"python3\", \"/app/jobs/reconcile/reconcile.py\", \"--date\", \"yesterday\"]
              env:
                - name: BATCH_SIZE
                  value: \"1000\"
";

/// Runs at 06:00 New Zealand time, so its UTC time moves an hour earlier when New Zealand
/// starts daylight saving on 2026-09-27: a schedule that crosses a DST change inside 2026-Q3.
pub(crate) const AKL_CRONJOB_YAML: &str = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: akl-acquirer-settlement
  namespace: payments
  labels:
    app.kubernetes.io/part-of: payments-api
    team: payments-eng
spec:
  schedule: \"0 6 * * *\"
  timeZone: Pacific/Auckland
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 3600
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: settlement
              image: ghcr.io/demo-fintech/payments-api:1.4.0
              command: [\"/app/payments-api\", \"export-settlement\", \"--acquirer\", \"akl\"]
";

pub(crate) const RECONCILE_PY: &str = "\
\"\"\"Nightly reconciliation: match yesterday's bank statement lines to ledger postings.\"\"\"

import argparse
import os
import sys

BATCH_SIZE = int(os.environ.get(\"BATCH_SIZE\", \"1000\"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(\"--date\", default=\"yesterday\")
    args = parser.parse_args()
    print(f\"reconciling {args.date} in batches of {BATCH_SIZE}\")
    return 0


if __name__ == \"__main__\":
    sys.exit(main())
";

pub(crate) const CRONTAB: &str = "\
# /etc/cron.d/payments-api on pay-batch-01 (deployed from this file).
# run-job records every run in the job-run log under the name that follows it.
CRON_TZ=UTC
SHELL=/bin/bash

30 5 * * 1-5  payments  /usr/local/bin/run-job settlement-export /opt/payments-api/scripts/settlement_export.sh
15 3 * * *    payments  /usr/local/bin/run-job cleanup-stale-sessions /opt/payments-api/scripts/cleanup_sessions.sh
";

pub(crate) const CRON_OLD: &str =
    "run-job cleanup-stale-sessions /opt/payments-api/scripts/cleanup_sessions.sh";
pub(crate) const CRON_NEW: &str =
    "run-job purge-expired-sessions /opt/payments-api/scripts/purge_expired_sessions.sh";

pub(crate) const SETTLEMENT_SH: &str = "\
#!/usr/bin/env bash
# Export yesterday's settlement file to the acquiring bank's SFTP drop.
set -euo pipefail
day=$(date -u -d yesterday +%F)
/opt/payments-api/bin/payments-api export-settlement --date \"$day\" --out \"/var/spool/settlement/$day.csv\"
";

pub(crate) const SESSIONS_SH: &str = "\
#!/usr/bin/env bash
# Delete API sessions that expired more than 24 hours ago.
set -euo pipefail
psql \"$LEDGER_DSN\" -c \"DELETE FROM api_sessions WHERE expires_at < now() - interval '24 hours'\"
";

pub(crate) const MAILMAP: &str = "\
# Map identities committed from unconfigured machines to the person's work identity.
Tomás Álvarez <tomas.alvarez@demo-fintech.example> tomas <tomas@Tomass-MacBook-Pro.local>
";

pub(crate) const CHANGELOG: &str = "\
# Changelog

## 1.6.0 — 2026-09-30

- Instant payouts behind a feature flag
- Manual review queue for flagged payments
- Scheduled payouts endpoint
";

pub(crate) const REFUNDS_GO: &str = "\
package api

import \"net/http\"

// createRefund refunds part or all of a captured payment.
func createRefund(w http.ResponseWriter, r *http.Request) {
\tw.WriteHeader(http.StatusAccepted)
}
";

pub(crate) const CAPTURE_GO: &str = "\
package api

import \"sync\"

// captureOnce guards against capturing the same payment twice when the client retries.
var captured sync.Map

func captureOnce(paymentID string) bool {
\t_, loaded := captured.LoadOrStore(paymentID, struct{}{})
\treturn !loaded
}
";

pub(crate) const FLAGS_GO: &str = "\
// Package flags holds feature flags read at start-up.
package flags

import \"os\"

// InstantPayouts turns on same-second payouts for allow-listed merchants.
func InstantPayouts() bool {
\treturn os.Getenv(\"FLAG_INSTANT_PAYOUTS\") == \"1\"
}
";

/// The first lines of a new Go file in `package`.
pub(crate) fn go_header(package: &str) -> String {
    format!("package {package}\n")
}

/// A small exported Go function whose doc comment says what the change did.
pub(crate) fn go_func(name: &str, summary: &str) -> String {
    format!(
        "\n// {name} implements: {summary}.\nfunc {name}() error {{\n\t// Wired into the service in a follow-up change.\n\treturn nil\n}}\n"
    )
}

/// The first lines of a new Go test file in `package`.
pub(crate) fn go_test_header(package: &str) -> String {
    format!("package {package}\n\nimport \"testing\"\n")
}

pub(crate) fn go_test(name: &str) -> String {
    format!(
        "\nfunc Test{name}(t *testing.T) {{\n\tif err := {name}(); err != nil {{\n\t\tt.Fatal(err)\n\t}}\n}}\n"
    )
}
