//! Access-review campaign exports: one row per account (and entitlement) a reviewer was asked
//! to certify. Headers (case-insensitive): required `campaign`, `system`, `account`,
//! `decision` (keep/approve, revoke, modify; an empty cell while pending), `decided_at` and
//! `reviewer_email` (or `reviewer`), the last three because review-complete and
//! revocations-executed read them: an export without one of those columns is refused (exit 2)
//! rather than read as every decision pending, undated or by nobody. Optional: `entitlement`
//! and `comment` (free text, the one cell that may span lines).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::AccessError;
use super::table::{self, Row, Table};
use crate::facts::access::{Decision, ReviewDecision};
use crate::source::bounded::{self, Digest, Hashing, ReadError};
use crate::source::{strict_csv, table as shared};

const CAMPAIGN: &[&str] = &["campaign", "campaign name"];
const SYSTEM: &[&str] = &["system", "application"];
const ACCOUNT: &[&str] = &["account", "user", "user_id", "account id"];
const ENTITLEMENT: &[&str] = &["entitlement", "role", "access"];
const REVIEWER: &[&str] = &["reviewer_email", "reviewer", "reviewer email"];
const DECISION: &[&str] = &["decision", "action"];
const DECIDED_AT: &[&str] = &["decided_at", "decided at", "decision date", "reviewed_at"];
const COMMENT: &[&str] = &["comment", "comments", "justification"];

/// The reviewer's comment is free text and may span lines; every other cell is one line.
fn is_comment(header: &str) -> bool {
    COMMENT.iter().any(|c| header.eq_ignore_ascii_case(c))
}

/// The campaign, system and account columns, once every column the rules need is known to be
/// there.
fn columns(table: &Table) -> Result<[usize; 3], AccessError> {
    let required = |names: &[&str], what: &str| {
        table.any_column(names).ok_or_else(|| {
            let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            table.missing(what, &q.join(" or "))
        })
    };
    let columns = [
        required(CAMPAIGN, "campaign")?,
        required(SYSTEM, "system")?,
        required(ACCOUNT, "account")?,
    ];
    // Not read here but needed by review-complete and revocations-executed: without these
    // columns every decision would read as pending, undated or unattributed.
    for (names, what) in [
        (DECISION, "decision"),
        (DECIDED_AT, "decided at"),
        (REVIEWER, "reviewer"),
    ] {
        required(names, what)?;
    }
    Ok(columns)
}

/// A review export handed out one decision at a time, checked as [`read_reviews`] checks it,
/// except for repeated rows: finding those needs every key, which the store keeps (see
/// `store::ReviewImport`), and [`ReviewStream::repeated`] names them. A CSV export is read
/// as it is handed out, so memory holds a record (and each record's line number), however
/// long the file; a JSON one is read whole first.
pub struct ReviewStream {
    /// The header (and, for JSON, every row).
    table: Table,
    columns: [usize; 3],
    rows: Rows,
    /// How many decisions were handed out.
    read: usize,
}

enum Rows {
    Csv {
        reader: Box<strict_csv::Reader<BufReader<Hashing<File>>>>,
        /// The line each decision handed out starts on, for naming a repeated one's first.
        lines: Vec<u64>,
    },
    Json(Digest),
}

impl ReviewStream {
    /// Opens the export at `path` (JSON by its extension) and checks its columns; no decision
    /// is read yet from a CSV file.
    pub fn open(path: &Path) -> Result<ReviewStream, AccessError> {
        let file = path.display().to_string();
        if super::is_json(path) {
            let bytes = bounded::read(path)?;
            let table = Table::parse_with(&file, &bytes, true, &is_comment)?;
            let columns = columns(&table)?;
            let rows = Rows::Json(Digest::of(&bytes));
            return Ok(ReviewStream {
                table,
                columns,
                rows,
                read: 0,
            });
        }
        let io = |source| ReadError::Io {
            path: file.clone(),
            source,
        };
        let mut input = bounded::open_streamed(path, &file)?;
        // A UTF-16 mark cannot follow the UTF-8 one skipped: this sees the file's first bytes.
        table::refuse_utf16(&file, input.fill_buf().map_err(io)?)?;
        let reader = shared::open_csv(&file, input, is_comment)?;
        let table = Table::csv_header(&file, reader.headers())?;
        let columns = columns(&table)?;
        let rows = Rows::Csv {
            reader: Box::new(reader),
            lines: Vec::new(),
        };
        Ok(ReviewStream {
            table,
            columns,
            rows,
            read: 0,
        })
    }

    /// The file as the user named it.
    pub fn file(&self) -> &str {
        &self.table.file
    }

    /// The next decision, or `None` after the last; an unreadable row is an error naming its
    /// place.
    pub fn next_decision(&mut self) -> Result<Option<ReviewDecision>, AccessError> {
        let table = &self.table;
        let decision = match &mut self.rows {
            Rows::Json(_) => match table.rows.get(self.read) {
                Some(row) => decision(table, row, self.columns)?,
                None => return Ok(None),
            },
            Rows::Csv { reader, lines } => {
                let fail = |p| shared::TableError::csv(&table.file, p);
                let Some(line) = reader.advance().map_err(fail)? else {
                    return Ok(None);
                };
                let row = Row::csv(line, reader.record().clone());
                let decision = decision(table, &row, self.columns)?;
                lines.push(line);
                decision
            }
        };
        self.read += 1;
        Ok(Some(decision))
    }

    /// The error for decision `again` (counted from 0 in the order handed out), which repeats
    /// decision `first`'s campaign, system, account and entitlement.
    pub fn repeated(&self, first: usize, again: usize, d: &ReviewDecision) -> AccessError {
        AccessError::at(
            &self.table.file,
            self.place(again),
            format!(
                "account {} of {} appears twice in campaign `{}` (first on {})",
                d.account,
                d.system,
                d.campaign,
                self.place(first)
            ),
        )
    }

    fn place(&self, index: usize) -> String {
        match &self.rows {
            Rows::Json(_) => self
                .table
                .rows
                .get(index)
                .map_or_else(|| format!("record {}", index + 1), |r| self.table.place(r)),
            Rows::Csv { lines, .. } => match lines.get(index) {
                Some(line) => format!("line {line}"),
                None => format!("row {}", index + 1),
            },
        }
    }

    /// The digest of every byte of the file; call it once every decision was read.
    pub fn finish(self) -> Result<Digest, AccessError> {
        match self.rows {
            Rows::Json(digest) => Ok(digest),
            Rows::Csv { reader, .. } => {
                let mut input = reader.into_inner();
                // The reader stops at the end of the last record: hash anything after it too.
                std::io::copy(&mut input, &mut std::io::sink()).map_err(|source| {
                    ReadError::Io {
                        path: self.table.file.clone(),
                        source,
                    }
                })?;
                Ok(input.into_inner().digest())
            }
        }
    }
}

/// Reads a review campaign export.
pub fn read_reviews(
    file: &str,
    bytes: &[u8],
    json: bool,
) -> Result<Vec<ReviewDecision>, AccessError> {
    let table = Table::parse_with(file, bytes, json, &is_comment)?;
    let columns = columns(&table)?;
    let decisions = table
        .rows
        .iter()
        .map(|row| decision(&table, row, columns))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some((first, again)) = first_duplicate(&decisions) {
        let (d, row) = (&decisions[again], &table.rows[again]);
        return Err(table.row_error(
            row,
            format!(
                "account {} of {} appears twice in campaign `{}` (first on {})",
                d.account,
                d.system,
                d.campaign,
                table.place(&table.rows[first])
            ),
        ));
    }
    Ok(decisions)
}

/// The earliest row that repeats an earlier one's campaign, system, account (in any case) and
/// entitlement, with that earlier row: found by sorting row numbers, so that a million-row
/// export is not copied into a set of keys.
fn first_duplicate(decisions: &[ReviewDecision]) -> Option<(usize, usize)> {
    let lower: Vec<String> = decisions.iter().map(|d| d.account.to_lowercase()).collect();
    let key = |i: usize| {
        let d = &decisions[i];
        (
            &*d.campaign,
            &*d.system,
            lower[i].as_str(),
            d.entitlement.as_deref().unwrap_or_default(),
        )
    };
    let mut order: Vec<usize> = (0..decisions.len()).collect();
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| key(w[0]) == key(w[1]))
        .map(|w| (w[0], w[1]))
        .min_by_key(|&(_, again)| again)
}

fn decision(
    table: &Table,
    row: &Row,
    [c, s, a]: [usize; 3],
) -> Result<ReviewDecision, AccessError> {
    let required = |column: usize, what: &str| -> Result<String, AccessError> {
        let text = row
            .text(Some(column))
            .ok_or_else(|| table.invalid(row, column, format!("the {what} is empty")))?;
        table::identifier(&text).map_err(|p| table.invalid(row, column, p))?;
        Ok(text)
    };
    let text = |names: &[&str]| row.text(table.any_column(names));
    let decision = match (table.any_column(DECISION), text(DECISION)) {
        (Some(col), Some(word)) => Some(Decision::parse(&word).ok_or_else(|| {
            table.invalid(
                row,
                col,
                format!("`{word}` is not a decision: expected keep (approve), revoke or modify"),
            )
        })?),
        _ => None,
    };
    let decided_at = match (table.any_column(DECIDED_AT), text(DECIDED_AT)) {
        (Some(col), Some(t)) => table::timestamp(&t).map_err(|p| table.invalid(row, col, p))?,
        _ => None,
    };
    Ok(ReviewDecision {
        campaign: required(c, "campaign")?.into(),
        system: required(s, "system")?.into(),
        account: required(a, "account")?.into(),
        entitlement: text(ENTITLEMENT).map(Into::into),
        reviewer: text(REVIEWER).map(|r| r.to_lowercase().into()),
        decision,
        decided_at,
        comment: text(COMMENT).unwrap_or_default().into(),
    })
}
