//! The `account` variable of `expr` rules and population filters on accounts.

use serde_json::json;

use super::rules::{Ctx, is_privileged};

/// The `account` variable's fields, in the order it has them:
///
/// `id`, `system`, `list`, `user_id`, `email`, `display_name`, `roles`, `privileged` (bool),
/// `created`, `last_login` (RFC 3339 or none), `disabled`, `mfa` (multi-factor authentication
/// enabled), `password_enabled` (can sign in with a password; `true` on a list whose mapping
/// has no `password` column), `present` (still on the latest snapshot), `as_of`, `service` (a
/// declared service account), `person` (none, or `employee_id`, `email`, `name`, `status`,
/// `terminated`, `manager`, `department`) and `attributes`: the export's columns that the
/// policy does not map, by header, as exported.
const FIELDS: &[&str] = &[
    "id",
    "system",
    "list",
    "user_id",
    "email",
    "display_name",
    "roles",
    "privileged",
    "created",
    "last_login",
    "disabled",
    "mfa",
    "password_enabled",
    "present",
    "as_of",
    "service",
    "person",
    "attributes",
];

/// One field of the `account` variable (one of [`FIELDS`]).
fn field(ctx: &Ctx, name: &str) -> serde_json::Value {
    let a = ctx.account();
    match name {
        "id" => json!(ctx.item.id()),
        "system" => json!(ctx.item.view.system),
        "list" => json!(ctx.item.view.list),
        "user_id" => json!(a.user_id),
        "email" => json!(a.email),
        "display_name" => json!(a.display_name),
        "roles" => json!(a.roles),
        "privileged" => json!(!is_privileged(ctx).is_empty()),
        "created" => json!(a.created.map(|t| t.to_string())),
        "last_login" => json!(a.last_login.map(|t| t.to_string())),
        "disabled" => json!(a.disabled),
        "mfa" => json!(a.mfa),
        "password_enabled" => json!(password_enabled(ctx)),
        "present" => json!(ctx.item.present),
        "as_of" => json!(ctx.item.seen.to_string()),
        "service" => json!(ctx.bot.is_some()),
        "person" => json!(ctx.person.map(|p| {
            json!({
                "employee_id": p.employee_id, "email": p.email, "name": p.name,
                "status": p.status, "terminated": p.terminated.map(|d| d.to_string()),
                "manager": p.manager, "department": p.department,
            })
        })),
        "attributes" => {
            let attributes = a.attributes.iter();
            serde_json::Value::Object(attributes.map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        _ => serde_json::Value::Null,
    }
}

/// Which fields of `account` a control's expressions need built: all of them, or those
/// they read by name. Building every field of a million accounts for a filter that reads one
/// took half of a run's evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed(Option<Vec<&'static str>>);

impl Needed {
    /// From the fields the expressions read by name (`None`: read some other way). A name
    /// that is no field (`account.items()`, a typo) needs them all: what such an expression
    /// sees must not depend on which fields were built.
    pub fn of(read: Option<std::collections::BTreeSet<String>>) -> Needed {
        let only = read.and_then(|names| {
            let known = |n: &String| FIELDS.iter().copied().find(|f| *f == n.as_str());
            names
                .iter()
                .map(known)
                .collect::<Option<Vec<&'static str>>>()
        });
        Needed(only)
    }

    fn has(&self, name: &str) -> bool {
        self.0.as_ref().is_none_or(|only| only.contains(&name))
    }
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

/// The context `expr` rules and filters are evaluated in: `account` with the [`FIELDS`]
/// `needed`. What the exports do not tell is unknown, never empty or false: a column the
/// list's mapping lacks (`created`, `last_login`, `disabled`, `mfa`; `roles` and `privileged`
/// without a role, groups or privileged column), an `mfa` or `password` cell that is empty or
/// says the export cannot tell (`not_supported`), the `person` when no HR roster was imported, the
/// roster columns it lacks (`status`, `terminated`, `manager`), and any attribute the
/// account's row does not have. An expression that reads one is not evaluated.
pub fn account_context(ctx: &Ctx, needed: &Needed) -> crate::evaluate::expr::Context {
    let mut fields = serde_json::Map::new();
    for name in FIELDS.iter().filter(|f| needed.has(f)) {
        fields.insert((*name).to_string(), field(ctx, name));
    }
    let value = serde_json::Value::Object(fields);
    crate::evaluate::expr::Context::new("account", value, &account_unknown(ctx, needed))
}

/// What `account` does not tell, for the fields `needed` (the others are not built).
fn account_unknown(ctx: &Ctx, needed: &Needed) -> crate::evaluate::expr::Unknown {
    let mut unknown = crate::evaluate::expr::Unknown::default();
    // The reason is written only for a field that is built.
    let mut add = |path: &str, why: &dyn Fn() -> String| {
        let field = path.split('.').next().unwrap_or(path);
        if needed.has(field) {
            unknown.add(path, why());
        }
    };
    let list = ctx.item.view.list;
    let has = ctx.item.view.latest().has;
    for (present, path) in [
        (has.created, "created"),
        (has.last_login, "last_login"),
        (has.disabled, "disabled"),
        (has.mfa, "mfa"),
    ] {
        if !present {
            add(path, &|| {
                format!("access list {list} has no {path} column mapped in policy")
            });
        }
    }
    if !has.roles {
        let why = || {
            format!("access list {list} has no role, groups or privileged column mapped in policy")
        };
        add("roles", &why);
        add("privileged", &why);
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
            add(path, &|| {
                format!(
                    "the {column} column of access list {list} is empty or says the export cannot tell for this account"
                )
            });
        }
    }
    add("attributes.*", &|| {
        format!("the export of access list {list} has no such column for this account")
    });
    match ctx.directory {
        None if ctx.bot.is_none() => add("person", &|| "no HR roster was imported".into()),
        None => {}
        Some(d) => {
            for (present, path, column) in [
                (d.has.status, "person.status", "status"),
                (d.has.end_date, "person.terminated", "end-date"),
                (d.has.manager, "person.manager", "manager"),
            ] {
                if !present {
                    add(path, &|| format!("the HR roster has no {column} column"));
                }
            }
        }
    }
    unknown
}
