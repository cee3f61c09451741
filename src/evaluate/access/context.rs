//! The `account` variable of `expr` rules and population filters on accounts.

use serde_json::json;

use super::rules::{Ctx, is_privileged};

/// The `account` variable of `expr` rules and population filters.
///
/// `id`, `system`, `list`, `user_id`, `email`, `display_name`, `roles`, `privileged` (bool),
/// `created`, `last_login` (RFC 3339 or none), `disabled`, `mfa` (multi-factor authentication
/// enabled), `password_enabled` (can sign in with a password; `true` on a list whose mapping
/// has no `password` column), `present` (still on the latest snapshot), `as_of`, `service` (a declared service account), `person` (none, or
/// `employee_id`, `email`, `name`, `status`, `terminated`, `manager`, `department`) and
/// `attributes` (added by [`account_context`]): the export's columns that the policy does not
/// map, by header, as exported.
pub fn account_value(ctx: &Ctx) -> serde_json::Value {
    let a = ctx.account();
    let person = ctx.person.map(|p| {
        json!({
            "employee_id": p.employee_id, "email": p.email, "name": p.name,
            "status": p.status, "terminated": p.terminated.map(|d| d.to_string()),
            "manager": p.manager, "department": p.department,
        })
    });
    json!({
        "id": ctx.item.id(),
        "system": ctx.item.view.system,
        "list": ctx.item.view.list,
        "user_id": a.user_id,
        "email": a.email,
        "display_name": a.display_name,
        "roles": a.roles,
        "privileged": !is_privileged(ctx).is_empty(),
        "created": a.created.map(|t| t.to_string()),
        "last_login": a.last_login.map(|t| t.to_string()),
        "disabled": a.disabled,
        "mfa": a.mfa,
        "password_enabled": password_enabled(ctx),
        "present": ctx.item.present,
        "as_of": ctx.item.seen.to_string(),
        "service": ctx.bot.is_some(),
        "person": person,
    })
}

/// Whether the account can sign in with a password. A list whose mapping has no `password`
/// column says nothing about it, and an account that signs in with a password is the case a
/// multi-factor control must not miss, so such a list's accounts are taken to have one.
fn password_enabled(ctx: &Ctx) -> Option<bool> {
    if ctx.item.view.latest().has.password {
        ctx.account().password
    } else {
        Some(true)
    }
}

/// The context `expr` rules and filters are evaluated in: `account` as [`account_value`] with
/// `attributes`. What the exports do not tell is unknown, never empty or false: a column the
/// list's mapping lacks (`created`, `last_login`, `disabled`, `mfa`; `roles` and `privileged`
/// without a role, groups or privileged column), an `mfa` or `password` cell that is empty or
/// says the export cannot tell (`not_supported`), the `person` when no HR roster was imported, the
/// roster columns it lacks (`status`, `terminated`, `manager`), and any attribute the
/// account's row does not have. An expression that reads one is not evaluated.
pub fn account_context(ctx: &Ctx) -> crate::evaluate::expr::Context {
    let mut value = account_value(ctx);
    if let serde_json::Value::Object(fields) = &mut value {
        let attributes = ctx.account().attributes.iter();
        let attributes = attributes.map(|(k, v)| (k.clone(), v.clone())).collect();
        fields.insert("attributes".into(), serde_json::Value::Object(attributes));
    }
    crate::evaluate::expr::Context::new("account", value, &account_unknown(ctx))
}

fn account_unknown(ctx: &Ctx) -> crate::evaluate::expr::Unknown {
    let mut unknown = crate::evaluate::expr::Unknown::default();
    let list = ctx.item.view.list;
    let has = ctx.item.view.latest().has;
    for (present, path) in [
        (has.created, "created"),
        (has.last_login, "last_login"),
        (has.disabled, "disabled"),
        (has.mfa, "mfa"),
    ] {
        if !present {
            unknown.add(
                path,
                format!("access list {list} has no {path} column mapped in policy"),
            );
        }
    }
    if !has.roles {
        let why =
            format!("access list {list} has no role, groups or privileged column mapped in policy");
        unknown.add("roles", why.clone());
        unknown.add("privileged", why);
    }
    let account = ctx.account();
    for (mapped, value, path, column) in [
        (has.mfa, account.mfa, "mfa", "mfa"),
        (
            has.password,
            account.password,
            "password_enabled",
            "password",
        ),
    ] {
        if mapped && value.is_none() {
            let why = format!(
                "the {column} column of access list {list} is empty or says the export cannot tell for this account"
            );
            unknown.add(path, why);
        }
    }
    unknown.add(
        "attributes.*",
        format!("the export of access list {list} has no such column for this account"),
    );
    match ctx.directory {
        None if ctx.bot.is_none() => unknown.add("person", "no HR roster was imported"),
        None => {}
        Some(d) => {
            for (present, path, column) in [
                (d.has.status, "person.status", "status"),
                (d.has.end_date, "person.terminated", "end-date"),
                (d.has.manager, "person.manager", "manager"),
            ] {
                if !present {
                    unknown.add(path, format!("the HR roster has no {column} column"));
                }
            }
        }
    }
    unknown
}
