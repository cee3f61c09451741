//! A minimal RFC 4180 CSV writer: the demo only writes CSV, and only small files.

/// Rows of text cells under a header; `\n` line ends, quoting only where needed.
pub(crate) struct Csv {
    text: String,
    rows: u64,
    width: usize,
}

impl Csv {
    pub(crate) fn new(header: &[&str]) -> Csv {
        let mut csv = Csv {
            text: String::new(),
            rows: 0,
            width: header.len(),
        };
        csv.line(header.iter().copied());
        csv
    }

    /// Appends one data row. A row of the wrong width is a bug in the generator, caught by the
    /// export tests rather than by a panic here.
    pub(crate) fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        debug_assert_eq!(cells.len(), self.width, "CSV row width");
        self.line(cells.iter().map(AsRef::as_ref));
        self.rows += 1;
    }

    fn line<'a>(&mut self, cells: impl Iterator<Item = &'a str>) {
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            push_cell(&mut self.text, cell);
        }
        self.text.push('\n');
    }

    /// Data rows written so far (the header is not a row).
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    pub(crate) fn into_text(self) -> String {
        self.text
    }
}

fn push_cell(out: &mut String, cell: &str) {
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(cell);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_where_needed() {
        let mut csv = Csv::new(&["a", "b"]);
        csv.row(&["plain", "with, comma"]);
        csv.row(&["say \"hi\"", "two\nlines"]);
        assert_eq!(csv.rows(), 2);
        assert_eq!(
            csv.into_text(),
            "a,b\nplain,\"with, comma\"\n\"say \"\"hi\"\"\",\"two\nlines\"\n"
        );
    }
}
