//! Logical access through the real binary: the demo's access findings, imports that refuse bad
//! exports, and a population that cannot shrink by losing an access list.

use std::path::Path;

use assert_cmd::Command;

fn itgc(dir: &Path, db: &Path) -> Command {
    let mut cmd = Command::cargo_bin("itgc").unwrap();
    cmd.current_dir(dir)
        .env("ITGC_DATABASE_URL", format!("sqlite://{}", db.display()))
        .args(["--color", "never"]);
    cmd
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, db: &Path, args: &[&str]) -> Run {
    let out = itgc(dir, db).args(args).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Builds the demo organisation (with its own store); returns its directory.
fn demo(dir: &Path) -> (std::path::PathBuf, Run) {
    let raw = Command::cargo_bin("itgc")
        .unwrap()
        .current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .args(["--color", "never", "demo", "--out", "org"])
        .output()
        .unwrap();
    let out = Run {
        code: raw.status.code(),
        stdout: String::from_utf8_lossy(&raw.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&raw.stderr).into_owned(),
    };
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    (dir.join("org"), out)
}

const PERIOD: [&str; 3] = ["check", "--period", "2026-Q3"];

fn import_all(org: &Path, db: &Path, skip: &str) {
    let imports: [&[&str]; 6] = [
        &["tickets", "exports/tickets/tickets.csv"],
        &[
            "access-list",
            "exports/access/okta-users.csv",
            "--system",
            "okta",
        ],
        &[
            "access-list",
            "exports/access/aws-iam.csv",
            "--system",
            "aws",
        ],
        &[
            "access-list",
            "exports/access/github-org.json",
            "--system",
            "github",
        ],
        &["hr-roster", "exports/hr/roster.csv"],
        &["access-review", "exports/reviews/q3-access-review.csv"],
    ];
    for args in imports.iter().filter(|a| !a.contains(&skip)) {
        let mut all = vec!["import"];
        all.extend_from_slice(args);
        let out = run(org, db, &all);
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
    }
}

fn check(org: &Path, db: &Path, controls: &[&str]) -> Run {
    let mut args = PERIOD.to_vec();
    for c in controls {
        args.extend(["--control", c]);
    }
    run(org, db, &args)
}

#[test]
fn the_demo_shows_each_access_finding_and_check_reproduces_them() {
    let dir = tempfile::tempdir().unwrap();
    let (org, out) = demo(dir.path());
    for finding in [
        "github-org:kbrandt kbrandt on github (Kevin Brandt)",
        "terminated-access-removed: Kevin Brandt left on 2026-08-14 but the account was still enabled on 2026-10-01",
        "orphan-accounts: nobody on the HR roster matches user id temp-vendor-debug",
        "dormant-accounts: last used on 2026-04-02 (password_last_used), 181 days before the list was exported on 2026-10-01; allowed 90",
        "segregation-of-duties: Hannah Lindqvist holds both Admins and Developers on aws",
        "review-complete: left undecided in `2026-Q3 user access review (SEC-91)`",
        "revocations-executed: revoke decided on 2026-09-22",
    ] {
        assert!(out.stdout.contains(finding), "{finding}\n{}", out.stdout);
    }
    // `itgc check` on a store loaded by `itgc import` reaches the same findings.
    let db = dir.path().join("check.db");
    import_all(&org, &db, "-");
    let all = [
        "LA-01", "LA-02", "LA-03", "LA-04", "LA-05", "LA-06", "LA-07", "LA-08", "LA-09",
    ];
    let out = check(&org, &db, &all);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    for finding in [
        "okta-users:00u5fc1869ada6c8720e 00u5fc1869ada6c8720e on okta (Kevin Brandt)",
        "it was used on 2026-08-20 after they left",
        "aws-iam:kevin.brandt kevin.brandt on aws (Kevin Brandt)",
        "reviewed in `2026-Q3 user access review (SEC-91)` by the account holder (hannah.lindqvist@demo-fintech.example)",
        "holds Admins but temp-vendor-debug is not in group privileged-admins",
        "expr: the account can sign in with a password but has no multi-factor authentication enabled",
        "excepted by EXC-2026-001",
    ] {
        assert!(out.stdout.contains(finding), "{finding}\n{}", out.stdout);
    }
    assert!(!out.stdout.contains("incomplete"), "{}", out.stdout);

    // The packet's evaluation runs on pseudonymized emails; AWS users resolve by their email's
    // local part, which the roster keeps apart, so redaction changes no conclusion.
    let packet = dir.path().join("packet");
    let mut args = PERIOD.to_vec();
    args.extend(["--control", "LA-02", "--control", "LA-04", "--packet"]);
    args.push(packet.to_str().unwrap());
    let mut verbose = vec!["-v"];
    verbose.extend(args);
    let out = run(&org, &db, &verbose);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("redacted and unredacted evaluations agree"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("temp-vendor-debug"), "{}", out.stdout);
    assert!(
        !out.stdout.contains("user id kevin.brandt"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_missing_import_or_a_list_dropped_from_policy_is_a_gap_not_a_smaller_population() {
    let dir = tempfile::tempdir().unwrap();
    let (org, _) = demo(dir.path());
    let db = dir.path().join("gap.db");
    import_all(&org, &db, "exports/access/aws-iam.csv");
    let out = check(&org, &db, &["LA-02"]);
    assert_eq!(out.code, Some(3), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("access list aws-iam has no snapshot taken between"),
        "{}",
        out.stdout
    );
    // Everything imported, then the GitHub list is taken out of the policies.
    let db = dir.path().join("dropped.db");
    import_all(&org, &db, "-");
    assert_eq!(check(&org, &db, &["LA-02"]).code, Some(1));
    let path = org.join("policies/systems.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text
        .find("    access_lists:\n      # Organisation members")
        .unwrap();
    let end = text[start..].find("  - id: netsuite").unwrap() + start;
    std::fs::write(&path, format!("{}\n{}", &text[..start], &text[end..])).unwrap();
    let out = check(&org, &db, &["LA-02"]);
    assert_eq!(out.code, Some(3), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "access list github-org was imported for this period but the policies no longer declare it in scope"
        ),
        "{}",
        out.stdout
    );
    // A control that names the system explicitly reports it too.
    let out = check(&org, &db, &["LA-05"]);
    assert_eq!(out.code, Some(3), "{}", out.stdout);
}

#[test]
fn bad_exports_exit_2_and_import_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (org, _) = demo(dir.path());
    let db = dir.path().join("bad.db");
    let aws = std::fs::read_to_string(org.join("exports/access/aws-iam.csv")).unwrap();
    let header = aws.lines().next().unwrap().to_string();
    let first = aws.lines().nth(1).unwrap().to_string();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "dup.csv",
            format!("{header}\n{first}\n{first}\n").into_bytes(),
            "dup.csv: line 3: account <root_account> appears twice (first on line 2)",
        ),
        (
            "missing.csv",
            "user,groups\nalice,Admins\n".into(),
            "missing.csv: line 1: no created column (a header named `user_creation_time`",
        ),
        (
            "date.csv",
            format!(
                "{header}\n{}\n",
                first.replace("2019-03-04T10:00:00+00:00", "04/03/2019")
            )
            .into_bytes(),
            "date.csv: line 2, column 3 (user_creation_time): `04/03/2019` is not a time",
        ),
        (
            "utf16.csv",
            b"\xFF\xFEu\0s\0e\0r\0".to_vec(),
            "utf16.csv: the file is UTF-16",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let shown = path.display().to_string();
        let out = run(
            &org,
            &db,
            &["import", "access-list", &shown, "--system", "aws"],
        );
        assert_eq!(out.code, Some(2), "{name}: {}", out.stderr);
        let expected = expected.replace(name, &shown);
        assert!(out.stderr.contains(&expected), "{name}: {}", out.stderr);
    }
    // Nothing was imported: the population is missing, not empty.
    let out = check(&org, &db, &["LA-03"]);
    assert_eq!(out.code, Some(3), "{}", out.stdout);
    // A quoted line break is refused even in an unmapped cell: a stray quote would otherwise
    // swallow the accounts after it (the line is where the record starts, CRLF or not).
    let broken = aws.replace('\n', "\r\n").replacen(
        ",arn:aws:iam::210987654321:root,",
        ",\"arn:aws:iam::\r\n210987654321:root\",",
        1,
    );
    let path = dir.path().join("newline.csv");
    std::fs::write(&path, broken).unwrap();
    let shown = path.display().to_string();
    let out = run(
        &org,
        &db,
        &["import", "access-list", &shown, "--system", "aws"],
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("{shown}: line 2, column 2 (arn): a line break")),
        "{}",
        out.stderr
    );
    // A BOM, CRLF line ends and a quoted comma in an unmapped cell are read, not refused.
    let mut crlf = b"\xEF\xBB\xBF".to_vec();
    crlf.extend(
        aws.replace('\n', "\r\n")
            .replacen(
                ",arn:aws:iam::210987654321:root,",
                ",\"arn:aws:iam::210987654321:root, the root\",",
                1,
            )
            .into_bytes(),
    );
    let path = dir.path().join("crlf.csv");
    std::fs::write(&path, crlf).unwrap();
    let out = run(
        &org,
        &db,
        &[
            "import",
            "access-list",
            &path.display().to_string(),
            "--system",
            "aws",
        ],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("imported 15 accounts of aws"),
        "{}",
        out.stdout
    );
}

/// Access lists and review campaigns are read only for the controls that test them: with a
/// stored access snapshot made unreadable, the access control fails closed (exit 3) while a
/// change-management check, which must not read it, concludes as before.
#[test]
fn only_the_selected_controls_sources_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (org, _) = demo(dir.path());
    let db = org.join(".itgc/itgc.db");
    let before = check(&org, &db, &["CM-01"]);
    assert!(matches!(before.code, Some(0 | 1)), "{}", before.stderr);

    let url = format!("sqlite://{}", db.display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        let done = sqlx::query("UPDATE access_snapshots SET data = '{' WHERE system = 'okta'")
            .execute(&pool)
            .await
            .unwrap();
        assert!(done.rows_affected() > 0);
        pool.close().await;
    });

    let access = check(&org, &db, &["LA-02"]);
    assert_eq!(access.code, Some(3), "{}\n{}", access.stdout, access.stderr);
    assert!(
        access.stderr.contains("access-list snapshot"),
        "{}",
        access.stderr
    );
    let change = check(&org, &db, &["CM-01"]);
    assert_eq!(change.code, before.code, "{}", change.stderr);
    assert_eq!(change.stdout, before.stdout);
    assert!(!change.stderr.contains("access-list"), "{}", change.stderr);
}

/// The CSV at `path` without the columns named `drop` (which it must have).
fn without(path: &Path, drop: &[&str]) -> Vec<u8> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !drop.contains(&&header[i]))
        .collect();
    assert_eq!(keep.len() + drop.len(), header.len(), "{header:?}");
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(keep.iter().map(|&i| &header[i]))
        .unwrap();
    for record in reader.records() {
        let record = record.unwrap();
        writer
            .write_record(keep.iter().map(|&i| &record[i]))
            .unwrap();
    }
    writer.into_inner().unwrap()
}

/// The reproduction: an HR roster without its `status` and `end_date` columns was imported
/// (exit 0) and LA-01 then reported "effective" with every item not applicable, where the full
/// roster gives leaver deviations. Now it is refused, naming the file, the headers and the
/// rule; a roster with one of the two still imports; a review export without its decision
/// column and an access list missing a mapped column are refused the same way.
#[test]
fn a_roster_without_status_or_end_date_is_refused_not_read_as_all_active() {
    let dir = tempfile::tempdir().unwrap();
    let (org, _) = demo(dir.path());
    let db = dir.path().join("cols.db");
    import_all(&org, &db, "hr-roster");
    let roster = org.join("exports/hr/roster.csv");
    let path = dir.path().join("roster-cut.csv");
    std::fs::write(&path, without(&roster, &["status", "end_date"])).unwrap();
    let shown = path.display().to_string();
    let out = run(&org, &db, &["import", "hr-roster", &shown]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("{shown}: line 1: no status or end date column"))
            && out.stderr.contains("terminated-access-removed"),
        "{}",
        out.stderr
    );
    // Nothing was stored: LA-01 has no roster, so it is incomplete, not effective.
    let la01 = check(&org, &db, &["LA-01"]);
    assert_eq!(la01.code, Some(3), "{}", la01.stdout);
    // With the end date only, the leaver is still found.
    std::fs::write(&path, without(&roster, &["status"])).unwrap();
    let out = run(&org, &db, &["import", "hr-roster", &shown]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let la01 = check(&org, &db, &["LA-01"]);
    assert_eq!(la01.code, Some(1), "{}", la01.stdout);
    // A review export without its decision column is refused the same way.
    let cut = without(
        &org.join("exports/reviews/q3-access-review.csv"),
        &["decision"],
    );
    let path = dir.path().join("review-cut.csv");
    std::fs::write(&path, cut).unwrap();
    let shown = path.display().to_string();
    let out = run(&org, &db, &["import", "access-review", &shown]);
    assert_eq!(out.code, Some(2), "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("{shown}: line 1: no decision column")),
        "{}",
        out.stderr
    );
}

/// The demo's review export with `extra` rows of its campaign after its own (2,500 of them:
/// past the first batches the import writes), row `i` (counted from 1 after the demo's) given
/// by `row(i)`; as CSV, and the line each extra row is on.
fn long_review(org: &Path, extra: usize, row: impl Fn(usize) -> String) -> (String, usize) {
    let demo = std::fs::read_to_string(org.join("exports/reviews/q3-access-review.csv")).unwrap();
    let own = demo.lines().count();
    let mut text = demo;
    for i in 1..=extra {
        text.push_str(&row(i));
        text.push('\n');
    }
    (text, own)
}

/// Which row an extra review row is (counted from 1).
type RowOf = Box<dyn Fn(usize) -> String>;

fn bench_row(i: usize) -> String {
    format!(
        "2026-Q3 user access review (SEC-91),aws,bench-{i},,ReadOnly,r@demo-fintech.example,keep,2026-09-10T12:00:00Z,"
    )
}

/// An access review streams into the store in batches inside one transaction. The
/// reproduction: a bad row after the first batches were written must still leave the store as
/// it was (the campaign it replaces is still there, no import is recorded) and name the file
/// and line; so must a repeated row, in any batch (the last one is written only at the end of
/// the file), found through the store instead of a set of every key.
#[test]
fn a_review_import_failing_after_its_first_batches_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let (org, _) = demo(dir.path());
    let db = dir.path().join("stream.db");
    import_all(&org, &db, "nothing skipped");
    let before = check(&org, &db, &["LA-05", "LA-06", "LA-07"]);
    assert_eq!(before.code, Some(1), "{}", before.stdout);
    let (_, own) = long_review(&org, 0, bench_row);
    let line = |i: usize| i + own;
    let cases: Vec<(&str, RowOf, String)> = vec![
        (
            "bad-decision.csv",
            Box::new(|i| {
                let row = bench_row(i);
                if i == 2_400 {
                    row.replace(",keep,", ",maybe,")
                } else {
                    row
                }
            }),
            format!(
                "line {}, column 7 (decision): `maybe` is not a decision",
                line(2_400)
            ),
        ),
        (
            "repeated.csv",
            Box::new(|i| {
                if i == 2_300 {
                    bench_row(5).replace("bench-5", "BENCH-5")
                } else {
                    bench_row(i)
                }
            }),
            format!(
                "line {}: account BENCH-5 of aws appears twice in campaign `2026-Q3 user access review (SEC-91)` (first on line {})",
                line(2_300),
                line(5)
            ),
        ),
        (
            "repeated-last.csv",
            Box::new(|i| {
                if i == 2_499 {
                    bench_row(1_500)
                } else {
                    bench_row(i)
                }
            }),
            format!(
                "line {}: account bench-1500 of aws appears twice in campaign `2026-Q3 user access review (SEC-91)` (first on line {})",
                line(2_499),
                line(1_500)
            ),
        ),
    ];
    for (name, row, expected) in cases {
        let (text, _) = long_review(&org, 2_500, row);
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let shown = path.display().to_string();
        let out = run(&org, &db, &["import", "access-review", &shown]);
        assert_eq!(out.code, Some(2), "{name}: {}", out.stderr);
        assert!(
            out.stderr.contains(&format!("{shown}: {expected}")),
            "{name}: {}",
            out.stderr
        );
        let after = check(&org, &db, &["LA-05", "LA-06", "LA-07"]);
        assert_eq!(after.stdout, before.stdout, "{name}");
        assert_eq!(after.code, before.code, "{name}");
    }
    // The same rows without a fault import whole, replacing the campaign.
    let (text, _) = long_review(&org, 2_500, bench_row);
    let path = dir.path().join("good.csv");
    std::fs::write(&path, text).unwrap();
    let out = run(
        &org,
        &db,
        &["import", "access-review", &path.display().to_string()],
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let demo_rows = own - 1;
    assert!(
        out.stdout.contains(&format!(
            "imported {} review decisions from",
            demo_rows + 2_500
        )),
        "{}",
        out.stdout
    );
}

/// A JSON review export is checked the same way: a repeated record names both records.
#[test]
fn a_repeated_record_in_a_json_review_export_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (org, _) = demo(dir.path());
    let db = dir.path().join("json.db");
    let record = |account: &str| {
        format!(
            r#"{{"campaign":"Q3","system":"aws","account":"{account}","reviewer_email":"r@x.example","decision":"keep","decided_at":"2026-09-10T12:00:00Z"}}"#
        )
    };
    let records: Vec<String> = (0..1_500)
        .map(|i| record(&format!("u{i}")))
        .chain([record("U7")])
        .collect();
    let path = dir.path().join("review.json");
    std::fs::write(&path, format!("[{}]", records.join(","))).unwrap();
    let shown = path.display().to_string();
    let out = run(&org, &db, &["import", "access-review", &shown]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{shown}: record 1501 ([1500]): account U7 of aws appears twice in campaign `Q3` (first on record 8 ([7]))"
        )),
        "{}",
        out.stderr
    );
}
