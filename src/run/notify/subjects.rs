//! The adapter from one run's results to notification subjects, until the findings lifecycle
//! provides them: every failed rule on a deviating item is an open finding; a finding the
//! ledger holds as open that no longer fails is resolved (its item passes), accepted (an
//! exception covers it) or resolved by leaving the population (its item is gone). Unknown is
//! not resolved: an item not evaluated, or a control whose population has gaps, leaves its
//! findings as they were.

use std::collections::{BTreeMap, BTreeSet};

use crate::evaluate::{ControlResult, ItemResult, Outcome, Results, Verdict};
use crate::findings::FindingId;
use crate::model::Catalog;
use crate::notify::{Subject, SubjectStatus};
use crate::store::SentNotification;

/// The run's subjects for `period` and how many failed rules have no owner team.
pub fn subjects(
    results: &Results,
    ledger: &[SentNotification],
    period: &str,
    catalog: &Catalog,
) -> (Vec<Subject>, usize) {
    let links = Links::new(catalog);
    let mut out = Vec::new();
    let mut unowned = 0;
    for control in &results.controls {
        for item in control
            .items
            .iter()
            .filter(|i| i.outcome == Outcome::Deviation)
        {
            for reason in item.reasons.iter().filter(|r| r.verdict == Verdict::Failed) {
                let Some(team) = &item.owner else {
                    unowned += 1;
                    continue;
                };
                let id = FindingId::new(&control.control, &item.item, &reason.rule);
                // One finding per rule: a rule that failed twice on an item says both reasons.
                if let Some(same) = out.iter_mut().rev().find(|s: &&mut Subject| s.id == id) {
                    same.reason.push_str("; ");
                    same.reason.push_str(&reason.message);
                    continue;
                }
                out.push(Subject {
                    id,
                    control: control.control.clone(),
                    item: item.item.clone(),
                    rule: reason.rule.clone(),
                    team: team.clone(),
                    system: item.system.clone(),
                    label: item.label.clone(),
                    reason: reason.message.clone(),
                    status: SubjectStatus::Open,
                    period: period.to_string(),
                    evidence: links.of(&item.evidence),
                });
            }
        }
    }
    let open: BTreeSet<String> = out.iter().map(|s| s.id.to_string()).collect();
    out.extend(ended(results, ledger, period, &open, &links));
    (out, unowned)
}

/// Findings the ledger holds as open in `period` that this run no longer finds failing, with
/// how they ended; each once, whatever number of channels hold it.
fn ended(
    results: &Results,
    ledger: &[SentNotification],
    period: &str,
    open: &BTreeSet<String>,
    links: &Links,
) -> Vec<Subject> {
    let controls: BTreeMap<&str, &ControlResult> = results
        .controls
        .iter()
        .map(|c| (c.control.as_str(), c))
        .collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for row in ledger {
        let per_finding = !row.control.is_empty();
        if !per_finding
            || row.state != "open"
            || row.period != period
            || open.contains(&row.subject)
        {
            continue;
        }
        if !seen.insert(row.subject.clone()) {
            continue;
        }
        let Some(control) = controls.get(row.control.as_str()) else {
            continue; // not evaluated in this run: unknown
        };
        let item = control.items.iter().find(|i| i.item == row.item);
        let Some(status) = how_it_ended(control, item) else {
            continue;
        };
        out.push(Subject {
            id: FindingId::new(&row.control, &row.item, &row.rule),
            control: row.control.clone(),
            item: row.item.clone(),
            rule: row.rule.clone(),
            team: row.team.clone(),
            system: item.and_then(|i| i.system.clone()),
            label: item.map_or_else(|| row.label.clone(), |i| i.label.clone()),
            reason: status.closing(),
            status,
            period: period.to_string(),
            evidence: item.map(|i| links.of(&i.evidence)).unwrap_or_default(),
        });
    }
    out
}

/// How a finding no longer failing ended; `None` when this run cannot tell.
fn how_it_ended(control: &ControlResult, item: Option<&ItemResult>) -> Option<SubjectStatus> {
    match item {
        // Gone from a complete population: it left; from an incomplete one: unknown.
        None if control.gaps.is_empty() => Some(SubjectStatus::Resolved {
            left_population: true,
        }),
        None => None,
        Some(i) => match i.outcome {
            Outcome::NotEvaluated => None,
            Outcome::Exception => Some(SubjectStatus::Accepted {
                exception: i.exception.clone().unwrap_or_default(),
            }),
            Outcome::NotApplicable => Some(SubjectStatus::Resolved {
                left_population: true,
            }),
            Outcome::Pass | Outcome::Deviation => Some(SubjectStatus::Resolved {
                left_population: false,
            }),
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
    use crate::evaluate::Reason;
    use crate::population::Fingerprint;

    fn item(id: &str, outcome: Outcome) -> ItemResult {
        ItemResult {
            item: id.into(),
            label: format!("label of {id}"),
            owner: Some("payments".into()),
            system: Some("payments".into()),
            parent: None,
            outcome,
            reasons: vec![Reason {
                rule: "independent-approval".into(),
                verdict: if outcome == Outcome::Pass {
                    Verdict::NotApplicable
                } else {
                    Verdict::Failed
                },
                message: "approved by its author".into(),
            }],
            exception: (outcome == Outcome::Exception).then(|| "EX-1".to_string()),
            evidence: vec![format!("pr:payments-api#{}", id.len())],
        }
    }

    fn results(items: Vec<ItemResult>, gaps: Vec<String>) -> Results {
        Results {
            period: "2026-Q3".into(),
            controls: vec![ControlResult {
                control: "CM-01".into(),
                title: "t".into(),
                severity: "high".into(),
                owner: "payments".into(),
                population: Fingerprint::of("change", []),
                items,
                gaps,
                elided: Default::default(),
            }],
        }
    }

    fn open_row(item: &str) -> SentNotification {
        SentNotification {
            channel: "github:acme/issues".into(),
            subject: FindingId::new("CM-01", item, "independent-approval").to_string(),
            team: "payments".into(),
            period: "2026-Q3".into(),
            control: "CM-01".into(),
            item: item.into(),
            rule: "independent-approval".into(),
            label: "old label".into(),
            reference: Some("1".into()),
            state: "open".into(),
            content_hash: "h".into(),
            sent_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn statuses(results: &Results, ledger: &[SentNotification]) -> Vec<(String, SubjectStatus)> {
        let (subjects, _) = subjects(
            results,
            ledger,
            "2026-Q3",
            &Catalog {
                controls: vec![],
                policies: vec![],
            },
        );
        subjects.into_iter().map(|s| (s.item, s.status)).collect()
    }

    #[test]
    fn each_way_a_finding_ends_is_told_apart() {
        let r = results(
            vec![
                item("fixed", Outcome::Pass),
                item("still", Outcome::Deviation),
                item("excepted", Outcome::Exception),
                item("unknown", Outcome::NotEvaluated),
            ],
            vec![],
        );
        let ledger: Vec<_> = ["fixed", "still", "excepted", "unknown", "gone"]
            .map(open_row)
            .into();
        let got = statuses(&r, &ledger);
        assert_eq!(
            got,
            [
                ("still".to_string(), SubjectStatus::Open),
                (
                    "fixed".to_string(),
                    SubjectStatus::Resolved {
                        left_population: false
                    }
                ),
                (
                    "excepted".to_string(),
                    SubjectStatus::Accepted {
                        exception: "EX-1".into()
                    }
                ),
                (
                    "gone".to_string(),
                    SubjectStatus::Resolved {
                        left_population: true
                    }
                ),
            ]
        );
    }

    #[test]
    fn gone_from_an_incomplete_population_is_not_resolved() {
        let r = results(vec![], vec!["a source could not be read".into()]);
        assert!(statuses(&r, &[open_row("gone")]).is_empty());
        // Nor from another period's ledger rows.
        let mut other = open_row("gone");
        other.period = "2026-Q2".into();
        assert!(statuses(&results(vec![], vec![]), &[other]).is_empty());
    }

    #[test]
    fn a_rule_failing_twice_on_an_item_is_one_finding_with_both_reasons() {
        let mut i = item("job", Outcome::Deviation);
        let mut again = i.reasons[0].clone();
        again.message = "missed again".into();
        i.reasons.push(again);
        let (subjects, _) = subjects(
            &results(vec![i], vec![]),
            &[],
            "2026-Q3",
            &Catalog {
                controls: vec![],
                policies: vec![],
            },
        );
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].reason, "approved by its author; missed again");
    }

    #[test]
    fn unowned_findings_are_counted_not_sent() {
        let mut i = item("x", Outcome::Deviation);
        i.owner = None;
        let (subjects, unowned) = subjects(
            &results(vec![i], vec![]),
            &[],
            "2026-Q3",
            &Catalog {
                controls: vec![],
                policies: vec![],
            },
        );
        assert!(subjects.is_empty());
        assert_eq!(unowned, 1);
    }
}
