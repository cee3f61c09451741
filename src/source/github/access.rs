//! A GitHub organisation's access, as `api::sync_access` read it, turned into the access-list
//! snapshot every logical-access rule reads (the same `ListSnapshot` a file import makes).
//!
//! One account per login (lower case, as identity matching compares user ids), with roles:
//! `org:admin` / `org:member`, `outside-collaborator`, `team:<slug>` (plus
//! `team:<slug>:maintainer` for a team maintainer), and `repo:<name>:<permission>` for each
//! named repository (`admin`, `maintain`, `write`, `triage`, `read`).
//!
//! Privileged: a role the policy lists in `privileged_roles`, and by default `org:admin` (an
//! owner administers every repository and the organisation itself) and `repo:<name>:admin`
//! (can change branch protection, the control that change management relies on), even when
//! the policy does not list them: leaving an owner out of privileged-access testing because a
//! list forgot a role name would be a silent gap.
//!
//! GitHub does not expose when an account was created in the organisation, last used, or
//! disabled, so the snapshot says it has none of them (`Has` all false): rules that need them
//! report missing data instead of passing.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::api::OrgAccess;
use crate::facts::Import;
use crate::facts::access::{Account, Has, ListSnapshot};
use crate::hex::hex;
use crate::model::policy::AccessList;

/// The canonical bytes of what was read (RFC 8785 JSON, every list sorted): their SHA-256 is
/// the snapshot's evidence reference, reproducible by anyone holding the same answer.
pub fn canonical_bytes(access: &OrgAccess) -> Vec<u8> {
    // Serialising plain strings and lists cannot fail.
    serde_json_canonicalizer::to_vec(access).unwrap_or_default()
}

/// What one read becomes in the store: the access list `list` of `system` as of `as_of` (whole
/// seconds: the store keeps no more), and the import record that puts the read in the packet
/// manifest beside file imports: kind `access-list`, scope the system, and `github:<org>` where
/// a file's name would be. Both name the digest of the same canonical bytes, made once.
pub fn stored(
    access: &OrgAccess,
    system: &str,
    list: &AccessList,
    as_of: Timestamp,
) -> (ListSnapshot, Import) {
    let bytes = canonical_bytes(access);
    let snapshot = snapshot_of(access, system, list, as_of, hex(&Sha256::digest(&bytes)));
    let import = Import {
        kind: "access-list".into(),
        scope: Some(snapshot.system.clone()),
        file_name: format!("github:{}", access.org),
        sha256: snapshot.sha256.clone(),
        bytes: bytes.len() as u64,
        rows: snapshot.accounts.len() as u64,
        as_of: Some(snapshot.as_of),
    };
    (snapshot, import)
}

fn snapshot_of(
    access: &OrgAccess,
    system: &str,
    list: &AccessList,
    as_of: Timestamp,
    sha256: String,
) -> ListSnapshot {
    let mut people: BTreeMap<String, Holder> = BTreeMap::new();
    let mut grant = |login: &str, role: String| {
        people
            .entry(login.to_lowercase())
            .or_default()
            .roles
            .insert(role);
    };
    for m in &access.members {
        grant(&m.login, format!("org:{}", m.role.to_lowercase()));
    }
    for login in &access.outside_collaborators {
        grant(login, "outside-collaborator".into());
    }
    for team in &access.teams {
        for g in &team.members {
            grant(&g.login, format!("team:{}", team.slug));
            if g.role.eq_ignore_ascii_case("MAINTAINER") {
                grant(&g.login, format!("team:{}:maintainer", team.slug));
            }
        }
    }
    for repo in &access.repos {
        for g in &repo.collaborators {
            grant(
                &g.login,
                format!("repo:{}:{}", repo.name, g.role.to_lowercase()),
            );
        }
    }
    for m in &access.members {
        let holder = people.entry(m.login.to_lowercase()).or_default();
        holder.name = m.name.clone();
        holder.email = m.email.clone();
    }
    let accounts = people
        .into_iter()
        .map(|(login, holder)| holder.account(login, list))
        .collect();
    ListSnapshot {
        system: system.to_string(),
        list: list.id.clone(),
        as_of,
        sha256,
        has: Has::default(),
        activity: Vec::new(),
        accounts,
    }
}

#[derive(Default)]
struct Holder {
    roles: BTreeSet<String>,
    name: Option<String>,
    email: Option<String>,
}

impl Holder {
    fn account(self, user_id: String, list: &AccessList) -> Account {
        let privileged = self.roles.iter().any(|r| is_privileged(r, list));
        Account {
            user_id,
            email: self.email,
            display_name: self.name,
            roles: self.roles.into_iter().collect(),
            privileged: Some(privileged),
            created: None,
            last_login: None,
            uses: Vec::new(),
            disabled: false,
            mfa: None,
            password: None,
            attributes: Default::default(),
        }
    }
}

fn is_privileged(role: &str, list: &AccessList) -> bool {
    let by_default = role == "org:admin" || (role.starts_with("repo:") && role.ends_with(":admin"));
    by_default
        || list
            .privileged_roles
            .iter()
            .any(|p| p.eq_ignore_ascii_case(role))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::github::api::{Grant, Member, RepoAccess, Team};

    fn list(privileged: &[&str]) -> AccessList {
        AccessList {
            id: "github-org".into(),
            format: None,
            columns: None,
            github: Some("acme".into()),
            repos: vec!["api".into()],
            privileged_roles: privileged.iter().map(|r| r.to_string()).collect(),
            never_disabled: false,
        }
    }

    fn grant(login: &str, role: &str) -> Grant {
        Grant {
            login: login.into(),
            role: role.into(),
        }
    }

    fn access() -> OrgAccess {
        OrgAccess {
            org: "acme".into(),
            members: vec![
                Member {
                    login: "Ann".into(),
                    role: "ADMIN".into(),
                    name: Some("Ann A".into()),
                    email: Some("ann@acme.example".into()),
                },
                Member {
                    login: "bob".into(),
                    role: "MEMBER".into(),
                    name: None,
                    email: None,
                },
            ],
            outside_collaborators: vec!["vendor".into()],
            teams: vec![Team {
                slug: "leads".into(),
                members: vec![grant("bob", "MAINTAINER")],
            }],
            repos: vec![RepoAccess {
                name: "api".into(),
                collaborators: vec![grant("ann", "ADMIN"), grant("vendor", "WRITE")],
            }],
        }
    }

    #[test]
    fn one_account_per_login_with_every_role() {
        let at = Timestamp::from_second(1_790_000_000).unwrap();
        let snap = stored(&access(), "github", &list(&["team:leads:maintainer"]), at).0;
        let got: Vec<(&str, Vec<&str>, Option<bool>)> = snap
            .accounts
            .iter()
            .map(|a| {
                let roles = a.roles.iter().map(String::as_str).collect();
                (a.user_id.as_str(), roles, a.privileged)
            })
            .collect();
        assert_eq!(
            got,
            [
                ("ann", vec!["org:admin", "repo:api:admin"], Some(true)),
                (
                    "bob",
                    vec!["org:member", "team:leads", "team:leads:maintainer"],
                    Some(true)
                ),
                (
                    "vendor",
                    vec!["outside-collaborator", "repo:api:write"],
                    Some(false)
                ),
            ]
        );
        assert_eq!(snap.accounts[0].display_name.as_deref(), Some("Ann A"));
        assert_eq!(snap.has, Has::default());
        assert_eq!(snap.sha256.len(), 64);
    }

    #[test]
    fn the_digest_changes_with_what_was_read() {
        let at = Timestamp::from_second(0).unwrap();
        let a = stored(&access(), "github", &list(&[]), at).0;
        let mut other = access();
        other.outside_collaborators.clear();
        let b = stored(&other, "github", &list(&[]), at).0;
        assert_ne!(a.sha256, b.sha256);
        assert_eq!(
            a.sha256,
            stored(&access(), "github", &list(&[]), at).0.sha256
        );
        let (_, record) = stored(&access(), "github", &list(&[]), at);
        assert_eq!(record.file_name, "github:acme");
        assert_eq!((record.rows, record.scope.as_deref()), (3, Some("github")));
    }
}
