//! What the loopback GitHub suites share: the fake token (which must never reach any output),
//! a clock that records waits instead of sleeping, and a client pointed at a mock server.

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use itgc::source::github::api::{ApiConfig, Client, Clock, Sleep, Token};
use jiff::Timestamp;

pub const TOKEN: &str = "ghp_TESTtoken_must_never_print_0123456789";

pub fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Records how long the client wanted to wait, and returns at once.
#[derive(Default)]
pub struct FakeClock {
    pub slept: Mutex<Vec<Duration>>,
}

impl FakeClock {
    /// The waits so far, in whole seconds.
    pub fn slept_secs(&self) -> Vec<u64> {
        self.slept
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_secs())
            .collect()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        at("2026-10-01T08:00:00Z")
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        self.slept.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// A client for the API at `api_url` with the fake token, on `clock`.
pub fn client(api_url: String, clock: Arc<FakeClock>) -> Client {
    let config = ApiConfig {
        api_url,
        token: Token::new(TOKEN).unwrap(),
    };
    Client::new(config).unwrap().with_clock(clock)
}

/// What a run of the binary printed and returned.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the `itgc` binary in `dir` with `args`, without the caller's store, token or API
/// settings; with `api_url`, against that (mock) API with the fake token. Off the runtime, so
/// that the mock server keeps serving while the binary talks to it.
pub async fn run_itgc(dir: &std::path::Path, args: &[&str], api_url: Option<String>) -> Ran {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_itgc"));
        cmd.current_dir(&dir)
            .args(["--color", "never"])
            .args(&args)
            .env_remove("ITGC_DATABASE_URL")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GITHUB_API_URL");
        if let Some(url) = api_url {
            cmd.env("GITHUB_TOKEN", TOKEN).env("GITHUB_API_URL", url);
        }
        let out = cmd.output().unwrap();
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

/// Whether `bytes` contain the token anywhere.
pub fn leaks_token(bytes: &[u8]) -> bool {
    bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes())
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}
