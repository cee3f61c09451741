//! Every change rule passing and failing, on changes built in code.

use jiff::Timestamp;

use super::super::*;
use super::*;
use crate::facts::{
    Actor, Check as StatusCheck, CheckConclusion, Commit, PrCommit, PullRequest, Review,
    ReviewState, Signature, Ticket,
};
use crate::model::SourceFile;
use crate::population::change::{CodeOwners, Via};

const POLICY: &str = r#"
organisation: { name: Test Org }
teams:
  - { id: eng, name: Engineering }
  - { id: platform, name: Platform }
systems:
  - id: api
    name: API service
    owner: eng
    in_scope: [sox]
    repos:
      - { name: api, location: repos/api, branches: [main] }
bots:
  - login: "release[bot]"
    email: "1+release[bot]@users.noreply.github.com"
    purpose: Cuts releases.
    owner: platform
owners:
  - { team: platform, repo: api, path: "infra/**" }
exceptions:
  - id: EXC-1
    control: CM-06
    item: "api@9999999"
    reason: Approved hotfix by the only on-call engineer.
    approver: cto@example.com
    ticket: SEC-1
    approved: 2026-07-01
    expires: 2026-12-31
"#;

fn control(id: &str, rules: &str, extra: &str) -> String {
    format!(
        "id: {id}\ntitle: Test control {id}\nobjective: Objective of the test control.\nrisk: Risk the test control addresses.\ndomain: change-management\nframeworks: {{ sox: [program-change] }}\nowner: eng\nfrequency: per-event\nseverity: high\npopulation:\n  kind: changes\n{extra}rules:\n{rules}"
    )
}

fn catalog(controls: &[(&str, &str, &str)]) -> Catalog {
    let files: Vec<SourceFile> = controls
        .iter()
        .map(|(id, rules, extra)| SourceFile {
            name: format!("{id}.yaml"),
            bytes: control(id, rules, extra).into_bytes(),
        })
        .collect();
    let policies = [SourceFile {
        name: "policy.yaml".into(),
        bytes: POLICY.as_bytes().to_vec(),
    }];
    let today = jiff::civil::date(2026, 11, 1);
    let v = crate::model::load(&files, &policies, today);
    assert_eq!(v.errors(), 0, "{:#?}", v.diagnostics);
    v.catalog.expect("catalog")
}

fn at(day: i8, hour: i8) -> Timestamp {
    jiff::civil::date(2026, 8, day)
        .at(hour, 0, 0, 0)
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .expect("valid time")
}

fn actor(login: &str) -> Actor {
    Actor {
        login: login.into(),
        name: None,
        email: Some(format!("{login}@example.com")),
        bot: login.ends_with("[bot]"),
    }
}

fn sig(login: &str, t: Timestamp) -> Signature {
    Signature {
        name: login.into(),
        email: format!("{login}@example.com"),
        at: t,
    }
}

fn commit(oid: &str, author: &str, message: &str, paths: &[&str]) -> Commit {
    Commit {
        repo: "api".into(),
        oid: oid.repeat(40 / oid.len()),
        parents: vec!["0".repeat(40)],
        author: sig(author, at(3, 12)),
        committer: Signature {
            name: "GitHub".into(),
            email: "noreply@github.com".into(),
            at: at(3, 12),
        },
        message: message.into(),
        paths: paths.iter().map(|p| p.to_string()).collect(),
        signed: false,
    }
}

fn review(login: &str, state: ReviewState, t: Timestamp, oid: &str) -> Review {
    Review {
        author: actor(login),
        state,
        submitted_at: Some(t),
        commit_oid: Some(oid.into()),
    }
}

/// A PR by `dev` with commits `h1` then `h2`, approved by `rev` on `h2`, merged by `rev`.
fn pr(number: u64, merge: &str) -> PullRequest {
    let pr_commit = |oid: &str, t| PrCommit {
        oid: oid.into(),
        authors: vec![actor("dev")],
        authored_at: t,
        committed_at: t,
        message: format!("work {oid}"),
    };
    PullRequest {
        repo: "api".into(),
        number,
        title: "PAY-1: do the thing".into(),
        body: String::new(),
        author: actor("dev"),
        base_ref: "main".into(),
        head_ref: "feature/thing".into(),
        head_oid: Some("h2".into()),
        merged_at: at(3, 12),
        merged_by: Some(actor("rev")),
        enqueued_by: None,
        merge_commit: Some(merge.repeat(40 / merge.len())),
        labels: vec![],
        commits: Some(vec![pr_commit("h1", at(2, 9)), pr_commit("h2", at(2, 10))]),
        reviews: Some(vec![review("rev", ReviewState::Approved, at(2, 11), "h2")]),
        checks: Some(vec![StatusCheck {
            name: "build".into(),
            conclusion: CheckConclusion::Success,
            completed_at: Some(at(2, 10)),
        }]),
        events: None,
    }
}

fn change(commit: Commit, via: Via) -> Change {
    Change {
        id: format!("api@{}", commit.oid),
        system: "api".into(),
        repo: "api".into(),
        branch: "main".into(),
        commit,
        via,
        codeowners: CodeOwners::Read {
            text: Some("* @rev\n/infra/ @acme/platform\n".into()),
        },
        pr_branch: Default::default(),
    }
}

fn via(pr: PullRequest) -> Via {
    Via::PullRequest {
        pull_request: Box::new(pr),
        rebased: false,
    }
}

fn run(rule: &str, changes: Vec<Change>) -> Vec<ItemResult> {
    run_with(rule, "", changes, None)
}

fn run_with(
    rule: &str,
    extra: &str,
    changes: Vec<Change>,
    tickets: Option<Vec<Ticket>>,
) -> Vec<ItemResult> {
    let catalog = catalog(&[("CM-06", rule, extra)]);
    let snapshot = Snapshot {
        period: "2026-Q3".into(),
        changes,
        tickets,
        members: None,
        gaps: vec![],
        ..Snapshot::default()
    };
    let results = evaluate(&catalog, &snapshot, &[]);
    results
        .controls
        .into_iter()
        .next()
        .expect("one control")
        .items
}

fn outcome(items: &[ItemResult]) -> (Outcome, String) {
    let item = &items[0];
    let text = item
        .reasons
        .iter()
        .map(|r| r.message.clone())
        .collect::<Vec<_>>()
        .join(" | ");
    (item.outcome, text)
}

#[test]
fn pr_required_fails_a_direct_push_and_accepts_a_policy_bot() {
    let rule = "  - kind: pr-required\n";
    let push = change(commit("aa", "dev", "hotfix", &["a"]), Via::DirectPush);
    let (o, why) = outcome(&run(rule, vec![push]));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("pushed directly to main by dev"), "{why}");
    let mut bot = commit("bb", "release[bot]", "chore: release", &["VERSION"]);
    bot.author.email = "1+release[bot]@users.noreply.github.com".into();
    let (o, _) = outcome(&run(rule, vec![change(bot, Via::DirectPush)]));
    assert_eq!(o, Outcome::Pass);
    let merged = change(commit("cc", "dev", "x (#1)", &["a"]), via(pr(1, "cc")));
    assert_eq!(outcome(&run(rule, vec![merged])).0, Outcome::Pass);
}

/// A redacted snapshot spells the bot's email as a pseudonym; the policy names it in clear.
/// The snapshot's identity map lets the two join, so redaction changes no conclusion.
#[test]
fn a_redacted_snapshot_joins_policy_through_its_identity_map() {
    let catalog = catalog(&[("CM-06", "  - kind: pr-required\n", "")]);
    let mut bot = commit("bb", "Release Robot", "chore: release", &["VERSION"]);
    bot.author.email = "p-0123456789abcdef@pseudonym.invalid".into();
    let mut snapshot = Snapshot {
        period: "2026-Q3".into(),
        changes: vec![change(bot, Via::DirectPush)],
        ..Snapshot::default()
    };
    let outcome_of = |s: &Snapshot| evaluate(&catalog, s, &[]).controls[0].items[0].outcome;
    assert_eq!(outcome_of(&snapshot), Outcome::Deviation);
    snapshot.identities.insert(
        "1+release[bot]@users.noreply.github.com".into(),
        "p-0123456789abcdef@pseudonym.invalid".into(),
    );
    assert_eq!(outcome_of(&snapshot), Outcome::Pass);
}

#[test]
fn unknown_linkage_is_not_evaluated_never_pass() {
    let rule = "  - kind: pr-required\n";
    let unknown = Via::Unknown {
        why: "no pull-request data".into(),
    };
    let (o, why) = outcome(&run(
        rule,
        vec![change(commit("aa", "dev", "x", &[]), unknown)],
    ));
    assert_eq!(o, Outcome::NotEvaluated);
    assert!(why.contains("no pull-request data"));
}

#[test]
fn independent_approval_refuses_self_approval_by_a_contributor() {
    let rule = "  - kind: independent-approval\n    min_approvals: 1\n";
    let ok = change(commit("cc", "dev", "x", &["a"]), via(pr(1, "cc")));
    assert_eq!(outcome(&run(rule, vec![ok])).0, Outcome::Pass);

    let mut own = pr(2, "dd");
    let mut c = own.commits.clone().expect("commits");
    c[1].authors.push(actor("rev"));
    own.commits = Some(c);
    let (o, why) = outcome(&run(
        rule,
        vec![change(commit("dd", "dev", "x", &["a"]), via(own))],
    ));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("rev approved but authored h2 in #2"), "{why}");
}

/// CM-02's independence over a squash commit whose message credits co-authors; the PR is by
/// `dev`, approved by `rev`.
fn approval_with_message(message: &str) -> (Outcome, String) {
    let rule = "  - kind: independent-approval\n    min_approvals: 1\n";
    let squash = change(commit("cc", "dev", message, &["a"]), via(pr(7, "cc")));
    outcome(&run(rule, vec![squash]))
}

/// Issue 15: a `Co-authored-by:` trailer without an email was dropped, so a co-author who
/// approved counted as independent. A name (or login) the data knows for one person is that
/// person.
#[test]
fn a_co_author_named_without_an_email_is_matched_by_name() {
    let (o, why) = approval_with_message("Fix rounding (#7)\n\nCo-authored-by: rev\n");
    assert_eq!(o, Outcome::Deviation, "{why}");
    assert!(
        why.contains("rev approved but is a co-author of ccccccc (named `rev` without an email)"),
        "{why}"
    );
}

/// A name nobody in the data has cannot be told apart from the approver: not evaluated, and the
/// reason names the co-author instead of silently passing.
#[test]
fn an_unidentified_co_author_leaves_independence_not_evaluated() {
    let message = "Fix rounding (#7)\n\nCo-authored-by: Nadia Ali\n";
    let (o, why) = approval_with_message(message);
    assert_eq!(o, Outcome::NotEvaluated, "{why}");
    assert!(
        why.contains("co-author `Nadia Ali` of ccccccc is named without an email and matches no one person in the data"),
        "{why}"
    );
    // Two independent approvals: at most one of them can be Nadia, so one surely is not.
    let rule = "  - kind: independent-approval\n    min_approvals: 1\n";
    let mut two = pr(8, "cc");
    let reviews = two.reviews.as_mut().expect("reviews");
    reviews.push(review("ops", ReviewState::Approved, at(2, 11), "h2"));
    let squash = change(commit("cc", "dev", message, &["a"]), via(two));
    assert_eq!(outcome(&run(rule, vec![squash])).0, Outcome::Pass);
    // Who merged could be her too.
    let merge_rule = "  - kind: no-self-merge\n";
    let squash = change(commit("cc", "dev", message, &["a"]), via(pr(7, "cc")));
    let (o, why) = outcome(&run(merge_rule, vec![squash]));
    assert_eq!(o, Outcome::NotEvaluated, "{why}");
    assert!(
        why.contains("rev merged it, but co-author `Nadia Ali`"),
        "{why}"
    );
}

/// Only the final trailer block credits anyone: a `Co-authored-by:` line in the body is prose.
#[test]
fn a_co_author_line_in_the_body_is_not_a_trailer() {
    let message =
        "Fix rounding (#7)\n\nCo-authored-by: rev <rev@example.com>\n\nrev only reviewed this.\n";
    let (o, why) = approval_with_message(message);
    assert_eq!(o, Outcome::Pass, "{why}");
}

/// Keys in any case, several trailers: each credited person is a contributor.
#[test]
fn every_co_author_trailer_counts_whatever_the_keys_case() {
    let message = "Fix rounding (#7)\n\nCO-AUTHORED-BY: Sam Ortiz <sam@example.com>\n\
                   co-authored-by: Rae <rev@example.com>\nSigned-off-by: dev <dev@example.com>\n";
    let (o, why) = approval_with_message(message);
    assert_eq!(o, Outcome::Deviation, "{why}");
    assert!(
        why.contains("rev approved but is a co-author of ccccccc"),
        "{why}"
    );
}

#[test]
fn a_later_change_request_withdraws_an_approval() {
    let rule = "  - kind: independent-approval\n";
    let mut p = pr(3, "ee");
    p.reviews.as_mut().expect("reviews").push(review(
        "rev",
        ReviewState::ChangesRequested,
        at(2, 12),
        "h2",
    ));
    let (o, why) = outcome(&run(
        rule,
        vec![change(commit("ee", "dev", "x", &[]), via(p))],
    ));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("it had 0"), "{why}");
}

#[test]
fn reviews_not_fetched_is_not_evaluated() {
    let rule = "  - kind: independent-approval\n";
    let mut p = pr(4, "ff");
    p.reviews = None;
    let (o, _) = outcome(&run(
        rule,
        vec![change(commit("ff", "dev", "x", &[]), via(p))],
    ));
    assert_eq!(o, Outcome::NotEvaluated);
}

#[test]
fn approval_on_final_commit_names_the_commits_added_after() {
    let rule = "  - kind: approval-on-final-commit\n";
    let ok = change(commit("cc", "dev", "x", &[]), via(pr(1, "cc")));
    assert_eq!(outcome(&run(rule, vec![ok])).0, Outcome::Pass);
    let mut stale = pr(5, "dd");
    stale.reviews = Some(vec![review("rev", ReviewState::Approved, at(2, 9), "h1")]);
    let (o, why) = outcome(&run(
        rule,
        vec![change(commit("dd", "dev", "x", &[]), via(stale))],
    ));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("rev approved h1"), "{why}");
    assert!(
        why.contains("1 commit was added after the approval"),
        "{why}"
    );
    assert!(why.contains("h2 (2026-08-02 10:00 UTC)"), "{why}");
}

/// Without the PR's commit list and without the clone's view, nothing says whether commits
/// were added or the branch was rewritten: the reason says so and claims neither.
#[test]
fn approval_on_an_earlier_commit_without_a_commit_list_claims_no_force_push() {
    let rule = "  - kind: approval-on-final-commit\n";
    let mut rest = pr(5, "dd");
    rest.commits = None;
    rest.reviews = Some(vec![review("rev", ReviewState::Approved, at(2, 9), "h1")]);
    let unread = change(commit("dd", "dev", "x", &[]), via(rest.clone()));
    let (o, why) = outcome(&run(rule, vec![unread]));
    assert_eq!(o, Outcome::Deviation);
    assert!(
        !why.contains("(force-push)") && !why.contains("force-pushed after"),
        "{why}"
    );
    assert!(
        why.contains("the commits of #5 are not in the data; cannot tell"),
        "{why}"
    );

    // The clone's branch: h1 approved, then main (s1) merged in and h2 on top. What the
    // approval did not cover is what h1 does not reach, whatever the list order.
    let branch_commit = |oid: &str, parents: &[&str], hour| crate::facts::BranchCommit {
        oid: oid.into(),
        parents: parents.iter().map(|p| p.to_string()).collect(),
        author: sig("dev", at(2, hour)),
        committer: sig("dev", at(2, hour)),
        message: format!("work {oid}"),
    };
    let mut read = change(commit("dd", "dev", "x", &[]), via(rest));
    read.pr_branch = crate::population::change::PrBranch::Read {
        commits: vec![
            branch_commit("s1", &["base"], 8),
            branch_commit("h1", &["base"], 9),
            branch_commit("m1", &["h1", "s1"], 10),
            branch_commit("h2", &["m1"], 11),
        ],
        reviewed: Default::default(),
    };
    let (_, why) = outcome(&run(rule, vec![read]));
    assert!(
        why.contains("3 commits were added after the approval without re-review: s1 (2026-08-02 08:00 UTC), m1 (2026-08-02 10:00 UTC), h2 (2026-08-02 11:00 UTC)"),
        "{why}"
    );
}

#[test]
fn required_checks_names_missing_and_failed_checks() {
    let rule = "  - kind: required-checks\n    checks: [build, lint]\n";
    let mut p = pr(6, "cc");
    p.checks.as_mut().expect("checks").push(StatusCheck {
        name: "lint".into(),
        conclusion: CheckConclusion::Failure,
        completed_at: None,
    });
    let (o, why) = outcome(&run(
        rule,
        vec![change(commit("cc", "dev", "x", &[]), via(p))],
    ));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("`lint` was failure"), "{why}");
    let rule = "  - kind: required-checks\n    checks: [build]\n";
    let ok = change(commit("cc", "dev", "x", &[]), via(pr(6, "cc")));
    assert_eq!(outcome(&run(rule, vec![ok])).0, Outcome::Pass);
}

fn ticket(key: &str, status: &str) -> Ticket {
    Ticket {
        key: key.into(),
        status: status.into(),
        kind: None,
        created_at: at(1, 9),
        resolved_at: None,
        approver: None,
        job: None,
        summary: String::new(),
    }
}

#[test]
fn ticket_linked_checks_presence_and_state() {
    let rule = "  - kind: ticket-linked\n    pattern: '\\bPAY-[0-9]+\\b'\n    approved_states: [Approved]\n";
    let item = || change(commit("cc", "dev", "x", &[]), via(pr(7, "cc")));
    let approved = Some(vec![ticket("PAY-1", "Approved")]);
    assert_eq!(
        outcome(&run_with(rule, "", vec![item()], approved)).0,
        Outcome::Pass
    );
    let open = Some(vec![ticket("PAY-1", "Open")]);
    let (o, why) = outcome(&run_with(rule, "", vec![item()], open));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("PAY-1 is `Open`"), "{why}");
    let (o, why) = outcome(&run_with(rule, "", vec![item()], Some(vec![])));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("PAY-1 is not in the ticket export"), "{why}");
    let (o, _) = outcome(&run_with(rule, "", vec![item()], None));
    assert_eq!(o, Outcome::NotEvaluated);
    let mut p = pr(8, "dd");
    p.title = "do the thing".into();
    let bare = change(commit("dd", "dev", "x", &[]), via(p));
    let (o, why) = outcome(&run_with(rule, "", vec![bare], Some(vec![])));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("no ticket reference"), "{why}");
}

#[test]
fn codeowner_approval_requires_an_owner_of_every_path() {
    let rule = "  - kind: codeowner-approval\n";
    let ok = change(commit("cc", "dev", "x", &["src/a.rs"]), via(pr(9, "cc")));
    assert_eq!(outcome(&run(rule, vec![ok])).0, Outcome::Pass);
    // infra/ is owned by a team; without organisation data membership is unknown.
    let infra = change(
        commit("dd", "dev", "x", &["infra/main.tf"]),
        via(pr(10, "dd")),
    );
    let (o, why) = outcome(&run(rule, vec![infra]));
    assert_eq!(o, Outcome::NotEvaluated);
    assert!(why.contains("@acme/platform"), "{why}");
}

#[test]
fn no_self_merge_and_exceptions() {
    let rule = "  - kind: no-self-merge\n";
    let mut p = pr(11, "99");
    p.merged_by = Some(actor("dev"));
    let self_merged = change(commit("99", "dev", "x", &[]), via(p.clone()));
    // EXC-1 covers api@9999999… for CM-06.
    let items = run(rule, vec![self_merged]);
    assert_eq!(items[0].outcome, Outcome::Exception);
    assert_eq!(items[0].exception.as_deref(), Some("EXC-1"));
    p.merge_commit = Some("dd".repeat(20));
    let (o, why) = outcome(&run(
        rule,
        vec![change(commit("dd", "dev", "x", &[]), via(p))],
    ));
    assert_eq!(o, Outcome::Deviation);
    assert!(why.contains("dev authored dddd"), "{why}");
}

#[test]
fn emergency_changes_need_a_timely_post_hoc_approval() {
    let rule = "  - kind: emergency-change\n    label: emergency\n    within_days: 3\n    follow_up: post-hoc-approval\n";
    let plain = change(commit("cc", "dev", "x", &[]), via(pr(12, "cc")));
    assert_eq!(outcome(&run(rule, vec![plain])).0, Outcome::NotApplicable);
    let mut p = pr(13, "dd");
    p.labels = vec!["emergency".into()];
    p.reviews = Some(vec![review("rev", ReviewState::Approved, at(5, 9), "h2")]);
    let late_ok = change(commit("dd", "dev", "x", &[]), via(p.clone()));
    let (o, why) = outcome(&run(rule, vec![late_ok]));
    assert_eq!(o, Outcome::Pass, "{why}");
    p.reviews = Some(vec![review("rev", ReviewState::Approved, at(9, 9), "h2")]);
    let too_late = change(commit("dd", "dev", "x", &[]), via(p));
    let (o, why) = outcome(&run(rule, vec![too_late]));
    assert_eq!(o, Outcome::Deviation);
    assert!(
        why.contains("rev approved only at 2026-08-09 09:00 UTC"),
        "{why}"
    );
}

#[test]
fn signed_commits_and_expressions() {
    let rule = "  - kind: signed-commits\n";
    let mut signed = commit("cc", "dev", "x", &[]);
    signed.signed = true;
    assert_eq!(
        outcome(&run(rule, vec![change(signed, via(pr(14, "cc")))])).0,
        Outcome::Pass
    );
    let unsigned = change(commit("dd", "dev", "x", &[]), via(pr(15, "dd")));
    assert_eq!(outcome(&run(rule, vec![unsigned])).0, Outcome::Deviation);

    let rule = "  - kind: expr\n    expr: (change.approvals | length) >= 2\n    message: needs two approvals\n";
    let one = change(commit("cc", "dev", "x", &[]), via(pr(16, "cc")));
    let (o, why) = outcome(&run(rule, vec![one]));
    assert_eq!(
        (o, why.as_str()),
        (Outcome::Deviation, "needs two approvals")
    );
}

#[test]
fn population_filters_record_their_exclusions() {
    let rule = "  - kind: pr-required\n";
    let extra = "  filter: not change.direct_push\n";
    let push = change(commit("aa", "dev", "x", &[]), Via::DirectPush);
    let items = run_with(rule, extra, vec![push], None);
    assert_eq!(items[0].outcome, Outcome::NotApplicable);
    assert!(
        items[0].reasons[0]
            .message
            .contains("excluded by the population filter")
    );
}

#[test]
fn owners_follow_the_most_specific_route() {
    let rule = "  - kind: pr-required\n";
    let infra = change(commit("aa", "dev", "x", &["infra/x.tf"]), Via::DirectPush);
    let app = change(commit("bb", "dev", "x", &["src/x.rs"]), Via::DirectPush);
    let items = run(rule, vec![infra, app]);
    assert_eq!(items[0].owner.as_deref(), Some("platform"));
    assert_eq!(items[1].owner.as_deref(), Some("eng"));
}

// ----- POP-00: population completeness ---------------------------------------------------------

/// The test policy minus its exception (which names a control these tests do not load).
fn policy_without_exceptions() -> &'static str {
    POLICY.split("exceptions:").next().unwrap_or(POLICY)
}

/// A full run over three changes: one only in CM-05's population (infra paths), one tested by
/// nobody, one excluded by policy.
fn completeness(exclusions: &str) -> ControlResult {
    let controls = [SourceFile {
        name: "CM-05.yaml".into(),
        bytes: control(
            "CM-05",
            "  - kind: pr-required\n",
            "  paths: [\"infra/**\"]\n  filter: not (\"skip\" in change.labels)\n",
        )
        .into_bytes(),
    }];
    let policies = [SourceFile {
        name: "policy.yaml".into(),
        bytes: format!("{}{exclusions}", policy_without_exceptions()).into_bytes(),
    }];
    let v = crate::model::load(&controls, &policies, jiff::civil::date(2026, 11, 1));
    assert_eq!(v.errors(), 0, "{:#?}", v.diagnostics);
    let catalog = v.catalog.expect("catalog");
    let mut skipped = pr(7, "cc");
    skipped.labels = vec!["skip".into()];
    let snapshot = Snapshot {
        period: "2026-Q3".into(),
        changes: vec![
            change(
                commit("aa", "dev", "infra", &["infra/main.tf"]),
                via(pr(5, "aa")),
            ),
            change(
                commit("bb", "dev", "docs", &["README.md"]),
                via(pr(6, "bb")),
            ),
            change(commit("cc", "dev", "infra", &["infra/x.tf"]), via(skipped)),
        ],
        ..Snapshot::default()
    };
    let results = evaluate(&catalog, &snapshot, &[]);
    assert!(
        evaluate(&catalog, &snapshot, &["CM-05".into()])
            .controls
            .iter()
            .all(|c| c.control != completeness::CONTROL),
        "a selection of controls cannot judge completeness"
    );
    results
        .controls
        .into_iter()
        .find(|c| c.control == completeness::CONTROL)
        .expect("POP-00 on a full run")
}

#[test]
fn an_in_scope_change_no_control_tests_is_a_completeness_deviation() {
    let pop = completeness("");
    let outcomes: Vec<(&str, Outcome)> = pop
        .items
        .iter()
        .map(|i| (&i.item[..6], i.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("api@aa", Outcome::Pass),
            ("api@bb", Outcome::Deviation),
            ("api@cc", Outcome::Deviation),
        ]
    );
    assert_eq!(pop.conclusion(), Conclusion::Deviations);
    assert_eq!(pop.items[0].evidence, ["population:CM-05"]);
    let nobody = &pop.items[1].reasons[0];
    assert_eq!(nobody.rule, "population-completeness");
    assert!(
        nobody
            .message
            .contains("in no control's changes population"),
        "{}",
        nobody.message
    );
    assert!(
        pop.items[2].reasons[0]
            .message
            .contains("CM-05 hold it but their filters leave it untested"),
        "{:?}",
        pop.items[2].reasons
    );
    assert_eq!(
        pop.items[2].owner.as_deref(),
        Some("platform"),
        "routed like any finding"
    );
}

#[test]
fn an_approved_exclusion_classifies_the_items_it_names() {
    let exclusions = r#"
exclusions:
  - id: EXCL-1
    kind: changes
    repo: api
    branch: main
    reason: Documentation-only changes are outside the SOX scope.
    approver: controller@example.com
    approved: 2026-06-30
  - id: EXCL-2
    item: "api@ccccccc"
    reason: Reverted within the hour; tested under CHG-7.
    approver: controller@example.com
    approved: 2026-06-30
"#;
    let pop = completeness(exclusions);
    assert_eq!(pop.conclusion(), Conclusion::Effective);
    let excluded: Vec<&str> = pop
        .items
        .iter()
        .filter(|i| i.outcome == Outcome::NotApplicable)
        .map(|i| i.reasons[0].message.as_str())
        .collect();
    assert_eq!(excluded.len(), 2);
    assert!(
        excluded[0]
            .starts_with("excluded by EXCL-1 (approved by controller@example.com on 2026-06-30)")
    );
}

#[test]
fn an_exclusion_that_names_nothing_or_a_reserved_id_does_not_validate() {
    let empty = "\nexclusions:\n  - id: EXCL-1\n    reason: Excludes everything at once.\n    approver: a@example.com\n    approved: 2026-06-30\n";
    let policies = [SourceFile {
        name: "policy.yaml".into(),
        bytes: format!("{}{empty}", policy_without_exceptions()).into_bytes(),
    }];
    let controls = [SourceFile {
        name: "POP-00.yaml".into(),
        bytes: control("POP-00", "  - kind: pr-required\n", "").into_bytes(),
    }];
    let v = crate::model::load(&controls, &policies, jiff::civil::date(2026, 11, 1));
    let codes: Vec<String> = v.diagnostics.iter().map(|d| d.headline()).collect();
    assert!(
        codes.iter().any(|c| c.contains("would exclude everything")),
        "{codes:#?}"
    );
    assert!(
        codes
            .iter()
            .any(|c| c.contains("built-in population completeness check")),
        "{codes:#?}"
    );
}

/// Accounts on the period's snapshots of in-scope lists and jobs defined in scope are in-scope
/// items too: one that no population holds is a completeness deviation; a job tested only
/// through its runs is held.
#[test]
fn accounts_and_jobs_in_scope_must_be_held_by_a_population() {
    use crate::population::access::AccessSnapshot;
    use crate::population::jobs::JobSnapshot;
    let catalog = catalog(&[("CM-06", "  - kind: pr-required\n", "")]);
    let list = |as_of: &str, users: &[&str]| {
        let accounts: Vec<serde_json::Value> = users
            .iter()
            .map(|u| serde_json::json!({ "user_id": u }))
            .collect();
        serde_json::json!({
            "system": "api", "list": "api-users", "as_of": as_of, "sha256": "0".repeat(64),
            "has": { "created": false, "last_login": false, "disabled": false },
            "accounts": accounts,
        })
    };
    let access: AccessSnapshot = serde_json::from_value(serde_json::json!({
        "start": "2026-07-01T00:00:00Z",
        "end": "2026-10-01T00:00:00Z",
        "lists": [list("2026-06-30T00:00:00Z", &["old"]), list("2026-09-30T00:00:00Z", &["ana", "bo"])],
    }))
    .unwrap();
    let jobs: JobSnapshot = serde_json::from_value(serde_json::json!({
        "jobs": [{ "name": "nightly", "system": "api", "versions": [] }],
        "changes": [],
    }))
    .unwrap();
    let snapshot = Snapshot {
        period: "2026-Q3".into(),
        access: Some(access),
        jobs: Some(jobs),
        ..Snapshot::default()
    };
    let policy = PolicyView::new(&catalog);
    let ids: Vec<String> = completeness::in_scope(&snapshot, &policy)
        .into_iter()
        .map(|i| i.id)
        .collect();
    // `old` is only on the baseline taken before the period.
    assert_eq!(ids, ["api-users:ana", "api-users:bo", "nightly"]);

    let mut runs_item = item_result(
        "nightly",
        "nightly".into(),
        vec![("expected-runs", Check::Pass("ran".into()))],
        vec![],
    );
    runs_item.system = Some("api".into());
    let mut held = completeness::Held::default();
    let tested = runs_item.outcome != Outcome::NotApplicable;
    held.record(PopulationKind::JobRuns, &runs_item.item, "CO-01", tested);
    let pop = completeness::result(&catalog, &snapshot, &policy, &held);
    let outcomes: Vec<(&str, Outcome)> = pop
        .items
        .iter()
        .map(|i| (i.item.as_str(), i.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("api-users:ana", Outcome::Deviation),
            ("api-users:bo", Outcome::Deviation),
            ("nightly", Outcome::Pass),
        ]
    );
    assert!(
        pop.items[0].reasons[0]
            .message
            .contains("in no control's accounts population"),
        "{:?}",
        pop.items[0].reasons
    );
    assert_eq!(
        pop.items[0].owner.as_deref(),
        Some("eng"),
        "the system's owner"
    );
}

/// An in-scope system of the inventory that declares nothing a population draws from is a
/// completeness deviation until an exclusion names it.
#[test]
fn an_in_scope_system_with_no_sources_must_be_excluded_by_name() {
    let system = "  - id: hr\n    name: HR system\n    owner: eng\n    in_scope: [sox]\n";
    let load = |extra: &str| {
        let policy =
            policy_without_exceptions().replacen("systems:\n", &format!("systems:\n{system}"), 1);
        let policies = [SourceFile {
            name: "policy.yaml".into(),
            bytes: format!("{policy}{extra}").into_bytes(),
        }];
        let controls = [SourceFile {
            name: "CM-06.yaml".into(),
            bytes: control("CM-06", "  - kind: pr-required\n", "").into_bytes(),
        }];
        let v = crate::model::load(&controls, &policies, jiff::civil::date(2026, 11, 1));
        assert_eq!(v.errors(), 0, "{:#?}", v.diagnostics);
        let catalog = v.catalog.expect("catalog");
        let results = evaluate(&catalog, &Snapshot::default(), &[]);
        let pop = results
            .controls
            .into_iter()
            .find(|c| c.control == completeness::CONTROL)
            .expect("POP-00");
        pop.items
            .into_iter()
            .find(|i| i.item == "system:hr")
            .expect("the system is an item")
    };
    let item = load("");
    assert_eq!(item.outcome, Outcome::Deviation);
    assert!(
        item.reasons[0]
            .message
            .contains("declares no repo, access list or job")
    );
    let excluded = load(
        "\nexclusions:\n  - id: EXCL-9\n    system: hr\n    reason: Read-only reporting copy, outside SOX.\n    approver: controller@example.com\n    approved: 2026-06-30\n",
    );
    assert_eq!(excluded.outcome, Outcome::NotApplicable);
    assert!(
        excluded.reasons[0]
            .message
            .starts_with("excluded by EXCL-9")
    );
}

/// CM-09 as the catalogue writes it.
const CM_09: &str = "  - kind: expr\n    expr: (change.files_changed | length) < 500 or (change.approvals | length) >= 2\n    message: needs a second approval\n";

fn no_pr_data() -> Via {
    Via::Unknown {
        why: "no pull-request data was imported or synced for api".into(),
    }
}

fn large(oid: &str) -> Commit {
    let mut c = commit(oid, "dev", "a large change", &[]);
    c.paths = (0..600).map(|i| format!("src/f{i}.rs")).collect();
    c
}

fn reasons(item: &ItemResult) -> String {
    let all: Vec<&str> = item.reasons.iter().map(|r| r.message.as_str()).collect();
    all.join("; ")
}

/// Issue 15: with no PR data at all, CM-09 called a large merge a deviation (its approvals
/// read as `[]`). Unknown approvals leave it not evaluated; a small change still concludes on
/// its size (`or` never reads the approvals); a direct push truly has none.
#[test]
fn an_expression_on_pr_data_the_store_lacks_is_not_evaluated() {
    let items = run(CM_09, vec![change(large("aa"), no_pr_data())]);
    assert_eq!(items[0].outcome, Outcome::NotEvaluated, "{items:?}");
    let why = reasons(&items[0]);
    assert!(
        why.contains("`change.approvals` is unknown: no pull-request data for this change"),
        "{why}"
    );
    let small = change(commit("bb", "dev", "small", &["a.rs"]), no_pr_data());
    assert_eq!(run(CM_09, vec![small])[0].outcome, Outcome::Pass);
    let pushed = change(large("cc"), Via::DirectPush);
    assert_eq!(run(CM_09, vec![pushed])[0].outcome, Outcome::Deviation);
}

/// The labels of a PR missing from the data, the reviews or checks of a PR synced without
/// them, and a misspelt attribute: each is unknown, never `[]` (which `length`, `in` and
/// `==` would read as a conclusion).
#[test]
fn unknown_and_misspelt_attributes_never_conclude() {
    let named_pr = Via::Unknown {
        why: "the commit message names pull request #77, which is not in the pull-request data for api".into(),
    };
    let labels =
        "  - kind: expr\n    expr: not (\"emergency\" in change.labels)\n    message: emergency\n";
    let items = run(
        labels,
        vec![change(commit("aa", "dev", "x (#77)", &[]), named_pr)],
    );
    assert_eq!(items[0].outcome, Outcome::NotEvaluated, "{items:?}");
    assert!(
        reasons(&items[0]).contains("`change.labels` is unknown"),
        "{items:?}"
    );

    let mut unreviewed = pr(20, "bb");
    unreviewed.reviews = None;
    unreviewed.checks = None;
    for (expr, unknown) in [
        (
            "(change.approvals | length) == 0",
            "`change.approvals` is unknown: the reviews of #20 were not fetched",
        ),
        (
            "(change.pull_request.checks | length) == 0",
            "`change.pull_request.checks` is unknown: the status checks of #20",
        ),
        (
            "(change.aprovals | length) == 0",
            "`change` has no attribute `aprovals`",
        ),
    ] {
        let rule = format!("  - kind: expr\n    expr: {expr}\n    message: m\n");
        let one = change(commit("bb", "dev", "x", &[]), via(unreviewed.clone()));
        let items = run(&rule, vec![one]);
        assert_eq!(items[0].outcome, Outcome::NotEvaluated, "{expr}: {items:?}");
        assert!(reasons(&items[0]).contains(unknown), "{expr}: {items:?}");
    }
}

/// A run that keeps findings only still keeps the items a followed finding names, whatever
/// their outcome (so a fixed item is not taken for one that left); dropping them again gives
/// exactly the findings-only results.
#[test]
fn watched_items_are_kept_and_dropping_them_again_changes_nothing() {
    use crate::evaluate::{Keep, Watch, evaluate_keeping, evaluate_watching};
    let catalog = catalog(&[("CM-06", "  - kind: pr-required\n", "")]);
    let snapshot = Snapshot {
        period: "2026-Q3".into(),
        changes: vec![
            change(commit("aa", "dev", "hotfix", &["a"]), Via::DirectPush),
            change(commit("cc", "dev", "x (#1)", &["a"]), via(pr(1, "cc"))),
            change(commit("dd", "dev", "y (#2)", &["a"]), via(pr(2, "dd"))),
        ],
        ..Snapshot::default()
    };
    let plain = evaluate_keeping(&catalog, &snapshot, &[], Keep::Findings);
    let passing = plain.controls[0].elided.tally.pass;
    assert_eq!(passing, 2, "{plain:#?}");
    let watched_id = {
        let every = evaluate(&catalog, &snapshot, &[]);
        let c = &every.controls[0];
        c.items
            .iter()
            .find(|i| i.outcome == Outcome::Pass)
            .unwrap()
            .item
            .clone()
    };
    let watch: Watch = [("CM-06".to_string(), [watched_id.clone()].into())].into();
    let mut watched = evaluate_watching(&catalog, &snapshot, &[], Keep::Findings, &watch);
    let ids: Vec<&str> = watched.controls[0]
        .items
        .iter()
        .map(|i| i.item.as_str())
        .collect();
    assert!(ids.contains(&watched_id.as_str()), "{ids:?}");
    assert_eq!(ids.len(), 2, "the deviation and the watched pass: {ids:?}");
    assert_eq!(watched.controls[0].tally(), plain.controls[0].tally());
    for c in &mut watched.controls {
        c.retain(Keep::Findings);
    }
    assert_eq!(watched, plain);
}
