//! `itgc demo [--out DIR]`: build the demo organisation from nothing, validate the built-in
//! catalogue, load the organisation into the embedded store, and say what was done.

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Config, Ui, import, now};
use crate::exit::Exit;
use crate::model::{self, builtin};
use crate::period::Period;
use crate::population::provenance::{self, Provenance};
use crate::population::{Snapshot, load};
use crate::source::{files, git};
use crate::store::{NewRun, Store};

/// The quarter the demo history falls in.
const DEMO_PERIOD: &str = "2026-Q3";
/// Left in a demo directory so a later run knows it may replace it.
const MARKER: &str = ".itgc-demo";
/// The marker's exact content: a file of that name with other content is not the demo's.
const MARKER_TEXT: &str = "made by `itgc demo`; safe to delete\n";
/// Everything the demo makes at the top of its directory.
const MADE: &[&str] = &[
    MARKER, ".itgc", "controls", "exports", "packet", "policies", "reports", "repos",
];

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the demo organisation; replaced if an earlier demo made it.
    #[arg(long, default_value = "itgc-demo")]
    pub out: PathBuf,
}

pub fn run(args: &DemoArgs, config: &Config, ui: &Ui) -> Exit {
    match demo(args, config, ui) {
        Ok(()) => Exit::Pass,
        Err((exit, message)) => super::fail(ui, exit, message),
    }
}

type Failure = (Exit, String);

fn demo(args: &DemoArgs, config: &Config, ui: &Ui) -> Result<(), Failure> {
    let out = &args.out;
    clear_previous(out)?;
    let org = crate::demo::build(out).map_err(|e| {
        (
            Exit::Usage,
            format!("cannot build the demo organisation: {e}"),
        )
    })?;
    write_catalogue(out)?;
    ui.say(format!("built the demo organisation in {}", out.display()));
    ui.say(format!("  {}", org.summary()));
    for scenario in &org.scenarios {
        ui.say(format!(
            "  scenario {}: {}",
            scenario.key, scenario.description
        ));
    }
    let validation = model::load(
        &builtin::controls(),
        &builtin::policies(),
        super::validate::today(),
    );
    if validation.errors() > 0 {
        for d in &validation.diagnostics {
            eprint!("{}", d.render(ui.color));
        }
        return Err((
            Exit::Usage,
            "the built-in catalogue does not validate".into(),
        ));
    }
    ui.say(format!(
        "validated {} built-in controls and {} policy files: 0 errors, {} warnings",
        builtin::CONTROLS.len(),
        builtin::POLICIES.len(),
        validation.warnings()
    ));
    let url = store_url(config, out);
    let runtime = super::runtime()?;
    let catalog = validation.catalog.ok_or((
        Exit::Usage,
        "the built-in catalogue did not load".to_string(),
    ))?;
    let (snapshot, provenance) = runtime.block_on(load(&org, &catalog, &url, ui))?;
    let results = packet(out, &catalog, &snapshot, &provenance, ui)?;
    report(out, &results, ui)
}

/// Writes a signed evidence packet of the change-management check under `packet/` (with a
/// demo key under `.itgc/`), then verifies it the way an auditor would: every byte, the
/// signature, and a re-performance of the evaluation from the packet alone.
fn packet(
    out: &Path,
    catalog: &crate::model::Catalog,
    snapshot: &crate::population::Snapshot,
    provenance: &crate::population::provenance::Provenance,
    ui: &Ui,
) -> Result<crate::evaluate::Results, Failure> {
    let key_path = out.join(".itgc/demo-signing-key.pem");
    // `.itgc/` holds the demo's store too, unless the user chose another database.
    std::fs::create_dir_all(out.join(".itgc"))
        .map_err(|e| (Exit::Usage, format!("{}: {e}", out.join(".itgc").display())))?;
    let key = crate::evidence::sign::generate()
        .and_then(|key| crate::evidence::sign::write_keypair(&key_path, &key))
        .map_err(|e| (Exit::Usage, format!("demo signing key: {e}")))?;
    let only = change_controls(catalog);
    let input = super::packet::PacketInput {
        controls: &builtin::controls(),
        policies: &builtin::policies(),
        catalog,
        snapshot,
        only: &only,
        run_at: now(),
        controls_commit: None,
        sign: Some(&key_path),
        provenance,
        previous_root: None,
        // The demo packet shows an auditor's sample per control, re-drawn by verify --reperform.
        sample: Some(super::sample::Sampling { stratify: None }),
    };
    let dir = out.join("packet");
    let (root, results) = super::packet::write(&dir, &input)?;
    ui.say(format!(
        "packet: {} (root {root}), signed with {}",
        dir.display(),
        key_path.display()
    ));
    let public = crate::evidence::sign::read_verifying_key(&key)
        .map_err(|e| (Exit::Usage, format!("demo public key: {e}")))?;
    let hook = super::packet::CheckReperform;
    let options = crate::evidence::VerifyOptions {
        public_key: Some(&public),
        reperform: Some(&hook),
        ..crate::evidence::VerifyOptions::default()
    };
    let report = crate::evidence::verify(&dir, &options);
    if !report.ok() {
        let problems: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
        return Err((
            Exit::VerifyFailed,
            format!("the demo packet does not verify: {}", problems.join("; ")),
        ));
    }
    ui.say(format!(
        "verified the packet: {} files, signature valid, evaluation re-performed from the packet with identical results",
        report.files
    ));
    Ok(results)
}

/// Prints the change-management results and writes every report format under `reports/`.
fn report(out: &Path, results: &crate::evaluate::Results, ui: &Ui) -> Result<(), Failure> {
    if ui.level >= 0 {
        print!("{}", crate::report::human::render(results, ui.color));
    }
    let dir = out.join("reports");
    std::fs::create_dir_all(&dir)
        .map_err(|e| (Exit::Usage, format!("cannot create {}: {e}", dir.display())))?;
    for (name, format) in REPORTS {
        let path = dir.join(name);
        let text = crate::report::render(*format, results, false);
        super::write_atomically(&path, text.as_bytes())
            .map_err(|e| (Exit::Usage, format!("cannot write {}: {e}", path.display())))?;
    }
    let html = crate::report::html::render(results, &[])
        .map_err(|e| (Exit::Usage, format!("HTML report: {e}")))?;
    let path = dir.join("report.html");
    super::write_atomically(&path, html.as_bytes())
        .map_err(|e| (Exit::Usage, format!("cannot write {}: {e}", path.display())))?;
    let mut names: Vec<&str> = REPORTS.iter().map(|(n, _)| *n).collect();
    names.push("report.html");
    ui.say(format!("reports: {} ({})", dir.display(), names.join(", ")));
    Ok(())
}

/// The report files the demo writes, one per format.
const REPORTS: &[(&str, crate::report::Format)] = &[
    ("check.md", crate::report::Format::Markdown),
    ("check.json", crate::report::Format::Json),
    ("check.sarif", crate::report::Format::Sarif),
    ("check.junit.xml", crate::report::Format::Junit),
];

/// Removes an earlier demo, but never a directory the demo did not provably make: it must
/// carry the marker with exactly the text the demo writes, and hold at its top nothing but
/// what the demo makes (a file of the user's beside them is refused, not deleted).
fn clear_previous(out: &Path) -> Result<(), Failure> {
    let refuse = |why: String| {
        let message = format!(
            "{} exists and was not made by `itgc demo` ({why}); choose another --out or remove it yourself",
            out.display()
        );
        Err((Exit::Usage, message))
    };
    let meta = match std::fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err((Exit::Usage, format!("{}: {e}", out.display()))),
    };
    if !meta.is_dir() {
        return refuse("not a directory".into());
    }
    let names: Vec<String> = std::fs::read_dir(out)
        .and_then(|d| {
            d.map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .map_err(|e| (Exit::Usage, format!("{}: {e}", out.display())))?;
    if names.is_empty() {
        return Ok(());
    }
    let marker = out.join(MARKER);
    let is_marker = std::fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file())
        && std::fs::read(&marker).is_ok_and(|bytes| bytes == MARKER_TEXT.as_bytes());
    if !is_marker {
        return refuse(format!("no {MARKER} marker with the text the demo writes"));
    }
    if let Some(other) = names.iter().find(|n| !MADE.contains(&n.as_str())) {
        return refuse(format!("it holds `{other}`, which the demo does not make"));
    }
    std::fs::remove_dir_all(out).map_err(|e| {
        (
            Exit::Usage,
            format!("cannot replace {}: {e}", out.display()),
        )
    })
}

/// Writes the built-in catalogue beside the organisation so users can read and edit it.
fn write_catalogue(out: &Path) -> Result<(), Failure> {
    let files = builtin::CONTROLS
        .iter()
        .chain(builtin::POLICIES)
        .map(|(p, t)| (p.to_string(), t.to_string()));
    let marker = std::iter::once((MARKER.to_string(), MARKER_TEXT.to_string()));
    for (rel, text) in files.chain(marker) {
        let path = out.join(rel);
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text))
            .map_err(|e| (Exit::Usage, format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}

/// The demo's own embedded store, unless the user pointed at another one.
fn store_url(config: &Config, out: &Path) -> String {
    if config.database_url_explicit {
        return config.database_url.clone();
    }
    format!("sqlite://{}", out.join(".itgc/itgc.db").display())
}

async fn load(
    org: &crate::demo::DemoOrg,
    catalog: &crate::model::Catalog,
    url: &str,
    ui: &Ui,
) -> Result<(Snapshot, Provenance), Failure> {
    let store_err = |e: crate::store::StoreError| (Exit::Usage, format!("store: {e}"));
    let store = Store::open(url).await.map_err(store_err)?;
    let period = Period::parse(DEMO_PERIOD).map_err(|e| (Exit::Usage, e.to_string()))?;
    let new_run = NewRun {
        command: "demo".into(),
        period: period.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at: now(),
    };
    let run = store.begin_run(&new_run).await.map_err(store_err)?;
    for repo in &org.repos {
        let commits = git::walk_first_parent(
            &repo.path,
            &repo.name,
            &repo.branch,
            period.start(),
            period.end(),
        )
        .map_err(|e| (Exit::Usage, e.to_string()))?;
        let window = (period.start(), period.end());
        load::record_walk(&store, &repo.name, &repo.branch, window, &commits, now())
            .await
            .map_err(store_err)?;
        ui.say(format!(
            "loaded {} first-parent commits of {}@{} in {period}",
            commits.len(),
            repo.name,
            repo.branch
        ));
    }
    for export in &org.exports {
        let mut import = files::fingerprint(export.kind, export.scope.as_deref(), &export.path)
            .map_err(|e| (Exit::Usage, e.to_string()))?;
        // The export says what date its data is true as of; that, not the import time, is
        // what an auditor compares against the period.
        import.as_of = Some(export.as_of);
        store.record_import(&import).await.map_err(store_err)?;
        ui.say(format!(
            "recorded {} export {} ({} records, sha256 {})",
            import.kind,
            import.file_name,
            import.rows,
            &import.sha256[..12]
        ));
    }
    import_exports(&store, catalog, org, ui).await?;
    let snapshot = load::load(&store, catalog, &period, &org.root, &[])
        .await
        .map_err(store_err)?;
    let provenance = provenance::collect(&store, catalog, &period)
        .await
        .map_err(store_err)?;
    let results = crate::evaluate::evaluate(catalog, &snapshot, &change_controls(catalog));
    let exit = super::check::exit_for(&results);
    store
        .finish_run(run, now(), i32::from(exit.code()))
        .await
        .map_err(store_err)?;
    ui.say(format!(
        "store: {url} ({} backend), run {run}",
        store.backend()
    ));
    store.close().await;
    Ok((snapshot, provenance))
}

/// The controls the demo checks: every population kind this version builds (changes,
/// accounts and access reviews, jobs and job runs).
fn change_controls(catalog: &crate::model::Catalog) -> Vec<String> {
    use crate::model::control::PopulationKind::{AccessReviews, Accounts, Changes, JobRuns, Jobs};
    catalog
        .controls
        .iter()
        .filter(|c| {
            matches!(
                c.value.population.kind,
                Changes | Accounts | AccessReviews | Jobs | JobRuns
            )
        })
        .map(|c| c.value.id.clone())
        .collect()
}

/// Imports the pull requests and tickets as `itgc import` does, so that a check can run on the
/// demo straight away.
async fn import_exports(
    store: &Store,
    catalog: &crate::model::Catalog,
    org: &crate::demo::DemoOrg,
    ui: &Ui,
) -> Result<(), Failure> {
    for export in &org.exports {
        let parsed = match export.kind {
            "github-prs" => import::read_pull_requests(crate::demo::REPO_NAME, &export.path)?,
            "tickets" => import::read_tickets(&export.path)?,
            "job-runs" => {
                let log = import::runs::open(&export.path)?;
                ui.say(import::runs::import(store, log, &export.path).await?);
                continue;
            }
            "access-list" => {
                if export.scope.as_deref() == Some("github") {
                    import_org(store, &export.path, ui).await?;
                }
                access_list(catalog, export)?
            }
            "hr-roster" => import::access::read_roster(&export.path, None)?,
            "access-review" => import::access::read_reviews(&export.path)?,
            _ => continue,
        };
        let line = import::write(store, &parsed)
            .await
            .map_err(|e| (Exit::Usage, format!("store: {e}")))?;
        ui.say(line);
    }
    Ok(())
}

/// The GitHub organisation's members and teams, which CODEOWNERS team entries resolve to.
async fn import_org(store: &Store, path: &Path, ui: &Ui) -> Result<(), Failure> {
    let org = crate::source::github::org::read(path).map_err(|e| (Exit::Usage, e.to_string()))?;
    let n = store
        .replace_org_members(&org.org, &org.members)
        .await
        .map_err(|e| (Exit::Usage, format!("store: {e}")))?;
    ui.say(format!(
        "imported {n} members of GitHub organisation {}",
        org.org
    ));
    Ok(())
}

/// Reads an access-list export with the mapping its system declares in the demo policies.
fn access_list(
    catalog: &crate::model::Catalog,
    export: &crate::demo::DemoExport,
) -> Result<import::Parsed, Failure> {
    let system = export.scope.as_deref().unwrap_or_default();
    let stem = export
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let list = catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .filter(|s| s.id == system)
        .flat_map(|s| &s.access_lists)
        .find(|l| l.id == stem)
        .ok_or_else(|| {
            (
                Exit::Usage,
                format!("no access list {stem} of {system} in the demo policies"),
            )
        })?;
    import::access::read_list_file(&export.path, system, list, None)
}
