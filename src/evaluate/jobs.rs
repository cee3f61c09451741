//! Computer operations: job and job-run populations (issue 6).

use super::{ItemResult, Run, kind_name};
use crate::model::control::Control;

/// The items of a `jobs` or `job-runs` control, and the gaps that make it incomplete.
pub(super) fn items(_run: &Run, control: &Control) -> (Vec<ItemResult>, Vec<String>) {
    (
        Vec::new(),
        vec![format!(
            "the {} population is not built by this version of itgc yet",
            kind_name(control.population.kind)
        )],
    )
}
