//! `itgc validate` through the real binary: each class of bad control or policy is reported
//! with file, line, column, key path and message, all at once, with exit code 2.

use std::path::Path;

use assert_cmd::Command;

const CONTROL: &str = "\
id: CM-01
title: Changes are independently approved
objective: Every change to production is approved by someone other than its author.
risk: Unauthorised or erroneous changes reach production.
domain: change-management
frameworks:
  soc2: [CC8.1]
owner: platform
frequency: per-event
severity: high
population:
  kind: changes
  systems: [payments]
rules:
  - kind: independent-approval
    min_approvals: 1
    from_group: approvers
  - kind: ticket-linked
    pattern: 'PAY-[0-9]+'
";

const POLICY: &str = "\
organisation:
  name: Test Org
teams:
  - id: platform
    name: Platform
groups:
  - id: approvers
    description: Change approvers
    members: [a@example.com]
systems:
  - id: payments
    name: Payments
    owner: platform
    in_scope: [sox]
    repos:
      - name: payments-api
        location: ./payments-api
        branches: [main]
    declared_jobs:
      - name: nightly-settlement
        schedule: \"30 2 * * *\"
        owner: platform
exceptions:
  - id: EXC-1
    control: CM-01
    item: payments-api@abc
    reason: Vendor hotfix approved by CAB after the fact
    approver: cfo@example.com
    ticket: GRC-1
    approved: 2026-10-01
    expires: 2027-09-30
";

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn validate(files: &[(&str, &[u8])]) -> Outcome {
    let args = [
        "validate",
        "--controls",
        "controls",
        "--policies",
        "policies",
    ];
    run_with(files, &args)
}

/// Runs `itgc ARGS` in a directory holding `files` (`controls/` and `policies/` by default).
fn run_with(files: &[(&str, &[u8])], args: &[&str]) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("controls")).unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    for (rel, bytes) in files {
        write(dir.path(), rel, bytes);
    }
    let out = Command::cargo_bin("itgc")
        .unwrap()
        .current_dir(dir.path())
        .env_remove("ITGC_DATABASE_URL")
        .env_remove("GITHUB_ACTIONS")
        .args(["--color", "never"])
        .args(args)
        .output()
        .unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Validates the fixture with one substitution applied to the control or the policy.
fn with_change(file: &str, from: &str, to: &str) -> Outcome {
    let (mut control, mut policy) = (CONTROL.to_string(), POLICY.to_string());
    let target = if file == "control" {
        &mut control
    } else {
        &mut policy
    };
    assert!(target.contains(from), "fixture has no {from:?}");
    *target = target.replacen(from, to, 1);
    validate(&[
        ("controls/CM-01.yaml", control.as_bytes()),
        ("policies/org.yaml", policy.as_bytes()),
    ])
}

fn assert_reports(out: &Outcome, headline: &str) {
    assert_eq!(out.code, 2, "exit code; stderr:\n{}", out.stderr);
    assert!(
        out.stderr.contains(headline),
        "missing {headline:?} in:\n{}",
        out.stderr
    );
}

#[test]
fn the_fixture_is_valid() {
    let out = with_change("control", "", "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("valid: 1 control file(s), 1 policy file(s): 0 error(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn unknown_key_suggests_the_right_one() {
    let out = with_change("control", "severity: high", "severty: high");
    assert_reports(
        &out,
        "controls/CM-01.yaml:10:1: severty: unknown key `severty` (expected one of id, title,",
    );
    assert!(
        out.stderr.contains("help: did you mean `severity`?"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("controls/CM-01.yaml:1:1: missing required key `severity`"),
        "{}",
        out.stderr
    );
}

#[test]
fn wrong_type_and_unknown_rule_kind() {
    let out = with_change("control", "    min_approvals: 1", "    min_approvals: two");
    assert_reports(
        &out,
        "controls/CM-01.yaml:16:20: rules[0].min_approvals: `two` is not the right type (expected a whole number)",
    );
    let out = with_change("control", "kind: ticket-linked", "kind: ticket-link");
    assert_reports(
        &out,
        "controls/CM-01.yaml:18:11: rules[1].kind: `ticket-link` is not allowed here (expected one of ",
    );
    assert!(
        out.stderr.contains("did you mean `ticket-linked`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn duplicate_ids_across_files() {
    let out = validate(&[
        ("controls/CM-01.yaml", CONTROL.as_bytes()),
        ("controls/CM-01-copy.yaml", CONTROL.as_bytes()),
        ("policies/org.yaml", POLICY.as_bytes()),
    ]);
    assert_reports(
        &out,
        "controls/CM-01.yaml:1:5: id: duplicate control id `CM-01`",
    );
    assert!(
        out.stderr
            .contains("first declared at controls/CM-01-copy.yaml:1"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_references_name_what_exists() {
    let out = with_change("control", "owner: platform", "owner: platfrom");
    assert_reports(
        &out,
        "controls/CM-01.yaml:8:8: owner: unknown team `platfrom` (expected one of platform)",
    );
    assert!(
        out.stderr.contains("did you mean `platform`?"),
        "{}",
        out.stderr
    );
    let out = with_change("control", "from_group: approvers", "from_group: cab");
    assert_reports(
        &out,
        "controls/CM-01.yaml:17:17: rules[0].from_group: unknown group `cab`",
    );
    let out = with_change("control", "systems: [payments]", "systems: [payroll]");
    assert_reports(
        &out,
        "controls/CM-01.yaml:13:13: population.systems[0]: unknown system `payroll`",
    );
    let out = with_change("policy", "control: CM-01", "control: CM-99");
    assert_reports(
        &out,
        "policies/org.yaml:25:14: exceptions[0].control: unknown control `CM-99`",
    );
}

#[test]
fn invalid_regex_cron_and_expression() {
    let out = with_change("control", "pattern: 'PAY-[0-9]+'", "pattern: 'PAY-[0-9+'");
    assert_reports(
        &out,
        "controls/CM-01.yaml:19:14: rules[1].pattern: invalid regular expression: ",
    );
    let out = with_change(
        "policy",
        "schedule: \"30 2 * * *\"",
        "schedule: \"61 2 * * *\"",
    );
    assert_reports(
        &out,
        "policies/org.yaml:21:19: systems[0].declared_jobs[0].schedule: invalid cron schedule `61 2 * * *`",
    );
    let out = with_change(
        "control",
        "  systems: [payments]\n",
        "  systems: [payments]\n  filter: \"change.paths | length >\"\n",
    );
    assert_reports(
        &out,
        "controls/CM-01.yaml:14:11: population.filter: invalid expression: ",
    );
}

#[test]
fn malformed_and_expired_exceptions() {
    let out = with_change("policy", "expires: 2027-09-30", "expires: 2026-09-30");
    assert_reports(
        &out,
        "policies/org.yaml:31:14: exceptions[0].expires: exception `EXC-1` expires (2026-09-30) before it was approved (2026-10-01)",
    );
    let out = with_change("policy", "approver: cfo@example.com", "approver: the CFO");
    assert_reports(
        &out,
        "policies/org.yaml:28:15: exceptions[0].approver: approver `the CFO` is not an email address",
    );
    let out = with_change("policy", "expires: 2027-09-30", "expires: 2026-13-01");
    assert_reports(
        &out,
        "policies/org.yaml:31:14: exceptions[0].expires: `2026-13-01` is not valid (expected a date as YYYY-MM-DD)",
    );
    // Expired (but well-formed) is a warning: it still covers items of past periods.
    let out = with_change(
        "policy",
        "approved: 2026-10-01\n    expires: 2027-09-30",
        "approved: 2025-01-01\n    expires: 2025-06-30",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("policies/org.yaml:31:14: exceptions[0].expires: exception `EXC-1` expired on 2025-06-30"), "{}", out.stderr);
}

#[test]
fn rule_on_the_wrong_population() {
    let out = with_change(
        "control",
        "  - kind: ticket-linked\n    pattern: 'PAY-[0-9]+'\n",
        "  - kind: dormant-accounts\n    max_idle_days: 90\n",
    );
    assert_reports(
        &out,
        "controls/CM-01.yaml:18:11: rules[1].kind: rule `dormant-accounts` cannot test a `changes` population (expected a population of kind accounts)",
    );
}

#[test]
fn every_error_is_reported_at_once() {
    let control = CONTROL
        .replacen("severity: high", "severity: urgent", 1)
        .replacen("owner: platform", "owner: nobody", 1)
        .replacen("pattern: 'PAY-[0-9]+'", "pattern: '('", 1);
    let out = validate(&[
        ("controls/CM-01.yaml", control.as_bytes()),
        (
            "policies/org.yaml",
            b"teams:\n  - id: platform\n    nmae: x\n",
        ),
    ]);
    assert_eq!(out.code, 2);
    // Schema errors stop a file before semantic checks; the other file is still checked.
    assert!(out.stderr.contains("controls/CM-01.yaml:10:11: severity: `urgent` is not allowed here (expected one of low, medium, high, critical)"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("policies/org.yaml:3:5: teams[0].nmae: unknown key `nmae`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("policies/org.yaml:2:5: teams[0]: missing required key `name`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("3 error(s)"), "{}", out.stderr);
}

#[test]
fn hostile_files_are_clear_errors() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..15 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("l{}", i - 1)
        };
        let refs = vec![format!("*{prev}"); 10].join(", ");
        bomb.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "controls/X.yaml: the file is empty"),
        (
            b"id: \x00\x01\x02\xff".to_vec(),
            "controls/X.yaml:1:5: the file contains a NUL byte",
        ),
        (
            b"id: CM-01\ntitle: caf\xe9\n".to_vec(),
            "controls/X.yaml:2:11: the file is not valid UTF-8",
        ),
        (
            vec![b'#'; 50 * 1024 * 1024],
            "controls/X.yaml: the file is 50.0 MiB; control and policy files are limited to 4 MiB",
        ),
        (bomb.into_bytes(), "controls/X.yaml:"),
        (deep.into_bytes(), "controls/X.yaml:1:"),
        (b"id: [unclosed\n".to_vec(), "controls/X.yaml:"),
    ];
    for (bytes, headline) in cases {
        let out = validate(&[
            ("controls/X.yaml", &bytes),
            ("policies/org.yaml", POLICY.as_bytes()),
        ]);
        assert_reports(&out, headline);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn missing_directory_and_no_controls() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("itgc")
        .unwrap()
        .current_dir(dir.path())
        .args(["validate", "--controls", "nope", "--policies", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nope: cannot read the directory"),
        "{stderr}"
    );
    assert!(stderr.contains("itgc init"), "{stderr}");
}

/// An access list is read from a file or from GitHub: both, or neither, is an error at the
/// key that conflicts, with the fix; a GitHub list alone is valid.
#[test]
fn an_access_list_names_exactly_one_source() {
    let github = "    access_lists:\n      - id: github-org\n        github: demo-fintech\n        repos: [payments-api]\n        privileged_roles: [org:admin]\n    declared_jobs:";
    let out = with_change("policy", "    declared_jobs:", github);
    assert_eq!(out.code, 0, "{}", out.stderr);

    let both = "    access_lists:\n      - id: github-org\n        github: demo-fintech\n        format: csv\n        columns: {user_id: login}\n    declared_jobs:";
    let out = with_change("policy", "    declared_jobs:", both);
    assert_reports(
        &out,
        "policies/org.yaml:22:9: systems[0].access_lists[0].format: access list `github-org` names both a GitHub organisation and an export `format`",
    );
    assert!(
        out.stderr.contains("help: give `format:` and `columns:`"),
        "{}",
        out.stderr
    );

    let neither =
        "    access_lists:\n      - id: okta-users\n        format: csv\n    declared_jobs:";
    let out = with_change("policy", "    declared_jobs:", neither);
    assert_reports(
        &out,
        "policies/org.yaml:20:9: systems[0].access_lists[0].id: access list `okta-users` has no `columns:` and no `github:`",
    );

    let unmatched = github.replace(
        "[org:admin]",
        "[admin, repo:other:admin, team:leads:maintainer]",
    );
    let out = with_change("policy", "    declared_jobs:", &unmatched);
    assert_eq!(out.code, 0, "a warning only: {}", out.stderr);
    for role in ["admin", "repo:other:admin"] {
        assert!(
            out.stderr.contains(&format!(
                "`{role}` is not a role a GitHub access list gives, so it matches no account"
            )),
            "{}",
            out.stderr
        );
    }
    assert!(
        !out.stderr.contains("`team:leads:maintainer` is not"),
        "{}",
        out.stderr
    );

    let owned = github.replace(
        "repos: [payments-api]",
        "repos: [demo-fintech/payments-api]",
    );
    let out = with_change("policy", "    declared_jobs:", &owned);
    assert_reports(
        &out,
        "systems[0].access_lists[0].repos[0]: `demo-fintech/payments-api` is not a repository name",
    );
    assert!(
        out.stderr.contains("name the repository without its owner"),
        "{}",
        out.stderr
    );

    let stray = "    access_lists:\n      - id: okta-users\n        format: csv\n        columns: {user_id: id}\n        repos: [x]\n    declared_jobs:";
    let out = with_change("policy", "    declared_jobs:", stray);
    assert_reports(
        &out,
        "systems[0].access_lists[0].repos: access list `okta-users` has `repos:` but no `github:` organisation",
    );
}

/// A control with `key` (`filter` or a rule's `expr`) set to `expr`, and where it sits.
fn with_expression(key: &str, expr: &str) -> (String, &'static str) {
    if key == "filter" {
        let filter = format!("  systems: [payments]\n  filter: \"{expr}\"\n");
        let control = CONTROL.replacen("  systems: [payments]\n", &filter, 1);
        (
            control,
            "controls/CM-01.yaml:14:11: population.filter: invalid expression: ",
        )
    } else {
        let rule = format!("rules:\n  - kind: expr\n    expr: \"{expr}\"\n    message: no\n");
        let control = CONTROL.replacen("rules:\n", &rule, 1);
        (
            control,
            "controls/CM-01.yaml:16:11: rules[0].expr: invalid expression: ",
        )
    }
}

/// Expressions nested far deeper than minijinja's recursive parser survives (each aborted the
/// process with a stack overflow, exit 134) are refused by `validate`, `check` and `gate`
/// alike, before anything is compiled: exit 2, the file, line, column and key of the
/// expression, and what the limit is.
#[test]
fn deep_expressions_are_errors_not_aborts() {
    let deep = |link: &str, n| link.repeat(n);
    let cases = [
        (
            "filter",
            format!("{}true", deep("not ", 30_000)),
            "bytes long",
        ),
        ("expr", format!("{}1", deep("-", 30_000)), "bytes long"),
        (
            "filter",
            format!("change{}", deep("|lower", 30_000)),
            "bytes long",
        ),
        (
            "expr",
            format!("change{}", deep(".x", 30_000)),
            "bytes long",
        ),
        (
            "filter",
            format!("change{}", deep("[0]", 30_000)),
            "bytes long",
        ),
        (
            "expr",
            format!("{}1{}", deep("(", 30_000), deep(")", 30_000)),
            "bytes long",
        ),
        (
            "filter",
            format!("change{}", deep("()", 4_000)),
            "nests 8001 levels deep",
        ),
        (
            "expr",
            format!("change{}", deep(" and change", 700)),
            "nests 701 levels deep",
        ),
        (
            "filter",
            format!("{}true", deep("not ", 101)),
            "nests 102 levels deep",
        ),
    ];
    let commands: [&[&str]; 3] = [
        &["validate"],
        &["check", "--period", "2026-Q3"],
        &["gate", "--repo", "payments-api", "--commit", "HEAD"],
    ];
    for (i, (key, expr, why)) in cases.iter().enumerate() {
        let (control, headline) = with_expression(key, expr);
        let files: [(&str, &[u8]); 2] = [
            ("controls/CM-01.yaml", control.as_bytes()),
            ("policies/org.yaml", POLICY.as_bytes()),
        ];
        // Every command for the tester's reproduction; one per case for the rest (time).
        let run: Vec<&[&str]> = if i == 0 {
            commands.to_vec()
        } else {
            vec![commands[i % 3]]
        };
        for args in run {
            let out = run_with(&files, args);
            assert_reports(&out, headline);
            assert!(out.stderr.contains(why), "{args:?} {key}: {}", out.stderr);
            assert!(!out.stderr.contains("overflow"), "{}", out.stderr);
        }
    }
    // The limit is not a ban on ordinary expressions.
    let (control, _) = with_expression(
        "expr",
        "(change.approvals | length) >= 1 and not change.direct_push",
    );
    let out = validate(&[
        ("controls/CM-01.yaml", control.as_bytes()),
        ("policies/org.yaml", POLICY.as_bytes()),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// A job-runs control says what one item is (`per: job` or `per: run`); a per-event one must
/// list occurrences, since auditors sample those; and a `per: run` control's rules must agree
/// on which occurrences.
#[test]
fn the_grain_of_a_job_runs_population_is_declared_and_consistent() {
    let job_control = |frequency: &str, per: &str, rules: &str| {
        CONTROL
            .replace("domain: change-management", "domain: computer-operations")
            .replace("frequency: per-event", &format!("frequency: {frequency}"))
            .replace(
                "  kind: changes\n  systems: [payments]\n",
                &format!("  kind: job-runs\n{per}"),
            )
            .replace(
                "  - kind: independent-approval\n    min_approvals: 1\n    from_group: approvers\n  - kind: ticket-linked\n    pattern: 'PAY-[0-9]+'\n",
                rules,
            )
    };
    let failures = "  - kind: failures-followed-up\n    ticket_within_hours: 24\n    resolved_within_days: 5\n";
    let check = |control: String| {
        validate(&[
            ("controls/CO-02.yaml", control.as_bytes()),
            ("policies/org.yaml", POLICY.as_bytes()),
        ])
    };

    let out = check(job_control("per-event", "  per: run\n", failures));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = check(job_control("daily", "", failures));
    assert_eq!(out.code, 0, "per job by default: {}", out.stderr);

    let out = check(job_control("per-event", "", failures));
    assert_reports(
        &out,
        "controls/CO-02.yaml:12:9: population.kind: control CM-01 operates per event, so an auditor samples its occurrences, but its job-runs population has one item per job",
    );
    assert!(
        out.stderr.contains("add `per: run` under `population:`"),
        "{}",
        out.stderr
    );
    let out = check(job_control("per-event", "  per: job\n", failures));
    assert_reports(
        &out,
        "controls/CO-02.yaml:13:8: population.per: control CM-01 operates per event",
    );

    let mixed = format!("{failures}  - kind: expected-runs\n    tolerance_minutes: 60\n");
    let out = check(job_control("per-event", "  per: run\n", &mixed));
    assert_reports(
        &out,
        "rules[1].kind: with `per: run` every rule must test the same occurrences, but `expected-runs` tests scheduled runs and rules[0] tests failed runs",
    );

    let out = with_change("control", "  systems: [payments]\n", "  per: run\n");
    assert_reports(
        &out,
        "population.per: `per:` says what one item of a job-runs population is; a `changes` population's items are fixed",
    );
    let out = with_change("control", "  systems: [payments]\n", "  per: event\n");
    assert_eq!(out.code, 2, "an unknown grain is refused: {}", out.stderr);
    assert!(out.stderr.contains("population.per"), "{}", out.stderr);
}

/// Activity is mapped one way: `last_login` (one column) or `activity` (several, each once).
#[test]
fn activity_columns_are_mapped_once() {
    let list = |columns: &str| {
        format!(
            "    access_lists:\n      - id: aws-iam\n        format: csv\n        columns: {{user_id: user, {columns}}}\n    declared_jobs:"
        )
    };
    let ok = list("activity: [password_last_used, access_key_1_last_used_date]");
    let out = with_change("policy", "    declared_jobs:", &ok);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let legacy = list("last_login: password_last_used");
    let out = with_change("policy", "    declared_jobs:", &legacy);
    assert_eq!(out.code, 0, "one column keeps working: {}", out.stderr);

    let both = list("last_login: password_last_used, activity: [access_key_1_last_used_date]");
    let out = with_change("policy", "    declared_jobs:", &both);
    assert_reports(
        &out,
        "systems[0].access_lists[0].columns.activity: access list `aws-iam` maps both `last_login` and `activity`",
    );
    assert!(
        out.stderr
            .contains("help: list every activity column under `activity:`"),
        "{}",
        out.stderr
    );
    let twice = list("activity: [password_last_used, password_last_used]");
    let out = with_change("policy", "    declared_jobs:", &twice);
    assert_reports(
        &out,
        "systems[0].access_lists[0].columns.activity[1]: column `password_last_used` is listed twice",
    );
}

/// `never_disabled` and a `disabled` column contradict each other; each alone is fine, and
/// `conflicting_roles` takes role pairs (none is `[]`).
#[test]
fn never_disabled_excludes_a_disabled_column_and_conflicting_roles_are_pairs() {
    let list = |columns: &str, extra: &str| {
        format!(
            "    access_lists:\n      - id: aws-iam\n        format: csv\n        columns: {{user_id: user, {columns}}}\n{extra}    declared_jobs:"
        )
    };
    let never = "        never_disabled: true\n";
    let ok = list("mfa: mfa_active, password: password_enabled", never);
    let out = with_change("policy", "    declared_jobs:", &ok);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let both = list("disabled: status", never);
    let out = with_change("policy", "    declared_jobs:", &both);
    assert_reports(
        &out,
        "systems[0].access_lists[0].never_disabled: access list `aws-iam` says `never_disabled: true` but maps the `disabled` column `status`",
    );

    let pairs = |value: &str| format!("    conflicting_roles: {value}\n    declared_jobs:");
    let out = with_change("policy", "    declared_jobs:", &pairs("[]"));
    assert_eq!(out.code, 0, "none declared is fine: {}", out.stderr);
    let out = with_change(
        "policy",
        "    declared_jobs:",
        &pairs("[{a: Admins, b: Developers, reason: deploys}]"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = with_change(
        "policy",
        "    declared_jobs:",
        &pairs("[{a: Admins, reason: deploys}]"),
    );
    assert_eq!(out.code, 2, "a pair needs both roles: {}", out.stderr);
    assert!(out.stderr.contains("conflicting_roles"), "{}", out.stderr);
}

#[test]
fn selectors_by_what_the_policy_declares_are_checked() {
    // `records` selects access lists: a changes population has none.
    let out = with_change(
        "control",
        "  systems: [payments]\n",
        "  records: [last-use]\n",
    );
    assert_reports(
        &out,
        "controls/CM-01.yaml:13:12: population.records: `records` selects access lists, but a `changes` population reads none",
    );
    // A fact no mapping can record, and a tag that is not kebab-case, are schema errors.
    let out = with_change("control", "  systems: [payments]\n", "  records: [mfa]\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("population.records[0]"),
        "{}",
        out.stderr
    );
    let out = with_change(
        "policy",
        "    in_scope: [sox]\n",
        "    in_scope: [sox]\n    tags: [Prod]\n",
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("systems[0].tags[0]"), "{}", out.stderr);
    // Scope and tags that select the system validate cleanly.
    let out = with_change(
        "control",
        "  systems: [payments]\n",
        "  scope: sox\n  tags: [production]\n",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("0 error(s), 0 warning(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn placeholders_left_are_warnings_naming_file_line_and_key() {
    let out = with_change(
        "policy",
        "    name: Platform\n",
        "    name: Platform\n    contact: CHANGE-ME platform's channel\n",
    );
    assert_eq!(
        out.code, 0,
        "warnings do not fail validation: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "warning[placeholder]: policies/org.yaml:6:14: teams[0].contact: still holds the scaffold's placeholder (CHANGE-ME)"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("0 error(s), 1 warning(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn notify_channels_name_secrets_by_variable_and_are_checked_with_their_position() {
    let team = "  - id: platform\n    name: Platform\n";
    let good = "  - id: platform\n    name: Platform\n    notify:\n      - github:\n          repo: acme/findings\n      - jira:\n          base_url: https://acme.atlassian.net\n          project: PLAT\n          issue_type: Task\n          token_env: JIRA_TOKEN\n          fields:\n            customfield_1: \"{control} {label}\"\n      - slack:\n          webhook_url_env: SLACK_URL\n      - webhook:\n          url: https://hooks.example.com/itgc\n";
    let out = with_change("policy", team, good);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // A token pasted where its variable's name belongs.
    let pasted = good.replace("token_env: JIRA_TOKEN", "token_env: ghp_abc123");
    let out = with_change("policy", team, &pasted);
    assert_reports(
        &out,
        "policies/org.yaml:13:22: teams[0].notify[1].jira.token_env: `ghp_abc123` is not an environment variable name",
    );
    // A URL that would send the token in clear text, a placeholder that does not exist, a
    // field itgc sets itself, a webhook with two URLs: all reported at once.
    let several = good
        .replace("https://acme.atlassian.net", "http://acme.atlassian.net")
        .replace("{label}", "{title}")
        .replace("customfield_1:", "summary:")
        .replace(
            "url: https://hooks.example.com/itgc",
            "url: https://hooks.example.com/itgc\n          url_env: HOOK_URL",
        );
    let out = with_change("policy", team, &several);
    for headline in [
        "policies/org.yaml:10:21: teams[0].notify[1].jira.base_url: `http://acme.atlassian.net` is not an https URL",
        "teams[0].notify[1].jira.fields.summary: `summary` is set by itgc itself and cannot be mapped",
        "teams[0].notify[1].jira.fields.summary: unknown placeholder `{title}`",
        "teams[0].notify[3].webhook: a webhook needs exactly one of `url` and `url_env`",
    ] {
        assert_reports(&out, headline);
    }
    // The same destination twice in one team.
    let twice = good.replace(
        "      - slack:",
        "      - github:\n          repo: acme/findings\n      - slack:",
    );
    let out = with_change("policy", team, &twice);
    assert_reports(
        &out,
        "teams[0].notify[2]: this channel sends to the same destination as channel 0 of the team",
    );
}
