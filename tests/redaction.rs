//! Credentials in the data a committer controls (PR titles, commit messages, account ids), through
//! the real binary: text that only looks like a credential neither blocks the packet nor is
//! altered; a real credential is redacted in place, named on stderr, counted in the manifest,
//! found in no packet byte, and re-performance still reaches identical results.

use std::path::Path;

use serde_json::Value;

mod binary;
use binary::{demo, git, run};

const PRS: &str = "exports/github-prs.json";
const OKTA: &str = "exports/access/okta-users.csv";

/// Retitles the first pull requests merged inside 2026-Q3 and re-imports the export.
fn retitle_prs(org: &Path, titles: &[&str]) {
    let path = org.join(PRS);
    let mut prs: Vec<Value> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let in_q3 = |pr: &Value| {
        let merged = pr["mergedAt"].as_str().unwrap_or_default();
        ("2026-07-02".."2026-09-30").contains(&merged)
    };
    let mut targets = prs.iter_mut().filter(|pr| in_q3(pr)).skip(10);
    for title in titles {
        targets.next().unwrap()["title"] = Value::from(*title);
    }
    std::fs::write(&path, serde_json::to_vec(&prs).unwrap()).unwrap();
    let (code, _, err) = run(
        org,
        &["import", "github-prs", PRS, "--repo", "payments-api"],
    );
    assert_eq!(code, 0, "{err}");
}

/// Replaces the ids of the okta list's rows (1-based, after the header) and re-imports it.
fn set_okta_ids(org: &Path, ids: &[(usize, &str)]) {
    let path = org.join(OKTA);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (row, id) in ids {
        let rest = lines[*row].split_once(',').unwrap().1.to_string();
        // CSV quoting: the id may hold quotes and semicolons.
        lines[*row] = format!("\"{}\",{rest}", id.replace('"', "\"\""));
    }
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (code, _, err) = run(org, &["import", "access-list", OKTA, "--system", "okta"]);
    assert_eq!(code, 0, "{err}");
}

/// `check` of CM-01 and LA-01 into `packet/`: exit code and stderr.
fn check_packet(org: &Path) -> (i32, String, String) {
    let args = [
        "check",
        "--period",
        "2026-Q3",
        "--control",
        "CM-01",
        "--control",
        "LA-01",
        "--packet",
        "packet",
    ];
    run(org, &args)
}

fn jsonl(org: &Path, file: &str) -> Vec<Value> {
    let bytes = std::fs::read(org.join("packet").join(file)).unwrap();
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect()
}

/// Every string anywhere in `value`.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

fn packet_strings(org: &Path, file: &str) -> Vec<String> {
    let mut out = Vec::new();
    jsonl(org, file).iter().for_each(|v| strings(v, &mut out));
    out
}

fn builtin_replacements(org: &Path) -> u64 {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(org.join("packet/manifest.json")).unwrap()).unwrap();
    let rules = manifest["redaction"]["rules"].as_array().unwrap();
    let builtin = rules
        .iter()
        .find(|r| r["id"] == "builtin-credentials")
        .unwrap();
    builtin["replacements"].as_u64().unwrap()
}

fn reperforms(org: &Path) {
    let (code, out, err) = run(org, &["evidence", "verify", "packet", "--reperform"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("identical"), "{out}");
}

fn all_packet_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.extend(all_packet_bytes(&path));
        } else {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Near misses of the URL-password shape: no password, no `://`, or quotes between the parts.
const LOOKALIKE_TITLES: [&str; 4] = [
    "point health check at http://localhost:8080",
    "docs: clone via http://user@host/repo",
    "mailto:a:b@c for escalations",
    r#"config {"url":"http://svc","owner":"ops@oncall"}"#,
];
const LOOKALIKE_ID: &str = r#"=HYPERLINK("http://x";"y")"#;

#[test]
fn credential_lookalikes_neither_block_the_packet_nor_change_it() {
    let tmp = tempfile::tempdir().unwrap();
    let org = demo(tmp.path());
    retitle_prs(&org, &LOOKALIKE_TITLES);
    // Sorted next to an email-shaped id: serialised, the two once read as `http://x…:…@`.
    set_okta_ids(
        &org,
        &[(2, LOOKALIKE_ID), (3, "ops.oncall@demo-fintech.example")],
    );
    let (code, out, err) = check_packet(&org);
    assert!(code == 0 || code == 1, "exit {code}: {out}{err}");
    assert!(!err.contains("credential"), "{err}");
    let changes = packet_strings(&org, "snapshots/changes.jsonl");
    for title in LOOKALIKE_TITLES {
        assert!(changes.iter().any(|s| s == title), "{title} was altered");
    }
    let access = packet_strings(&org, "snapshots/access.jsonl");
    assert!(
        access.iter().any(|s| s == LOOKALIKE_ID),
        "the id was altered"
    );
    assert_eq!(builtin_replacements(&org), 0);
    reperforms(&org);
}

#[test]
fn real_credentials_are_redacted_in_place_named_and_the_packet_still_written() {
    let token = format!("ghp_{}", "Q7x2".repeat(9));
    let aws = "AKIAZ7QW3ERTY5UIOP2M";
    let slack = "xoxb-482910375521-5820193746102-Zq8Wm3Lp0Rt6Yv2Nc4Bx9Kd1";
    let tmp = tempfile::tempdir().unwrap();
    let org = demo(tmp.path());
    retitle_prs(&org, &[&format!("PAY-190: use {token} for the deploy bot")]);
    let repo = org.join("repos/payments-api");
    std::fs::write(repo.join("ROTATED"), "yes\n").unwrap();
    git(&repo, &["add", "ROTATED"]);
    let message = format!("PAY-191: rotate the leaked key {aws}");
    let date = "2026-09-15T10:00:00Z";
    let out = std::process::Command::new("git")
        .current_dir(&repo)
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args(["-c", "commit.gpgsign=false", "commit", "-qm", &message])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (code, _, err) = run(&org, &["sync", "--period", "2026-Q3", "--source", "git"]);
    assert_eq!(code, 0, "{err}");
    set_okta_ids(&org, &[(4, slack)]);

    let (code, out, err) = check_packet(&org);
    assert!(code == 0 || code == 1, "exit {code}: {out}{err}");
    for (file, field, kind) in [
        (
            "snapshots/changes.jsonl",
            "field `via.pull_request.title`",
            "github-token",
        ),
        (
            "snapshots/changes.jsonl",
            "field `commit.message`",
            "aws-access-key-id",
        ),
        ("snapshots/access.jsonl", "user_id`", "slack-token"),
    ] {
        let said = err.lines().any(|l| {
            l.starts_with(&format!("warning: {file}: line "))
                && l.contains(field)
                && l.contains(&format!(
                    "credential ({kind}) replaced by [redacted:builtin-credentials]"
                ))
        });
        assert!(said, "no warning for {kind} in {field}: {err}");
    }
    let all = all_packet_bytes(&org.join("packet"));
    for secret in [token.as_str(), aws, slack] {
        assert!(!contains(&all, secret), "{secret} entered the packet");
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} printed"
        );
    }
    let changes = packet_strings(&org, "snapshots/changes.jsonl");
    assert!(
        changes
            .iter()
            .any(|s| s == "PAY-190: use [redacted:builtin-credentials] for the deploy bot"),
        "the title is not redacted in place"
    );
    assert!(
        changes
            .iter()
            .any(|s| s.starts_with("PAY-191: rotate the leaked key [redacted:builtin-credentials]")),
        "the commit message is not redacted in place"
    );
    assert!(builtin_replacements(&org) >= 3);
    reperforms(&org);
}
