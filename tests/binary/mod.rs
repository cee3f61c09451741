//! Driving the real binary from integration tests: one way to run `itgc` (no inherited
//! database URL or GitHub token, no colour), build the demo organisation, and run git.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// Runs `itgc ARGS` in `dir`: exit code, stdout, stderr.
pub fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("itgc")
        .unwrap()
        .current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .env_remove("GITHUB_TOKEN")
        .args(["--color", "never"])
        .args(args)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// Builds the demo organisation under `dir/org` and returns that path.
pub fn demo(dir: &Path) -> PathBuf {
    let (code, _, stderr) = run(dir, &["-q", "demo", "--out", "org"]);
    assert_eq!(code, 0, "{stderr}");
    dir.join("org")
}

/// Runs git in `dir` with a fixed identity and no signing; panics when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
