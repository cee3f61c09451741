//! The `policies/systems.yaml` draft `itgc init --github-org ORG` writes from a discovered
//! organisation: one system per repository, or one per value of a topic the user names
//! (`--group-by-topic TOPIC`: a repository tagged `TOPIC-payments` joins system `payments`,
//! one tagged just `TOPIC` joins system `TOPIC`; the others stay one system each). Each repo
//! gets `github: ORG/NAME`, its default branch and a local clone location; each system's
//! owner is the team with the strongest write access (most repositories breaking a tie).
//!
//! Pure: the text depends on the discovery alone. Everything from GitHub is untrusted, so
//! every value is a quoted YAML scalar and every comment is one line of printable text.

use std::collections::{BTreeMap, BTreeSet};

use crate::source::github::discover::{DiscoveredRepo, Discovery, TeamAccess};

/// The owner of a system no readable team can write to: a team id to replace.
pub const OWNER_PLACEHOLDER: &str = "owner-to-be-named";

/// How repositories become systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping<'a> {
    PerRepo,
    ByTopic(&'a str),
}

/// The draft and what it asks the user to declare or know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The text of `policies/systems.yaml`.
    pub yaml: String,
    /// Team ids the draft names as owners (to declare under `teams:`), placeholder included.
    pub owners: Vec<String>,
    /// Repositories left out because GitHub reports no default branch (empty ones).
    pub skipped: Vec<String>,
}

/// One system of the draft.
struct System<'a> {
    id: String,
    name: String,
    repos: Vec<&'a DiscoveredRepo>,
}

/// Renders the draft.
pub fn systems_draft(discovery: &Discovery, grouping: Grouping) -> Draft {
    let (usable, skipped): (Vec<&DiscoveredRepo>, Vec<&DiscoveredRepo>) = discovery
        .repos
        .iter()
        .partition(|r| r.default_branch.is_some());
    let systems = group(&usable, grouping);
    let mut yaml = header(discovery, grouping, &skipped);
    let mut owners = BTreeSet::new();
    for system in &systems {
        let owner = owner(&system.repos);
        owners.insert(owner.clone());
        render_system(&mut yaml, &discovery.org, system, &owner);
    }
    Draft {
        yaml,
        owners: owners.into_iter().collect(),
        skipped: skipped.iter().map(|r| r.name.clone()).collect(),
    }
}

fn header(discovery: &Discovery, grouping: Grouping, skipped: &[&DiscoveredRepo]) -> String {
    let how = match grouping {
        Grouping::PerRepo => "one system per repository".to_string(),
        Grouping::ByTopic(topic) => format!("grouped by the topic {topic}"),
    };
    let mut out =
        String::from("# yaml-language-server: $schema=../controls/schema/policy.schema.json\n#\n");
    let lines = [
        format!(
            "Draft from the GitHub organisation {} ({how}).",
            discovery.org
        ),
        "Review each system: its name, its owner (a team declared under `teams:`), the".into(),
        "frameworks it is in scope for, its access lists and jobs. Clone each repository".into(),
        "where `location` says (or change it) before `itgc sync`.".into(),
    ];
    for line in lines {
        out.push_str(&format!("# {}\n", comment(&line)));
    }
    if !discovery.archived.is_empty() {
        let n = discovery.archived.len();
        out.push_str(&format!("# {n} archived repositories are left out.\n"));
    }
    for repo in skipped {
        let line = format!(
            "{} is left out: GitHub reports no default branch",
            repo.name
        );
        out.push_str(&format!("# {}\n", comment(&line)));
    }
    out.push_str("\nsystems:\n");
    out
}

/// Systems in a stable order, each with a unique valid id.
fn group<'a>(repos: &[&'a DiscoveredRepo], grouping: Grouping) -> Vec<System<'a>> {
    let mut groups: BTreeMap<String, Vec<&DiscoveredRepo>> = BTreeMap::new();
    let mut singles = Vec::new();
    for repo in repos {
        match grouping {
            Grouping::ByTopic(topic) => match topic_group(repo, topic) {
                Some(key) => groups.entry(key).or_default().push(repo),
                None => singles.push(*repo),
            },
            Grouping::PerRepo => singles.push(*repo),
        }
    }
    let single = singles.into_iter().map(|r| (r.name.clone(), vec![r]));
    let mut taken = BTreeSet::new();
    groups
        .into_iter()
        .chain(single)
        .map(|(name, repos)| System {
            id: unique(slug(&name), &mut taken),
            name,
            repos,
        })
        .collect()
}

/// The group a repository's topics put it in: `TOPIC-value` → `value`, `TOPIC` → `TOPIC`.
fn topic_group(repo: &DiscoveredRepo, topic: &str) -> Option<String> {
    let prefix = format!("{topic}-");
    repo.topics
        .iter()
        .find_map(|t| match t.strip_prefix(&prefix) {
            Some(value) if !value.is_empty() => Some(value.to_string()),
            _ if t == topic => Some(topic.to_string()),
            _ => None,
        })
}

/// The team with the strongest write access, then on the most repositories, then by name;
/// the placeholder when no team's access is known.
fn owner(repos: &[&DiscoveredRepo]) -> String {
    let mut best: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for team in repos.iter().filter_map(|r| r.teams.as_ref()).flatten() {
        let entry = best.entry(team.slug.as_str()).or_default();
        entry.0 = entry.0.max(team.rank());
        entry.1 += 1;
    }
    best.into_iter()
        .max_by(|(a, x), (b, y)| x.cmp(y).then_with(|| b.cmp(a)))
        .map_or_else(|| OWNER_PLACEHOLDER.to_string(), |(slug, _)| team_id(slug))
}

fn render_system(out: &mut String, org: &str, system: &System, owner: &str) {
    out.push_str(&format!("  - id: {}\n", quoted(&system.id)));
    out.push_str(&format!("    name: {}\n", quoted(&system.name)));
    out.push_str(&format!("    owner: {}\n", quoted(owner)));
    for line in access_notes(&system.repos) {
        out.push_str(&format!("    # {}\n", comment(&line)));
    }
    out.push_str("    in_scope: [sox, soc2]\n    repos:\n");
    for repo in &system.repos {
        let branch = repo.default_branch.as_deref().unwrap_or_default();
        out.push_str(&format!("      - name: {}\n", quoted(&repo.name)));
        let location = format!("repos/{}", path_segment(&repo.name));
        out.push_str(&format!("        location: {}\n", quoted(&location)));
        out.push_str(&format!("        branches: [{}]\n", quoted(branch)));
        let github = format!("{org}/{}", repo.name);
        out.push_str(&format!("        github: {}\n", quoted(&github)));
    }
}

/// One comment line per repository: who can write to it, or why that is unknown.
fn access_notes(repos: &[&DiscoveredRepo]) -> Vec<String> {
    let mut lines = Vec::new();
    for repo in repos {
        match &repo.teams {
            Some(teams) if teams.is_empty() => {
                lines.push(format!("{}: no team has write access", repo.name))
            }
            Some(teams) => lines.push(format!("{}: written by {}", repo.name, describe(teams))),
            None => {}
        }
        for warning in &repo.warnings {
            lines.push(format!("{}: {warning}", repo.name));
        }
    }
    lines
}

fn describe(teams: &[TeamAccess]) -> String {
    let named: Vec<String> = teams
        .iter()
        .map(|t| format!("{} ({})", t.slug, t.permission))
        .collect();
    named.join(", ")
}

/// A YAML double-quoted scalar: JSON's string syntax is valid YAML and escapes every control
/// character, so no value can end the scalar or start a new key.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Text for one comment line: line breaks (YAML 1.1's NEL, LS and PS included) and other
/// control characters become spaces, so data cannot end the comment.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// An id in the policy's form (`^[a-z][a-z0-9-]*$`) from a name: lower case, runs of other
/// characters as one `-`, `repo-` in front when it would not start with a letter.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out
    } else {
        format!("repo-{out}").trim_end_matches('-').to_string()
    }
}

fn team_id(slug_text: &str) -> String {
    slug(slug_text)
}

/// `id`, or `id-2`, `id-3`… when taken.
fn unique(id: String, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = id.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{id}-{n}");
        n += 1;
    }
    candidate
}

/// A repository name as one path segment: GitHub's own names already are; anything else
/// (`..`, a separator) is replaced by its slug.
fn path_segment(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain && name != "." && name != ".." && !name.is_empty() {
        name.to_string()
    } else {
        slug(name)
    }
}

#[cfg(test)]
mod tests;
