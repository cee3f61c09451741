//! The body of every fuzz target, one function each, and what they share.
//!
//! Two crates compile this file: the fuzz crate (each `fuzz_targets/NAME.rs` calls `NAME`)
//! and the root crate's `tests/fuzz_regressions.rs` (through `#[path]`), which runs every
//! kept input of `fuzz/regressions/NAME/` through the same function on stable Rust in CI.
//! So it uses nothing but `itgc`, `jiff`, `serde_json` and `std`.
//!
//! A target fails by panicking (or overflowing its stack): every parser must return an error
//! for bad bytes, never panic, and the few properties worth asserting are asserted here.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use itgc::model::builtin;
use itgc::model::catalog::{self, Catalog, SourceFile};
use itgc::model::policy::ListSource;

/// A target's body: bytes in, a panic on failure.
pub type Target = fn(&[u8]);

/// The golden packet's copy in scratch and its files (relative path, bytes).
type Golden = (PathBuf, Vec<(String, Vec<u8>)>);

/// Every target by name, for the regression runner.
pub const ALL: &[(&str, Target)] = &[
    ("catalog_control", catalog_control),
    ("catalog_policy", catalog_policy),
    ("expression", expression),
    ("github_export_gh", github_export_gh),
    ("github_export_rest", github_export_rest),
    ("import_access_list", import_access_list),
    ("import_incidents", import_incidents),
    ("import_job_runs", import_job_runs),
    ("import_reviews", import_reviews),
    ("import_roster", import_roster),
    ("import_tickets", import_tickets),
    ("job_definitions", job_definitions),
    ("packet_dir", packet_dir),
    ("packet_tar", packet_tar),
    ("period", period),
];

/// A control file, loaded and validated beside the built-in catalogue; every diagnostic
/// rendered.
pub fn catalog_control(data: &[u8]) {
    let (mut controls, policies) = builtin_files();
    controls[0].bytes = data.to_vec();
    validate(&controls, &policies);
}

/// A policy file, loaded and validated beside the built-in catalogue.
pub fn catalog_policy(data: &[u8]) {
    let (controls, mut policies) = builtin_files();
    policies[0].bytes = data.to_vec();
    validate(&controls, &policies);
}

fn validate(controls: &[SourceFile], policies: &[SourceFile]) {
    let validation = catalog::load(controls, policies, today());
    for d in &validation.diagnostics {
        let _ = d.render(false);
    }
}

/// An `expr` rule or population filter, compiled (through the one guarded compiler) and
/// evaluated over a change with one attribute unknown.
pub fn expression(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let change = serde_json::json!({
        "id": "payments-api@abc", "subject": "fix", "paths": ["a.rs"], "files_changed": ["a.rs"],
        "approvals": ["alice"], "labels": [], "via": "pull-request", "direct_push": false,
        "pull_request": {"number": 1, "title": "t", "labels": [], "reviews": [], "checks": []}
    });
    // One attribute unknown, so that reading it (not evaluated) is exercised too.
    let mut unknown = itgc::evaluate::expr::Unknown::default();
    unknown.add(
        "pull_request.checks",
        "the status checks of #1 were not fetched",
    );
    let context = itgc::evaluate::expr::Context::new("change", change, &unknown);
    let _ = itgc::evaluate::expr::eval(text, &context);
}

/// `itgc import github-prs FILE`: the JSON `gh pr list --json …` writes.
pub fn github_export_gh(data: &[u8]) {
    let path = scratch_file("prs.json", data);
    let _ = itgc::source::github::export::read_export("payments-api", &path);
}

/// `itgc import github-prs DIR`: raw REST responses, `pulls.json` and `reviews/N.json`. The
/// input is both files, split at the first NUL: the pull list, then the reviews of PR 1.
pub fn github_export_rest(data: &[u8]) {
    let (pulls, reviews) = split(data, b"\0");
    scratch_file("rest/pulls.json", pulls);
    scratch_file("rest/reviews/1.json", reviews);
    let dir = scratch().join("rest");
    let _ = itgc::source::github::export::read_export("payments-api", &dir);
}

/// `itgc import access-list`: each file-based list the demo policy maps, chosen by the first
/// byte.
pub fn import_access_list(data: &[u8]) {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let lists: Vec<_> = builtin_catalog()
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .flat_map(|s| s.access_lists.iter().map(move |l| (s, l)))
        .filter(|(_, l)| matches!(l.source(), Some(ListSource::File { .. })))
        .collect();
    let Some((system, list)) = lists.get(*first as usize % lists.len().max(1)) else {
        return;
    };
    let digest = "0".repeat(64);
    let _ = itgc::source::access::read_list("list", bytes, &system.id, list, None, &digest);
}

/// `itgc import incidents`: an incident export (CSV or JSON), read from a file.
pub fn import_incidents(data: &[u8]) {
    let path = scratch_file("incidents", data);
    let _ = itgc::source::job_runs::read_incidents(&path);
}

/// `itgc import job-runs`: a run log (CSV or JSON), streamed from a file run by run as the
/// import reads it, to the end or the first error.
pub fn import_job_runs(data: &[u8]) {
    let path = scratch_file("runs", data);
    let Ok(mut log) = itgc::source::job_runs::RunLog::open(&path) else {
        return;
    };
    loop {
        match log.next_run() {
            Ok(Some(_)) => continue,
            Ok(None) => {
                let _ = log.finish();
                return;
            }
            Err(_) => return,
        }
    }
}

/// `itgc import access-review`: CSV, or JSON when the first byte is odd.
pub fn import_reviews(data: &[u8]) {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let _ = itgc::source::access::read_reviews("reviews", bytes, first & 1 == 1);
}

/// `itgc import hr-roster`: CSV, or JSON when the first byte is odd.
pub fn import_roster(data: &[u8]) {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let digest = "0".repeat(64);
    let _ = itgc::source::access::read_roster("roster", bytes, first & 1 == 1, None, &digest);
}

/// `itgc import tickets`: a Jira-style CSV export.
pub fn import_tickets(data: &[u8]) {
    let _ = itgc::source::tickets::parse("tickets", data);
}

/// Job definitions replayed from git: each job source of the demo policy (crontab,
/// Kubernetes CronJob, generic YAML/JSON with field mappings), chosen by the first byte.
pub fn job_definitions(data: &[u8]) {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let sources: Vec<_> = builtin_catalog()
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .flat_map(|s| &s.jobs)
        .collect();
    if let Some(source) = sources.get(*first as usize % sources.len().max(1)) {
        let _ = itgc::source::jobs::parse(source, "jobs", bytes);
    }
}

/// `itgc evidence verify DIR`: the signed golden packet with one file (chosen by the first
/// byte) replaced by the input. Nothing but the untouched packet may verify.
pub fn packet_dir(data: &[u8]) {
    let Some((first, bytes)) = data.split_first() else {
        return;
    };
    let (dir, files) = golden_copy();
    let (rel, original) = &files[*first as usize % files.len()];
    let target = dir.join(rel);
    std::fs::write(&target, bytes).unwrap_or_else(|e| panic!("{e}"));
    let options = itgc::evidence::VerifyOptions {
        public_key: Some(golden_key()),
        ..Default::default()
    };
    let report = itgc::evidence::verify(dir, &options);
    std::fs::write(&target, original).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        bytes == original.as_slice() || !report.ok(),
        "{rel} was changed and the packet still verifies"
    );
}

/// `itgc evidence verify PACKET.tar`: any bytes as a packet archive.
pub fn packet_tar(data: &[u8]) {
    let path = scratch_file("packet.tar", data);
    let report = itgc::evidence::verify(&path, &itgc::evidence::VerifyOptions::default());
    let _ = report.ok();
}

/// `--period`: quarters, months, years and explicit ranges.
pub fn period(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(period) = itgc::period::Period::parse(text) {
        assert!(period.start() <= period.end(), "{text}: start after end");
        let _ = period.days();
    }
}

/// The built-in controls and the demo organisation's policies as loader input.
fn builtin_files() -> (Vec<SourceFile>, Vec<SourceFile>) {
    let files = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(name, text)| SourceFile {
                name: name.to_string(),
                bytes: text.as_bytes().to_vec(),
            })
            .collect()
    };
    (files(builtin::CONTROLS), files(builtin::POLICIES))
}

/// A fixed day, so that exception expiry does not depend on when the fuzzer runs.
fn today() -> jiff::civil::Date {
    jiff::civil::date(2026, 10, 15)
}

/// The validated built-in catalogue (it validates with no errors; a test of the crate says
/// so).
fn builtin_catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let (controls, policies) = builtin_files();
        catalog::load(&controls, &policies, today())
            .catalog
            .unwrap_or_else(|| panic!("the built-in catalogue must validate"))
    })
}

/// The repository root: this file is compiled from `fuzz/` and from the root crate.
fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if manifest.join("evidence/golden").is_dir() {
        manifest.to_path_buf()
    } else {
        manifest.join("..")
    }
}

/// The signed golden packet copied into scratch, and its files' relative paths and bytes.
fn golden_copy() -> &'static Golden {
    static PACKET: OnceLock<Golden> = OnceLock::new();
    PACKET.get_or_init(|| {
        let golden = repo_root().join("evidence/golden/v1-signed");
        let mut files = Vec::new();
        collect(&golden, &golden, &mut files);
        files.sort();
        for (rel, bytes) in &files {
            scratch_file(&format!("packet/{rel}"), bytes);
        }
        (scratch().join("packet"), files)
    })
}

/// The golden packet's public key: with it, a changed signature cannot verify either.
fn golden_key() -> &'static itgc::evidence::sign::PublicKey {
    static KEY: OnceLock<itgc::evidence::sign::PublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let path = repo_root().join("evidence/golden/golden-key.pub");
        itgc::evidence::sign::read_verifying_key(&path).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.map(|e| e.path()).unwrap_or_else(|e| panic!("{e}"));
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
            out.push((rel.to_string_lossy().into_owned(), bytes));
        }
    }
}

/// A directory of this process's own under the system temp dir.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("itgc-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("scratch dir: {e}"));
        dir
    })
}

/// Removes the scratch directory (the regression test calls it when done; a fuzzer never
/// finishes).
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch());
}

/// Writes `bytes` to `name` in the scratch directory and returns its path.
fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    if let Some(parent) = path.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// Splits `data` at the first `sep`, for targets that take two inputs.
fn split<'a>(data: &'a [u8], sep: &[u8]) -> (&'a [u8], &'a [u8]) {
    match data.windows(sep.len()).position(|w| w == sep) {
        Some(at) => (&data[..at], &data[at + sep.len()..]),
        None => (data, &[]),
    }
}
