//! Markdown for pull-request comments and GitHub step summaries: a summary table, then the
//! findings per control in collapsible sections (a summary has a size limit; details fold).

use std::fmt::Write;

use crate::evaluate::{ControlResult, Outcome, Results};

pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let t = results.tally();
    let _ = writeln!(
        out,
        "## itgc: {} for {}\n",
        results.conclusion().as_str(),
        cell(&results.period)
    );
    let _ = writeln!(
        out,
        "{} items tested: {} pass, {} deviations, {} exceptions, {} not evaluated.\n",
        t.tested(),
        t.pass,
        t.deviation,
        t.exception,
        t.not_evaluated
    );
    let _ = writeln!(
        out,
        "| control | conclusion | items | pass | deviations | exceptions | not evaluated | title |"
    );
    let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|---|");
    for c in &results.controls {
        let t = c.tally();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&c.control),
            c.conclusion().as_str(),
            t.population,
            t.pass,
            t.deviation,
            t.exception,
            t.not_evaluated,
            cell(&c.title)
        );
    }
    for c in &results.controls {
        control(&mut out, c);
    }
    out
}

fn control(out: &mut String, c: &ControlResult) {
    let findings: Vec<_> = super::findings(&c.items).collect();
    if findings.is_empty() && c.gaps.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n<details><summary><b>{}</b> {} — {} findings</summary>\n",
        html(&c.control),
        html(&c.title),
        findings.len()
    );
    for gap in &c.gaps {
        let _ = writeln!(out, "- :warning: population incomplete: {}", cell(gap));
    }
    for item in findings {
        let what = match item.outcome {
            Outcome::Deviation => "deviation",
            Outcome::Exception => "exception",
            _ => "not evaluated",
        };
        let owner = cell(item.owner.as_deref().unwrap_or("no owner"));
        // No code spans: data with backticks could close one; escaped text cannot.
        let _ = writeln!(
            out,
            "- **{what}** {} {} (owner: {owner})",
            cell(&item.item),
            cell(&item.label)
        );
        if let Some(id) = &item.exception {
            let _ = writeln!(out, "  - excepted by {}", cell(id));
        }
        for r in super::reasons(item) {
            let _ = writeln!(out, "  - **{}**: {}", cell(&r.rule), cell(&r.message));
        }
    }
    let _ = writeln!(out, "\n</details>");
}

/// Untrusted text in Markdown (a table cell, a list item): see [`super::escape::markdown`].
fn cell(text: &str) -> String {
    super::escape::markdown(text)
}

/// Text inside an HTML element (the `<summary>` line, where Markdown is not parsed).
fn html(text: &str) -> String {
    super::escape::html(text)
}
