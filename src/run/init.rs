//! `itgc init`: a project skeleton that validates as written (the built-in catalogue, policies
//! whose only gaps are `CHANGE-ME` placeholders, the JSON Schemas, `.itgc/config.yaml`), with
//! the systems the user asked to declare.
//!
//! Declared systems come from sources (local repositories, [`local_repos`]; a GitHub
//! organisation, [`github_org`]); each source
//! returns a [`Declared`], they are merged with [`Declared::extend`], and [`files`] renders the
//! whole project. [`write`] writes it, refusing to overwrite anything.

pub mod github_org;
mod render;

use std::path::{Component, Path, PathBuf};

use super::Error;
use crate::model::builtin;
use crate::model::placeholder::MARKER;
use crate::model::schema::SchemaKind;
use crate::source::git;

/// The placeholder team a system is owned by when nothing names its owner.
pub const PLACEHOLDER_TEAM: &str = "engineering";

/// The teams the skeleton's organisation.yaml declares: every owner the catalogue names.
pub const SKELETON_TEAMS: [&str; 3] = ["engineering", "security", "platform"];

const ORGANISATION: &str = include_str!("init/skeleton/organisation.yaml");
const SYSTEMS_HEADER: &str = include_str!("init/skeleton/systems.yaml");
const EXCEPTIONS: &str = include_str!("init/skeleton/exceptions.yaml");
const REDACTION: &str = include_str!("init/skeleton/redaction.yaml");

const CONFIG: &str = "# itgc project settings; paths are relative to the folder holding .itgc/\n\
controls: controls\npolicies: policies\ndatabase_url: sqlite://.itgc/itgc.db\ntime_zone: UTC\n";

/// Systems (and the teams that own them) to declare in the scaffold's systems.yaml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    pub systems: Vec<System>,
    /// Teams beyond the skeleton's, named by the systems' owners.
    pub teams: Vec<Team>,
    /// Comment lines for the top of systems.yaml (what a source left out, and why).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    /// Policy id: lower case, digits and dashes.
    pub id: String,
    pub name: String,
    /// A team id: one of [`SKELETON_TEAMS`] or of [`Declared::teams`].
    pub owner: String,
    pub repos: Vec<Repo>,
    /// Where the declaration came from, for the file's comment (`--repo ../payments-api`).
    pub origin: String,
    /// Further comment lines for the person reviewing it (who can write to its repos).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub name: String,
    /// Where the clone is, relative to the project when it can be.
    pub location: String,
    pub branch: String,
    pub github: GitHub,
}

/// What a declared repository says about its GitHub repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitHub {
    /// Nothing known: the file says how to supply pull requests.
    Unknown,
    /// The repository a clone's origin names: written commented out, since `itgc sync` then
    /// needs a token the user may not have.
    Hint(String),
    /// The repository it was discovered as (`--github-org`): written as `github:`.
    Named(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub contact: String,
}

impl Declared {
    /// Adds another source's systems; a system id declared twice is an error naming both.
    pub fn extend(&mut self, other: Declared) -> Result<(), Error> {
        for system in other.systems {
            if let Some(first) = self.systems.iter().find(|s| s.id == system.id) {
                return Err(Error::usage(format!(
                    "{} and {} would both be declared as system `{}`; declare one of them by hand",
                    first.origin, system.origin, system.id
                )));
            }
            self.systems.push(system);
        }
        for team in other.teams {
            if !self.teams.iter().any(|t| t.id == team.id) {
                self.teams.push(team);
            }
        }
        self.notes.extend(other.notes);
        Ok(())
    }
}

/// Declares each local repository in `paths` (as given on the command line) as a system of
/// its own: named after its directory, its default branch read from HEAD, owned by the team
/// its CODEOWNERS gives the whole tree, else [`PLACEHOLDER_TEAM`]. Locations are written
/// relative to `project` where they can be.
pub fn local_repos(project: &Path, paths: &[PathBuf]) -> Result<Declared, Error> {
    let mut declared = Declared::default();
    let base = absolute(project)?;
    for path in paths {
        let found = git::describe(path)
            .map_err(|e| Error::usage(format!("--repo {}: {e}", path.display())))?;
        let full = path
            .canonicalize()
            .map_err(|e| Error::usage(format!("--repo {}: {e}", path.display())))?;
        let dir_name = repo_name(&full);
        let id = policy_id(&dir_name).ok_or_else(|| {
            Error::usage(format!(
                "--repo {}: cannot make a system id from the directory name `{dir_name}`",
                path.display()
            ))
        })?;
        let owner_team = found.codeowners.as_deref().and_then(codeowners_team);
        let owner = match &owner_team {
            Some(team) => team.id.clone(),
            None => PLACEHOLDER_TEAM.to_string(),
        };
        let system = System {
            id,
            name: dir_name.clone(),
            owner,
            repos: vec![Repo {
                name: dir_name,
                location: relative(&base, &full),
                branch: found.branch,
                github: found.github.map_or(GitHub::Unknown, GitHub::Hint),
            }],
            origin: format!("--repo {}", path.display()),
            notes: Vec::new(),
        };
        declared.extend(Declared {
            systems: vec![system],
            teams: owner_team.into_iter().collect(),
            notes: Vec::new(),
        })?;
    }
    Ok(declared)
}

/// Every file `init` writes, relative to the project directory, with its contents.
pub fn files(declared: &Declared) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = builtin::CONTROLS
        .iter()
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect();
    files.extend([
        ("policies/organisation.yaml".into(), ORGANISATION.into()),
        (
            "policies/systems.yaml".into(),
            render::systems(SYSTEMS_HEADER, declared),
        ),
        ("policies/exceptions.yaml".into(), EXCEPTIONS.into()),
        ("policies/redaction.yaml".into(), REDACTION.into()),
    ]);
    for kind in [SchemaKind::Control, SchemaKind::Policy] {
        files.push((
            format!("controls/schema/{}", kind.file_name()),
            kind.generate_pretty(),
        ));
    }
    files.push((".itgc/config.yaml".into(), CONFIG.into()));
    files.push((".itgc/.gitignore".into(), "itgc.db*\n".into()));
    files
}

/// Writes `files` under `project`: nothing when any of them exists already, and on a failed
/// write the files written so far are removed again.
pub fn write(project: &Path, files: &[(String, String)]) -> Result<(), Error> {
    let existing: Vec<String> = files
        .iter()
        .map(|(rel, _)| project.join(rel))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if let Some(first) = existing.first() {
        return Err(Error::usage(format!(
            "refusing to overwrite {} existing file(s), e.g. {first}; nothing was written",
            existing.len()
        )));
    }
    write_all(project, files).map_err(|e| {
        Error::usage(format!(
            "cannot scaffold {}: {e}; nothing was left behind",
            project.display()
        ))
    })
}

fn write_all(dir: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    let mut written: Vec<PathBuf> = Vec::new();
    for (rel, text) in files {
        let path = dir.join(rel);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, text));
        if let Err(e) = result {
            written.iter().for_each(|p| drop(std::fs::remove_file(p)));
            return Err(e);
        }
        written.push(path);
    }
    Ok(())
}

/// The repository's name: its directory's, without a bare repository's `.git`.
fn repo_name(full: &Path) -> String {
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(".git") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => name,
    }
}

/// A policy id (`^[a-z][a-z0-9-]*$`) from a free name: lower case, runs of anything else one
/// dash; `None` when no letter is left to start it.
pub fn policy_id(name: &str) -> Option<String> {
    let mut id = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id
        .trim_end_matches('-')
        .trim_start_matches(|c: char| !c.is_ascii_lowercase());
    (!id.is_empty()).then(|| id.to_string())
}

/// The team CODEOWNERS gives the whole tree: the first `@org/team` of the last `*` line (the
/// last matching line wins, as on GitHub), else the first team the file names at all.
fn codeowners_team(text: &str) -> Option<Team> {
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .map(|l| l.split_whitespace().collect::<Vec<&str>>())
        .filter(|words| !words.is_empty())
        .collect();
    let team_of = |words: &Vec<&str>| {
        words[1..]
            .iter()
            .find_map(|w| w.strip_prefix('@').filter(|t| t.contains('/')))
            .map(str::to_string)
    };
    let catch_all = lines.iter().rev().find(|w| w[0] == "*").and_then(team_of);
    let handle = catch_all.or_else(|| lines.iter().find_map(team_of))?;
    let slug = handle.rsplit('/').next().unwrap_or_default();
    Some(Team {
        id: policy_id(slug)?,
        name: format!("@{handle} (from CODEOWNERS)"),
        contact: format!("{MARKER} contact for @{handle}"),
    })
}

/// `path` made absolute without requiring it to exist: its nearest existing ancestor is
/// canonicalized (symlinks resolved, as for the repositories) and the rest appended.
fn absolute(path: &Path) -> Result<PathBuf, Error> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::usage(format!("cannot read the current directory: {e}")))?;
    let mut full = cwd.join(path);
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(found) = full.canonicalize() {
            return Ok(rest.iter().rev().fold(found, |p, c| p.join(c)));
        }
        match (full.file_name().map(|n| n.to_os_string()), full.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                full = parent.to_path_buf();
            }
            _ => return Ok(cwd.join(path)),
        }
    }
}

/// `target` relative to `base` (both absolute), `/`-separated; `target` itself when they share
/// no root (another drive).
fn relative(base: &Path, target: &Path) -> String {
    let base: Vec<Component> = base.components().collect();
    let target_parts: Vec<Component> = target.components().collect();
    let common = base
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return target.display().to_string();
    }
    let ups = std::iter::repeat_n("..".to_string(), base.len() - common);
    let downs = target_parts[common..]
        .iter()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    let parts: Vec<String> = ups.chain(downs).collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests;
