use super::*;
use crate::facts::access::ReviewDecision;
use crate::model::policy::{AccessColumns, AccessList, ExportFormat};

fn aws() -> AccessList {
    AccessList {
        id: "aws-iam".into(),
        format: Some(ExportFormat::Csv),
        columns: Some(AccessColumns {
            user_id: "user".into(),
            email: None,
            display_name: None,
            role: Some("groups".into()),
            groups: None,
            privileged: None,
            created: Some("user_creation_time".into()),
            last_login: Some("password_last_used".into()),
            activity: Vec::new(),
            disabled: Some("status".into()),
            mfa: None,
            password: None,
        }),
        github: None,
        repos: Vec::new(),
        privileged_roles: vec!["Admins".into()],
        never_disabled: false,
    }
}

fn read(text: &[u8]) -> Result<crate::facts::access::ListSnapshot, AccessError> {
    read_list("iam.csv", text, "aws", &aws(), None, "00")
}

const HEAD: &str = "user,groups,user_creation_time,password_last_used,status,mfa_active,as_of\n";

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

#[test]
fn reads_a_mapped_csv_with_bom_crlf_and_quoted_cells() {
    let text = "\u{feff}user,groups,user_creation_time,password_last_used,status,mfa_active,as_of\r\n\
                alice,\"Admins;Developers\",2024-01-02T03:04:05+00:00,N/A,ACTIVE,\"yes, really\",2026-10-01\r\n\
                bob,,2024-01-02,2026-09-01 10:00,DEPROVISIONED,false,2026-10-01\r\n";
    let list = read(text.as_bytes()).unwrap();
    assert_eq!(list.as_of, at("2026-10-01T00:00:00Z"));
    assert_eq!(list.accounts.len(), 2);
    let (a, b) = (&list.accounts[0], &list.accounts[1]);
    assert_eq!(a.user_id, "alice");
    assert_eq!(a.roles, ["Admins", "Developers"]);
    assert_eq!(a.last_login, None, "N/A is no time");
    assert_eq!(a.created, Some(at("2024-01-02T03:04:05Z")));
    assert!(!a.disabled && b.disabled);
    assert_eq!(a.attributes.get("mfa_active").unwrap(), "yes, really");
    assert!(!a.attributes.contains_key("as_of"));
    assert_eq!(b.last_login, Some(at("2026-09-01T10:00:00Z")));
    assert!(list.has.last_login && list.has.created && list.has.disabled);
}

/// No cell of an access list may span lines: a stray quote that opens a cell would otherwise
/// swallow the accounts after it while the field count still adds up.
#[test]
fn a_quoted_line_break_is_refused_where_its_row_starts() {
    let text = format!(
        "{HEAD}alice,Admins,2024-01-02,,ACTIVE,yes,2026-10-01\n\
         \"bob,Admins,2024-01-02,,ACTIVE,yes,2026-10-01\n\
         carol\",Admins,2024-01-02,,ACTIVE,yes,2026-10-01\n"
    );
    let err = read(text.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with("iam.csv: line 3, column 1 (user): a line break inside a quoted cell"),
        "{err}"
    );
    let unmapped = format!("{HEAD}alice,Admins,2024-01-02,,ACTIVE,\"yes\r\nreally\",2026-10-01\n");
    let err = read(unmapped.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with("iam.csv: line 2, column 6 (mfa_active)"),
        "{err}"
    );
    let bidi = format!("{HEAD}ali\u{202e}ce,Admins,2024-01-02,,ACTIVE,yes,2026-10-01\n");
    let err = read(bidi.as_bytes()).unwrap_err().to_string();
    assert!(
        err.contains("line 2, column 1 (user)") && err.contains("U+202E"),
        "{err}"
    );
}

#[test]
fn a_missing_mapped_column_names_the_mapping_and_what_the_export_has() {
    let err = read(b"user,groups,as_of\nalice,Admins,2026-10-01\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "iam.csv: line 1: no created column (a header named `user_creation_time`, mapped to \
         created for aws/aws-iam by policy key `columns.created`); the export has: `user`, \
         `groups`, `as_of`"
    );
}

/// The policy maps columns by name: found in any case and spacing; a header that names a
/// column twice, or a file in UTF-16, is refused before any row is read.
#[test]
fn mapped_headers_match_any_case_and_ambiguous_or_utf16_headers_are_refused() {
    let upper = "USER, Groups ,User_Creation_Time,password_last_used,STATUS,as_of\n\
                 alice,Admins,2024-01-02,,ACTIVE,2026-10-01\n";
    let list = read(upper.as_bytes()).unwrap();
    assert_eq!(list.accounts[0].user_id, "alice");
    assert_eq!(list.accounts[0].roles, ["Admins"]);
    let twice = "user,groups,user_creation_time,password_last_used,status,User,as_of\n";
    assert_eq!(
        read(twice.as_bytes()).unwrap_err().to_string(),
        "iam.csv: line 1: the header names column `User` twice; keep one"
    );
    assert_eq!(
        read(b"\xFF\xFEu\x00").unwrap_err().to_string(),
        "iam.csv: the file is UTF-16 (it starts with a UTF-16 byte order mark); export or save \
         it as UTF-8"
    );
    let ragged = format!("{HEAD}alice,Admins\n");
    assert_eq!(
        read(ragged.as_bytes()).unwrap_err().to_string(),
        "iam.csv: line 2: the row has 2 fields but the header has 7 (an unquoted comma, or a \
         missing or stray `\"`?)"
    );
}

#[test]
fn duplicate_accounts_bad_dates_and_bad_statuses_name_row_and_column() {
    let dup = format!(
        "{HEAD}alice,,2024-01-02,,ACTIVE,,2026-10-01\nALICE,,2024-01-02,,ACTIVE,,2026-10-01\n"
    );
    assert_eq!(
        read(dup.as_bytes()).unwrap_err().to_string(),
        "iam.csv: line 3: account ALICE appears twice (first on line 2); one row per account"
    );
    let date = format!("{HEAD}alice,,02/01/2024,,ACTIVE,,2026-10-01\n");
    let err = read(date.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "iam.csv: line 2, column 3 (user_creation_time): `02/01/2024` is not a time"
        ),
        "{err}"
    );
    let status = format!("{HEAD}alice,,2024-01-02,,MAYBE,,2026-10-01\n");
    let err = read(status.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with("iam.csv: line 2, column 5 (status): `MAYBE`"),
        "{err}"
    );
}

#[test]
fn wrong_encodings_and_ragged_rows_are_errors() {
    let utf16 = b"\xFF\xFEu\0s\0e\0r\0";
    assert!(read(utf16).unwrap_err().to_string().contains("UTF-16"));
    let mut latin1 = HEAD.as_bytes().to_vec();
    latin1.extend_from_slice(b"tom\xe1s,,2024-01-02,,ACTIVE,,2026-10-01\n");
    let err = read(&latin1).unwrap_err().to_string();
    assert_eq!(
        err,
        "iam.csv: line 2: column 1 is not valid UTF-8; export or save the file as UTF-8"
    );
    let ragged = format!("{HEAD}alice,,2024-01-02\n");
    assert_eq!(
        read(ragged.as_bytes()).unwrap_err().to_string(),
        "iam.csv: line 2: the row has 3 fields but the header has 7 (an unquoted comma, or a missing or stray `\"`?)"
    );
}

#[test]
fn an_identifier_with_a_newline_is_refused_and_as_of_must_be_known_and_single() {
    let newline = format!("{HEAD}\"ali\nce\",,2024-01-02,,ACTIVE,,2026-10-01\n");
    let err = read(newline.as_bytes()).unwrap_err().to_string();
    assert!(
        err.starts_with("iam.csv: line 2, column 1 (user):"),
        "{err}"
    );
    let head = "user,groups,user_creation_time,password_last_used,status\n";
    let no_as_of = format!("{head}alice,,2024-01-02,,ACTIVE\n");
    assert!(
        read(no_as_of.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("give --as-of")
    );
    let given = read_list(
        "iam.csv",
        no_as_of.as_bytes(),
        "aws",
        &aws(),
        Some(at("2026-10-01T00:00:00Z")),
        "00",
    );
    assert!(given.is_ok());
    let two =
        format!("{HEAD}a,,2024-01-02,,ACTIVE,,2026-10-01\nb,,2024-01-02,,ACTIVE,,2026-10-02\n");
    let err = read(two.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("line 3, column 7 (as_of)"), "{err}");
}

#[test]
fn json_exports_with_member_and_collaborator_arrays_and_teams_as_roles() {
    let list = AccessList {
        id: "github-org".into(),
        format: Some(ExportFormat::Json),
        columns: Some(AccessColumns {
            user_id: "login".into(),
            email: Some("email".into()),
            display_name: None,
            role: Some("role".into()),
            groups: Some("teams".into()),
            privileged: None,
            created: None,
            last_login: None,
            activity: Vec::new(),
            disabled: None,
            mfa: None,
            password: None,
        }),
        github: None,
        repos: Vec::new(),
        privileged_roles: vec!["admin".into()],
        never_disabled: false,
    };
    let text = br#"{"org":"o","as_of":"2026-10-01T08:00:00Z",
        "members":[{"login":"sam","email":"Sam@x.example","role":"admin","teams":["platform"],"two_factor_enabled":true}],
        "outside_collaborators":[{"login":"dev","two_factor_enabled":false}]}"#;
    let snap = read_list("org.json", text, "github", &list, None, "00").unwrap();
    assert_eq!(snap.accounts.len(), 2);
    let sam = &snap.accounts[1];
    assert_eq!(sam.roles, ["admin", "platform"]);
    assert_eq!(sam.attributes.get("two_factor_enabled").unwrap(), true);
    assert!(!snap.has.last_login);
    let missing = br#"{"as_of":"2026-10-01","members":[{"name":"x","login":"a","role":"admin"},{"role":"member","teams":[]}]}"#;
    let err = read_list("org.json", missing, "github", &list, None, "00")
        .unwrap_err()
        .to_string();
    assert!(err.contains("no email column"), "{err}");
    let no_login = br#"{"as_of":"2026-10-01","members":[{"login":"a","email":"a@x","teams":[],"role":"r"},{"email":"b@x","role":"r","teams":[]}]}"#;
    let err = read_list("org.json", no_login, "github", &list, None, "00")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "org.json: record 2 (members[1]), key `login`: the account's user id is empty"
    );
}

#[test]
fn rosters_need_ids_and_emails_once_each() {
    let text = b"employee_id,name,email,manager_id,status,start_date,end_date,aliases,as_of\n\
                 E2,Bo,bo@x.example,E1,terminated,2020-01-01,2026-08-14,,2026-10-01\n\
                 E1,Al,AL@x.example,,active,2019-01-01,,al@old.example;al2@x.example,2026-10-01\n";
    let roster = read_roster("hr.csv", text, false, None, "00").unwrap();
    assert_eq!(roster.people[0].email, "al@x.example");
    assert_eq!(
        roster.people[0].aliases,
        ["al@old.example", "al2@x.example"]
    );
    let bo = &roster.people[1];
    assert_eq!(bo.manager.as_deref(), Some("E1"));
    assert!(bo.has_left(jiff::civil::date(2026, 8, 14)));
    let dup = b"employee_id,email,status\nE1,a@x,active\nE2,A@x,active\n";
    let err =
        read_roster("hr.csv", dup, false, Some(at("2026-10-01T00:00:00Z")), "00").unwrap_err();
    assert_eq!(
        err.to_string(),
        "hr.csv: line 3, column 2 (email): email a@x appears twice (first on line 2); one row per person"
    );
    let err = read_roster("hr.csv", b"name,email\n", false, None, "00").unwrap_err();
    assert!(err.to_string().contains("no employee id column"), "{err}");
    let bad = b"employee_id,email,end_date,as_of\nE1,a@x,14.08.2026,2026-10-01\n";
    let err = read_roster("hr.csv", bad, false, None, "00")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("hr.csv: line 2, column 3 (end_date): `14.08.2026` is not a date"),
        "{err}"
    );
}

/// A roster without its status and end-date columns would make everyone active and every
/// leaver invisible: refused, naming the file, the headers and the rule that needs them. With
/// one of them it is read, and which ones it had is recorded.
#[test]
fn rosters_need_a_status_or_end_date_column_and_record_which() {
    let at_ = Some(at("2026-10-01T00:00:00Z"));
    let err = read_roster("hr.csv", b"employee_id,email\nE1,a@x\n", false, at_, "00")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("hr.csv: line 1: no status or end date column")
            && err.contains("terminated-access-removed"),
        "{err}"
    );
    let json = br#"[{"employee_id":"E1","email":"a@x","manager_id":"E2"}]"#;
    assert!(read_roster("hr.json", json, true, at_, "00").is_err());
    let status_only = b"employee_id,email,status\nE1,a@x,terminated\n";
    let r = read_roster("hr.csv", status_only, false, at_, "00").unwrap();
    assert!(
        r.has.status && !r.has.end_date && !r.has.manager,
        "{:?}",
        r.has
    );
    let end_only = b"employee_id,email,end_date,manager_email\nE1,a@x,2026-08-01,b@x\n";
    let r = read_roster("hr.csv", end_only, false, at_, "00").unwrap();
    assert!(
        !r.has.status && r.has.end_date && r.has.manager,
        "{:?}",
        r.has
    );
    assert_eq!(r.people[0].status, "terminated");
}

/// Review-complete and revocations-executed read the decision, its date and the reviewer:
/// an export without one of those columns is refused, not read as all pending.
#[test]
fn review_exports_need_decision_date_and_reviewer_columns() {
    for (header, missing) in [
        (
            "campaign,system,account,decided_at,reviewer",
            "no decision column",
        ),
        (
            "campaign,system,account,decision,reviewer",
            "no decided at column",
        ),
        (
            "campaign,system,account,decision,decided_at",
            "no reviewer column",
        ),
    ] {
        let text = format!("{header}\nQ3,aws,alice,x,y\n");
        let err = read_reviews("r.csv", text.as_bytes(), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("r.csv: line 1: {missing}")),
            "{err}"
        );
    }
}

#[test]
fn review_decisions_parse_pending_rows_and_refuse_unknown_words_and_duplicates() {
    let text = b"campaign,system,account,entitlement,reviewer_email,decision,decided_at,comment\n\
                 Q3,aws,alice,Admins,Bob@x,approve,2026-09-16T10:05:00Z,\n\
                 Q3,aws,carol,Developers,bob@x,,,\n";
    let d = read_reviews("r.csv", text, false).unwrap();
    assert_eq!(d[0].decision, Some(crate::facts::access::Decision::Keep));
    assert_eq!(d[0].reviewer.as_deref(), Some("bob@x"));
    assert_eq!((d[1].decision, d[1].decided_at), (None, None));
    let bad = b"campaign,system,account,decision,decided_at,reviewer\nQ3,aws,alice,maybe,,\n";
    let err = read_reviews("r.csv", bad, false).unwrap_err().to_string();
    assert!(
        err.starts_with("r.csv: line 2, column 4 (decision): `maybe` is not a decision"),
        "{err}"
    );
    let dup =
        b"campaign,system,account,decision,decided_at,reviewer\nQ3,aws,alice,,,\nQ3,aws,Alice,,,\n";
    let err = read_reviews("r.csv", dup, false).unwrap_err().to_string();
    assert_eq!(
        err,
        "r.csv: line 3: account Alice of aws appears twice in campaign `Q3` (first on line 2)"
    );
}

/// The AWS IAM credential report as AWS writes it, mapped with every activity column.
const CREDENTIAL_REPORT: &[u8] =
    include_bytes!("../../../tests/fixtures/aws/credential-report.csv");

fn credential_report(activity: &[&str]) -> AccessList {
    let mut list = aws();
    let columns = list.columns.as_mut().unwrap();
    columns.role = None;
    columns.disabled = None;
    columns.last_login = None;
    columns.activity = activity.iter().map(|c| c.to_string()).collect();
    list
}

const ACTIVITY: [&str; 3] = [
    "password_last_used",
    "access_key_1_last_used_date",
    "access_key_2_last_used_date",
];

#[test]
fn a_credential_report_reads_every_activity_column_with_aws_words() {
    use crate::facts::access::Use;
    let list = credential_report(&ACTIVITY);
    let as_of = Some(at("2026-10-01T06:00:00Z"));
    let snap = read_list("report.csv", CREDENTIAL_REPORT, "aws", &list, as_of, "00").unwrap();
    assert!(snap.has.last_login);
    assert_eq!(snap.activity, ACTIVITY);
    let get = |user: &str| snap.accounts.iter().find(|a| a.user_id == user).unwrap();
    // No console password, its access key used yesterday: in use, by the key.
    let svc = get("svc-reconcile");
    assert_eq!(
        svc.uses,
        [
            Use::NoCredential,
            Use::At(at("2026-09-30T02:03:00Z")),
            Use::NoneRecorded
        ]
    );
    assert_eq!(svc.last_login, Some(at("2026-09-30T02:03:00Z")));
    // A password never used and a key with no recorded use: no time, and not unknown.
    let never = get("never-used");
    assert_eq!(
        never.uses,
        [Use::Never, Use::NoneRecorded, Use::NoneRecorded]
    );
    assert_eq!(never.last_login, None);
    // The latest of several uses wins: the second key, not the first.
    assert_eq!(
        get("rotating-ci").last_login,
        Some(at("2026-09-29T22:15:00Z"))
    );
    assert_eq!(
        get("<root_account>").uses[0],
        Use::At(at("2026-09-02T10:14:00Z"))
    );
    assert_eq!(
        get("no-credentials").uses,
        [Use::NoCredential, Use::NoneRecorded, Use::NoneRecorded]
    );
    // Mapped columns are not repeated as attributes; the others stay available to `expr`.
    assert!(!svc.attributes.contains_key("access_key_1_last_used_date"));
    assert_eq!(svc.attributes.get("access_key_1_active").unwrap(), "true");
}

#[test]
fn an_activity_column_missing_from_the_export_is_refused_naming_the_policy_key() {
    let list = credential_report(&["password_last_used", "access_key_3_last_used_date"]);
    let as_of = Some(at("2026-10-01T06:00:00Z"));
    let err = read_list("report.csv", CREDENTIAL_REPORT, "aws", &list, as_of, "00")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "report.csv: line 1: no activity column (a header named `access_key_3_last_used_date`, \
             mapped to activity for aws/aws-iam by policy key `columns.activity`)"
        ),
        "{err}"
    );
}

/// An AWS IAM credential report mapped with `mfa` and `password`, and `never_disabled`.
fn iam_with_factors() -> AccessList {
    let mut list = aws();
    let columns = list.columns.as_mut().unwrap();
    columns.disabled = None;
    columns.role = None;
    columns.mfa = Some("mfa_active".into());
    columns.password = Some("password_enabled".into());
    list.never_disabled = true;
    list
}

/// Reads `text` as the AWS report mapped with `mfa`, `password` and `never_disabled`.
fn read_factors(text: &str) -> Result<crate::facts::access::ListSnapshot, AccessError> {
    read_list(
        "iam.csv",
        text.as_bytes(),
        "aws",
        &iam_with_factors(),
        None,
        "00",
    )
}

const FACTORS: &str =
    "user,user_creation_time,password_last_used,password_enabled,mfa_active,as_of\n";

#[test]
fn mfa_and_password_columns_read_as_yes_no_and_unknown_where_the_export_cannot_tell() {
    let text = format!(
        "{FACTORS}<root_account>,2019-03-04T10:00:00+00:00,N/A,not_supported,true,2026-10-01\n\
         ana,2024-01-02,N/A,TRUE,false,2026-10-01\n\
         bot,2024-01-02,N/A,false,,2026-10-01\n\
         cy,2024-01-02,N/A,Enabled,N/A,2026-10-01\n"
    );
    let list = read_factors(&text).unwrap();
    let by = |id: &str| list.accounts.iter().find(|a| a.user_id == id).unwrap();
    assert!(list.has.mfa && list.has.password);
    assert!(list.has.disabled, "never_disabled: known, and false");
    assert_eq!(
        (by("<root_account>").password, by("<root_account>").mfa),
        (None, Some(true))
    );
    assert_eq!(
        (by("ana").password, by("ana").mfa),
        (Some(true), Some(false))
    );
    assert_eq!(
        (by("bot").password, by("bot").mfa),
        (Some(false), None),
        "blank is unknown"
    );
    assert_eq!((by("cy").password, by("cy").mfa), (Some(true), None));
    assert!(list.accounts.iter().all(|a| !a.disabled));
    let ana = by("ana");
    assert!(
        !ana.attributes.contains_key("mfa_active"),
        "mapped, so not an attribute"
    );
    assert!(!ana.attributes.contains_key("password_enabled"));

    // Without the mapping the columns stay attributes and nothing is known.
    let plain = read_list("iam.csv", text.as_bytes(), "aws", &aws_plain(), None, "00").unwrap();
    assert!(!plain.has.mfa && !plain.has.password && !plain.has.disabled);
    assert!(
        plain
            .accounts
            .iter()
            .all(|a| a.mfa.is_none() && a.password.is_none())
    );
}

fn aws_plain() -> AccessList {
    let mut list = iam_with_factors();
    let columns = list.columns.as_mut().unwrap();
    columns.mfa = None;
    columns.password = None;
    list.never_disabled = false;
    list
}

#[test]
fn an_mfa_cell_that_is_no_yes_no_value_is_refused_at_its_line_and_column() {
    for (cell, column) in [("sometimes", "mfa_active"), ("2", "mfa_active")] {
        let text = format!("{FACTORS}ana,2024-01-02,N/A,true,{cell},2026-10-01\n");
        let err = read_factors(&text).unwrap_err().to_string();
        assert!(err.contains("iam.csv") && err.contains("line 2"), "{err}");
        assert!(err.contains(column) || err.contains("column 5"), "{err}");
        assert!(err.contains("is not a yes/no value"), "{err}");
    }
    let text = format!("{FACTORS}ana,2024-01-02,N/A,maybe,true,2026-10-01\n");
    let err = read_factors(&text).unwrap_err().to_string();
    assert!(err.contains("`maybe` is not a yes/no value"), "{err}");
    // A mapped column the export lacks names the policy key.
    let text = "user,user_creation_time,password_last_used,password_enabled,as_of\nana,2024-01-02,N/A,true,2026-10-01\n";
    let err = read_factors(text).unwrap_err().to_string();
    assert!(err.contains("columns.mfa"), "{err}");
}

/// Everything a streamed review export hands out, with its digest; or the first error.
fn stream_all(path: &std::path::Path) -> Result<(Vec<ReviewDecision>, String), String> {
    let mut stream = ReviewStream::open(path).map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    while let Some(d) = stream.next_decision().map_err(|e| e.to_string())? {
        all.push(d);
    }
    let digest = stream.finish().map_err(|e| e.to_string())?;
    Ok((all, digest.sha256))
}

/// A CSV review export streamed hands out exactly what reading it whole gives, and its digest
/// covers every byte (a BOM, CRLF line ends, a comment spanning lines, trailing blank lines);
/// its errors name the same places (the line a record starts on, the column).
#[test]
fn a_streamed_review_export_reads_as_the_whole_one_does() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[u8]; 3] = [
        b"campaign,system,account,entitlement,reviewer_email,decision,decided_at,comment\n\
          Q3,aws,alice,Admins,Bob@x,approve,2026-09-16T10:05:00Z,\n\
          Q3,aws,carol,Developers,bob@x,,,\n",
        b"\xEF\xBB\xBFcampaign,system,account,decision,decided_at,reviewer,comment\r\n\
          Q3,aws,alice,keep,2026-09-16,r@x,\"two\r\nlines\"\r\nQ3,okta,Alice,revoke,,r@x,\r\n\r\n",
        b"campaign,system,account,decision,decided_at,reviewer\n",
    ];
    for (n, bytes) in cases.iter().enumerate() {
        let path = dir.path().join(format!("r{n}.csv"));
        std::fs::write(&path, bytes).unwrap();
        let shown = path.display().to_string();
        let whole = read_reviews(&shown, bytes, false).unwrap();
        let (streamed, sha256) = stream_all(&path).unwrap();
        assert_eq!(streamed, whole, "case {n}");
        assert_eq!(sha256, crate::source::bounded::Digest::of(bytes).sha256);
    }
    let bad: [&[u8]; 4] = [
        b"campaign,system,account,decision,decided_at,reviewer\nQ3,aws,alice,,,\n\
          Q3,aws,bob,maybe,,\n",
        b"campaign,system,account,decision,decided_at,reviewer,comment\nQ3,aws,alice,,,,\"a\nb\"\n\
          Q3,aws,bob,keep,yesterday,,\n",
        b"campaign,system,account,decision,decided_at\nQ3,aws,alice,,\n",
        b"\xFF\xFEc\0a\0",
    ];
    for (n, bytes) in bad.iter().enumerate() {
        let path = dir.path().join(format!("bad{n}.csv"));
        std::fs::write(&path, bytes).unwrap();
        let shown = path.display().to_string();
        let whole = read_reviews(&shown, bytes, false).unwrap_err().to_string();
        assert_eq!(stream_all(&path).unwrap_err(), whole, "bad case {n}");
    }
}

/// A repeated row is named by both places, as [`read_reviews`] names it: lines for CSV
/// (counted as the records start), records for JSON.
#[test]
fn a_streamed_review_export_names_a_repeated_row_and_its_first() {
    let dir = tempfile::tempdir().unwrap();
    let csv = b"campaign,system,account,decision,decided_at,reviewer,comment\n\
                Q3,aws,alice,,,,\"a\nb\"\nQ3,aws,bob,,,,\nQ3,aws,Alice,,,,\n";
    let json = br#"[{"campaign":"Q3","system":"aws","account":"alice","decision":null,"decided_at":null,"reviewer":null},
        {"campaign":"Q3","system":"aws","account":"ALICE","decision":null,"decided_at":null,"reviewer":null}]"#;
    for (name, bytes, json) in [("r.csv", &csv[..], false), ("r.json", &json[..], true)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let shown = path.display().to_string();
        let whole = read_reviews(&shown, bytes, json).unwrap_err().to_string();
        let mut stream = ReviewStream::open(&path).unwrap();
        let mut all = Vec::new();
        while let Some(d) = stream.next_decision().unwrap() {
            all.push(d);
        }
        let again = all.len() - 1;
        let named = stream.repeated(0, again, &all[again]).to_string();
        assert_eq!(named, whole, "{name}");
    }
}
