//! Access lists, the HR roster and the quarter's access review, all from the one people table.
//!
//! Deliberate findings: Kevin Brandt left on 2026-08-14 but is still active in Okta, AWS and the
//! GitHub org (and used Okta and AWS after leaving); `temp-vendor-debug` is an AWS admin nobody
//! in HR owns; Marcus Okafor has no MFA; the access review is unfinished, Kevin's GitHub
//! revocation was decided but never carried out, and Hannah Lindqvist approved her own admin
//! access.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::clock::stamp;
use super::csv::Csv;
use super::exports::AS_OF;
use super::people::{
    DEV, ELENA, GRACE, HANNAH, JONATHAN, KEVIN, Kind, MARCUS, MEI, PRIYA, Person, ROSTER, RUTH,
    SAMUEL, TOMAS,
};

fn as_of() -> String {
    stamp(AS_OF)
}

/// Whether HR considers the person gone by the export date.
fn has_left(person: &Person) -> bool {
    person.end.is_some_and(|end| end < "2026-10-01")
}

/// The person's account name in systems that use the email's local part.
fn user_name(person: &Person) -> &'static str {
    person
        .email
        .split_once('@')
        .map_or(person.email, |(local, _)| local)
}

pub(crate) fn roster() -> (String, u64) {
    let mut csv = Csv::new(&[
        "employee_id",
        "name",
        "email",
        "title",
        "department",
        "manager_id",
        "manager_email",
        "employment_type",
        "status",
        "start_date",
        "end_date",
        "github_login",
        "as_of",
    ]);
    for person in ROSTER {
        let manager = person.manager;
        csv.row(&[
            person.id,
            person.name,
            person.email,
            person.title,
            person.department,
            manager.map_or("", |m| m.id),
            manager.map_or("", |m| m.email),
            if person.kind == Kind::Contractor {
                "contractor"
            } else {
                "employee"
            },
            if has_left(person) {
                "terminated"
            } else {
                "active"
            },
            person.start,
            person.end.unwrap_or(""),
            person.login,
            &as_of(),
        ]);
    }
    let rows = csv.rows();
    (csv.into_text(), rows)
}

/// Okta's 20-character user ids, derived from the email so they are stable.
fn okta_id(person: &Person) -> String {
    let digest = Sha256::digest(person.email.as_bytes());
    let hex = crate::hex::hex(&digest);
    format!("00u{}", &hex[..17])
}

fn okta_groups(person: &Person) -> &'static str {
    match (person.department, person.kind) {
        (_, Kind::Contractor) => "Everyone;Contractors;GitHub;AWS",
        ("Engineering", _) if person.login == HANNAH.login => {
            "Everyone;Engineering;GitHub;AWS;AWS-Prod-Admin"
        }
        ("Engineering", _) => "Everyone;Engineering;GitHub;AWS",
        ("Security", _) => "Everyone;Security;GitHub;AWS-Audit",
        ("Finance", _) => "Everyone;Finance;NetSuite",
        _ => "Everyone",
    }
}

/// Last sign-in: Kevin's is after his last day, Ruth's is her last day.
fn okta_last_login(person: &Person) -> String {
    match person.login {
        "kbrandt" => "2026-08-20T07:41:00Z".to_string(),
        "rabernathy" => "2026-05-29T16:02:00Z".to_string(),
        _ => format!(
            "2026-09-{:02}T08:{:02}:00Z",
            28 + person.name.len() % 3,
            person.name.len() % 60
        ),
    }
}

pub(crate) fn okta_users() -> (String, u64) {
    let mut csv = Csv::new(&[
        "id",
        "login",
        "first_name",
        "last_name",
        "email",
        "status",
        "created",
        "last_login",
        "groups",
        "as_of",
    ]);
    for person in ROSTER {
        // Ruth was deprovisioned on time; Kevin was not.
        let status = if person.login == RUTH.login {
            "DEPROVISIONED"
        } else {
            "ACTIVE"
        };
        csv.row(&[
            okta_id(person),
            person.email.to_string(),
            person.first_name().to_string(),
            person.last_name().to_string(),
            person.email.to_string(),
            status.to_string(),
            format!("{}T08:00:00Z", person.start),
            okta_last_login(person),
            okta_groups(person).to_string(),
            as_of(),
        ]);
    }
    let rows = csv.rows();
    (csv.into_text(), rows)
}

/// One user of the AWS credential report (a subset of its columns, plus IAM groups).
struct IamUser {
    user: &'static str,
    created: &'static str,
    password: &'static str,
    password_last_used: &'static str,
    mfa: bool,
    key_active: bool,
    key_last_used: &'static str,
    groups: &'static str,
}

const fn human(user: &'static str, created: &'static str, groups: &'static str) -> IamUser {
    IamUser {
        user,
        created,
        password: "true",
        password_last_used: "2026-09-29T17:05:00+00:00",
        mfa: true,
        key_active: false,
        key_last_used: "N/A",
        groups,
    }
}

const fn service(user: &'static str, created: &'static str, groups: &'static str) -> IamUser {
    IamUser {
        user,
        created,
        password: "false",
        password_last_used: "N/A",
        mfa: false,
        key_active: true,
        key_last_used: "2026-10-01T02:03:00+00:00",
        groups,
    }
}

fn iam_users() -> Vec<IamUser> {
    let person = |p: &'static Person, created, groups| human(user_name(p), created, groups);
    vec![
        IamUser {
            password: "not_supported",
            password_last_used: "2026-02-11T10:14:00+00:00",
            ..human("<root_account>", "2019-03-04T10:00:00+00:00", "")
        },
        person(&SAMUEL, "2019-03-04T10:20:00+00:00", "Admins"),
        person(&MEI, "2022-04-04T09:30:00+00:00", "SecurityAudit"),
        person(&GRACE, "2021-01-11T09:30:00+00:00", "ProdReadOnly"),
        person(
            &PRIYA,
            "2020-06-01T09:30:00+00:00",
            "Developers;ProdReadOnly",
        ),
        IamUser {
            mfa: false,
            ..person(&MARCUS, "2021-08-16T09:30:00+00:00", "Developers")
        },
        person(&ELENA, "2023-02-06T09:30:00+00:00", "Developers"),
        person(&TOMAS, "2023-09-04T09:30:00+00:00", "Developers"),
        IamUser {
            key_active: true,
            key_last_used: "2026-09-30T11:40:00+00:00",
            ..person(&HANNAH, "2022-01-10T09:30:00+00:00", "Admins;Developers")
        },
        IamUser {
            password_last_used: "2026-04-02T16:45:00+00:00",
            ..person(&JONATHAN, "2019-03-04T10:30:00+00:00", "Admins")
        },
        person(&DEV, "2026-05-04T09:30:00+00:00", "Developers"),
        IamUser {
            password_last_used: "2026-08-13T18:22:00+00:00",
            key_active: true,
            key_last_used: "2026-08-19T22:10:00+00:00",
            ..person(&KEVIN, "2022-10-03T09:30:00+00:00", "Developers")
        },
        service(
            "svc-reconcile",
            "2026-07-14T15:00:00+00:00",
            "ServiceAccounts",
        ),
        service("terraform-ci", "2026-07-09T12:00:00+00:00", "Admins"),
        IamUser {
            mfa: false,
            key_active: true,
            key_last_used: "2026-07-30T15:48:00+00:00",
            password_last_used: "2026-07-30T15:31:00+00:00",
            ..human("temp-vendor-debug", "2026-07-28T14:02:00+00:00", "Admins")
        },
    ]
}

/// The IAM credential report's columns, in the order AWS writes them (IAM User Guide,
/// "Getting credential reports"), then the IAM groups and the export date the demo adds.
const CREDENTIAL_REPORT: [&str; 24] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
    "groups",
    "as_of",
];

pub(crate) fn aws_iam() -> (String, u64) {
    let mut csv = Csv::new(&CREDENTIAL_REPORT);
    for u in iam_users() {
        csv.row(&credential_report_row(&u));
    }
    let rows = csv.rows();
    (csv.into_text(), rows)
}

/// One user's row with AWS's own words: `not_supported` for the root user's password
/// fields, `N/A` for a credential the user does not have (or a key never used).
fn credential_report_row(u: &IamUser) -> Vec<String> {
    let root = u.user == "<root_account>";
    let arn = if root {
        "arn:aws:iam::210987654321:root".to_string()
    } else {
        format!("arn:aws:iam::210987654321:user/{}", u.user)
    };
    let na = || "N/A".to_string();
    let password_changed = match u.password {
        "true" => u.created.to_string(),
        "not_supported" => "not_supported".to_string(),
        _ => na(),
    };
    let used = u.key_last_used != "N/A";
    let mut row = vec![
        u.user.to_string(),
        arn,
        u.created.to_string(),
        u.password.to_string(),
        u.password_last_used.to_string(),
        password_changed,
        if root { "not_supported".into() } else { na() },
        u.mfa.to_string(),
        u.key_active.to_string(),
        if u.key_active {
            u.created.to_string()
        } else {
            na()
        },
        u.key_last_used.to_string(),
        if used { "eu-west-1".into() } else { na() },
        if used { "sts".into() } else { na() },
    ];
    row.extend(["false", "N/A", "N/A", "N/A", "N/A"].map(String::from));
    row.extend(["false", "N/A", "false", "N/A"].map(String::from));
    row.extend([u.groups.to_string(), as_of()]);
    row
}

/// (member, role, two-factor enabled, teams)
fn github_members() -> Vec<(&'static Person, &'static str, bool, Vec<&'static str>)> {
    vec![
        (&SAMUEL, "admin", true, vec!["platform"]),
        (
            &GRACE,
            "member",
            true,
            vec!["payments-eng", "payments-leads"],
        ),
        (&MEI, "member", true, vec!["security"]),
        (
            &PRIYA,
            "member",
            true,
            vec!["payments-eng", "payments-leads"],
        ),
        (&MARCUS, "member", false, vec!["payments-eng"]),
        (&ELENA, "member", true, vec!["payments-eng"]),
        (&TOMAS, "member", true, vec!["payments-eng"]),
        (&HANNAH, "admin", true, vec!["platform"]),
        (&KEVIN, "member", true, vec!["payments-eng"]),
    ]
}

pub(crate) fn github_org() -> Result<(String, u64), serde_json::Error> {
    let members: Vec<Value> = github_members()
        .into_iter()
        .map(|(p, role, two_factor, teams)| {
            json!({ "login": p.login, "name": p.name, "email": p.email, "role": role,
                    "two_factor_enabled": two_factor, "teams": teams,
                    "created_at": format!("{}T09:00:00Z", p.start) })
        })
        .collect();
    let collaborators = vec![json!({
        "login": DEV.login, "name": DEV.name, "email": DEV.email,
        "created_at": format!("{}T09:00:00Z", DEV.start),
        "repositories": [{ "name": "payments-api", "permission": "write" }],
        "two_factor_enabled": true,
    })];
    let rows = (members.len() + collaborators.len()) as u64;
    let org = json!({
        "org": "demo-fintech",
        "as_of": as_of(),
        "members": members,
        "outside_collaborators": collaborators,
    });
    let mut text = serde_json::to_string_pretty(&org)?;
    text.push('\n');
    Ok((text, rows))
}

/// One line of the review campaign: who decided what about which account.
struct Decision {
    system: &'static str,
    account: String,
    person: Option<&'static Person>,
    entitlement: &'static str,
    reviewer: &'static Person,
    decision: &'static str,
    decided_at: &'static str,
    comment: &'static str,
}

fn decide(
    system: &'static str,
    person: &'static Person,
    entitlement: &'static str,
    decided_at: &'static str,
) -> Decision {
    let account = if system == "github" {
        person.login
    } else {
        user_name(person)
    };
    Decision {
        system,
        account: account.to_string(),
        person: Some(person),
        entitlement,
        reviewer: person.manager.unwrap_or(&SAMUEL),
        decision: "approve",
        decided_at,
        comment: "",
    }
}

fn pending(d: Decision) -> Decision {
    Decision {
        decision: "",
        decided_at: "",
        ..d
    }
}

fn q3_decisions() -> Vec<Decision> {
    vec![
        decide("aws", &SAMUEL, "Admins", "2026-09-16T10:05:00Z"),
        decide("aws", &MEI, "SecurityAudit", "2026-09-16T10:07:00Z"),
        decide(
            "aws",
            &PRIYA,
            "Developers;ProdReadOnly",
            "2026-09-17T14:21:00Z",
        ),
        decide("aws", &MARCUS, "Developers", "2026-09-17T14:22:00Z"),
        decide("aws", &ELENA, "Developers", "2026-09-17T14:23:00Z"),
        pending(decide("aws", &TOMAS, "Developers", "")),
        Decision {
            reviewer: &HANNAH,
            comment: "Needed for on-call",
            ..decide("aws", &HANNAH, "Admins;Developers", "2026-09-18T09:12:00Z")
        },
        Decision {
            comment: "Contract runs to 2026-12-31",
            ..decide("aws", &DEV, "Developers", "2026-09-17T14:25:00Z")
        },
        pending(decide("aws", &KEVIN, "Developers", "")),
        Decision {
            account: "temp-vendor-debug".to_string(),
            person: None,
            ..pending(decide("aws", &HANNAH, "Admins", ""))
        },
        decide("github", &SAMUEL, "admin", "2026-09-16T10:10:00Z"),
        decide("github", &PRIYA, "member", "2026-09-22T11:02:00Z"),
        decide("github", &MARCUS, "member", "2026-09-22T11:03:00Z"),
        pending(decide("github", &ELENA, "member", "")),
        decide("github", &TOMAS, "member", "2026-09-22T11:05:00Z"),
        decide("github", &HANNAH, "admin", "2026-09-22T11:06:00Z"),
        Decision {
            comment: "Outside collaborator, contract to 2026-12-31",
            ..decide(
                "github",
                &DEV,
                "write: payments-api",
                "2026-09-22T11:07:00Z",
            )
        },
        Decision {
            decision: "revoke",
            comment: "Left 2026-08-14",
            ..decide("github", &KEVIN, "member", "2026-09-22T11:08:00Z")
        },
    ]
}

pub(crate) fn q3_review() -> (String, u64) {
    let mut csv = Csv::new(&[
        "campaign",
        "system",
        "account",
        "person_email",
        "entitlement",
        "reviewer_email",
        "decision",
        "decided_at",
        "comment",
    ]);
    for d in q3_decisions() {
        csv.row(&[
            "2026-Q3 user access review (SEC-91)",
            d.system,
            &d.account,
            d.person.map_or("", |p| p.email),
            d.entitlement,
            d.reviewer.email,
            d.decision,
            d.decided_at,
            d.comment,
        ]);
    }
    let rows = csv.rows();
    (csv.into_text(), rows)
}
