//! `itgc check` and `itgc gate` through the real binary, on the demo organisation: each demo
//! scenario must produce the finding it was planted for, with a reason a reviewer can act on.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

/// The demo, built once per test binary; tests only read it.
struct Demo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    org: itgc::demo::DemoOrg,
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = itgc(dir.path())
            .args(["-q", "demo", "--out", "org"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The same plan built again: its scenarios name the commits and PRs to look for.
        let plan = tempfile::tempdir().unwrap();
        let org = itgc::demo::build(&plan.path().join("org")).unwrap();
        Demo {
            root: dir.path().join("org"),
            _dir: dir,
            org,
        }
    })
}

fn itgc(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("itgc").unwrap();
    cmd.current_dir(dir)
        .env_remove("ITGC_DATABASE_URL")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["--color", "never"]);
    cmd
}

/// `check --format json` for a period, with its exit code.
fn check_json(period: &str, args: &[&str]) -> (i32, Value) {
    let out = itgc(&demo().root)
        .args(["check", "--period", period, "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{stderr}"));
    (out.status.code().unwrap_or(-1), json)
}

fn results() -> &'static Value {
    static RESULTS: OnceLock<Value> = OnceLock::new();
    RESULTS.get_or_init(|| {
        let controls: Vec<String> = (1..=9).map(|i| format!("CM-0{i}")).collect();
        let args: Vec<&str> = controls.iter().flat_map(|c| ["--control", c]).collect();
        let (code, json) = check_json("2026-Q3", &args);
        assert_eq!(code, 1, "the demo has deviations");
        json
    })
}

fn scenario(key: &str) -> &'static itgc::demo::DemoScenario {
    let org = &demo().org;
    org.scenarios
        .iter()
        .find(|s| s.key == key)
        .unwrap_or_else(|| panic!("no scenario {key}"))
}

/// The item a scenario planted under a control: by commit, or by PR number in the label.
fn item(control: &str, key: &str) -> &'static Value {
    let s = scenario(key);
    let c = results()["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == control)
        .unwrap_or_else(|| panic!("no control {control}"));
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| match (&s.commit, s.pull_request) {
            (Some(oid), _) => i["id"] == format!("payments-api@{oid}"),
            (None, Some(n)) => i["label"].as_str().unwrap().starts_with(&format!("#{n} ")),
            _ => false,
        })
        .unwrap_or_else(|| panic!("{key} is not in the {control} population"))
}

fn reasons(item: &Value) -> String {
    item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn assert_outcome(control: &str, key: &str, outcome: &str, reason: &str) {
    let i = item(control, key);
    let why = reasons(i);
    assert_eq!(i["outcome"], outcome, "{control} {key}: {why}");
    assert!(why.contains(reason), "{control} {key}: {why}");
}

#[test]
fn direct_pushes_deviate_unless_a_policy_bot_made_them() {
    assert_outcome(
        "CM-01",
        "direct-push",
        "deviation",
        "pushed directly to main by",
    );
    assert_outcome(
        "CM-01",
        "reviewed-by-trailer",
        "deviation",
        "no pull request merged it",
    );
    assert_outcome("CM-01", "bot-direct-push", "pass", "");
    // .mailmap maps the laptop identity to the person.
    assert_outcome(
        "CM-01",
        "mailmapped-identity",
        "deviation",
        "Tomás Álvarez <tomas.alvarez@",
    );
}

#[test]
fn approvals_must_be_independent_and_on_the_final_commit() {
    assert_outcome(
        "CM-02",
        "self-approval",
        "deviation",
        "approved but authored",
    );
    assert_outcome(
        "CM-02",
        "stale-approval",
        "deviation",
        "added after the approval without re-review",
    );
    assert_outcome("CM-02", "bot-commit", "pass", "");
    assert_outcome("CM-06", "self-approval", "deviation", "and merged it");
}

#[test]
fn checks_tickets_and_code_owners() {
    assert_outcome("CM-03", "failed-check", "deviation", "`lint` was failure");
    assert_outcome("CM-04", "no-ticket", "deviation", "no ticket reference");
    assert_outcome(
        "CM-04",
        "unknown-ticket",
        "deviation",
        "PAY-1337 is not in the ticket export",
    );
    assert_outcome("CM-05", "infra-change", "pass", "");
    assert_outcome(
        "CM-05",
        "infra-non-owner-review",
        "deviation",
        "has no owner approval",
    );
}

#[test]
fn emergency_changes_are_tested_by_cm07_not_cm02() {
    assert_outcome("CM-07", "emergency-change", "pass", "");
    assert_outcome(
        "CM-02",
        "emergency-change",
        "not-applicable",
        "excluded by the population filter",
    );
}

#[test]
fn the_period_bounds_decide_membership() {
    let cm01 = results()["controls"][0]["items"].as_array().unwrap();
    let ids: Vec<&str> = cm01.iter().map(|i| i["id"].as_str().unwrap()).collect();
    let after = scenario("after-period").commit.as_ref().unwrap();
    assert!(!ids.contains(&format!("payments-api@{after}").as_str()));
    item("CM-01", "last-in-period");
    assert_eq!(results()["controls"][0]["population"]["count"], 50);
}

#[test]
fn a_period_that_was_never_walked_is_incomplete_not_empty() {
    let (code, json) = check_json("2026-Q2", &["--control", "CM-01"]);
    assert_eq!(code, 3, "{json}");
    assert_eq!(json["conclusion"], "incomplete");
}

#[test]
fn an_unknown_control_is_a_usage_error() {
    let out = itgc(&demo().root)
        .args(["check", "--period", "2026-Q3", "--control", "CM-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("did you mean `CM-01`"), "{stderr}");
}

#[test]
fn reports_are_written_whole_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for (format, name) in [
        ("sarif", "r.sarif"),
        ("junit", "r.xml"),
        ("markdown", "r.md"),
    ] {
        let path = dir.path().join(name);
        let out = itgc(&demo().root)
            .args([
                "check",
                "--period",
                "2026-Q3",
                "--control",
                "CM-01",
                "--format",
                format,
            ])
            .arg("--output")
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        assert!(
            out.stdout.is_empty(),
            "{format} went to the file, not stdout"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("pushed directly"), "{format}: {text}");
        // Streamed to a file or to stdout, the same bytes.
        let stdout = itgc(&demo().root)
            .args(["check", "--period", "2026-Q3", "--control", "CM-01"])
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(stdout.status.code(), Some(1), "{format}");
        assert_eq!(String::from_utf8(stdout.stdout).unwrap(), text, "{format}");
    }
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);
}

fn gate(args: &[&str], envs: &[(&str, &Path)]) -> (i32, String) {
    let mut cmd = itgc(&demo().root);
    cmd.args(["gate", "--repo", "repos/payments-api"])
        .args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn gate_passes_a_clean_change_and_stops_a_direct_push() {
    let clean = scenario("infra-change").commit.clone();
    let oid = match clean {
        Some(oid) => oid,
        None => head_of_pr(scenario("infra-change").pull_request.unwrap()),
    };
    let (code, text) = gate(
        &["--commit", &oid, "--control", "CM-01", "--control", "CM-02"],
        &[],
    );
    assert_eq!(code, 0, "{text}");

    let push = scenario("direct-push").commit.as_ref().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let mut cmd = itgc(&demo().root);
    let out = cmd
        .args(["gate", "--repo", "repos/payments-api", "--commit", push])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("::error title=CM-01 "), "{stdout}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## itgc: deviations"), "{md}");
}

/// `--output` sends the report to a file (SARIF for code scanning) while the runner still
/// gets one annotation per finding on stdout, and nothing else there.
#[test]
fn gate_writes_its_report_to_a_file_and_annotates_stdout() {
    let push = scenario("direct-push").commit.as_ref().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("gate.sarif");
    let out = itgc(&demo().root)
        .args(["gate", "--repo", "repos/payments-api", "--commit", push])
        .args(["--control", "CM-01", "--format", "sarif", "--output"])
        .arg(&sarif)
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("::error title=CM-01 ")),
        "{stdout}"
    );
    assert!(!stdout.is_empty());
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(report["version"], "2.1.0");
    assert_eq!(
        report["runs"][0]["results"].as_array().unwrap().len(),
        stdout.lines().count()
    );

    let missing = dir.path().join("no/such/dir/gate.sarif");
    let out = itgc(&demo().root)
        .args([
            "gate",
            "--repo",
            "repos/payments-api",
            "--commit",
            push,
            "--output",
        ])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!missing.exists());
}

#[test]
fn gate_over_a_range_and_a_bad_range() {
    let root = demo().root.join("repos/payments-api");
    let first = git(
        &root,
        &["rev-list", "--first-parent", "--max-parents=0", "main"],
    );
    let (code, text) = gate(&["--commit", "main", "--since", first.trim()], &[]);
    assert_eq!(code, 1, "{text}");
    let (code, text) = gate(&["--commit", first.trim(), "--since", "main"], &[]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("is not on the first-parent history"),
        "{text}"
    );
}

fn head_of_pr(number: u64) -> String {
    let root = demo().root.join("repos/payments-api");
    let log = git(&root, &["log", "--first-parent", "--format=%H %s", "main"]);
    log.lines()
        .find(|l| l.ends_with(&format!("(#{number})")) || l.contains(&format!("#{number} from")))
        .map(|l| l[..40].to_string())
        .unwrap_or_else(|| panic!("no commit for #{number}"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_signed_packet_verifies_and_re_performs_and_carries_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    itgc(&demo().root)
        .args(["evidence", "keygen", "--out"])
        .arg(&key)
        .assert()
        .code(0);
    let packet = dir.path().join("packet");
    let token = "ghp_FAKEtoken0123456789abcdefghijklmnopqrstu";
    let out = itgc(&demo().root)
        .env("GITHUB_TOKEN", token)
        .args([
            "check",
            "--period",
            "2026-Q3",
            "--control",
            "CM-02",
            "--control",
            "CM-06",
        ])
        .arg("--packet")
        .arg(&packet)
        .arg("--sign")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bytes in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(bytes).contains(token));
    }
    for entry in walk(&packet) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{} holds the token",
            entry.display()
        );
    }
    let verify = |extra: &[&str]| {
        itgc(&demo().root)
            .args(["evidence", "verify", "--reperform", "--public-key"])
            .arg(dir.path().join("key.pem.pub"))
            .arg(&packet)
            .args(extra)
            .output()
            .unwrap()
    };
    let ok = verify(&[]);
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(text.contains("identical"), "{text}");

    // A conclusion edited after the fact fails verification, naming the file.
    let results = packet.join("results/results.json");
    let original = std::fs::read_to_string(&results).unwrap();
    std::fs::write(&results, original.replacen("\"deviation\"", "\"pass\"", 1)).unwrap();
    let bad = verify(&[]);
    assert_eq!(bad.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("results/results.json"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// A packet's manifest says where every source stopped and how it proved it saw everything,
/// and links to the previous packet of the scope, which `check` verifies before linking.
#[test]
fn packets_record_their_sources_and_chain_to_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let check = |packet: &Path, extra: &[&std::ffi::OsStr]| {
        itgc(&demo().root)
            .args(["check", "--period", "2026-Q3", "--control", "CM-02"])
            .arg("--packet")
            .arg(packet)
            .args(extra)
            .output()
            .unwrap()
    };
    let manifest = |packet: &Path| -> Value {
        serde_json::from_slice(&std::fs::read(packet.join("manifest.json")).unwrap()).unwrap()
    };
    let first = dir.path().join("first");
    assert_eq!(check(&first, &[]).status.code(), Some(1));
    let m = manifest(&first);
    let sources = m["sources"].as_array().unwrap();
    let named = |name: &str| {
        sources
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no source {name} in {sources:#?}"))
    };
    for repo in &demo().org.repos {
        let git = named(&format!("git:{}/{}", repo.name, repo.branch));
        assert_eq!(git["completeness"]["covers_period"], true);
        assert_eq!(git["cursor"]["tip"].as_str().map(str::len), Some(40));
    }
    // The ticket export's record names the exact bytes imported.
    let export = demo()
        .org
        .exports
        .iter()
        .find(|e| e.kind == "tickets")
        .unwrap();
    let bytes = std::fs::read(
        demo()
            .root
            .join(export.path.strip_prefix(&demo().org.root).unwrap()),
    )
    .unwrap();
    let digest = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let tickets = named("import:tickets");
    assert_eq!(tickets["cursor"][0]["sha256"], digest.as_str());
    assert!(tickets["completeness"]["rows"].as_u64().unwrap() > 0);
    assert_eq!(m["previous_root"], Value::Null);

    let second = dir.path().join("second");
    let out = check(&second, &["--previous".as_ref(), first.as_os_str()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(manifest(&second)["previous_root"], m["root"]);
    itgc(&demo().root)
        .args(["evidence", "verify"])
        .arg(&second)
        .arg("--previous")
        .arg(&first)
        .assert()
        .code(0);

    // A previous packet that no longer verifies is refused, and nothing is written.
    let results = first.join("results/results.json");
    let text = std::fs::read_to_string(&results).unwrap();
    std::fs::write(&results, text.replacen("\"deviation\"", "\"pass\"", 1)).unwrap();
    let third = dir.path().join("third");
    let out = check(&third, &["--previous".as_ref(), first.as_os_str()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--previous") && stderr.contains("does not verify"),
        "{stderr}"
    );
    assert!(!third.exists());
}

/// A copy of the demo packet with its first deviation turned into a pass, re-rooted: a
/// packet that verifies on its own, unsigned, or signed with `key` (someone else's).
fn forge(packet: &Path, out: &Path, key: Option<itgc::evidence::sign::PrivateKey>) {
    use itgc::evidence::{Manifest, PacketBuilder, PacketMeta, PseudonymKey, Redactor};
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(packet.join("manifest.json")).unwrap()).unwrap();
    let meta = PacketMeta {
        scope: manifest.scope.clone(),
        period: manifest.period.clone(),
        run_at: manifest.run_at.parse().unwrap(),
        tool_version: manifest.tool.version.clone(),
        controls_commit: manifest.controls_commit.clone(),
        sources: manifest.sources.clone(),
        previous_root: manifest.previous_root,
    };
    let redactor = Redactor::new(&[], PseudonymKey::unkeyed()).unwrap();
    let mut builder = PacketBuilder::new(meta, redactor);
    for file in &manifest.files {
        let mut bytes = std::fs::read(packet.join(&file.path)).unwrap();
        if file.path == "results/results.json" {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains("\"deviation\""));
            bytes = text.replacen("\"deviation\"", "\"pass\"", 1).into_bytes();
        }
        builder.add_file(&file.path, bytes).unwrap();
    }
    if let Some(key) = key {
        builder.sign_with(key);
    }
    builder.build().unwrap().write_dir(out).unwrap();
}

/// `report --public-key` renders only packets whose signature verifies with the key; without
/// a key the report says, on stderr and in the page, that the packet's origin is unproven.
#[test]
fn report_with_a_public_key_refuses_forged_packets_and_warns_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let genuine = demo().root.join("packet");
    let public = demo().root.join(".itgc/demo-signing-key.pem.pub");
    let unsigned = dir.path().join("unsigned");
    forge(&genuine, &unsigned, None);
    let resigned = dir.path().join("resigned");
    forge(
        &genuine,
        &resigned,
        Some(itgc::evidence::sign::generate().unwrap()),
    );
    let report = |packet: &Path, extra: &[&std::ffi::OsStr], format: &str| {
        let out = dir.path().join(format!("report.{format}"));
        let _ = std::fs::remove_file(&out);
        let output = itgc(dir.path())
            .args(["report", "--format", format, "--packet"])
            .arg(packet)
            .arg("--output")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (
            output.status.code(),
            stderr,
            std::fs::read_to_string(&out).ok(),
        )
    };
    let key: &[&std::ffi::OsStr] = &["--public-key".as_ref(), public.as_os_str()];

    // The genuine packet renders with the key, with no warning.
    let (code, stderr, page) = report(&genuine, key, "markdown");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("unauthenticated"), "{stderr}");
    assert!(!page.unwrap_or_default().contains("unauthenticated"));

    // Forged packets: refused with the key (exit 4, nothing written), for every format.
    for forged in [&unsigned, &resigned] {
        for format in ["markdown", "html", "json", "oscal"] {
            let (code, stderr, page) = report(forged, key, format);
            assert_eq!(code, Some(4), "{}: {format}: {stderr}", forged.display());
            assert!(stderr.contains("signature.dsse.json"), "{stderr}");
            assert!(page.is_none(), "{format}: rendered a forged packet");
        }
        // ...and as a trend or owners input beside a genuine packet.
        let trend: &[&std::ffi::OsStr] = &[key[0], key[1], "--trend".as_ref(), forged.as_os_str()];
        assert_eq!(report(&genuine, trend, "html").0, Some(4));
        let owners: Vec<&std::ffi::OsStr> = [trend, &["--owners".as_ref()]].concat();
        assert_eq!(report(&genuine, &owners, "markdown").0, Some(4));
    }

    // Without a key the forged numbers render, but never silently.
    let (code, stderr, page) = report(&unsigned, &[], "markdown");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("origin unauthenticated"), "{stderr}");
    let page = page.unwrap_or_default();
    assert!(
        page.starts_with("> **Warning: origin unauthenticated"),
        "{page}"
    );
    let (_, stderr, page) = report(&unsigned, &[], "html");
    assert!(stderr.contains("origin unauthenticated"), "{stderr}");
    assert!(page.unwrap_or_default().contains("role=\"alert\""));
    let (code, stderr, page) = report(&unsigned, &[], "json");
    assert_eq!(code, Some(0));
    assert!(stderr.contains("origin unauthenticated"), "{stderr}");
    let json: Value = serde_json::from_str(&page.unwrap_or_default()).unwrap();
    assert!(json.is_object(), "JSON stays machine-readable");

    // --owners --trend keeps working with a key.
    let trend: &[&std::ffi::OsStr] = &[
        key[0],
        key[1],
        "--owners".as_ref(),
        "--trend".as_ref(),
        genuine.as_os_str(),
    ];
    let (code, stderr, _) = report(&genuine, trend, "markdown");
    assert_eq!(code, Some(0), "{stderr}");

    // An unreadable key is an input error.
    let missing: &[&std::ffi::OsStr] = &["--public-key".as_ref(), "no-such.pub".as_ref()];
    assert_eq!(report(&genuine, missing, "markdown").0, Some(2));
}

fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

/// `check --packet` never deletes what it did not write: a directory merely holding a
/// manifest.json, an old packet without the marker, a packet with a user's file in it, a
/// tar whose first entry is manifest.json. Each: exit 2, the path and the reason named,
/// every byte left. Its own packet it replaces.
#[test]
fn check_packet_never_replaces_what_it_did_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let check = |packet: &Path| {
        itgc(&demo().root)
            .args([
                "check",
                "--period",
                "2026-Q3",
                "--control",
                "CM-02",
                "--packet",
            ])
            .arg(packet)
            .output()
            .unwrap()
    };
    let extension = dir.path().join("extension");
    std::fs::create_dir_all(extension.join("icons")).unwrap();
    std::fs::write(
        extension.join("manifest.json"),
        r#"{"manifest_version": 3}"#,
    )
    .unwrap();
    std::fs::write(extension.join("background.js"), "chrome.runtime").unwrap();
    std::fs::write(extension.join("icons/16.png"), "png").unwrap();
    let old = dir.path().join("old");
    assert_eq!(check(&old).status.code(), Some(1));
    // (A writer without the marker has none to remove.)
    let _ = std::fs::remove_file(old.join(".itgc-packet"));
    let dropped = dir.path().join("dropped");
    assert_eq!(check(&dropped).status.code(), Some(1));
    std::fs::write(dropped.join("reports/my-notes.md"), "mine").unwrap();
    let cases = [
        (&extension, "manifest.json"),
        (&old, "remove it yourself"),
        (&dropped, "reports/my-notes.md"),
    ];
    for (target, why) in cases {
        let before = tree(target);
        let out = check(target);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", target.display());
        assert!(stderr.contains(why), "{stderr}");
        assert!(stderr.contains(&target.display().to_string()), "{stderr}");
        assert_eq!(tree(target), before, "{} was touched", target.display());
    }
    let tar = dir.path().join("extension.tar");
    let mut builder = tar::Builder::new(Vec::new());
    for (name, body) in [("manifest.json", "{}"), ("background.js", "x")] {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, body.as_bytes())
            .unwrap();
    }
    let bytes = builder.into_inner().unwrap();
    std::fs::write(&tar, &bytes).unwrap();
    assert_eq!(check(&tar).status.code(), Some(2));
    assert_eq!(std::fs::read(&tar).unwrap(), bytes);

    // Its own packet, directory or tar, it replaces.
    let own = dir.path().join("own");
    assert_eq!(check(&own).status.code(), Some(1));
    assert_eq!(check(&own).status.code(), Some(1));
    let own_tar = dir.path().join("own.tar");
    assert_eq!(check(&own_tar).status.code(), Some(1));
    assert_eq!(check(&own_tar).status.code(), Some(1));
    itgc(dir.path())
        .args(["evidence", "verify"])
        .arg(&own_tar)
        .assert()
        .code(0);
}
