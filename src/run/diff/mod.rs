//! `diff --base`: the controls and policies as committed at a base revision and as they are
//! now, each evaluated on the same stored data, and the comparison ([`compare`]) of the two.

mod compare;

pub use compare::*;

use super::{Config, Error};
use crate::evaluate::{self, Results};
use crate::model::document::{MAX_FILE_BYTES, too_large};
use crate::model::{self, Catalog, SourceFile, Validation};
use crate::period::Period;
use crate::population::load;
use crate::source::git::at_commit::{self, AtCommitError, FileAt};
use crate::store::Store;

/// The comparison, and the controls left out of it.
pub struct Compared {
    pub diff: PopulationDiff,
    /// Controls whose population kind this version does not build: neither side tests them.
    pub not_compared: Vec<String>,
}

/// Evaluates `old` and `new` on the period's stored data and compares them; shrinks are
/// judged against the current policy's approved `population_changes`.
pub fn compare_catalogues(
    config: &Config,
    period: &str,
    old: &Catalog,
    new: &Catalog,
) -> Result<Compared, Error> {
    let period = super::parse_period(period, new, config)?;
    let every = control_ids(old, new);
    let (before, after) =
        super::runtime()?.block_on(evaluate_both(config, &period, (old, new), &every))?;
    let (before, after, not_compared) = drop_unbuilt(before, after);
    let approvals: Vec<_> = new
        .policies
        .iter()
        .flat_map(|p| p.value.population_changes.iter().cloned())
        .collect();
    Ok(Compared {
        diff: compare(&before, &after, &approvals),
        not_compared,
    })
}

/// The catalogue as committed at `base`, read from git objects (no checkout, the work tree is
/// never touched) and validated as of `today`.
pub fn catalogue_at(
    config: &Config,
    base: &str,
    today: jiff::civil::Date,
) -> Result<Validation, Error> {
    let dirs = [config.controls.as_path(), config.policies.as_path()];
    let yaml = |name: &str| name.ends_with(".yaml") || name.ends_with(".yml");
    let read = at_commit::files_at(base, &dirs, yaml, MAX_FILE_BYTES).map_err(at_base)?;
    let [controls, policies] = <[Vec<FileAt>; 2]>::try_from(read)
        .map_err(|_| Error::usage("controls and policies are two directories"))?
        .map(|files| files.into_iter().map(source_file).collect::<Vec<_>>());
    Ok(model::load(&controls, &policies, today))
}

fn source_file(file: FileAt) -> SourceFile {
    SourceFile {
        name: file.name,
        bytes: file.bytes,
    }
}

/// What to say when the files at the base cannot be read.
fn at_base(e: AtCommitError) -> Error {
    Error::Usage(match e {
        AtCommitError::NoSuchCommit { .. } => format!("--base {e}"),
        AtCommitError::TooLarge { name, size } => too_large(&name, size).message,
        e => e.to_string(),
    })
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
) -> Result<(Results, Results), Error> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| Error::Usage(format!("store: {e}")))?;
    let same = unchanged_controls(old, new);
    // Same policies, same scope: the snapshot would be the same, so it is read once.
    // Otherwise both are read at once: their queries overlap on the store's connections.
    let before = async {
        match same {
            Some(_) => Ok(None),
            None => load::load(&store, old, period, &config.root, only)
                .await
                .map(Some),
        }
    };
    let (after, before) = tokio::join!(load::load(&store, new, period, &config.root, only), before);
    store.close().await;
    let incomplete = |e| Error::Incomplete(format!("store: {e}"));
    let (before, after) = (before.map_err(incomplete)?, after.map_err(incomplete)?);
    let same = same.unwrap_or_default();
    // The two sides are independent pure evaluations: one runs on another core.
    let (base, current) = std::thread::scope(|scope| {
        let base = scope.spawn(|| match &before {
            Some(snapshot) => evaluate::evaluate(old, snapshot, only),
            None => evaluate_changed(old, &after, only, &same),
        });
        let current = evaluate::evaluate(new, &after, only);
        let base = base
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (base, current)
    });
    Ok(match before {
        Some(_) => (base, current),
        None => (with_kept(base, &current, &same), current),
    })
}

/// With unchanged policies, the base evaluates only the controls whose definition changed:
/// the others are taken from the current results (same inputs, same pure evaluation).
fn evaluate_changed(
    old: &Catalog,
    snapshot: &crate::population::Snapshot,
    only: &[String],
    same: &[String],
) -> Results {
    let changed: Vec<String> = only
        .iter()
        .filter(|id| !same.contains(id))
        .cloned()
        .collect();
    // `evaluate` reads an empty list as "every control".
    if changed.is_empty() {
        return Results {
            period: String::new(),
            controls: Vec::new(),
        };
    }
    evaluate::evaluate(old, snapshot, &changed)
}

/// The base results: the changed controls evaluated, and the unchanged ones as now.
fn with_kept(changed: Results, current: &Results, same: &[String]) -> Results {
    let mut controls = changed.controls;
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
