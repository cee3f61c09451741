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
//! is parsed whole, under the export size limit, then handed out item by item. The importer
//! writes each run as it comes and discards everything on the first error, so a file with
//! any error still stores nothing.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::rc::Rc;

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

/// One row or item: its fields by index into the field table, and where it is.
struct Record {
    at: String,
    /// (value, where: `column 4 (started_at)` / `key "started_at"`); a CSV column's place is
    /// shared by all its cells.
    values: Vec<Option<(String, Rc<str>)>>,
}

impl Record {
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

/// A run log being read, one run at a time.
pub struct RunLog {
    file: String,
    rows: Rows,
}

/// Per field of a field table, the column that holds it and that column's place.
type Columns = Vec<Option<(usize, Rc<str>)>>;

enum Rows {
    Csv {
        // Boxed: the reader and its buffers are most of the size.
        reader: Box<strict_csv::Reader<BufReader<Hashing<File>>>>,
        columns: Columns,
    },
    Json {
        items: std::vec::IntoIter<Record>,
        digest: Digest,
    },
}

/// Enough of the file to find its first non-space byte (JSON or CSV) without consuming it.
const PEEK_BYTES: usize = 64 * 1024;

impl RunLog {
    /// Opens the log at `path` and reads its header (CSV) or the whole of it (JSON): a missing
    /// required column, or any problem in a JSON log, is found before a run is handed out.
    pub fn open(path: &Path) -> Result<RunLog, ExportError> {
        let file = path.display().to_string();
        let io = |source| ReadError::Io {
            path: file.clone(),
            source,
        };
        let opened = File::open(path).map_err(io)?;
        let mut input = BufReader::with_capacity(PEEK_BYTES, Hashing::new(opened));
        let start = input.fill_buf().map_err(io)?;
        let bom = usize::from(start.starts_with(b"\xEF\xBB\xBF")) * 3;
        let json = matches!(
            start[bom..].iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'[' | b'{')
        );
        let rows = if json {
            drop(input);
            json_rows(&file, path)?
        } else {
            input.consume(bom);
            csv_rows(&file, input)?
        };
        Ok(RunLog { file, rows })
    }

    /// The file as the user named it, for messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The next run and where it is (`line 7`, `item 3`), or `None` after the last.
    pub fn next_run(&mut self) -> Result<Option<(JobRun, String)>, ExportError> {
        let record = match &mut self.rows {
            Rows::Json { items, .. } => items.next(),
            Rows::Csv { reader, columns } => {
                let fail = |p| TableError::csv(&self.file, p);
                let line = reader.advance().map_err(fail)?;
                line.map(|line| csv_record(line, reader.record(), columns))
            }
        };
        let Some(record) = record else {
            return Ok(None);
        };
        let run = run(&self.file, &record)?;
        Ok(Some((run, record.at)))
    }

    /// The digest of every byte of the file; call it once every run was read.
    pub fn finish(self) -> Result<Digest, ExportError> {
        match self.rows {
            Rows::Json { digest, .. } => Ok(digest),
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

/// A JSON log: read whole (under the size limit) and parsed into records up front.
fn json_rows(file: &str, path: &Path) -> Result<Rows, ExportError> {
    let bytes = bounded::read(path)?;
    let records = records(file, &bytes, &RUN_FIELDS, "runs")?;
    Ok(Rows::Json {
        items: records.into_iter(),
        digest: Digest::of(&bytes),
    })
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

fn run(file: &str, r: &Record) -> Result<JobRun, ExportError> {
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
        None => scheduled_for.unwrap_or(started_at).to_string(),
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
fn identifier(file: &str, r: &Record, i: usize) -> Result<(), ExportError> {
    match r.get(i) {
        Some(text) => strict_csv::check_identifier(text.trim()).map_err(|p| r.fail(file, i, p)),
        None => Ok(()),
    }
}

fn status(text: &str) -> Option<RunStatus> {
    Some(match text.trim().to_lowercase().as_str() {
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

fn optional_time(file: &str, r: &Record, i: usize) -> Result<Option<Timestamp>, ExportError> {
    let Some(text) = r.get(i) else {
        return Ok(None);
    };
    let at: Timestamp =
        text.trim().parse().map_err(|_| {
            r.fail(file, i, format!(
            "`{text}` is not a time with an offset; write RFC 3339, e.g. 2026-08-17T05:30:00Z"
        ))
        })?;
    Ok(Some(Timestamp::from_second(at.as_second()).unwrap_or(at)))
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
    let mut out = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let at = format!("item {}", n + 1);
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
        out.push(Record { at, values });
    }
    Ok(out)
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
