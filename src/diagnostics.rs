//! Diagnostics: problems found in a user's files, reported like a compiler reports them.
//!
//! Every check (YAML syntax, schema, semantics) produces `Diagnostic` values and never prints.
//! One renderer turns them into text: a first line a script can parse
//! (`file:line:col: key.path: message (expected …)`), then the offending line with an
//! underline and a help line, drawn by `miette`.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

/// A file's text, shared by every diagnostic that points into it.
#[derive(Debug)]
pub struct SourceText {
    /// The path as the user should see it (relative to where they ran the tool when possible).
    pub name: String,
    pub text: String,
}

/// A position in a source file: 1-based line and column (in characters), plus the byte range
/// the underline covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: u64,
    pub column: u64,
    pub offset: usize,
    pub len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in one file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable kebab-case code naming the class of problem (`unknown-key`, `duplicate-id`, …).
    pub code: &'static str,
    pub file: String,
    pub location: Option<Location>,
    /// Dotted key path (`rules[0].min_approvals`); empty for a problem with the whole file.
    pub path: String,
    pub message: String,
    pub expected: Option<String>,
    pub help: Option<String>,
    source: Option<Arc<SourceText>>,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.into(),
            location: None,
            path: String::new(),
            message: message.into(),
            expected: None,
            help: None,
            source: None,
        }
    }

    pub fn warning(
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message)
        }
    }

    /// Points the diagnostic at a place in a source file the renderer can quote.
    pub fn at(mut self, source: &Arc<SourceText>, location: Option<Location>) -> Self {
        self.file = source.name.clone();
        self.location = location;
        self.source = Some(Arc::clone(source));
        self
    }

    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The one-line form: `file:line:col: key.path: message (expected …)`.
    pub fn headline(&self) -> String {
        let mut out = self.file.clone();
        if let Some(loc) = self.location {
            out.push_str(&format!(":{}:{}", loc.line, loc.column));
        }
        out.push_str(": ");
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        if let Some(expected) = &self.expected {
            out.push_str(&format!(" (expected {expected})"));
        }
        out
    }

    /// The full form: headline, quoted line with an underline, help.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(400)
            .with_wrap_lines(false);
        let named = self
            .source
            .as_ref()
            .map(|s| NamedSource::new(s.name.clone(), s.text.clone()));
        let mut out = String::new();
        match handler.render_report(&mut out, &Rendered(self, named)) {
            Ok(()) => out,
            Err(_) => format!("{}\n", self.headline()),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}[{}]: {}", self.code, self.headline())
    }
}

/// Adapter so miette can draw a diagnostic without the library type depending on miette's
/// traits (they are a rendering concern, not part of the model).
struct Rendered<'a>(&'a Diagnostic, Option<NamedSource<String>>);

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.0, f)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.location?;
        self.1.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.0.location?;
        self.0.source.as_ref()?;
        let span = SourceSpan::new(loc.offset.into(), loc.len.max(1));
        let label = self.0.expected.as_ref().map(|e| format!("expected {e}"));
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            label, span,
        ))))
    }
}

/// Sorts diagnostics the way a reader scans them: by file, then position.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (
            a.file.as_str(),
            a.location.map(|l| (l.line, l.column)),
            &a.path,
            &a.message,
        )
            .cmp(&(
                b.file.as_str(),
                b.location.map(|l| (l.line, l.column)),
                &b.path,
                &b.message,
            ))
    });
}

/// The closest candidate to `input`, if one is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&input.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headline_has_file_line_col_path_and_expectation() {
        let src = Arc::new(SourceText {
            name: "controls/CM-01.yaml".into(),
            text: "id: CM-01\nseverity: urgent\n".into(),
        });
        let loc = Location {
            line: 2,
            column: 11,
            offset: 20,
            len: 6,
        };
        let d = Diagnostic::error("invalid-value", "", "`urgent` is not a severity")
            .at(&src, Some(loc))
            .with_path("severity")
            .expected("one of low, medium, high, critical");
        assert_eq!(
            d.headline(),
            "controls/CM-01.yaml:2:11: severity: `urgent` is not a severity (expected one of low, medium, high, critical)"
        );
        let rendered = d.render(false);
        assert!(rendered.contains("severity: urgent"), "{rendered}");
        assert!(rendered.contains("───┬──"), "underline: {rendered}");
        assert!(
            rendered.contains("[controls/CM-01.yaml:2:11]"),
            "{rendered}"
        );
    }

    #[test]
    fn did_you_mean_finds_typos_only() {
        let keys = ["min_approvals", "from_group", "kind"];
        assert_eq!(did_you_mean("min_aprovals", keys), Some("min_approvals"));
        assert_eq!(did_you_mean("colour", keys), None);
    }
}
