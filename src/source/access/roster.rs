//! The HR roster: one row per employee or contractor. Headers are matched by the common HR
//! names (case-insensitive): required `employee_id` (or `employee id`, `id`) and `email`;
//! optional `name`, `status`, `start_date`/`hire_date`, `end_date`/`termination_date`,
//! `manager_id` (else `manager_email`), `department`, `team`, `github_login`/`login` and
//! `aliases` (other emails, split on `;` and `,`).
//!
//! What a missing optional column does (each is recorded in `Roster::has`, never guessed):
//!
//! - `status` and end date both missing: refused (exit 2). Without either, everyone would read
//!   as active and terminated-access-removed would find no leaver: a pass from missing data.
//! - `status` missing: the status is derived from the end date (`terminated` when there is one,
//!   else `active`), which the end-date column present (empty for staff) supports.
//! - end date missing: leavers are known by their status, but not when they left, so their
//!   accounts are not evaluated by terminated-access-removed (exit 3), never passed.
//! - manager missing: review-complete with `reviewer_not_report` cannot tell whether a reviewer
//!   reports to the account holder, so it does not evaluate those reviews.
//! - name, dates of hire, department, team, login, aliases: descriptive, or used only to match
//!   accounts to people; a person not matched is an orphan account (a deviation), not a pass.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;

use super::AccessError;
use super::table::{self, Row, Table};
use crate::facts::access::{Person, Roster, RosterHas};

const EMPLOYEE_ID: &[&str] = &["employee_id", "employee id", "employee number", "id"];
const EMAIL: &[&str] = &["email", "work email", "work_email", "primary email"];
const NAME: &[&str] = &["name", "full name", "display_name"];
const STATUS: &[&str] = &["status", "employment status", "employment_status"];
const HIRED: &[&str] = &[
    "start_date",
    "hire_date",
    "start date",
    "hire date",
    "hired",
];
const ENDED: &[&str] = &[
    "end_date",
    "termination_date",
    "end date",
    "termination date",
    "terminated",
];
const MANAGER: &[&str] = &["manager_id", "manager employee id", "manager"];
const MANAGER_EMAIL: &[&str] = &["manager_email", "manager email"];
const DEPARTMENT: &[&str] = &["department"];
const TEAM: &[&str] = &["team"];
const LOGIN: &[&str] = &["github_login", "login", "username"];
const ALIASES: &[&str] = &["aliases", "other emails", "other_emails"];

/// Reads a roster export. `sha256` is the digest of `bytes`.
pub fn read_roster(
    file: &str,
    bytes: &[u8],
    json: bool,
    as_of: Option<Timestamp>,
    sha256: &str,
) -> Result<Roster, AccessError> {
    let table = Table::parse(file, bytes, json)?;
    let required = |names: &[&str], what: &str| {
        table
            .any_column(names)
            .ok_or_else(|| table.missing(what, &quoted(names)))
    };
    let id = required(EMPLOYEE_ID, "employee id")?;
    let email = required(EMAIL, "email")?;
    let has = RosterHas {
        status: table.any_column(STATUS).is_some(),
        end_date: table.any_column(ENDED).is_some(),
        manager: table
            .any_column(MANAGER)
            .or(table.any_column(MANAGER_EMAIL))
            .is_some(),
    };
    if !has.status && !has.end_date {
        return Err(table.missing(
            "status or end date",
            &format!(
                "{} or {}; the rule terminated-access-removed needs one to tell leavers \
                 from staff",
                quoted(STATUS),
                quoted(ENDED)
            ),
        ));
    }
    let as_of = super::as_of(&table, as_of)?;
    let mut people = Vec::with_capacity(table.rows.len());
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut emails: BTreeMap<String, String> = BTreeMap::new();
    for row in &table.rows {
        let person = person(&table, row, id, email)?;
        for (seen, key, column, what) in [
            (&mut ids, person.employee_id.clone(), id, "employee id"),
            (&mut emails, person.email.clone(), email, "email"),
        ] {
            if let Some(first) = seen.insert(key.clone(), table.place(row)) {
                return Err(table.invalid(
                    row,
                    column,
                    format!("{what} {key} appears twice (first on {first}); one row per person"),
                ));
            }
        }
        people.push(person);
    }
    people.sort_by(|a, b| a.employee_id.cmp(&b.employee_id));
    Ok(Roster {
        as_of,
        has,
        sha256: sha256.to_string(),
        people,
    })
}

fn person(table: &Table, row: &Row, id: usize, email: usize) -> Result<Person, AccessError> {
    let text = |names: &[&str]| row.text(table.any_column(names));
    let employee_id = row
        .text(Some(id))
        .ok_or_else(|| table.invalid(row, id, "the employee id is empty"))?;
    table::identifier(&employee_id).map_err(|p| table.invalid(row, id, p))?;
    let address = row
        .text(Some(email))
        .ok_or_else(|| table.invalid(row, email, "the email is empty"))?;
    if !address.contains('@') {
        return Err(table.invalid(row, email, format!("`{address}` is not an email address")));
    }
    let day = |names: &[&str]| -> Result<Option<Date>, AccessError> {
        let column = table.any_column(names);
        match (column, row.text(column)) {
            (Some(c), Some(t)) => table::date(&t)
                .map(Some)
                .map_err(|p| table.invalid(row, c, p)),
            _ => Ok(None),
        }
    };
    let terminated = day(ENDED)?;
    let status = text(STATUS).map(|s| s.to_lowercase()).unwrap_or_else(|| {
        if terminated.is_some() {
            "terminated"
        } else {
            "active"
        }
        .to_string()
    });
    let email = address.to_lowercase();
    let aliases: Vec<String> = text(ALIASES)
        .map(|a| {
            a.split([';', ','])
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Ok(Person {
        local_parts: Person::local_parts_of(std::iter::once(&email).chain(&aliases)),
        employee_id,
        email,
        name: text(NAME),
        aliases,
        login: text(LOGIN),
        status,
        hired: day(HIRED)?,
        terminated,
        manager: text(MANAGER).or_else(|| text(MANAGER_EMAIL).map(|m| m.to_lowercase())),
        department: text(DEPARTMENT),
        team: text(TEAM),
    })
}

fn quoted(names: &[&str]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    q.join(" or ")
}
