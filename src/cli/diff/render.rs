//! `itgc diff` output: a terminal summary, a Markdown pull-request comment, and JSON with its
//! own versioned shape (the internal diff types may change; scripts read this one).

use std::fmt::Write;

use serde::Serialize;

use super::Report;
use crate::population::Fingerprint;
use crate::run::diff::{ControlDiff, ItemRef, Presence, Verdict};

/// Bumped on any incompatible change to the JSON shape below.
pub const SCHEMA: &str = "https://itgc.dev/schemas/population-diff/v1";

fn count(f: &Option<Fingerprint>) -> String {
    f.as_ref().map_or("-".to_string(), |f| f.count.to_string())
}

fn presence(p: Presence) -> &'static str {
    match p {
        Presence::Added => "added",
        Presence::Removed => "removed",
        Presence::Kept => "kept",
    }
}

fn verdict_line(r: &Report) -> String {
    let shrinking: Vec<&str> = r
        .diff
        .controls
        .iter()
        .filter(|c| c.unjustified())
        .map(|c| c.control.as_str())
        .collect();
    match r.diff.verdict() {
        Verdict::Incomplete => {
            "incomplete: a population could not be built completely, so nothing is concluded"
                .to_string()
        }
        Verdict::UnjustifiedShrink => format!(
            "population shrinks without an approved `population_changes` entry: {}",
            shrinking.join(", ")
        ),
        Verdict::Accepted => "no population shrinks without approval".to_string(),
    }
}

fn approval_text(c: &ControlDiff) -> Option<String> {
    let a = c.justification.as_ref()?;
    Some(format!(
        "approved by {} on {} ({}): {}",
        a.approver, a.approved, a.ticket, a.reason
    ))
}

// ---- human ----

pub fn human(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "itgc diff for {}: base {} → working tree",
        t(&r.diff.period),
        t(r.base)
    );
    let changed: Vec<&ControlDiff> = r
        .diff
        .controls
        .iter()
        .filter(|c| !c.is_unchanged())
        .collect();
    for c in &changed {
        human_control(&mut out, c);
    }
    let unchanged = r.diff.controls.len() - changed.len();
    let _ = writeln!(out, "\n{unchanged} control(s) unchanged");
    if !r.not_compared.is_empty() {
        let _ = writeln!(
            out,
            "not compared (population not built by this version): {}",
            t(&r.not_compared.join(", "))
        );
    }
    let _ = writeln!(out, "{}", t(&verdict_line(r)));
    out
}

fn human_control(out: &mut String, c: &ControlDiff) {
    let _ = writeln!(
        out,
        "\n{} {} [{}]: {} → {} items (+{} −{}, {} outcome(s) changed)",
        t(&c.control),
        t(&c.title),
        presence(c.presence),
        count(&c.old),
        count(&c.new),
        c.entered.len(),
        c.left.len(),
        c.changed.len()
    );
    for gap in &c.gaps {
        let _ = writeln!(out, "  incomplete: {}", t(gap));
    }
    for (sign, list) in [("-", &c.left), ("+", &c.entered)] {
        for i in list {
            let (item, label) = (t(&i.item), t(&i.label));
            let _ = writeln!(out, "  {sign} {item}  {label} ({})", i.outcome.as_str());
        }
    }
    for i in &c.changed {
        let (old, new) = (i.old.as_str(), i.new.as_str());
        let note = if i.untested() {
            " (no longer tested)"
        } else {
            ""
        };
        let (item, label) = (t(&i.item), t(&i.label));
        let _ = writeln!(out, "  ~ {item}  {label}: {old} → {new}{note}");
    }
    if c.shrinks() {
        let why = approval_text(c).unwrap_or_else(|| {
            "NOT approved: add a `population_changes` entry for this control to policy".into()
        });
        let _ = writeln!(out, "  shrink {}", t(&why));
    }
}

// ---- markdown ----

pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## itgc diff: population impact against {}\n",
        cell(r.base)
    );
    let _ = writeln!(
        out,
        "Period {}. {}.\n",
        cell(&r.diff.period),
        cell(&verdict_line(r))
    );
    let changed: Vec<&ControlDiff> = r
        .diff
        .controls
        .iter()
        .filter(|c| !c.is_unchanged())
        .collect();
    if changed.is_empty() {
        let _ = writeln!(out, "No population or result changes.");
    } else {
        let _ = writeln!(
            out,
            "| control | change | before | after | entered | left | outcomes changed | shrink approved |"
        );
        let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|---|");
        for c in &changed {
            markdown_row(&mut out, c);
        }
    }
    for c in &changed {
        markdown_details(&mut out, c);
    }
    let unchanged = r.diff.controls.len() - changed.len();
    let _ = writeln!(out, "\n{unchanged} control(s) unchanged.");
    if !r.not_compared.is_empty() {
        let _ = writeln!(
            out,
            "Not compared (population not built by this version): {}.",
            r.not_compared.join(", ")
        );
    }
    out
}

fn markdown_row(out: &mut String, c: &ControlDiff) {
    let approved = match (c.shrinks(), &c.justification) {
        (false, _) => "—".to_string(),
        (true, Some(a)) => format!("yes ({})", cell(&a.ticket)),
        (true, None) => "**no**".to_string(),
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {approved} |",
        c.control,
        presence(c.presence),
        count(&c.old),
        count(&c.new),
        c.entered.len(),
        c.left.len(),
        c.changed.len()
    );
}

fn markdown_details(out: &mut String, c: &ControlDiff) {
    let _ = writeln!(
        out,
        "\n<details><summary><b>{}</b> {}</summary>\n",
        crate::report::escape::html(&c.control),
        crate::report::escape::html(&c.title)
    );
    for gap in &c.gaps {
        let _ = writeln!(out, "- incomplete: {}", cell(gap));
    }
    let items = |out: &mut String, sign: &str, list: &[ItemRef]| {
        for i in list.iter().take(MARKDOWN_ITEMS) {
            let (item, label) = (cell(&i.item), cell(&i.label));
            let _ = writeln!(out, "- {sign} {item} {label} ({})", i.outcome.as_str());
        }
        more(out, list.len());
    };
    items(out, "left:", &c.left);
    items(out, "entered:", &c.entered);
    for i in c.changed.iter().take(MARKDOWN_ITEMS) {
        let (item, label) = (cell(&i.item), cell(&i.label));
        let note = if i.untested() {
            " (no longer tested)"
        } else {
            ""
        };
        let (old, new) = (i.old.as_str(), i.new.as_str());
        let _ = writeln!(out, "- changed: {item} {label}: {old} → {new}{note}");
    }
    more(out, c.changed.len());
    if let Some(text) = approval_text(c) {
        let _ = writeln!(out, "- shrink {}", cell(&text));
    }
    let _ = writeln!(out, "\n</details>");
}

/// Items listed per list in Markdown: a pull-request comment is limited to 65,536 characters,
/// and a reviewer needs examples, not every id (the JSON output has them all).
const MARKDOWN_ITEMS: usize = 50;

fn more(out: &mut String, total: usize) {
    if total > MARKDOWN_ITEMS {
        let rest = total - MARKDOWN_ITEMS;
        let _ = writeln!(
            out,
            "- … and {rest} more (`--format json` lists every item)"
        );
    }
}

/// Untrusted text in Markdown (a cell, a list item): the one Markdown escaper.
fn cell(text: &str) -> String {
    crate::report::escape::markdown(text)
}

/// Untrusted text on a terminal line: the one terminal escaper.
fn t(text: &str) -> std::borrow::Cow<'_, str> {
    crate::report::escape::terminal(text)
}

// ---- json ----

#[derive(Serialize)]
struct DiffOutput<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    base: &'a str,
    period: &'a str,
    verdict: &'static str,
    controls: Vec<ControlOutput<'a>>,
    not_compared: &'a [String],
}

#[derive(Serialize)]
struct ControlOutput<'a> {
    control: &'a str,
    title: &'a str,
    change: &'static str,
    before: Option<&'a Fingerprint>,
    after: Option<&'a Fingerprint>,
    entered: Vec<ItemOutput<'a>>,
    left: Vec<ItemOutput<'a>>,
    changed: Vec<ChangedOutput<'a>>,
    shrink_approved_by: Option<Approval<'a>>,
    incomplete: &'a [String],
}

#[derive(Serialize)]
struct ItemOutput<'a> {
    item: &'a str,
    label: &'a str,
    outcome: &'static str,
}

#[derive(Serialize)]
struct ChangedOutput<'a> {
    item: &'a str,
    label: &'a str,
    before: &'static str,
    after: &'static str,
}

#[derive(Serialize)]
struct Approval<'a> {
    approver: &'a str,
    ticket: &'a str,
    approved: String,
    reason: &'a str,
}

pub fn json(r: &Report) -> String {
    let output = DiffOutput {
        schema: SCHEMA,
        base: r.base,
        period: &r.diff.period,
        verdict: match r.diff.verdict() {
            Verdict::Accepted => "accepted",
            Verdict::UnjustifiedShrink => "unapproved-shrink",
            Verdict::Incomplete => "incomplete",
        },
        controls: r.diff.controls.iter().map(control_output).collect(),
        not_compared: &r.not_compared,
    };
    let mut text = serde_json::to_string_pretty(&output).unwrap_or_default();
    text.push('\n');
    text
}

fn items(list: &[ItemRef]) -> Vec<ItemOutput<'_>> {
    list.iter()
        .map(|i| ItemOutput {
            item: &i.item,
            label: &i.label,
            outcome: i.outcome.as_str(),
        })
        .collect()
}

fn control_output(c: &ControlDiff) -> ControlOutput<'_> {
    ControlOutput {
        control: &c.control,
        title: &c.title,
        change: presence(c.presence),
        before: c.old.as_ref(),
        after: c.new.as_ref(),
        entered: items(&c.entered),
        left: items(&c.left),
        changed: c
            .changed
            .iter()
            .map(|i| ChangedOutput {
                item: &i.item,
                label: &i.label,
                before: i.old.as_str(),
                after: i.new.as_str(),
            })
            .collect(),
        shrink_approved_by: c.justification.as_ref().map(|a| Approval {
            approver: &a.approver,
            ticket: &a.ticket,
            approved: a.approved.to_string(),
            reason: &a.reason,
        }),
        incomplete: &c.gaps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::{ControlResult, ItemResult, Outcome, Results};

    fn results(items: &[(&str, &str)]) -> Results {
        let items = items
            .iter()
            .map(|(id, label)| ItemResult {
                item: (*id).into(),
                label: (*label).into(),
                owner: None,
                system: None,
                parent: None,
                outcome: Outcome::Pass,
                reasons: Vec::new(),
                exception: None,
                evidence: Vec::new(),
            })
            .collect::<Vec<_>>();
        Results {
            period: "2026-Q3".into(),
            controls: vec![ControlResult {
                control: "CM-01".into(),
                title: "Changes".into(),
                severity: "high".into(),
                owner: "eng".into(),
                population: Fingerprint::of("changes", items.iter().map(|i| i.item.as_str())),
                items,
                gaps: Vec::new(),
                elided: Default::default(),
            }],
        }
    }

    /// Items that leave and enter the population carry their (untrusted) labels into both
    /// renderings; neither may act on a terminal nor open Markdown markup.
    #[test]
    fn hostile_labels_stay_text() {
        let (left, entered) = (
            "a\n::error::x \u{1b}]0;t\u{7} `c` <img src=x>",
            "b | <details> \u{202e}z",
        );
        let before = results(&[("api@1", left)]);
        let after = results(&[("api@2`<b>", entered)]);
        let report = Report {
            base: "main\u{1b}[2J",
            diff: crate::run::diff::compare(&before, &after, &[]),
            not_compared: Vec::new(),
        };
        let text = human(&report);
        assert!(!text.contains(['\u{1b}', '\u{202e}']), "{text}");
        assert!(
            text.lines().all(|l| !l.trim_start().starts_with("::")),
            "{text}"
        );
        assert!(
            text.contains("  - api@1  a\\n::error::x \\u{1b}]0;t\\u{7}"),
            "{text}"
        );
        let md = markdown(&report);
        assert!(!md.contains(['\u{1b}', '\u{202e}']), "{md}");
        assert!(!md.contains("<img") && !md.contains("`<b>"), "{md}");
        assert!(!md.contains("| <details>"), "{md}");
        assert!(
            md.contains("api@2\\`&lt;b&gt; b \\| &lt;details&gt;"),
            "{md}"
        );
    }
}
