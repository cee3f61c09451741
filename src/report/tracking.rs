//! `itgc findings`: findings followed across runs, listed with their state and age, as
//! terminal text, Markdown or JSON (the JSON carries each finding's whole history). Every
//! string that came from data (labels, reasons, owners, item ids) goes through the escaper
//! of its medium, or through the JSON serialiser.

use std::fmt::Write;

use jiff::Timestamp;
use serde::Serialize;

use super::escape;
use crate::findings::{Finding, FindingState, Seen, days_between};

/// The version of the JSON document below; bump on an incompatible change.
pub const JSON_VERSION: u32 = 1;

/// Days a finding has been (or was, until resolved) open as of `now`.
pub fn age_days(f: &Finding, now: Timestamp) -> i64 {
    let until = f.resolved_at().map_or(now, |s| s.at);
    days_between(f.first_seen.at, until)
}

/// The item's label, or its id when no run gave it one.
fn what(f: &Finding) -> &str {
    if f.label.is_empty() {
        &f.item
    } else {
        &f.label
    }
}

fn state_words(f: &Finding) -> String {
    f.state.describe()
}

/// One line per finding, its reason indented below.
pub fn human(findings: &[Finding], now: Timestamp) -> String {
    if findings.is_empty() {
        return "no findings\n".to_string();
    }
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(
            out,
            "{}  {}  {}d  {}  {} {} {}  {}",
            f.id,
            state_words(f),
            age_days(f, now),
            escape::terminal(f.owner.as_deref().unwrap_or(super::owners::NO_OWNER)),
            escape::terminal(&f.control),
            escape::terminal(&f.rule),
            escape::terminal(&f.item),
            escape::terminal(&f.label),
        );
        let _ = writeln!(out, "    {}", escape::terminal(&f.reason));
    }
    let open = findings.iter().filter(|f| f.state.is_open()).count();
    let review = findings.iter().filter(|f| f.needs_review()).count();
    let _ = writeln!(
        out,
        "{} findings: {open} open, {review} left the population (review)",
        findings.len()
    );
    out
}

/// A Markdown table, one row per finding.
pub fn markdown(findings: &[Finding], now: Timestamp) -> String {
    let mut out = String::from("## itgc: findings\n\n");
    out.push_str("| id | state | age (days) | owner | control | rule | item | reason |\n");
    out.push_str("|---|---|--:|---|---|---|---|---|\n");
    for f in findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            f.id,
            escape::markdown(&state_words(f)),
            age_days(f, now),
            escape::markdown(f.owner.as_deref().unwrap_or(super::owners::NO_OWNER)),
            escape::markdown(&f.control),
            escape::markdown(&f.rule),
            escape::markdown(what(f)),
            escape::markdown(&f.reason),
        );
    }
    out
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    as_of: String,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonSeen<'a> {
    period: &'a str,
    at: String,
}

impl<'a> JsonSeen<'a> {
    fn of(s: &'a Seen) -> Self {
        JsonSeen {
            period: &s.period,
            at: s.at.to_string(),
        }
    }
}

#[derive(Serialize)]
struct JsonState<'a> {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolution: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exception: Option<&'a str>,
}

impl<'a> JsonState<'a> {
    fn of(s: &'a FindingState) -> Self {
        JsonState {
            state: s.name(),
            resolution: match s {
                FindingState::Resolved(r) => Some(r.as_str()),
                _ => None,
            },
            exception: match s {
                FindingState::Accepted { exception } => Some(exception),
                _ => None,
            },
        }
    }
}

#[derive(Serialize)]
struct JsonTransition<'a> {
    #[serde(flatten)]
    seen: JsonSeen<'a>,
    #[serde(flatten)]
    state: JsonState<'a>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'a str,
    control: &'a str,
    item: &'a str,
    rule: &'a str,
    owner: Option<&'a str>,
    system: Option<&'a str>,
    label: &'a str,
    reason: &'a str,
    #[serde(flatten)]
    state: JsonState<'a>,
    /// Resolved by leaving the population: not a fix until reviewed.
    needs_review: bool,
    age_days: i64,
    runs_open: u32,
    first_seen: JsonSeen<'a>,
    last_seen: JsonSeen<'a>,
    history: Vec<JsonTransition<'a>>,
}

/// The findings as a versioned JSON document, each with its whole history.
pub fn json(findings: &[Finding], now: Timestamp) -> String {
    let doc = Document {
        version: JSON_VERSION,
        as_of: now.to_string(),
        findings: findings
            .iter()
            .map(|f| JsonFinding {
                id: f.id.as_str(),
                control: &f.control,
                item: &f.item,
                rule: &f.rule,
                owner: f.owner.as_deref(),
                system: f.system.as_deref(),
                label: &f.label,
                reason: &f.reason,
                state: JsonState::of(&f.state),
                needs_review: f.needs_review(),
                age_days: age_days(f, now),
                runs_open: f.runs_open,
                first_seen: JsonSeen::of(&f.first_seen),
                last_seen: JsonSeen::of(&f.last_seen),
                history: f
                    .history
                    .iter()
                    .map(|t| JsonTransition {
                        seen: JsonSeen::of(&t.seen),
                        state: JsonState::of(&t.state),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{FindingId, Resolution, Transition};

    fn at(day: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + day * 86_400).unwrap()
    }

    fn finding(text: &str, state: FindingState) -> Finding {
        let seen = |day| Seen {
            period: "2026-Q1".into(),
            period_start: at(0),
            at: at(day),
        };
        Finding {
            id: FindingId::new("CM-01", text, "approval"),
            control: "CM-01".into(),
            item: text.into(),
            rule: "approval".into(),
            owner: Some(text.into()),
            system: None,
            label: text.into(),
            reason: text.into(),
            state: state.clone(),
            first_seen: seen(1),
            last_seen: seen(11),
            runs_open: 2,
            history: vec![
                Transition {
                    seen: seen(1),
                    state: FindingState::New,
                },
                Transition {
                    seen: seen(11),
                    state,
                },
            ],
        }
    }

    #[test]
    fn age_runs_to_now_while_open_and_to_the_resolution_once_resolved() {
        let open = finding("x", FindingState::Open);
        assert_eq!(age_days(&open, at(31)), 30);
        let fixed = finding("x", FindingState::Resolved(Resolution::Passes));
        assert_eq!(age_days(&fixed, at(31)), 10);
    }

    #[test]
    fn json_carries_the_whole_history_and_flags_left_population_for_review() {
        let f = finding("x", FindingState::Resolved(Resolution::LeftPopulation));
        let doc: serde_json::Value = serde_json::from_str(&json(&[f], at(20))).unwrap();
        let f = &doc["findings"][0];
        assert_eq!(f["state"], "resolved");
        assert_eq!(f["resolution"], "left-population");
        assert_eq!(f["needs_review"], true);
        let history: Vec<&str> = f["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["state"].as_str().unwrap())
            .collect();
        assert_eq!(history, ["new", "resolved"]);
        assert_eq!(f["history"][1]["resolution"], "left-population");
        let accepted = FindingState::Accepted {
            exception: "EX-1".into(),
        };
        let doc: serde_json::Value =
            serde_json::from_str(&json(&[finding("y", accepted)], at(20))).unwrap();
        assert_eq!(doc["findings"][0]["exception"], "EX-1");
    }

    /// Item ids, labels, reasons and owners come from data: each medium gets its escaper.
    #[test]
    fn every_hostile_string_stays_text_in_every_medium() {
        for hostile in crate::report::escape::HOSTILE {
            let f = vec![finding(hostile, FindingState::Open)];
            let text = human(&f, at(20));
            assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
            assert_eq!(
                text.lines().count(),
                3,
                "one line, its reason, the total: {text:?}"
            );
            assert!(
                !text.lines().any(|l| l.trim_start().starts_with("::")),
                "{text:?}"
            );
            let md = markdown(&f, at(20));
            assert_eq!(md.lines().count(), 5, "one table row: {md:?}");
            assert!(!md.contains("<img") && !md.contains("<script"), "{md:?}");
            let doc: serde_json::Value = serde_json::from_str(&json(&f, at(20))).unwrap();
            assert_eq!(doc["findings"][0]["label"], *hostile);
        }
    }
}
