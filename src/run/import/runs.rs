//! The job-run import (`itgc import job-runs`): a run log streamed into the store. Each run is parsed, checked and
//! written in batches as it is read, inside the one transaction that also records the import,
//! so a log of millions of runs needs the memory of a batch, not of the log; a bad row on
//! line N rolls everything back and names the file and the line (exit 2).

use std::path::Path;

use super::{Error, parsed_import};
use crate::source::job_runs::{ExportError, RunLog};
use crate::store::{ImportOutcome, RunImportError, Store};

/// Opens the log and reads its header (or, for JSON, the whole of it), before any store is
/// opened: a log without the required columns writes nothing.
pub(crate) fn open(path: &Path) -> Result<RunLog, Error> {
    RunLog::open(path).map_err(|e| Error::usage(e.to_string()))
}

/// Streams `log` (opened from `path`) into `store`; returns the line to print.
pub(crate) async fn import(store: &Store, mut log: RunLog, path: &Path) -> Result<String, Error> {
    let file = log.file().to_string();
    let mut import = store.begin_run_import().await.map_err(store_error)?;
    let mut rows = 0u64;
    while let Some((run, at)) = log.next_run().map_err(export_error)? {
        rows += 1;
        import
            .push(run, at)
            .await
            .map_err(|e| run_error(&file, e))?;
    }
    let digest = log.finish().map_err(export_error)?;
    let record = parsed_import("job-runs", path, &digest, rows);
    let (count, outcome) = import
        .finish(&record)
        .await
        .map_err(|e| run_error(&file, e))?;
    let sha = record.sha256.get(..12).unwrap_or(&record.sha256);
    let again = match outcome {
        ImportOutcome::Inserted(_) => String::new(),
        ImportOutcome::AlreadyPresent(id) => format!(", the same bytes as import {id}"),
    };
    Ok(format!(
        "imported {count} job runs from {file} (sha256 {sha}{again})"
    ))
}

fn export_error(error: ExportError) -> Error {
    Error::usage(error.to_string())
}

fn store_error(error: crate::store::StoreError) -> Error {
    Error::usage(format!("store: {error}"))
}

/// A repeated run is bad input in the log (`FILE: line N: …`); anything else is the store's.
fn run_error(file: &str, error: RunImportError) -> Error {
    match error {
        RunImportError::Duplicate(dup) => Error::usage(format!(
            "{file}: {}: run `{}` of job `{}` appears twice (first at {}); give each run its \
             own id",
            dup.at, dup.id, dup.job, dup.first_at
        )),
        RunImportError::Store(e) => store_error(e),
    }
}
