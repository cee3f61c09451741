//! Ticket exports: a CSV with Jira-style headers (`Issue key`, `Issue Type`, `Status`,
//! `Summary`, `Created`, `Resolved`, `Approver`, …) into `facts::Ticket`s.
//!
//! Headers match case-insensitively, ignoring surrounding spaces; columns this does not read
//! are ignored (and may repeat, as Jira repeats `Labels` for each label). Required: the key
//! (`Issue key` or `Key`), `Status` and `Created`. Times are RFC 3339 with an offset, or
//! `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD`, both read as UTC.
//!
//! The job an incident refers to is read from a `Job` column (Jira: `Custom field (Job)`) when
//! the export has one. The demo's export has none: its incident INC-44 names the job only in
//! its summary ("settlement-export failed: …"), which is prose, not a field, and the job-run
//! export links the failed run to the incident by its own `ticket` column, so `job` stays
//! `None` there.
//!
//! A missing optional column never approves anything: without `Approver` no ticket is
//! approved unless the rule names approved states; without `Summary` no ticket names an
//! account or a system, so no request is found (a deviation).
//!
//! CSV goes through the shared strict reader (`source::strict_csv`). Jira exports hold
//! multi-line cells (`Description`, `Comment`), so a cell may span lines in the columns this
//! does not read; every column it reads, `Summary` included (Jira's is one line), is one line,
//! so a stray quote there is refused where it opens.
//!
//! Errors name the file, the line the row starts on (as an editor shows it, header = line 1)
//! and the column (number and header).

use std::collections::BTreeMap;
use std::path::Path;

use jiff::civil::{Date, DateTime};
use jiff::{Timestamp, tz::TimeZone};

use super::bounded::{self, Digest, ReadError};
use super::strict_csv;
use crate::facts::Ticket;

#[derive(Debug, thiserror::Error)]
pub enum TicketError {
    #[error(transparent)]
    Read(#[from] ReadError),

    /// A problem of the CSV itself (a ragged row, a stray quote, a control character).
    #[error("{file}: {at}: {problem}")]
    At {
        file: String,
        at: String,
        problem: String,
    },

    #[error(
        "{file}: line 1: no {field} column (a header named {accepted}); the header has: {found}"
    )]
    MissingColumn {
        file: String,
        field: &'static str,
        accepted: String,
        found: String,
    },

    #[error("{file}: line 1: columns {first} and {second} are both read as {field}; keep one")]
    DuplicateColumn {
        file: String,
        field: &'static str,
        first: usize,
        second: usize,
    },

    #[error("{file}: line {line}, column {column} ({header}): {problem}")]
    Invalid {
        file: String,
        line: u64,
        column: usize,
        header: String,
        problem: String,
    },

    #[error("{file}: line {line}: ticket {key} appears twice (first on line {first})")]
    DuplicateKey {
        file: String,
        key: String,
        line: u64,
        first: u64,
    },
}

/// A ticket field and the headers that name it (lower case).
struct Field {
    name: &'static str,
    headers: &'static [&'static str],
    required: bool,
}

const fn field(name: &'static str, headers: &'static [&'static str], required: bool) -> Field {
    Field {
        name,
        headers,
        required,
    }
}

const KEY: usize = 0;
const STATUS: usize = 1;
const CREATED: usize = 2;
const KIND: usize = 3;
const SUMMARY: usize = 4;
const RESOLVED: usize = 5;
const APPROVER: usize = 6;
const JOB: usize = 7;

/// Indexed by the constants above.
const FIELDS: [Field; 8] = [
    field("key", &["issue key", "key"], true),
    field("status", &["status"], true),
    field("created", &["created"], true),
    field("type", &["issue type", "type"], false),
    field("summary", &["summary"], false),
    field("resolved", &["resolved"], false),
    field("approver", &["approver"], false),
    field("job", &["job", "custom field (job)"], false),
];

/// The tickets in the export at `path`, sorted by key.
pub fn read(path: &Path) -> Result<Vec<Ticket>, TicketError> {
    read_with_digest(path).map(|(tickets, _)| tickets)
}

/// Like [`read`], with the digest of exactly the bytes parsed (what an import records).
pub fn read_with_digest(path: &Path) -> Result<(Vec<Ticket>, Digest), TicketError> {
    let bytes = bounded::read(path)?;
    let tickets = parse(&path.display().to_string(), &bytes)?;
    Ok((tickets, Digest::of(&bytes)))
}

/// Parses a ticket export's bytes; `file` names it in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<Ticket>, TicketError> {
    // Spreadsheet programs save CSV with a UTF-8 byte order mark; it is not part of the
    // first header's name.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // Line breaks only in the columns read as none of the fields (Jira's `Description`,
    // `Comment`…): every field this reads is one line (see `strict_csv`).
    let read_as_field = |h: &str| {
        let h = h.to_lowercase();
        FIELDS.iter().any(|f| f.headers.contains(&h.as_str()))
    };
    let csv = strict_csv::read(bytes, |h| !read_as_field(h)).map_err(|p| TicketError::At {
        file: file.to_string(),
        at: p.place(),
        problem: p.problem,
    })?;
    let columns = Columns::resolve(file, &csv.headers)?;
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut tickets = Vec::new();
    for record in &csv.records {
        let row = Row {
            file,
            line: record.line,
            record: &record.record,
            columns: &columns,
        };
        let ticket = row.ticket()?;
        if let Some(first) = seen.insert(ticket.key.clone(), row.line) {
            return Err(TicketError::DuplicateKey {
                file: file.to_string(),
                key: ticket.key,
                line: row.line,
                first,
            });
        }
        tickets.push(ticket);
    }
    tickets.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(tickets)
}

/// Where each field is in the header (0-based), and the header's names for messages.
struct Columns {
    index: [Option<usize>; FIELDS.len()],
    names: Vec<String>,
}

impl Columns {
    fn resolve(file: &str, headers: &[String]) -> Result<Columns, TicketError> {
        let names = headers.to_vec();
        let mut index = [None; FIELDS.len()];
        for (slot, field) in index.iter_mut().zip(&FIELDS) {
            *slot = find(file, field, &names)?;
        }
        Ok(Columns { index, names })
    }
}

/// The one column naming `field`: an error if a required one is missing or two name it.
fn find(file: &str, field: &Field, names: &[String]) -> Result<Option<usize>, TicketError> {
    let matches: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, name)| field.headers.contains(&name.trim().to_lowercase().as_str()))
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [] if field.required => Err(TicketError::MissingColumn {
            file: file.to_string(),
            field: field.name,
            accepted: quoted(field.headers, " or "),
            found: quoted(names, ", "),
        }),
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        [first, second, ..] => Err(TicketError::DuplicateColumn {
            file: file.to_string(),
            field: field.name,
            first: first + 1,
            second: second + 1,
        }),
    }
}

fn quoted<S: AsRef<str>>(names: &[S], separator: &str) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    quoted.join(separator)
}

/// One data row with what is needed to name a cell in an error.
struct Row<'a> {
    file: &'a str,
    line: u64,
    record: &'a csv::StringRecord,
    columns: &'a Columns,
}

impl Row<'_> {
    fn ticket(&self) -> Result<Ticket, TicketError> {
        Ok(Ticket {
            key: self.identifier(KEY)?.ok_or_else(|| self.empty(KEY))?,
            status: self.required(STATUS)?,
            kind: self.optional(KIND),
            created_at: self.time(CREATED)?.ok_or_else(|| self.empty(CREATED))?,
            resolved_at: self.time(RESOLVED)?,
            approver: self.optional(APPROVER),
            job: self.identifier(JOB)?,
            summary: self.optional(SUMMARY).unwrap_or_default(),
        })
    }

    /// The trimmed cell of `field`, `None` when the column is absent or the cell empty.
    fn optional(&self, field: usize) -> Option<String> {
        let column = self.columns.index[field]?;
        let cell = self.record.get(column)?.trim();
        (!cell.is_empty()).then(|| cell.to_string())
    }

    fn required(&self, field: usize) -> Result<String, TicketError> {
        self.optional(field).ok_or_else(|| self.empty(field))
    }

    /// The key or the job: an identifier, one line of visible text.
    fn identifier(&self, field: usize) -> Result<Option<String>, TicketError> {
        let text = self.optional(field);
        if let Some(t) = &text {
            strict_csv::check_identifier(t).map_err(|p| self.invalid(field, p))?;
        }
        Ok(text)
    }

    fn time(&self, field: usize) -> Result<Option<Timestamp>, TicketError> {
        self.optional(field)
            .map(|text| timestamp(&text).map_err(|problem| self.invalid(field, problem)))
            .transpose()
    }

    fn empty(&self, field: usize) -> TicketError {
        self.invalid(field, format!("the {} is empty", FIELDS[field].name))
    }

    fn invalid(&self, field: usize, problem: String) -> TicketError {
        let column = self.columns.index[field].unwrap_or_default();
        TicketError::Invalid {
            file: self.file.to_string(),
            line: self.line,
            column: column + 1,
            header: self.columns.names.get(column).cloned().unwrap_or_default(),
            problem,
        }
    }
}

/// An instant in one of the accepted forms. A fraction of a second is refused rather than
/// dropped: tickets are kept in whole seconds, and a silently changed time is worse than an
/// error.
fn timestamp(text: &str) -> Result<Timestamp, String> {
    let at = text
        .parse::<Timestamp>()
        .ok()
        .or_else(|| utc_civil(text))
        .ok_or_else(|| {
            format!(
                "`{}` is not a time: expected RFC 3339 (2026-08-22T01:12:00Z), \
                 `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (both UTC)",
                text.escape_debug()
            )
        })?;
    if at.subsec_nanosecond() != 0 {
        return Err(format!(
            "`{text}` has a fraction of a second; tickets are kept in whole seconds"
        ));
    }
    Ok(at)
}

/// `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DD`, read as UTC.
fn utc_civil(text: &str) -> Option<Timestamp> {
    let datetime = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| DateTime::strptime(format, text).ok())
        .or_else(|| {
            let date = Date::strptime("%Y-%m-%d", text).ok()?;
            Some(date.at(0, 0, 0, 0))
        });
    TimeZone::UTC.to_timestamp(datetime?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Issue key,Issue Type,Status,Summary,Created,Resolved,Approver,Labels\n";

    fn parse_text(text: &str) -> Result<Vec<Ticket>, TicketError> {
        parse("tickets.csv", text.as_bytes())
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn reads_jira_columns_in_any_case_with_bom_and_crlf() {
        let text = "\u{feff}ISSUE KEY, issue type ,status,Summary,CREATED,Resolved,Approver,Labels,Labels\r\n\
                    PAY-2,Story,Done,\"Two, lines\",2026-07-01 09:30,2026-07-02,grace@x,a,\"b\r\nc\"\r\n\
                    INC-1,Incident,Open,,2026-07-01T09:30:00+02:00,,,,\r\n";
        let tickets = parse_text(text).unwrap();
        assert_eq!(tickets.len(), 2);
        let (inc, pay) = (&tickets[0], &tickets[1]);
        assert_eq!(inc.key, "INC-1");
        assert_eq!(inc.created_at, at("2026-07-01T07:30:00Z"));
        assert_eq!((inc.resolved_at, inc.approver.as_deref()), (None, None));
        assert_eq!(inc.summary, "");
        assert_eq!(pay.kind.as_deref(), Some("Story"));
        assert_eq!(pay.summary, "Two, lines");
        assert_eq!(pay.created_at, at("2026-07-01T09:30:00Z"));
        assert_eq!(pay.resolved_at, Some(at("2026-07-02T00:00:00Z")));
        assert_eq!(pay.approver.as_deref(), Some("grace@x"));
        assert_eq!(pay.job, None);
    }

    #[test]
    fn a_job_column_is_read_when_present() {
        let text =
            "Key,Status,Created,Custom field (Job)\nINC-9,Done,2026-09-08,settlement-export\n";
        let tickets = parse_text(text).unwrap();
        assert_eq!(tickets[0].job.as_deref(), Some("settlement-export"));
        assert_eq!(tickets[0].kind, None);
    }

    #[test]
    fn a_bad_time_names_the_line_the_row_starts_on_and_the_column() {
        let text = format!(
            "{HEADER}PAY-1,Story,Done,x,2026-07-01,,,\"multi\nline\"\nPAY-2,Story,Done,x,01/07/2026,,,\n"
        );
        let err = parse_text(&text).unwrap_err().to_string();
        assert_eq!(
            err,
            "tickets.csv: line 4, column 5 (Created): `01/07/2026` is not a time: expected \
             RFC 3339 (2026-08-22T01:12:00Z), `YYYY-MM-DD HH:MM` or `YYYY-MM-DD` (both UTC)"
        );
        let fraction = format!("{HEADER}PAY-1,Story,Done,x,2026-07-01T00:00:00.5Z,,,\n");
        assert!(
            parse_text(&fraction)
                .unwrap_err()
                .to_string()
                .contains("fraction")
        );
    }

    #[test]
    fn required_columns_and_values_are_enforced() {
        let err = parse_text("Issue key,Created\nPAY-1,2026-07-01\n").unwrap_err();
        assert!(
            matches!(
                err,
                TicketError::MissingColumn {
                    field: "status",
                    ..
                }
            ),
            "{err}"
        );
        let err = parse_text("Key,Issue key,Status,Created\n").unwrap_err();
        assert!(
            matches!(
                err,
                TicketError::DuplicateColumn {
                    first: 1,
                    second: 2,
                    ..
                }
            ),
            "{err}"
        );
        let err = parse_text(&format!("{HEADER}PAY-1,Story, ,x,2026-07-01,,,\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tickets.csv: line 2, column 3 (Status): the status is empty"
        );
    }

    #[test]
    fn duplicate_keys_and_ragged_rows_are_errors() {
        let text =
            format!("{HEADER}PAY-1,Story,Done,x,2026-07-01,,,\nPAY-1,Story,Done,y,2026-07-02,,,\n");
        let err = parse_text(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tickets.csv: line 3: ticket PAY-1 appears twice (first on line 2)"
        );
        let err = parse_text(&format!("{HEADER}PAY-1,Story,Done\n")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tickets.csv: line 2: the row has 3 fields but the header has 8 \
             (an unquoted comma, or a missing or stray `\"`?)"
        );
        // Every field the reader reads is one line; a stray quote is refused where it opens.
        let stray = format!(
            "{HEADER}PAY-1,Story,Done,x,2026-07-01,,,\n\"PAY-2,Story,Done,x,2026-07-01,,,\nPAY-3\",Story,Done,x,2026-07-01,,,\n"
        );
        let err = parse_text(&stray).unwrap_err().to_string();
        assert!(
            err.starts_with("tickets.csv: line 3, column 1 (Issue key): a line break"),
            "{err}"
        );
        let summary = format!("{HEADER}PAY-1,Story,Done,\"a\nb\",2026-07-01,,,\n");
        let err = parse_text(&summary).unwrap_err().to_string();
        assert!(
            err.starts_with("tickets.csv: line 2, column 4 (Summary)"),
            "{err}"
        );
        let nul = format!("{HEADER}PAY\u{0}1,Story,Done,x,2026-07-01,,,\n");
        let err = parse_text(&nul).unwrap_err().to_string();
        assert!(
            err.contains("line 2, column 1 (Issue key)") && err.contains("U+0000"),
            "{err}"
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(b"PAY-1,Story,Done,\xff,2026-07-01,,,\n");
        let err = parse("t.csv", &bytes).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(
            parse("t.csv", b"")
                .unwrap_err()
                .to_string()
                .contains("no key column")
        );
    }

    #[test]
    fn accepted_time_forms() {
        assert_eq!(timestamp("2026-07-01").unwrap(), at("2026-07-01T00:00:00Z"));
        assert_eq!(
            timestamp("2026-07-01 09:30:15").unwrap(),
            at("2026-07-01T09:30:15Z")
        );
        assert_eq!(
            timestamp("2026-07-01T09:30:00Z").unwrap(),
            at("2026-07-01T09:30:00Z")
        );
        assert!(
            timestamp("2026-07-01T09:30:00").is_err(),
            "no offset, no zone: ambiguous"
        );
        assert!(timestamp("2026-02-30").is_err());
        assert!(timestamp("yesterday").is_err());
    }
}
