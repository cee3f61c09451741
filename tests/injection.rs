//! Untrusted text (PR titles, commit subjects, author names, account ids) through the real
//! binary: the demo organisation with hostile strings planted in its data, then `gate` under
//! GitHub Actions and `check` in human and Markdown. Nothing may reach the terminal as a
//! control sequence, the runner as a workflow command, or Markdown as markup.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;

mod binary;
use binary::{demo, git, run};

/// Appended to every PR title: a line break into a workflow command (raw and encoded), a
/// terminal retitle and clear, a code span breaker with raw HTML, a table breaker, a bidi
/// override, NUL, NEL, a line separator, and a v1 (`##[`) workflow command.
const TITLE: &str = " \n::error::injected %0A\r\n::warning::x \u{1b}]0;retitled\u{7}\u{1b}[2J \
                     `x` <img src=x onerror=alert(1)> <details> | a | \u{202e}evil \u{85}nel \
                     \u{2028}ls ##[error]v1 \u{0}nul";

/// An account id: markup and an encoded line break (imports refuse control and bidi characters
/// in CSV cells, so those cannot arrive this way).
const ACCOUNT: &str = "mallory`x` <img src=x onerror=alert(1)> | <details> %0A evil";

/// A commit subject and author name (git keeps control characters other than NUL and LF).
const SUBJECT: &str = "Fix `x` <img src=x onerror=alert(1)> <details> | a | \u{1b}]0;retitled\u{7} \u{202e}evil %0A ##[error]v1";
const AUTHOR: &str = "Eve \u{1b}[2J\u{202e}";

struct Org {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// The demo with the hostile strings planted: PR titles re-imported, an account imported,
/// and a direct push on payments-api's main.
fn org() -> &'static Org {
    static ORG: OnceLock<Org> = OnceLock::new();
    ORG.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let root = demo(dir.path());
        hostile_titles(&root);
        hostile_account(&root);
        let repo = root.join("repos/payments-api");
        std::fs::write(repo.join("hostile.txt"), "x\n").unwrap();
        git(&repo, &["add", "hostile.txt"]);
        let message = format!("{SUBJECT}\n\n::error::from the body\n");
        let name = format!("user.name={AUTHOR}");
        git(&repo, &["-c", &name, "commit", "-q", "-m", &message]);
        Org { _dir: dir, root }
    })
}

fn hostile_titles(root: &Path) {
    let path = root.join("exports/github-prs.json");
    let mut prs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for pr in prs.as_array_mut().unwrap() {
        let title = format!("{}{TITLE}", pr["title"].as_str().unwrap());
        pr["title"] = title.into();
    }
    let hostile = root.join("hostile-prs.json");
    std::fs::write(&hostile, serde_json::to_vec(&prs).unwrap()).unwrap();
    let args = [
        "import",
        "--repo",
        "payments-api",
        "github-prs",
        "hostile-prs.json",
    ];
    let (code, _, stderr) = run(root, &args);
    assert_eq!(code, 0, "{stderr}");
}

fn hostile_account(root: &Path) {
    let path = root.join("exports/access/aws-iam.csv");
    let mut csv = std::fs::read_to_string(&path).unwrap();
    csv.push_str(&format!(
        "\"{ACCOUNT}\",arn:aws:iam::210987654321:user/m,2026-08-04T10:20:00+00:00,true,\
         2026-09-29T17:05:00+00:00,2026-08-04T10:20:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,\
         false,N/A,N/A,N/A,N/A,false,N/A,false,N/A,Admins,2026-10-01T08:00:00Z\n"
    ));
    std::fs::write(&path, csv).unwrap();
    let args = [
        "import",
        "--system",
        "aws",
        "access-list",
        "exports/access/aws-iam.csv",
    ];
    let (code, _, stderr) = run(root, &args);
    assert_eq!(code, 0, "{stderr}");
}

/// What no terminal output may contain: each would act on the terminal or reorder text.
fn assert_inert_on_a_terminal(text: &str) {
    for c in text.chars() {
        let hostile = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}');
        assert!(!hostile, "{c:?} reached the terminal:\n{text}");
    }
}

#[test]
fn gate_under_github_actions_emits_only_its_own_workflow_commands() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let out = Command::cargo_bin("itgc")
        .unwrap()
        .current_dir(&org().root)
        .env_remove("ITGC_DATABASE_URL")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["--color", "never", "gate", "--repo", "repos/payments-api"])
        .args(["--commit", "HEAD"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_inert_on_a_terminal(&stdout);
    assert_inert_on_a_terminal(&String::from_utf8_lossy(&out.stderr));

    // Our annotations, then the report fenced off by a stop token the data cannot know.
    let lines: Vec<&str> = stdout.lines().collect();
    let stop = lines
        .iter()
        .position(|l| l.starts_with("::stop-commands::"))
        .expect("the report is fenced");
    let token = lines[stop].trim_start_matches("::stop-commands::");
    assert_eq!(token.len(), 32, "{token}");
    assert_eq!(lines.last(), Some(&format!("::{token}::").as_str()));
    let annotations = &lines[..stop];
    assert!(!annotations.is_empty());
    for line in annotations {
        assert!(line.starts_with("::error title=CM-"), "{line}");
        assert!(!line.contains(['\r', '\u{1b}']), "{line}");
    }
    let report = &lines[stop + 1..lines.len() - 1];
    for line in report {
        assert!(!line.trim_start().starts_with("::"), "{line}");
    }
    // Fenced, and still disarmed: the fence holds only while the runner honours it.
    assert!(
        report.iter().any(|l| l.contains("\\u{23}#[error]v1")),
        "{stdout}"
    );
    assert!(report.iter().all(|l| !l.contains("##[")), "{stdout}");

    // Exact escapes: the title property encodes `%`; control characters are visible.
    let title = "Fix `x` <img src=x onerror=alert(1)> <details> | a | \\u{1b}]0;retitled\\u{7} \\u{202e}evil %250A ##[error]v1::";
    assert!(annotations.iter().all(|l| l.contains(title)), "{stdout}");
    assert!(stdout.contains("by Eve \\u{1b}[2J\\u{202e}"), "{stdout}");

    let md = std::fs::read_to_string(&summary).unwrap();
    assert_inert_on_a_terminal(&md);
    assert!(!md.contains("<img"), "{md}");
    assert!(
        md.contains("Fix \\`x\\` &lt;img src=x onerror=alert(1)&gt; &lt;details&gt; \\| a \\|"),
        "{md}"
    );
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
}

#[test]
fn check_in_human_shows_hostile_text_without_acting_on_it() {
    let (code, stdout, stderr) = run(&org().root, &["check", "--period", "2026-Q3"]);
    assert_eq!(code, 1, "{stderr}");
    assert_inert_on_a_terminal(&stdout);
    assert_inert_on_a_terminal(&stderr);
    assert!(
        stdout.lines().all(|l| !l.trim_start().starts_with("::")),
        "{stdout}"
    );
    let shown = " \\n::error::injected %0A\\r\\n::warning::x \\u{1b}]0;retitled\\u{7}\\u{1b}[2J `x` <img src=x onerror=alert(1)> <details> | a | \\u{202e}evil \\u{85}nel \\u{2028}ls \\u{23}#[error]v1 \\u{0}nul";
    assert!(stdout.contains(shown), "{stdout}");
    assert!(!stdout.contains("##["), "{stdout}");
    assert!(
        stdout.contains("aws-iam:mallory`x` <img src=x onerror=alert(1)> | <details> %0A evil"),
        "{stdout}"
    );
}

#[test]
fn check_in_markdown_opens_no_markup() {
    let args = ["check", "--period", "2026-Q3", "--format", "markdown"];
    let (code, md, stderr) = run(&org().root, &args);
    assert_eq!(code, 1, "{stderr}");
    assert_inert_on_a_terminal(&md);
    assert!(!md.contains("<img"), "{md}");
    assert!(
        md.lines().all(|l| !l.trim_start().starts_with("::")),
        "{md}"
    );
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    // Every line is one the renderer starts: a heading, a table row, a list item, a fold.
    for line in md.lines().filter(|l| !l.is_empty()) {
        let ours = ["## ", "| ", "|-", "<details>", "</details>", "- ", "  - "];
        let counts = line.chars().next().is_some_and(|c| c.is_ascii_digit());
        assert!(
            ours.iter().any(|p| line.starts_with(p)) || counts,
            "{line:?}"
        );
    }
    let shown = " \\n\\:\\:error\\:\\:injected %0A\\r\\n\\:\\:warning\\:\\:x \\u{1b}\\]0;retitled\\u{7}\\u{1b}\\[2J \\`x\\` &lt;img src=x onerror=alert(1)&gt; &lt;details&gt; \\| a \\|";
    assert!(md.contains(shown), "{md}");
    assert!(md.contains("aws-iam\\:mallory\\`x\\` &lt;img"), "{md}");
}
