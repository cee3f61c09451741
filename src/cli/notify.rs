//! `itgc notify --period P [--dry-run]`: check the period, then send each owner team what is
//! new or changed since the last notification. Exit 0 when everything planned was sent (or a
//! dry run), 2 on configuration errors (a secret's variable not set), 3 when some message
//! could not be sent (the next run retries it) or the data is incomplete.

use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::{Config, Failure, Ui};
use crate::exit::Exit;
use crate::notify::{Notice, NotifyError, output};
use crate::run::notify::{Notified, NotifyRequest};
use crate::source::github::api::Waits;

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// The audit period: `2026-Q3`, `2026-07`, `2026` or `2026-07-01..2026-09-30`.
    #[arg(long)]
    pub period: String,
    /// Print exactly what would be sent, per team and channel; send nothing, read no secret.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = NotifyFormat::Human)]
    pub format: NotifyFormat,
    /// The longest each channel may wait in all for rate limits and retries (e.g. `15m`).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = super::sync::duration)]
    pub max_wait: std::time::Duration,
    /// The longest one request may take (e.g. `2m`).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = super::sync::duration)]
    pub request_timeout: std::time::Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NotifyFormat {
    Human,
    Json,
}

pub fn run(args: &NotifyArgs, config: &Config, ui: &Ui) -> Exit {
    match notify(args, config, ui) {
        Ok(exit) => exit,
        Err(failure) => super::fail(ui, failure),
    }
}

fn notify(args: &NotifyArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let inputs = super::validate::load_catalog(config, ui)?;
    let ui_copy = *ui;
    let notice: Notice = Arc::new(move |line: &str| ui_copy.note(line));
    let request = NotifyRequest {
        period: args.period.clone(),
        dry_run: args.dry_run,
        now: super::now(),
        waits: Waits {
            max_total: args.max_wait,
            request_deadline: args.request_timeout,
        },
        notice: Some(notice),
    };
    let mut notes = Vec::new();
    let notified = crate::run::notify::notify(config, &inputs, &request, &mut notes);
    super::check::print_notes(&notes, ui);
    let notified = notified?;
    print(args.format, &notified);
    exit(&notified)
}

fn print(format: NotifyFormat, n: &Notified) {
    let outcomes = n.outcomes.as_deref();
    let text = match format {
        NotifyFormat::Human => output::human(&n.period, &n.plan, n.unowned, outcomes),
        NotifyFormat::Json => output::json(&n.period, &n.plan, n.unowned, outcomes),
    };
    print!("{text}");
}

/// A channel that cannot work as configured is a configuration error (2); anything else that
/// failed leaves someone untold: incomplete (3).
fn exit(n: &Notified) -> Result<Exit, Failure> {
    let Some(outcomes) = &n.outcomes else {
        return Ok(Exit::Pass);
    };
    let failed: Vec<&NotifyError> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    if failed.is_empty() {
        return Ok(Exit::Pass);
    }
    let config = failed.iter().any(|e| matches!(e, NotifyError::Config(_)));
    let message = format!(
        "{} of {} message(s) not sent; the next run sends them",
        failed.len(),
        outcomes.len()
    );
    Err(if config {
        Failure::usage(message)
    } else {
        Failure::incomplete(message)
    })
}
