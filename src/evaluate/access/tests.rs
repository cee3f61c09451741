//! Every logical-access rule passing and failing, and failing closed, on snapshots built in
//! code.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, date};

use super::super::{Outcome, evaluate};
use crate::facts::Ticket;
use crate::model::{Catalog, SourceFile};
use crate::population::Snapshot;
use crate::population::access::{
    AccessSnapshot, Account, Decision, Has, ListSnapshot, Person, ReviewDecision, Roster, RosterHas,
};

const POLICY: &str = r#"
organisation: { name: Test Org }
teams:
  - { id: sec, name: Security }
  - { id: platform, name: Platform }
people:
  - id: hr
    format: csv
    aliases: { "al@old.example": "al@x.example" }
systems:
  - id: aws
    name: AWS
    owner: platform
    in_scope: [sox]
    access_lists:
      - id: aws-iam
        format: csv
        columns: { user_id: user, email: email, role: groups, created: created,
                   last_login: last_login, disabled: status }
        privileged_roles: [Admins]
groups:
  - id: admins
    description: May hold administrator roles.
    members: [al@x.example]
bots:
  - login: svc-ci
    purpose: Deploys from CI.
    owner: platform
exceptions:
  - id: EXC-1
    control: LA-02
    item: "aws-iam:excused"
    reason: A break-glass account kept on purpose.
    approver: al@x.example
    ticket: SEC-1
    approved: 2026-01-01
    expires: 2026-12-31
"#;

fn catalog(kind: &str, rules: &str, extra: &str) -> Catalog {
    catalog_with(POLICY, kind, rules, extra)
}

fn catalog_with(policy: &str, kind: &str, rules: &str, extra: &str) -> Catalog {
    let control = format!(
        "id: LA-02\ntitle: Test access control\nobjective: Objective of the test control.\nrisk: Risk the test control addresses.\ndomain: logical-access\nframeworks: {{ sox: [access-to-programs-and-data] }}\nowner: sec\nfrequency: quarterly\nseverity: high\npopulation:\n  kind: {kind}\n{extra}rules:\n{rules}"
    );
    let files = [SourceFile {
        name: "LA-02.yaml".into(),
        bytes: control.into_bytes(),
    }];
    let policies = [SourceFile {
        name: "policy.yaml".into(),
        bytes: policy.as_bytes().to_vec(),
    }];
    let v = crate::model::load(&files, &policies, date(2026, 11, 1));
    assert_eq!(v.errors(), 0, "{:#?}", v.diagnostics);
    v.catalog.expect("catalog")
}

fn at(d: Date) -> Timestamp {
    jiff::tz::TimeZone::UTC
        .to_timestamp(d.at(8, 0, 0, 0))
        .unwrap()
}

fn account(user: &str, email: Option<&str>, roles: &[&str]) -> Account {
    Account {
        user_id: user.into(),
        email: email.map(str::to_string),
        display_name: None,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        privileged: None,
        created: Some(at(date(2024, 1, 1))),
        last_login: Some(at(date(2026, 9, 20))),
        uses: Vec::new(),
        disabled: false,
        mfa: None,
        password: None,
        attributes: Default::default(),
    }
}

fn list(as_of: Date, accounts: Vec<Account>) -> ListSnapshot {
    let mut accounts = accounts;
    accounts.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    ListSnapshot {
        system: "aws".into(),
        list: "aws-iam".into(),
        as_of: at(as_of),
        sha256: "0".repeat(64),
        has: Has {
            created: true,
            last_login: true,
            disabled: true,
            roles: true,
            mfa: false,
            password: false,
        },
        activity: Vec::new(),
        accounts,
    }
}

fn person(id: &str, email: &str, manager: Option<&str>) -> Person {
    Person {
        employee_id: id.into(),
        email: email.into(),
        name: Some(format!("Person {id}")),
        aliases: vec![],
        local_parts: vec![],
        login: None,
        status: "active".into(),
        hired: None,
        terminated: None,
        manager: manager.map(str::to_string),
        department: None,
        team: None,
    }
}

fn roster() -> Roster {
    let mut bo = person("E2", "bo@x.example", Some("E1"));
    bo.status = "terminated".into();
    bo.terminated = Some(date(2026, 8, 14));
    Roster {
        as_of: at(date(2026, 10, 1)),
        sha256: "1".repeat(64),
        has: RosterHas::default(),
        people: vec![
            person("E1", "al@x.example", None),
            bo,
            person("E3", "cy@x.example", Some("E1")),
        ],
    }
}

fn snapshot(lists: Vec<ListSnapshot>) -> Snapshot {
    Snapshot {
        period: "2026-Q3".into(),
        access: Some(AccessSnapshot {
            start: at(date(2026, 7, 1)),
            end: at(date(2026, 10, 1)),
            lists,
            roster: Some(roster()),
            reviews: Some(Vec::new()),
            gaps: Vec::new(),
        }),
        ..Snapshot::default()
    }
}

/// Outcome per item id, and the control's gaps.
fn run(
    catalog: &Catalog,
    snapshot: &Snapshot,
) -> (BTreeMap<String, (Outcome, String)>, Vec<String>) {
    let results = evaluate(catalog, snapshot, &[]);
    let control = &results.controls[0];
    let items = control
        .items
        .iter()
        .map(|i| {
            let why: Vec<&str> = i.reasons.iter().map(|r| r.message.as_str()).collect();
            (i.item.clone(), (i.outcome, why.join("; ")))
        })
        .collect();
    (items, control.gaps.clone())
}

fn outcome(items: &BTreeMap<String, (Outcome, String)>, id: &str) -> Outcome {
    items
        .get(id)
        .unwrap_or_else(|| panic!("no item {id}: {items:?}"))
        .0
}

#[test]
fn terminated_access_must_be_gone_by_the_deadline_and_needs_a_roster() {
    let c = catalog(
        "accounts",
        "  - kind: terminated-access-removed\n    within_days: 1\n",
        "",
    );
    let bo = account("bo", Some("bo@x.example"), &[]);
    let mut gone = account("bo-old", Some("bo@x.example"), &[]);
    gone.disabled = true;
    let snap = snapshot(vec![list(
        date(2026, 10, 1),
        vec![bo, gone, account("cy", Some("cy@x.example"), &[])],
    )]);
    let (items, gaps) = run(&c, &snap);
    assert!(gaps.is_empty(), "{gaps:?}");
    assert_eq!(outcome(&items, "aws-iam:bo"), Outcome::Deviation);
    assert!(
        items["aws-iam:bo"].1.contains("left on 2026-08-14"),
        "{items:?}"
    );
    assert_eq!(outcome(&items, "aws-iam:bo-old"), Outcome::Pass);
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::NotApplicable);
    // No roster: the control is incomplete, never passed.
    let mut no_roster = snap.clone();
    no_roster.access.as_mut().unwrap().roster = None;
    let (items, gaps) = run(&c, &no_roster);
    assert!(
        items.is_empty() && gaps[0].contains("no HR roster"),
        "{gaps:?}"
    );
    // HR says terminated without a date: not evaluated.
    let mut undated = snap;
    let people = &mut undated
        .access
        .as_mut()
        .unwrap()
        .roster
        .as_mut()
        .unwrap()
        .people;
    people[1].terminated = None;
    let (items, _) = run(&c, &undated);
    assert_eq!(outcome(&items, "aws-iam:bo"), Outcome::NotEvaluated);
    // A roster exported without its end-date column: the leaver is not evaluated, and says why.
    let roster = undated.access.as_mut().unwrap().roster.as_mut().unwrap();
    roster.has.end_date = false;
    let (items, _) = run(&c, &undated);
    assert_eq!(outcome(&items, "aws-iam:bo"), Outcome::NotEvaluated);
    assert!(
        items["aws-iam:bo"].1.contains("no end-date column"),
        "{items:?}"
    );
}

#[test]
fn orphans_resolve_by_alias_plus_address_local_part_and_service_accounts() {
    let c = catalog("accounts", "  - kind: orphan-accounts\n", "");
    let snap = snapshot(vec![list(
        date(2026, 10, 1),
        vec![
            account("al-alias", Some("AL@old.example"), &[]),
            account("al-plus", Some("al+aws@x.example"), &[]),
            account("cy", None, &[]),
            account("svc-ci", None, &[]),
            account("nobody", Some("nobody@elsewhere.example"), &[]),
            account("excused", None, &[]),
        ],
    )]);
    let (items, _) = run(&c, &snap);
    for id in [
        "aws-iam:al-alias",
        "aws-iam:al-plus",
        "aws-iam:cy",
        "aws-iam:svc-ci",
    ] {
        assert_eq!(outcome(&items, id), Outcome::Pass, "{id}: {items:?}");
    }
    assert_eq!(outcome(&items, "aws-iam:nobody"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:excused"), Outcome::Exception);
}

#[test]
fn dormancy_is_measured_at_the_export_and_the_filter_excludes_disabled_accounts() {
    let c = catalog(
        "accounts",
        "  - kind: dormant-accounts\n    max_idle_days: 90\n",
        "  filter: not account.disabled\n",
    );
    let mut idle = account("idle", None, &[]);
    idle.last_login = Some(at(date(2026, 6, 1)));
    let mut fresh = account("fresh", None, &[]);
    fresh.last_login = None;
    fresh.created = Some(at(date(2026, 9, 1)));
    let mut off = idle.clone();
    off.user_id = "off".into();
    off.disabled = true;
    let snap = snapshot(vec![list(date(2026, 10, 1), vec![idle, fresh, off])]);
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:idle"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:fresh"), Outcome::Pass);
    assert_eq!(outcome(&items, "aws-iam:off"), Outcome::NotApplicable);
    assert!(items["aws-iam:off"].1.contains("population filter"));
    let mut no_column = snap;
    no_column.access.as_mut().unwrap().lists[0].has.last_login = false;
    let (items, _) = run(&c, &no_column);
    assert_eq!(outcome(&items, "aws-iam:idle"), Outcome::NotEvaluated);
}

fn ticket(key: &str, summary: &str, approver: &str) -> Ticket {
    Ticket {
        key: key.into(),
        status: "Approved".into(),
        kind: None,
        created_at: at(date(2026, 7, 2)),
        resolved_at: None,
        approver: Some(approver.into()),
        job: None,
        summary: summary.into(),
    }
}

#[test]
fn privileged_roles_need_the_group_or_an_approved_request_and_tickets_to_look_in() {
    let c = catalog(
        "accounts",
        "  - kind: privileged-access-approved\n    approved_group: admins\n    allow_ticket: true\n",
        "",
    );
    let accounts = vec![
        account("al", Some("al@x.example"), &["Admins"]),
        account("cy", Some("cy@x.example"), &["Admins"]),
        account("bo", Some("bo@x.example"), &["Admins"]),
        account("dee", None, &["Readers"]),
    ];
    let mut snap = snapshot(vec![list(date(2026, 10, 1), accounts)]);
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:al"), Outcome::Pass);
    assert_eq!(
        outcome(&items, "aws-iam:cy"),
        Outcome::NotEvaluated,
        "no ticket export"
    );
    assert_eq!(outcome(&items, "aws-iam:dee"), Outcome::NotApplicable);
    snap.tickets = Some(vec![
        ticket("SEC-7", "Grant AWS Admins to cy", "al@x.example"),
        ticket("SEC-8", "Grant AWS Admins to bo", "bo@x.example"),
    ]);
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::Pass);
    assert_eq!(
        outcome(&items, "aws-iam:bo"),
        Outcome::Deviation,
        "self-approved: {items:?}"
    );
    // No role, groups or privileged column mapped: nobody looks privileged, so nothing passes.
    snap.access.as_mut().unwrap().lists[0].has.roles = false;
    let (items, _) = run(&c, &snap);
    for id in ["aws-iam:al", "aws-iam:dee"] {
        assert_eq!(outcome(&items, id), Outcome::NotEvaluated, "{items:?}");
    }
    assert!(items["aws-iam:al"].1.contains("roles are unknown"));
}

#[test]
fn conflicting_roles_held_by_one_person_across_accounts_are_found() {
    let c = catalog(
        "accounts",
        "  - kind: segregation-of-duties\n    conflicts:\n      - { a: Admins, b: Developers, reason: deploys own code }\n",
        "",
    );
    let snap = snapshot(vec![list(
        date(2026, 10, 1),
        vec![
            account("al-admin", Some("al@x.example"), &["Admins"]),
            account("al-dev", Some("al@x.example"), &["developers"]),
            account("cy", Some("cy@x.example"), &["Developers", "Readers"]),
        ],
    )]);
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:al-admin"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:al-dev"), Outcome::Deviation);
    assert!(items["aws-iam:al-dev"].1.contains("deploys own code"));
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::Pass);
    let mut no_roles = snap;
    no_roles.access.as_mut().unwrap().lists[0].has.roles = false;
    let (items, _) = run(&c, &no_roles);
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::NotEvaluated);
}

/// POLICY with `conflicting_roles` on the aws system.
fn policy_with_conflicts(conflicts: &str) -> String {
    let policy = POLICY.replacen(
        "    in_scope: [sox]\n",
        &format!("    in_scope: [sox]\n    conflicting_roles: {conflicts}\n"),
        1,
    );
    assert_ne!(policy, POLICY);
    policy
}

#[test]
fn a_rule_without_pairs_tests_each_systems_declared_conflicting_roles() {
    let rules = "  - kind: segregation-of-duties\n";
    let accounts = || {
        vec![
            account("al-admin", Some("al@x.example"), &["Admins"]),
            account("al-dev", Some("al@x.example"), &["developers"]),
            account("cy", Some("cy@x.example"), &["Developers", "Readers"]),
        ]
    };
    let snap = snapshot(vec![list(date(2026, 10, 1), accounts())]);

    let pairs = "[{ a: Admins, b: Developers, reason: deploys own code }]";
    let c = catalog_with(&policy_with_conflicts(pairs), "accounts", rules, "");
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:al-admin"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:al-dev"), Outcome::Deviation);
    assert!(
        items["aws-iam:al-dev"]
            .1
            .contains("Admins and Developers on aws: deploys own code")
    );
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::Pass);

    // Declared as none: nothing conflicts, and that is known.
    let c = catalog_with(&policy_with_conflicts("[]"), "accounts", rules, "");
    let (items, _) = run(&c, &snap);
    for id in ["aws-iam:al-admin", "aws-iam:al-dev", "aws-iam:cy"] {
        assert_eq!(outcome(&items, id), Outcome::Pass, "{items:?}");
    }

    // Not declared at all: unknown, not "no conflicts".
    let c = catalog("accounts", rules, "");
    let (items, _) = run(&c, &snap);
    for id in ["aws-iam:al-admin", "aws-iam:al-dev", "aws-iam:cy"] {
        assert_eq!(outcome(&items, id), Outcome::NotEvaluated, "{items:?}");
    }
    let why = &items["aws-iam:cy"].1;
    assert!(
        why.contains("policy declares no `conflicting_roles` for system aws"),
        "{why}"
    );

    // A control's own pairs still apply, whatever the system declares.
    let own = "  - kind: segregation-of-duties\n    conflicts:\n      - { a: Developers, b: Readers, reason: reads what they write }\n";
    let c = catalog_with(&policy_with_conflicts(pairs), "accounts", own, "");
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:al-admin"), Outcome::Pass);
}

/// An account with its `mfa` and `password` columns as mapped.
fn signer(user: &str, password: Option<bool>, mfa: Option<bool>) -> Account {
    let mut a = account(user, None, &[]);
    a.password = password;
    a.mfa = mfa;
    a
}

#[test]
fn mfa_and_password_columns_are_known_only_where_mapped_and_filled() {
    let c = catalog(
        "accounts",
        "  - kind: expr\n    expr: account.mfa or not account.password_enabled\n    message: no MFA\n",
        "",
    );
    let accounts = vec![
        signer("pw-no-mfa", Some(true), Some(false)),
        signer("pw-mfa", Some(true), Some(true)),
        signer("api-only", Some(false), Some(false)),
        signer("mfa-blank", Some(false), None),
        signer("pw-unknown", None, Some(false)),
        signer("root", None, Some(true)),
    ];
    let mut snap = snapshot(vec![list(date(2026, 10, 1), accounts)]);
    let has = &mut snap.access.as_mut().unwrap().lists[0].has;
    has.mfa = true;
    has.password = true;
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:pw-no-mfa"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:pw-mfa"), Outcome::Pass);
    assert_eq!(outcome(&items, "aws-iam:api-only"), Outcome::Pass);
    assert_eq!(
        outcome(&items, "aws-iam:root"),
        Outcome::Pass,
        "MFA decides alone"
    );
    for id in ["aws-iam:mfa-blank", "aws-iam:pw-unknown"] {
        assert_eq!(outcome(&items, id), Outcome::NotEvaluated, "{items:?}");
    }
    assert!(
        items["aws-iam:mfa-blank"]
            .1
            .contains("the mfa column of access list aws-iam is empty")
    );
    assert!(
        items["aws-iam:pw-unknown"]
            .1
            .contains("`account.password_enabled` is unknown")
    );

    // No password column: every account is taken to sign in with a password.
    snap.access.as_mut().unwrap().lists[0].has.password = false;
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:api-only"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:pw-unknown"), Outcome::Deviation);

    // No mfa column: unknown for every account, never "no MFA".
    snap.access.as_mut().unwrap().lists[0].has.mfa = false;
    let (items, _) = run(&c, &snap);
    for id in ["aws-iam:pw-mfa", "aws-iam:api-only", "aws-iam:root"] {
        assert_eq!(outcome(&items, id), Outcome::NotEvaluated, "{items:?}");
    }
    assert!(
        items["aws-iam:root"]
            .1
            .contains("access list aws-iam has no mfa column mapped in policy")
    );
}

fn decision(
    account: &str,
    reviewer: &str,
    decision: Option<Decision>,
    day: Date,
) -> ReviewDecision {
    ReviewDecision {
        campaign: "Q3".into(),
        system: "aws".into(),
        account: account.into(),
        entitlement: None,
        reviewer: Some(reviewer.into()),
        decision,
        decided_at: decision.map(|_| at(day)),
        comment: "".into(),
    }
}

#[test]
fn reviews_must_be_decided_in_the_period_by_someone_independent() {
    let c = catalog(
        "access-reviews",
        "  - kind: review-complete\n    reviewer_not_report: true\n",
        "",
    );
    let keep = Some(Decision::Keep);
    let mut snap = snapshot(vec![list(
        date(2026, 10, 1),
        vec![
            account("al", Some("al@x.example"), &[]),
            account("cy", Some("cy@x.example"), &[]),
            account("bo", Some("bo@x.example"), &[]),
            account("dee", None, &[]),
            account("eve", None, &[]),
        ],
    )]);
    snap.access.as_mut().unwrap().reviews = Some(vec![
        decision("al", "cy@x.example", keep, date(2026, 9, 1)),
        decision("cy", "cy@x.example", keep, date(2026, 9, 1)),
        decision("bo", "al@x.example", keep, date(2026, 9, 1)),
        decision("dee", "al@x.example", None, date(2026, 9, 1)),
    ]);
    let (items, gaps) = run(&c, &snap);
    assert!(gaps.is_empty());
    assert_eq!(
        outcome(&items, "aws-iam:al"),
        Outcome::Deviation,
        "cy reports to al"
    );
    assert!(
        items["aws-iam:al"]
            .1
            .contains("reports to the account holder")
    );
    assert_eq!(
        outcome(&items, "aws-iam:cy"),
        Outcome::Deviation,
        "self-review"
    );
    assert_eq!(outcome(&items, "aws-iam:bo"), Outcome::Pass);
    assert_eq!(
        outcome(&items, "aws-iam:dee"),
        Outcome::Deviation,
        "undecided"
    );
    assert_eq!(
        outcome(&items, "aws-iam:eve"),
        Outcome::Deviation,
        "never reviewed"
    );
    // A roster without a manager column: who reports to whom is unknown, so not evaluated.
    let mut no_manager = snap.clone();
    let roster = no_manager.access.as_mut().unwrap().roster.as_mut().unwrap();
    roster.has.manager = false;
    let (items, _) = run(&c, &no_manager);
    assert_eq!(outcome(&items, "aws-iam:al"), Outcome::NotEvaluated);
    assert!(items["aws-iam:al"].1.contains("no manager column"));
    snap.access.as_mut().unwrap().reviews = None;
    let (items, gaps) = run(&c, &snap);
    assert!(
        items.is_empty() && gaps[0].contains("no review campaign"),
        "{gaps:?}"
    );
}

#[test]
fn revocations_and_grants_are_proven_by_consecutive_snapshots() {
    let c = catalog(
        "accounts",
        "  - kind: revocations-executed\n    within_days: 5\n  - kind: new-access-approved\n    approved_states: [Approved]\n",
        "",
    );
    let old = |id: &str| {
        let mut a = account(id, None, &[]);
        a.created = Some(at(date(2025, 1, 1)));
        a
    };
    let baseline = list(
        date(2026, 6, 30),
        vec![old("kept"), old("late"), old("done")],
    );
    let september = list(
        date(2026, 9, 1),
        vec![old("kept"), old("late"), old("done"), old("new")],
    );
    let october = list(
        date(2026, 10, 1),
        vec![old("kept"), old("late"), old("new"), old("rogue")],
    );
    let mut snap = snapshot(vec![baseline, september, october]);
    snap.access.as_mut().unwrap().reviews = Some(vec![
        decision(
            "late",
            "al@x.example",
            Some(Decision::Revoke),
            date(2026, 8, 20),
        ),
        decision(
            "done",
            "al@x.example",
            Some(Decision::Revoke),
            date(2026, 8, 28),
        ),
    ]);
    snap.tickets = Some(vec![ticket("SEC-9", "aws access for new", "al@x.example")]);
    let (items, gaps) = run(&c, &snap);
    assert!(gaps.is_empty(), "{gaps:?}");
    assert_eq!(
        outcome(&items, "aws-iam:late"),
        Outcome::Deviation,
        "{items:?}"
    );
    assert_eq!(
        outcome(&items, "aws-iam:done"),
        Outcome::Pass,
        "gone on 2026-10-01: {items:?}"
    );
    assert_eq!(outcome(&items, "aws-iam:kept"), Outcome::NotApplicable);
    assert_eq!(
        outcome(&items, "aws-iam:new"),
        Outcome::Pass,
        "granted on request: {items:?}"
    );
    assert_eq!(
        outcome(&items, "aws-iam:rogue"),
        Outcome::Deviation,
        "no request"
    );
}

/// Issue 15: a column the account's row does not have is unknown, not `""` (which passed
/// LA-09 for any export without the MFA columns).
#[test]
fn expressions_see_attributes_and_a_missing_column_is_unknown() {
    let c = catalog(
        "accounts",
        "  - kind: expr\n    expr: (account.attributes.mfa | string | lower) != \"false\"\n    message: no MFA\n",
        "",
    );
    let mut no_mfa = account("no-mfa", None, &[]);
    no_mfa
        .attributes
        .insert("mfa".into(), serde_json::json!(false));
    let mut with_mfa = account("with-mfa", None, &[]);
    with_mfa
        .attributes
        .insert("mfa".into(), serde_json::json!("TRUE"));
    let snap = snapshot(vec![list(
        date(2026, 10, 1),
        vec![no_mfa, with_mfa, account("none", None, &[])],
    )]);
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:no-mfa"), Outcome::Deviation);
    assert_eq!(outcome(&items, "aws-iam:with-mfa"), Outcome::Pass);
    assert_eq!(outcome(&items, "aws-iam:none"), Outcome::NotEvaluated);
    let why = &items["aws-iam:none"].1;
    assert!(
        why.contains("`account.attributes.mfa` is unknown: the export of access list aws-iam has no such column"),
        "{why}"
    );
    let typo = catalog(
        "accounts",
        "  - kind: expr\n    expr: account.disabeld\n    message: x\n",
        "",
    );
    let (items, _) = run(&typo, &snap);
    assert_eq!(
        outcome(&items, "aws-iam:none"),
        Outcome::NotEvaluated,
        "a misspelt field is not false"
    );
}

#[test]
fn a_missing_list_or_no_access_data_is_a_gap() {
    let c = catalog("accounts", "  - kind: orphan-accounts\n", "");
    let mut snap = snapshot(vec![]);
    snap.access
        .as_mut()
        .unwrap()
        .gaps
        .push(crate::population::Gap {
            scope: "system:aws".into(),
            why: "access list aws-iam has no snapshot".into(),
        });
    let (items, gaps) = run(&c, &snap);
    assert!(items.is_empty());
    assert_eq!(gaps, ["system:aws: access list aws-iam has no snapshot"]);
    let (_, gaps) = run(&c, &Snapshot::default());
    assert!(gaps[0].contains("no access data"), "{gaps:?}");
}

#[test]
fn keeping_findings_only_changes_what_is_held_not_what_is_concluded() {
    use super::super::{Keep, evaluate_keeping};
    use crate::report::owners::by_owner;
    let c = catalog(
        "accounts",
        "  - kind: dormant-accounts\n    max_idle_days: 90\n",
        "  filter: not account.disabled\n",
    );
    let mut idle = account("idle", None, &[]);
    idle.last_login = Some(at(date(2026, 6, 1)));
    let mut off = idle.clone();
    off.user_id = "off".into();
    off.disabled = true;
    let mut excused = idle.clone();
    excused.user_id = "excused".into();
    let accounts = vec![idle, off, excused, account("al", Some("al@x.example"), &[])];
    let snap = snapshot(vec![list(date(2026, 10, 1), accounts)]);

    let every = evaluate_keeping(&c, &snap, &[], Keep::Every);
    let findings = evaluate_keeping(&c, &snap, &[], Keep::Findings);
    assert_eq!(every.controls.len(), 2, "LA-02 and POP-00");
    for (e, f) in every.controls.iter().zip(&findings.controls) {
        assert_eq!(e.control, f.control);
        assert_eq!(e.tally(), f.tally(), "{}", e.control);
        assert_eq!(e.population, f.population, "{}", e.control);
        assert_eq!(e.conclusion(), f.conclusion(), "{}", e.control);
        let kept: Vec<_> = crate::report::findings(&e.items).collect();
        assert_eq!(kept, f.items.iter().collect::<Vec<_>>(), "{}", e.control);
    }
    assert_eq!(by_owner(&every), by_owner(&findings));
    let la = &findings.controls[0];
    let ids: Vec<&str> = la.items.iter().map(|i| i.item.as_str()).collect();
    assert_eq!(ids, ["aws-iam:excused", "aws-iam:idle"]);
    assert_eq!(la.elided.tally.pass, 1);
    assert_eq!(la.elided.tally.not_applicable, 1);
    assert_eq!(la.tally().population, 4);
    // POP-00 still sees which accounts LA-02 tested, though it kept two of them: the one its
    // filter left untested is the completeness deviation.
    let pop = &findings.controls[1];
    assert_eq!(pop.tally().pass, 3);
    let untested: Vec<&str> = pop.items.iter().map(|i| i.item.as_str()).collect();
    assert_eq!(untested, ["aws-iam:off"]);
}

#[test]
fn review_decisions_are_found_by_system_and_account_in_any_case() {
    let decision = |system: &str, account: &str, campaign: &str| ReviewDecision {
        campaign: campaign.into(),
        system: system.into(),
        account: account.into(),
        entitlement: None,
        reviewer: None,
        decision: Some(Decision::Keep),
        decided_at: None,
        comment: "".into(),
    };
    let decisions = vec![
        decision("aws", "Bo", "q3"),
        decision("okta", "bo", "q3"),
        decision("aws", "bo", "q4"),
        decision("aws", "bob", "q3"),
        decision("aws", "ÉLA", "q3"),
    ];
    let reviews = super::Reviews::new(&decisions);
    let found = |system: &str, account: &str| -> Vec<(String, String)> {
        let mut v: Vec<_> = reviews
            .of(system, account)
            .into_iter()
            .map(|d| (d.account.to_string(), d.campaign.to_string()))
            .collect();
        v.sort();
        v
    };
    let bo = vec![
        ("Bo".to_string(), "q3".to_string()),
        ("bo".into(), "q4".into()),
    ];
    assert_eq!(found("aws", "bo"), bo);
    assert_eq!(found("aws", "BO"), bo);
    assert_eq!(found("okta", "Bo"), [("bo".to_string(), "q3".to_string())]);
    assert_eq!(found("aws", "éla").len(), 1);
    assert!(found("aws", "b").is_empty());
    assert!(found("gcp", "bo").is_empty());
}

/// Issue 15: a column the list's mapping or the roster lacks is unknown to expressions, never
/// `false` or none: `not account.disabled` on a list without a disabled column used to keep
/// every account as enabled, and `account.person.terminated is none` passed leavers when the
/// roster has no end-date column.
#[test]
fn columns_an_import_recorded_as_absent_are_unknown() {
    let c = catalog(
        "accounts",
        "  - kind: dormant-accounts\n    max_idle_days: 90\n",
        "  filter: not account.disabled\n",
    );
    let mut idle = account("idle", None, &[]);
    idle.last_login = Some(at(date(2026, 6, 1)));
    let mut snap = snapshot(vec![list(date(2026, 10, 1), vec![idle])]);
    snap.access.as_mut().unwrap().lists[0].has.disabled = false;
    let (items, _) = run(&c, &snap);
    assert_eq!(outcome(&items, "aws-iam:idle"), Outcome::NotEvaluated);
    assert!(
        items["aws-iam:idle"]
            .1
            .contains("`account.disabled` is unknown: access list aws-iam has no disabled column"),
        "{items:?}"
    );

    let leaver = catalog(
        "accounts",
        "  - kind: expr\n    expr: account.person.terminated is none\n    message: left\n",
        "",
    );
    let mut snap = snapshot(vec![list(
        date(2026, 10, 1),
        vec![account("cy", Some("cy@x.example"), &[])],
    )]);
    let (items, _) = run(&leaver, &snap);
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::Pass);
    let access = snap.access.as_mut().unwrap();
    access.roster.as_mut().unwrap().has.end_date = false;
    let (items, _) = run(&leaver, &snap);
    assert_eq!(outcome(&items, "aws-iam:cy"), Outcome::NotEvaluated);
    assert!(
        items["aws-iam:cy"].1.contains(
            "`account.person.terminated` is unknown: the HR roster has no end-date column"
        ),
        "{items:?}"
    );
    snap.access.as_mut().unwrap().roster = None;
    let (items, _) = run(&leaver, &snap);
    assert!(
        items["aws-iam:cy"]
            .1
            .contains("`account.person` is unknown: no HR roster was imported"),
        "{items:?}"
    );
}

/// Dormancy over the AWS credential report with every activity column mapped: the latest use
/// counts and its column is named; an account with no recorded use anywhere is "never used",
/// each column saying which fact it recorded.
#[test]
fn dormancy_reads_every_activity_column_of_a_credential_report() {
    use crate::model::policy::{AccessColumns, AccessList, ExportFormat};
    let c = catalog(
        "accounts",
        "  - kind: dormant-accounts\n    max_idle_days: 90\n",
        "",
    );
    let columns = AccessColumns {
        user_id: "user".into(),
        email: None,
        display_name: None,
        role: None,
        groups: None,
        privileged: None,
        created: Some("user_creation_time".into()),
        last_login: None,
        activity: [
            "password_last_used",
            "access_key_1_last_used_date",
            "access_key_2_last_used_date",
        ]
        .map(String::from)
        .to_vec(),
        disabled: None,
        mfa: None,
        password: None,
    };
    let list = AccessList {
        id: "aws-iam".into(),
        format: Some(ExportFormat::Csv),
        columns: Some(columns),
        github: None,
        repos: Vec::new(),
        privileged_roles: Vec::new(),
        never_disabled: false,
    };
    let bytes = include_bytes!("../../../tests/fixtures/aws/credential-report.csv");
    let as_of = Some(at(date(2026, 10, 1)));
    let read = crate::source::access::read_list("report.csv", bytes, "aws", &list, as_of, "00");
    let (items, gaps) = run(&c, &snapshot(vec![read.unwrap()]));
    assert!(gaps.is_empty(), "{gaps:?}");
    let why = |id: &str| items[&format!("aws-iam:{id}")].clone();
    assert_eq!(
        why("svc-reconcile").0,
        Outcome::Pass,
        "no console password, but its access key signed a request the day before the export"
    );
    let (outcome, reason) = why("never-used");
    assert_eq!(outcome, Outcome::Deviation);
    assert_eq!(
        reason,
        "never used (password_last_used: never used; access_key_1_last_used_date: no use recorded \
         (no such credential, or never used); access_key_2_last_used_date: no use recorded (no \
         such credential, or never used)) since it was created on 2025-01-06 (632 days before \
         the export); allowed 90"
    );
    let (outcome, reason) = why("gone-quiet");
    assert_eq!(outcome, Outcome::Deviation);
    assert_eq!(
        reason,
        "last used on 2026-04-02 (password_last_used), 181 days before the list was exported on \
         2026-10-01; allowed 90"
    );
    assert_eq!(
        why("rotating-ci").0,
        Outcome::Pass,
        "its second key was used on 2026-09-29"
    );
    // A pass keeps no reason; allowed a day of idleness, two days later the finding shows which column
    // the service account's last use came from.
    let strict = catalog(
        "accounts",
        "  - kind: dormant-accounts\n    max_idle_days: 1\n",
        "",
    );
    let later = Some(at(date(2026, 10, 3)));
    let read = crate::source::access::read_list("report.csv", bytes, "aws", &list, later, "00");
    let (strict_items, _) = run(&strict, &snapshot(vec![read.unwrap()]));
    assert_eq!(
        strict_items["aws-iam:svc-reconcile"].1,
        "last used on 2026-09-30 (access_key_1_last_used_date), 3 days before the list was \
         exported on 2026-10-03; allowed 1"
    );
    let (outcome, reason) = why("no-credentials");
    assert_eq!(outcome, Outcome::Deviation);
    assert!(
        reason.starts_with("never used (password_last_used: no such credential; "),
        "{reason}"
    );
}

std::thread_local! {
    /// Makes `items` build every field of `account`, whatever the expressions read: the
    /// reference the fields it builds by need are compared with.
    pub(super) static BUILD_EVERY_FIELD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Building only the fields an expression reads never changes a verdict or a reason: each
/// expression concludes on each account as it does with every field built.
#[test]
fn fields_built_by_need_conclude_as_every_field_does() {
    let mut mfa = account("mfa", Some("a@corp.example"), &["Admins"]);
    mfa.mfa = Some(true);
    mfa.attributes
        .insert("team".into(), serde_json::json!("red"));
    let mut off = account("off", None, &[]);
    off.disabled = true;
    let snap = snapshot(vec![list(
        date(2026, 10, 1),
        vec![mfa, off, account("plain", None, &[])],
    )]);
    let expressions = [
        "not account.disabled",
        "account.mfa or not account.password_enabled",
        "account.person.terminated is none",
        "account.attributes.team == \"red\"",
        "account.disabeld",
        "account.items() | length > 3",
        "account | length > 3",
        "account[\"disabled\"]",
        "account.privileged and account.roles | length > 0",
        "account.id ~ account.system ~ account.as_of",
    ];
    for expr in expressions {
        let rule = format!("  - kind: expr\n    expr: '{expr}'\n    message: m\n");
        let c = catalog("accounts", &rule, &format!("  filter: '{expr} or true'\n"));
        let by_need = run(&c, &snap);
        BUILD_EVERY_FIELD.set(true);
        let every = run(&c, &snap);
        BUILD_EVERY_FIELD.set(false);
        assert_eq!(by_need, every, "{expr}");
        assert_eq!(by_need.0.len(), 3, "{expr}: {by_need:?}");
    }
}
