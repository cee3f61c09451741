//! The offline exports that sit beside the repository, generated from the same plan and people
//! so that they agree with it (and disagree exactly where a scenario says they should).

use std::collections::BTreeMap;

use super::access;
use super::clock::{DAY, HOUR, stamp, utc};
use super::csv::Csv;
use super::github;
use super::jobs;
use super::people::{GRACE, HANNAH, MEI, Person};
use super::repo::Landed;
use super::script::{Change, Event, MISSING_TICKET, Scenario};

/// When every export was pulled: the morning after the quarter ended.
pub(crate) const AS_OF: i64 = utc(2026, 10, 1, 8, 0);

const fn data(key: &'static str, description: &'static str) -> Scenario {
    Scenario { key, description }
}

/// Situations shown by the exports rather than by a commit.
pub(crate) const DATA_SCENARIOS: [Scenario; 13] = [
    data(
        "leaver-with-access",
        "Kevin Brandt left on 2026-08-14 and is still active in Okta, AWS and the GitHub org; he signed in to Okta and used an AWS key after leaving",
    ),
    data(
        "orphan-account",
        "AWS user temp-vendor-debug is an Admin and belongs to nobody on the HR roster",
    ),
    data(
        "dormant-admin",
        "Jonathan Pike's AWS user is an Admin that has not signed in since 2026-04-02",
    ),
    data(
        "segregation-of-duties",
        "Hannah Lindqvist is in both the Admins and the Developers IAM groups: she can deploy her own code to production",
    ),
    data(
        "no-mfa",
        "Marcus Okafor has no MFA in AWS and no two-factor authentication on GitHub",
    ),
    data(
        "contractor",
        "Dev Patel is a contractor: an outside collaborator on GitHub whose contract ends 2026-12-31",
    ),
    data(
        "incomplete-access-review",
        "The 2026-Q3 access review (SEC-91) has undecided rows, and Kevin Brandt's GitHub revocation was decided but never carried out",
    ),
    data(
        "self-review",
        "Hannah Lindqvist approved her own AWS Admins access in the access review",
    ),
    data(
        "healthy-job",
        "nightly-reconcile ran and succeeded every day from 2026-07-15",
    ),
    data(
        "missed-job-runs",
        "settlement-export left no run on 2026-08-17, 2026-08-18 and 2026-09-03",
    ),
    data(
        "job-failure-with-ticket",
        "settlement-export failed on 2026-09-08; incident INC-44 covers it",
    ),
    data(
        "job-failure-without-ticket",
        "purge-expired-sessions failed on 2026-09-12 (exit 137) and no ticket covers it",
    ),
    data(
        "dst-crossing-job",
        "akl-acquirer-settlement runs at 06:00 Pacific/Auckland: its UTC time moves an hour when New Zealand starts daylight saving on 2026-09-27, and every run is on time",
    ),
];

/// One generated export file, before it is written.
pub(crate) struct ExportFile {
    pub kind: &'static str,
    pub scope: Option<&'static str>,
    /// Relative to the demo root, `/`-separated.
    pub path: &'static str,
    pub text: String,
    pub rows: u64,
    pub as_of: i64,
}

impl ExportFile {
    fn new(
        kind: &'static str,
        scope: Option<&'static str>,
        path: &'static str,
        (text, rows): (String, u64),
    ) -> ExportFile {
        ExportFile {
            kind,
            scope,
            path,
            text,
            rows,
            as_of: AS_OF,
        }
    }
}

/// Every export, in a fixed order.
pub(crate) fn all(
    events: &[Event],
    landed: &[Landed],
) -> Result<Vec<ExportFile>, serde_json::Error> {
    let repo = Some("payments-api");
    Ok(vec![
        ExportFile::new(
            "github-prs",
            repo,
            "exports/github-prs.json",
            github::github_prs(events, landed)?,
        ),
        ExportFile::new(
            "access-list",
            Some("okta"),
            "exports/access/okta-users.csv",
            access::okta_users(),
        ),
        ExportFile::new(
            "access-list",
            Some("aws"),
            "exports/access/aws-iam.csv",
            access::aws_iam(),
        ),
        ExportFile::new(
            "access-list",
            Some("github"),
            "exports/access/github-org.json",
            access::github_org()?,
        ),
        ExportFile::new("hr-roster", None, "exports/hr/roster.csv", access::roster()),
        ExportFile::new(
            "access-review",
            None,
            "exports/reviews/q3-access-review.csv",
            access::q3_review(),
        ),
        ExportFile::new(
            "job-runs",
            repo,
            "exports/jobs/job-runs.csv",
            jobs::job_runs(),
        ),
        ExportFile::new(
            "tickets",
            None,
            "exports/tickets/tickets.csv",
            tickets(events),
        ),
    ])
}

/// One row of the ticket export (a Jira CSV export trimmed to the columns a control reads).
struct Ticket {
    kind: &'static str,
    summary: String,
    status: &'static str,
    priority: &'static str,
    assignee: &'static Person,
    created: i64,
    resolved: Option<i64>,
    labels: &'static str,
    approved: Option<(&'static Person, i64)>,
}

/// Every ticket the history cites (except the one that deliberately does not exist), plus the
/// incident, offboarding and access-review tickets the other exports cite.
fn tickets(events: &[Event]) -> (String, u64) {
    let mut tickets: BTreeMap<(String, u64), Ticket> = BTreeMap::new();
    for event in events {
        let (keys, ticket) = cited(event);
        for key in keys.into_iter().filter(|k| k != MISSING_TICKET) {
            let entry = tickets
                .entry(sort_key(&key))
                .or_insert_with(|| ticket_from(&key, &ticket));
            entry.resolved = entry.resolved.max(ticket.resolved);
        }
    }
    for (key, ticket) in extra_tickets() {
        tickets.insert(sort_key(key), ticket);
    }
    let mut csv = Csv::new(&[
        "Issue key",
        "Issue Type",
        "Status",
        "Priority",
        "Summary",
        "Assignee",
        "Reporter",
        "Created",
        "Resolved",
        "Labels",
        "Approver",
        "Approved",
    ]);
    for ((project, number), t) in &tickets {
        let (approver, approved) = t
            .approved
            .map_or((String::new(), String::new()), |(p, at)| {
                (p.email.to_string(), stamp(at))
            });
        csv.row(&[
            format!("{project}-{number}"),
            t.kind.to_string(),
            t.status.to_string(),
            t.priority.to_string(),
            t.summary.clone(),
            t.assignee.email.to_string(),
            GRACE.email.to_string(),
            stamp(t.created),
            t.resolved.map(stamp).unwrap_or_default(),
            t.labels.to_string(),
            approver,
            approved,
        ]);
    }
    let rows = csv.rows();
    (csv.into_text(), rows)
}

/// Numeric order within a project, so `PAY-99` sorts before `PAY-100`.
fn sort_key(key: &str) -> (String, u64) {
    let (project, number) = key.split_once('-').unwrap_or((key, "0"));
    (project.to_string(), number.parse().unwrap_or(0))
}

/// The ticket keys an event cites, and a template ticket describing the work.
fn cited(event: &Event) -> (Vec<String>, Ticket) {
    let (texts, author, started, summary) = match &event.change {
        Change::Pr(pr) => {
            let mut texts = vec![pr.title.as_str(), pr.body.as_str(), pr.head.as_str()];
            texts.extend(pr.commits.iter().map(|d| d.message.as_str()));
            let started = pr.commits.first().map_or(pr.merged_at, |d| d.at);
            (texts, pr.author, started, pr.title.clone())
        }
        Change::Direct(draft) => {
            let headline = draft.message.lines().next().unwrap_or_default().to_string();
            (
                vec![draft.message.as_str()],
                draft.author,
                draft.at,
                headline,
            )
        }
    };
    let mut keys: Vec<String> = texts.iter().flat_map(|t| ticket_keys(t)).collect();
    keys.sort();
    keys.dedup();
    let ticket = Ticket {
        kind: "Story",
        summary,
        status: "Done",
        priority: "Medium",
        assignee: author,
        created: started - 3 * DAY,
        resolved: Some(event.landed_at() + HOUR),
        labels: "",
        approved: Some((&GRACE, started - 2 * DAY)),
    };
    (keys, ticket)
}

/// A story for `key`, from the work that cites it. The laptop push's ticket was never approved.
fn ticket_from(key: &str, template: &Ticket) -> Ticket {
    let prefix = format!("{key}: ");
    let summary = template
        .summary
        .strip_prefix(&prefix)
        .or_else(|| template.summary.strip_prefix(&format!("{key} ")));
    Ticket {
        summary: summary.unwrap_or(&template.summary).to_string(),
        approved: if key == "PAY-158" {
            None
        } else {
            template.approved
        },
        ..*template
    }
}

/// `PAY-123`, `INC-31`, `SEC-88` keys in free text.
pub(crate) fn ticket_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for project in ["PAY-", "INC-", "SEC-"] {
        for (at, _) in text.match_indices(project) {
            let digits: String = text[at + project.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let starts_word = text[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            if !digits.is_empty() && starts_word {
                keys.push(format!("{project}{digits}"));
            }
        }
    }
    keys
}

fn extra_tickets() -> Vec<(&'static str, Ticket)> {
    let incident = |summary: &str, at: i64, resolved: i64, labels| Ticket {
        kind: "Incident",
        summary: summary.to_string(),
        status: "Done",
        priority: "Highest",
        assignee: &HANNAH,
        created: at,
        resolved: Some(resolved),
        labels,
        approved: None,
    };
    let emergency_approval = Some((&GRACE, utc(2026, 8, 24, 9, 30)));
    vec![
        (
            "INC-31",
            Ticket {
                approved: emergency_approval,
                ..incident(
                    "Customers charged twice after acquirer timeouts",
                    utc(2026, 8, 22, 1, 12),
                    utc(2026, 8, 22, 3, 30),
                    "emergency",
                )
            },
        ),
        (
            "INC-44",
            incident(
                "settlement-export failed: SFTP timeout",
                utc(2026, 9, 8, 5, 52),
                utc(2026, 9, 8, 9, 15),
                "job-failure",
            ),
        ),
        (
            "SEC-88",
            Ticket {
                kind: "Task",
                summary: "Offboard Kevin Brandt (last day 2026-08-14)".to_string(),
                status: "Open",
                priority: "High",
                assignee: &MEI,
                created: utc(2026, 8, 14, 16, 20),
                resolved: None,
                labels: "offboarding",
                approved: None,
            },
        ),
        (
            "SEC-91",
            Ticket {
                kind: "Task",
                summary: "2026-Q3 user access review".to_string(),
                status: "In Progress",
                priority: "High",
                assignee: &MEI,
                created: utc(2026, 9, 14, 9, 0),
                resolved: None,
                labels: "access-review",
                approved: None,
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ticket_keys_at_word_starts_only() {
        assert_eq!(
            ticket_keys("PAY-12: fix (INC-3) and XPAY-4, PAY-"),
            ["PAY-12", "INC-3"]
        );
    }
}
