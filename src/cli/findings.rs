//! `itgc findings`: the findings `check` recorded in the store, with their state and age.
//! Exit 0 when listed, 2 on a usage error, 3 when the store cannot be read.

use clap::{Args, ValueEnum};

use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::report::tracking;
use crate::run::findings::{Filter, list};

#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Only findings tested in this period (`2026-Q3`, `2026-07`, …).
    #[arg(long)]
    pub period: Option<String>,
    /// Only this owner team's findings.
    #[arg(long, value_name = "TEAM")]
    pub owner: Option<String>,
    /// Only findings in this state.
    #[arg(long, value_enum)]
    pub state: Option<StateArg>,
    #[arg(long, value_enum, default_value_t = FindingsFormat::Human)]
    pub format: FindingsFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    New,
    Open,
    Resolved,
    Accepted,
    Reopened,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    Human,
    Json,
    Markdown,
}

pub fn run(args: &FindingsArgs, config: &Config, ui: &Ui) -> Exit {
    match findings(args, config, ui) {
        Ok(()) => Exit::Pass,
        Err(failure) => super::fail(ui, failure),
    }
}

fn findings(args: &FindingsArgs, config: &Config, ui: &Ui) -> Result<(), Failure> {
    let period = match &args.period {
        // In the organisation's time zone, as `check` recorded it.
        Some(text) => {
            let inputs = super::validate::load_catalog(config, ui)?;
            Some(crate::run::parse_period(text, &inputs.catalog, config)?.to_string())
        }
        None => None,
    };
    let filter = Filter {
        period,
        owner: args.owner.clone(),
        state: args
            .state
            .and_then(|s| s.to_possible_value())
            .map(|v| v.get_name().to_string()),
    };
    let found = list(config, &filter)?;
    let now = super::now();
    let text = match args.format {
        FindingsFormat::Human => tracking::human(&found, now),
        FindingsFormat::Json => tracking::json(&found, now),
        FindingsFormat::Markdown => tracking::markdown(&found, now),
    };
    print!("{text}");
    Ok(())
}
