//! An export read as a table: a CSV file (header row, then records) or a JSON file (an array
//! of objects, or an object whose array fields hold the objects). Every later error names the
//! file, the row and the column, so the table keeps where each row came from.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};
use serde_json::Value;

use super::AccessError;
use crate::source::strict_csv;
use crate::source::table as shared;

/// A parsed export: the column names and the rows, cells aligned with the names.
pub struct Table {
    pub file: String,
    pub json: bool,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Top-level scalar fields of a JSON object export (`as_of`, `org`).
    pub meta: BTreeMap<String, Value>,
}

/// One record with the place it came from.
pub struct Row {
    /// CSV: the line the record starts on (header = line 1). JSON: the record's number.
    pub line: u64,
    /// JSON: where the record is, e.g. `members[3]`.
    pub path: Option<String>,
    cells: Cells,
}

/// A row's cells, aligned with the headers.
enum Cells {
    /// CSV cells are text: the reader's record (one buffer per row, where a `Value` per cell
    /// cost a million-row review export 800 MB).
    Csv(csv::StringRecord),
    /// JSON cells keep their type; keys a record lacks are `None`.
    Json(Vec<Option<Value>>),
}

impl Table {
    /// Reads `bytes` as CSV, or as JSON when `json`. No CSV cell may span lines (see
    /// `strict_csv`).
    pub fn parse(file: &str, bytes: &[u8], json: bool) -> Result<Table, AccessError> {
        Table::parse_with(file, bytes, json, &|_| false)
    }

    /// Like [`Table::parse`], letting cells of the CSV columns whose header `multi_line`
    /// accepts span lines (free text).
    pub fn parse_with(
        file: &str,
        bytes: &[u8],
        json: bool,
        multi_line: &dyn Fn(&str) -> bool,
    ) -> Result<Table, AccessError> {
        refuse_utf16(file, bytes)?;
        if json {
            json_table(file, shared::strip_bom(bytes))
        } else {
            // The shared reader drops the byte order mark itself.
            csv_table(file, bytes, multi_line)
        }
    }

    /// The index of the column named `name` (exact, then case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name).or_else(|| {
            self.headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        })
    }

    /// The first column whose name is one of `names` (case-insensitive).
    pub fn any_column(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.column(n))
    }

    /// An error about `row`'s cell in `column`.
    pub fn invalid(&self, row: &Row, column: usize, problem: impl Into<String>) -> AccessError {
        AccessError::Cell {
            file: self.file.clone(),
            at: self.place(row),
            column: self.column_name(column),
            problem: problem.into(),
        }
    }

    /// An error about `row` as a whole.
    pub fn row_error(&self, row: &Row, problem: impl Into<String>) -> AccessError {
        AccessError::at(&self.file, self.place(row), problem)
    }

    pub fn place(&self, row: &Row) -> String {
        match &row.path {
            Some(path) => format!("record {} ({path})", row.line),
            None => format!("line {}", row.line),
        }
    }

    fn column_name(&self, column: usize) -> String {
        let name = self.headers.get(column).cloned().unwrap_or_default();
        if self.json {
            format!("key `{name}`")
        } else {
            shared::column_place(column, &name)
        }
    }

    /// A missing-column error listing what the export has.
    pub fn missing(&self, what: &str, wanted: &str) -> AccessError {
        let found: Vec<String> = self.headers.iter().map(|h| format!("`{h}`")).collect();
        AccessError::MissingColumn {
            file: self.file.clone(),
            field: what.to_string(),
            accepted: wanted.to_string(),
            listed: "export",
            found: if found.is_empty() {
                "nothing".to_string()
            } else {
                found.join(", ")
            },
        }
    }
}

impl Row {
    /// The cell as trimmed text; `None` when absent, null or blank. Numbers and booleans are
    /// their JSON text.
    pub fn text(&self, column: Option<usize>) -> Option<String> {
        let text = match &self.cells {
            Cells::Csv(record) => record.get(column?)?.trim().to_string(),
            Cells::Json(cells) => match cells.get(column?)?.as_ref()? {
                Value::Null => return None,
                Value::String(s) => s.trim().to_string(),
                other => other.to_string(),
            },
        };
        (!text.is_empty()).then_some(text)
    }

    /// The cell as exported: a string for CSV, any JSON value for JSON.
    pub fn value(&self, column: usize) -> Option<Value> {
        match &self.cells {
            Cells::Csv(record) => record.get(column).map(|c| Value::String(c.to_string())),
            Cells::Json(cells) => cells.get(column)?.clone(),
        }
    }
}

impl Row {
    /// A CSV record read one at a time (see `review::ReviewStream`), starting on `line`.
    pub(super) fn csv(line: u64, record: csv::StringRecord) -> Row {
        Row {
            line,
            path: None,
            cells: Cells::Csv(record),
        }
    }
}

impl Table {
    /// A CSV export's table without its rows, for reading them one at a time: the header as
    /// [`Table::parse`] reads it (trimmed, no name twice).
    pub(super) fn csv_header(file: &str, header: &[String]) -> Result<Table, AccessError> {
        let headers: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
        // Columns are looked up by name (policy maps them), so a repeated name is ambiguous.
        shared::refuse_duplicate_headers(file, &headers)?;
        Ok(Table {
            file: file.to_string(),
            json: false,
            headers,
            rows: Vec::new(),
            meta: BTreeMap::new(),
        })
    }
}

/// Refuses encodings other than UTF-8 up front, with the fix.
pub(super) fn refuse_utf16(file: &str, bytes: &[u8]) -> Result<(), AccessError> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(AccessError::File {
            file: file.to_string(),
            problem: "the file is UTF-16 (it starts with a UTF-16 byte order mark); \
                      export or save it as UTF-8"
                .to_string(),
        });
    }
    Ok(())
}

fn csv_table(
    file: &str,
    bytes: &[u8],
    multi_line: &dyn Fn(&str) -> bool,
) -> Result<Table, AccessError> {
    let csv = shared::read_csv(file, bytes, multi_line)?;
    let mut table = Table::csv_header(file, &csv.headers)?;
    table.rows = csv
        .records
        .into_iter()
        .map(|r| Row::csv(r.line, r.record))
        .collect();
    Ok(table)
}

fn json_table(file: &str, bytes: &[u8]) -> Result<Table, AccessError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let at = format!("line {}, column {}", e.line(), e.column());
        AccessError::at(file, at, format!("not valid JSON: {e}"))
    })?;
    let mut meta = BTreeMap::new();
    let records: Vec<(String, Value)> = match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        Value::Object(map) => {
            let mut records = Vec::new();
            for (key, v) in map {
                match v {
                    Value::Array(items) => records.extend(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (format!("{key}[{i}]"), v)),
                    ),
                    scalar => {
                        meta.insert(key, scalar);
                    }
                }
            }
            records
        }
        _ => {
            return Err(AccessError::at(
                file,
                "line 1",
                "expected an array of records or an object of arrays",
            ));
        }
    };
    let mut headers: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut rows = Vec::with_capacity(records.len());
    for (n, (path, record)) in records.into_iter().enumerate() {
        let Value::Object(fields) = record else {
            let at = format!("record {} ({path})", n + 1);
            return Err(AccessError::at(file, at, "a record must be a JSON object"));
        };
        let mut cells = vec![None; headers.len()];
        for (key, v) in fields {
            let at = *index.entry(key.clone()).or_insert_with(|| {
                headers.push(key);
                headers.len() - 1
            });
            if cells.len() <= at {
                cells.resize(at + 1, None);
            }
            cells[at] = Some(v);
        }
        rows.push(Row {
            line: n as u64 + 1,
            path: Some(path),
            cells: Cells::Json(cells),
        });
    }
    Ok(Table {
        file: file.to_string(),
        json: true,
        headers,
        rows,
        meta,
    })
}

/// Words exports write where there is no time (AWS: `N/A`, `no_information`).
const NO_TIME: &[&str] = &[
    "n/a",
    "na",
    "none",
    "never",
    "no_information",
    "not_supported",
    "-",
];

/// An instant: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD` (UTC); `None` for a word
/// that means "no time".
pub fn timestamp(text: &str) -> Result<Option<Timestamp>, String> {
    if NO_TIME.contains(&text.to_lowercase().as_str()) {
        return Ok(None);
    }
    shared::utc_timestamp(text).map(Some)
}

/// A calendar date, `YYYY-MM-DD` (or an RFC 3339 instant, whose UTC date is taken).
pub fn date(text: &str) -> Result<Date, String> {
    Date::strptime("%Y-%m-%d", text)
        .ok()
        .or_else(|| {
            let at: Timestamp = text.parse().ok()?;
            Some(at.to_zoned_datetime(TimeZone::UTC).date())
        })
        .ok_or_else(|| {
            format!(
                "`{}` is not a date: expected YYYY-MM-DD",
                text.escape_debug()
            )
        })
}

/// A yes/no cell: booleans, `true`/`false`, `yes`/`no`, `1`/`0`, `y`/`n`.
pub fn boolean(text: &str) -> Option<bool> {
    match text.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Identifiers become population item ids and fingerprint lines: one line of visible text
/// (see `strict_csv::check_identifier`).
pub fn identifier(text: &str) -> Result<(), String> {
    strict_csv::check_identifier(text)
}
