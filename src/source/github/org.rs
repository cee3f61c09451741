//! The GitHub organisation export: members with their emails and teams, and outside
//! collaborators. It tells evaluation which logins belong to which people and teams
//! (CODEOWNERS names teams; reviews name logins).
//!
//! Shape: `{ "org": "acme", "as_of": "2026-10-01T08:00:00Z", "members": [{ "login",
//! "name", "email", "role", "two_factor_enabled", "teams": ["slug", …] }, …],
//! "outside_collaborators": [{ "login", "name", "email", "repos": … }, …] }`.

use std::path::Path;

use jiff::Timestamp;
use serde::Deserialize;

use crate::facts::OrgMember;

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {at}: {message}", path.display())]
    Invalid {
        path: std::path::PathBuf,
        /// JSON path of the problem, e.g. `members[3].login`.
        at: String,
        message: String,
    },
}

/// An organisation's membership as of a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub org: String,
    pub as_of: Timestamp,
    pub members: Vec<OrgMember>,
}

#[derive(Deserialize)]
struct File {
    org: String,
    as_of: Timestamp,
    members: Vec<Member>,
    #[serde(default)]
    outside_collaborators: Vec<Member>,
}

#[derive(Deserialize)]
struct Member {
    login: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    teams: Vec<String>,
}

/// Refused above this size: an organisation export is kilobytes to a few megabytes.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

pub fn read(path: &Path) -> Result<Org, OrgError> {
    let read_err = |source| OrgError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_BYTES {
        return Err(invalid(
            path,
            "",
            format!("{size} bytes is over the {MAX_BYTES}-byte limit"),
        ));
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    parse(path, &bytes)
}

pub fn parse(path: &Path, bytes: &[u8]) -> Result<Org, OrgError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let file: File = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| invalid(path, &e.path().to_string(), e.inner().to_string()))?;
    let mut members: Vec<OrgMember> = file
        .members
        .into_iter()
        .chain(file.outside_collaborators)
        .map(|m| OrgMember {
            login: m.login,
            name: m.name,
            email: m.email,
            teams: m.teams,
        })
        .collect();
    members.sort_by(|a, b| a.login.cmp(&b.login));
    if let Some(w) = members
        .windows(2)
        .find(|w| w[0].login.eq_ignore_ascii_case(&w[1].login))
    {
        let message = format!("login `{}` is listed twice", w[1].login);
        return Err(invalid(path, "members", message));
    }
    Ok(Org {
        org: file.org,
        as_of: file.as_of,
        members,
    })
}

fn invalid(path: &Path, at: &str, message: String) -> OrgError {
    OrgError::Invalid {
        path: path.to_path_buf(),
        at: if at.is_empty() {
            "(file)".into()
        } else {
            at.into()
        },
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_collaborators_are_read_with_their_teams() {
        let text = br#"{"org":"acme","as_of":"2026-10-01T08:00:00Z",
            "members":[{"login":"b","email":"b@x","teams":["platform"],"role":"admin"}],
            "outside_collaborators":[{"login":"a","repos":["api"]}]}"#;
        let org = parse(Path::new("org.json"), text).unwrap();
        assert_eq!(org.members.len(), 2);
        assert_eq!(org.members[1].teams, ["platform"]);
    }

    #[test]
    fn errors_name_the_json_path() {
        let text = br#"{"org":"acme","as_of":"2026-10-01T08:00:00Z","members":[{"name":"x"}]}"#;
        let err = parse(Path::new("org.json"), text).unwrap_err().to_string();
        assert!(err.contains("members[0]"), "{err}");
        assert!(err.contains("login"), "{err}");
        let dup = br#"{"org":"a","as_of":"2026-10-01T08:00:00Z","members":[{"login":"X"},{"login":"x"}]}"#;
        assert!(
            parse(Path::new("o"), dup)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }
}
