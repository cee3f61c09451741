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

use jiff::Timestamp;

use super::bounded::{self, Digest};
use super::strict_csv;
use super::table::{self, Field, Listing, TableError};
use crate::facts::Ticket;

/// The shared table reader's error, under the name callers of this module know.
pub use super::table::TableError as TicketError;

const fn field(name: &'static str, names: &'static [&'static str], required: bool) -> Field {
    Field {
        name,
        names,
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
    // Line breaks only in the columns read as none of the fields (Jira's `Description`,
    // `Comment`…): every field this reads is one line (see `strict_csv`).
    let read_as_field = |h: &str| {
        let h = h.to_lowercase();
        FIELDS.iter().any(|f| f.names.contains(&h.as_str()))
    };
    let csv = table::read_csv(file, bytes, |h| !read_as_field(h))?;
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
            let problem = format!(
                "ticket {} appears twice (first on line {first})",
                ticket.key
            );
            return Err(TableError::at(file, format!("line {}", row.line), problem));
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
        let found = table::resolve(file, headers, &FIELDS, Listing::Quoted)?;
        let mut index = [None; FIELDS.len()];
        for (slot, column) in index.iter_mut().zip(found) {
            *slot = column;
        }
        Ok(Columns {
            index,
            names: headers.to_vec(),
        })
    }
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
        // The header as written, untrimmed (as this message always showed it).
        let header = self.columns.names.get(column).map_or("", String::as_str);
        TableError::Cell {
            file: self.file.to_string(),
            at: format!("line {}", self.line),
            column: table::column_place(column, header),
            problem,
        }
    }
}

/// An instant in one of the accepted forms. A fraction of a second is refused rather than
/// dropped: tickets are kept in whole seconds, and a silently changed time is worse than an
/// error.
fn timestamp(text: &str) -> Result<Timestamp, String> {
    let at = table::utc_timestamp(text)?;
    if at.subsec_nanosecond() != 0 {
        return Err(format!(
            "`{text}` has a fraction of a second; tickets are kept in whole seconds"
        ));
    }
    Ok(at)
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
                &err,
                TicketError::MissingColumn { field, .. } if field == "status"
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "tickets.csv: line 1: no status column (a header named `status`); \
             the header has: `Issue key`, `Created`"
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
