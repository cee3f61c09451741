//! From the findings lifecycle to notification subjects: what each finding's owner is told.
//! The lifecycle decides how a finding stands (and that unknown resolves nothing); this file
//! only maps its states onto the three a channel shows, and links the evidence the run named.

use std::collections::BTreeMap;

use crate::evaluate::Results;
use crate::findings::{Finding, FindingState, Resolution};
use crate::model::Catalog;
use crate::notify::{Subject, SubjectStatus};

/// The subjects for `period` from its findings, and how many open findings have no owner
/// team (nobody can be told; they are counted, not sent).
pub fn subjects(
    findings: &[Finding],
    results: &Results,
    period: &str,
    catalog: &Catalog,
) -> (Vec<Subject>, usize) {
    let links = Links::new(catalog);
    let evidence: BTreeMap<(&str, &str), &[String]> = results
        .controls
        .iter()
        .flat_map(|c| {
            c.items
                .iter()
                .map(move |i| ((c.control.as_str(), i.item.as_str()), i.evidence.as_slice()))
        })
        .collect();
    let mut out = Vec::new();
    let mut unowned = 0;
    for finding in findings {
        let status = status(&finding.state);
        let Some(team) = &finding.owner else {
            unowned += usize::from(status.is_open());
            continue;
        };
        let reason = match status {
            SubjectStatus::Open => finding.reason.clone(),
            _ => status.closing(),
        };
        out.push(Subject {
            id: finding.id.clone(),
            control: finding.control.clone(),
            item: finding.item.clone(),
            rule: finding.rule.clone(),
            team: team.clone(),
            system: finding.system.clone(),
            label: finding.label.clone(),
            reason,
            status,
            period: period.to_string(),
            evidence: evidence
                .get(&(finding.control.as_str(), finding.item.as_str()))
                .map(|e| links.of(e))
                .unwrap_or_default(),
        });
    }
    (out, unowned)
}

/// A channel knows open, resolved (fixed, or gone from the population) and accepted; new and
/// reopened are open to it (the planner tells a reopening from its ledger).
fn status(state: &FindingState) -> SubjectStatus {
    match state {
        FindingState::New | FindingState::Open | FindingState::Reopened => SubjectStatus::Open,
        FindingState::Resolved(how) => SubjectStatus::Resolved {
            left_population: *how == Resolution::LeftPopulation,
        },
        FindingState::Accepted { exception } => SubjectStatus::Accepted {
            exception: exception.clone(),
        },
    }
}

/// Evidence references as GitHub URLs where the policy names the repository on GitHub.
struct Links {
    repos: BTreeMap<String, String>,
}

impl Links {
    fn new(catalog: &Catalog) -> Links {
        let repos = catalog
            .policies
            .iter()
            .flat_map(|p| &p.value.systems)
            .flat_map(|s| &s.repos)
            .filter_map(|r| r.github.as_ref().map(|g| (r.name.clone(), g.clone())))
            .collect();
        Links { repos }
    }

    fn of(&self, evidence: &[String]) -> Vec<String> {
        evidence.iter().map(|e| self.link(e)).collect()
    }

    /// `pr:REPO#N` and `commit:REPO@OID` as links; anything else as it is.
    fn link(&self, reference: &str) -> String {
        let url = |repo: &str, path: String| {
            self.repos
                .get(repo)
                .map(|github| format!("https://github.com/{github}/{path}"))
        };
        let linked = if let Some(rest) = reference.strip_prefix("pr:") {
            rest.rsplit_once('#')
                .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|(repo, n)| url(repo, format!("pull/{n}")))
        } else if let Some(rest) = reference.strip_prefix("commit:") {
            rest.rsplit_once('@')
                .filter(|(_, oid)| !oid.is_empty() && oid.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|(repo, oid)| url(repo, format!("commit/{oid}")))
        } else {
            None
        };
        linked.unwrap_or_else(|| reference.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{FindingId, Seen};

    fn finding(item: &str, owner: Option<&str>, state: FindingState) -> Finding {
        let seen = Seen {
            period: "2026-Q3".into(),
            period_start: "2026-07-01T00:00:00Z".parse().unwrap(),
            at: "2026-10-02T00:00:00Z".parse().unwrap(),
        };
        Finding {
            id: FindingId::new("CM-02", item, "independent-approval"),
            control: "CM-02".into(),
            item: item.into(),
            rule: "independent-approval".into(),
            owner: owner.map(str::to_string),
            system: Some("payments".into()),
            label: format!("label of {item}"),
            reason: format!("{item} was approved by its author"),
            state,
            first_seen: seen.clone(),
            last_seen: seen,
            runs_open: 1,
            history: Vec::new(),
        }
    }

    fn no_results() -> Results {
        Results {
            period: "2026-Q3".into(),
            controls: Vec::new(),
        }
    }

    fn catalog() -> Catalog {
        crate::model::load(&[], &[], jiff::civil::date(2026, 12, 1))
            .catalog
            .expect("an empty catalogue loads")
    }

    #[test]
    fn each_lifecycle_state_maps_to_what_a_channel_shows() {
        let findings = [
            finding("a", Some("payments"), FindingState::New),
            finding("b", Some("payments"), FindingState::Reopened),
            finding(
                "c",
                Some("payments"),
                FindingState::Resolved(Resolution::Passes),
            ),
            finding(
                "d",
                Some("payments"),
                FindingState::Resolved(Resolution::LeftPopulation),
            ),
            finding(
                "e",
                Some("payments"),
                FindingState::Accepted {
                    exception: "EX-1".into(),
                },
            ),
        ];
        let (subjects, unowned) = subjects(&findings, &no_results(), "2026-Q3", &catalog());
        assert_eq!(unowned, 0);
        let got: Vec<(&str, &SubjectStatus)> = subjects
            .iter()
            .map(|s| (s.item.as_str(), &s.status))
            .collect();
        assert_eq!(
            got,
            [
                ("a", &SubjectStatus::Open),
                ("b", &SubjectStatus::Open),
                (
                    "c",
                    &SubjectStatus::Resolved {
                        left_population: false
                    }
                ),
                (
                    "d",
                    &SubjectStatus::Resolved {
                        left_population: true
                    }
                ),
                (
                    "e",
                    &SubjectStatus::Accepted {
                        exception: "EX-1".into()
                    }
                ),
            ]
        );
        assert_eq!(subjects[0].reason, "a was approved by its author");
        assert!(
            subjects[3].reason.contains("Review why"),
            "{}",
            subjects[3].reason
        );
        assert_eq!(
            subjects[0].id, findings[0].id,
            "the lifecycle's id is the subject's"
        );
    }

    #[test]
    fn open_findings_without_an_owner_are_counted_not_sent() {
        let findings = [
            finding("a", None, FindingState::Open),
            finding("b", None, FindingState::Resolved(Resolution::Passes)),
            finding("c", Some("payments"), FindingState::Open),
        ];
        let (subjects, unowned) = subjects(&findings, &no_results(), "2026-Q3", &catalog());
        assert_eq!(unowned, 1);
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].item, "c");
    }
}
