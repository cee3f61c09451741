//! An access-list export read through its system's column mapping (policy `columns:`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use super::AccessError;
use super::table::{self, Row, Table};
use crate::facts::access::{Account, Attributes, Has, ListSnapshot};
use crate::model::policy::{AccessColumns, AccessList, ExportFormat, ListSource};

/// Where each mapped field is in the export.
struct Mapped {
    user_id: usize,
    email: Option<usize>,
    display_name: Option<usize>,
    role: Option<usize>,
    groups: Option<usize>,
    privileged: Option<usize>,
    created: Option<usize>,
    /// The activity columns (policy `activity`, or `last_login`): name and index.
    activity: Vec<(String, usize)>,
    disabled: Option<usize>,
    mfa: Option<usize>,
    password: Option<usize>,
}

/// Reads an access list export of `system` with `list`'s mapping. `sha256` is the digest of
/// `bytes`, kept as the snapshot's evidence reference.
pub fn read_list(
    file: &str,
    bytes: &[u8],
    system: &str,
    list: &AccessList,
    as_of: Option<Timestamp>,
    sha256: &str,
) -> Result<ListSnapshot, AccessError> {
    let Some(ListSource::File { format, columns }) = list.source() else {
        return Err(AccessError::File {
            file: file.to_string(),
            problem: format!(
                "access list {system}/{} has no `format:` and `columns:` in policy to read a file with{}",
                list.id,
                if list.github.is_some() {
                    " (it is read from GitHub by `itgc sync`)"
                } else {
                    ""
                }
            ),
        });
    };
    let table = Table::parse(file, bytes, format == ExportFormat::Json)?;
    let mapped = resolve(&table, system, &list.id, columns)?;
    let as_of = super::as_of(&table, as_of)?;
    let mut accounts = Vec::with_capacity(table.rows.len());
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for row in &table.rows {
        let account = account(&table, &mapped, row)?;
        if let Some(first) = seen.insert(account.user_id.to_lowercase(), table.place(row)) {
            return Err(table.row_error(
                row,
                format!(
                    "account {} appears twice (first on {first}); one row per account",
                    account.user_id
                ),
            ));
        }
        accounts.push(account);
    }
    accounts.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    Ok(ListSnapshot {
        system: system.to_string(),
        list: list.id.clone(),
        as_of,
        sha256: sha256.to_string(),
        has: Has {
            created: mapped.created.is_some(),
            last_login: !mapped.activity.is_empty(),
            disabled: mapped.disabled.is_some() || list.never_disabled,
            roles: mapped.role.is_some() || mapped.groups.is_some() || mapped.privileged.is_some(),
            mfa: mapped.mfa.is_some(),
            password: mapped.password.is_some(),
        },
        activity: mapped.activity.into_iter().map(|(name, _)| name).collect(),
        accounts,
    })
}

fn resolve(
    table: &Table,
    system: &str,
    list: &str,
    c: &AccessColumns,
) -> Result<Mapped, AccessError> {
    let find = |field: &str, name: &Option<String>| -> Result<Option<usize>, AccessError> {
        let Some(name) = name else { return Ok(None) };
        table.column(name).map(Some).ok_or_else(|| {
            table.missing(
                field,
                &format!(
                    "`{name}`, mapped to {field} for {system}/{list} by policy key \
                     `columns.{field}`"
                ),
            )
        })
    };
    Ok(Mapped {
        user_id: find("user_id", &Some(c.user_id.clone()))?.unwrap_or_default(),
        email: find("email", &c.email)?,
        display_name: find("display_name", &c.display_name)?,
        role: find("role", &c.role)?,
        groups: find("groups", &c.groups)?,
        privileged: find("privileged", &c.privileged)?,
        created: find("created", &c.created)?,
        activity: activity_columns(c, &find)?,
        disabled: find("disabled", &c.disabled)?,
        mfa: find("mfa", &c.mfa)?,
        password: find("password", &c.password)?,
    })
}

fn account(table: &Table, m: &Mapped, row: &Row) -> Result<Account, AccessError> {
    let user_id = row
        .text(Some(m.user_id))
        .ok_or_else(|| table.invalid(row, m.user_id, "the account's user id is empty"))?;
    table::identifier(&user_id).map_err(|p| table.invalid(row, m.user_id, p))?;
    let time = |column: Option<usize>| -> Result<Option<Timestamp>, AccessError> {
        match (column, row.text(column)) {
            (Some(c), Some(text)) => table::timestamp(&text).map_err(|p| table.invalid(row, c, p)),
            _ => Ok(None),
        }
    };
    let uses = m
        .activity
        .iter()
        .map(|(name, c)| {
            super::activity::parse(name, row.text(Some(*c)).as_deref())
                .map_err(|p| table.invalid(row, *c, p))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut roles = roles_of(row, m.role);
    roles.extend(roles_of(row, m.groups));
    let privileged = match (m.privileged, row.text(m.privileged)) {
        (Some(c), Some(text)) => Some(
            table::boolean(&text)
                .ok_or_else(|| table.invalid(row, c, format!("`{text}` is not a yes/no value")))?,
        ),
        _ => None,
    };
    Ok(Account {
        email: row.text(m.email),
        display_name: row.text(m.display_name),
        privileged,
        created: time(m.created)?,
        last_login: super::activity::latest(&uses).map(|(_, at)| at),
        uses,
        disabled: disabled(table, row, m.disabled)?,
        mfa: flag(table, row, m.mfa)?,
        password: flag(table, row, m.password)?,
        attributes: attributes(table, m, row),
        roles,
        user_id,
    })
}

/// Finds a mapped column: (field, policy name) → its index, or the error naming the key.
type Find<'f> = dyn Fn(&str, &Option<String>) -> Result<Option<usize>, AccessError> + 'f;

/// Where each activity column is; a missing one is refused like any mapped column, under the
/// policy key that names it (`columns.last_login` or `columns.activity`).
fn activity_columns(c: &AccessColumns, find: &Find) -> Result<Vec<(String, usize)>, AccessError> {
    let field = if c.activity.is_empty() {
        "last_login"
    } else {
        "activity"
    };
    let mut found = Vec::new();
    for name in c.activity_columns() {
        if let Some(index) = find(field, &Some(name.to_string()))? {
            found.push((name.to_string(), index));
        }
    }
    Ok(found)
}

/// Role names in a cell: a JSON array of names, or text split on `;` and `,`.
fn roles_of(row: &Row, column: Option<usize>) -> Vec<String> {
    let Some(value) = column.and_then(|c| row.value(c)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => s.split([';', ',']).map(str::to_string).collect(),
        other => vec![other.to_string()],
    };
    names.retain_mut(|n| {
        *n = n.trim().to_string();
        !n.is_empty()
    });
    names
}

/// A disabled flag: a yes/no value, or a status word (`ACTIVE`, `DEPROVISIONED`, …).
fn disabled(table: &Table, row: &Row, column: Option<usize>) -> Result<bool, AccessError> {
    let (Some(c), Some(text)) = (column, row.text(column)) else {
        return Ok(false);
    };
    if let Some(flag) = table::boolean(&text) {
        return Ok(flag);
    }
    match text.to_lowercase().as_str() {
        "active" | "enabled" | "provisioned" | "staged" | "recovery" | "password_expired"
        | "locked_out" => Ok(false),
        "disabled" | "deprovisioned" | "suspended" | "deactivated" | "inactive" | "deleted"
        | "removed" => Ok(true),
        _ => Err(table.invalid(
            row,
            c,
            format!(
                "`{text}` is neither a yes/no value nor a known status \
                 (active, enabled, disabled, deprovisioned, suspended, deactivated, inactive)"
            ),
        )),
    }
}

/// A yes/no column (`mfa`, `password`). An empty cell or the export's own "cannot say"
/// (AWS `not_supported`, `N/A`) is `None`: unknown, never a no.
fn flag(table: &Table, row: &Row, column: Option<usize>) -> Result<Option<bool>, AccessError> {
    let (Some(c), Some(text)) = (column, row.text(column)) else {
        return Ok(None);
    };
    if let Some(flag) = table::boolean(&text) {
        return Ok(Some(flag));
    }
    match text.to_lowercase().as_str() {
        "enabled" | "active" => Ok(Some(true)),
        "disabled" | "inactive" => Ok(Some(false)),
        "not_supported" | "n/a" | "unknown" => Ok(None),
        _ => Err(table.invalid(
            row,
            c,
            format!(
                "`{text}` is not a yes/no value (true, false, yes, no, enabled, disabled; \
                 not_supported or N/A when the export cannot say)"
            ),
        )),
    }
}

/// The columns the mapping does not name (nor `as_of`), as exported.
fn attributes(table: &Table, m: &Mapped, row: &Row) -> Attributes {
    let mapped = [
        Some(m.user_id),
        m.email,
        m.display_name,
        m.role,
        m.groups,
        m.privileged,
        m.created,
        m.disabled,
        m.mfa,
        m.password,
    ];
    let activity = |i: usize| m.activity.iter().any(|(_, c)| *c == i);
    let mut out = Attributes::new();
    for (i, name) in table.headers.iter().enumerate() {
        if mapped.contains(&Some(i)) || activity(i) || name.eq_ignore_ascii_case("as_of") {
            continue;
        }
        if let Some(v) = row.value(i) {
            out.insert(name.clone(), v);
        }
    }
    out
}
