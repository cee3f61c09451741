//! Loading the demo organisation into the store as `sync` and `import` would, with the very
//! import functions `itgc import` uses, and recording the demo as a run.

use std::path::Path;

use super::super::{Config, Error};
use crate::exit::Exit;
use crate::population::load;
use crate::source::{files, git};
use crate::store::{NewRun, Store};

/// How loading the demo talks back while it works, and the clock, both the caller's.
pub struct DemoHooks<'a> {
    /// A progress line of normal output (one per walk, export and import).
    pub say: &'a dyn Fn(&str),
    /// The wall clock, to whole seconds.
    pub now: &'a dyn Fn() -> jiff::Timestamp,
}

/// Loads the demo organisation into the store as `sync` and `import` would: the walk of each
/// repository over the period, and every export. Testing it is the check pipeline's job.
pub async fn load_demo(
    org: &crate::demo::DemoOrg,
    catalog: &crate::model::Catalog,
    project: &Config,
    hooks: &DemoHooks<'_>,
) -> Result<(), Error> {
    let store_err = |e: crate::store::StoreError| Error::usage(format!("store: {e}"));
    let store = Store::open(&project.database_url)
        .await
        .map_err(store_err)?;
    let period = super::super::parse_period(crate::demo::PERIOD, catalog, project)?;
    for repo in &org.repos {
        let commits = git::walk_first_parent(
            &repo.path,
            &repo.name,
            &repo.branch,
            period.start(),
            period.end(),
        )
        .map_err(|e| Error::usage(e.to_string()))?;
        let window = (period.start(), period.end());
        load::record_walk(
            &store,
            &repo.name,
            &repo.branch,
            window,
            &commits,
            (hooks.now)(),
        )
        .await
        .map_err(store_err)?;
        (hooks.say)(&format!(
            "loaded {} first-parent commits of {}@{} in {period}",
            commits.len(),
            repo.name,
            repo.branch
        ));
    }
    for export in &org.exports {
        let mut import = files::fingerprint(export.kind, export.scope.as_deref(), &export.path)
            .map_err(|e| Error::usage(e.to_string()))?;
        // The export says what date its data is true as of; that, not the import time, is
        // what an auditor compares against the period.
        import.as_of = Some(export.as_of);
        store.record_import(&import).await.map_err(store_err)?;
        (hooks.say)(&format!(
            "recorded {} export {} ({} records, sha256 {})",
            import.kind,
            import.file_name,
            import.rows,
            &import.sha256[..12]
        ));
    }
    import_exports(&store, catalog, org, hooks).await?;
    (hooks.say)(&format!(
        "store: {} ({} backend)",
        project.database_url,
        store.backend()
    ));
    store.close().await;
    Ok(())
}

/// Records the demo as a run in the store, with the exit status its check concluded.
pub async fn record_demo_run(
    url: &str,
    started_at: jiff::Timestamp,
    exit: Exit,
    now: &dyn Fn() -> jiff::Timestamp,
) -> Result<(), Error> {
    let store_err = |e: crate::store::StoreError| Error::usage(format!("store: {e}"));
    let store = Store::open(url).await.map_err(store_err)?;
    let new_run = NewRun {
        command: "demo".into(),
        period: crate::demo::PERIOD.into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        started_at,
    };
    let run = store.begin_run(&new_run).await.map_err(store_err)?;
    store
        .finish_run(run, now(), i32::from(exit.code()))
        .await
        .map_err(store_err)?;
    store.close().await;
    Ok(())
}

/// Imports the pull requests and tickets as `itgc import` does, so that a check can run on the
/// demo straight away.
async fn import_exports(
    store: &Store,
    catalog: &crate::model::Catalog,
    org: &crate::demo::DemoOrg,
    hooks: &DemoHooks<'_>,
) -> Result<(), Error> {
    for export in &org.exports {
        let parsed = match export.kind {
            "github-prs" => super::read_pull_requests(crate::demo::REPO_NAME, &export.path)?,
            "tickets" => super::read_tickets(&export.path)?,
            "job-runs" => {
                let log = super::runs::open(&export.path)?;
                let silent = super::ImportHooks::SILENT;
                let line = super::runs::import(store, log, &export.path, silent);
                (hooks.say)(&line.await?);
                continue;
            }
            "access-list" => {
                if export.scope.as_deref() == Some("github") {
                    import_org(store, &export.path, hooks).await?;
                }
                access_list(catalog, export)?
            }
            "hr-roster" => super::access::read_roster(&export.path, None)?,
            "access-review" => {
                let stream = super::access::open_reviews(&export.path)?;
                let silent = super::ImportHooks::SILENT;
                let line = super::access::import_reviews(store, stream, &export.path, silent);
                (hooks.say)(&line.await?);
                continue;
            }
            _ => continue,
        };
        let line = super::write(store, &parsed)
            .await
            .map_err(|e| Error::usage(format!("store: {e}")))?;
        (hooks.say)(&line);
    }
    Ok(())
}

/// The GitHub organisation's members and teams, which CODEOWNERS team entries resolve to.
async fn import_org(store: &Store, path: &Path, hooks: &DemoHooks<'_>) -> Result<(), Error> {
    let org = crate::source::github::org::read(path).map_err(|e| Error::usage(e.to_string()))?;
    let n = store
        .replace_org_members(&org.org, &org.members)
        .await
        .map_err(|e| Error::usage(format!("store: {e}")))?;
    (hooks.say)(&format!(
        "imported {n} members of GitHub organisation {}",
        org.org
    ));
    Ok(())
}

/// Reads an access-list export with the mapping its system declares in the demo policies.
fn access_list(
    catalog: &crate::model::Catalog,
    export: &crate::demo::DemoExport,
) -> Result<super::Parsed, Error> {
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
            Error::usage(format!(
                "no access list {stem} of {system} in the demo policies"
            ))
        })?;
    super::access::read_list_file(&export.path, system, list, None)
}
