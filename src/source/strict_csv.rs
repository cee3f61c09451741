//! The one CSV reader every CSV export goes through (access lists, HR rosters, access reviews,
//! job runs, incidents, tickets), so that each kind refuses the same malformed input.
//!
//! A CSV reader's worst failure is silent: a stray `"` at the start of a cell opens a quoted
//! cell that runs on, across line ends, to the next `"` in the file, swallowing every row in
//! between into one cell while the field count still adds up. So:
//!
//! - A line break inside a cell is refused, except in the columns a kind declares free text
//!   (`multi_line`): the access-review `comment`, and the ticket columns the ticket reader does
//!   not read (Jira's `Description`, `Comment`…). Every other cell is one line, so a stray
//!   quote is reported on the line it opens, with its column.
//! - A row with another number of fields than the header is refused (the reader is never
//!   `flexible`).
//! - Control characters are refused in every cell: C0 (NUL included), DEL and C1, except a tab,
//!   and line breaks where allowed. Bidirectional embedding, override and isolate controls
//!   (U+202A–U+202E, U+2066–U+2069), which make text display in another order than it is
//!   stored, are refused in one-line cells; free text may need them.
//!
//! Errors name the line the record starts on (header = line 1) and the column (number and
//! header).

/// A CSV problem: the line its record starts on, the column when one is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    pub line: u64,
    /// 0-based index and header name.
    pub column: Option<(usize, String)>,
    pub problem: String,
}

impl CsvProblem {
    /// `line 3, column 2 (job)` or `line 3`.
    pub fn place(&self) -> String {
        match &self.column {
            Some((i, name)) => format!("line {}, column {} ({name})", self.line, i + 1),
            None => format!("line {}", self.line),
        }
    }
}

/// A record and the line it starts on.
pub struct CsvRecord {
    pub line: u64,
    pub record: csv::StringRecord,
}

/// A CSV export read and checked: its header (as written) and its records.
pub struct CsvFile {
    pub headers: Vec<String>,
    pub records: Vec<CsvRecord>,
}

/// Reads `bytes` (a UTF-8 byte order mark already dropped) as CSV with a header row. A cell
/// may span lines only in a column whose header `multi_line` accepts.
pub fn read(bytes: &[u8], multi_line: impl Fn(&str) -> bool) -> Result<CsvFile, CsvProblem> {
    let mut reader = Reader::new(bytes, multi_line)?;
    let mut records = Vec::new();
    while let Some(line) = reader.advance()? {
        // A clone is sized to the row; the reader's buffer is reused for the next.
        records.push(CsvRecord {
            line,
            record: reader.record().clone(),
        });
    }
    Ok(CsvFile {
        headers: reader.headers,
        records,
    })
}

/// Reads CSV with a header row one record at a time, checking each as [`read`] does: memory
/// holds one record (and the reader's buffer), however long the input.
pub struct Reader<R: std::io::Read> {
    csv: csv::Reader<Tap<R>>,
    headers: Vec<String>,
    free: Vec<bool>,
    record: csv::StringRecord,
    lines: Lines,
}

impl<R: std::io::Read> Reader<R> {
    /// Reads and checks the header row of `input` (a UTF-8 byte order mark already dropped).
    pub fn new(input: R, multi_line: impl Fn(&str) -> bool) -> Result<Self, CsvProblem> {
        let tap = Tap {
            inner: input,
            kept: Vec::new(),
        };
        let mut csv = csv::ReaderBuilder::new().from_reader(tap);
        let headers: Vec<String> = csv
            .headers()
            .map_err(|e| csv_problem(&e))?
            .iter()
            .map(str::to_string)
            .collect();
        let free = headers.iter().map(|h| multi_line(h.trim())).collect();
        for (i, header) in headers.iter().enumerate() {
            check_cell(header, false).map_err(|p| at(1, i, header, p))?;
        }
        Ok(Reader {
            csv,
            headers,
            free,
            record: csv::StringRecord::new(),
            lines: Lines { byte: 0, line: 1 },
        })
    }

    /// The header row, as written.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Reads and checks the next record: the line it starts on, or `None` at the end.
    pub fn advance(&mut self) -> Result<Option<u64>, CsvProblem> {
        match self.csv.read_record(&mut self.record) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(csv_problem(&e)),
        }
        let byte = self.record.position().map_or(0, csv::Position::byte);
        let line = self.lines.at(byte, self.csv.get_mut());
        for (i, cell) in self.record.iter().enumerate() {
            let free = self.free.get(i).copied().unwrap_or(false);
            let header = self.headers.get(i).map_or("", String::as_str);
            check_cell(cell, free).map_err(|p| at(line, i, header, p))?;
        }
        Ok(Some(line))
    }

    /// The record [`Reader::advance`] last read.
    pub fn record(&self) -> &csv::StringRecord {
        &self.record
    }

    /// The input, read up to where the reader stopped.
    pub fn into_inner(self) -> R {
        self.csv.into_inner().inner
    }
}

/// Keeps the bytes read since the last record start: [`Lines`] numbers a record by the line
/// ends before it, which the CSV reader's own count gets wrong for CRLF files.
struct Tap<R> {
    inner: R,
    /// The bytes from offset `Lines::byte` on, as far as the CSV reader has read.
    kept: Vec<u8>,
}

impl<R: std::io::Read> std::io::Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// Line numbers from byte offsets, counted as an editor counts them (every `\n` starts a line,
/// so CRLF files number the same as LF ones), incrementally as the records advance.
struct Lines {
    /// The offset of the tap's first kept byte.
    byte: u64,
    line: u64,
}

impl Lines {
    fn at<R>(&mut self, byte: u64, tap: &mut Tap<R>) -> u64 {
        let kept = &tap.kept;
        let mut to = usize::try_from(byte.saturating_sub(self.byte))
            .unwrap_or(usize::MAX)
            .min(kept.len());
        // The reader places a record after the `\r` of a CRLF, on its `\n`; a record never
        // starts with a line end (blank lines are skipped), so step over them.
        while matches!(kept.get(to), Some(b'\r' | b'\n')) {
            to += 1;
        }
        self.line += kept[..to].iter().filter(|&&b| b == b'\n').count() as u64;
        self.byte += to as u64;
        // What lies before the record is numbered and never looked at again.
        tap.kept.drain(..to);
        self.line
    }
}

fn at(line: u64, column: usize, header: &str, problem: String) -> CsvProblem {
    CsvProblem {
        line,
        column: Some((column, header.trim().to_string())),
        problem,
    }
}

/// A CSV-level problem (ragged row, bad UTF-8, unclosed quote) with the line it is on.
fn csv_problem(error: &csv::Error) -> CsvProblem {
    let line = error.position().map_or(0, csv::Position::line);
    let (column, problem) = match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => (
            None,
            format!(
                "the row has {len} fields but the header has {expected_len} \
                 (an unquoted comma, or a missing or stray `\"`?)"
            ),
        ),
        csv::ErrorKind::Utf8 { err, .. } => (
            None,
            format!(
                "column {} is not valid UTF-8; export or save the file as UTF-8",
                err.field() + 1
            ),
        ),
        _ => (None, error.to_string()),
    };
    CsvProblem {
        line,
        column,
        problem,
    }
}

/// Checks one cell's characters (see the module doc); `free` allows line breaks and bidi
/// controls.
pub fn check_cell(cell: &str, free: bool) -> Result<(), String> {
    if !free && cell.contains(['\n', '\r']) {
        return Err(
            "a line break inside a quoted cell: this column is one line; look for a stray `\"` \
             that opens a quoted cell here and swallows the rows after it"
                .to_string(),
        );
    }
    let bad = cell.chars().find(|&c| match c {
        '\t' => false,
        '\n' | '\r' => !free,
        c if c.is_control() => true,
        c => !free && is_bidi_control(c),
    });
    match bad {
        Some(c) => Err(format!(
            "the cell holds the control character U+{:04X}; remove it (`{}`)",
            u32::from(c),
            cell.escape_debug()
        )),
        None => Ok(()),
    }
}

/// Checks an identifier (a job name, a run id, a key, a user id): one line, no control
/// character at all (not even a tab) and no bidi control. Identifiers become population item
/// ids and fingerprint lines.
pub fn check_identifier(text: &str) -> Result<(), String> {
    match text.chars().find(|&c| c.is_control() || is_bidi_control(c)) {
        Some(c) => Err(format!(
            "`{}` contains the control character U+{:04X}; an identifier must be one line of \
             visible text",
            text.escape_debug(),
            u32::from(c)
        )),
        None => Ok(()),
    }
}

/// Bidirectional formatting characters that reorder how text is shown (Trojan Source):
/// embeddings and overrides, isolates, and the implicit marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_line(_: &str) -> bool {
        false
    }

    #[test]
    fn a_stray_quote_is_refused_on_the_line_it_opens() {
        // The quote closes after `d` and the field count adds up: read leniently, rows 3 to 5
        // would be one run named "b,2,ok\nc,3,ok\nd".
        let text = "job,run_id,status\na,1,ok\n\"b,2,ok\nc,3,ok\nd\",4,ok\ne,5,ok\n";
        let err = read(text.as_bytes(), one_line).err().unwrap();
        assert_eq!(err.line, 3, "{err:?}");
        assert_eq!(err.column, Some((0, "job".into())));
        assert!(err.problem.contains("stray `\"`"), "{err:?}");
    }

    #[test]
    fn free_text_columns_may_span_lines_and_others_may_not() {
        let text = "key,comment\nA,\"two\r\nlines\"\n";
        let file = read(text.as_bytes(), |h| h == "comment").unwrap();
        assert_eq!(file.records.len(), 1);
        assert_eq!(&file.records[0].record[1], "two\r\nlines");
        let err = read("comment,key\nx,\"A\nB\"\n".as_bytes(), |h| h == "comment")
            .err()
            .unwrap();
        assert_eq!(err.place(), "line 2, column 2 (key)");
        // CRLF line ends number lines as LF ones do.
        let err = read(
            "comment,key\r\nx,A\r\n\"y\r\nz\",B\r\nw,\"C\r\nD\"\r\n".as_bytes(),
            |h| h == "comment",
        )
        .err()
        .unwrap();
        assert_eq!(err.place(), "line 5, column 2 (key)");
    }

    #[test]
    fn ragged_rows_and_control_characters_are_refused_with_their_place() {
        let err = read("a,b\n1,2\n3\n".as_bytes(), one_line).err().unwrap();
        assert_eq!(err.line, 3);
        assert!(
            err.problem.contains("1 fields but the header has 2"),
            "{err:?}"
        );
        let err = read("a,b\n1,2\n3,4,5\n".as_bytes(), one_line)
            .err()
            .unwrap();
        assert_eq!(err.line, 3);
        for (cell, code) in [
            ("x\u{0}y", "U+0000"),
            ("x\u{7f}", "U+007F"),
            ("x\u{85}", "U+0085"),
            ("x\u{1b}[31m", "U+001B"),
            ("admin\u{202E}nimda", "U+202E"),
            ("x\u{2066}", "U+2066"),
        ] {
            let text = format!("a,b\n1,{cell}\n");
            let err = read(text.as_bytes(), one_line).err().unwrap();
            assert_eq!(err.place(), "line 2, column 2 (b)", "{cell:?}");
            assert!(err.problem.contains(code), "{cell:?}: {err:?}");
        }
        let err = read("a,b\u{0}\n1,2\n".as_bytes(), one_line).err().unwrap();
        assert_eq!(err.place(), "line 1, column 2 (b\u{0})");
        // A tab is text; bidi marks are allowed in free text.
        assert!(read("a,b\n1,x\ty\n".as_bytes(), one_line).is_ok());
        assert!(read("a,b\n1,\u{202B}x\n".as_bytes(), |h| h == "b").is_ok());
    }

    #[test]
    fn identifiers_refuse_tabs_and_bidi_controls() {
        assert!(check_identifier("nightly-export").is_ok());
        assert!(check_identifier("a\tb").is_err());
        assert!(check_identifier("a\u{2067}b").is_err());
        assert!(check_identifier("a\u{9b}b").is_err());
    }
}
