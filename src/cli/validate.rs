//! `itgc validate`: check every control and policy file and report every problem at once.

use std::path::PathBuf;

use clap::Args;

use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::model::{self, Validation};
use crate::run::Inputs;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Directory of control files [default: controls, or the config's `controls`].
    #[arg(long, value_name = "DIR")]
    pub controls: Option<PathBuf>,
    /// Directory of policy files [default: policies, or the config's `policies`].
    #[arg(long, value_name = "DIR")]
    pub policies: Option<PathBuf>,
}

pub fn run(args: &ValidateArgs, config: &Config, ui: &Ui) -> Exit {
    let (controls, policies, validation) = validate(args, config);
    report(&validation, controls.len(), policies.len(), ui)
}

/// Loads the catalogue for a command that needs one: every diagnostic printed, and exit 2
/// when any is an error (a command never runs on a catalogue that does not validate).
pub fn load_catalog(config: &Config, ui: &Ui) -> Result<Inputs, Failure> {
    let args = ValidateArgs {
        controls: None,
        policies: None,
    };
    let (controls, policies, validation) = validate(&args, config);
    for d in &validation.diagnostics {
        if d.is_error() || ui.level >= 0 {
            eprint!("{}", d.render(ui.color));
        }
    }
    if validation.errors() > 0 {
        eprintln!(
            "{} control file(s), {} policy file(s): {} error(s); fix them and run again",
            controls.len(),
            policies.len(),
            validation.errors()
        );
    }
    let catalog = validation.catalog.ok_or(Failure::reported(Exit::Usage))?;
    Ok(Inputs {
        catalog,
        controls,
        policies,
    })
}

fn validate(
    args: &ValidateArgs,
    config: &Config,
) -> (Vec<model::SourceFile>, Vec<model::SourceFile>, Validation) {
    let controls_dir = args.controls.as_ref().unwrap_or(&config.controls);
    let policies_dir = args.policies.as_ref().unwrap_or(&config.policies);
    let read = crate::run::read_catalogue(controls_dir, policies_dir, today());
    (read.controls, read.policies, read.validation)
}

/// Prints every diagnostic and a summary line; exit 2 when any is an error.
pub fn report(validation: &Validation, controls: usize, policies: usize, ui: &Ui) -> Exit {
    for d in &validation.diagnostics {
        if d.is_error() || ui.level >= 0 {
            eprint!("{}", d.render(ui.color));
        }
    }
    let (errors, warnings) = (validation.errors(), validation.warnings());
    let summary = format!(
        "{controls} control file(s), {policies} policy file(s): {errors} error(s), {warnings} warning(s)"
    );
    if errors > 0 {
        eprintln!("{summary}");
        return Exit::Usage;
    }
    ui.say(format!("valid: {summary}"));
    Exit::Pass
}

/// Today's date (UTC) for deciding which exceptions have expired. The clock is read here,
/// at the edge, never inside the library.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}
