//! `itgc gate --repo PATH --commit SHA [--since SHA]`: in a deploy pipeline, test the changes
//! being deployed against the change-management controls, from the store's pull-request data
//! (synced or imported beforehand) and the local clone. Exit 0 deploy, 1 deviations, 3 the
//! data cannot prove the changes were approved.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{Config, Failure, Ui};
use crate::evaluate::{Outcome, Results};
use crate::exit::Exit;
use crate::report::{self, Format};
use crate::run;

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The local clone being deployed.
    #[arg(long, value_name = "PATH")]
    pub repo: PathBuf,
    /// The commit being deployed (the tip of the first-parent range).
    #[arg(long, value_name = "SHA")]
    pub commit: String,
    /// The commit deployed last time: changes after it (exclusive) are tested. Default: only
    /// `--commit` itself.
    #[arg(long, value_name = "SHA")]
    pub since: Option<String>,
    /// The repo's name in policy, when its `location` does not point at `--repo`.
    #[arg(long, value_name = "NAME")]
    pub repo_name: Option<String>,
    /// Test only these controls (repeatable); default every change-management control.
    #[arg(long = "control", value_name = "ID")]
    pub controls: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report here instead of standard output (e.g. `--format sarif --output
    /// itgc.sarif` for code scanning); under GitHub Actions the annotations still go to stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &GateArgs, config: &Config, ui: &Ui) -> Exit {
    match gate(args, config, ui) {
        Ok(exit) => exit,
        Err(failure) => super::fail(ui, failure),
    }
}

fn gate(args: &GateArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let inputs = super::validate::load_catalog(config, ui)?;
    let request = run::Request {
        scope: run::Scope::Deploy(run::gate::Deploy {
            repo: args.repo.clone(),
            commit: args.commit.clone(),
            since: args.since.clone(),
            repo_name: args.repo_name.clone(),
        }),
        controls: args.controls.clone(),
        keep: args.format.keep(),
        now: super::now(),
    };
    let results = run::pipeline(config, &inputs, &request, &mut Vec::new())?.results;
    let color = ui.color && args.output.is_none();
    let text = report::render(args.format, &results, color);
    if let Some(path) = &args.output {
        super::write_atomically(path, text.as_bytes())
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    let printed = args.output.is_none().then_some(text.as_str());
    github_actions(&results, printed);
    Ok(run::exit_for(&results))
}

/// Prints the report (unless it went to a file); under GitHub Actions also a Markdown summary
/// for the run page and an annotation per finding.
fn github_actions(results: &Results, report: Option<&str>) {
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        let markdown = report::markdown::render(results);
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(Path::new(&path))
            .and_then(|mut f| f.write_all(markdown.as_bytes()));
        if let Err(e) = appended {
            eprintln!("warning: cannot write the step summary: {e}");
        }
    }
    if !std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        print!("{}", report.unwrap_or_default());
        return;
    }
    for line in annotations(results) {
        println!("{line}");
    }
    if let Some(report) = report {
        print!("{}", without_commands(report, &stop_token()));
    }
}

/// `text` between `::stop-commands::TOKEN` and `::TOKEN::`: the runner treats a log line as a
/// workflow command when it starts with `::` (after leading spaces) or holds `##[` anywhere
/// (actions/runner `ActionCommand.TryParseV2` and `TryParse`), and the report quotes PR
/// titles and commit subjects. Escaping keeps data off the start of a line; stopping command
/// processing also disarms `##[error]` inside a line. The token is random, so the data cannot
/// name it to resume processing early.
fn without_commands(text: &str, token: &str) -> String {
    let end = if text.ends_with('\n') { "" } else { "\n" };
    format!("::stop-commands::{token}\n{text}{end}::{token}::\n")
}

/// 128 random bits in hex; a fixed fallback only if the OS has no randomness to give.
fn stop_token() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        return "itgc-report-ends-here".to_string();
    }
    crate::hex::hex(&bytes)
}

/// Workflow commands (`::error title=…::message`), one per finding; every piece of data in
/// them through the workflow-command escaper.
pub fn annotations(results: &Results) -> Vec<String> {
    use crate::report::escape::{workflow_data, workflow_property};
    let mut lines = Vec::new();
    for c in &results.controls {
        for item in report::findings(&c.items) {
            let level = match item.outcome {
                Outcome::Deviation => "error",
                Outcome::NotEvaluated => "warning",
                _ => "notice",
            };
            let reasons: Vec<String> = report::reasons(item)
                .map(|r| format!("{}: {}", r.rule, r.message))
                .collect();
            let title = workflow_property(&format!("{} {}", c.control, item.label));
            let message = workflow_data(&reasons.join("\n"));
            lines.push(format!("::{level} title={title}::{message}"));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_report_is_fenced_off_from_the_runner() {
        let fenced = super::without_commands("a\n##[error]x\n", "t0k");
        assert_eq!(fenced, "::stop-commands::t0k\na\n##[error]x\n::t0k::\n");
        let (a, b) = (super::stop_token(), super::stop_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
