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
