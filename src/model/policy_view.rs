//! The policy as loading and evaluation see it: every policy file's sections merged into one
//! view with lookups by id. Built once per run from a validated catalogue (ids are known
//! unique). Part of the model, so that population and evaluation both read it downstream.

use std::collections::BTreeMap;

use globset::{Glob, GlobMatcher};

use crate::model::catalog::Catalog;
use crate::model::policy::{Bot, Exception, Group, OwnerRoute, System};

pub struct PolicyView<'a> {
    pub systems: BTreeMap<&'a str, &'a System>,
    pub bots: Vec<&'a Bot>,
    pub groups: BTreeMap<&'a str, &'a Group>,
    pub exceptions: Vec<&'a Exception>,
    owners: Vec<Route<'a>>,
    /// Email aliases from people sources (alias → canonical email), lower-cased.
    pub aliases: BTreeMap<String, String>,
}

/// An owner route with its path glob compiled.
struct Route<'a> {
    route: &'a OwnerRoute,
    path: Option<GlobMatcher>,
}

impl<'a> PolicyView<'a> {
    pub fn new(catalog: &'a Catalog) -> PolicyView<'a> {
        let files = || catalog.policies.iter().map(|p| &p.value);
        PolicyView {
            systems: files()
                .flat_map(|f| &f.systems)
                .map(|s| (s.id.as_str(), s))
                .collect(),
            bots: files().flat_map(|f| &f.bots).collect(),
            groups: files()
                .flat_map(|f| &f.groups)
                .map(|g| (g.id.as_str(), g))
                .collect(),
            exceptions: files().flat_map(|f| &f.exceptions).collect(),
            owners: files().flat_map(|f| &f.owners).map(Route::new).collect(),
            aliases: files()
                .flat_map(|f| &f.people)
                .flat_map(|p| &p.aliases)
                .map(|(alias, email)| (alias.to_lowercase(), email.to_lowercase()))
                .collect(),
        }
    }

    /// The bot a login or email belongs to, if policy lists it.
    pub fn bot(&self, login: Option<&str>, email: Option<&str>) -> Option<&'a Bot> {
        self.bots.iter().copied().find(|bot| {
            let login_matches = login.is_some_and(|l| l.eq_ignore_ascii_case(&bot.login));
            let email_matches = match (email, &bot.email) {
                (Some(e), Some(b)) => e.eq_ignore_ascii_case(b),
                _ => false,
            };
            login_matches || email_matches
        })
    }

    /// The team accountable for an item: the most specific route wins (job, then path, then
    /// repo, then system), then the system's owner.
    pub fn owner(&self, target: &OwnerTarget<'_>) -> Option<String> {
        let best = self
            .owners
            .iter()
            .filter_map(|r| r.specificity(target).map(|s| (s, r.route.team.as_str())))
            .max_by_key(|(s, _)| *s);
        best.map(|(_, team)| team.to_string()).or_else(|| {
            target
                .system
                .and_then(|id| self.systems.get(id))
                .map(|s| s.owner.clone())
        })
    }
}

/// What an owner route can match on.
#[derive(Debug, Default, Clone, Copy)]
pub struct OwnerTarget<'t> {
    pub system: Option<&'t str>,
    pub repo: Option<&'t str>,
    pub paths: &'t [String],
    pub job: Option<&'t str>,
}

impl<'a> Route<'a> {
    fn new(route: &'a OwnerRoute) -> Route<'a> {
        // Validation compiled every glob already; a failure here cannot happen for a
        // validated catalogue, and a route that cannot match is the safe reading.
        let path = route
            .path
            .as_deref()
            .and_then(|p| Glob::new(p).ok())
            .map(|g| g.compile_matcher());
        Route { route, path }
    }

    /// How specific a match is, or `None` when the route does not apply.
    fn specificity(&self, t: &OwnerTarget<'_>) -> Option<u8> {
        let r = self.route;
        let same = |want: &Option<String>, have: Option<&str>| match want {
            None => true,
            Some(w) => have == Some(w.as_str()),
        };
        if !same(&r.system, t.system) || !same(&r.repo, t.repo) || !same(&r.job, t.job) {
            return None;
        }
        if let Some(glob) = &self.path
            && !t.paths.iter().any(|p| glob.is_match(p))
        {
            return None;
        }
        Some(match () {
            _ if r.job.is_some() => 4,
            _ if r.path.is_some() => 3,
            _ if r.repo.is_some() => 2,
            _ if r.system.is_some() => 1,
            _ => 0,
        })
    }
}
