//! Access-review campaign exports: one row per account (and entitlement) a reviewer was asked
//! to certify. Headers (case-insensitive): required `campaign`, `system`, `account`,
//! `decision` (keep/approve, revoke, modify; an empty cell while pending), `decided_at` and
//! `reviewer_email` (or `reviewer`), the last three because review-complete and
//! revocations-executed read them: an export without one of those columns is refused (exit 2)
//! rather than read as every decision pending, undated or by nobody. Optional: `entitlement`
//! and `comment` (free text, the one cell that may span lines).

use super::AccessError;
use super::table::{self, Row, Table};
use crate::facts::access::{Decision, ReviewDecision};

const CAMPAIGN: &[&str] = &["campaign", "campaign name"];
const SYSTEM: &[&str] = &["system", "application"];
const ACCOUNT: &[&str] = &["account", "user", "user_id", "account id"];
const ENTITLEMENT: &[&str] = &["entitlement", "role", "access"];
const REVIEWER: &[&str] = &["reviewer_email", "reviewer", "reviewer email"];
const DECISION: &[&str] = &["decision", "action"];
const DECIDED_AT: &[&str] = &["decided_at", "decided at", "decision date", "reviewed_at"];
const COMMENT: &[&str] = &["comment", "comments", "justification"];

/// Reads a review campaign export.
pub fn read_reviews(
    file: &str,
    bytes: &[u8],
    json: bool,
) -> Result<Vec<ReviewDecision>, AccessError> {
    // The reviewer's comment is free text and may span lines; every other cell is one line.
    let comment = |h: &str| COMMENT.iter().any(|c| h.eq_ignore_ascii_case(c));
    let table = Table::parse_with(file, bytes, json, &comment)?;
    let required = |names: &[&str], what: &str| {
        table.any_column(names).ok_or_else(|| {
            let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            table.missing(what, &q.join(" or "))
        })
    };
    let columns = [
        required(CAMPAIGN, "campaign")?,
        required(SYSTEM, "system")?,
        required(ACCOUNT, "account")?,
    ];
    // Not read here but needed by review-complete and revocations-executed: without these
    // columns every decision would read as pending, undated or unattributed.
    for (names, what) in [
        (DECISION, "decision"),
        (DECIDED_AT, "decided at"),
        (REVIEWER, "reviewer"),
    ] {
        required(names, what)?;
    }
    let decisions = table
        .rows
        .iter()
        .map(|row| decision(&table, row, columns))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some((first, again)) = first_duplicate(&decisions) {
        let (d, row) = (&decisions[again], &table.rows[again]);
        return Err(table.row_error(
            row,
            format!(
                "account {} of {} appears twice in campaign `{}` (first on {})",
                d.account,
                d.system,
                d.campaign,
                table.place(&table.rows[first])
            ),
        ));
    }
    Ok(decisions)
}

/// The earliest row that repeats an earlier one's campaign, system, account (in any case) and
/// entitlement, with that earlier row: found by sorting row numbers, so that a million-row
/// export is not copied into a set of keys.
fn first_duplicate(decisions: &[ReviewDecision]) -> Option<(usize, usize)> {
    let lower: Vec<String> = decisions.iter().map(|d| d.account.to_lowercase()).collect();
    let key = |i: usize| {
        let d = &decisions[i];
        (
            &*d.campaign,
            &*d.system,
            lower[i].as_str(),
            d.entitlement.as_deref().unwrap_or_default(),
        )
    };
    let mut order: Vec<usize> = (0..decisions.len()).collect();
    order.sort_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| key(w[0]) == key(w[1]))
        .map(|w| (w[0], w[1]))
        .min_by_key(|&(_, again)| again)
}

fn decision(
    table: &Table,
    row: &Row,
    [c, s, a]: [usize; 3],
) -> Result<ReviewDecision, AccessError> {
    let required = |column: usize, what: &str| -> Result<String, AccessError> {
        let text = row
            .text(Some(column))
            .ok_or_else(|| table.invalid(row, column, format!("the {what} is empty")))?;
        table::identifier(&text).map_err(|p| table.invalid(row, column, p))?;
        Ok(text)
    };
    let text = |names: &[&str]| row.text(table.any_column(names));
    let decision = match (table.any_column(DECISION), text(DECISION)) {
        (Some(col), Some(word)) => Some(Decision::parse(&word).ok_or_else(|| {
            table.invalid(
                row,
                col,
                format!("`{word}` is not a decision: expected keep (approve), revoke or modify"),
            )
        })?),
        _ => None,
    };
    let decided_at = match (table.any_column(DECIDED_AT), text(DECIDED_AT)) {
        (Some(col), Some(t)) => table::timestamp(&t).map_err(|p| table.invalid(row, col, p))?,
        _ => None,
    };
    Ok(ReviewDecision {
        campaign: required(c, "campaign")?.into(),
        system: required(s, "system")?.into(),
        account: required(a, "account")?.into(),
        entitlement: text(ENTITLEMENT).map(Into::into),
        reviewer: text(REVIEWER).map(|r| r.to_lowercase().into()),
        decision,
        decided_at,
        comment: text(COMMENT).unwrap_or_default().into(),
    })
}
