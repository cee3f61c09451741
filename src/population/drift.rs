//! Drift: what a `check` can see only against the runs before it. Each run records what it
//! saw (scope and each control's population); the next one compares.
//!
//! Three kinds, each with a documented threshold:
//! - **shrink**: a control tested fewer than half ([`SHRINK_RATIO`]) of the median tested
//!   count of its trailing history: the last [`TRAILING`] earlier periods of about the same
//!   length (0.8–1.25×, so months compare with months and quarters with quarters), when there
//!   are at least [`MIN_HISTORY`] of them and the median is at least [`MIN_BASELINE`] items
//!   (a control testing 3 changes a quarter cannot drift meaningfully by count);
//! - **silent source**: an in-scope repo/branch with no first-parent commit in the period
//!   that had commits in any period of the trailing history;
//! - **left scope**: a system or repo in the scope of the previous recorded run (any period)
//!   that is not in scope now.
//!
//! Pure: observations in, drift out. Drift is reported, not concluded: it never changes the
//! results or the exit status (see `run::drift` for why).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Snapshot;
use crate::model::policy_view::PolicyView;

/// How many earlier periods make the trailing history.
pub const TRAILING: usize = 4;
/// How many comparable earlier periods a shrink needs before it is reported.
pub const MIN_HISTORY: usize = 2;
/// A tested count below this fraction of the trailing median is a sharp shrink.
pub const SHRINK_RATIO: f64 = 0.5;
/// Medians below this are too small to call a drop drift.
pub const MIN_BASELINE: u64 = 10;

/// What was in scope, and how many first-parent commits each in-scope repo/branch had.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub systems: BTreeSet<String>,
    pub repos: BTreeSet<String>,
    /// `repo/branch` → commits in the period; a branch whose repo has a gap is left out
    /// (its count is unknown, and the run is incomplete anyway).
    pub sources: BTreeMap<String, u64>,
}

/// One control's population size in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub control: String,
    pub items: u64,
    pub tested: u64,
}

/// What one run saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub period: String,
    /// Length of the period in seconds.
    pub seconds: i64,
    pub scope: Scope,
    pub controls: Vec<Observed>,
}

/// One drift finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Drift {
    Shrink {
        control: String,
        tested: u64,
        /// Median tested count over `periods`.
        baseline: u64,
        periods: Vec<String>,
    },
    SilentSource {
        source: String,
        /// Commits in the trailing history, by period.
        history: BTreeMap<String, u64>,
    },
    LeftScope {
        /// `system` or `repo`.
        what: String,
        name: String,
        previous_period: String,
    },
}

impl Drift {
    pub fn message(&self) -> String {
        match self {
            Drift::Shrink {
                control,
                tested,
                baseline,
                periods,
            } => format!(
                "{control} tested {tested} item(s), under half its median of {baseline} over {}",
                periods.join(", ")
            ),
            Drift::SilentSource { source, history } => {
                let before: Vec<String> = history
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(p, n)| format!("{n} in {p}"))
                    .collect();
                format!(
                    "{source} has no commits this period (it had {}): a renamed branch or a moved repo?",
                    before.join(", ")
                )
            }
            Drift::LeftScope {
                what,
                name,
                previous_period,
            } => format!(
                "{what} {name} was in scope in the previous run ({previous_period}) and is not now"
            ),
        }
    }
}

/// The scope a snapshot was built from.
pub fn scope_of(policy: &PolicyView<'_>, snapshot: &Snapshot) -> Scope {
    let mut scope = Scope::default();
    let gap_repos: BTreeSet<&str> = snapshot
        .gaps
        .iter()
        .filter_map(|g| g.scope.strip_prefix("repo:"))
        .collect();
    for system in policy.systems.values().filter(|s| !s.in_scope.is_empty()) {
        scope.systems.insert(system.id.clone());
        for repo in &system.repos {
            scope.repos.insert(repo.name.clone());
            if gap_repos.contains(repo.name.as_str()) {
                continue;
            }
            for branch in &repo.branches {
                scope.sources.insert(format!("{}/{branch}", repo.name), 0);
            }
        }
    }
    for change in &snapshot.changes {
        if let Some(n) = scope
            .sources
            .get_mut(&format!("{}/{}", change.repo, change.branch))
        {
            *n += 1;
        }
    }
    scope
}

/// Drift of `current` against `history` (earlier periods, newest first) and the previous
/// recorded run.
pub fn detect(
    current: &Observation,
    history: &[Observation],
    previous: Option<&Observation>,
) -> Vec<Drift> {
    let comparable: Vec<&Observation> = history
        .iter()
        .filter(|h| {
            let ratio = h.seconds as f64 / current.seconds.max(1) as f64;
            (0.8..=1.25).contains(&ratio)
        })
        .take(TRAILING)
        .collect();
    let mut drift = shrinks(current, &comparable);
    drift.extend(silent(current, &comparable));
    if let Some(previous) = previous {
        drift.extend(left_scope(current, previous));
    }
    drift
}

fn shrinks(current: &Observation, history: &[&Observation]) -> Vec<Drift> {
    let mut out = Vec::new();
    for now in &current.controls {
        let past: Vec<(&str, u64)> = history
            .iter()
            .filter_map(|h| {
                let o = h.controls.iter().find(|o| o.control == now.control)?;
                Some((h.period.as_str(), o.tested))
            })
            .collect();
        if past.len() < MIN_HISTORY {
            continue;
        }
        let baseline = median(past.iter().map(|(_, n)| *n).collect());
        if baseline >= MIN_BASELINE && (now.tested as f64) < baseline as f64 * SHRINK_RATIO {
            out.push(Drift::Shrink {
                control: now.control.clone(),
                tested: now.tested,
                baseline,
                periods: past.iter().map(|(p, _)| p.to_string()).collect(),
            });
        }
    }
    out
}

/// The lower median (a whole number of items).
fn median(mut values: Vec<u64>) -> u64 {
    values.sort_unstable();
    values
        .get((values.len().max(1) - 1) / 2)
        .copied()
        .unwrap_or(0)
}

fn silent(current: &Observation, history: &[&Observation]) -> Vec<Drift> {
    let mut out = Vec::new();
    for (source, _) in current.scope.sources.iter().filter(|(_, n)| **n == 0) {
        let seen: BTreeMap<String, u64> = history
            .iter()
            .filter_map(|h| Some((h.period.clone(), *h.scope.sources.get(source)?)))
            .collect();
        if seen.values().any(|n| *n > 0) {
            out.push(Drift::SilentSource {
                source: source.clone(),
                history: seen,
            });
        }
    }
    out
}

fn left_scope(current: &Observation, previous: &Observation) -> Vec<Drift> {
    let gone = |what: &str, before: &BTreeSet<String>, now: &BTreeSet<String>| -> Vec<Drift> {
        before
            .difference(now)
            .map(|name| Drift::LeftScope {
                what: what.to_string(),
                name: name.clone(),
                previous_period: previous.period.clone(),
            })
            .collect()
    };
    let mut out = gone("system", &previous.scope.systems, &current.scope.systems);
    out.extend(gone("repo", &previous.scope.repos, &current.scope.repos));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTH: i64 = 30 * 86_400;

    fn obs(
        period: &str,
        seconds: i64,
        tested: &[(&str, u64)],
        sources: &[(&str, u64)],
    ) -> Observation {
        Observation {
            period: period.into(),
            seconds,
            scope: Scope {
                systems: ["payments".to_string()].into(),
                repos: ["api".to_string()].into(),
                sources: sources.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
            },
            controls: tested
                .iter()
                .map(|(c, n)| Observed {
                    control: c.to_string(),
                    items: *n,
                    tested: *n,
                })
                .collect(),
        }
    }

    #[test]
    fn a_sharp_drop_against_the_trailing_median_is_a_shrink() {
        let history = [
            obs("2026-08", MONTH, &[("CM-01", 20)], &[]),
            obs("2026-07", MONTH, &[("CM-01", 18)], &[]),
            obs("2026-06", MONTH, &[("CM-01", 40)], &[]),
        ];
        let now = obs("2026-09", MONTH, &[("CM-01", 9)], &[]);
        let drift = detect(&now, &history, None);
        assert_eq!(
            drift,
            vec![Drift::Shrink {
                control: "CM-01".into(),
                tested: 9,
                baseline: 20,
                periods: vec!["2026-08".into(), "2026-07".into(), "2026-06".into()],
            }]
        );
        let fine = obs("2026-09", MONTH, &[("CM-01", 10)], &[]);
        assert!(
            detect(&fine, &history, None).is_empty(),
            "half is not under half"
        );
    }

    #[test]
    fn no_shrink_without_enough_comparable_history_or_baseline() {
        let one = [obs("2026-08", MONTH, &[("CM-01", 20)], &[])];
        let now = obs("2026-09", MONTH, &[("CM-01", 0)], &[]);
        assert!(
            detect(&now, &one, None).is_empty(),
            "one period is no trend"
        );
        let quarters = [
            obs("2026-Q2", 3 * MONTH, &[("CM-01", 60)], &[]),
            obs("2026-Q1", 3 * MONTH, &[("CM-01", 60)], &[]),
        ];
        assert!(
            detect(&now, &quarters, None).is_empty(),
            "a month is not a quarter"
        );
        let small = [
            obs("2026-08", MONTH, &[("CM-05", 4)], &[]),
            obs("2026-07", MONTH, &[("CM-05", 4)], &[]),
        ];
        let zero = obs("2026-09", MONTH, &[("CM-05", 0)], &[]);
        assert!(
            detect(&zero, &small, None).is_empty(),
            "below the minimum baseline"
        );
    }

    #[test]
    fn a_branch_that_had_commits_and_has_none_is_silent() {
        let history = [
            obs(
                "2026-08",
                MONTH,
                &[],
                &[("api/main", 0), ("api/release", 3)],
            ),
            obs("2026-07", MONTH, &[], &[("api/main", 12)]),
        ];
        let now = obs(
            "2026-09",
            MONTH,
            &[],
            &[("api/main", 0), ("api/release", 5), ("api/new", 0)],
        );
        let drift = detect(&now, &history, None);
        assert_eq!(drift.len(), 1, "{drift:?}");
        let Drift::SilentSource { source, history } = &drift[0] else {
            panic!("{drift:?}")
        };
        assert_eq!(source, "api/main");
        assert_eq!(history["2026-07"], 12);
        assert!(drift[0].message().contains("12 in 2026-07"));
    }

    #[test]
    fn systems_and_repos_missing_since_the_previous_run_left_scope() {
        let mut before = obs("2026-Q3", 3 * MONTH, &[], &[]);
        before.scope.systems.insert("okta".into());
        before.scope.repos.insert("infra".into());
        let now = obs("2026-09", MONTH, &[], &[]);
        let drift = detect(&now, &[], Some(&before));
        let names: Vec<String> = drift.iter().map(Drift::message).collect();
        assert_eq!(drift.len(), 2, "{names:?}");
        assert!(names[0].starts_with("system okta was in scope in the previous run (2026-Q3)"));
        assert!(names[1].starts_with("repo infra"));
    }

    #[test]
    fn the_median_is_the_lower_middle() {
        assert_eq!(median(vec![3, 1, 2]), 2);
        assert_eq!(median(vec![4, 1, 3, 2]), 2);
        assert_eq!(median(vec![]), 0);
    }
}
