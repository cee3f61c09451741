//! The logical-access exports (`itgc import access-list|hr-roster|access-review`). An access
//! list is read with the column mapping its system declares in policy, so the system (and,
//! when it has several, the list) must be one the policies declare.

use std::path::Path;

use jiff::Timestamp;

use super::{Config, Error, Facts, ImportHooks, Parsed, RowCount, fingerprint};
use crate::model::Catalog;
use crate::model::policy::{AccessList, System};
use crate::source::access::ReviewStream;
use crate::source::{access, bounded};
use crate::store::{ReviewImportError, Store};

/// Reads the access-list export at `path` of system `system_id` (its only list, or `list_id`)
/// with the mapping the catalogue's policies declare, true as of `as_of` when the file does
/// not say so itself.
pub fn read_list(
    catalog: &Catalog,
    system_id: &str,
    list_id: Option<&str>,
    as_of: Option<&str>,
    path: &Path,
) -> Result<Parsed, Error> {
    let systems: Vec<&System> = catalog
        .policies
        .iter()
        .flat_map(|p| &p.value.systems)
        .collect();
    let system = find_system(&systems, system_id)?;
    let list = find_list(system, list_id)?;
    let as_of = parse_as_of(as_of)?;
    read_list_file(path, &system.id, list, as_of)
}

/// Reads one access-list file of `system` with `list`'s mapping (also used by the demo).
pub fn read_list_file(
    path: &Path,
    system: &str,
    list: &AccessList,
    as_of: Option<Timestamp>,
) -> Result<Parsed, Error> {
    let shown = path.display().to_string();
    let bytes = bounded::read(path).map_err(|e| Error::usage(e.to_string()))?;
    let digest = bounded::Digest::of(&bytes);
    let snapshot = access::read_list(&shown, &bytes, system, list, as_of, &digest.sha256)
        .map_err(|e| Error::usage(e.to_string()))?;
    let mut import = fingerprint("access-list", Some(system), path, &digest.sha256)?;
    import.as_of = Some(snapshot.as_of);
    Ok(Parsed {
        facts: Facts::AccessList(snapshot),
        import,
        shown,
    })
}

fn find_system<'a>(systems: &[&'a System], id: &str) -> Result<&'a System, Error> {
    if let Some(system) = systems.iter().find(|s| s.id == id) {
        return Ok(system);
    }
    let ids = systems.iter().map(|s| s.id.as_str());
    let hint = crate::diagnostics::did_you_mean(id, ids)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    Err(Error::usage(format!(
        "--system {id}: no system of that name in the policies{hint}"
    )))
}

fn find_list<'a>(system: &'a System, id: Option<&str>) -> Result<&'a AccessList, Error> {
    let ids: Vec<&str> = system.access_lists.iter().map(|l| l.id.as_str()).collect();
    match (id, system.access_lists.as_slice()) {
        (_, []) => Err(Error::usage(format!(
            "system {} declares no access list in the policies (`access_lists:`)",
            system.id
        ))),
        (None, [only]) => Ok(only),
        (None, _) => Err(Error::usage(format!(
            "system {} has several access lists ({}); choose one with --list",
            system.id,
            ids.join(", ")
        ))),
        (Some(id), lists) => lists.iter().find(|l| l.id == id).ok_or_else(|| {
            Error::usage(format!(
                "--list {id}: system {} has no such access list; it has {}",
                system.id,
                ids.join(", ")
            ))
        }),
    }
}

fn parse_as_of(text: Option<&str>) -> Result<Option<Timestamp>, Error> {
    let Some(text) = text else { return Ok(None) };
    match access::table::timestamp(text) {
        Ok(Some(at)) if at.subsec_nanosecond() == 0 => Ok(Some(at)),
        Ok(_) => Err(Error::usage(format!(
            "--as-of {text}: give a date or a whole-second time"
        ))),
        Err(problem) => Err(Error::usage(format!("--as-of: {problem}"))),
    }
}

pub fn read_roster(path: &Path, as_of: Option<&str>) -> Result<Parsed, Error> {
    let as_of = parse_as_of(as_of)?;
    let shown = path.display().to_string();
    let bytes = bounded::read(path).map_err(|e| Error::usage(e.to_string()))?;
    let digest = bounded::Digest::of(&bytes);
    let roster = access::read_roster(&shown, &bytes, access::is_json(path), as_of, &digest.sha256)
        .map_err(|e| Error::usage(e.to_string()))?;
    let mut import = fingerprint("hr-roster", None, path, &digest.sha256)?;
    import.as_of = Some(roster.as_of);
    Ok(Parsed {
        facts: Facts::Roster(roster),
        import,
        shown,
    })
}

/// Streams the access-review export at `path` into the store: read and written in batches
/// inside the one transaction that also records the import, so a campaign of a million
/// decisions needs the memory of a batch; a bad or repeated row on line N rolls everything
/// back and names the file and the line (exit 2). The export's columns are checked before the
/// store is opened. Returns the line to print.
pub fn reviews(path: &Path, config: &Config, hooks: ImportHooks<'_>) -> Result<String, Error> {
    let stream = open_reviews(path)?;
    let runtime = crate::run::runtime()?;
    runtime.block_on(async {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| Error::usage(format!("store: {e}")))?;
        let line = import_reviews(&store, stream, path, hooks).await;
        store.close().await;
        line
    })
}

/// Opens a review export and checks its columns (see [`access::ReviewStream::open`]).
pub(super) fn open_reviews(path: &Path) -> Result<ReviewStream, Error> {
    ReviewStream::open(path).map_err(|e| Error::usage(e.to_string()))
}

/// Streams `stream` (opened from `path`) into `store`; returns the line to print.
pub(super) async fn import_reviews(
    store: &Store,
    mut stream: ReviewStream,
    path: &Path,
    hooks: ImportHooks<'_>,
) -> Result<String, Error> {
    let usage = |e: access::AccessError| Error::usage(e.to_string());
    let mut import = store.begin_review_import().await.map_err(store_error)?;
    let mut count = RowCount::new(hooks);
    while let Some(decision) = stream.next_decision().map_err(usage)? {
        count.add(1);
        import
            .push(decision)
            .await
            .map_err(|e| review_error(&stream, e))?;
    }
    // The last batch is written while the stream can still name a repeated row's lines.
    import.flush().await.map_err(|e| review_error(&stream, e))?;
    let rows = import.count();
    let digest = stream.finish().map_err(usage)?;
    let record = super::parsed_import("access-review", path, &digest, rows);
    let (written, outcome) = match import.finish(&record).await {
        Ok(done) => done,
        Err(ReviewImportError::Store(e)) => return Err(store_error(e)),
        // Nothing is pending: every decision was checked above.
        Err(e @ ReviewImportError::Repeated(_)) => return Err(Error::usage(e.to_string())),
    };
    count.done();
    Ok(super::imported_line(
        written,
        "review decisions",
        &record,
        outcome,
        &path.display().to_string(),
    ))
}

fn store_error(error: crate::store::StoreError) -> Error {
    Error::usage(format!("store: {error}"))
}

/// A repeated decision is bad input (`FILE: line N: …`); anything else is the store's.
fn review_error(stream: &ReviewStream, error: ReviewImportError) -> Error {
    match error {
        ReviewImportError::Repeated(r) => {
            let at = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
            Error::usage(
                stream
                    .repeated(at(r.first), at(r.again), &r.decision)
                    .to_string(),
            )
        }
        ReviewImportError::Store(e) => store_error(e),
    }
}
