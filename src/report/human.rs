//! The terminal summary: one line per control, then each finding with its owner and reasons.

use std::fmt::Write;

use super::escape::terminal as t;
use crate::evaluate::{Conclusion, ControlResult, Outcome, Results};

pub fn render(results: &Results, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "period {}", t(&results.period));
    let _ = writeln!(
        out,
        "{:<8} {:<11} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}  title",
        "control", "conclusion", "items", "pass", "dev", "exc", "n/a", "n/e"
    );
    for control in &results.controls {
        summary_line(&mut out, control, color);
    }
    owners(&mut out, results);
    for control in &results.controls {
        details(&mut out, control, color);
    }
    let t = results.tally();
    let _ = writeln!(
        out,
        "\n{}: {} items, {} pass, {} deviations, {} exceptions, {} not applicable, {} not evaluated",
        paint(results.conclusion(), color),
        t.population,
        t.pass,
        t.deviation,
        t.exception,
        t.not_applicable,
        t.not_evaluated
    );
    out
}

/// The owners findings are routed to, each with what they carry.
fn owners(out: &mut String, results: &Results) {
    let rows: Vec<_> = super::owners::by_owner(results)
        .into_iter()
        .filter(|(_, c)| c.deviations + c.exceptions + c.not_evaluated > 0)
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nby owner:");
    for (owner, c) in rows {
        let controls: Vec<_> = c.deviating_controls.iter().map(|c| t(c)).collect();
        let owner = t(&owner);
        let _ = writeln!(
            out,
            "  {owner:<20} {:>4} dev {:>4} exc {:>4} n/e  {}",
            c.deviations,
            c.exceptions,
            c.not_evaluated,
            controls.join(" ")
        );
    }
}

fn summary_line(out: &mut String, c: &ControlResult, color: bool) {
    let n = c.tally();
    let conclusion = c.conclusion();
    let padded = format!("{:<11}", conclusion.as_str());
    let _ = writeln!(
        out,
        "{:<8} {} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}  {}",
        t(&c.control),
        paint_text(conclusion, &padded, color),
        n.population,
        n.pass,
        n.deviation,
        n.exception,
        n.not_applicable,
        n.not_evaluated,
        t(&c.title)
    );
}

fn details(out: &mut String, c: &ControlResult, color: bool) {
    let findings: Vec<_> = super::findings(&c.items).collect();
    if findings.is_empty() && c.gaps.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{} {}", t(&c.control), t(&c.title));
    for gap in &c.gaps {
        let _ = writeln!(out, "  ! population incomplete: {}", t(&gap.to_string()));
    }
    for item in findings {
        let mark = match item.outcome {
            Outcome::Deviation => paint_text(Conclusion::Deviations, "✗", color),
            Outcome::NotEvaluated => paint_text(Conclusion::Incomplete, "?", color),
            _ => "~".to_string(),
        };
        let owner = t(item.owner.as_deref().unwrap_or("no owner"));
        let (id, label) = (t(&item.item), t(&item.label));
        let _ = writeln!(out, "  {mark} {id} {label} [{owner}]");
        if let Some(id) = &item.exception {
            let _ = writeln!(out, "      excepted by {}", t(id));
        }
        for r in super::reasons(item) {
            let _ = writeln!(out, "      {}: {}", t(&r.rule), t(&r.message));
        }
    }
}

fn paint(c: Conclusion, color: bool) -> String {
    paint_text(c, c.as_str(), color)
}

fn paint_text(c: Conclusion, text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match c {
        Conclusion::Effective => "32",
        Conclusion::Deviations => "31",
        Conclusion::Incomplete => "33",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
