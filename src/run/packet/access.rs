//! `snapshots/access.jsonl`: the access part of a snapshot as JSON lines. First its frame (the
//! period's bounds, the HR roster, the gaps, whether review campaigns were read), then one line
//! per access-list snapshot, then one per review decision. A million accounts on one line
//! made redaction and canonical serialisation build one JSON tree of them all; a line per list
//! bounds that to one list.
//!
//! Packets written before this layout hold the whole part on one line; they still read.

use serde::{Deserialize, Serialize};

use crate::population::Gap;
use crate::population::access::{AccessSnapshot, ListSnapshot, ReviewDecision, Roster};

/// One line of the part; `line` names which.
#[derive(Serialize, Deserialize)]
#[serde(tag = "line", rename_all = "kebab-case")]
pub enum Line<F, L, R> {
    Frame(F),
    List(L),
    Review(R),
}

/// Everything of the part but its lists and decisions.
#[derive(Serialize, Deserialize)]
pub struct Frame {
    start: jiff::Timestamp,
    end: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roster: Option<Roster>,
    /// Whether review campaigns were read (none read is not an empty campaign).
    reviews: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    gaps: Vec<Gap>,
}

type Written<'a> = Line<Frame, &'a ListSnapshot, &'a ReviewDecision>;
type Read = Line<Frame, ListSnapshot, ReviewDecision>;

/// The lines of `access`, in order.
pub fn lines(access: &AccessSnapshot) -> impl Iterator<Item = Written<'_>> {
    let frame = Frame {
        start: access.start,
        end: access.end,
        roster: access.roster.clone(),
        reviews: access.reviews.is_some(),
        gaps: access.gaps.clone(),
    };
    std::iter::once(Line::Frame(frame))
        .chain(access.lists.iter().map(Line::List))
        .chain(access.reviews.iter().flatten().map(Line::Review))
}

/// Reads the part from its lines (each already split off), in either layout.
pub fn read<L: AsRef<[u8]>>(
    mut lines: impl Iterator<Item = (usize, L)>,
) -> Result<AccessSnapshot, (usize, String)> {
    let Some((n, first)) = lines.next() else {
        return Err((0, "the access part is empty".into()));
    };
    let frame = match serde_json::from_slice::<Read>(first.as_ref()) {
        Ok(Line::Frame(frame)) => frame,
        Ok(_) => return Err((n, "the first line must be the frame".into())),
        Err(_) => return read_whole(n, first.as_ref(), lines),
    };
    let mut access = AccessSnapshot {
        start: frame.start,
        end: frame.end,
        lists: Vec::new(),
        roster: frame.roster,
        reviews: frame.reviews.then(Vec::new),
        gaps: frame.gaps,
    };
    for (n, line) in lines {
        match serde_json::from_slice::<Read>(line.as_ref()).map_err(|e| (n, e.to_string()))? {
            Line::List(list) => access.lists.push(list),
            Line::Review(decision) => match access.reviews.as_mut() {
                Some(reviews) => reviews.push(decision),
                None => return Err((n, "a review decision, but the frame says none".into())),
            },
            Line::Frame(_) => return Err((n, "a second frame".into())),
        }
    }
    Ok(access)
}

/// The layout of earlier packets: the whole part on its only line.
fn read_whole<L>(
    n: usize,
    line: &[u8],
    mut rest: impl Iterator<Item = (usize, L)>,
) -> Result<AccessSnapshot, (usize, String)> {
    let access = serde_json::from_slice(line).map_err(|e| (n, e.to_string()))?;
    match rest.next() {
        Some((m, _)) => Err((m, "a whole-part line must be the only one".into())),
        None => Ok(access),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::access::{Account, Has};

    fn access(reviews: Option<Vec<ReviewDecision>>) -> AccessSnapshot {
        let at = |s: i64| jiff::Timestamp::from_second(s).unwrap();
        let account = |id: &str| Account {
            user_id: id.into(),
            email: None,
            display_name: None,
            roles: vec!["Admins".into()],
            privileged: None,
            created: None,
            last_login: None,
            uses: Vec::new(),
            disabled: false,
            mfa: None,
            password: None,
            attributes: Default::default(),
        };
        AccessSnapshot {
            start: at(1_782_864_000),
            end: at(1_790_812_800),
            lists: ["aws", "okta"]
                .into_iter()
                .map(|system| ListSnapshot {
                    system: system.into(),
                    list: format!("{system}-users"),
                    as_of: at(1_790_850_000),
                    sha256: "0".repeat(64),
                    has: Has::default(),
                    activity: Vec::new(),
                    accounts: vec![account("a"), account("b")],
                })
                .collect(),
            roster: None,
            reviews,
            gaps: vec![Gap {
                scope: "system:gcp".into(),
                why: "no snapshot".into(),
            }],
        }
    }

    fn write(access: &AccessSnapshot) -> Vec<Vec<u8>> {
        lines(access)
            .map(|l| serde_json::to_vec(&l).unwrap())
            .collect()
    }

    fn read_back(lines: &[Vec<u8>]) -> Result<AccessSnapshot, (usize, String)> {
        read(lines.iter().enumerate().map(|(n, l)| (n, l.as_slice())))
    }

    #[test]
    fn a_part_reads_back_whole_from_a_line_per_list_and_decision() {
        let decision = ReviewDecision {
            campaign: "Q3".into(),
            system: "aws".into(),
            account: "a".into(),
            entitlement: None,
            reviewer: Some("r@x".into()),
            decision: None,
            decided_at: None,
            comment: "".into(),
        };
        for part in [
            access(None),
            access(Some(vec![])),
            access(Some(vec![decision])),
        ] {
            let written = write(&part);
            let n = 1 + part.lists.len() + part.reviews.as_ref().map_or(0, Vec::len);
            assert_eq!(written.len(), n);
            assert_eq!(read_back(&written).unwrap(), part);
        }
    }

    #[test]
    fn the_one_line_layout_of_earlier_packets_still_reads() {
        let part = access(None);
        let old = vec![serde_json::to_vec(&part).unwrap()];
        assert_eq!(read_back(&old).unwrap(), part);
        let twice = vec![old[0].clone(), old[0].clone()];
        assert_eq!(read_back(&twice).unwrap_err().0, 1);
    }

    #[test]
    fn lines_out_of_place_are_refused() {
        let mut written = write(&access(None));
        written.swap(0, 1);
        assert!(read_back(&written).unwrap_err().1.contains("first line"));
        let mut written = write(&access(None));
        written.push(written[0].clone());
        assert!(read_back(&written).unwrap_err().1.contains("second frame"));
    }
}
