//! The job-run import (`itgc import job-runs`): a run log streamed into the store. Each run is parsed, checked and
//! written in batches as it is read, inside the one transaction that also records the import,
//! so a log of millions of runs needs the memory of a batch, not of the log; a bad row on
//! line N rolls everything back and names the file and the line (exit 2).
//!
//! Reading and writing overlap: a thread reads and checks the log and hands batches of runs
//! over a bounded channel to the store's transaction, so parsing the next batch costs no
//! time the store spends writing this one, and at most a few batches are ever in memory.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use super::{Error, parsed_import};
use crate::facts::JobRun;
use crate::source::bounded::Digest;
use crate::source::job_runs::{ExportError, Place, RunLog};
use crate::store::{ImportOutcome, RunImportError, Store};

/// Runs the reader hands over at a time.
const BATCH: usize = 1000;

/// Batches read ahead of the store: enough to keep both busy, few enough to stay small.
const AHEAD: usize = 4;

/// What the reading thread hands over: runs with their line numbers, then the digest of the
/// whole file once every run was read, or the first error (after which it stops).
enum Read {
    Runs(Vec<(JobRun, u64)>),
    Done(Digest),
}

/// Opens the log and reads its header (or, for JSON, the whole of it), before any store is
/// opened: a log without the required columns writes nothing.
pub(crate) fn open(path: &Path) -> Result<RunLog, Error> {
    RunLog::open(path).map_err(|e| Error::usage(e.to_string()))
}

/// Streams `log` (opened from `path`) into `store`; returns the line to print.
pub(crate) async fn import(
    store: &Store,
    log: RunLog,
    path: &Path,
    hooks: super::ImportHooks<'_>,
) -> Result<String, Error> {
    let file = log.file().to_string();
    let place = log.place();
    let mut import = store.begin_run_import().await.map_err(store_error)?;
    let (sender, batches) = sync_channel(AHEAD);
    let reader = std::thread::spawn(move || read(log, &sender));
    let written = write(&mut import, &batches, &file, place, hooks).await;
    // Dropping the receiver first stops a reader still at work (its next send fails).
    drop(batches);
    let read_through = reader.join();
    let (rows, digest) = written?;
    if read_through.is_err() {
        return Err(Error::usage(format!("{file}: reading the run log failed")));
    }
    let record = parsed_import("job-runs", path, &digest, rows);
    let (count, outcome) = import
        .finish(&record)
        .await
        .map_err(|e| run_error(&file, place, e))?;
    let sha = record.sha256.get(..12).unwrap_or(&record.sha256);
    let again = match outcome {
        ImportOutcome::Inserted(_) => String::new(),
        ImportOutcome::AlreadyPresent(id) => format!(", the same bytes as import {id}"),
    };
    Ok(format!(
        "imported {count} job runs from {file} (sha256 {sha}{again})"
    ))
}

/// Writes every batch the reader hands over; how many runs, and the digest of the file.
async fn write(
    import: &mut crate::store::RunImport,
    batches: &Receiver<Result<Read, ExportError>>,
    file: &str,
    place: Place,
    hooks: super::ImportHooks<'_>,
) -> Result<(u64, Digest), Error> {
    let mut rows = 0u64;
    let mut count = super::RowCount::new(hooks);
    loop {
        // Blocking is fine here: nothing else runs on this runtime while the import waits.
        let Ok(next) = batches.recv() else {
            return Err(Error::usage(format!("{file}: reading the run log failed")));
        };
        match next.map_err(export_error)? {
            Read::Runs(runs) => {
                count.add(runs.len() as u64);
                for (run, at) in runs {
                    rows += 1;
                    import
                        .push(run, at)
                        .await
                        .map_err(|e| run_error(file, place, e))?;
                }
            }
            Read::Done(digest) => {
                count.done();
                return Ok((rows, digest));
            }
        }
    }
}

/// Reads `log` to its end in batches, sending each, then its digest; stops at the first
/// error (sent) or when the importer has gone.
fn read(mut log: RunLog, sender: &SyncSender<Result<Read, ExportError>>) {
    loop {
        let mut runs = Vec::with_capacity(BATCH);
        while runs.len() < BATCH {
            match log.next_run() {
                Ok(Some(run)) => runs.push(run),
                Ok(None) => break,
                Err(e) => {
                    let _ = sender.send(Err(e));
                    return;
                }
            }
        }
        let last = runs.len() < BATCH;
        if !runs.is_empty() && sender.send(Ok(Read::Runs(runs))).is_err() {
            return;
        }
        if last {
            let _ = sender.send(log.finish().map(Read::Done));
            return;
        }
    }
}

fn export_error(error: ExportError) -> Error {
    Error::usage(error.to_string())
}

fn store_error(error: crate::store::StoreError) -> Error {
    Error::usage(format!("store: {error}"))
}

/// A repeated run is bad input in the log (`FILE: line N: …`); anything else is the store's.
fn run_error(file: &str, place: Place, error: RunImportError) -> Error {
    match error {
        RunImportError::Duplicate(dup) => Error::usage(format!(
            "{file}: {}: run `{}` of job `{}` appears twice (first at {}); give each run its \
             own id",
            place.at(dup.at),
            dup.id,
            dup.job,
            place.at(dup.first_at)
        )),
        RunImportError::Store(e) => store_error(e),
    }
}
