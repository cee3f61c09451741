//! JUnit XML, for CI systems that show test results: a test suite per control, a test case
//! per item; deviations are failures, unevaluated items errors, not-applicable items skipped.
//! Written to a writer as it is produced, a test case at a time.

use std::io::{self, Write};

use crate::evaluate::{ControlResult, ItemResult, Outcome, Results};

pub fn render(results: &Results) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(&mut out, results);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `render`'s text to `out` as it is produced.
pub fn write<W: Write + ?Sized>(out: &mut W, results: &Results) -> io::Result<()> {
    let t = results.tally();
    // A control whose population is incomplete adds one erroring "population" test case.
    let gaps = results
        .controls
        .iter()
        .filter(|c| !c.gaps.is_empty())
        .count();
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")?;
    writeln!(
        out,
        "<testsuites name=\"itgc {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        xml(&results.period),
        t.population + gaps,
        t.deviation,
        t.not_evaluated + gaps,
        t.not_applicable
    )?;
    for control in &results.controls {
        suite(out, control)?;
    }
    out.write_all(b"</testsuites>\n")
}

fn suite<W: Write + ?Sized>(out: &mut W, c: &ControlResult) -> io::Result<()> {
    let t = c.tally();
    let gaps = usize::from(!c.gaps.is_empty());
    writeln!(
        out,
        "  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        xml(&c.control),
        xml(&c.title),
        t.population + gaps,
        t.deviation,
        t.not_evaluated + gaps,
        t.not_applicable
    )?;
    if !c.gaps.is_empty() {
        writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"population\">\n      <error message=\"population incomplete\">{}</error>\n    </testcase>",
            xml(&c.control),
            xml(&c.gaps.join("\n"))
        )?;
    }
    for item in &c.items {
        case(out, &c.control, item)?;
    }
    out.write_all(b"  </testsuite>\n")
}

fn case<W: Write + ?Sized>(out: &mut W, control: &str, item: &ItemResult) -> io::Result<()> {
    write!(
        out,
        "    <testcase classname=\"{}\" name=\"{} {}\"",
        xml(control),
        xml(&item.item),
        xml(&item.label)
    )?;
    let text: Vec<String> = super::reasons(item)
        .map(|r| format!("{}: {}", r.rule, r.message))
        .collect();
    let body = xml(&text.join("\n"));
    let inner = match item.outcome {
        Outcome::Pass | Outcome::Exception => None,
        Outcome::Deviation => Some(format!("<failure message=\"deviation\">{body}</failure>")),
        Outcome::NotEvaluated => Some(format!("<error message=\"not evaluated\">{body}</error>")),
        Outcome::NotApplicable => Some("<skipped/>".to_string()),
    };
    match inner {
        Some(inner) => writeln!(out, ">\n      {inner}\n    </testcase>"),
        None => writeln!(out, "/>"),
    }
}

/// Escapes text for XML attributes and content; drops characters XML 1.0 cannot carry.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(super::xml("a<b>&\"'\u{1}"), "a&lt;b&gt;&amp;&quot;&apos;");
    }
}
