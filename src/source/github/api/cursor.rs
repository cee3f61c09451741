//! The incremental cursor of one repo: which window and branches were last synced, and from
//! which update time a re-sync must look again. Only a re-sync of the same window and
//! branches may use it; any other sync starts over, so a cursor can never hide a pull request
//! that an earlier, narrower sync did not look at.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// How far before the last sync a re-sync looks again: GitHub's search index trails writes,
/// so a pull request updated just before a sync may not have been searchable yet.
pub const LAG: SignedDuration = SignedDuration::from_mins(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    version: u32,
    from: Timestamp,
    to: Timestamp,
    bases: Vec<String>,
    /// Pull requests updated at or after this were not yet seen.
    since: Timestamp,
}

const VERSION: u32 = 1;

/// The `since` of `cursor` when it was written for this window and these branches.
pub fn since(
    cursor: Option<&str>,
    from: Timestamp,
    to: Timestamp,
    bases: &[String],
) -> Option<Timestamp> {
    let state: State = serde_json::from_str(cursor?).ok()?;
    (state.version == VERSION && state.from == from && state.to == to && state.bases == bases)
        .then_some(state.since)
}

/// The cursor after a sync whose first answer was at `synced_at` (server time).
pub fn encode(from: Timestamp, to: Timestamp, bases: &[String], synced_at: Timestamp) -> String {
    let since = synced_at.checked_sub(LAG).unwrap_or(synced_at);
    let state = State {
        version: VERSION,
        from,
        to,
        bases: bases.to_vec(),
        since: Timestamp::from_second(since.as_second()).unwrap_or(since),
    };
    serde_json::to_string(&state).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn round_trips_only_for_the_same_window_and_branches() {
        let bases = vec!["main".to_string()];
        let c = encode(at(0), at(100), &bases, at(5000));
        assert_eq!(since(Some(&c), at(0), at(100), &bases), Some(at(4400)));
        assert_eq!(since(Some(&c), at(0), at(200), &bases), None);
        assert_eq!(since(Some(&c), at(0), at(100), &["dev".to_string()]), None);
        assert_eq!(since(Some("garbage"), at(0), at(100), &bases), None);
        assert_eq!(since(None, at(0), at(100), &bases), None);
    }
}
