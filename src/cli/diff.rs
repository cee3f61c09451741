//! `itgc diff --base GITREF --period P`: evaluate the controls and policies as they were at
//! GITREF and as they are now, on the same stored data, and list the items that enter or leave
//! each population and the results that change. Exit 1 when a population shrinks without an
//! approved `population_changes` entry in the current policy; 3 when the store cannot give a
//! complete population; 2 for a bad ref or a catalogue that does not validate.

mod render;

use clap::{Args, ValueEnum};

use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::model::Catalog;
use crate::run::diff::{self, PopulationDiff, Verdict};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The revision to compare against: a branch, tag or commit (e.g. `origin/main`).
    #[arg(long, value_name = "GITREF")]
    pub base: String,
    /// The period whose stored data both sides are evaluated on: `2026-Q3`, `2026-07`, …
    #[arg(long)]
    pub period: String,
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

/// Output formats of `diff`: Markdown suits a pull-request comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Human,
    Markdown,
    Json,
}

pub fn run(args: &DiffArgs, config: &Config, ui: &Ui) -> Exit {
    match diff(args, config, ui) {
        Ok(exit) => exit,
        Err(failure) => super::fail(ui, failure),
    }
}

/// The comparison and what it is about, for the renderers.
pub struct Report<'a> {
    pub base: &'a str,
    pub diff: PopulationDiff,
    /// Controls whose population kind this version does not build: neither side tests them.
    pub not_compared: Vec<String>,
}

fn diff(args: &DiffArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let new = super::validate::load_catalog(config, ui)?.catalog;
    let old = catalog_at(config, &args.base, ui)?;
    let compared = diff::compare_catalogues(config, &args.period, &old, &new)?;
    let report = Report {
        base: &args.base,
        diff: compared.diff,
        not_compared: compared.not_compared,
    };
    let text = match args.format {
        DiffFormat::Human => render::human(&report),
        DiffFormat::Markdown => render::markdown(&report),
        DiffFormat::Json => render::json(&report),
    };
    print!("{text}");
    Ok(exit_for(report.diff.verdict()))
}

fn exit_for(verdict: Verdict) -> Exit {
    match verdict {
        Verdict::Accepted => Exit::Pass,
        Verdict::UnjustifiedShrink => Exit::Deviations,
        Verdict::Incomplete => Exit::Incomplete,
    }
}

/// The catalogue as committed at `base`, its diagnostics printed. A catalogue that does not
/// validate makes the diff meaningless (exit 2).
fn catalog_at(config: &Config, base: &str, ui: &Ui) -> Result<Catalog, Failure> {
    let validation = diff::catalogue_at(config, base, super::validate::today())?;
    if validation.errors() == 0 && ui.level > 0 {
        ui.note(format!("the catalogue at {base} validates"));
    }
    for d in validation.diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", d.render(ui.color));
    }
    validation.catalog.ok_or_else(|| {
        Failure::usage(format!("the controls and policies at {base} do not validate, so there is nothing to compare against"))
    })
}
