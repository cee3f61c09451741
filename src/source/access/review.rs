//! Access-review campaign exports: one row per account (and entitlement) a reviewer was asked
//! to certify. Headers (case-insensitive): required `campaign`, `system`, `account`; optional
//! `entitlement`, `reviewer_email` (or `reviewer`), `decision` (keep/approve, revoke, modify;
//! empty while pending), `decided_at`, `comment`.

use std::collections::BTreeMap;

use super::AccessError;
use super::table::{self, Row, Table};
use crate::population::access::{Decision, ReviewDecision};

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
    let table = Table::parse(file, bytes, json)?;
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
    let mut seen: BTreeMap<(String, String, String, String), String> = BTreeMap::new();
    let mut decisions = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let d = decision(&table, row, columns)?;
        let key = (
            d.campaign.clone(),
            d.system.clone(),
            d.account.to_lowercase(),
            d.entitlement.clone().unwrap_or_default(),
        );
        if let Some(first) = seen.insert(key, table.place(row)) {
            return Err(table.row_error(
                row,
                format!(
                    "account {} of {} appears twice in campaign `{}` (first on {first})",
                    d.account, d.system, d.campaign
                ),
            ));
        }
        decisions.push(d);
    }
    Ok(decisions)
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
        campaign: required(c, "campaign")?,
        system: required(s, "system")?,
        account: required(a, "account")?,
        entitlement: text(ENTITLEMENT),
        reviewer: text(REVIEWER).map(|r| r.to_lowercase()),
        decision,
        decided_at,
        comment: text(COMMENT).unwrap_or_default(),
    })
}
