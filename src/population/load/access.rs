//! The access part of a snapshot: every in-scope access list's snapshots for the period, the
//! HR roster in effect and the review campaigns. A list that policy declares in scope but that
//! has no snapshot for the period, or a list imported in the period that policy no longer
//! declares, is a gap: the population must not shrink unnoticed.

use jiff::{SignedDuration, Timestamp};

use crate::model::policy_view::PolicyView;
use crate::period::Period;
use crate::population::Gap;
use crate::population::access::AccessSnapshot;
use crate::store::{Store, StoreError};

/// Exports are taken after the period closes (the morning after, or at the next month's
/// start); a snapshot this long after the end still describes the period.
pub const AS_OF_MARGIN: SignedDuration = SignedDuration::from_hours(31 * 24);

/// Reads the in-scope lists' snapshots, the roster and, when `reviews`, the review campaigns
/// (left out otherwise: no selected rule reads them, and they can hold millions of decisions).
pub async fn load(
    store: &Store,
    policy: &PolicyView<'_>,
    period: &Period,
    reviews: bool,
) -> Result<AccessSnapshot, StoreError> {
    let (start, end) = (period.start(), period.end());
    let until = end + AS_OF_MARGIN;
    let mut access = AccessSnapshot {
        start,
        end,
        lists: Vec::new(),
        roster: store.roster(until).await?,
        reviews: if reviews {
            store.reviews().await?
        } else {
            None
        },
        gaps: Vec::new(),
    };
    let mut declared = Vec::new();
    for system in policy.systems.values().filter(|s| !s.in_scope.is_empty()) {
        for list in &system.access_lists {
            declared.push((system.id.clone(), list.id.clone()));
            let dates = store.access_list_dates(&system.id, &list.id).await?;
            let baseline = dates.iter().rev().find(|d| **d < start).copied();
            let window: Vec<Timestamp> = dates
                .iter()
                .copied()
                .filter(|d| *d >= start && *d <= until)
                .collect();
            if window.is_empty() {
                access.gaps.push(Gap {
                    scope: format!("system:{}", system.id),
                    why: format!(
                        "access list {} has no snapshot taken between {} and {} (run `itgc import access-list FILE --system {} --list {}`)",
                        list.id, start, until, system.id, list.id
                    ),
                });
                continue;
            }
            for at in baseline.into_iter().chain(window) {
                if let Some(snapshot) = store.access_list(&system.id, &list.id, at).await? {
                    access.lists.push(snapshot);
                }
            }
        }
    }
    for (system, list) in store.access_list_ids().await? {
        if declared.contains(&(system.clone(), list.clone())) {
            continue;
        }
        let dates = store.access_list_dates(&system, &list).await?;
        if dates.iter().any(|d| *d >= start && *d <= until) {
            access.gaps.push(Gap {
                scope: format!("system:{system}"),
                why: format!(
                    "access list {list} was imported for this period but the policies no longer declare it in scope; \
                     its accounts would silently leave every access population (declare it again, or take it out \
                     of scope from the next period on)"
                ),
            });
        }
    }
    access
        .lists
        .sort_by(|a, b| (&a.system, &a.list, a.as_of).cmp(&(&b.system, &b.list, b.as_of)));
    Ok(access)
}
