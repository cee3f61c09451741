//! The one table reader behind every tabular export (access lists, rosters, reviews, job runs,
//! incidents, tickets): CSV through the strict reader (`strict_csv`), headers resolved to the
//! fields a kind reads, and one error type whose messages name the file, the line and the
//! column.
//!
//! What differs per kind stays with the kind: which columns may hold multi-line free text
//! (`multi_line`), whether a run log streams ([`open_csv`]) or a file is read whole
//! ([`read_csv`]), whether columns come from a fixed field table ([`resolve`]) or from policy
//! (`access::table::Table::column`), and how a missing column's message lists the names.

use jiff::civil::{Date, DateTime};
use jiff::{Timestamp, tz::TimeZone};

use super::bounded::ReadError;
use super::strict_csv::{self, CsvFile, CsvProblem};

/// Why an export could not be read as a table. Every variant but `Read` names the file.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(transparent)]
    Read(#[from] ReadError),

    /// A problem of the file as a whole (its encoding, its `as_of`).
    #[error("{file}: {problem}")]
    File { file: String, problem: String },

    /// A problem at a place: `line 3`, `line 3, column 2 (job)`, `item 4`, `record 2 (…)`.
    #[error("{file}: {at}: {problem}")]
    At {
        file: String,
        at: String,
        problem: String,
    },

    /// A problem of one cell: the row's place, then the column's (`column 2 (job)`, `key
    /// `job``).
    #[error("{file}: {at}, {column}: {problem}")]
    Cell {
        file: String,
        at: String,
        column: String,
        problem: String,
    },

    /// No column for a field the kind needs; `listed` says what `found` lists (`header`,
    /// `export`).
    #[error(
        "{file}: line 1: no {field} column (a header named {accepted}); the {listed} has: {found}"
    )]
    MissingColumn {
        file: String,
        field: String,
        accepted: String,
        listed: &'static str,
        found: String,
    },

    /// Two columns name the same field (1-based column numbers).
    #[error("{file}: line 1: columns {first} and {second} are both read as {field}; keep one")]
    DuplicateColumn {
        file: String,
        field: &'static str,
        first: usize,
        second: usize,
    },
}

impl TableError {
    /// A problem at `at` in `file`.
    pub fn at(file: &str, at: impl Into<String>, problem: impl Into<String>) -> TableError {
        TableError::At {
            file: file.to_string(),
            at: at.into(),
            problem: problem.into(),
        }
    }

    /// A problem of the strict CSV reader, at its line (and column).
    pub fn csv(file: &str, problem: CsvProblem) -> TableError {
        TableError::at(file, problem.place(), problem.problem)
    }
}

/// A field a kind reads and the header names that mean it (lower case).
pub struct Field {
    pub name: &'static str,
    pub names: &'static [&'static str],
    pub required: bool,
}

/// How a missing-column message lists the accepted names and the header.
#[derive(Clone, Copy)]
pub enum Listing {
    /// `job, job_name` and `a, b, c` (job runs, incidents).
    Plain,
    /// `` `issue key` or `key` `` and `` `a`, `b` `` (tickets).
    Quoted,
}

impl Listing {
    fn accepted(self, names: &[&str]) -> String {
        match self {
            Listing::Plain => names.join(", "),
            Listing::Quoted => quoted(names, " or "),
        }
    }

    fn header(self, headers: &[String]) -> String {
        match self {
            Listing::Plain => headers.join(", "),
            Listing::Quoted => quoted(headers, ", "),
        }
    }
}

/// Each name in backquotes, joined by `separator`.
pub fn quoted<S: AsRef<str>>(names: &[S], separator: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    quoted.join(separator)
}

/// Drops a UTF-8 byte order mark, which spreadsheet programs write and which is not part of
/// the first header's name.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// Reads a whole CSV export (a byte order mark dropped) through the strict reader; a cell may
/// span lines only in a column whose header `multi_line` accepts.
pub fn read_csv(
    file: &str,
    bytes: &[u8],
    multi_line: impl Fn(&str) -> bool,
) -> Result<CsvFile, TableError> {
    strict_csv::read(strip_bom(bytes), multi_line).map_err(|p| TableError::csv(file, p))
}

/// Opens a CSV export to read one record at a time (its byte order mark already consumed):
/// memory holds one record however long the file.
pub fn open_csv<R: std::io::Read>(
    file: &str,
    input: R,
    multi_line: impl Fn(&str) -> bool,
) -> Result<strict_csv::Reader<R>, TableError> {
    strict_csv::Reader::new(input, multi_line).map_err(|p| TableError::csv(file, p))
}

/// The columns whose header (trimmed, any case) is one of `names`.
pub fn matching(headers: &[String], names: &[&str]) -> Vec<usize> {
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| names.contains(&h.trim().to_lowercase().as_str()))
        .map(|(i, _)| i)
        .collect()
}

/// For each of `fields`, the one column that holds it: an error on line 1 if a required field
/// has none, or two columns hold one field.
pub fn resolve(
    file: &str,
    headers: &[String],
    fields: &[Field],
    listing: Listing,
) -> Result<Vec<Option<usize>>, TableError> {
    fields
        .iter()
        .map(|field| match matching(headers, field.names).as_slice() {
            [] if field.required => Err(TableError::MissingColumn {
                file: file.to_string(),
                field: field.name.to_string(),
                accepted: listing.accepted(field.names),
                listed: "header",
                found: listing.header(headers),
            }),
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            [first, second, ..] => Err(TableError::DuplicateColumn {
                file: file.to_string(),
                field: field.name,
                first: first + 1,
                second: second + 1,
            }),
        })
        .collect()
}

/// A CSV column's place in messages: `column 4 (started_at)` (`index` from 0).
pub fn column_place(index: usize, header: &str) -> String {
    format!("column {} ({header})", index + 1)
}

/// Refuses a header that names a column twice (case-insensitive), for kinds that look
/// columns up by name: which of the two was meant would be a guess.
pub fn refuse_duplicate_headers(file: &str, headers: &[String]) -> Result<(), TableError> {
    let mut seen = std::collections::BTreeSet::new();
    match headers
        .iter()
        .find(|h| !h.is_empty() && !seen.insert(h.to_lowercase()))
    {
        Some(dup) => Err(TableError::at(
            file,
            "line 1",
            format!("the header names column `{dup}` twice; keep one"),
        )),
        None => Ok(()),
    }
}

/// An instant written as RFC 3339, or as `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD` read as UTC.
pub fn utc_timestamp(text: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>()
        .ok()
        .or_else(|| utc_civil(text))
        .ok_or_else(|| {
            format!(
                "`{}` is not a time: expected RFC 3339 (2026-08-22T01:12:00Z), \
                 `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (both UTC)",
                text.escape_debug()
            )
        })
}

/// `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD`, read as UTC.
fn utc_civil(text: &str) -> Option<Timestamp> {
    let datetime = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| DateTime::strptime(format, text).ok())
        .or_else(|| Some(Date::strptime("%Y-%m-%d", text).ok()?.at(0, 0, 0, 0)));
    TimeZone::UTC.to_timestamp(datetime?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIELDS: [Field; 3] = [
        Field {
            name: "job",
            names: &["job", "job_name"],
            required: true,
        },
        Field {
            name: "status",
            names: &["status", "result"],
            required: true,
        },
        Field {
            name: "ticket",
            names: &["ticket"],
            required: false,
        },
    ];

    fn headers(text: &str) -> Vec<String> {
        read_csv("f.csv", text.as_bytes(), |_| false)
            .unwrap()
            .headers
    }

    #[test]
    fn fields_are_found_under_any_accepted_name_case_and_spacing() {
        let h = headers("\u{feff}Other, JOB_NAME ,Result\n");
        let columns = resolve("f.csv", &h, &FIELDS, Listing::Plain).unwrap();
        assert_eq!(columns, vec![Some(1), Some(2), None]);
    }

    #[test]
    fn a_missing_required_column_names_the_field_the_names_and_the_header() {
        let h = headers("job,other\n");
        let plain = resolve("f.csv", &h, &FIELDS, Listing::Plain).unwrap_err();
        assert_eq!(
            plain.to_string(),
            "f.csv: line 1: no status column (a header named status, result); \
             the header has: job, other"
        );
        let quoted = resolve("f.csv", &h, &FIELDS, Listing::Quoted).unwrap_err();
        assert_eq!(
            quoted.to_string(),
            "f.csv: line 1: no status column (a header named `status` or `result`); \
             the header has: `job`, `other`"
        );
    }

    #[test]
    fn two_columns_for_one_field_are_refused_and_unread_repeats_are_not() {
        let h = headers("job,status,Job_Name\n");
        let err = resolve("f.csv", &h, &FIELDS, Listing::Plain).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.csv: line 1: columns 1 and 3 are both read as job; keep one"
        );
        // A column no field reads may repeat (Jira repeats `Labels`).
        let h = headers("job,status,labels,labels\n");
        assert!(resolve("f.csv", &h, &FIELDS, Listing::Plain).is_ok());
        // Where columns are looked up by name, any repeated header is refused.
        let err = refuse_duplicate_headers("f.csv", &h).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.csv: line 1: the header names column `labels` twice; keep one"
        );
        assert!(refuse_duplicate_headers("f.csv", &headers("a,b,,\n")).is_ok());
    }

    #[test]
    fn csv_problems_name_the_file_line_and_column() {
        let ragged = read_csv("f.csv", b"job,status\na,ok\nb\n", |_| false)
            .err()
            .unwrap();
        assert_eq!(
            ragged.to_string(),
            "f.csv: line 3: the row has 1 fields but the header has 2 \
             (an unquoted comma, or a missing or stray `\"`?)"
        );
        let text = "job,note\n\"a\nb\",x\n";
        let err = read_csv("f.csv", text.as_bytes(), |_| false).err().unwrap();
        assert!(
            err.to_string()
                .starts_with("f.csv: line 2, column 1 (job): a line break"),
            "{err}"
        );
        assert!(read_csv("f.csv", text.as_bytes(), |h| h == "job").is_ok());
        let mut reader = open_csv("f.csv", "job\na\nb,c\n".as_bytes(), |_| false).unwrap();
        assert_eq!(reader.advance().unwrap(), Some(2));
        let err = TableError::csv("f.csv", reader.advance().unwrap_err());
        assert!(
            err.to_string().starts_with("f.csv: line 3: the row has 2"),
            "{err}"
        );
    }

    #[test]
    fn times_in_the_accepted_forms_and_the_message_otherwise() {
        let at = |t: &str| t.parse::<Timestamp>().unwrap();
        assert_eq!(utc_timestamp("2026-07-01"), Ok(at("2026-07-01T00:00:00Z")));
        assert_eq!(
            utc_timestamp("2026-07-01 09:30"),
            Ok(at("2026-07-01T09:30:00Z"))
        );
        assert_eq!(
            utc_timestamp("2026-07-01T09:30:00+02:00"),
            Ok(at("2026-07-01T07:30:00Z"))
        );
        assert!(utc_timestamp("2026-07-01T09:30:00").is_err());
        assert_eq!(
            utc_timestamp("01/07/2026").unwrap_err(),
            "`01/07/2026` is not a time: expected RFC 3339 (2026-08-22T01:12:00Z), \
             `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (both UTC)"
        );
    }
}
