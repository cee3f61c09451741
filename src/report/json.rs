//! JSON output: its own versioned types, so internal result types can change without breaking
//! the scripts and dashboards that read `itgc check --format json`.
//!
//! The output is serialized straight to a writer as it is produced: controls and items are
//! borrowed from the results and turned into output types one at a time, so a check of
//! millions of items holds neither its text nor an output copy of every item.

use std::io::{self, Write};

use serde::{Serialize, Serializer};

use crate::evaluate::{ControlResult, ItemResult, Results, Tally};
use crate::population::drift::Drift;

/// Bumped on any incompatible change to the shape below.
pub const SCHEMA: &str = "https://itgc.dev/schemas/check-results/v1";

#[derive(Debug, Serialize)]
pub struct CheckOutput<'a> {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub tool: Tool,
    pub period: &'a str,
    pub conclusion: &'static str,
    pub totals: Totals,
    pub controls: Controls<'a>,
    /// The results grouped by the owner each item is routed to, by owner name.
    pub owners: Vec<OwnerOutput>,
    /// Drift against earlier runs (`check` only; absent when there is none). Informational:
    /// it does not change `conclusion`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftOutput<'a>>,
}

/// One owner's share of the results.
#[derive(Debug, Serialize)]
pub struct OwnerOutput {
    pub owner: String,
    #[serde(flatten)]
    pub counts: super::owners::Counts,
}

/// One drift warning: its kind and details, and the sentence `check` prints.
#[derive(Debug, Serialize)]
pub struct DriftOutput<'a> {
    #[serde(flatten)]
    pub drift: &'a Drift,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub population: usize,
    pub tested: usize,
    pub pass: usize,
    pub deviation: usize,
    pub exception: usize,
    pub not_applicable: usize,
    pub not_evaluated: usize,
}

#[derive(Debug, Serialize)]
pub struct ControlOutput<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub severity: &'a str,
    pub owner: &'a str,
    pub conclusion: &'static str,
    pub population: Population<'a>,
    pub totals: Totals,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub gaps: &'a [String],
    pub items: Items<'a>,
}

/// Every control of the results, serialized one at a time.
#[derive(Debug)]
pub struct Controls<'a>(pub &'a [ControlResult]);

impl Serialize for Controls<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(control))
    }
}

/// Every item of a control, serialized one at a time.
#[derive(Debug)]
pub struct Items<'a>(pub &'a [ItemResult]);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(item))
    }
}

#[derive(Debug, Serialize)]
pub struct Population<'a> {
    pub kind: &'a str,
    pub count: usize,
    pub sha256: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ItemOutput<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<&'a str>,
    /// The item an occurrence belongs to (a run's job).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<&'a str>,
    pub reasons: Vec<ReasonOutput<'a>>,
    pub evidence: &'a [String],
}

#[derive(Debug, Serialize)]
pub struct ReasonOutput<'a> {
    pub rule: &'a str,
    pub verdict: &'static str,
    pub message: &'a str,
}

pub fn totals(t: Tally) -> Totals {
    Totals {
        population: t.population,
        tested: t.tested(),
        pass: t.pass,
        deviation: t.deviation,
        exception: t.exception,
        not_applicable: t.not_applicable,
        not_evaluated: t.not_evaluated,
    }
}

pub fn output(results: &Results) -> CheckOutput<'_> {
    CheckOutput {
        schema: SCHEMA,
        tool: Tool {
            name: "itgc",
            version: env!("CARGO_PKG_VERSION"),
        },
        period: &results.period,
        conclusion: results.conclusion().as_str(),
        totals: totals(results.tally()),
        controls: Controls(&results.controls),
        owners: super::owners::by_owner(results)
            .into_iter()
            .map(|(owner, counts)| OwnerOutput { owner, counts })
            .collect(),
        drift: Vec::new(),
    }
}

fn control(c: &ControlResult) -> ControlOutput<'_> {
    ControlOutput {
        id: &c.control,
        title: &c.title,
        severity: &c.severity,
        owner: &c.owner,
        conclusion: c.conclusion().as_str(),
        population: Population {
            kind: &c.population.kind,
            count: c.population.count,
            sha256: &c.population.sha256,
        },
        totals: totals(c.tally()),
        gaps: &c.gaps,
        items: Items(&c.items),
    }
}

fn item(i: &ItemResult) -> ItemOutput<'_> {
    ItemOutput {
        id: &i.item,
        label: &i.label,
        outcome: i.outcome.as_str(),
        owner: i.owner.as_deref(),
        system: i.system.as_deref(),
        parent: i.parent.as_deref(),
        exception: i.exception.as_deref(),
        reasons: i
            .reasons
            .iter()
            .map(|r| ReasonOutput {
                rule: &r.rule,
                verdict: super::verdict_name(r.verdict),
                message: &r.message,
            })
            .collect(),
        evidence: &i.evidence,
    }
}

/// Pretty JSON with a trailing newline.
pub fn render(results: &Results) -> String {
    render_with_drift(results, &[])
}

/// `render` with the drift `check` found.
pub fn render_with_drift(results: &Results, drift: &[Drift]) -> String {
    let mut text = Vec::new();
    // Writing to memory fails only if serializing does, which these types never do.
    let _ = write_with_drift(&mut text, results, drift);
    String::from_utf8(text).unwrap_or_default()
}

/// Writes `render_with_drift`'s text to `out` as it is produced.
pub fn write_with_drift<W: Write + ?Sized>(
    out: &mut W,
    results: &Results,
    drift: &[Drift],
) -> io::Result<()> {
    let mut output = output(results);
    output.drift = drift
        .iter()
        .map(|d| DriftOutput {
            drift: d,
            message: d.message(),
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &output)?;
    out.write_all(b"\n")
}
