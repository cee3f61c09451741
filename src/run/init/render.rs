//! Writes the declared systems as YAML a person will go on editing: comments kept, every
//! value from a repository (names, paths, branches) a double-quoted scalar. A JSON string is
//! a valid YAML double-quoted scalar, so `serde_json` does the escaping.

use std::fmt::Write as _;

use super::{Declared, GitHub, Repo, System, Team};

/// The skeleton's commented header, then `systems:` (and `teams:` for owners the skeleton
/// does not declare).
pub fn systems(header: &str, declared: &Declared) -> String {
    let mut out = header.to_string();
    if !declared.notes.is_empty() {
        out.push_str("#\n");
    }
    for note in &declared.notes {
        let _ = writeln!(out, "# {}", one_line(note));
    }
    if declared.systems.is_empty() {
        out.push_str("\nsystems: []\n");
        return out;
    }
    out.push_str("\nsystems:\n");
    for system in &declared.systems {
        push_system(&mut out, system);
    }
    if !declared.teams.is_empty() {
        out.push_str(
            "\n# Teams named as owners by the repositories' CODEOWNERS or their GitHub write access.\nteams:\n",
        );
        for team in &declared.teams {
            push_team(&mut out, team);
        }
    }
    out
}

fn push_system(out: &mut String, system: &System) {
    let _ = writeln!(out, "  # {}", one_line(&system.origin));
    for note in &system.notes {
        let _ = writeln!(out, "  # {}", one_line(note));
    }
    let _ = writeln!(out, "  - id: {}", quoted(&system.id));
    let _ = writeln!(out, "    name: {}", quoted(&system.name));
    let _ = writeln!(out, "    owner: {}", quoted(&system.owner));
    out.push_str("    in_scope: [sox, soc2]\n");
    out.push_str("    repos:\n");
    for repo in &system.repos {
        push_repo(out, repo);
    }
}

fn push_repo(out: &mut String, repo: &Repo) {
    let _ = writeln!(out, "      - name: {}", quoted(&repo.name));
    let _ = writeln!(out, "        location: {}", quoted(&repo.location));
    let _ = writeln!(out, "        branches: [{}]", quoted(&repo.branch));
    match &repo.github {
        GitHub::Named(github) => {
            let _ = writeln!(out, "        github: {}", quoted(github));
        }
        GitHub::Hint(github) => {
            let _ = writeln!(
                out,
                "        # Uncomment for `itgc sync` to read its merged pull requests (GITHUB_TOKEN):\n        # github: {}",
                quoted(github)
            );
        }
        GitHub::Unknown => {
            let _ = writeln!(
                out,
                "        # Pull requests: `itgc import github-prs FILE --repo {}`, or name the GitHub\n        # repository (`github: OWNER/NAME`) and `itgc sync` reads them (GITHUB_TOKEN).",
                one_line(&repo.name)
            );
        }
    }
}

fn push_team(out: &mut String, team: &Team) {
    let _ = writeln!(out, "  - id: {}", quoted(&team.id));
    let _ = writeln!(out, "    name: {}", quoted(&team.name));
    let _ = writeln!(out, "    contact: {}", quoted(&team.contact));
}

/// A YAML double-quoted scalar holding exactly `text`.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// `text` fit for a comment line: control characters and every other line break YAML knows
/// (NEL is a control; LS and PS are not) as `?`, so data cannot end the comment.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                '?'
            } else {
                c
            }
        })
        .collect()
}
