//! The built-in meta-control: changes to `controls/` and `policies/` are themselves changes
//! under change management.
//!
//! Nothing special is evaluated for them. The repository that holds the catalogue must be an
//! in-scope repo of some policy system, like any repository whose changes reach production:
//! its first-parent commits (the edits to controls and policies among them) then enter every
//! change-management population, are tested by the same rules, and `POP-00` fails any of them
//! that no control tests. When the catalogue lives in a git repository that no policy declares,
//! the snapshot gets a gap (`catalogue:`), so `check` draws no conclusion (exit 3) until the
//! repository is declared: a catalogue whose own changes go untested cannot vouch for anything.
//! A catalogue outside git (a plain directory, as `itgc demo` writes) has no change history to
//! test and adds nothing.
//!
//! This is the one I/O step of the rule (finding the repository); it runs when the snapshot is
//! built, and the gap travels in the packet like any other, so re-performance agrees.

use std::path::{Path, PathBuf};

use super::Gap;
use crate::model::Catalog;
use crate::model::policy_view::PolicyView;
use crate::source::git::work_tree;

/// A gap for each git repository holding `dirs` (the controls and policies directories) that
/// no in-scope system of the policy declares, located against `root`.
pub fn undeclared(catalog: &Catalog, root: &Path, dirs: &[&Path]) -> Vec<Gap> {
    let policy = PolicyView::new(catalog);
    let declared: Vec<PathBuf> = policy
        .systems
        .values()
        .filter(|s| !s.in_scope.is_empty())
        .flat_map(|s| &s.repos)
        .filter_map(|r| root.join(&r.location).canonicalize().ok())
        .collect();
    let mut gaps: Vec<Gap> = Vec::new();
    for dir in dirs {
        let Some(workdir) = work_tree(dir) else {
            continue;
        };
        let shown = workdir.display().to_string();
        if declared.contains(&workdir) || gaps.iter().any(|g| g.scope.ends_with(&shown)) {
            continue;
        }
        gaps.push(Gap {
            scope: format!("catalogue:{shown}"),
            why: format!(
                "the git repository holding {} is not an in-scope repo of any policy system, so changes to the controls and policies themselves would go untested; declare it under a system's `repos`",
                dir.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
            ),
        });
    }
    gaps
}
