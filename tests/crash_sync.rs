//! Crash consistency of `itgc sync`: the real binary, syncing the demo repository's history
//! and its pull requests from a loopback mock of GitHub that answers slowly, is killed with
//! SIGKILL at pseudo-random moments (a fixed seed, so a failure reproduces). Every time the
//! store must open and `check` must print what it printed before the sync or what it prints
//! after an uncut one, never a third result; and a sync run again after the kill must reach
//! the after state.
//!
//! The defect this guards: sync stored each source as it read it, so a kill while GitHub was
//! still answering left the branch walked but its pull requests missing, and `check` reported
//! the repository as having no pull-request data: neither before nor after.

mod binary;
mod crash_support;
mod mock_github;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crash_support::{Lcg, kill_after, timed};
use mock_github::{Fake, TOKEN, fixture};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KILLS: usize = 50;

/// How long the mock takes to answer each request: long enough that kills land while the sync
/// waits for GitHub, with the history already walked, as well as before and after.
const ANSWER_DELAY: Duration = Duration::from_millis(400);

/// Every kill is followed by a full sync this often (each costs a sync and a check).
const RESYNC_EVERY: usize = 10;

/// The store the syncs write, apart from the demo's own (which holds imported exports).
const STORE: &str = "sqlite://.itgc/sync.db";

/// The fake GitHub, answering after [`ANSWER_DELAY`].
struct Slow(Fake);

impl Respond for Slow {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.0.answer(req).set_delay(ANSWER_DELAY)
    }
}

fn sync(org: &Path, api: &str) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("itgc"));
    cmd.current_dir(org)
        .env_remove("ITGC_DATABASE_URL")
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", api)
        .args(["-q", "--color", "never", "--database-url", STORE])
        .args(["sync", "--period", "2026-Q3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// What `check` prints on stdout, with its exit code; the store must open.
fn check(org: &Path) -> (i32, String) {
    let args = ["--database-url", STORE, "check", "--period", "2026-Q3"];
    let (code, stdout, stderr) = binary::run(org, &[&args[..], &["--control", "CM-02"]].concat());
    assert!(matches!(code, 0 | 1 | 3), "check: exit {code}: {stderr}");
    (code, stdout)
}

/// Back to the store before any sync: none.
fn reset(org: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(org.join(format!(".itgc/sync.db{suffix}")));
    }
}

#[test]
fn a_killed_sync_leaves_check_printing_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let org = binary::demo(dir.path());
    mock_github::name_github_repo(&org);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        let prs = fixture()["data"]["s0"]["nodes"].as_array().unwrap().clone();
        Mock::given(method("POST"))
            .and(path("/graphql"))
            .respond_with(Slow(Fake::new(prs)))
            .mount(&server)
            .await;
        server
    });
    let api = server.uri();
    reset(&org);
    let before = check(&org);
    reset(&org);
    let uncut = timed(&mut sync(&org, &api), 0);
    let after = check(&org);
    assert_ne!(before, after, "the sync must change what check prints");
    let mut rng = Lcg(0x5EED_0003);
    let (mut cut, mut landed) = (0, 0);
    let started = Instant::now();
    for kill in 0..KILLS {
        reset(&org);
        let delay = rng.delay_below(uncut * 12 / 10);
        kill_after(&mut sync(&org, &api), delay);
        let now = check(&org);
        if now == after {
            landed += 1;
        } else {
            assert_eq!(
                now, before,
                "kill {kill} after {delay:?}: neither before nor after"
            );
            cut += 1;
        }
        if kill % RESYNC_EVERY == 0 {
            timed(&mut sync(&org, &api), 0);
            assert_eq!(check(&org), after, "kill {kill}: the sync run again");
        }
    }
    eprintln!(
        "{KILLS} kills in {:?} (an uncut sync: {uncut:?}): {cut} before, {landed} after",
        started.elapsed()
    );
    // The delays must have cut some syncs and let some finish, or the test proved little.
    assert!(cut > 0 && landed > 0, "cut {cut}, landed {landed}");
}
