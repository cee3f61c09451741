//! `itgc sync --period P [--source git|github|github-access]`: pull the period's facts from the
//! live sources into the store: first-parent history from each in-scope repo's local clone;
//! for repos with `github: owner/name`, merged pull requests from the GitHub API
//! (`GITHUB_TOKEN`, and `GITHUB_API_URL` for Enterprise Server); and for access lists with
//! `github: ORG`, the organisation's members, teams and collaborators (`access`).
//!
//! Fail closed: a source that could not be read or could not prove its data complete is
//! named ("not evaluated: …") and the run ends with exit 3, after everything that could be
//! synced was. So is a GitHub source that would make the sync wait past `--max-wait` in all
//! (rate limits, retries) or whose request outlasts `--request-timeout`; before each wait the
//! sync says on stderr what it waits for and until when. The GitHub cursor is only saved after a proven sync, so an incomplete sync is
//! followed by a full one.

use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::progress::Progress;
use super::{Config, Failure, Ui, now};
use crate::exit::Exit;
use crate::run::sync::{Hooks, Request};
use crate::source::github::api::{ApiConfig, Notice, Token, Waits};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The audit period: `2026-Q3`, `2026-07`, `2026` or `2026-07-01..2026-09-30`.
    #[arg(long)]
    pub period: String,
    /// Sync only one kind of source (default: all).
    #[arg(long, value_enum, value_name = "NAME")]
    pub source: Option<SourceKind>,
    /// The longest the whole sync may wait for GitHub (rate limits, retry backoff), e.g.
    /// `15m`, `1h`, `90s`. A wait that would go past it is not started: the source is not
    /// evaluated (exit 3) and nothing partial of it is stored.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = duration)]
    pub max_wait: std::time::Duration,
    /// The longest one GitHub request may take, from connecting to the last byte of the
    /// answer (e.g. `2m`); past it the source is not evaluated (exit 3).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = duration)]
    pub request_timeout: std::time::Duration,
}

/// `15m`, `1h 30m`, `90s` or ISO 8601 `PT15M`; not negative.
pub(super) fn duration(text: &str) -> Result<std::time::Duration, String> {
    let parsed: jiff::SignedDuration = text
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 15m, 1h or 90s"))?;
    std::time::Duration::try_from(parsed).map_err(|_| format!("`{text}` is negative"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceKind {
    /// First-parent history of each repo's branches, from its local clone.
    Git,
    /// Everything from the GitHub API: pull requests and branch protection of repos with
    /// `github:`, and access lists with `github:`.
    Github,
    /// Only the access lists with `github:` (members, teams, collaborators), from the API.
    GithubAccess,
}

pub fn run(args: &SyncArgs, config: &Config, ui: &Ui) -> Exit {
    match sync(args, config, ui) {
        Ok(exit) => exit,
        Err(failure) => super::fail(ui, failure),
    }
}

fn sync(args: &SyncArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let catalog = super::validate::load_catalog(config, ui)?.catalog;
    let period = crate::run::parse_period(&args.period, &catalog, config)?;
    let wants = |kind| args.source.is_none_or(|s| s == kind);
    let request = Request {
        period: &period,
        git: wants(SourceKind::Git),
        github: wants(SourceKind::Github),
        github_access: wants(SourceKind::Github) || wants(SourceKind::GithubAccess),
        waits: Waits {
            max_total: args.max_wait,
            request_deadline: args.request_timeout,
        },
        // `GITHUB_TOKEN`, and `GITHUB_API_URL` for Enterprise Server.
        api: Token::from_env().map(ApiConfig::from_env),
    };
    let ui = *ui;
    // On a terminal, a progress line under the output; elsewhere nothing is drawn.
    let progress = Progress::new(&ui);
    // Before each wait the GitHub client says on stderr what it waits for and until when.
    let lifted = progress.clone();
    let notice: Notice = Arc::new(move |line: &str| lifted.suspend(|| ui.note(line)));
    let counter = progress.clone();
    let hooks = Hooks {
        say: &|line| progress.suspend(|| ui.say(line)),
        notice,
        walked: &|branch, commits| progress.walked(branch, commits),
        pages: Some(Arc::new(move |requests, left| {
            counter.github(requests, left)
        })),
        now: &now,
    };
    let gaps = crate::run::sync::sync(config, &catalog, request, &hooks);
    progress.finish();
    let gaps = gaps?;
    if gaps.is_empty() {
        return Ok(Exit::Pass);
    }
    for gap in &gaps {
        eprintln!(
            "not evaluated: {}",
            crate::report::escape::terminal(&gap.to_string())
        );
    }
    Err(Failure::incomplete(format!(
        "{} source(s) incomplete for {period}: no conclusion can be drawn from them",
        gaps.len()
    )))
}
