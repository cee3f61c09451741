//! Renderers: the same results as a terminal summary, JSON, Markdown, SARIF, JUnit XML,
//! a self-contained HTML page and OSCAL assessment results.
//! Each renderer is a pure function from results to text; the CLI decides where text goes.

pub mod ageing;
pub mod escape;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod oscal;
pub mod owners;
pub mod sarif;
pub mod tracking;

use crate::evaluate::{ItemResult, Outcome, Verdict};

/// An output format of `check` and `gate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Markdown,
}

impl Format {
    /// What of each control's items the format prints: JSON and JUnit list every item; the
    /// others list findings and count the rest.
    pub fn keep(self) -> crate::evaluate::Keep {
        use crate::evaluate::Keep;
        match self {
            Format::Json | Format::Junit => Keep::Every,
            Format::Human | Format::Markdown | Format::Sarif => Keep::Findings,
        }
    }
}

/// Renders results in a format; `color` only affects `human`.
pub fn render(format: Format, results: &crate::evaluate::Results, color: bool) -> String {
    match format {
        Format::Human => human::render(results, color),
        Format::Json => json::render(results),
        Format::Sarif => sarif::render(results),
        Format::Junit => junit::render(results),
        Format::Markdown => markdown::render(results),
    }
}

pub fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Failed => "failed",
        Verdict::NotEvaluated => "not-evaluated",
        Verdict::NotApplicable => "not-applicable",
    }
}

/// Items a reader must look at: deviations, exceptions and what could not be evaluated.
pub fn findings(items: &[ItemResult]) -> impl Iterator<Item = &ItemResult> {
    items.iter().filter(|i| {
        matches!(
            i.outcome,
            Outcome::Deviation | Outcome::Exception | Outcome::NotEvaluated
        )
    })
}

/// The reasons worth printing for an item: failures and missing data, not "does not apply".
pub fn reasons(item: &ItemResult) -> impl Iterator<Item = &crate::evaluate::Reason> {
    item.reasons
        .iter()
        .filter(|r| r.verdict != Verdict::NotApplicable)
}

#[cfg(test)]
mod tests;
