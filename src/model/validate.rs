//! Semantic checks over a whole catalogue: what a schema cannot see.
//!
//! Duplicate ids across files, references to teams/systems/groups/controls that do not exist,
//! regular expressions, cron schedules, globs, time zones and minijinja expressions that do
//! not compile, exceptions that are malformed or expired, rules applied to a population they
//! cannot test, and configuration that can match nothing.

use std::collections::BTreeMap;

use jiff::civil::Date;

use super::catalog::{Catalog, Loaded};
use super::control::{Control, PopulationKind};
use super::policy::{AccessList, Exception, PolicyFile, System};
use super::rule::Rule;
use crate::diagnostics::{Diagnostic, did_you_mean};

/// Longest an exception may run from approval: auditors expect exceptions to be re-approved.
const MAX_EXCEPTION_DAYS: i32 = 366;

/// The kinds of named things a catalogue declares and refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Control,
    Team,
    System,
    Repo,
    Group,
    AccessList,
    People,
    Sla,
    Exception,
    Redaction,
    Bot,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Control => "control",
            Kind::Team => "team",
            Kind::System => "system",
            Kind::Repo => "repo",
            Kind::Group => "group",
            Kind::AccessList => "access list",
            Kind::People => "people source",
            Kind::Sla => "SLA",
            Kind::Exception => "exception",
            Kind::Redaction => "redaction rule",
            Kind::Bot => "bot",
        }
    }

    /// Where a user declares one, for the help line of an unknown reference.
    fn declared_in(self) -> &'static str {
        match self {
            Kind::Control => "a file in controls/",
            Kind::Team => "`teams:` in a policy file",
            Kind::System => "`systems:` in a policy file",
            Kind::Repo => "`repos:` of a system in a policy file",
            Kind::Group => "`groups:` in a policy file",
            Kind::AccessList => "`access_lists:` of a system",
            Kind::People => "`people:` in a policy file",
            Kind::Sla => "`slas:` in a policy file",
            Kind::Exception => "`exceptions:` in a policy file",
            Kind::Redaction => "`redaction:` in a policy file",
            Kind::Bot => "`bots:` in a policy file",
        }
    }
}

/// Where something is declared: which document, which JSON pointer.
struct Place<'a> {
    doc: &'a super::document::Document,
    pointer: String,
}

/// Every declared name, by kind, with every place it is declared.
struct Index<'a> {
    names: BTreeMap<(Kind, String), Vec<Place<'a>>>,
}

impl<'a> Index<'a> {
    fn build(catalog: &'a Catalog) -> Index<'a> {
        let mut ix = Index {
            names: BTreeMap::new(),
        };
        for c in &catalog.controls {
            ix.add(Kind::Control, &c.value.id, c, "/id");
        }
        for p in &catalog.policies {
            ix.add_policy(p);
        }
        ix
    }

    fn add<T>(&mut self, kind: Kind, name: &str, at: &'a Loaded<T>, pointer: &str) {
        let place = Place {
            doc: &at.doc,
            pointer: pointer.to_string(),
        };
        self.names
            .entry((kind, name.to_string()))
            .or_default()
            .push(place);
    }

    fn add_policy(&mut self, p: &'a Loaded<PolicyFile>) {
        let f = &p.value;
        for (i, t) in f.teams.iter().enumerate() {
            self.add(Kind::Team, &t.id, p, &format!("/teams/{i}/id"));
        }
        for (i, s) in f.systems.iter().enumerate() {
            self.add(Kind::System, &s.id, p, &format!("/systems/{i}/id"));
            for (j, r) in s.repos.iter().enumerate() {
                self.add(
                    Kind::Repo,
                    &r.name,
                    p,
                    &format!("/systems/{i}/repos/{j}/name"),
                );
            }
            for (j, a) in s.access_lists.iter().enumerate() {
                self.add(
                    Kind::AccessList,
                    &a.id,
                    p,
                    &format!("/systems/{i}/access_lists/{j}/id"),
                );
            }
        }
        let lists: [(Kind, &str, Vec<&str>); 6] = [
            (
                Kind::Group,
                "groups",
                f.groups.iter().map(|g| g.id.as_str()).collect(),
            ),
            (
                Kind::People,
                "people",
                f.people.iter().map(|g| g.id.as_str()).collect(),
            ),
            (
                Kind::Sla,
                "slas",
                f.slas.iter().map(|g| g.id.as_str()).collect(),
            ),
            (
                Kind::Exception,
                "exceptions",
                f.exceptions.iter().map(|g| g.id.as_str()).collect(),
            ),
            (
                Kind::Redaction,
                "redaction",
                f.redaction.iter().map(|g| g.id.as_str()).collect(),
            ),
            (
                Kind::Bot,
                "bots",
                f.bots.iter().map(|g| g.login.as_str()).collect(),
            ),
        ];
        for (kind, section, ids) in lists {
            let key = if kind == Kind::Bot { "login" } else { "id" };
            for (i, id) in ids.into_iter().enumerate() {
                self.add(kind, id, p, &format!("/{section}/{i}/{key}"));
            }
        }
    }

    fn contains(&self, kind: Kind, name: &str) -> bool {
        self.names.contains_key(&(kind, name.to_string()))
    }

    fn names_of(&self, kind: Kind) -> Vec<&str> {
        self.names
            .keys()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.as_str())
            .collect()
    }

    fn duplicates(&self, out: &mut Vec<Diagnostic>) {
        for ((kind, name), places) in &self.names {
            let Some(first) = places.first() else {
                continue;
            };
            let first_at = first
                .doc
                .spans
                .value_at(&first.pointer)
                .map_or(String::new(), |l| format!(":{}", l.line));
            for again in &places[1..] {
                out.push(
                    again
                        .doc
                        .error_at("duplicate-id", &again.pointer, format!("duplicate {} id `{name}`", kind.noun()))
                        .help(format!("it is first declared at {}{first_at}; ids must be unique across all files", first.doc.source.name)),
                );
            }
        }
    }

    /// Reports `name` at `pointer` in `doc` unless a `kind` by that name is declared.
    fn require(
        &self,
        kind: Kind,
        name: &str,
        doc: &super::document::Document,
        pointer: &str,
        out: &mut Vec<Diagnostic>,
    ) {
        if self.contains(kind, name) {
            return;
        }
        let known = self.names_of(kind);
        let mut d = doc.error_at(
            "unknown-reference",
            pointer,
            format!("unknown {} `{name}`", kind.noun()),
        );
        if !known.is_empty() && known.len() <= 15 {
            d = d.expected(format!("one of {}", known.join(", ")));
        }
        d = match did_you_mean(name, known.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!("declare it in {}", kind.declared_in())),
        };
        out.push(d);
    }
}

/// Runs every semantic check over the catalogue.
pub fn check(catalog: &Catalog, today: Date) -> Vec<Diagnostic> {
    let ix = Index::build(catalog);
    let mut out = Vec::new();
    ix.duplicates(&mut out);
    for c in &catalog.controls {
        check_control(c, &ix, &mut out);
    }
    for p in &catalog.policies {
        check_policy(p, &ix, today, &mut out);
        super::placeholder::check(&p.doc, &mut out);
    }
    check_single_organisation(catalog, &mut out);
    out
}

fn check_control(c: &Loaded<Control>, ix: &Index, out: &mut Vec<Diagnostic>) {
    let (control, doc) = (&c.value, &c.doc);
    ix.require(Kind::Team, &control.owner, doc, "/owner", out);
    if control.id == super::control::COMPLETENESS_CONTROL {
        out.push(doc.error_at(
            "reserved-control-id",
            "/id",
            format!(
                "`{}` is the built-in population completeness check; choose another id",
                control.id
            ),
        ));
    }
    let pop = &control.population;
    if pop.kind.domain() != control.domain {
        out.push(
            doc.error_at(
                "population-domain-mismatch",
                "/population/kind",
                format!(
                    "a `{}` population belongs to the {} domain, not {}",
                    pop.kind.as_str(),
                    pop.kind.domain().as_str(),
                    control.domain.as_str()
                ),
            )
            .help("change `domain:` or `population.kind:` so they agree"),
        );
    }
    for (i, s) in pop.systems.iter().enumerate() {
        ix.require(
            Kind::System,
            s,
            doc,
            &format!("/population/systems/{i}"),
            out,
        );
    }
    for (i, r) in pop.repos.iter().enumerate() {
        ix.require(Kind::Repo, r, doc, &format!("/population/repos/{i}"), out);
    }
    if !pop.records.is_empty() && pop.kind != PopulationKind::Accounts {
        out.push(
            doc.error_at(
                "records-without-accounts",
                "/population/records",
                format!(
                    "`records` selects access lists, but a `{}` population reads none",
                    pop.kind.as_str()
                ),
            )
            .help("remove `records:` or make the population `kind: accounts`"),
        );
    }
    for (i, g) in pop.paths.iter().enumerate() {
        check_glob(g, doc, &format!("/population/paths/{i}"), out);
    }
    if let Some(filter) = &pop.filter {
        check_expression(filter, doc, "/population/filter", out);
    }
    for (i, rule) in control.rules.iter().enumerate() {
        check_rule(rule, control, ix, doc, &format!("/rules/{i}"), out);
    }
    check_grain(control, doc, out);
}

/// `per:` belongs to job-runs populations; a per-event one must be `per: run` (its sample is
/// drawn from occurrences); and a `per: run` control's rules must agree on the occurrence.
fn check_grain(control: &Control, doc: &super::document::Document, out: &mut Vec<Diagnostic>) {
    use super::control::{Frequency, Grain};
    let pop = &control.population;
    if pop.kind != PopulationKind::JobRuns {
        if pop.per.is_some() {
            out.push(
                doc.error_at_key("invalid-grain", "/population/per", format!(
                    "`per:` says what one item of a job-runs population is; a `{}` population's items are fixed",
                    pop.kind.as_str()
                ))
                .help("remove `per:`, or make the population `kind: job-runs`"),
            );
        }
        return;
    }
    if control.frequency == Frequency::PerEvent && pop.grain() != Grain::Run {
        let at = if pop.per.is_some() {
            "/population/per"
        } else {
            "/population/kind"
        };
        out.push(
            doc.error_at("invalid-grain", at, format!(
                "control {} operates per event, so an auditor samples its occurrences, but its job-runs population has one item per job",
                control.id
            ))
            .help("add `per: run` under `population:` (each failed, scheduled or recorded run becomes an item, its job the parent), or give the control the frequency it has per job"),
        );
    }
    if pop.grain() != Grain::Run {
        return;
    }
    let mut seen: Vec<(usize, super::rule::Occurrence)> = Vec::new();
    for (i, rule) in control.rules.iter().enumerate() {
        let Some(occurrence) = rule.occurrence() else {
            continue;
        };
        if let Some((first, other)) = seen.iter().find(|(_, o)| *o != occurrence) {
            out.push(
                doc.error_at("invalid-grain", &format!("/rules/{i}/kind"), format!(
                    "with `per: run` every rule must test the same occurrences, but `{}` tests {} and rules[{first}] tests {}",
                    rule.code(),
                    occurrence.describe(),
                    other.describe()
                ))
                .help("split the rules into one control per kind of occurrence, or use `per: job`"),
            );
            return;
        }
        seen.push((i, occurrence));
    }
}

fn check_rule(
    rule: &Rule,
    control: &Control,
    ix: &Index,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(kinds) = rule.applies_to()
        && !kinds.contains(&control.population.kind)
    {
        let wanted: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        out.push(
            doc.error_at("rule-population-mismatch", &format!("{at}/kind"), format!("rule `{}` cannot test a `{}` population", rule.code(), control.population.kind.as_str()))
                .expected(format!("a population of kind {}", wanted.join(" or ")))
                .help("use a rule made for this population, or move the rule to a control over the right population"),
        );
    }
    match rule {
        Rule::IndependentApproval {
            from_group: Some(g),
            ..
        }
        | Rule::PrivilegedAccessApproved {
            approved_group: Some(g),
            ..
        } => {
            let key = if matches!(rule, Rule::IndependentApproval { .. }) {
                "from_group"
            } else {
                "approved_group"
            };
            ix.require(Kind::Group, g, doc, &format!("{at}/{key}"), out);
        }
        Rule::TicketLinked { pattern, .. } => {
            check_regex(pattern, doc, &format!("{at}/pattern"), out)
        }
        Rule::JobChangesApproved { controls } => {
            for (i, id) in controls.iter().enumerate() {
                ix.require(Kind::Control, id, doc, &format!("{at}/controls/{i}"), out);
            }
        }
        Rule::Expr { expr, .. } => check_expression(expr, doc, &format!("{at}/expr"), out),
        _ => {}
    }
}

fn check_policy(p: &Loaded<PolicyFile>, ix: &Index, today: Date, out: &mut Vec<Diagnostic>) {
    let (f, doc) = (&p.value, &p.doc);
    if let Some(org) = &f.organisation {
        check_time_zone(&org.time_zone, doc, "/organisation/time_zone", out);
    }
    for (i, t) in f.teams.iter().enumerate() {
        if let Some(parent) = &t.parent {
            ix.require(Kind::Team, parent, doc, &format!("/teams/{i}/parent"), out);
        }
        super::notify::check(&t.notify, doc, &format!("/teams/{i}/notify"), out);
    }
    for (i, s) in f.systems.iter().enumerate() {
        check_system(s, ix, doc, &format!("/systems/{i}"), out);
    }
    for (i, b) in f.bots.iter().enumerate() {
        ix.require(Kind::Team, &b.owner, doc, &format!("/bots/{i}/owner"), out);
    }
    for (i, s) in f.slas.iter().enumerate() {
        if s.days.is_some() == s.hours.is_some() {
            out.push(doc.error_at(
                "invalid-sla",
                &format!("/slas/{i}"),
                format!("SLA `{}` must give exactly one of `days` or `hours`", s.id),
            ));
        }
    }
    for (i, e) in f.exceptions.iter().enumerate() {
        check_exception(e, ix, today, doc, &format!("/exceptions/{i}"), out);
    }
    for (i, r) in f.redaction.iter().enumerate() {
        let at = format!("/redaction/{i}");
        match &r.pattern {
            Some(p) => check_regex(p, doc, &format!("{at}/pattern"), out),
            None if r.fields.is_empty() => out.push(doc.error_at(
                "invalid-redaction",
                &at,
                format!(
                    "redaction rule `{}` names no `fields` and no `pattern`, so it redacts nothing",
                    r.id
                ),
            )),
            None => {}
        }
    }
    for (i, route) in f.owners.iter().enumerate() {
        check_owner_route(route, ix, doc, &format!("/owners/{i}"), out);
    }
    for (i, c) in f.population_changes.iter().enumerate() {
        check_population_change(c, ix, today, doc, &format!("/population_changes/{i}"), out);
    }
    for (i, e) in f.exclusions.iter().enumerate() {
        check_exclusion(e, ix, today, doc, &format!("/exclusions/{i}"), out);
    }
}

/// An approved exclusion must say what it excludes (an empty one would classify every item),
/// name a known system and repo, and be approved by a person on a past date.
fn check_exclusion(
    e: &super::policy::Exclusion,
    ix: &Index,
    today: Date,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    if e.item.is_none() && e.system.is_none() && e.repo.is_none() && e.branch.is_none() {
        out.push(
            doc.error_at(
                "malformed-exclusion",
                at,
                format!("exclusion `{}` names no item, system, repo or branch, so it would exclude everything", e.id),
            )
            .help("name what is excluded: `item`, `system`, `repo` or `branch`"),
        );
    }
    if let Some(system) = &e.system {
        ix.require(Kind::System, system, doc, &format!("{at}/system"), out);
    }
    if let Some(repo) = &e.repo {
        ix.require(Kind::Repo, repo, doc, &format!("{at}/repo"), out);
    }
    if !e.approver.contains('@') {
        out.push(
            doc.error_at(
                "malformed-exclusion",
                &format!("{at}/approver"),
                format!("approver `{}` is not an email address", e.approver),
            )
            .expected("the approver's email, e.g. controller@example.com"),
        );
    }
    if e.approved > today {
        out.push(doc.error_at(
            "malformed-exclusion",
            &format!("{at}/approved"),
            format!(
                "exclusion `{}` is approved in the future ({})",
                e.id, e.approved
            ),
        ));
    }
}

/// An approved population reduction. Its control may be unknown on purpose: retiring a
/// control removes it from controls/ in the same change that records the approval. So an
/// unknown control is a warning, not an error; a misspelt id justifies nothing and `diff`
/// still fails, which keeps the typo fail-closed.
fn check_population_change(
    c: &super::policy::PopulationChange,
    ix: &Index,
    today: Date,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    if !ix.contains(Kind::Control, &c.control) {
        let known = ix.names_of(Kind::Control);
        let d = doc.warning_at(
            "unknown-population-change-control",
            &format!("{at}/control"),
            format!("no control `{}` in controls/", c.control),
        );
        out.push(match did_you_mean(&c.control, known.iter().copied()) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help("fine when the change retires that control; otherwise check the id"),
        });
    }
    if !c.approver.contains('@') {
        out.push(
            doc.error_at(
                "malformed-population-change",
                &format!("{at}/approver"),
                format!("approver `{}` is not an email address", c.approver),
            )
            .expected("the approver's email, e.g. controller@example.com"),
        );
    }
    if c.approved > today {
        out.push(doc.error_at(
            "malformed-population-change",
            &format!("{at}/approved"),
            format!(
                "the population change for `{}` is approved in the future ({})",
                c.control, c.approved
            ),
        ));
    }
}

fn check_system(
    s: &System,
    ix: &Index,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    ix.require(Kind::Team, &s.owner, doc, &format!("{at}/owner"), out);
    for (j, job) in s.jobs.iter().enumerate() {
        let jat = format!("{at}/jobs/{j}");
        ix.require(Kind::Repo, &job.repo, doc, &format!("{jat}/repo"), out);
        check_glob(&job.path, doc, &format!("{jat}/path"), out);
        check_time_zone(&job.time_zone, doc, &format!("{jat}/time_zone"), out);
        check_job_fields(job, doc, &jat, out);
    }
    for (j, job) in s.declared_jobs.iter().enumerate() {
        let jat = format!("{at}/declared_jobs/{j}");
        check_cron(&job.schedule, doc, &format!("{jat}/schedule"), out);
        check_time_zone(&job.time_zone, doc, &format!("{jat}/time_zone"), out);
        ix.require(Kind::Team, &job.owner, doc, &format!("{jat}/owner"), out);
    }
    for (j, list) in s.access_lists.iter().enumerate() {
        check_access_list(list, doc, &format!("{at}/access_lists/{j}"), out);
    }
    let empty = s.repos.is_empty()
        && s.access_lists.is_empty()
        && s.jobs.is_empty()
        && s.declared_jobs.is_empty();
    if empty {
        out.push(doc.warning_at(
            "empty-system",
            &format!("{at}/id"),
            format!(
                "system `{}` declares no repos, access lists or jobs, so no control can test it",
                s.id
            ),
        ));
    }
}

/// An access list is read from a file (`format` + `columns`) or from GitHub (`github`, with
/// optional `repos`): never both, never neither, so an import and a sync cannot disagree
/// about where its accounts come from.
fn check_access_list(
    list: &AccessList,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    const HELP: &str = "give `format:` and `columns:` for an exported file, or `github: ORG` \
         (and optionally `repos:`) for a GitHub organisation read by `itgc sync`";
    let file = list.format.is_some() || list.columns.is_some();
    let mut problem = |key: &str, message: String| {
        out.push(
            doc.error_at_key(
                "invalid-access-list-source",
                &format!("{at}/{key}"),
                message,
            )
            .help(HELP),
        );
    };
    match &list.github {
        Some(_) if file => {
            let key = if list.format.is_some() {
                "format"
            } else {
                "columns"
            };
            problem(
                key,
                format!(
                    "access list `{}` names both a GitHub organisation and an export `{key}`",
                    list.id
                ),
            );
        }
        Some(_) => check_github_list(list, doc, at, out),
        None if !list.repos.is_empty() => problem(
            "repos",
            format!(
                "access list `{}` has `repos:` but no `github:` organisation",
                list.id
            ),
        ),
        None if list.format.is_none() || list.columns.is_none() => {
            let missing = if list.format.is_none() {
                "format"
            } else {
                "columns"
            };
            out.push(
                doc.error_at_key("invalid-access-list-source", &format!("{at}/id"), format!(
                    "access list `{}` has no `{missing}:` and no `github:`, so nothing says where its accounts come from",
                    list.id
                ))
                .help(HELP),
            );
        }
        None => {}
    }
    if let Some(columns) = &list.columns {
        check_activity(list, columns, doc, at, out);
    }
    check_never_disabled(list, doc, at, out);
}

/// `never_disabled` says the system has no disabled state; a `disabled` column says it has
/// one. Both at once leave a reader guessing which is true.
fn check_never_disabled(
    list: &AccessList,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    let column = list.columns.as_ref().and_then(|c| c.disabled.as_ref());
    if let (true, Some(column)) = (list.never_disabled, column) {
        out.push(
            doc.error_at_key(
                "invalid-access-list-source",
                &format!("{at}/never_disabled"),
                format!(
                    "access list `{}` says `never_disabled: true` but maps the `disabled` column `{column}`",
                    list.id
                ),
            )
            .help("keep `never_disabled: true` only for a system whose accounts cannot be disabled; otherwise remove it and keep `columns.disabled`"),
        );
    }
}

/// Activity is mapped one way: `last_login` (one column) or `activity` (several), each column
/// once, so no reader has to guess which of two mappings counts.
fn check_activity(
    list: &AccessList,
    columns: &super::policy::AccessColumns,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    if columns.last_login.is_some() && !columns.activity.is_empty() {
        out.push(
            doc.error_at_key(
                "invalid-activity-columns",
                &format!("{at}/columns/activity"),
                format!(
                    "access list `{}` maps both `last_login` and `activity`",
                    list.id
                ),
            )
            .help("list every activity column under `activity:` (the latest use counts) and remove `last_login:`"),
        );
    }
    for (i, column) in columns.activity.iter().enumerate() {
        if columns.activity[..i].contains(column) {
            out.push(
                doc.error_at(
                    "invalid-activity-columns",
                    &format!("{at}/columns/activity/{i}"),
                    format!("column `{column}` is listed twice"),
                )
                .help("list each activity column once"),
            );
        }
    }
}

/// A GitHub list names repositories of its organisation (no owner), and its roles have fixed
/// shapes: a privileged role of another shape (`admin`, as a file export would say) matches no
/// account, so nothing it meant would be tested.
fn check_github_list(
    list: &AccessList,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    for (i, repo) in list.repos.iter().enumerate() {
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if repo.is_empty() || repo.len() > 100 || !repo.chars().all(plain) {
            out.push(
                doc.error_at(
                    "invalid-access-list-source",
                    &format!("{at}/repos/{i}"),
                    format!("`{repo}` is not a repository name"),
                )
                .help("name the repository without its owner, e.g. `payments-api`: the owner is the `github:` organisation"),
            );
        }
    }
    for (i, role) in list.privileged_roles.iter().enumerate() {
        if is_github_role(role, &list.repos) {
            continue;
        }
        out.push(
            doc.warning_at(
                "unmatched-privileged-role",
                &format!("{at}/privileged_roles/{i}"),
                format!("`{role}` is not a role a GitHub access list gives, so it matches no account"),
            )
            .expected("org:admin, org:member, outside-collaborator, team:<slug>, team:<slug>:maintainer, or repo:<name>:admin|maintain|write|triage|read for a repo in `repos:`"),
        );
    }
}

fn is_github_role(role: &str, repos: &[String]) -> bool {
    let role = role.to_lowercase();
    if matches!(
        role.as_str(),
        "org:admin" | "org:member" | "outside-collaborator"
    ) {
        return true;
    }
    if let Some(team) = role.strip_prefix("team:") {
        let slug = team.strip_suffix(":maintainer").unwrap_or(team);
        return !slug.is_empty() && !slug.contains(':');
    }
    let Some((repo, permission)) = role.strip_prefix("repo:").and_then(|r| r.rsplit_once(':'))
    else {
        return false;
    };
    repos.iter().any(|r| r.eq_ignore_ascii_case(repo))
        && matches!(
            permission,
            "admin" | "maintain" | "write" | "triage" | "read"
        )
}

fn check_exception(
    e: &Exception,
    ix: &Index,
    today: Date,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    ix.require(
        Kind::Control,
        &e.control,
        doc,
        &format!("{at}/control"),
        out,
    );
    if !e.approver.contains('@') {
        out.push(
            doc.error_at(
                "malformed-exception",
                &format!("{at}/approver"),
                format!("approver `{}` is not an email address", e.approver),
            )
            .expected("the approver's email, e.g. cfo@example.com"),
        );
    }
    if e.expires < e.approved {
        out.push(doc.error_at(
            "malformed-exception",
            &format!("{at}/expires"),
            format!(
                "exception `{}` expires ({}) before it was approved ({})",
                e.id, e.expires, e.approved
            ),
        ));
    } else if (e.expires - e.approved).get_days() > MAX_EXCEPTION_DAYS {
        out.push(
            doc.error_at(
                "malformed-exception",
                &format!("{at}/expires"),
                format!(
                    "exception `{}` runs {} days from approval",
                    e.id,
                    (e.expires - e.approved).get_days()
                ),
            )
            .expected(format!("at most {MAX_EXCEPTION_DAYS} days"))
            .help(
                "exceptions must be re-approved at least yearly; split it into a renewed exception",
            ),
        );
    }
    if e.approved > today {
        out.push(doc.error_at(
            "malformed-exception",
            &format!("{at}/approved"),
            format!(
                "exception `{}` is approved in the future ({})",
                e.id, e.approved
            ),
        ));
    }
    if e.expires < today {
        out.push(
            doc.warning_at("expired-exception", &format!("{at}/expires"), format!("exception `{}` expired on {}", e.id, e.expires))
                .help("it still covers items up to its expiry; renew it with a new approval and ticket, or delete it once no audited period needs it"),
        );
    }
}

fn check_owner_route(
    route: &super::policy::OwnerRoute,
    ix: &Index,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    ix.require(Kind::Team, &route.team, doc, &format!("{at}/team"), out);
    if let Some(s) = &route.system {
        ix.require(Kind::System, s, doc, &format!("{at}/system"), out);
    }
    if let Some(r) = &route.repo {
        ix.require(Kind::Repo, r, doc, &format!("{at}/repo"), out);
    }
    match (&route.path, &route.repo) {
        (Some(p), Some(_)) => check_glob(p, doc, &format!("{at}/path"), out),
        (Some(_), None) => out.push(doc.error_at(
            "invalid-owner-route",
            &format!("{at}/path"),
            "a `path` route needs the `repo` it is a path in",
        )),
        (None, _) if route.system.is_none() && route.repo.is_none() && route.job.is_none() => {
            out.push(doc.error_at("invalid-owner-route", at, "the route matches nothing: give a `system`, `repo` (with optional `path`) or `job`"));
        }
        _ => {}
    }
}

fn check_single_organisation(catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let mut with_org = catalog
        .policies
        .iter()
        .filter(|p| p.value.organisation.is_some());
    let Some(first) = with_org.next() else { return };
    for again in with_org {
        out.push(
            again
                .doc
                .error_at(
                    "duplicate-organisation",
                    "/organisation",
                    "`organisation` is set in more than one policy file",
                )
                .help(format!("keep it only in {}", first.doc.source.name)),
        );
    }
}

fn check_regex(
    pattern: &str,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    if let Err(e) = regex::Regex::new(pattern) {
        let reason = e
            .to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string();
        out.push(
            doc.error_at(
                "invalid-regex",
                at,
                format!("invalid regular expression: {reason}"),
            )
            .expected("a regular expression (Rust regex syntax)"),
        );
    }
}

fn check_glob(glob: &str, doc: &super::document::Document, at: &str, out: &mut Vec<Diagnostic>) {
    if let Err(e) = globset::Glob::new(glob) {
        out.push(
            doc.error_at(
                "invalid-glob",
                at,
                format!("invalid path glob: {}", e.kind()),
            )
            .expected("a glob such as `infra/**` or `deploy/*.yaml`"),
        );
    }
}

/// A generic (YAML/JSON) job source needs `fields:`; the other formats know their layout.
fn check_job_fields(
    job: &crate::model::policy::JobSource,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    use crate::model::policy::JobFormat;
    let generic = matches!(job.format, JobFormat::Yaml | JobFormat::Json);
    if generic && job.fields.is_none() {
        out.push(
            doc.error_at(
                "missing-job-fields",
                &format!("{at}/format"),
                "a yaml or json job source must say where its jobs are",
            )
            .expected("`fields:` with at least `name` and `schedule` (dotted paths), e.g. `fields: {items: jobs, name: name, schedule: cron}`"),
        );
    }
}

fn check_cron(
    schedule: &str,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    if let Err(e) = schedule.parse::<croner::Cron>() {
        out.push(
            doc.error_at(
                "invalid-cron",
                at,
                format!("invalid cron schedule `{schedule}`: {e}"),
            )
            .expected("5 fields (minute hour day month weekday), e.g. `30 2 * * *`"),
        );
    }
}

fn check_time_zone(tz: &str, doc: &super::document::Document, at: &str, out: &mut Vec<Diagnostic>) {
    if jiff::tz::TimeZone::get(tz).is_err() {
        out.push(
            doc.error_at("invalid-time-zone", at, format!("unknown time zone `{tz}`"))
                .expected("an IANA time zone name such as `UTC` or `Europe/Berlin`"),
        );
    }
}

fn check_expression(
    expr: &str,
    doc: &super::document::Document,
    at: &str,
    out: &mut Vec<Diagnostic>,
) {
    // The guarded compiler: a deep expression must be a diagnostic, not a stack overflow.
    let env = super::expression::environment(0);
    if let Err(e) = super::expression::compile(&env, expr) {
        let help = match e {
            super::expression::ExprError::Syntax(_) => {
                "a minijinja expression, e.g. `change.approvals | length >= 2`"
            }
            _ => "a shorter, flatter expression, e.g. `x in [...]` instead of a chain of `or`s",
        };
        out.push(
            doc.error_at("invalid-expression", at, format!("invalid expression: {e}"))
                .expected(help),
        );
    }
}
