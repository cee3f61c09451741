//! Who holds an account: accounts resolve to people on the HR roster by employee id, email
//! (lower-cased, policy aliases and roster aliases resolved, `+tag` dropped), the roster's
//! login, or — for systems that name users after the email's local part (AWS IAM) — a local
//! part that only one person on the roster has. Policy bots are the declared service accounts.

use std::collections::HashMap;

use super::super::people::People;
use crate::population::access::{Account, Person, RosterHas};

pub struct Directory<'s> {
    people: &'s [Person],
    keys: HashMap<String, usize>,
    /// Which optional roster columns the people were read with.
    pub has: RosterHas,
}

impl<'s> Directory<'s> {
    pub fn new(people: &'s [Person], names: &People) -> Directory<'s> {
        let mut keys = HashMap::with_capacity(people.len() * 4);
        let mut locals: HashMap<String, Option<usize>> = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            keys.insert(format!("id:{}", p.employee_id.to_lowercase()), i);
            let mut mine: Vec<String> = p.local_parts.clone();
            for email in std::iter::once(&p.email).chain(&p.aliases) {
                let email = names.canonical_email(email);
                if let Some((local, _)) = email.split_once('@') {
                    mine.push(local.to_string());
                }
                keys.insert(format!("email:{email}"), i);
            }
            // The roster's own local parts survive redaction; those of (clear) emails also
            // cover policy aliases. A local part two people share names nobody.
            mine.sort();
            mine.dedup();
            for local in mine {
                locals
                    .entry(local)
                    .and_modify(|slot| {
                        if *slot != Some(i) {
                            *slot = None;
                        }
                    })
                    .or_insert(Some(i));
            }
            if let Some(login) = &p.login {
                keys.insert(format!("login:{}", login.to_lowercase()), i);
            }
        }
        for (local, only) in locals {
            if let Some(i) = only {
                keys.entry(format!("local:{local}")).or_insert(i);
            }
        }
        Directory {
            people,
            keys,
            has: RosterHas::default(),
        }
    }

    /// The person at `index` (as [`Directory::holder_index`] gives it).
    pub fn person(&self, index: u32) -> Option<&'s Person> {
        self.people.get(usize::try_from(index).ok()?)
    }

    /// The index of the person holding `account`, if any key matches.
    pub fn holder_index(&self, account: &Account, names: &People) -> Option<u32> {
        let id = account.user_id.to_lowercase();
        let mut candidates = vec![format!("id:{id}")];
        if let Some(email) = &account.email {
            candidates.push(format!("email:{}", names.canonical_email(email)));
        }
        if id.contains('@') {
            candidates.push(format!("email:{}", names.canonical_email(&id)));
        } else {
            candidates.push(format!("login:{id}"));
            candidates.push(format!("local:{id}"));
        }
        candidates
            .iter()
            .find_map(|k| self.keys.get(k))
            .and_then(|&i| u32::try_from(i).ok())
    }

    /// The person an email (a reviewer, an approver) names.
    pub fn by_email(&self, email: &str, names: &People) -> Option<&'s Person> {
        let key = format!("email:{}", names.canonical_email(email));
        self.keys.get(&key).map(|&i| &self.people[i])
    }

    /// The manager of `person`, by employee id or email.
    pub fn manager(&self, person: &Person, names: &People) -> Option<&'s Person> {
        let m = person.manager.as_deref()?;
        let key = if m.contains('@') {
            format!("email:{}", names.canonical_email(m))
        } else {
            format!("id:{}", m.to_lowercase())
        };
        self.keys.get(&key).map(|&i| &self.people[i])
    }
}
