//! Progress on a terminal: one line under the output saying what a long step is doing
//! (walking a branch, with the commits read so far; GitHub requests and the rate-limit budget
//! left). Hidden when stderr is
//! not a terminal or with `-q`, so logs, pipes and tests see exactly the lines they always saw.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ui;
use crate::report::escape::terminal;

/// A spinner line on stderr, or nothing. Clones share the line.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Shown only on a terminal and unless quiet.
    pub fn new(ui: &Ui) -> Progress {
        Progress::shown(wanted(ui.level, std::io::stderr().is_terminal()))
    }

    fn shown(on: bool) -> Progress {
        let target = if on {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        if on {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        Progress { bar }
    }

    /// While a branch (`repo@branch`) is walked: the first-parent commits read so far. The
    /// names are data: shown, never obeyed.
    pub fn walked(&self, branch: &str, commits: usize) {
        self.bar.set_message(walk_line(&terminal(branch), commits));
    }

    /// After each GitHub answer.
    pub fn github(&self, requests: u64, remaining: Option<u64>) {
        self.bar.set_message(github_line(requests, remaining));
    }

    /// After every batch of rows an import reads.
    pub fn rows(&self, rows: u64) {
        self.bar.set_message(rows_line(rows));
    }

    /// Files hashed so far, verifying or writing a packet (totals when known).
    pub fn hashed(
        &self,
        doing: &str,
        files: u64,
        of_files: Option<u64>,
        bytes: u64,
        of_bytes: Option<u64>,
    ) {
        self.bar
            .set_message(hashed_line(doing, files, of_files, bytes, of_bytes));
    }

    /// Runs `print` with the progress line lifted, so printed lines do not mix with it.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.bar.suspend(print)
    }

    /// Removes the line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Only for a person watching: stderr is a terminal and `-q` was not given.
fn wanted(level: i8, terminal: bool) -> bool {
    terminal && level >= 0
}

fn walk_line(branch: &str, commits: usize) -> String {
    let noun = if commits == 1 { "commit" } else { "commits" };
    format!("walking {branch}: {commits} first-parent {noun} read")
}

fn github_line(requests: u64, remaining: Option<u64>) -> String {
    let noun = if requests == 1 { "request" } else { "requests" };
    match remaining {
        Some(left) => format!("GitHub: {requests} {noun}, {left} left in the rate-limit budget"),
        None => format!("GitHub: {requests} {noun}"),
    }
}

fn rows_line(rows: u64) -> String {
    let noun = if rows == 1 { "row" } else { "rows" };
    format!("importing: {rows} {noun} read")
}

fn hashed_line(
    doing: &str,
    files: u64,
    of_files: Option<u64>,
    bytes: u64,
    of_bytes: Option<u64>,
) -> String {
    let of = |total: Option<String>| total.map(|t| format!(" of {t}")).unwrap_or_default();
    let noun = if of_files.unwrap_or(files) == 1 {
        "file"
    } else {
        "files"
    };
    format!(
        "{doing}: {files}{} {noun}, {}{}",
        of(of_files.map(|n| n.to_string())),
        indicatif::HumanBytes(bytes),
        of(of_bytes.map(|n| indicatif::HumanBytes(n).to_string())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_off_a_terminal_and_when_quiet() {
        assert!(Progress::shown(false).bar.is_hidden());
        // Test runs capture stderr: never a terminal here, whatever the level.
        for level in [-2, -1, 0, 1] {
            let ui = Ui {
                color: false,
                level,
            };
            assert!(Progress::new(&ui).bar.is_hidden(), "level {level}");
        }
        assert!(wanted(0, true) && wanted(2, true));
        assert!(!wanted(-1, true), "-q hides it on a terminal");
        assert!(!wanted(0, false));
    }

    #[test]
    fn says_requests_and_the_budget_left() {
        assert_eq!(
            github_line(12, Some(4_988)),
            "GitHub: 12 requests, 4988 left in the rate-limit budget"
        );
        assert_eq!(github_line(1, None), "GitHub: 1 request");
        assert_eq!(
            hashed_line("verifying", 3, Some(64), 48 << 20, Some(1 << 30)),
            "verifying: 3 of 64 files, 48.00 MiB of 1.00 GiB"
        );
        assert_eq!(
            hashed_line("writing the packet", 1, None, 512, None),
            "writing the packet: 1 file, 512 B"
        );
    }

    #[test]
    fn a_walk_says_its_branch_and_the_commits_read_so_far() {
        assert_eq!(
            walk_line("api@main", 1),
            "walking api@main: 1 first-parent commit read"
        );
        let p = Progress::shown(false);
        p.walked("pay\u{1b}[2Jments@main", 24_312);
        assert_eq!(
            p.bar.message(),
            "walking pay\\u{1b}[2Jments@main: 24312 first-parent commits read"
        );
    }

    #[test]
    fn says_how_many_rows_an_import_read() {
        assert_eq!(rows_line(1), "importing: 1 row read");
        assert_eq!(rows_line(20_000), "importing: 20000 rows read");
        let p = Progress::shown(false);
        p.rows(30_000);
        assert_eq!(p.bar.message(), "importing: 30000 rows read");
    }
}
