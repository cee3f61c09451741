//! Walks a branch's whole first-parent history with the library and prints how many commits
//! and changed paths it read; `benches/walk.sh` times it against `git log`.
//!
//! Usage: walk_bench REPO [BRANCH] [--dump] [--no-verify] [--serial]
//! `--dump` prints `oid<TAB>path` for every changed path instead, so the script can check that
//! the walk and `git log --name-only` found exactly the same changes.
//! `--no-verify` turns off libgit2's re-hashing of every object it reads (git does not
//! re-hash on read either). For measurement only: `itgc` keeps it on.
//! `--serial` diffs on the walking thread instead of as `itgc sync` does (`Threads::all_cores`).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use itgc::facts::Commit;
use itgc::source::git::{Threads, WalkOptions, walk_first_parent_with};
use jiff::Timestamp;

// The allocator `itgc` itself runs with (src/main.rs), so the bench times the walk as `sync`
// runs it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let dump = flag("--dump");
    if flag("--no-verify") {
        git2::opts::strict_hash_verification(false);
    }
    let mut positional = args.iter().filter(|a| !a.starts_with("--"));
    let Some(repo) = positional.next().map(PathBuf::from) else {
        eprintln!("usage: walk_bench REPO [BRANCH] [--dump] [--no-verify] [--serial]");
        return ExitCode::from(2);
    };
    let branch = positional.next().map_or("main", String::as_str);
    let options = WalkOptions {
        threads: if flag("--serial") {
            Threads::SERIAL
        } else {
            Threads::all_cores()
        },
        walked: None,
    };
    // The widest period: every commit on the chain is read and diffed.
    let window = (Timestamp::MIN, Timestamp::MAX);
    match walk_first_parent_with(&repo, "bench", branch, window, &options) {
        Ok(commits) if dump => print_paths(&commits),
        Ok(commits) => {
            let paths: usize = commits.iter().map(|c| c.paths.len()).sum();
            println!("{} commits, {paths} changed paths", commits.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("walk_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_paths(commits: &[Commit]) -> ExitCode {
    let mut out = BufWriter::new(std::io::stdout().lock());
    let lines = commits
        .iter()
        .flat_map(|c| c.paths.iter().map(move |p| (&c.oid, p)));
    for (oid, path) in lines {
        if writeln!(out, "{oid}\t{path}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
