//! `itgc init --github-org ORG`: the organisation's non-archived repositories declared as
//! systems, one per repository, or one per value of a topic the user names
//! (`--group-by-topic TOPIC`: a repository tagged `TOPIC-payments` joins system `payments`,
//! one tagged just `TOPIC` joins system `TOPIC`; the others stay one system each). Each repo
//! gets `github: ORG/NAME`, its default branch and a local clone location; each system's
//! owner is the team with the strongest write access (most repositories breaking a tie).
//!
//! [`declare`] is pure: it turns a [`Discovery`] into the same [`Declared`] systems that
//! `--repo` gives, so one renderer writes both (and escapes GitHub's untrusted text once).

use std::collections::{BTreeMap, BTreeSet};

use super::{Declared, GitHub, PLACEHOLDER_TEAM, Repo, SKELETON_TEAMS, System, Team, policy_id};
use crate::model::placeholder::MARKER;
use crate::run::Error;
use crate::source::github::api::{ApiConfig, Client, TOKEN_VAR, Token};
use crate::source::github::discover::{DiscoveredRepo, Discovery, TeamAccess, discover_org};

/// How repositories become systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping<'a> {
    PerRepo,
    ByTopic(&'a str),
}

/// Reads the organisation through the GitHub API (`GITHUB_TOKEN`, `GITHUB_API_URL`).
pub fn discover(org: &str) -> Result<Discovery, Error> {
    let token = Token::from_env().ok_or_else(|| {
        Error::usage(format!(
            "--github-org {org}: set {TOKEN_VAR} to a token that can read the organisation's \
             repositories and teams; nothing was written"
        ))
    })?;
    // The client's HTTP stack needs the runtime it will run on.
    crate::run::runtime()?.block_on(async {
        let client = Client::new(ApiConfig::from_env(token)).map_err(Error::usage)?;
        discover_org(&client, org).await.map_err(|e| {
            Error::Incomplete(format!(
                "--github-org {org}: cannot read the organisation: {e}; nothing was written"
            ))
        })
    })
}

/// The systems (and owner teams) the discovered organisation declares.
pub fn declare(discovery: &Discovery, grouping: Grouping) -> Declared {
    let (usable, skipped): (Vec<&DiscoveredRepo>, Vec<&DiscoveredRepo>) = discovery
        .repos
        .iter()
        .partition(|r| r.default_branch.is_some());
    let org = &discovery.org;
    let mut declared = Declared {
        notes: notes(discovery, grouping, &skipped),
        ..Declared::default()
    };
    for group in group(&usable, grouping) {
        let owner = match owner(&group.repos) {
            Some(slug) => owner_team(org, slug, &mut declared.teams),
            None => PLACEHOLDER_TEAM.to_string(),
        };
        declared.systems.push(System {
            id: group.id,
            name: group.name,
            owner,
            repos: group.repos.iter().map(|r| repo(org, r)).collect(),
            origin: format!("--github-org {org}"),
            notes: access_notes(&group.repos),
        });
    }
    declared
}

/// The file's notes: how it was grouped, and what was left out.
fn notes(discovery: &Discovery, grouping: Grouping, skipped: &[&DiscoveredRepo]) -> Vec<String> {
    let how = match grouping {
        Grouping::PerRepo => "one system per repository".to_string(),
        Grouping::ByTopic(topic) => format!("grouped by the topic {topic}"),
    };
    let mut notes = vec![
        format!(
            "Drafted from the GitHub organisation {} ({how}).",
            discovery.org
        ),
        "Clone each repository where `location` says (or change it) before `itgc sync`.".into(),
    ];
    if !discovery.archived.is_empty() {
        let n = discovery.archived.len();
        notes.push(format!("{n} archived repositories are left out."));
    }
    for repo in skipped {
        notes.push(format!(
            "{} is left out: GitHub reports no default branch",
            repo.name
        ));
    }
    notes
}

fn repo(org: &str, found: &DiscoveredRepo) -> Repo {
    Repo {
        name: found.name.clone(),
        location: format!("repos/{}", path_segment(&found.name)),
        branch: found.default_branch.clone().unwrap_or_default(),
        github: GitHub::Named(format!("{org}/{}", found.name)),
    }
}

/// One system of the draft, before its owner is decided.
struct Group<'a> {
    id: String,
    name: String,
    repos: Vec<&'a DiscoveredRepo>,
}

/// Systems in a stable order, each with a unique valid id.
fn group<'a>(repos: &[&'a DiscoveredRepo], grouping: Grouping) -> Vec<Group<'a>> {
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
        .map(|(name, repos)| Group {
            id: unique(id_for(&name), &mut taken),
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

/// The slug of the team with the strongest write access, then on the most repositories, then
/// by name; `None` when no team's write access is known.
fn owner<'a>(repos: &[&'a DiscoveredRepo]) -> Option<&'a str> {
    let mut best: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for team in repos.iter().filter_map(|r| r.teams.as_ref()).flatten() {
        let entry = best.entry(team.slug.as_str()).or_default();
        entry.0 = entry.0.max(team.rank());
        entry.1 += 1;
    }
    best.into_iter()
        .max_by(|(a, x), (b, y)| x.cmp(y).then_with(|| b.cmp(a)))
        .map(|(slug, _)| slug)
}

/// The policy id of the owner team `slug`, declared (with a placeholder contact) unless the
/// skeleton already declares it.
fn owner_team(org: &str, slug: &str, teams: &mut Vec<Team>) -> String {
    let id = id_for(slug);
    if !SKELETON_TEAMS.contains(&id.as_str()) && !teams.iter().any(|t| t.id == id) {
        teams.push(Team {
            id: id.clone(),
            name: format!("@{org}/{slug} (write access on GitHub)"),
            contact: format!("{MARKER} contact for @{org}/{slug}"),
        });
    }
    id
}

/// One note per repository: who can write to it, or why that is unknown.
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

/// A policy id from a GitHub name; `repo` when the name holds no letter to start one.
fn id_for(name: &str) -> String {
    policy_id(name).unwrap_or_else(|| "repo".to_string())
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
/// (`..`, a separator) is replaced by its id.
fn path_segment(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain && name != "." && name != ".." && !name.is_empty() {
        name.to_string()
    } else {
        id_for(name)
    }
}

#[cfg(test)]
mod tests;
