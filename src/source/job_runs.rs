//! Job run logs and incident exports, as CSV (with a header) or JSON (an array of objects, or
//! an object holding one under `runs` / `incidents`).
//!
//! Run log fields (headers and keys match case-insensitively): `job` (or `job_name`), `run_id`
//! (or `id`), `scheduled_for` (`scheduled_at`, `scheduled`), `started_at` (`started`),
//! `finished_at` (`finished`, `ended_at`), `status` (`result`), `exit_code` (`rc`), `ticket`
//! (`incident`). Required: job, started, status. Incident fields: `key` (`id`, `incident`,
//! `issue key`), `job`, `created` (`created_at`), `resolved` (`resolved_at`), `status`,
//! `summary` (`title`); required: key and created.
//!
//! Times are RFC 3339 with an offset (`2026-08-17T05:30:00Z`); a time without one is refused,
//! because which instant it means would be a guess. Sub-second parts are dropped (runs are
//! compared at minute tolerances; the store keeps whole seconds).
//!
//! A missing optional column never passes a run: without `run_id` the id is the scheduled (else
//! the start) time; without `scheduled_for` runs are paired with schedule slots by start time;
//! without `finished_at` a failure counts from the start; without `exit_code` the status alone
//! says whether a run failed; without `ticket` a failed run's follow-up is searched among the
//! incidents and tickets naming the job, and is a deviation if none is found. An incident export
//! without `job` or `resolved` links no incident to a job or counts none resolved: deviations,
//! not passes.
//!
//! CSV goes through the shared strict reader (`source::strict_csv`): no cell spans lines, no
//! row is ragged, no cell holds a control character; job names, run ids, tickets and incident
//! keys are one line of visible text in JSON too.
//!
//! Errors name the file, the line (CSV, header = line 1) or item (JSON, from 1) and the column
//! or key, and say what is accepted.
//!
//! A run log is read one run at a time ([`RunLog`]): a CSV log streams, so memory holds one
//! row however many runs the file has (a year of minute-level runs is millions); a JSON log
//! streams too, its array parsed item by item on a thread of its own (`json_stream`). The
//! importer writes each run as it comes and discards everything on the first error, so a file
//! with any error still stores nothing.

mod json_stream;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use super::bounded::{self, Digest, Hashing, ReadError};
use super::strict_csv;
use super::table::{self, Field, Listing, TableError};
use crate::facts::{Incident, JobRun, RunStatus};

/// The shared table reader's error, under the name callers of this module know.
pub use super::table::TableError as ExportError;

const RUN_FIELDS: [Field; 8] = [
    Field {
        name: "job",
        names: &["job", "job_name", "job name"],
        required: true,
    },
    Field {
        name: "run id",
        names: &["run_id", "run id", "id"],
        required: false,
    },
    Field {
        name: "scheduled for",
        names: &["scheduled_for", "scheduled_at", "scheduled"],
        required: false,
    },
    Field {
        name: "started",
        names: &["started_at", "started", "start"],
        required: true,
    },
    Field {
        name: "finished",
        names: &["finished_at", "finished", "ended_at", "end"],
        required: false,
    },
    Field {
        name: "status",
        names: &["status", "result"],
        required: true,
    },
    Field {
        name: "exit code",
        names: &["exit_code", "exit code", "rc"],
        required: false,
    },
    Field {
        name: "ticket",
        names: &["ticket", "incident"],
        required: false,
    },
];

const INCIDENT_FIELDS: [Field; 6] = [
    Field {
        name: "key",
        names: &["key", "id", "incident", "issue key"],
        required: true,
    },
    Field {
        name: "job",
        names: &["job", "job_name", "custom field (job)"],
        required: false,
    },
    Field {
        name: "created",
        names: &["created", "created_at"],
        required: true,
    },
    Field {
        name: "resolved",
        names: &["resolved", "resolved_at"],
        required: false,
    },
    Field {
        name: "status",
        names: &["status"],
        required: false,
    },
    Field {
        name: "summary",
        names: &["summary", "title"],
        required: false,
    },
];

/// The fields of one row or item, by index into the field table.
trait Fields {
    /// Field `i`, unless absent or blank.
    fn get(&self, i: usize) -> Option<&str>;
    /// A problem with field `i`, at its row and column or key.
    fn fail(&self, file: &str, i: usize, problem: String) -> ExportError;
}

/// One row or item held whole: its fields by index into the field table, and where it is.
struct Record {
    at: String,
    /// (value, where: `column 4 (started_at)` / `key "started_at"`); a CSV column's place is
    /// shared by all its cells.
    values: Vec<Option<(String, Arc<str>)>>,
}

impl Fields for Record {
    fn get(&self, i: usize) -> Option<&str> {
        self.values[i]
            .as_ref()
            .map(|(v, _)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    }

    fn fail(&self, file: &str, i: usize, problem: String) -> ExportError {
        let place = self.values[i]
            .as_ref()
            .map(|(_, w)| format!(", {w}"))
            .unwrap_or_default();
        TableError::at(file, format!("{}{place}", self.at), problem)
    }
}

/// A streamed CSV row, read in place from the reader's record: a run is built from its
/// cells without copying them into a [`Record`] first (millions of rows a log).
struct CsvRow<'a> {
    line: u64,
    row: &'a csv::StringRecord,
    columns: &'a Columns,
}

impl Fields for CsvRow<'_> {
    fn get(&self, i: usize) -> Option<&str> {
        let (column, _) = self.columns[i].as_ref()?;
        Some(self.row.get(*column).unwrap_or_default()).filter(|v| !v.trim().is_empty())
    }

    fn fail(&self, file: &str, i: usize, problem: String) -> ExportError {
        let place = self.columns[i]
            .as_ref()
            .map(|(_, w)| format!(", {w}"))
            .unwrap_or_default();
        TableError::at(file, format!("line {}{place}", self.line), problem)
    }
}

/// A run log being read, one run at a time.
pub struct RunLog {
    file: String,
    rows: Rows,
}

/// Per field of a field table, the column that holds it and that column's place.
type Columns = Vec<Option<(usize, Arc<str>)>>;

enum Rows {
    Csv {
        // Boxed: the reader and its buffers are most of the size.
        reader: Box<strict_csv::Reader<BufReader<Hashing<File>>>>,
        columns: Columns,
    },
    Json {
        items: std::sync::mpsc::Receiver<Result<json_stream::Parsed, ExportError>>,
        /// Items handed out so far.
        read: u64,
        /// Set once the parser reached the end.
        digest: Option<Digest>,
    },
}

/// Where a run is in its log: a CSV line (header = line 1) or a JSON item (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Line,
    Item,
}

impl Place {
    /// `line 7` / `item 3`.
    pub fn at(self, n: u64) -> String {
        match self {
            Place::Line => format!("line {n}"),
            Place::Item => format!("item {n}"),
        }
    }
}

impl RunLog {
    /// Opens the log at `path` and reads its header (CSV), or starts parsing it (JSON): a CSV
    /// log without a required column is refused here; every other problem, and any in a JSON
    /// log, is found at the run it concerns, by [`RunLog::next_run`].
    pub fn open(path: &Path) -> Result<RunLog, ExportError> {
        let file = path.display().to_string();
        let io = |source| ReadError::Io {
            path: file.clone(),
            source,
        };
        let mut input = bounded::open_streamed(path, &file)?;
        let json = matches!(
            input
                .fill_buf()
                .map_err(io)?
                .iter()
                .find(|b| !b.is_ascii_whitespace()),
            Some(b'[' | b'{')
        );
        let rows = if json {
            Rows::Json {
                items: json_stream::start(file.clone(), input, &RUN_FIELDS, "runs"),
                read: 0,
                digest: None,
            }
        } else {
            csv_rows(&file, input)?
        };
        Ok(RunLog { file, rows })
    }

    /// The file as the user named it, for messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// What the numbers [`RunLog::next_run`] gives count: lines or items.
    pub fn place(&self) -> Place {
        match self.rows {
            Rows::Csv { .. } => Place::Line,
            Rows::Json { .. } => Place::Item,
        }
    }

    /// The next run and where it is (its line or item number, see [`RunLog::place`]), or
    /// `None` after the last.
    pub fn next_run(&mut self) -> Result<Option<(JobRun, u64)>, ExportError> {
        match &mut self.rows {
            Rows::Json {
                items,
                read,
                digest,
            } => {
                if digest.is_some() {
                    return Ok(None);
                }
                match items.recv() {
                    Ok(Ok(json_stream::Parsed::Item(record))) => {
                        *read += 1;
                        Ok(Some((run(&self.file, &record)?, *read)))
                    }
                    Ok(Ok(json_stream::Parsed::End(end))) => {
                        *digest = Some(end);
                        Ok(None)
                    }
                    Ok(Err(e)) => Err(e),
                    Err(_) => Err(parser_gone(&self.file)),
                }
            }
            Rows::Csv { reader, columns } => {
                let fail = |p| TableError::csv(&self.file, p);
                let Some(line) = reader.advance().map_err(fail)? else {
                    return Ok(None);
                };
                let row = CsvRow {
                    line,
                    row: reader.record(),
                    columns,
                };
                Ok(Some((run(&self.file, &row)?, line)))
            }
        }
    }

    /// The digest of every byte of the file; call it once every run was read.
    pub fn finish(self) -> Result<Digest, ExportError> {
        match self.rows {
            Rows::Json {
                items,
                digest: Some(digest),
                ..
            } => {
                drop(items);
                Ok(digest)
            }
            Rows::Json { items, .. } => loop {
                // Not read to the end yet: the digest comes after the last item.
                match items.recv() {
                    Ok(Ok(json_stream::Parsed::Item(_))) => {}
                    Ok(Ok(json_stream::Parsed::End(digest))) => return Ok(digest),
                    Ok(Err(e)) => return Err(e),
                    Err(_) => return Err(parser_gone(&self.file)),
                }
            },
            Rows::Csv { reader, .. } => {
                let mut input = reader.into_inner();
                // The reader stops at the end of the last record: hash anything after it too.
                std::io::copy(&mut input, &mut std::io::sink()).map_err(|source| {
                    ReadError::Io {
                        path: self.file.clone(),
                        source,
                    }
                })?;
                Ok(input.into_inner().digest())
            }
        }
    }
}

/// The parsing thread ended without a word: it cannot have, short of a panic.
fn parser_gone(file: &str) -> ExportError {
    TableError::at(file, "top level", "the JSON parser stopped")
}

/// A CSV log: its header read and mapped to the run fields; the rows stay in the file.
fn csv_rows(file: &str, input: BufReader<Hashing<File>>) -> Result<Rows, ExportError> {
    // No cell of a run log may span lines (see `strict_csv`).
    let reader = table::open_csv(file, input, |_| false)?;
    let columns = field_columns(file, reader.headers(), &RUN_FIELDS)?;
    Ok(Rows::Csv {
        reader: Box::new(reader),
        columns,
    })
}

/// The incidents in the export at `path`, sorted by key, and the digest of the bytes parsed.
pub fn read_incidents(path: &Path) -> Result<(Vec<Incident>, Digest), ExportError> {
    let bytes = bounded::read(path)?;
    let file = path.display().to_string();
    let records = records(&file, &bytes, &INCIDENT_FIELDS, "incidents")?;
    let mut incidents = Vec::with_capacity(records.len());
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for record in &records {
        let incident = incident(&file, record)?;
        if let Some(first) = seen.insert(incident.key.clone(), record.at.clone()) {
            let problem = format!(
                "incident `{}` appears twice (first at {first})",
                incident.key
            );
            return Err(TableError::at(&file, record.at.clone(), problem));
        }
        incidents.push(incident);
    }
    incidents.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((incidents, Digest::of(&bytes)))
}

fn run(file: &str, r: &impl Fields) -> Result<JobRun, ExportError> {
    let job = r
        .get(0)
        .ok_or_else(|| r.fail(file, 0, "the job name is empty".into()))?
        .trim()
        .to_string();
    for i in [0, 1, 7] {
        identifier(file, r, i)?;
    }
    let scheduled_for = optional_time(file, r, 2)?;
    let started_at = optional_time(file, r, 3)?
        .ok_or_else(|| r.fail(file, 3, "the start time is empty".into()))?;
    let finished_at = optional_time(file, r, 4)?;
    let status = status(r.get(5).unwrap_or_default()).ok_or_else(|| {
        r.fail(file, 5, format!(
            "unknown status `{}`; accepted: succeeded (success, ok, completed, complete), failed (failure, error, timeout, killed, crashed), running, skipped (cancelled)",
            r.get(5).unwrap_or_default()
        ))
    })?;
    let exit_code =
        match r.get(6) {
            None => None,
            Some(text) => Some(text.trim().parse::<i64>().map_err(|_| {
                r.fail(file, 6, format!("exit code `{text}` is not a whole number"))
            })?),
        };
    let id = match r.get(1) {
        Some(id) => id.trim().to_string(),
        None => {
            // The time's own text when it is already written as its id would be.
            let (at, cell) = match scheduled_for {
                Some(at) => (at, r.get(2)),
                None => (started_at, r.get(3)),
            };
            match cell.map(str::trim) {
                Some(text) if utc_second(text).is_some() => text.to_string(),
                _ => at.to_string(),
            }
        }
    };
    Ok(JobRun {
        job,
        id,
        scheduled_for,
        started_at,
        finished_at,
        status,
        exit_code,
        ticket: r.get(7).map(|t| t.trim().to_string()),
    })
}

fn incident(file: &str, r: &Record) -> Result<Incident, ExportError> {
    let key = r
        .get(0)
        .ok_or_else(|| r.fail(file, 0, "the key is empty".into()))?
        .trim()
        .to_string();
    for i in [0, 1] {
        identifier(file, r, i)?;
    }
    let created_at = optional_time(file, r, 2)?
        .ok_or_else(|| r.fail(file, 2, "the creation time is empty".into()))?;
    Ok(Incident {
        key,
        job: r.get(1).map(|j| j.trim().to_string()),
        created_at,
        resolved_at: optional_time(file, r, 3)?,
        status: r.get(4).map(|s| s.trim().to_string()),
        summary: r.get(5).unwrap_or_default().to_string(),
    })
}

/// Field `i`, when given, must be an identifier: one line of visible text (JSON strings can
/// hold what a CSV cell cannot).
fn identifier(file: &str, r: &impl Fields, i: usize) -> Result<(), ExportError> {
    match r.get(i) {
        Some(text) => strict_csv::check_identifier(text.trim()).map_err(|p| r.fail(file, i, p)),
        None => Ok(()),
    }
}

fn status(text: &str) -> Option<RunStatus> {
    let text = text.trim();
    // Lower-cased only when it must be: a status a row, millions of rows.
    let lower = match text
        .bytes()
        .any(|b| !b.is_ascii_lowercase() && b != b' ' && b != b'-')
    {
        true => std::borrow::Cow::Owned(text.to_lowercase()),
        false => std::borrow::Cow::Borrowed(text),
    };
    Some(match lower.as_ref() {
        "succeeded" | "success" | "successful" | "ok" | "completed" | "complete" => {
            RunStatus::Succeeded
        }
        "failed" | "failure" | "error" | "timeout" | "timed-out" | "timed out" | "killed"
        | "crashed" => RunStatus::Failed,
        "running" | "active" => RunStatus::Running,
        "skipped" | "cancelled" | "canceled" => RunStatus::Skipped,
        _ => return None,
    })
}

fn optional_time(file: &str, r: &impl Fields, i: usize) -> Result<Option<Timestamp>, ExportError> {
    let Some(text) = r.get(i) else {
        return Ok(None);
    };
    if let Some(at) = utc_second(text.trim()) {
        return Ok(Some(at));
    }
    let at: Timestamp =
        text.trim().parse().map_err(|_| {
            r.fail(file, i, format!(
            "`{text}` is not a time with an offset; write RFC 3339, e.g. 2026-08-17T05:30:00Z"
        ))
        })?;
    Ok(Some(Timestamp::from_second(at.as_second()).unwrap_or(at)))
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the shape most run logs write, read without the general RFC 3339
/// parser (three times a row, millions of rows); `None` for anything else, which the general
/// parser then reads (or refuses). It gives the instant that parser gives for the same text,
/// and the text is exactly how that instant displays (`Timestamp`'s `to_string`).
pub(crate) fn utc_second(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'Z'),
        ]
        .iter()
        .all(|&(i, c)| b[i] == c);
    if !shape {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    // A leap second or hour 24 is left to the general parser.
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Refuses day 31 of a 30-day month, 29 February of a common year…
    jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    let days = days_from_civil(year, month, day);
    Timestamp::from_second(days * 86_400 + hour * 3_600 + minute * 60 + second).ok()
}

/// Days from 1970-01-01 to a valid proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The records of a CSV or JSON export (JSON when the first non-space byte is `[` or `{`).
fn records(
    file: &str,
    bytes: &[u8],
    fields: &[Field],
    wrapper: &str,
) -> Result<Vec<Record>, ExportError> {
    let text = table::strip_bom(bytes);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') | Some(b'{') => json_records(file, text, fields, wrapper),
        // The table reader drops the byte order mark itself.
        _ => csv_records(file, bytes, fields),
    }
}

fn csv_records(file: &str, bytes: &[u8], fields: &[Field]) -> Result<Vec<Record>, ExportError> {
    // No cell of a run log or an incident export may span lines (see `strict_csv`).
    let csv = table::read_csv(file, bytes, |_| false)?;
    let columns = field_columns(file, &csv.headers, fields)?;
    Ok(csv
        .records
        .iter()
        .map(|r| csv_record(r.line, &r.record, &columns))
        .collect())
}

/// For each field, the column that holds it and that column's place (`column 4 (started_at)`);
/// a required field without a column, or a field two columns claim, is an error on line 1.
fn field_columns(file: &str, headers: &[String], fields: &[Field]) -> Result<Columns, ExportError> {
    let found = table::resolve(file, headers, fields, Listing::Plain)?;
    Ok(found
        .into_iter()
        .map(|c| c.map(|i| (i, table::column_place(i, headers[i].trim()).into())))
        .collect())
}

/// One CSV row as a record of the fields `columns` map.
fn csv_record(line: u64, row: &csv::StringRecord, columns: &Columns) -> Record {
    let values = columns
        .iter()
        .map(|c| {
            c.as_ref()
                .map(|(i, place)| (row.get(*i).unwrap_or_default().to_string(), place.clone()))
        })
        .collect();
    Record {
        at: format!("line {line}"),
        values,
    }
}

fn json_records(
    file: &str,
    bytes: &[u8],
    fields: &[Field],
    wrapper: &str,
) -> Result<Vec<Record>, ExportError> {
    let fail = |at: String, problem: String| TableError::at(file, at, problem);
    let root: Value = serde_json::from_slice(bytes).map_err(|e| {
        fail(
            format!("line {}, column {}", e.line(), e.column()),
            e.to_string(),
        )
    })?;
    let items = match &root {
        Value::Array(items) => items,
        Value::Object(map) => match map.get(wrapper) {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(fail(
                    "top level".into(),
                    format!("expected an array, or an object with an array under `{wrapper}`"),
                ));
            }
        },
        _ => {
            return Err(fail(
                "top level".into(),
                "expected an array of objects".into(),
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(n, item)| json_record(file, format!("item {}", n + 1), item, fields))
        .collect()
}

/// One JSON item (`at`: `item 3`) as a record of `fields`: it must be an object holding each
/// required field under one of its names, as a string or a number.
fn json_record(
    file: &str,
    at: String,
    item: &Value,
    fields: &[Field],
) -> Result<Record, ExportError> {
    let fail = |at: String, problem: String| TableError::at(file, at, problem);
    let Value::Object(map) = item else {
        return Err(fail(at, "not an object".into()));
    };
    let mut values = Vec::with_capacity(fields.len());
    for field in fields {
        let found = map
            .iter()
            .find(|(k, _)| field.names.contains(&k.trim().to_lowercase().as_str()));
        let value = match found {
            None | Some((_, Value::Null)) => None,
            Some((k, Value::String(s))) => Some((s.clone(), format!("key \"{k}\"").into())),
            Some((k, Value::Number(n))) => Some((n.to_string(), format!("key \"{k}\"").into())),
            Some((k, _)) => {
                return Err(fail(
                    format!("{at}, key \"{k}\""),
                    format!("{} must be a string or a number", field.name),
                ));
            }
        };
        if value.is_none() && field.required {
            return Err(fail(
                at,
                format!("no {} (a key named {})", field.name, field.names.join(", ")),
            ));
        }
        values.push(value);
    }
    Ok(Record { at, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs_of(text: &str, name: &str) -> Result<Vec<JobRun>, ExportError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut log = RunLog::open(&path)?;
        let mut runs = Vec::new();
        while let Some((run, _)) = log.next_run()? {
            runs.push(run);
        }
        let digest = log.finish()?;
        assert_eq!(
            digest,
            Digest::of(text.as_bytes()),
            "the digest of every byte"
        );
        Ok(runs)
    }

    #[test]
    fn reads_the_demo_log_shape_and_derives_ids() {
        let csv = "job,definition,host,scheduled_at,started_at,finished_at,status,exit_code,ticket\n\
                   a,ops/crontab,h,2026-08-17T05:30:00Z,2026-08-17T05:30:04.5Z,2026-08-17T05:31:00Z,failed,1,INC-44\n";
        let runs = runs_of(csv, "runs.csv").unwrap();
        assert_eq!(runs[0].id, "2026-08-17T05:30:00Z");
        assert_eq!(runs[0].status, RunStatus::Failed);
        assert_eq!(runs[0].exit_code, Some(1));
        assert_eq!(runs[0].ticket.as_deref(), Some("INC-44"));
        assert_eq!(runs[0].started_at.to_string(), "2026-08-17T05:30:04Z");
    }

    /// Without run ids, a run's id is its scheduled (else start) instant as `to_string` shows
    /// it, whichever way the log wrote the time.
    #[test]
    fn derived_ids_are_the_instant_in_one_shape() {
        let csv = "job,scheduled_for,started_at,status\n\
                   a,2026-08-17T07:30:00+02:00,2026-08-17T05:30:04Z,ok\n\
                   b, 2026-08-17T05:30:00Z ,2026-08-17T05:30:04Z,ok\n\
                   c,,2026-08-17T05:31:00.250Z,ok\n\
                   d,,2026-08-17T05:32:00Z,ok\n\
                   e,2026-08-17T05:30:00z,2026-08-17T05:32:00Z,ok\n";
        let ids: Vec<String> = runs_of(csv, "r.csv")
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(
            ids,
            [
                "2026-08-17T05:30:00Z",
                "2026-08-17T05:30:00Z",
                "2026-08-17T05:31:00Z",
                "2026-08-17T05:32:00Z",
                "2026-08-17T05:30:00Z",
            ]
        );
    }

    #[test]
    fn statuses_are_read_in_any_case() {
        for (text, status) in [
            ("ok", RunStatus::Succeeded),
            (" Succeeded ", RunStatus::Succeeded),
            ("TIMED OUT", RunStatus::Failed),
            ("timed-out", RunStatus::Failed),
            ("Cancelled", RunStatus::Skipped),
            ("ÉRROR", RunStatus::Failed),
        ] {
            let expected = (text != "ÉRROR").then_some(status);
            assert_eq!(super::status(text), expected, "{text}");
        }
    }

    #[test]
    fn reads_json_with_numbers_and_nulls() {
        let json = r#"{"runs":[{"job":"a","run_id":7,"started":"2026-01-01T00:00:00+01:00","status":"ok","exit_code":0,"ticket":null}]}"#;
        let runs = runs_of(json, "runs.json").unwrap();
        assert_eq!(runs[0].id, "7");
        assert_eq!(runs[0].started_at.to_string(), "2025-12-31T23:00:00Z");
    }

    #[test]
    fn errors_name_the_line_column_and_fix() {
        let csv = "job,started_at,status\na,2026-01-01T00:00:00Z,ok\nb,2026-01-01 00:00,ok\n";
        let err = runs_of(csv, "r.csv").unwrap_err().to_string();
        assert!(err.contains("r.csv: line 3, column 2 (started_at): `2026-01-01 00:00` is not a time with an offset"), "{err}");
        let err = runs_of(
            "job,started_at,status\na,2026-01-01T00:00:00Z,meh\n",
            "r.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 2, column 3 (status): unknown status `meh`; accepted"),
            "{err}"
        );
        let err = runs_of("job,status\na,ok\n", "r.csv")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1: no started column"), "{err}");
        let err = runs_of(r#"[{"job":"a","status":"ok"}]"#, "r.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("r.json: item 1: no started"), "{err}");
        // A run logged twice is refused by the importer, which sees every run (tests/jobs.rs).
    }

    /// Line numbers are counted across the reader's buffer refills, with CRLF line ends and a
    /// byte order mark: a bad row far into the file is named on its own line.
    #[test]
    fn a_bad_row_deep_in_a_large_crlf_log_is_named_on_its_line() {
        let mut csv = String::from("\u{feff}job,run_id,started_at,status\r\n");
        for i in 0..20_000 {
            let status = if i == 17_321 { "meh" } else { "ok" };
            csv.push_str(&format!(
                "job-{},{i},2026-08-17T05:30:00Z,{status}\r\n",
                i % 7
            ));
        }
        let err = runs_of(&csv, "big.csv").unwrap_err().to_string();
        assert!(
            err.contains("big.csv: line 17323, column 4 (status): unknown status `meh`"),
            "{err}"
        );
        let fine = csv.replace("meh", "ok");
        assert_eq!(runs_of(&fine, "big.csv").unwrap().len(), 20_000);
    }

    /// The reproduction: 288 runs, a stray `"` opening the job cell of one and another
    /// closing the job cell 160 rows later. Read leniently, the field count adds up and 160
    /// runs become one job name of several KB; it must be refused where the quote opens.
    #[test]
    fn a_stray_quote_cannot_merge_rows() {
        let mut csv = String::from("job,run_id,started_at,status\n");
        for i in 0..288 {
            let job = match i {
                100 => "\"nightly".to_string(),
                259 => "weekly\"".to_string(),
                _ => format!("job-{i}"),
            };
            csv.push_str(&format!("{job},{i},2026-08-17T05:30:00Z,ok\n"));
        }
        let err = runs_of(&csv, "r.csv").unwrap_err().to_string();
        assert!(
            err.contains("r.csv: line 102, column 1 (job): a line break inside a quoted cell"),
            "{err}"
        );
    }

    #[test]
    fn control_characters_in_names_and_ids_are_refused_in_csv_and_json() {
        let csv = "job,run_id,started_at,status\na\u{1b}[2J,1,2026-01-01T00:00:00Z,ok\n";
        let err = runs_of(csv, "r.csv").unwrap_err().to_string();
        assert!(
            err.contains("r.csv: line 2, column 1 (job)") && err.contains("U+001B"),
            "{err}"
        );
        let json =
            r#"[{"job":"a","run_id":"1\u2066","started_at":"2026-01-01T00:00:00Z","status":"ok"}]"#;
        let err = runs_of(json, "r.json").unwrap_err().to_string();
        assert!(
            err.contains("r.json: item 1, key \"run_id\"") && err.contains("U+2066"),
            "{err}"
        );
        let json = r#"[{"job":"a\nb","started_at":"2026-01-01T00:00:00Z","status":"ok"}]"#;
        let err = runs_of(json, "r.json").unwrap_err().to_string();
        assert!(
            err.contains("key \"job\"") && err.contains("U+000A"),
            "{err}"
        );
        let ragged = "job,started_at,status\na,2026-01-01T00:00:00Z,ok,extra\n";
        let err = runs_of(ragged, "r.csv").unwrap_err().to_string();
        assert!(
            err.contains("r.csv: line 2: the row has 4 fields but the header has 3"),
            "{err}"
        );
    }

    /// A JSON log is parsed as a stream: every shape a whole-file read accepted reads the
    /// same, and every problem is named where it is, at its item, line and column, or the top
    /// level.
    #[test]
    fn a_streamed_json_log_reads_and_refuses_as_a_whole_one_did() {
        let item = |i: u32| {
            format!(
                r#"{{"job":"a","run_id":"{i}","started_at":"2026-01-01T00:00:00Z","status":"ok"}}"#
            )
        };
        let many: Vec<String> = (0..3000).map(item).collect();
        let array = format!("[\n{}\n]\n", many.join(",\n"));
        assert_eq!(runs_of(&array, "r.json").unwrap().len(), 3000);
        let wrapped = format!(
            "\u{feff}{{\"exported\": {{\"by\": [1, {{}}]}}, \"runs\": {}, \"next\": null}}",
            array
        );
        let runs = runs_of(&wrapped, "r.json").unwrap();
        assert_eq!((runs.len(), runs[2999].id.as_str()), (3000, "2999"));
        assert!(runs_of("[]", "r.json").unwrap().is_empty());
        let refused = [
            (
                format!("{}, 7]", &array.trim_end()[..array.trim_end().len() - 1]),
                "r.json: item 3001: not an object",
            ),
            (
                array.replace(r#""run_id":"2500","#, r#""run_id":"2500""#),
                "r.json: line 2502, column ",
            ),
            (
                format!("{array} x"),
                "r.json: line 3003, column 2: trailing characters",
            ),
            (
                r#"{"runs": 5}"#.to_string(),
                "r.json: top level: expected an array, or an object with an array under `runs`",
            ),
            (
                r#"{"items": []}"#.to_string(),
                "r.json: top level: expected an array, or an object with an array under `runs`",
            ),
            (
                r#"{"runs": [], "runs": []}"#.to_string(),
                "r.json: top level: `runs` appears twice",
            ),
            (
                r#"[{"job":"a","started_at":"2026-01-01T00:00:00Z","status":[]}]"#.to_string(),
                "r.json: item 1, key \"status\": status must be a string or a number",
            ),
            (array[..array.len() / 2].to_string(), "EOF while parsing"),
        ];
        for (text, expected) in refused {
            let err = runs_of(&text, "r.json").unwrap_err().to_string();
            assert!(err.contains(expected), "{expected}: {err}");
        }
    }

    /// A log dropped before its end stops its parser (no thread left blocked on a full
    /// channel), and a log whose runs were not all pulled still gives its whole digest.
    #[test]
    fn a_json_log_left_early_stops_or_finishes_its_parse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let items: Vec<String> = (0..5000)
            .map(|i| format!(r#"{{"job":"a","run_id":"{i}","started_at":"2026-01-01T00:00:00Z","status":"ok"}}"#))
            .collect();
        let text = format!("[{}]", items.join(","));
        std::fs::write(&path, &text).unwrap();
        for _ in 0..20 {
            let mut log = RunLog::open(&path).unwrap();
            assert!(log.next_run().unwrap().is_some());
        }
        let mut log = RunLog::open(&path).unwrap();
        assert_eq!(log.next_run().unwrap().map(|(_, at)| at), Some(1));
        assert_eq!(log.finish().unwrap(), Digest::of(text.as_bytes()));
    }

    /// The fast reading of `YYYY-MM-DDTHH:MM:SSZ` gives what the general parser gives, on
    /// every day of four centuries (leap years and century years included) at several times,
    /// and leaves to it (returns `None` for) every other text, valid or not.
    #[test]
    fn the_fast_utc_reading_agrees_with_the_general_parser() {
        let mut day = jiff::civil::date(1899, 12, 25);
        let mut checked = 0;
        while day.year() < 2301 {
            for time in ["00:00:00", "05:30:59", "23:59:59", "12:07:42"] {
                let text = format!("{day}T{time}Z");
                let general: Timestamp = text.parse().unwrap();
                assert_eq!(utc_second(&text), Some(general), "{text}");
                assert_eq!(general.to_string(), text);
                checked += 1;
            }
            day = day.tomorrow().unwrap();
        }
        assert!(checked > 500_000);
        for other in [
            "2026-02-29T00:00:00Z",
            "2024-02-30T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-00T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T23:60:00Z",
            "2016-12-31T23:59:60Z",
            "2026-01-01t00:00:00Z",
            "2026-01-01T00:00:00z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T00:00:00.5Z",
            "+2026-01-01T00:00:00Z",
            "2026-0a-01T00:00:00Z",
            "2026-01-01T00:00:0-Z",
            "2026-01-01T00:00:00",
        ] {
            assert_eq!(utc_second(other), None, "{other}");
        }
    }

    /// Times the fast reading leaves to the general parser are read (or refused) as before.
    #[test]
    fn other_time_shapes_are_read_as_before() {
        let csv = "job,started_at,status\n\
                   a,2016-12-31T23:59:60Z,ok\n\
                   b,2026-01-01T01:00:00+01:00,ok\n\
                   c,2026-01-01t00:00:00z,ok\n\
                   d,2026-01-01T00:00:00.9Z,ok\n";
        let runs = runs_of(csv, "r.csv").unwrap();
        let starts: Vec<String> = runs.iter().map(|r| r.started_at.to_string()).collect();
        let expected = [
            "2016-12-31T23:59:59Z",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
        ];
        assert_eq!(starts, expected);
        let err = runs_of(
            "job,started_at,status\na,2026-02-29T00:00:00Z,ok\n",
            "r.csv",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("line 2, column 2 (started_at): `2026-02-29T00:00:00Z` is not a time"),
            "{err}"
        );
    }

    #[test]
    fn reads_incidents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inc.csv");
        std::fs::write(&path, "id,job,created_at,resolved_at,title\nPD-2,a,2026-01-01T00:00:00Z,,x\nPD-1,,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,y\n").unwrap();
        let (incidents, _) = read_incidents(&path).unwrap();
        assert_eq!(incidents[0].key, "PD-1");
        assert_eq!(incidents[0].job, None);
        assert_eq!(incidents[1].job.as_deref(), Some("a"));
        assert_eq!(incidents[1].resolved_at, None);
    }
}
