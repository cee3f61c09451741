//! A single, self-contained HTML report: inline CSS, inline SVG charts, no scripts and no
//! external resources, so it can be mailed, archived in a packet, opened offline and printed.
//!
//! Rust computes every number and every chart coordinate (a view model); the minijinja
//! templates in `templates/` only lay them out. That keeps arithmetic testable and the
//! templates free of logic, and auto-escaping covers every string that came from data.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment};
use serde::{Deserialize, Serialize};

use crate::evaluate::{ControlResult, ItemResult, Outcome, Results, Tally};

/// One period's totals, for the trend chart: the caller reads them from earlier packets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub period: String,
    pub population: usize,
    pub deviations: usize,
    pub exceptions: usize,
    pub not_evaluated: usize,
}

impl TrendPoint {
    /// The totals of one run.
    pub fn of(results: &Results) -> TrendPoint {
        let t = results.tally();
        TrendPoint {
            period: results.period.clone(),
            population: t.population,
            deviations: t.deviation,
            exceptions: t.exception,
            not_evaluated: t.not_evaluated,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot render the HTML report: {0}")]
pub struct HtmlError(#[from] minijinja::Error);

const PAGE: &str = "report.html.j2";
const CHARTS: &str = "charts.html.j2";

/// Renders `results` as one HTML document; `trend` holds earlier periods, oldest first (the
/// current run is appended to it here).
pub fn render(results: &Results, trend: &[TrendPoint]) -> Result<String, HtmlError> {
    render_with_ageing(results, trend, None)
}

/// Renders as [`render`] does, with each owner's findings ageing across the packets (see
/// `report::ageing`) when given.
pub fn render_with_ageing(
    results: &Results,
    trend: &[TrendPoint],
    ageing: Option<&super::ageing::Ageing>,
) -> Result<String, HtmlError> {
    let env = environment()?;
    let mut page = Page::new(results, trend);
    page.ageing = ageing.cloned();
    let context = minijinja::value::Serde(&page);
    Ok(env.get_template(PAGE)?.render(context)?)
}

fn environment() -> Result<Environment<'static>, HtmlError> {
    let mut env = Environment::new();
    // Every template is HTML: escape always, whatever the template's name says.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template(PAGE, include_str!("templates/report.html.j2"))?;
    env.add_template(CHARTS, include_str!("templates/charts.html.j2"))?;
    Ok(env)
}

/// Everything the page template shows.
#[derive(Debug, Serialize)]
struct Page {
    period: String,
    conclusion: &'static str,
    totals: Row,
    controls: Vec<Row>,
    summary_chart: StackedChart,
    by_owner: BarChart,
    by_system: BarChart,
    trend: TrendChart,
    earlier_periods: usize,
    sections: Vec<Section>,
    ageing: Option<super::ageing::Ageing>,
}

impl Page {
    fn new(results: &Results, trend: &[TrendPoint]) -> Page {
        let deviations = || deviating_items(results);
        let mut points = trend.to_vec();
        points.push(TrendPoint::of(results));
        Page {
            period: results.period.clone(),
            conclusion: results.conclusion().as_str(),
            totals: Row::new(
                "all controls",
                "",
                results.conclusion().as_str(),
                results.tally(),
            ),
            controls: results.controls.iter().map(Row::of).collect(),
            summary_chart: StackedChart::new(&results.controls),
            by_owner: BarChart::new(count_by(deviations(), |i| i.owner.as_deref())),
            by_system: BarChart::new(count_by(deviations(), |i| i.system.as_deref())),
            trend: TrendChart::new(&points),
            earlier_periods: trend.len(),
            sections: results.controls.iter().filter_map(Section::of).collect(),
            ageing: None,
        }
    }
}

/// A line of the summary table.
#[derive(Debug, Serialize)]
struct Row {
    control: String,
    title: String,
    conclusion: &'static str,
    population: usize,
    tested: usize,
    pass: usize,
    deviations: usize,
    exceptions: usize,
    not_applicable: usize,
    not_evaluated: usize,
}

impl Row {
    fn new(control: &str, title: &str, conclusion: &'static str, t: Tally) -> Row {
        Row {
            control: control.to_string(),
            title: title.to_string(),
            conclusion,
            population: t.population,
            tested: t.tested(),
            pass: t.pass,
            deviations: t.deviation,
            exceptions: t.exception,
            not_applicable: t.not_applicable,
            not_evaluated: t.not_evaluated,
        }
    }

    fn of(c: &ControlResult) -> Row {
        Row::new(&c.control, &c.title, c.conclusion().as_str(), c.tally())
    }
}

/// Width of a chart's bar area, in SVG user units.
const BAR_AREA: usize = 480;

/// One coloured piece of a bar.
#[derive(Debug, Serialize)]
struct Segment {
    outcome: &'static str,
    count: usize,
    x: usize,
    width: usize,
}

/// Splits `width` among `counts` in proportion; the pieces add up to `width` exactly
/// because each boundary is placed from the running total, not from rounded widths.
fn segments(counts: &[(&'static str, usize)], width: usize) -> Vec<Segment> {
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let mut out = Vec::new();
    let mut running = 0;
    for &(outcome, count) in counts {
        let x = running * width / total.max(1);
        running += count;
        let end = running * width / total.max(1);
        if count > 0 {
            out.push(Segment {
                outcome,
                count,
                x,
                width: end - x,
            });
        }
    }
    out
}

/// The summary chart: one 100% stacked bar per control (each control's own population, so a
/// small control stays readable next to a large one; the counts are printed beside it).
#[derive(Debug, Serialize)]
struct StackedChart {
    height: usize,
    bars: Vec<StackedBar>,
}

#[derive(Debug, Serialize)]
struct StackedBar {
    control: String,
    y: usize,
    population: usize,
    segments: Vec<Segment>,
}

const ROW: usize = 28;

impl StackedChart {
    fn new(controls: &[ControlResult]) -> StackedChart {
        let bars = controls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let t = c.tally();
                let counts = [
                    ("pass", t.pass),
                    ("deviation", t.deviation),
                    ("exception", t.exception),
                    ("not-evaluated", t.not_evaluated),
                    ("not-applicable", t.not_applicable),
                ];
                StackedBar {
                    control: c.control.clone(),
                    y: i * ROW,
                    population: t.population,
                    segments: segments(&counts, BAR_AREA),
                }
            })
            .collect();
        StackedChart {
            height: controls.len().max(1) * ROW,
            bars,
        }
    }
}

/// Narrower than `BAR_AREA`: owner and system names need a wider label column.
const NAMED_BAR_AREA: usize = 400;

/// A horizontal bar chart of counts by name, scaled to the largest.
#[derive(Debug, Serialize)]
struct BarChart {
    height: usize,
    bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
struct Bar {
    name: String,
    count: usize,
    y: usize,
    width: usize,
}

impl BarChart {
    fn new(counts: Vec<(String, usize)>) -> BarChart {
        let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
        let bars = counts
            .into_iter()
            .enumerate()
            .map(|(i, (name, count))| Bar {
                name,
                count,
                y: i * ROW,
                // At least one unit, so a count of one is visible next to a thousand.
                width: (count * NAMED_BAR_AREA / max).max(1),
            })
            .collect::<Vec<_>>();
        BarChart {
            height: bars.len().max(1) * ROW,
            bars,
        }
    }
}

fn deviating_items(results: &Results) -> impl Iterator<Item = &ItemResult> {
    results
        .controls
        .iter()
        .flat_map(|c| &c.items)
        .filter(|i| i.outcome == Outcome::Deviation)
}

/// Counts items by a key (missing keys are named, not dropped), largest first, then by name.
fn count_by<'a>(
    items: impl Iterator<Item = &'a ItemResult>,
    key: impl Fn(&ItemResult) -> Option<&str>,
) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for item in items {
        let name = key(item).unwrap_or("(none)").to_string();
        *counts.entry(name).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// Deviations, exceptions and not-evaluated items per period, as stacked columns on a
/// common scale (the largest period's findings fill the height).
#[derive(Debug, Serialize)]
struct TrendChart {
    width: usize,
    columns: Vec<TrendColumn>,
}

#[derive(Debug, Serialize)]
struct TrendColumn {
    period: String,
    population: usize,
    deviations: usize,
    exceptions: usize,
    not_evaluated: usize,
    x: usize,
    segments: Vec<Segment>,
}

const TREND_HEIGHT: usize = 160;
const TREND_COLUMN: usize = 120;

impl TrendChart {
    fn new(points: &[TrendPoint]) -> TrendChart {
        let total = |p: &TrendPoint| p.deviations + p.exceptions + p.not_evaluated;
        let max = points.iter().map(total).max().unwrap_or(0).max(1);
        let columns = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let counts = [
                    ("deviation", p.deviations),
                    ("exception", p.exceptions),
                    ("not-evaluated", p.not_evaluated),
                ];
                TrendColumn {
                    period: p.period.clone(),
                    population: p.population,
                    deviations: p.deviations,
                    exceptions: p.exceptions,
                    not_evaluated: p.not_evaluated,
                    x: i * TREND_COLUMN,
                    segments: segments(&counts, total(p) * TREND_HEIGHT / max),
                }
            })
            .collect::<Vec<_>>();
        TrendChart {
            width: columns.len().max(1) * TREND_COLUMN,
            columns,
        }
    }
}

/// One control's findings and population gaps.
#[derive(Debug, Serialize)]
struct Section {
    control: String,
    title: String,
    owner: String,
    conclusion: &'static str,
    gaps: Vec<String>,
    findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
struct Finding {
    outcome: &'static str,
    item: String,
    label: String,
    owner: Option<String>,
    system: Option<String>,
    exception: Option<String>,
    reasons: Vec<FindingReason>,
    evidence: Vec<String>,
}

#[derive(Debug, Serialize)]
struct FindingReason {
    rule: String,
    verdict: &'static str,
    message: String,
}

impl Section {
    /// `None` when the control has nothing a reader must look at.
    fn of(c: &ControlResult) -> Option<Section> {
        let findings: Vec<Finding> = super::findings(&c.items).map(Finding::of).collect();
        if findings.is_empty() && c.gaps.is_empty() {
            return None;
        }
        Some(Section {
            control: c.control.clone(),
            title: c.title.clone(),
            owner: c.owner.clone(),
            conclusion: c.conclusion().as_str(),
            gaps: c.gaps.clone(),
            findings,
        })
    }
}

impl Finding {
    fn of(item: &ItemResult) -> Finding {
        let reasons = super::reasons(item)
            .map(|r| FindingReason {
                rule: r.rule.clone(),
                verdict: super::verdict_name(r.verdict),
                message: r.message.clone(),
            })
            .collect();
        Finding {
            outcome: item.outcome.as_str(),
            item: item.item.clone(),
            label: item.label.clone(),
            owner: item.owner.clone(),
            system: item.system.clone(),
            exception: item.exception.clone(),
            reasons,
            evidence: item.evidence.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_fill_the_width_exactly() {
        let s = segments(&[("a", 1), ("b", 1), ("c", 1)], 100);
        assert_eq!(s.iter().map(|s| s.width).sum::<usize>(), 100);
        assert_eq!(s.last().map(|s| s.x + s.width), Some(100));
    }

    #[test]
    fn empty_segments_are_left_out() {
        assert!(segments(&[("a", 0), ("b", 0)], 100).is_empty());
        assert_eq!(segments(&[("a", 0), ("b", 2)], 100).len(), 1);
    }

    #[test]
    fn counts_by_owner_largest_first_and_names_the_missing() {
        let counts = count_by(std::iter::empty(), |i| i.owner.as_deref());
        assert!(counts.is_empty());
        let chart = BarChart::new(vec![("a".into(), 1000), ("b".into(), 1)]);
        assert_eq!(chart.bars[1].width, 1);
    }
}
