//! Per-owner ageing across packets, for the leadership view of `report --owners` and the HTML
//! report: how many findings each owner has open, the oldest, the median days to fix, and
//! the open count after each packet.
//!
//! Computed from the packets, not the store: a report renders verified evidence only, so an
//! auditor or a leadership reader can trust the figures without the operator's database, and
//! the same packets always give the same figures. The packets are replayed through the same
//! pure lifecycle `check` records in the store (`findings::advance`), oldest first, so both
//! agree on every state. (A packet written with redaction names pseudonymised items; the
//! pseudonyms are stable under one key, so findings still match across its packets.)

use std::collections::BTreeMap;

use serde::Serialize;

use super::owners::NO_OWNER;
use crate::evaluate::Results;
use crate::findings::{self, Finding, Resolution, Seen, days_between};

/// One owner's ageing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OwnerAgeing {
    pub owner: String,
    /// Findings open (new, open or reopened) after the latest packet.
    pub open: usize,
    /// Days the oldest open finding has been open, as of the latest packet.
    pub oldest_open_days: Option<i64>,
    /// Median days from first seen to fixed (resolved because the rule passes), over every
    /// finding fixed by the latest packet.
    pub median_days_to_resolve: Option<f64>,
    pub resolved: usize,
    /// Resolved by leaving the population: not counted as fixed, to be reviewed.
    pub left_population: usize,
    pub accepted: usize,
    /// Open findings after each packet, oldest packet first.
    pub trend: Vec<usize>,
}

/// Every owner's ageing over the packets.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ageing {
    /// The packets' periods, oldest first.
    pub periods: Vec<String>,
    /// Most open first, then by name.
    pub owners: Vec<OwnerAgeing>,
}

/// Replays `runs` (each packet's results and when it ran, oldest first) through the
/// lifecycle and measures each owner's findings.
pub fn ageing(runs: &[(&Results, Seen)]) -> Ageing {
    let mut findings: Vec<Finding> = Vec::new();
    let mut trend: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (results, seen)) in runs.iter().enumerate() {
        findings = findings::advance(findings, results, seen);
        for f in findings.iter().filter(|f| f.state.is_open()) {
            let counts = trend.entry(owner(f).to_string()).or_default();
            counts.resize(runs.len(), 0);
            counts[i] += 1;
        }
    }
    let as_of = runs.last().map(|(_, s)| s.at);
    let mut by_owner: BTreeMap<String, OwnerAgeing> = BTreeMap::new();
    let mut fixes: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for f in &findings {
        let row = by_owner
            .entry(owner(f).to_string())
            .or_insert_with(|| OwnerAgeing {
                owner: owner(f).to_string(),
                ..OwnerAgeing::default()
            });
        count(row, f, as_of, &mut fixes);
    }
    let mut owners: Vec<OwnerAgeing> = by_owner
        .into_values()
        .map(|mut row| {
            row.trend = trend.remove(&row.owner).unwrap_or_default();
            row.trend.resize(runs.len(), 0);
            row.median_days_to_resolve = fixes.get(&row.owner).and_then(|d| median(d));
            row
        })
        .collect();
    owners.sort_by(|a, b| b.open.cmp(&a.open).then_with(|| a.owner.cmp(&b.owner)));
    Ageing {
        periods: runs.iter().map(|(r, _)| r.period.clone()).collect(),
        owners,
    }
}

fn owner(f: &Finding) -> &str {
    f.owner.as_deref().unwrap_or(NO_OWNER)
}

fn count(
    row: &mut OwnerAgeing,
    f: &Finding,
    as_of: Option<jiff::Timestamp>,
    fixes: &mut BTreeMap<String, Vec<i64>>,
) {
    if f.state.is_open() {
        row.open += 1;
        let age = as_of.map_or(0, |now| f.age_days(now));
        row.oldest_open_days = Some(row.oldest_open_days.map_or(age, |o| o.max(age)));
    } else if f.needs_review() {
        row.left_population += 1;
    } else if let Some(resolved) = f.resolved_at() {
        row.resolved += 1;
        debug_assert!(matches!(
            f.state,
            findings::FindingState::Resolved(Resolution::Passes)
        ));
        let days = days_between(f.first_seen.at, resolved.at);
        fixes.entry(row.owner.clone()).or_default().push(days);
    } else {
        row.accepted += 1;
    }
}

/// The median of `days`, `None` when there are none.
fn median(days: &[i64]) -> Option<f64> {
    let mut d = days.to_vec();
    d.sort_unstable();
    let n = d.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(d[n / 2] as f64),
        _ => Some((d[n / 2 - 1] + d[n / 2]) as f64 / 2.0),
    }
}

/// A Markdown section: one row per owner.
pub fn markdown(ageing: &Ageing) -> String {
    use std::fmt::Write;
    let mut out = String::from("\n## itgc: findings ageing by owner\n\n");
    out.push_str("| owner | open | oldest open (days) | median days to fix | fixed | left the population (review) | accepted | open per period |\n");
    out.push_str("|---|--:|--:|--:|--:|--:|--:|---|\n");
    for o in &ageing.owners {
        let trend: Vec<String> = o.trend.iter().map(|n| n.to_string()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            super::escape::markdown(&o.owner),
            o.open,
            o.oldest_open_days.map_or("–".into(), |d| d.to_string()),
            o.median_days_to_resolve
                .map_or("–".into(), |d| format!("{d:.1}")),
            o.resolved,
            o.left_population,
            o.accepted,
            trend.join(" → ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{ControlResult, ItemResult, Outcome, Reason, Verdict};
    use crate::population::Fingerprint;

    fn item(id: &str, owner: &str, outcome: Outcome) -> ItemResult {
        let failed = outcome == Outcome::Deviation;
        ItemResult {
            item: id.into(),
            label: id.into(),
            owner: Some(owner.into()),
            system: None,
            parent: None,
            outcome,
            reasons: failed
                .then(|| Reason {
                    rule: "r".into(),
                    verdict: Verdict::Failed,
                    message: "m".into(),
                })
                .into_iter()
                .collect(),
            exception: None,
            evidence: Vec::new(),
        }
    }

    fn packet(month: i64, items: Vec<ItemResult>) -> (Results, Seen) {
        let day = |d: i64| jiff::Timestamp::from_second(1_767_225_600 + d * 86_400).unwrap();
        let results = Results {
            period: format!("2026-{month:02}"),
            controls: vec![ControlResult {
                control: "AC-01".into(),
                title: String::new(),
                severity: "high".into(),
                owner: "gov".into(),
                population: Fingerprint::of("accounts", items.iter().map(|i| i.item.as_str())),
                items,
                gaps: Vec::new(),
                elided: Default::default(),
            }],
        };
        let seen = Seen {
            period: results.period.clone(),
            period_start: day(month * 30),
            at: day(month * 30 + 29),
        };
        (results, seen)
    }

    /// Fixes count in the median, an account that left counts apart (not as fixed), and the
    /// trend is the open count after each packet.
    #[test]
    fn each_owner_gets_open_oldest_median_to_fix_and_a_trend() {
        use Outcome::*;
        let packets = [
            packet(
                1,
                vec![
                    item("a", "pay", Deviation),
                    item("b", "pay", Deviation),
                    item("c", "pay", Deviation),
                    item("z", "ops", Deviation),
                ],
            ),
            packet(
                2,
                vec![
                    item("a", "pay", Pass),
                    item("b", "pay", Deviation),
                    item("c", "pay", Deviation),
                    item("z", "ops", Deviation),
                ],
            ),
            packet(
                3,
                vec![
                    item("a", "pay", Pass),
                    item("b", "pay", Pass),
                    item("z", "ops", Deviation),
                ],
            ),
        ];
        let runs: Vec<(&Results, Seen)> = packets.iter().map(|(r, s)| (r, s.clone())).collect();
        let ageing = ageing(&runs);
        assert_eq!(ageing.periods, ["2026-01", "2026-02", "2026-03"]);
        let pay = ageing.owners.iter().find(|o| o.owner == "pay").unwrap();
        assert_eq!((pay.open, pay.resolved, pay.left_population), (0, 2, 1));
        assert_eq!(pay.trend, [3, 2, 0]);
        // a fixed after 30 days, b after 60: median 45; c left and is not in it.
        assert_eq!(pay.median_days_to_resolve, Some(45.0));
        assert_eq!(pay.oldest_open_days, None);
        let ops = &ageing.owners[0];
        assert_eq!(ops.owner, "ops", "most open first");
        assert_eq!((ops.open, ops.oldest_open_days), (1, Some(60)));
        assert_eq!(ops.trend, [1, 1, 1]);
        assert_eq!(ops.median_days_to_resolve, None);
        let md = markdown(&ageing);
        assert!(
            md.contains("| ops | 1 | 60 | – | 0 | 0 | 0 | 1 → 1 → 1 |"),
            "{md}"
        );
        assert!(
            md.contains("| pay | 0 | – | 45.0 | 2 | 1 | 0 | 3 → 2 → 0 |"),
            "{md}"
        );
    }

    #[test]
    fn a_hostile_owner_stays_in_its_markdown_cell() {
        for hostile in crate::report::escape::HOSTILE {
            let p = packet(1, vec![item("a", hostile, Outcome::Deviation)]);
            let md = markdown(&ageing(&[(&p.0, p.1.clone())]));
            assert_eq!(md.lines().count(), 6, "{md:?}");
            assert!(!md.contains("<img"), "{md:?}");
        }
    }

    /// The HTML page shows the ageing table when given one, its owners escaped; without one
    /// (the packet's own page) it is the page it always was.
    #[test]
    fn the_html_page_shows_ageing_only_when_given() {
        let p = packet(1, vec![item("a", "<img src=x>", Outcome::Deviation)]);
        let a = ageing(&[(&p.0, p.1.clone())]);
        let with = crate::report::html::render_with_ageing(&p.0, &[], Some(&a)).unwrap();
        assert!(with.contains("<section id=\"ageing\">"), "{with}");
        assert!(
            with.contains("<td>&lt;img src=x&gt;</td><td class=\"n\">1</td>"),
            "{with}"
        );
        let without = crate::report::html::render(&p.0, &[]).unwrap();
        assert!(!without.contains("ageing"));
        assert_eq!(
            crate::report::html::render_with_ageing(&p.0, &[], None).unwrap(),
            without
        );
    }
}
