//! What the loopback GitHub suites share: the fake token (which must never reach any output),
//! a clock that records waits instead of sleeping, a client pointed at a mock server, and
//! GitHub's GraphQL search as the mock plays it (`Fake`).

// Each test binary uses its own subset of these.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use itgc::source::github::api::{ApiConfig, Client, Clock, Sleep, Token};
use jiff::Timestamp;
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

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
    run_itgc_with(dir, args, api_url, &[]).await
}

/// [`run_itgc`] with more environment variables (other channels' secrets).
pub async fn run_itgc_with(
    dir: &std::path::Path,
    args: &[&str],
    api_url: Option<String>,
    env: &[(&str, &str)],
) -> Ran {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
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
        cmd.envs(env);
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

/// Names payments-api's GitHub repository (`demo-fintech/payments-api`, the fixture's) in the
/// policies of the demo organisation at `org`, so that `sync` reads it from the mock.
pub fn name_github_repo(org: &std::path::Path) {
    let systems = org.join("policies/systems.yaml");
    let text = std::fs::read_to_string(&systems).unwrap().replacen(
        "        branches: [main]\n",
        "        branches: [main]\n        github: demo-fintech/payments-api\n",
        1,
    );
    std::fs::write(&systems, text).unwrap();
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

pub const FIXTURE: &str = include_str!("../fixtures/github/search_page.json");

pub fn fixture() -> Value {
    serde_json::from_str(FIXTURE).unwrap()
}

/// The merged pull request #412 of the fixture, renumbered and re-timed.
pub fn bulk_pr(number: u64) -> Value {
    let mut pr = fixture()["data"]["s0"]["nodes"][0].clone();
    pr["number"] = json!(number);
    let merged = at("2026-07-01T00:00:00Z").as_second() + number as i64 * 600;
    pr["mergedAt"] = json!(Timestamp::from_second(merged).unwrap().to_string());
    pr
}

/// GitHub as the mock plays it.
pub struct Fake {
    pub prs: Vec<Value>,
    /// `issueCount` claims this many more than exist.
    pub phantom: u64,
    /// Numbers an `updated:>=` search returns (an incremental re-sync).
    pub changed: Vec<u64>,
    pub repository: Value,
    pub repository_errors: Vec<Value>,
    /// Follow-up pages of reviews, per pull request number.
    pub more_reviews: Vec<(u64, Vec<Value>)>,
}

impl Fake {
    pub fn new(prs: Vec<Value>) -> Fake {
        Fake {
            prs,
            phantom: 0,
            changed: Vec::new(),
            repository: fixture()["data"]["repository"].clone(),
            repository_errors: Vec::new(),
            more_reviews: Vec::new(),
        }
    }

    pub fn answer(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let query = body["query"].as_str().unwrap();
        let vars = &body["variables"];
        if query.contains("pullRequest(number: $number)") {
            return ResponseTemplate::new(200).set_body_json(self.reviews_page(vars));
        }
        let mut data = json!({ "rateLimit": { "cost": 1, "remaining": 4000, "resetAt": "2026-10-01T10:00:00Z" } });
        let mut errors = Vec::new();
        for (key, text) in vars.as_object().unwrap() {
            let Some(alias) = key.strip_prefix("q_") else {
                continue;
            };
            let text = text.as_str().unwrap();
            data[alias] = if alias.starts_with('s') {
                let after = vars[format!("a_{alias}")].as_str();
                self.search(query, alias, text, after)
            } else {
                json!({ "issueCount": self.matching(text).len() as u64 + self.phantom })
            };
        }
        if query.contains("...protection") {
            data["repository"] = self.repository.clone();
            errors.extend(self.repository_errors.iter().cloned());
        }
        let mut answer = json!({ "data": data });
        if !errors.is_empty() {
            answer["errors"] = Value::Array(errors);
        }
        ResponseTemplate::new(200).set_body_json(answer)
    }

    fn matching(&self, text: &str) -> Vec<&Value> {
        let mut base = "";
        let (mut lo, mut hi) = (Timestamp::MIN, Timestamp::MAX);
        let mut incremental = false;
        for word in text.split_whitespace() {
            if let Some(b) = word.strip_prefix("base:") {
                base = b;
            } else if let Some(range) = word.strip_prefix("merged:") {
                let (a, b) = range.split_once("..").unwrap();
                (lo, hi) = (at(a), at(b));
            } else if word.starts_with("updated:>=") {
                incremental = true;
            }
        }
        self.prs
            .iter()
            .filter(|pr| pr["baseRefName"] == base)
            .filter(|pr| {
                let merged = at(pr["mergedAt"].as_str().unwrap());
                merged >= lo && merged <= hi
            })
            .filter(|pr| !incremental || self.changed.contains(&pr["number"].as_u64().unwrap()))
            .collect()
    }

    fn search(&self, query: &str, alias: &str, text: &str, after: Option<&str>) -> Value {
        let marker = format!("{alias}: search(type: ISSUE, query: $q_{alias}, first: ");
        let first: usize = query
            .split(&marker)
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        let all = self.matching(text);
        let offset: usize = after.map_or(0, |a| a.trim_start_matches("o:").parse().unwrap());
        let end = (offset + first).min(all.len());
        json!({
            "issueCount": all.len() as u64 + self.phantom,
            "pageInfo": { "hasNextPage": end < all.len(), "endCursor": format!("o:{end}") },
            "nodes": all[offset..end],
        })
    }

    fn reviews_page(&self, vars: &Value) -> Value {
        let number = vars["number"].as_u64().unwrap();
        let more = &self
            .more_reviews
            .iter()
            .find(|(n, _)| *n == number)
            .unwrap()
            .1;
        let pr = self.prs.iter().find(|p| p["number"] == number).unwrap();
        let offset: usize = vars["after"]
            .as_str()
            .unwrap()
            .trim_start_matches("r:")
            .parse()
            .unwrap();
        let end = (offset + 100).min(more.len());
        json!({ "data": { "repository": { "pullRequest": { "conn": {
            "totalCount": pr["reviews"]["totalCount"],
            "pageInfo": { "hasNextPage": end < more.len(), "endCursor": format!("r:{end}") },
            "nodes": more[offset..end],
        } } } } })
    }
}
