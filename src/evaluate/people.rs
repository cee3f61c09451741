//! Who is who: git names people by email, GitHub by login. Independence ("someone other than
//! the author") needs both to meet, so every identity is expanded to all the keys it is known
//! by, and two identities are the same person when their keys overlap.

use std::collections::{BTreeMap, BTreeSet};

use super::policy::PolicyView;
use crate::population::Snapshot;

#[derive(Debug, Default)]
pub struct People {
    emails_of: BTreeMap<String, BTreeSet<String>>,
    login_of: BTreeMap<String, String>,
    aliases: BTreeMap<String, String>,
    /// Display names (normalised) and logins → the identities the data shows with them, for
    /// people a `Co-authored-by:` trailer names without an email.
    names: BTreeMap<String, BTreeSet<Identity>>,
}

/// An account or signature as the data shows it: (login, email).
type Identity = (Option<String>, Option<String>);

/// The keys one identity is known by: `login:x` and `email:y`, lower-cased.
pub type Keys = BTreeSet<String>;

impl People {
    /// Learns login ↔ email pairs from organisation members, pull-request commit authors and
    /// policy bots.
    pub fn new(snapshot: &Snapshot, policy: &PolicyView<'_>) -> People {
        let mut people = People {
            aliases: policy.aliases.clone(),
            ..People::default()
        };
        for member in snapshot.members.iter().flatten() {
            people.learn(&member.login, member.email.as_deref());
            people.name(
                member.name.as_deref(),
                Some(&member.login),
                member.email.as_deref(),
            );
        }
        let prs = snapshot.changes.iter().filter_map(|c| c.pull_request());
        for commit in prs.clone().flat_map(|pr| pr.commits.iter().flatten()) {
            for author in &commit.authors {
                people.learn(&author.login, author.email.as_deref());
            }
        }
        for bot in &policy.bots {
            people.learn(&bot.login, bot.email.as_deref());
        }
        people.learn_names(snapshot, prs);
        people
    }

    /// Who appears under which name: git signatures (name + email) and GitHub accounts
    /// (login, with a name and email when the source gave them).
    fn learn_names<'a>(
        &mut self,
        snapshot: &Snapshot,
        prs: impl Iterator<Item = &'a crate::facts::PullRequest>,
    ) {
        for change in &snapshot.changes {
            for s in [&change.commit.author, &change.commit.committer] {
                if !is_web_flow(&s.email) {
                    self.name(Some(&s.name), None, Some(&s.email));
                }
            }
        }
        for pr in prs {
            let commits = pr.commits.iter().flatten().flat_map(|c| &c.authors);
            let reviewers = pr.reviews.iter().flatten().map(|r| &r.author);
            let others = [Some(&pr.author), pr.merged_by.as_ref()]
                .into_iter()
                .flatten();
            for actor in commits.chain(reviewers).chain(others) {
                let login = Some(actor.login.as_str()).filter(|l| !l.is_empty());
                self.name(actor.name.as_deref(), login, actor.email.as_deref());
            }
        }
    }

    fn name(&mut self, name: Option<&str>, login: Option<&str>, email: Option<&str>) {
        let identity = (login.map(str::to_string), email.map(str::to_string));
        for key in [name, login].into_iter().flatten().map(normalise_name) {
            if !key.is_empty() {
                self.names.entry(key).or_default().insert(identity.clone());
            }
        }
    }

    /// The keys of the one person the data knows by this name (or login), or `None` when it
    /// knows nobody or several people by it: a name is only an identity when it is unique.
    pub fn keys_by_name(&self, name: &str) -> Option<Keys> {
        let identities = self.names.get(&normalise_name(name))?;
        let mut people: Vec<Keys> = Vec::new();
        for (login, email) in identities {
            let mut keys = self.keys(login.as_deref(), email.as_deref());
            // Identities that share a key are one person: fold them together.
            people.retain(|other| {
                let overlaps = same(&keys, other);
                if overlaps {
                    keys.extend(other.iter().cloned());
                }
                !overlaps
            });
            people.push(keys);
        }
        match people.len() {
            1 => people.pop(),
            _ => None,
        }
    }

    fn learn(&mut self, login: &str, email: Option<&str>) {
        let Some(email) = email.map(|e| self.canonical_email(e)) else {
            return;
        };
        let login = login.to_lowercase();
        self.emails_of
            .entry(login.clone())
            .or_default()
            .insert(email.clone());
        self.login_of.entry(email).or_insert(login);
    }

    /// Lower-case, policy aliases resolved, `+tag` dropped from the local part.
    pub fn canonical_email(&self, email: &str) -> String {
        let lower = email.trim().to_lowercase();
        let resolved = self.aliases.get(&lower).cloned().unwrap_or(lower);
        match resolved.split_once('@') {
            Some((local, domain)) if !domain.ends_with("users.noreply.github.com") => {
                let local = local.split('+').next().unwrap_or(local);
                format!("{local}@{domain}")
            }
            _ => resolved,
        }
    }

    /// Every key the identity is known by.
    pub fn keys(&self, login: Option<&str>, email: Option<&str>) -> Keys {
        let mut keys = Keys::new();
        let mut logins: Vec<String> = login.map(str::to_lowercase).into_iter().collect();
        if let Some(email) = email {
            let email = self.canonical_email(email);
            logins.extend(self.login_of.get(&email).cloned());
            logins.extend(noreply_login(&email));
            keys.insert(format!("email:{email}"));
        }
        for login in logins {
            for email in self.emails_of.get(&login).into_iter().flatten() {
                keys.insert(format!("email:{email}"));
            }
            keys.insert(format!("login:{login}"));
        }
        keys
    }

    /// The GitHub login an email is known to belong to.
    pub fn login_for(&self, email: &str) -> Option<&str> {
        self.login_of
            .get(&self.canonical_email(email))
            .map(String::as_str)
    }
}

/// Lower case, whitespace collapsed: `Ada  Lovelace` and `ada lovelace` are one name.
fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// GitHub's private commit emails name the login: `123+login@users.noreply.github.com`.
fn noreply_login(email: &str) -> Option<String> {
    let local = email.strip_suffix("@users.noreply.github.com")?;
    let login = local.split_once('+').map_or(local, |(_, l)| l);
    Some(login.to_string())
}

/// Whether two key sets name the same person.
pub fn same(a: &Keys, b: &Keys) -> bool {
    a.intersection(b).next().is_some()
}

/// GitHub's own committer on squash and web merges: not a person, never a conflict.
pub fn is_web_flow(email: &str) -> bool {
    email.eq_ignore_ascii_case("noreply@github.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> People {
        let mut p = People::default();
        p.aliases
            .insert("tomas@laptop.local".into(), "tomas@example.com".into());
        p.learn("Talvarez", Some("Tomas@Example.com"));
        p
    }

    #[test]
    fn login_and_email_meet() {
        let p = people();
        let by_login = p.keys(Some("talvarez"), None);
        let by_email = p.keys(None, Some("tomas+work@example.com"));
        let by_alias = p.keys(None, Some("tomas@laptop.local"));
        assert!(same(&by_login, &by_email));
        assert!(same(&by_login, &by_alias));
        assert!(!same(&by_login, &p.keys(Some("esokolova"), None)));
    }

    #[test]
    fn a_name_is_an_identity_only_when_one_person_has_it() {
        let mut p = people();
        p.name(Some("Tomás Álvarez"), None, Some("tomas@example.com"));
        p.name(Some("tomas  álvarez"), Some("talvarez"), None);
        let tomas = p
            .keys_by_name("TOMÁS ÁLVAREZ")
            .expect("one person under two spellings");
        assert!(same(&tomas, &p.keys(Some("talvarez"), None)));
        assert!(
            p.keys_by_name("talvarez").is_some(),
            "a login names its account"
        );
        p.name(Some("Alex Kim"), None, Some("alex.kim@example.com"));
        p.name(Some("Alex Kim"), None, Some("akim@other.example"));
        assert_eq!(
            p.keys_by_name("Alex Kim"),
            None,
            "two people share the name"
        );
        assert_eq!(p.keys_by_name("Nobody"), None);
    }

    #[test]
    fn noreply_emails_name_their_login() {
        let p = people();
        let bot = p.keys(
            None,
            Some("49699333+dependabot[bot]@users.noreply.github.com"),
        );
        assert!(same(&bot, &p.keys(Some("dependabot[bot]"), None)));
    }
}
