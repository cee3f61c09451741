//! `itgc diff --base GITREF --period P`: evaluate the controls and policies as they were at
//! GITREF and as they are now, on the same stored data, and list the items that enter or leave
//! each population and the results that change. Exit 1 when a population shrinks without an
//! approved `population_changes` entry in the current policy; 3 when the store cannot give a
//! complete population; 2 for a bad ref or a catalogue that does not validate.

mod render;

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use git2::{ObjectType, Repository, Tree};

use super::{Config, Ui};
use crate::evaluate::{self, Results};
use crate::exit::Exit;
use crate::model::document::{MAX_FILE_BYTES, too_large};
use crate::model::{self, Catalog, SourceFile};
use crate::period::Period;
use crate::population::diff::{self, PopulationDiff, Verdict};
use crate::population::load;
use crate::store::Store;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The revision to compare against: a branch, tag or commit (e.g. `origin/main`).
    #[arg(long, value_name = "GITREF")]
    pub base: String,
    /// The period whose stored data both sides are evaluated on: `2026-Q3`, `2026-07`, …
    #[arg(long)]
    pub period: String,
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
}

/// Output formats of `diff`: Markdown suits a pull-request comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Human,
    Markdown,
    Json,
}

type Failure = (Exit, String);

pub fn run(args: &DiffArgs, config: &Config, ui: &Ui) -> Exit {
    match diff(args, config, ui) {
        Ok(exit) => exit,
        Err((exit, message)) => super::fail(ui, exit, message),
    }
}

/// The comparison and what it is about, for the renderers.
pub struct Report<'a> {
    pub base: &'a str,
    pub diff: PopulationDiff,
    /// Controls whose population kind this version does not build: neither side tests them.
    pub not_compared: Vec<String>,
}

fn diff(args: &DiffArgs, config: &Config, ui: &Ui) -> Result<Exit, Failure> {
    let new = super::validate::load_catalog(config, ui).map_err(|e| (e, String::new()))?;
    let old = catalog_at(config, &args.base, ui)?;
    let period = super::check::parse_period(&args.period, &new.catalog, config)?;
    let every = control_ids(&old, &new.catalog);
    let (before, after) =
        super::runtime()?.block_on(evaluate_both(config, &period, (&old, &new.catalog), &every))?;
    let (before, after, not_compared) = drop_unbuilt(before, after);
    let approvals: Vec<_> = new
        .catalog
        .policies
        .iter()
        .flat_map(|p| p.value.population_changes.iter().cloned())
        .collect();
    let report = Report {
        base: &args.base,
        diff: diff::compare(&before, &after, &approvals),
        not_compared,
    };
    let text = match args.format {
        DiffFormat::Human => render::human(&report),
        DiffFormat::Markdown => render::markdown(&report),
        DiffFormat::Json => render::json(&report),
    };
    print!("{text}");
    Ok(exit_for(report.diff.verdict()))
}

fn exit_for(verdict: Verdict) -> Exit {
    match verdict {
        Verdict::Accepted => Exit::Pass,
        Verdict::UnjustifiedShrink => Exit::Deviations,
        Verdict::Incomplete => Exit::Incomplete,
    }
}

/// Every control id on either side, sorted.
fn control_ids(old: &Catalog, new: &Catalog) -> Vec<String> {
    let mut ids: Vec<String> = old
        .controls
        .iter()
        .chain(&new.controls)
        .map(|c| c.value.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What evaluation says of a population kind this version does not build yet (the access and
/// job stubs): comparing those would only show the same gap on both sides and prove nothing.
const NOT_BUILT: &str = "is not built by this version of itgc";

/// Removes the controls whose population is not built on either side and returns their ids.
/// Everything else is compared whatever its kind: the comparison is of items by id.
fn drop_unbuilt(mut before: Results, mut after: Results) -> (Results, Results, Vec<String>) {
    let unbuilt = |r: &crate::evaluate::ControlResult| {
        r.items.is_empty() && r.gaps.iter().any(|g| g.contains(NOT_BUILT))
    };
    let mut ids: Vec<String> = Vec::new();
    for id in control_ids_of(&before, &after) {
        let sides: Vec<_> = [&before, &after]
            .iter()
            .filter_map(|r| r.controls.iter().find(|c| c.control == id))
            .collect();
        if sides.iter().all(|c| unbuilt(c)) {
            ids.push(id);
        }
    }
    for results in [&mut before, &mut after] {
        results.controls.retain(|c| !ids.contains(&c.control));
    }
    (before, after, ids)
}

fn control_ids_of(a: &Results, b: &Results) -> Vec<String> {
    let mut ids: Vec<String> = a
        .controls
        .iter()
        .chain(&b.controls)
        .map(|c| c.control.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Each catalogue on a snapshot built with its own scope from one store: a repo or branch
/// taken out of policy makes its changes leave, which is exactly what must be seen.
async fn evaluate_both(
    config: &Config,
    period: &Period,
    (old, new): (&Catalog, &Catalog),
    only: &[String],
) -> Result<(Results, Results), Failure> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| (Exit::Usage, format!("store: {e}")))?;
    let same = unchanged_controls(old, new);
    let after = load::load(&store, new, period, &config.root, only).await;
    // Same policies, same scope: the snapshot would be the same, so it is read once.
    let before = match same {
        Some(_) => Ok(None),
        None => load::load(&store, old, period, &config.root, only)
            .await
            .map(Some),
    };
    store.close().await;
    let incomplete = |e| (Exit::Incomplete, format!("store: {e}"));
    let (before, after) = (before.map_err(incomplete)?, after.map_err(incomplete)?);
    let current = evaluate::evaluate(new, &after, only);
    let base = match (before, same) {
        (Some(snapshot), _) => evaluate::evaluate(old, &snapshot, only),
        (None, same) => reuse(old, &after, only, &current, &same.unwrap_or_default()),
    };
    Ok((base, current))
}

/// The base results when policies are unchanged: controls whose definition is unchanged are
/// taken from the current results (same inputs, same pure evaluation), the rest evaluated.
fn reuse(
    old: &Catalog,
    snapshot: &crate::population::Snapshot,
    only: &[String],
    current: &Results,
    same: &[String],
) -> Results {
    let changed: Vec<String> = only
        .iter()
        .filter(|id| !same.contains(id))
        .cloned()
        .collect();
    let mut controls = Vec::new();
    // `evaluate` reads an empty list as "every control".
    if !changed.is_empty() {
        controls = evaluate::evaluate(old, snapshot, &changed).controls;
    }
    let kept = current
        .controls
        .iter()
        .filter(|c| same.contains(&c.control));
    controls.extend(kept.cloned());
    controls.sort_by(|a, b| a.control.cmp(&b.control));
    Results {
        period: current.period.clone(),
        controls,
    }
}

/// Ids of controls defined identically on both sides, when nothing else evaluation reads
/// differs: the policies (apart from `population_changes`, which it never reads) and the
/// catalogue's ticket-linked rules (the first one's pattern recognises emergency follow-ups
/// for every control). `None` when the policies differ, so each side needs its own snapshot.
fn unchanged_controls(old: &Catalog, new: &Catalog) -> Option<Vec<String>> {
    let policies = |c: &Catalog| -> Vec<model::policy::PolicyFile> {
        c.policies
            .iter()
            .map(|p| model::policy::PolicyFile {
                population_changes: Vec::new(),
                ..p.value.clone()
            })
            .collect()
    };
    let tickets = |c: &Catalog| -> Vec<model::rule::Rule> {
        let rules = c.controls.iter().flat_map(|c| &c.value.rules);
        rules
            .filter(|r| matches!(r, model::rule::Rule::TicketLinked { .. }))
            .cloned()
            .collect()
    };
    if policies(old) != policies(new) || tickets(old) != tickets(new) {
        return None;
    }
    let same = old
        .controls
        .iter()
        .filter(|o| new.controls.iter().any(|n| n.value == o.value));
    Some(same.map(|c| c.value.id.clone()).collect())
}

/// The catalogue as committed at `base`, read from git objects: no checkout, the work tree
/// is never touched. A catalogue that does not validate makes the diff meaningless (exit 2).
fn catalog_at(config: &Config, base: &str, ui: &Ui) -> Result<Catalog, Failure> {
    let repo = Repository::discover(&config.controls).map_err(|e| {
        let dir = config.controls.display();
        (
            Exit::Usage,
            format!("{dir} is not inside a git repository: {}", e.message()),
        )
    })?;
    let tree = repo
        .revparse_single(base)
        .and_then(|o| o.peel_to_commit())
        .and_then(|c| c.tree())
        .map_err(|e| {
            (
                Exit::Usage,
                format!("--base {base}: no such commit: {}", e.message()),
            )
        })?;
    let controls = files_at(&repo, &tree, &config.controls, base)?;
    let policies = files_at(&repo, &tree, &config.policies, base)?;
    let validation = model::load(&controls, &policies, super::validate::today());
    if validation.errors() == 0 && ui.level > 0 {
        ui.note(format!("the catalogue at {base} validates"));
    }
    for d in validation.diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", d.render(ui.color));
    }
    validation.catalog.ok_or_else(|| {
        (
            Exit::Usage,
            format!("the controls and policies at {base} do not validate, so there is nothing to compare against"),
        )
    })
}

/// Every `*.yaml`/`*.yml` blob directly under `dir`'s path in `tree`, sorted by name. A
/// directory that did not exist yet at the base is an empty catalogue: everything enters.
fn files_at(
    repo: &Repository,
    tree: &Tree,
    dir: &Path,
    base: &str,
) -> Result<Vec<SourceFile>, Failure> {
    let rel = in_repo(repo, dir)?;
    let sub = match tree.get_path(&rel) {
        Ok(entry) => entry.to_object(repo).and_then(|o| o.peel_to_tree()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
        Err(e) => Err(e),
    }
    .map_err(|e| {
        (
            Exit::Usage,
            format!("{base}:{}: {}", rel.display(), e.message()),
        )
    })?;
    let mut files = Vec::new();
    for entry in sub.iter() {
        let Some(name) = entry
            .name()
            .ok()
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        else {
            continue;
        };
        if entry.kind() != Some(ObjectType::Blob) {
            continue;
        }
        let shown = format!("{base}:{}", rel.join(name).display());
        let blob = entry
            .to_object(repo)
            .and_then(|o| o.peel_to_blob())
            .map_err(|e| (Exit::Usage, format!("{shown}: {}", e.message())))?;
        if blob.size() > MAX_FILE_BYTES {
            return Err((Exit::Usage, too_large(&shown, blob.size() as u64).message));
        }
        files.push(SourceFile {
            name: shown,
            bytes: blob.content().to_vec(),
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// `dir` relative to the repository's work tree (the path it has inside every commit).
fn in_repo(repo: &Repository, dir: &Path) -> Result<PathBuf, Failure> {
    let outside = || {
        (
            Exit::Usage,
            format!("{} is not inside the repository's work tree", dir.display()),
        )
    };
    let workdir = repo.workdir().ok_or_else(outside)?;
    let (Ok(workdir), Ok(dir)) = (workdir.canonicalize(), dir.canonicalize()) else {
        return Err(outside());
    };
    dir.strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .map_err(|_| outside())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::ControlResult;
    use crate::population::Fingerprint;

    fn control(id: &str, gap: Option<&str>) -> ControlResult {
        ControlResult {
            control: id.into(),
            title: id.into(),
            severity: "high".into(),
            owner: "eng".into(),
            population: Fingerprint::of("accounts", []),
            items: Vec::new(),
            gaps: gap.map(str::to_string).into_iter().collect(),
            elided: Default::default(),
        }
    }

    fn results(controls: Vec<ControlResult>) -> Results {
        Results {
            period: "2026-Q3".into(),
            controls,
        }
    }

    #[test]
    fn only_populations_unbuilt_on_every_side_are_left_out() {
        let stub = Some("the accounts population is not built by this version of itgc yet");
        let before = results(vec![
            control("CM-01", None),
            control("LA-01", stub),
            control("LA-02", stub),
        ]);
        // LA-02 is built now (no gap): its items are compared like any other kind's.
        let after = results(vec![
            control("CM-01", None),
            control("LA-01", stub),
            control("LA-02", None),
        ]);
        let (before, after, left_out) = drop_unbuilt(before, after);
        assert_eq!(left_out, ["LA-01"]);
        let ids = |r: &Results| {
            r.controls
                .iter()
                .map(|c| c.control.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&before), ["CM-01", "LA-02"]);
        assert_eq!(ids(&after), ["CM-01", "LA-02"]);
    }
}
