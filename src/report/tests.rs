//! Snapshot tests: every renderer over the same small set of results.

use crate::evaluate::{ControlResult, ItemResult, Outcome, Reason, Results, Verdict};
use crate::population::Fingerprint;

fn item(id: &str, outcome: Outcome, reasons: &[(&str, Verdict, &str)]) -> ItemResult {
    ItemResult {
        item: id.into(),
        label: format!("#{} change <{id}> & more", id.len()),
        owner: Some("payments-eng".into()),
        system: Some("payments-api".into()),
        parent: None,
        outcome,
        reasons: reasons
            .iter()
            .map(|(rule, verdict, message)| Reason {
                rule: (*rule).into(),
                verdict: *verdict,
                message: (*message).into(),
            })
            .collect(),
        exception: (outcome == Outcome::Exception).then(|| "EXC-2026-007".into()),
        evidence: vec![format!("commit:{id}")],
    }
}

fn results() -> Results {
    let items = vec![
        item("api@1111111", Outcome::Pass, &[]),
        item(
            "api@2222222",
            Outcome::Deviation,
            &[(
                "independent-approval",
                Verdict::Failed,
                "#25 needs 1 independent approval before merge; it had 0; praman approved but authored 1a2b3c4 in #25",
            )],
        ),
        item(
            "api@3333333",
            Outcome::Exception,
            &[(
                "no-self-merge",
                Verdict::Failed,
                "dev opened #9 and merged it",
            )],
        ),
        item(
            "api@4444444",
            Outcome::NotEvaluated,
            &[(
                "independent-approval",
                Verdict::NotEvaluated,
                "the reviews of #40 were not fetched",
            )],
        ),
        item(
            "api@5555555",
            Outcome::NotApplicable,
            &[(
                "emergency-change",
                Verdict::NotApplicable,
                "#41 is not labelled `emergency`",
            )],
        ),
    ];
    let control = |id: &str, items: Vec<ItemResult>, gaps: Vec<String>| ControlResult {
        control: id.into(),
        title: format!("Control {id} | with a pipe"),
        severity: "high".into(),
        owner: "engineering".into(),
        population: Fingerprint::of("changes", items.iter().map(|i| i.item.as_str())),
        items,
        gaps,
        elided: Default::default(),
    };
    Results {
        period: "2026-Q3".into(),
        controls: vec![
            control("CM-02", items, vec![]),
            control(
                "LA-01",
                vec![],
                vec!["the accounts population is not built by this version of itgc yet".into()],
            ),
        ],
    }
}

#[test]
fn human() {
    insta::assert_snapshot!(super::human::render(&results(), false));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(super::markdown::render(&results()));
}

#[test]
fn json() {
    insta::assert_snapshot!(super::json::render(&results()));
}

#[test]
fn sarif() {
    let text = super::sarif::render(&results());
    let version = env!("CARGO_PKG_VERSION");
    insta::assert_snapshot!(text.replace(version, "[version]"));
}

#[test]
fn junit() {
    insta::assert_snapshot!(super::junit::render(&results()));
}

#[test]
fn conclusions_follow_the_worst_control() {
    let r = results();
    assert_eq!(r.controls[0].conclusion().as_str(), "incomplete");
    assert_eq!(r.controls[1].conclusion().as_str(), "incomplete");
    let mut only_deviation = r.clone();
    only_deviation.controls.truncate(1);
    only_deviation.controls[0].items.remove(3);
    assert_eq!(only_deviation.conclusion().as_str(), "deviations");
}

/// Results whose every untrusted field (item id, label, owner, reason, exception id, gap)
/// carries one of the hostile strings.
fn hostile_results() -> Results {
    let mut r = results();
    let hostile = super::escape::HOSTILE;
    let control = &mut r.controls[0];
    let mut items = Vec::new();
    for (n, s) in hostile.iter().enumerate() {
        let mut i = item(&format!("api@{n}{s}"), Outcome::Deviation, &[]);
        i.label = (*s).to_string();
        i.owner = Some((*s).to_string());
        i.reasons = vec![Reason {
            rule: "independent-approval".into(),
            verdict: Verdict::Failed,
            message: format!("PR title {s} by {s}"),
        }];
        items.push(i);
    }
    items[0].outcome = Outcome::Exception;
    items[0].exception = Some(hostile[1].to_string());
    control.items = items;
    control.gaps = vec![hostile[0].to_string(), hostile[2].to_string()];
    r
}

#[test]
fn hostile_text_cannot_control_the_terminal_or_add_lines() {
    let r = hostile_results();
    let text = super::human::render(&r, false);
    for c in text.chars().filter(|c| *c != '\n') {
        assert!(!c.is_control(), "{c:?} reached the terminal:\n{text}");
        assert!(
            !('\u{202a}'..='\u{202e}').contains(&c),
            "bidi override in:\n{text}"
        );
        assert!(!matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{2066}'..='\u{2069}'
        ));
    }
    assert!(
        text.lines().all(|l| !l.trim_start().starts_with("::")),
        "{text}"
    );
    // One line per finding and one per reason: no data ends a line early.
    let findings = super::findings(&r.controls[0].items).count();
    let count = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(count("  ✗ ") + count("  ~ "), findings, "{text}");
    assert_eq!(
        count("      independent-approval: PR title "),
        findings,
        "{text}"
    );
    assert_eq!(count("  ! population incomplete: "), 3, "{text}");
    let owners = text.split("by owner:\n").nth(1).unwrap_or_default();
    let owner_rows = owners.lines().take_while(|l| !l.is_empty()).count();
    assert_eq!(owner_rows, super::escape::HOSTILE.len(), "{text}");
    assert!(text.contains(r"title\n::error::injected"), "{text}");
    assert!(text.contains(r"\u{1b}]0;retitled\u{7}"), "{text}");
    assert!(text.contains(r"abc\u{202e}cba"), "{text}");
}

#[test]
fn hostile_text_opens_no_markup_in_markdown() {
    let text = super::markdown::render(&hostile_results());
    for raw in [
        "<img",
        "<details><summary>x",
        "\u{1b}",
        "\u{0}",
        "\u{85}",
        "\u{2028}",
    ] {
        assert!(!text.contains(raw), "{raw:?} in:\n{text}");
    }
    assert!(
        text.lines().all(|l| !l.trim_start().starts_with("::")),
        "{text}"
    );
    // Each finding is one list item and each reason one nested item: no line is data's.
    for line in text.lines().filter(|l| !l.is_empty()) {
        let ours = [
            "## ",
            "|",
            "<details>",
            "</details>",
            "- ",
            "  - ",
            "1",
            "0",
            "2",
            "3",
            "4",
        ];
        assert!(ours.iter().any(|p| line.starts_with(p)), "{line:?}");
    }
    assert!(
        text.contains(r"\`code\` &lt;img src=x onerror=alert(1)&gt; \`\`"),
        "{text}"
    );
    assert!(text.contains(r"a \| b \| c"), "{text}");
}

#[test]
fn hostile_text_stays_text_in_html_sarif_json_and_junit() {
    let r = hostile_results();
    let html = super::html::render(&r, &[]).expect("renders");
    assert!(!html.contains("<img src=x"), "raw image in HTML");
    assert!(!html.contains("<details><summary>x"), "raw details in HTML");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    for json in [super::sarif::render(&r), super::json::render(&r)] {
        let value: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
        for s in super::escape::HOSTILE {
            let wanted = format!("PR title {s} by {s}");
            assert!(contains_string(&value, &wanted), "{s:?} did not round-trip");
        }
    }
    let junit = super::junit::render(&r);
    // XML 1.0 allows no C0 control but tab, newline and carriage return, and no raw markup.
    let bad = junit
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (*c as u32) < 0x20);
    assert_eq!(bad, None, "{junit}");
    assert!(!junit.contains("<img"), "{junit}");
    assert!(junit.contains("&lt;img src=x"), "{junit}");
}

fn contains_string(v: &serde_json::Value, wanted: &str) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains(wanted),
        serde_json::Value::Array(a) => a.iter().any(|v| contains_string(v, wanted)),
        serde_json::Value::Object(o) => o.values().any(|v| contains_string(v, wanted)),
        _ => false,
    }
}

/// Records each write: a streamed renderer hands its text over piece by piece as it is
/// produced, never as one text of the whole report.
#[derive(Default)]
struct Pieces {
    sizes: Vec<usize>,
    text: Vec<u8>,
}

impl std::io::Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sizes.push(buf.len());
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Fails every write after `left` bytes, as a full disk or a closed pipe does.
struct FailsAfter {
    left: usize,
}

impl std::io::Write for FailsAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.left {
            return Err(std::io::Error::other("disk full"));
        }
        self.left -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn json_and_junit_are_written_as_they_are_produced_and_equal_the_rendered_text() {
    for r in [results(), hostile_results()] {
        let mut json = Pieces::default();
        super::json::write_with_drift(&mut json, &r, &[]).unwrap();
        assert_eq!(json.text, super::json::render(&r).into_bytes());
        let mut junit = Pieces::default();
        super::junit::write(&mut junit, &r).unwrap();
        assert_eq!(junit.text, super::junit::render(&r).into_bytes());
        for (name, out) in [("json", &json), ("junit", &junit)] {
            let largest = out.sizes.iter().max().copied().unwrap_or_default();
            assert!(
                out.sizes.len() > 10 && largest * 4 < out.text.len(),
                "{name}: {} writes, the largest {largest} of {} bytes",
                out.sizes.len(),
                out.text.len()
            );
        }
    }
}

#[test]
fn a_failing_writer_stops_json_and_junit_with_its_error() {
    let r = results();
    for left in [0, 10, 200] {
        let err = super::json::write_with_drift(&mut FailsAfter { left }, &r, &[]).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        let err = super::junit::write(&mut FailsAfter { left }, &r).unwrap_err();
        assert_eq!(err.to_string(), "disk full");
    }
}
