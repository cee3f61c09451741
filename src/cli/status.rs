//! `itgc status [--period P] [--format human|json]`: what the store holds of each source the
//! catalogue needs, what the period lacks and the command that supplies it. Exit 0 when
//! nothing is missing, 3 otherwise: what to run when `check` says incomplete.

use clap::{Args, ValueEnum};

use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::report::escape::terminal;
use crate::run::status::{Source, Status};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The audit period [default: the current quarter, UTC].
    #[arg(long)]
    pub period: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: &StatusArgs, config: &Config, ui: &Ui) -> Exit {
    match status(args, config, ui) {
        Ok(exit) => exit,
        Err(failure) => super::fail(ui, failure),
    }
}

fn status(args: &StatusArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let catalog = super::validate::load_catalog(config, ui)?.catalog;
    let period = args.period.clone().unwrap_or_else(current_quarter);
    let period = crate::run::parse_period(&period, &catalog, config)?;
    let found = crate::run::status::status(config, &catalog, &period)?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&found).map_err(|e| Failure::usage(e.to_string()))?
        ),
        Format::Human => print!("{}", human(&found)),
    }
    Ok(if found.complete() {
        Exit::Pass
    } else {
        Exit::Incomplete
    })
}

/// The quarter today (UTC) falls in, e.g. `2026-Q4`.
fn current_quarter() -> String {
    let today = super::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    format!("{}-Q{}", today.year(), (today.month() - 1) / 3 + 1)
}

/// One block per source; every text from the store or policy escaped for the terminal.
fn human(status: &Status) -> String {
    let mut out = format!("status for {}\n", status.period);
    for source in &status.sources {
        out.push_str(&block(source));
    }
    let missing = status
        .sources
        .iter()
        .filter(|s| s.missing.is_some())
        .count();
    out.push_str(&if missing == 0 {
        format!(
            "complete: every source the catalogue needs is present for {}\n",
            status.period
        )
    } else {
        format!(
            "incomplete: {missing} of {} source(s) missing for {}\n",
            status.sources.len(),
            status.period
        )
    });
    out
}

fn block(source: &Source) -> String {
    let loaded = source
        .loaded
        .map_or_else(|| "never loaded".to_string(), |at| format!("loaded {at}"));
    let mark = if source.missing.is_some() { "?" } else { "ok" };
    let mut out = format!(
        "  {mark:<2} {:<13} {:<28} {:<34} {}\n",
        source.kind,
        terminal(source.scope.as_deref().unwrap_or("-")),
        loaded,
        terminal(&source.covers)
    );
    if let Some(missing) = &source.missing {
        out.push_str(&format!("       missing: {}\n", terminal(missing)));
    }
    if let Some(command) = &source.command {
        out.push_str(&format!("       run: {}\n", terminal(command)));
    }
    out
}
