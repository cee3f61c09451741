//! The plan of the demo history: every change that lands on `main`, as data.
//!
//! The repository writer turns it into commits and the GitHub export turns it into pull
//! requests, so the two agree by construction. Scenario changes are written out by hand; the
//! everyday changes around them come from a table and a deterministic schedule.

use super::clock::{DAY, HOUR, MINUTE, utc, weekday};
use super::content as c;
use super::people::{
    ACTIONS, DEPENDABOT, DEV, ELENA, GRACE, HANNAH, KEVIN, MARCUS, PRIYA, Person, ROTATION, SAMUEL,
    TOMAS, TOMAS_LAPTOP,
};

use Ticket::{Body as B, None as NoTicket, Title as T};

/// One edit to the file tree.
pub(crate) enum Op {
    Write {
        path: String,
        text: String,
    },
    /// Append, creating the file with `header` first when it does not exist yet.
    Append {
        path: String,
        header: String,
        text: String,
    },
    Replace {
        path: String,
        from: String,
        to: String,
    },
    Rename {
        from: String,
        to: String,
    },
}

fn write(path: &str, text: &str) -> Op {
    Op::Write {
        path: path.to_string(),
        text: text.to_string(),
    }
}

fn append(path: &str, header: &str, text: &str) -> Op {
    Op::Append {
        path: path.to_string(),
        header: header.to_string(),
        text: text.to_string(),
    }
}

fn replace(path: &str, from: &str, to: &str) -> Op {
    Op::Replace {
        path: path.to_string(),
        from: from.to_string(),
        to: to.to_string(),
    }
}

/// One commit someone made: on a pull-request branch, or pushed straight to `main`.
pub(crate) struct Draft {
    pub author: &'static Person,
    pub at: i64,
    pub message: String,
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Landing {
    /// GitHub's "Create a merge commit": the branch hangs off the merge's second parent.
    Merge,
    /// "Squash and merge": one new commit, the branch commits stay only under `refs/pull/`.
    Squash,
}

pub(crate) struct Review {
    pub by: &'static Person,
    pub state: &'static str,
    pub at: i64,
    /// Index into the pull request's commits: the head the reviewer approved.
    pub commit: usize,
    pub body: String,
}

pub(crate) struct Check {
    pub name: &'static str,
    pub workflow: &'static str,
    pub conclusion: &'static str,
}

pub(crate) struct Pr {
    /// Assigned by `history` in landing order.
    pub number: u64,
    pub title: String,
    pub body: String,
    pub author: &'static Person,
    pub head: String,
    pub landing: Landing,
    pub commits: Vec<Draft>,
    pub merged_at: i64,
    pub merged_by: &'static Person,
    pub labels: Vec<&'static str>,
    pub reviews: Vec<Review>,
    pub checks: Vec<Check>,
}

pub(crate) enum Change {
    Pr(Pr),
    Direct(Draft),
}

/// A named situation the demo exists to show; reported back to the caller with its commit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scenario {
    pub key: &'static str,
    pub description: &'static str,
}

pub(crate) struct Event {
    pub change: Change,
    pub scenario: Option<Scenario>,
}

impl Event {
    /// When the change reached `main`.
    pub(crate) fn landed_at(&self) -> i64 {
        match &self.change {
            Change::Pr(pr) => pr.merged_at,
            Change::Direct(draft) => draft.at,
        }
    }
}

/// The whole history in landing order, pull requests numbered.
pub(crate) fn history() -> Vec<Event> {
    let mut events = scenario_events();
    events.extend(FEATURES.iter().enumerate().map(|(i, f)| everyday(i, f)));
    events.sort_by_key(Event::landed_at);
    number_pull_requests(&mut events);
    events
}

/// Numbers follow landing order, with a gap now and then for pull requests that were closed
/// unmerged (they exist on GitHub, so the numbers are not contiguous).
fn number_pull_requests(events: &mut [Event]) {
    let mut next = 1;
    for event in events {
        if let Change::Pr(pr) = &mut event.change {
            pr.number = next;
            next += if next % 6 == 4 { 2 } else { 1 };
        }
    }
}

/// Where a pull request names its ticket.
#[derive(Clone, Copy)]
enum Ticket {
    /// `PAY-123: Title`, so the squash or merge message carries it too.
    Title(&'static str),
    /// Only in the description and the branch name.
    Body(&'static str),
    None,
}

fn slug(title: &str) -> String {
    let words: Vec<String> = title
        .split(|ch: char| !ch.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}

fn standard_checks() -> Vec<Check> {
    ["build", "test", "lint"]
        .into_iter()
        .map(|name| Check {
            name,
            workflow: "CI",
            conclusion: "SUCCESS",
        })
        .collect()
}

fn terraform_check() -> Check {
    Check {
        name: "terraform-plan",
        workflow: "Terraform",
        conclusion: "SUCCESS",
    }
}

/// The usual reviewer for an author: a peer who knows the code.
fn peer_of(author: &Person) -> &'static Person {
    match author.login {
        "mokafor" | "esokolova" | "hlindqvist" => &PRIYA,
        "talvarez" => &ELENA,
        _ => &MARCUS,
    }
}

fn review(by: &'static Person, at: i64, commit: usize) -> Review {
    Review {
        by,
        state: "APPROVED",
        at,
        commit,
        body: String::new(),
    }
}

fn pr_body(summary: &str, ticket: Ticket) -> String {
    let mut body = format!("## Summary\n\n{summary}.\n");
    if let Ticket::Title(t) | Ticket::Body(t) = ticket {
        body.push_str(&format!("\n## Ticket\n\n{t}\n"));
    }
    body.push_str("\n## Testing\n\n- `make test`\n");
    body
}

/// A pull request the everyday way: one commit three hours before the merge, a peer's
/// approval forty minutes before it, green checks, merged by its author.
fn pr(
    author: &'static Person,
    summary: &str,
    ticket: Ticket,
    merged_at: i64,
    landing: Landing,
    ops: Vec<Op>,
) -> Pr {
    let (title, head) = match ticket {
        Ticket::Title(t) => (
            format!("{t}: {summary}"),
            format!("feature/{}", slug(summary)),
        ),
        Ticket::Body(t) => (summary.to_string(), format!("{t}-{}", slug(summary))),
        Ticket::None => (summary.to_string(), format!("feature/{}", slug(summary))),
    };
    Pr {
        number: 0,
        body: pr_body(summary, ticket),
        author,
        head,
        landing,
        commits: vec![Draft {
            author,
            at: merged_at - 3 * HOUR,
            message: format!("{title}\n"),
            ops,
        }],
        merged_at,
        merged_by: peer_of(author),
        labels: Vec::new(),
        reviews: vec![review(peer_of(author), merged_at - 40 * MINUTE, 0)],
        checks: standard_checks(),
        title,
    }
}

fn event(pr: Pr, scenario: Option<Scenario>) -> Event {
    Event {
        change: Change::Pr(pr),
        scenario,
    }
}

fn direct(draft: Draft, scenario: Option<Scenario>) -> Event {
    Event {
        change: Change::Direct(draft),
        scenario,
    }
}

const fn scenario(key: &'static str, description: &'static str) -> Option<Scenario> {
    Some(Scenario { key, description })
}

fn scenario_events() -> Vec<Event> {
    vec![
        root(),
        ledger_package(),
        ci_workflow(),
        codeowners(),
        terraform_rds(),
        readme_direct_push(),
        nightly_cronjob(),
        ops_crontab(),
        leaver_refunds(),
        dependabot_bump(),
        self_approval(),
        job_rename(),
        stale_approval(),
        laptop_identity_push(),
        mailmap_without_ticket(),
        emergency_hotfix(),
        co_authored(),
        reviewed_by_trailer(),
        failed_check(),
        unknown_ticket(),
        infra_non_owner_review(),
        release_bot(),
        last_in_period(),
        after_period(),
    ]
}

fn root() -> Event {
    let ops = vec![
        write("README.md", c::README),
        write("go.mod", c::GO_MOD),
        write("go.sum", c::GO_SUM),
        write("cmd/payments-api/main.go", c::MAIN_GO),
        write("internal/api/handlers.go", c::HANDLERS_GO),
        write(".gitignore", c::GITIGNORE),
        write("Makefile", c::MAKEFILE),
    ];
    let draft = Draft {
        author: &PRIYA,
        at: utc(2026, 6, 8, 10, 2),
        message: "Initial commit: payments-api service skeleton\n".to_string(),
        ops,
    };
    direct(
        draft,
        scenario("root-commit", "Root commit, before the period"),
    )
}

fn ledger_package() -> Event {
    let ops = vec![write("internal/ledger/ledger.go", c::LEDGER_GO)];
    let at = utc(2026, 6, 15, 15, 12);
    let mut p = pr(
        &MARCUS,
        "Add double-entry ledger package",
        Ticket::Title("PAY-101"),
        at,
        Landing::Merge,
        ops,
    );
    p.commits.push(Draft {
        author: &MARCUS,
        at: at - 2 * HOUR,
        message: "Test that unbalanced postings are rejected\n".to_string(),
        ops: vec![write("internal/ledger/ledger_test.go", c::LEDGER_TEST_GO)],
    });
    p.reviews = vec![review(&PRIYA, at - 30 * MINUTE, 1)];
    p.merged_by = &PRIYA;
    event(p, None)
}

fn ci_workflow() -> Event {
    let ops = vec![
        write(".github/workflows/ci.yml", c::CI_YML),
        write(".github/dependabot.yml", c::DEPENDABOT_YML),
    ];
    let at = utc(2026, 6, 24, 11, 26);
    event(
        pr(
            &HANNAH,
            "CI workflow and Dependabot config",
            Ticket::Title("PAY-104"),
            at,
            Landing::Squash,
            ops,
        ),
        None,
    )
}

fn codeowners() -> Event {
    let at = utc(2026, 7, 6, 10, 41);
    let ops = vec![write("CODEOWNERS", c::CODEOWNERS)];
    let mut p = pr(
        &HANNAH,
        "Add CODEOWNERS for payments, platform and leads",
        Ticket::Title("PAY-118"),
        at,
        Landing::Squash,
        ops,
    );
    p.reviews = vec![review(&GRACE, at - 25 * MINUTE, 0)];
    event(
        p,
        scenario(
            "codeowners",
            "CODEOWNERS added: later changes need a code-owner review",
        ),
    )
}

fn terraform_rds() -> Event {
    let at = utc(2026, 7, 9, 14, 17);
    let ops = vec![
        write("infra/main.tf", c::TF_MAIN),
        write("infra/variables.tf", c::TF_VARIABLES),
        write("infra/rds.tf", c::TF_RDS),
    ];
    let mut p = pr(
        &HANNAH,
        "Terraform: ledger RDS instance",
        Ticket::Title("PAY-121"),
        at,
        Landing::Squash,
        ops,
    );
    p.reviews = vec![review(&SAMUEL, at - 55 * MINUTE, 0)];
    p.labels = vec!["infra"];
    p.checks.push(terraform_check());
    event(
        p,
        scenario(
            "infra-change",
            "Terraform change under infra/, approved by the platform team",
        ),
    )
}

fn readme_direct_push() -> Event {
    let draft = Draft {
        author: &KEVIN,
        at: utc(2026, 7, 10, 18, 5),
        message: "Fix wording in README\n".to_string(),
        ops: vec![replace(
            "README.md",
            c::README_TYPO_BEFORE,
            c::README_TYPO_AFTER,
        )],
    };
    direct(
        draft,
        scenario(
            "direct-push",
            "Pushed straight to main: no pull request, no review, no ticket",
        ),
    )
}

fn nightly_cronjob() -> Event {
    let at = utc(2026, 7, 14, 16, 23);
    let ops = vec![
        write("deploy/cronjobs/nightly-reconcile.yaml", c::CRONJOB_YAML),
        write(
            "deploy/cronjobs/akl-acquirer-settlement.yaml",
            c::AKL_CRONJOB_YAML,
        ),
    ];
    let mut p = pr(
        &PRIYA,
        "Nightly reconciliation CronJob",
        Ticket::Title("PAY-125"),
        at,
        Landing::Merge,
        ops,
    );
    p.commits.push(Draft {
        author: &PRIYA,
        at: at - 2 * HOUR,
        message: "Add the reconcile job script\n".to_string(),
        ops: vec![write("jobs/reconcile/reconcile.py", c::RECONCILE_PY)],
    });
    p.reviews = vec![review(&HANNAH, at - 35 * MINUTE, 1)];
    event(
        p,
        scenario(
            "cronjob-added",
            "Kubernetes CronJob nightly-reconcile defined (a job to monitor)",
        ),
    )
}

fn ops_crontab() -> Event {
    let at = utc(2026, 7, 15, 11, 9);
    let ops = vec![
        write("ops/crontab", c::CRONTAB),
        write("scripts/settlement_export.sh", c::SETTLEMENT_SH),
        write("scripts/cleanup_sessions.sh", c::SESSIONS_SH),
    ];
    let p = pr(
        &HANNAH,
        "Ops crontab: settlement export and session cleanup",
        Ticket::Body("PAY-126"),
        at,
        Landing::Squash,
        ops,
    );
    event(
        p,
        scenario(
            "crontab-added",
            "ops/crontab defines settlement-export and cleanup-stale-sessions",
        ),
    )
}

fn leaver_refunds() -> Event {
    let at = utc(2026, 7, 16, 17, 38);
    let ops = vec![
        write("internal/api/refunds.go", c::REFUNDS_GO),
        replace(
            "internal/api/handlers.go",
            "\tmux.HandleFunc(\"GET /v1/payments/{id}\", getPayment)\n",
            "\tmux.HandleFunc(\"GET /v1/payments/{id}\", getPayment)\n\tmux.HandleFunc(\"POST /v1/payments/{id}/refunds\", createRefund)\n",
        ),
    ];
    let p = pr(
        &KEVIN,
        "Refunds endpoint",
        Ticket::Title("PAY-130"),
        at,
        Landing::Merge,
        ops,
    );
    event(
        p,
        scenario(
            "leaver-change",
            "Change by Kevin Brandt, who leaves on 2026-08-14 and keeps active accounts",
        ),
    )
}

const DEPENDABOT_BODY: &str = "\
Bumps [golang.org/x/crypto](https://github.com/golang/crypto) from 0.24.0 to 0.31.0.

---
updated-dependencies:
- dependency-name: golang.org/x/crypto
  dependency-type: direct:production
...

Signed-off-by: dependabot[bot] <support@github.com>
";

fn dependabot_bump() -> Event {
    let at = utc(2026, 7, 20, 8, 47);
    let title = "Bump golang.org/x/crypto from 0.24.0 to 0.31.0";
    let ops = vec![
        replace(
            "go.mod",
            "golang.org/x/crypto v0.24.0",
            "golang.org/x/crypto v0.31.0",
        ),
        replace(
            "go.sum",
            "golang.org/x/crypto v0.24.0 h1:mnl8DM0o513X8fdIkmyFE/5hTYxbwYOjDS/+rK6qpRI=\ngolang.org/x/crypto v0.24.0/go.mod h1:Z1PMYSOR5nyMcyAVAIQSKCDwalqZaAuV3Bez9DdOvmg=",
            "golang.org/x/crypto v0.31.0 h1:ihbySMvVjLAeSH1IbfcRTkD/iNscyz8rGzjF/E5hV6U=\ngolang.org/x/crypto v0.31.0/go.mod h1:kDsLvtWBEx7MV9tJOj9bnXsPbxwJQ6csT/x4KIYZQVk=",
        ),
    ];
    let mut p = pr(&DEPENDABOT, title, Ticket::None, at, Landing::Squash, ops);
    p.head = "dependabot/go_modules/golang.org/x/crypto-0.31.0".to_string();
    p.body = DEPENDABOT_BODY.replace(
        "\n\nSigned-off-by: dependabot[bot] <support@github.com>\n",
        "\n",
    );
    p.commits[0].message = format!("{title}\n\n{DEPENDABOT_BODY}");
    p.reviews = vec![review(&MARCUS, at - 12 * MINUTE, 0)];
    p.merged_by = &MARCUS;
    p.labels = vec!["dependencies", "go"];
    event(
        p,
        scenario(
            "bot-commit",
            "Dependabot pull request squash-merged: the commit on main is authored by dependabot[bot]",
        ),
    )
}

fn self_approval() -> Event {
    let at = utc(2026, 8, 5, 15, 52);
    let ops = vec![append(
        "internal/ledger/settlement.go",
        &c::go_header("ledger"),
        &c::go_func("RefundLines", "settlement export includes refunds"),
    )];
    let mut p = pr(
        &TOMAS,
        "Settlement export: include refunds",
        Ticket::Title("PAY-139"),
        at,
        Landing::Merge,
        ops,
    );
    p.commits.push(Draft {
        author: &PRIYA,
        at: at - 70 * MINUTE,
        message: "Fix rounding of refund lines\n".to_string(),
        ops: vec![append(
            "internal/ledger/settlement.go",
            "",
            &c::go_func("RoundRefundLine", "refund lines round half-even"),
        )],
    });
    p.reviews = vec![review(&PRIYA, at - 20 * MINUTE, 1)];
    p.merged_by = &PRIYA;
    event(
        p,
        scenario(
            "self-approval",
            "The only approval came from Priya Raman, who authored a commit in the pull request and merged it",
        ),
    )
}

fn job_rename() -> Event {
    let at = utc(2026, 8, 10, 14, 36);
    let ops = vec![
        replace("ops/crontab", c::CRON_OLD, c::CRON_NEW),
        Op::Rename {
            from: "scripts/cleanup_sessions.sh".to_string(),
            to: "scripts/purge_expired_sessions.sh".to_string(),
        },
    ];
    let mut p = pr(
        &HANNAH,
        "Rename cleanup-stale-sessions job to purge-expired-sessions",
        Ticket::Title("PAY-150"),
        at,
        Landing::Squash,
        ops,
    );
    // Merged by its author with no review: the rename changed what CO-01 looks for in the
    // run log without anyone approving it.
    p.reviews = Vec::new();
    p.merged_by = &HANNAH;
    event(
        p,
        scenario(
            "job-renamed",
            "Cron job cleanup-stale-sessions renamed to purge-expired-sessions (script renamed too), merged by its author without review",
        ),
    )
}

fn stale_approval() -> Event {
    let at = utc(2026, 8, 12, 17, 14);
    let ops = vec![append(
        "internal/ledger/upload.go",
        &c::go_header("ledger"),
        &c::go_func("UploadWithRetry", "retry settlement upload on SFTP timeout"),
    )];
    let mut p = pr(
        &MARCUS,
        "Retry settlement upload on SFTP timeout",
        Ticket::Title("PAY-151"),
        at,
        Landing::Squash,
        ops,
    );
    p.commits[0].at = utc(2026, 8, 12, 9, 30);
    p.commits.push(Draft {
        author: &MARCUS,
        at: utc(2026, 8, 12, 16, 20),
        message: "Also retry on connection reset\n".to_string(),
        ops: vec![append(
            "internal/ledger/upload.go",
            "",
            &c::go_func("IsRetryable", "connection resets are retryable"),
        )],
    });
    p.reviews = vec![review(&GRACE, utc(2026, 8, 12, 11, 2), 0)];
    event(
        p,
        scenario(
            "stale-approval",
            "Approved at its first commit; a second commit was pushed after the approval and merged without re-review",
        ),
    )
}

fn laptop_identity_push() -> Event {
    let draft = Draft {
        author: &TOMAS_LAPTOP,
        at: utc(2026, 8, 18, 21, 7),
        message: "PAY-158 Raise reconcile batch size to 5000\n".to_string(),
        ops: vec![
            replace(
                "jobs/reconcile/reconcile.py",
                "\"BATCH_SIZE\", \"1000\"",
                "\"BATCH_SIZE\", \"5000\"",
            ),
            replace(
                "deploy/cronjobs/nightly-reconcile.yaml",
                "value: \"1000\"",
                "value: \"5000\"",
            ),
        ],
    };
    direct(
        draft,
        scenario(
            "mailmapped-identity",
            "Direct push from an unconfigured laptop identity; .mailmap maps it to Tomás Álvarez",
        ),
    )
}

fn mailmap_without_ticket() -> Event {
    let at = utc(2026, 8, 19, 10, 33);
    let mut p = pr(
        &PRIYA,
        "Add .mailmap for laptop identities",
        Ticket::None,
        at,
        Landing::Squash,
        vec![write(".mailmap", c::MAILMAP)],
    );
    p.head = "chore/mailmap".to_string();
    p.reviews = vec![review(&GRACE, at - 15 * MINUTE, 0)];
    event(
        p,
        scenario(
            "no-ticket",
            "Pull request with no ticket reference in its title, body, branch or commits",
        ),
    )
}

fn emergency_hotfix() -> Event {
    let at = utc(2026, 8, 22, 2, 41);
    let title = "[EMERGENCY] Stop double capture on retried card payments";
    let mut p = pr(
        &HANNAH,
        title,
        Ticket::None,
        at,
        Landing::Merge,
        vec![write("internal/api/capture.go", c::CAPTURE_GO)],
    );
    p.head = "hotfix/double-capture".to_string();
    p.body = "Emergency change for INC-31: customers were charged twice when the acquirer timed out \
              and the client retried.\n\nApproval will be recorded after the fact, as the emergency \
              change procedure allows.\n"
        .to_string();
    p.commits[0].at = utc(2026, 8, 22, 2, 5);
    p.commits[0].message = "[EMERGENCY] Guard capture with captureOnce (INC-31)\n".to_string();
    p.reviews = vec![Review {
        body: "Post-incident approval: reviewed the fix and the incident timeline (INC-31)."
            .to_string(),
        ..review(&GRACE, utc(2026, 8, 24, 9, 12), 0)
    }];
    p.labels = vec!["emergency", "bug"];
    event(
        p,
        scenario(
            "emergency-change",
            "Emergency hotfix merged at 02:41 on a Saturday, approved after the merge (post-hoc)",
        ),
    )
}

fn co_authored() -> Event {
    let at = utc(2026, 9, 2, 14, 58);
    let ops = vec![append(
        "internal/webhooks/replay.go",
        &c::go_header("webhooks"),
        &c::go_func("Replay", "replay webhooks for a time window"),
    )];
    let mut p = pr(
        &ELENA,
        "Webhook replay endpoint",
        Ticket::Title("PAY-162"),
        at,
        Landing::Squash,
        ops,
    );
    p.commits.push(Draft {
        author: &TOMAS,
        at: at - 2 * HOUR,
        message: "Rate-limit webhook replays\n".to_string(),
        ops: vec![append(
            "internal/webhooks/replay.go",
            "",
            &c::go_func("ReplayBudget", "at most 1000 replays per minute"),
        )],
    });
    p.reviews = vec![review(&PRIYA, at - 30 * MINUTE, 1)];
    event(
        p,
        scenario(
            "co-authored",
            "Squash merge with a Co-authored-by: trailer for a second author",
        ),
    )
}

fn reviewed_by_trailer() -> Event {
    let draft = Draft {
        author: &MARCUS,
        at: utc(2026, 9, 9, 19, 46),
        message: "PAY-176 Raise settlement export timeout to 120s\n\nPaired with Grace on the incident \
                  bridge; pushed directly to unblock tonight's export.\n\nReviewed-by: Grace Whitfield \
                  <grace.whitfield@demo-fintech.example>\n"
            .to_string(),
        ops: vec![replace("scripts/settlement_export.sh", "--out \"/var/spool/settlement/$day.csv\"", "--out \"/var/spool/settlement/$day.csv\" --timeout 120s")],
    };
    direct(
        draft,
        scenario(
            "reviewed-by-trailer",
            "Direct push whose only evidence of review is a Reviewed-by: trailer",
        ),
    )
}

fn failed_check() -> Event {
    let at = utc(2026, 9, 15, 16, 4);
    let ops = vec![append(
        "internal/api/batching.go",
        &c::go_header("api"),
        &c::go_func("BatchPayouts", "payout batching"),
    )];
    let mut p = pr(
        &DEV,
        "Payout batching",
        Ticket::Title("PAY-180"),
        at,
        Landing::Squash,
        ops,
    );
    p.reviews = vec![review(&MARCUS, at - 50 * MINUTE, 0)];
    p.merged_by = &GRACE;
    if let Some(lint) = p.checks.iter_mut().find(|c| c.name == "lint") {
        lint.conclusion = "FAILURE";
    }
    event(
        p,
        scenario(
            "failed-check",
            "Merged with the lint check failing (admin merge by Grace Whitfield)",
        ),
    )
}

fn unknown_ticket() -> Event {
    let at = utc(2026, 9, 17, 11, 29);
    let ops = vec![append(
        "internal/ledger/statement_dupes.go",
        &c::go_header("ledger"),
        &c::go_func("SkipDuplicateLines", "tolerate duplicate statement lines"),
    )];
    let p = pr(
        &ELENA,
        "Reconcile: tolerate duplicate statement lines",
        Ticket::Title(MISSING_TICKET),
        at,
        Landing::Merge,
        ops,
    );
    event(
        p,
        scenario(
            "unknown-ticket",
            "References PAY-1337, which is not in the ticket export",
        ),
    )
}

/// A ticket key the history cites but the ticket export does not contain.
pub(crate) const MISSING_TICKET: &str = "PAY-1337";

fn infra_non_owner_review() -> Event {
    let at = utc(2026, 9, 22, 13, 51);
    let mut p = pr(
        &HANNAH,
        "Terraform: IAM role for the reconcile job",
        Ticket::Title("PAY-184"),
        at,
        Landing::Squash,
        vec![write("infra/iam.tf", c::TF_IAM)],
    );
    p.reviews = vec![review(&ELENA, at - 45 * MINUTE, 0)];
    p.labels = vec!["infra"];
    p.checks.push(terraform_check());
    event(
        p,
        scenario(
            "infra-non-owner-review",
            "Terraform change approved only by Elena Sokolova, who is not a platform code owner",
        ),
    )
}

fn release_bot() -> Event {
    let draft = Draft {
        author: &ACTIONS,
        at: utc(2026, 9, 30, 16, 0),
        message: "chore(release): v1.6.0\n".to_string(),
        ops: vec![
            write("CHANGELOG.md", c::CHANGELOG),
            write("VERSION", "1.6.0\n"),
        ],
    };
    direct(
        draft,
        scenario(
            "bot-direct-push",
            "Release bot pushed straight to main (a branch-protection bypass)",
        ),
    )
}

fn last_in_period() -> Event {
    let at = utc(2026, 9, 30, 22, 47);
    let p = pr(
        &PRIYA,
        "Feature flag for instant payouts",
        Ticket::Title("PAY-187"),
        at,
        Landing::Squash,
        vec![write("internal/flags/flags.go", c::FLAGS_GO)],
    );
    event(
        p,
        scenario(
            "last-in-period",
            "Last change inside 2026-Q3 (22:47 UTC on 30 September)",
        ),
    )
}

fn after_period() -> Event {
    let at = utc(2026, 10, 1, 0, 0);
    let ops = vec![append(
        "internal/flags/flags.go",
        "",
        &c::go_func(
            "InstantPayoutMerchants",
            "allow-list merchants for instant payouts",
        ),
    )];
    let p = pr(
        &TOMAS,
        "Instant payouts: allow-list merchants",
        Ticket::Title("PAY-188"),
        at,
        Landing::Squash,
        ops,
    );
    event(
        p,
        scenario(
            "after-period",
            "Merged at exactly 2026-10-01T00:00:00Z: outside 2026-Q3, whose end is exclusive",
        ),
    )
}

/// An everyday change: a new function in a domain package.
struct Feature {
    package: &'static str,
    file: &'static str,
    func: &'static str,
    title: &'static str,
    ticket: Ticket,
}

const fn feature(
    package: &'static str,
    file: &'static str,
    func: &'static str,
    title: &'static str,
    ticket: Ticket,
) -> Feature {
    Feature {
        package,
        file,
        func,
        title,
        ticket,
    }
}

#[rustfmt::skip]
const FEATURES: [Feature; 30] = [
    feature("api", "idempotency.go", "IdempotencyKey", "Add idempotency keys to payment create", T("PAY-112")),
    feature("ledger", "reversal.go", "ReverseEntry", "Support reversal entries in the ledger", T("PAY-115")),
    feature("money", "round.go", "RoundHalfEven", "Use banker’s rounding for EUR → GBP conversions", T("PAY-120")),
    feature("api", "pagination.go", "ParseCursor", "Cursor pagination for GET /v1/payments", B("PAY-127")),
    feature("webhooks", "retry.go", "NextAttempt", "Exponential backoff for webhook delivery", T("PAY-129")),
    feature("ledger", "balance.go", "AvailableBalance", "Available balance excludes pending holds", T("PAY-131")),
    feature("api", "logging.go", "RequestLogger", "Tidy structured logging in handlers", NoTicket),
    feature("fx", "rates.go", "LatestRate", "Cache FX rates for 15 minutes", T("PAY-134")),
    feature("api", "validate.go", "ValidateAmount", "Reject payments above the merchant limit", T("PAY-136")),
    feature("ledger", "fees.go", "FeeLines", "Settlement export: include fee lines", B("PAY-138")),
    feature("risk", "velocity.go", "VelocityExceeded", "Velocity check on card payments", T("PAY-141")),
    feature("api", "health.go", "Readiness", "Readiness probe checks database and queue", T("PAY-143")),
    feature("webhooks", "signing.go", "VerifySignature", "Constant-time webhook signature comparison", T("PAY-145")),
    feature("money", "currency.go", "MinorUnits", "Minor units for JPY, KWD and CLF", T("PAY-147")),
    feature("ledger", "audit.go", "RecordActor", "Record the actor on every ledger write", T("PAY-149")),
    feature("api", "problems.go", "ProblemDetails", "RFC 9457 problem details for API errors", B("PAY-152")),
    feature("fx", "provider.go", "FallbackProvider", "Fall back to the secondary FX provider", T("PAY-154")),
    feature("risk", "sanctions.go", "ScreenCounterparty", "Screen counterparties against the sanctions list", T("PAY-156")),
    feature("api", "ratelimit.go", "TokenBucket", "Per-merchant rate limiting", T("PAY-159")),
    feature("ledger", "dedupe.go", "DedupePosting", "Deduplicate ledger postings by external id", T("PAY-161")),
    feature("webhooks", "deadletter.go", "DeadLetter", "Dead-letter queue for failed webhooks", B("PAY-163")),
    feature("money", "format.go", "FormatAmount", "Locale-aware amount formatting (¥, €, £)", T("PAY-165")),
    feature("api", "metrics.go", "ObserveLatency", "Latency histograms per route", NoTicket),
    feature("ledger", "close.go", "CloseDay", "End-of-day ledger close", T("PAY-168")),
    feature("risk", "rules.go", "EvaluateRules", "Configurable risk rules", T("PAY-170")),
    feature("fx", "audit.go", "RecordRateUse", "Record the FX rate used for each conversion", T("PAY-172")),
    feature("api", "payouts.go", "SchedulePayout", "Scheduled payouts endpoint", B("PAY-174")),
    feature("webhooks", "events.go", "PayoutEvents", "Add payout.* webhook event types", T("PAY-177")),
    feature("ledger", "statement.go", "MatchStatementLine", "Match bank statement lines to postings", T("PAY-179")),
    feature("risk", "review.go", "QueueForReview", "Manual review queue for flagged payments", T("PAY-185")),
];

/// The i-th everyday merge: spread over the quarter's weekdays, during working hours.
fn everyday_slot(i: usize) -> i64 {
    let i = i as i64;
    let day = 1 + i * 88 / FEATURES.len() as i64;
    let mut at = utc(2026, 7, 1, 9, 0) + day * DAY + ((i * 53) % 420 + 7) * MINUTE;
    while weekday(at) >= 5 {
        at += DAY;
    }
    at
}

fn everyday(i: usize, f: &Feature) -> Event {
    let author = ROTATION[i % ROTATION.len()];
    let reviewer = if i % 4 == 3 {
        &GRACE
    } else {
        ROTATION[(i + 1) % ROTATION.len()]
    };
    let landing = if i % 3 == 1 {
        Landing::Merge
    } else {
        Landing::Squash
    };
    let path = format!("internal/{}/{}", f.package, f.file);
    let ops = vec![append(
        &path,
        &c::go_header(f.package),
        &c::go_func(f.func, f.title),
    )];
    let mut p = pr(author, f.title, f.ticket, everyday_slot(i), landing, ops);
    p.reviews[0].by = reviewer;
    p.labels = vec!["enhancement"];
    // The approver merges (CM-06: authors do not release their own changes).
    p.merged_by = reviewer;
    if i % 4 == 0 {
        add_tests(&mut p, f);
    }
    event(p, None)
}

/// A second commit with a test; the approval moves to the new head.
fn add_tests(p: &mut Pr, f: &Feature) {
    let path = format!(
        "internal/{}/{}",
        f.package,
        f.file.replace(".go", "_test.go")
    );
    p.commits.push(Draft {
        author: p.author,
        at: p.merged_at - 2 * HOUR,
        message: format!("Test {}\n", f.func),
        ops: vec![append(
            &path,
            &c::go_test_header(f.package),
            &c::go_test(f.func),
        )],
    });
    for r in &mut p.reviews {
        r.commit = 1;
    }
}
