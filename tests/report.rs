//! Reports people read and GRC tools import: the HTML page (snapshot, escaping, and rendered
//! by headless Chromium), OSCAL assessment results validated against NIST's published schema,
//! and `itgc report --packet` over verified and tampered packets.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use itgc::evaluate::{ControlResult, ItemResult, Outcome, Reason, Results, Verdict};
use itgc::evidence::{PacketBuilder, PacketMeta, PseudonymKey, Redactor, to_canonical};
use itgc::population::Fingerprint;
use itgc::report::html::{self, TrendPoint};
use itgc::report::oscal::{self, OscalMeta};
use serde_json::Value;

const SCHEMA: &str = "tests/fixtures/oscal/oscal_assessment-results_schema.json";

fn item(id: &str, outcome: Outcome, owner: &str, reasons: &[(&str, Verdict, &str)]) -> ItemResult {
    ItemResult {
        item: id.into(),
        label: format!("#{} change <{id}> & \"more\"", id.len()),
        owner: Some(owner.into()),
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
        evidence: vec![format!("commit:{id}"), "pr:payments-api#58".into()],
    }
}

fn control(id: &str, items: Vec<ItemResult>, gaps: Vec<String>) -> ControlResult {
    ControlResult {
        control: id.into(),
        title: format!("Control {id} <changes> & approvals"),
        severity: "high".into(),
        owner: "engineering".into(),
        population: Fingerprint::of("changes", items.iter().map(|i| i.item.as_str())),
        items,
        gaps,
        elided: Default::default(),
    }
}

fn results() -> Results {
    let approval = "#25 needs 1 independent approval; it had 0 <script>alert(1)</script> & co";
    let items = vec![
        item("api@1111111", Outcome::Pass, "payments-eng", &[]),
        item(
            "api@2222222",
            Outcome::Deviation,
            "payments-eng",
            &[("independent-approval", Verdict::Failed, approval)],
        ),
        item(
            "api@2222223",
            Outcome::Deviation,
            "platform",
            &[(
                "no-self-merge",
                Verdict::Failed,
                "dev opened #9 and merged it",
            )],
        ),
        item(
            "api@3333333",
            Outcome::Exception,
            "payments-eng",
            &[(
                "no-self-merge",
                Verdict::Failed,
                "dev opened #10 and merged it",
            )],
        ),
        item(
            "api@4444444",
            Outcome::NotEvaluated,
            "payments-eng",
            &[(
                "independent-approval",
                Verdict::NotEvaluated,
                "reviews of #40 were not fetched",
            )],
        ),
        item(
            "api@5555555",
            Outcome::NotApplicable,
            "payments-eng",
            &[(
                "emergency-change",
                Verdict::NotApplicable,
                "#41 is not an emergency",
            )],
        ),
    ];
    let effective = vec![item("web@aaaaaaa", Outcome::Pass, "web", &[])];
    let gap = "the accounts population is not built by this version of itgc yet".to_string();
    Results {
        period: "2026-Q3".into(),
        controls: vec![
            control("CM-01", effective, vec![]),
            control("CM-02", items, vec![]),
            control("LA-01", vec![], vec![gap]),
        ],
    }
}

fn trend() -> Vec<TrendPoint> {
    vec![
        TrendPoint {
            period: "2026-Q1".into(),
            population: 40,
            deviations: 5,
            exceptions: 1,
            not_evaluated: 0,
        },
        TrendPoint {
            period: "2026-Q2".into(),
            population: 44,
            deviations: 2,
            exceptions: 2,
            not_evaluated: 1,
        },
    ]
}

fn render_html(trend: &[TrendPoint]) -> String {
    html::render(&results(), trend).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(render_html(&trend()));
}

#[test]
fn html_is_deterministic_and_self_contained() {
    let page = render_html(&trend());
    assert_eq!(page, render_html(&trend()));
    assert!(
        !page.contains("<script"),
        "data must be escaped, and no scripts"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; co"));
    for external in ["src=\"http", "href=\"http", "url(", "@import", "<link"] {
        assert!(!page.contains(external), "external resource: {external}");
    }
}

#[test]
fn html_names_every_finding_with_reason_owner_system_evidence_and_exception() {
    let page = render_html(&[]);
    for text in [
        "api@2222222",
        "api@2222223",
        "api@3333333",
        "api@4444444",
        "independent-approval",
        "dev opened #9 and merged it",
        "platform",
        "payments-api",
        "EXC-2026-007",
        "commit:api@2222222",
        "pr:payments-api#58",
        "Population incomplete: the accounts population",
        "No earlier periods",
    ] {
        assert!(page.contains(text), "missing {text}");
    }
    assert!(
        !page.contains("api@5555555"),
        "not-applicable items are not findings"
    );
}

#[test]
fn html_charts_count_deviations_by_owner_and_system() {
    let page = render_html(&[]);
    let owner = section(&page, "id=\"owner-chart\"");
    assert!(owner.contains("data-name=\"payments-eng\" data-count=\"1\""));
    assert!(owner.contains("data-name=\"platform\" data-count=\"1\""));
    let system = section(&page, "id=\"system-chart\"");
    assert!(system.contains("data-name=\"payments-api\" data-count=\"2\""));
}

/// The text from `start` to the end of its `<svg>` element.
fn section<'a>(page: &'a str, start: &str) -> &'a str {
    let from = page.find(start).unwrap_or_else(|| panic!("no {start}"));
    let rest = &page[from..];
    &rest[..rest.find("</svg>").unwrap_or(rest.len())]
}

/// The first browser found on PATH, among the names Debian and others give Chromium.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

#[test]
fn html_renders_its_summary_chart_in_headless_chromium() {
    let Some(browser) = chromium() else {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(!ci, "CI=true but no chromium on PATH: .ci/run installs it");
        eprintln!("note: skipped, no chromium/chromium-browser/google-chrome on PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("report.html");
    std::fs::write(&file, render_html(&trend())).unwrap_or_else(|e| panic!("{e}"));
    let dom = dump_dom(&browser, &file, dir.path());
    let chart = section(&dom, "id=\"summary-chart\"");
    assert!(chart.starts_with("id=\"summary-chart\""), "{dom}");
    // CM-02's bar: 1 pass, 2 deviations, 1 exception, 1 not evaluated, 1 not applicable.
    for (outcome, count) in [("pass", 1), ("deviation", 2), ("exception", 1)] {
        let rect = format!("data-outcome=\"{outcome}\" data-count=\"{count}\"");
        assert!(
            chart.contains(&rect),
            "no {rect} in the rendered chart: {chart}"
        );
    }
    assert!(chart.matches("<rect").count() >= 8, "{chart}");
}

/// Chromium's serialisation of the DOM after it parsed and laid out the page.
fn dump_dom(browser: &Path, file: &Path, profile: &Path) -> String {
    let output = Process::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", browser.display()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{}: {stderr}", browser.display());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn meta() -> OscalMeta {
    OscalMeta {
        title: "itgc assessment results: demo-fintech/sox, 2026-Q3".into(),
        scope: "demo-fintech/sox".into(),
        run_at: "2026-10-01T06:00:00Z".parse().unwrap_or_default(),
        version: "0123abcd".into(),
        import_ap: "manifest.json".into(),
    }
}

/// NIST's schema, compiled with the crate's default regex engine (fancy-regex), which
/// supports the `\p{L}`/`\p{N}` classes the OSCAL token pattern uses; formats are checked too.
fn oscal_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(SCHEMA).unwrap_or_else(|e| panic!("{SCHEMA}: {e}"));
    let schema: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{SCHEMA} does not compile: {e}"))
}

fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn oscal_validates_against_the_published_schema() {
    let validator = oscal_validator();
    for results in [
        results(),
        Results {
            period: "2026-Q4".into(),
            controls: vec![],
        },
    ] {
        let text = oscal::render(&results, &meta());
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            schema_errors(&validator, &doc),
            Vec::<String>::new(),
            "{text}"
        );
    }
}

#[test]
fn the_schema_check_is_real() {
    // A validator that accepted anything would make the test above worthless.
    let validator = oscal_validator();
    let text = oscal::render(&results(), &meta());
    let mut doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        "maybe".into();
    doc["assessment-results"]["uuid"] = "not-a-uuid".into();
    doc["assessment-results"]["results"][0]["reviewed-controls"]["control-selections"][0]["include-controls"]
        [0]["control-id"] = "1 bad id".into();
    assert_eq!(schema_errors(&validator, &doc).len(), 3, "{doc:#}");
}

#[test]
fn oscal_is_deterministic_and_concludes_per_control() {
    let text = oscal::render(&results(), &meta());
    assert_eq!(text, oscal::render(&results(), &meta()));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let result = &doc["assessment-results"]["results"][0];
    let states: Vec<(&str, &str)> = result["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let target = &f["target"];
            (
                target["target-id"].as_str().unwrap_or_default(),
                target["status"]["state"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("CM-01", "satisfied"),
            ("CM-02", "not-satisfied"),
            ("LA-01", "not-satisfied")
        ]
    );
    assert_eq!(result["start"], "2026-10-01T06:00:00Z");
    // Population observations for 3 controls + 4 findings of CM-02.
    assert_eq!(result["observations"].as_array().map(Vec::len), Some(7));
}

// --- itgc report --packet -------------------------------------------------------------

fn packet_meta(period: &str, run_at: &str) -> PacketMeta {
    PacketMeta {
        scope: "demo-fintech/sox".into(),
        period: period.into(),
        run_at: run_at.parse().unwrap_or_else(|e| panic!("{e}")),
        tool_version: "0.0.0-test".into(),
        controls_commit: None,
        sources: vec![],
        previous_root: None,
    }
}

/// A packet holding `results/results.json`, as `check --packet` writes it.
fn write_packet(dir: &Path, results: &Results, run_at: &str) -> PathBuf {
    let redactor = Redactor::new(&[], PseudonymKey::unkeyed()).unwrap_or_else(|e| panic!("{e}"));
    let mut builder = PacketBuilder::new(packet_meta(&results.period, run_at), redactor);
    let bytes = to_canonical(results).unwrap_or_else(|e| panic!("{e}"));
    builder
        .add_file("results/results.json", bytes)
        .unwrap_or_else(|e| panic!("{e}"));
    let packet = builder.build().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(format!("packet-{}", results.period));
    packet.write_dir(&path).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn itgc() -> Command {
    let mut cmd = Command::cargo_bin("itgc").unwrap_or_else(|e| panic!("{e}"));
    cmd.env_remove("ITGC_DATABASE_URL").env("NO_COLOR", "1");
    cmd
}

#[test]
fn report_renders_every_format_from_a_packet_alone() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let packet = write_packet(dir.path(), &results(), "2026-10-01T06:00:00Z");
    for format in ["html", "markdown", "json", "oscal"] {
        let out = dir.path().join(format!("report.{format}"));
        itgc()
            .current_dir(dir.path())
            .args(["report", "--format", format, "--packet"])
            .arg(&packet)
            .arg("--output")
            .arg(&out)
            .assert()
            .code(0);
        let text = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}"));
        assert!(text.contains("api@2222222"), "{format}: {text}");
    }
    let oscal = std::fs::read_to_string(dir.path().join("report.oscal")).unwrap_or_default();
    let doc: Value = serde_json::from_str(&oscal).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        schema_errors(&oscal_validator(), &doc),
        Vec::<String>::new()
    );
    assert_eq!(
        doc["assessment-results"]["metadata"]["last-modified"],
        "2026-10-01T06:00:00Z"
    );
}

#[test]
fn report_draws_the_trend_from_earlier_packets() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut earlier = results();
    earlier.period = "2026-Q2".into();
    let old = write_packet(dir.path(), &earlier, "2026-07-01T06:00:00Z");
    let packet = write_packet(dir.path(), &results(), "2026-10-01T06:00:00Z");
    let output = itgc()
        .args(["report", "--format", "html", "--packet"])
        .arg(&packet)
        .arg("--trend")
        .arg(&old)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(0));
    let page = String::from_utf8_lossy(&output.stdout);
    let trend = section(&page, "id=\"trend-chart\"");
    assert!(trend.contains("data-period=\"2026-Q2\""), "{trend}");
    assert!(trend.contains("data-period=\"2026-Q3\""), "{trend}");
    assert!(!page.contains("No earlier periods"));
}

#[test]
fn report_on_a_tampered_packet_exits_4_naming_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let packet = write_packet(dir.path(), &results(), "2026-10-01T06:00:00Z");
    let file = packet.join("results/results.json");
    let mut bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{e}"));
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&file, bytes).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("report.html");
    itgc()
        .args(["report", "--format", "html", "--packet"])
        .arg(&packet)
        .arg("--output")
        .arg(&out)
        .assert()
        .code(4)
        .stderr(predicates::str::contains("results/results.json"));
    assert!(
        !out.exists(),
        "nothing is rendered from a packet that does not verify"
    );
}

#[test]
fn report_on_a_packet_without_results_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let redactor = Redactor::new(&[], PseudonymKey::unkeyed()).unwrap_or_else(|e| panic!("{e}"));
    let mut builder = PacketBuilder::new(packet_meta("2026-Q3", "2026-10-01T06:00:00Z"), redactor);
    builder
        .add_file("controls/cm-01.yaml", b"id: CM-01\n".to_vec())
        .unwrap_or_else(|e| panic!("{e}"));
    let packet = dir.path().join("packet");
    let built = builder.build().unwrap_or_else(|e| panic!("{e}"));
    built.write_dir(&packet).unwrap_or_else(|e| panic!("{e}"));
    itgc()
        .args(["report", "--format", "json", "--packet"])
        .arg(&packet)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("results/results.json"));
}

#[test]
fn the_demo_packet_renders_as_valid_oscal_and_html() {
    // The packet `itgc demo` writes through the same code as `check --packet`: the contract
    // between the two commands (results/results.json) is tested end to end here.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let org = dir.path().join("org");
    itgc()
        .current_dir(dir.path())
        .args(["demo", "--out"])
        .arg(&org)
        .assert()
        .code(0);
    let render = |format: &str| {
        let output = itgc()
            .current_dir(&org)
            .args(["report", "--format", format, "--packet", "packet"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(0), "{format}: {stderr}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let doc: Value = serde_json::from_str(&render("oscal")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        schema_errors(&oscal_validator(), &doc),
        Vec::<String>::new()
    );
    assert!(render("html").contains("id=\"summary-chart\""));
}
