//! Logical-access exports: access lists (columns mapped per system in policy), the HR roster
//! and access-review campaigns, as CSV or JSON.
//!
//! Every export is read whole and checked before anything is stored: a missing column, a
//! duplicate row, an unparseable date or a file in another encoding is an error naming the
//! file, the row (CSV: the line the record starts on; JSON: the record and its path) and the
//! column. A UTF-8 byte order mark and CRLF line ends are read as spreadsheet programs mean
//! them. CSV goes through the shared strict reader (`source::strict_csv`): a ragged row, a
//! control character, or a line break inside a cell is refused (a stray quote would otherwise
//! swallow the rows after it); only an access review's `comment` may span lines.

pub mod activity;
mod list;
mod review;
mod roster;
pub mod table;

pub use list::read_list;
pub use review::{ReviewStream, read_reviews};
pub use roster::read_roster;

use jiff::Timestamp;

/// The shared table reader's error, under the name the access readers use.
pub use super::table::TableError as AccessError;

/// The instant an export is true as of: `--as-of`, else the export's own `as_of` (a column
/// that must hold one value, or a top-level JSON field); both given must agree.
fn as_of(table: &table::Table, given: Option<Timestamp>) -> Result<Timestamp, AccessError> {
    let from_file = file_as_of(table)?;
    let problem = |p: String| AccessError::File {
        file: table.file.clone(),
        problem: p,
    };
    match (given, from_file) {
        (Some(g), Some(f)) if g != f => Err(problem(format!(
            "--as-of {g} disagrees with the export's own as_of {f}; drop --as-of or fix the export"
        ))),
        (Some(at), _) | (None, Some(at)) => Ok(at),
        (None, None) => Err(problem(
            "the export does not say when it was taken (no `as_of` column or field); \
             give --as-of DATE"
                .to_string(),
        )),
    }
}

fn file_as_of(table: &table::Table) -> Result<Option<Timestamp>, AccessError> {
    if let Some(value) = table.meta.get("as_of") {
        let text = value.as_str().unwrap_or_default();
        return table::timestamp(text).map_err(|p| AccessError::File {
            file: table.file.clone(),
            problem: format!("as_of: {p}"),
        });
    }
    let Some(column) = table.column("as_of") else {
        return Ok(None);
    };
    let mut found: Option<(Timestamp, u64)> = None;
    for row in &table.rows {
        let Some(text) = row.text(Some(column)) else {
            continue;
        };
        let at = table::timestamp(&text)
            .map_err(|p| table.invalid(row, column, p))?
            .ok_or_else(|| table.invalid(row, column, "as_of must be a time"))?;
        match found {
            Some((first, line)) if first != at => {
                return Err(table.invalid(
                    row,
                    column,
                    format!(
                        "as_of {at} differs from {first} on line {line}; one export is one snapshot"
                    ),
                ));
            }
            None => found = Some((at, row.line)),
            _ => {}
        }
    }
    Ok(found.map(|(at, _)| at))
}

/// Whether the path names a JSON export (by extension).
pub fn is_json(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

#[cfg(test)]
mod tests;
