//! `expr` rules and population filters: minijinja expressions over an item.
//!
//! The variable model is a contract with the people who write controls, so it is built here
//! explicitly (not by serialising internal types, which may change):
//!
//! `change` —
//! `id`, `system`, `repo`, `branch`, `sha`, `short_sha`, `subject`, `message`,
//! `author` / `committer` (`name`, `email`, `at` as RFC 3339), `paths` and `files_changed`
//! (the same list of changed paths), `signed`, `via` (`pull-request`, `direct-push`,
//! `unknown`), `direct_push` (bool), `labels`, `approvals` (logins of independent approvers
//! whose approval stood at merge), `co_authors` (the email of each `Co-authored-by:` trailer
//! in the message's final trailer block, or its name when it gives no email), and
//! `pull_request` (none for a direct push) with `number`, `title`, `body`, `author`,
//! `base_ref`, `head_ref`, `merged_at`, `merged_by`, `labels`, `reviews` (`author`, `state`,
//! `submitted_at`, `commit`) and `checks` (`name`, `conclusion`).
//!
//! Unknown is not empty ([`super::variables`]): when whether a PR merged the change is
//! unknown, `pull_request`, `approvals`, `labels` and `direct_push` are unknown; when a PR's
//! reviews or checks were not fetched, `approvals` and `pull_request.reviews`, or
//! `pull_request.checks`, are. An expression that reads an unknown (or misspelt) attribute is
//! not evaluated, with a reason naming it. A direct push has no PR: its `approvals` and
//! `labels` are empty and its `pull_request` none, which is known.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::LazyLock;

use minijinja::{Environment, Expression};
use serde_json::json;

use super::Check;
use super::change::ChangeView;
pub use super::variables::{Context, Unknown};
use crate::model::expression;
use crate::population::change::{Via, short};

/// Instructions one expression may execute; far above any sane control expression.
const FUEL: u64 = 100_000;

/// The outcome of evaluating an expression.
pub enum Truth {
    True,
    False,
    /// The expression failed at run time (e.g. an attribute of none).
    Error(String),
    /// The expression read an attribute the item does not have: why each is unknown.
    Unknown(String),
}

impl Truth {
    /// An `expr` rule's verdict; an error or an unknown attribute leaves the item not
    /// evaluated, never failed or passed.
    pub fn rule(self, text: &str, message: &str) -> Check {
        match self {
            Truth::True => Check::Pass(format!("`{text}` holds")),
            Truth::False => Check::Fail(message.to_string()),
            Truth::Error(why) | Truth::Unknown(why) => {
                Check::Missing(format!("the expression could not be evaluated: {why}"))
            }
        }
    }

    /// A population filter's verdict on an item it does not keep (recorded, never silent);
    /// `None` when the item stays in the population.
    pub fn filter(self, text: &str) -> Option<Check> {
        match self {
            Truth::True => None,
            Truth::False => Some(Check::NotApplicable(format!(
                "excluded by the population filter `{text}`"
            ))),
            Truth::Error(why) | Truth::Unknown(why) => Some(Check::Missing(format!(
                "the population filter could not be evaluated: {why}"
            ))),
        }
    }
}

/// Evaluates `expr` on an item's variables.
pub fn eval(expr: &str, ctx: &Context) -> Truth {
    match compiled(expr).as_ref() {
        Ok(compiled) => eval_compiled(compiled, expr, ctx),
        Err(e) => Truth::Error(e.clone()),
    }
}

/// The environment expressions are compiled in: compile once with it, then evaluate many
/// items with [`eval_compiled`] (a population of a million accounts must not compile its
/// filter a million times).
pub fn environment() -> Environment<'static> {
    expression::environment(FUEL)
}

/// Compiles `text` for [`eval_compiled`] through the one guarded compiler (a deep expression
/// must be an error here, never a stack overflow).
pub fn compile<'e, 's>(
    env: &'e Environment<'static>,
    text: &'s str,
) -> Result<Expression<'e, 's>, String> {
    expression::compile(env, text).map_err(|e| e.to_string())
}

/// Evaluates a compiled `expr` on an item's variables.
pub fn eval_compiled(compiled: &Expression<'_, '_>, expr: &str, ctx: &Context) -> Truth {
    ctx.eval(|root| match compiled.eval(root) {
        Ok(v) if v.is_undefined() => Truth::Error(format!("`{expr}` is undefined")),
        Ok(v) if v.is_true() => Truth::True,
        Ok(_) => Truth::False,
        Err(e) => Truth::Error(e.to_string()),
    })
}

type Compiled = Rc<Result<Expression<'static, 'static>, String>>;

/// One environment for every expression: building an environment and compiling an expression
/// cost far more than evaluating one, and a population runs the same few expressions (its
/// filter and `expr` rules) over every item.
static ENV: LazyLock<Environment<'static>> = LazyLock::new(environment);

thread_local! {
    /// Compiled expressions by source text; the catalogue bounds how many there are.
    static COMPILED: RefCell<HashMap<String, Compiled>> = RefCell::new(HashMap::new());
}

fn compiled(expr: &str) -> Compiled {
    COMPILED.with(|cache| {
        if let Some(found) = cache.borrow().get(expr) {
            return Rc::clone(found);
        }
        let compiled =
            Rc::new(expression::compile_owned(&ENV, expr.to_string()).map_err(|e| e.to_string()));
        cache
            .borrow_mut()
            .insert(expr.to_string(), Rc::clone(&compiled));
        compiled
    })
}

/// The `change` variable for a change. What depends on a pull request is unknown when
/// whether one merged the change is unknown, and each part of the PR a source did not list is
/// unknown; a direct push has no PR, so no approvals or labels: that is known.
pub fn change_context(view: &ChangeView<'_>) -> Context {
    Context::new("change", change_value(view), &change_unknown(view))
}

fn change_value(view: &ChangeView<'_>) -> serde_json::Value {
    let change = view.change;
    let commit = &change.commit;
    let via = match change.via {
        Via::PullRequest { .. } => "pull-request",
        Via::DirectPush => "direct-push",
        Via::Unknown { .. } => "unknown",
    };
    let approvals: Vec<&str> = view
        .independent_approvals()
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.login.as_str())
        .collect();
    let labels = view.pr.map(|pr| pr.labels.clone()).unwrap_or_default();
    json!({
        "id": change.id,
        "system": change.system,
        "repo": change.repo,
        "branch": change.branch,
        "sha": commit.oid,
        "short_sha": short(&commit.oid),
        "subject": change.subject(),
        "message": commit.message,
        "author": signature(&commit.author),
        "committer": signature(&commit.committer),
        "paths": commit.paths,
        "files_changed": commit.paths,
        "signed": commit.signed,
        "via": via,
        "direct_push": matches!(change.via, Via::DirectPush),
        "labels": labels,
        "approvals": approvals,
        "co_authors": co_authors(&commit.message),
        "pull_request": view.pr.map(pull_request_value),
    })
}

/// Each co-author's email, or the name of one the trailer gives no email for: a name-only
/// trailer still names a contributor, so it is not dropped from what an expression sees.
fn co_authors(message: &str) -> Vec<String> {
    crate::trailers::co_authors(message)
        .into_iter()
        .map(|c| c.email.unwrap_or(c.name))
        .collect()
}

/// What the data does not tell about the change's pull request.
fn change_unknown(view: &ChangeView<'_>) -> Unknown {
    let mut unknown = Unknown::default();
    if let Via::Unknown { why } = &view.change.via {
        let why = format!("no pull-request data for this change ({why})");
        for path in ["pull_request", "approvals", "labels", "direct_push"] {
            unknown.add(path, why.clone());
        }
    }
    let Some(pr) = view.pr else { return unknown };
    if pr.reviews.is_none() {
        let why = format!("the reviews of #{} were not fetched", pr.number);
        unknown.add("approvals", why.clone());
        unknown.add("pull_request.reviews", why);
    }
    if pr.checks.is_none() {
        let why = format!("the status checks of #{} were not fetched", pr.number);
        unknown.add("pull_request.checks", why);
    }
    unknown
}

fn signature(s: &crate::facts::Signature) -> serde_json::Value {
    json!({ "name": s.name, "email": s.email, "at": s.at.to_string() })
}

fn pull_request_value(pr: &crate::facts::PullRequest) -> serde_json::Value {
    let reviews: Vec<serde_json::Value> = pr
        .reviews
        .iter()
        .flatten()
        .map(|r| {
            json!({
                "author": r.author.login,
                "state": r.state,
                "submitted_at": r.submitted_at.map(|t| t.to_string()),
                "commit": r.commit_oid,
            })
        })
        .collect();
    let checks: Vec<serde_json::Value> = pr
        .checks
        .iter()
        .flatten()
        .map(|c| json!({ "name": c.name, "conclusion": c.conclusion }))
        .collect();
    json!({
        "number": pr.number,
        "title": pr.title,
        "body": pr.body,
        "author": pr.author.login,
        "base_ref": pr.base_ref,
        "head_ref": pr.head_ref,
        "merged_at": pr.merged_at.to_string(),
        "merged_by": pr.merged_by.as_ref().map(|a| a.login.clone()),
        "labels": pr.labels,
        "reviews": reviews,
        "checks": checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(item: serde_json::Value) -> Context {
        Context::new("change", item, &Unknown::default())
    }

    #[test]
    fn expressions_see_the_bound_item() {
        let item = ctx(json!({ "files_changed": ["a", "b"], "approvals": ["x"] }));
        let t = |e| matches!(eval(e, &item), Truth::True);
        assert!(t("(change.files_changed | length) < 500"));
        assert!(t("(change.approvals | length) >= 1"));
        assert!(!t("(change.approvals | length) >= 2"));
    }

    #[test]
    fn a_cached_expression_sees_each_item_and_a_bad_one_stays_an_error() {
        for n in 0..3 {
            let item = ctx(json!({ "n": n }));
            let holds = matches!(eval("change.n >= 1", &item), Truth::True);
            assert_eq!(holds, n >= 1);
            assert!(matches!(eval("change.n >=", &item), Truth::Error(_)));
        }
    }

    /// A nesting that overflows minijinja's recursive parser is an error, on a test thread's
    /// small stack too, through both doors (the cache and the per-population compile).
    #[test]
    fn a_deep_expression_is_an_error_not_an_abort() {
        let item = ctx(json!({ "x": 1 }));
        for text in [
            format!("{}true", "not ".repeat(1_500)),
            format!("change{}", "|lower".repeat(1_300)),
            format!("change{}", "()".repeat(4_000)),
        ] {
            match eval(&text, &item) {
                Truth::Error(e) => assert!(e.contains("levels deep"), "{e}"),
                _ => panic!("a deep expression evaluated"),
            }
            let env = environment();
            assert!(compile(&env, &text).is_err());
        }
    }

    #[test]
    fn runtime_errors_are_not_false() {
        let item = ctx(json!({ "pull_request": null }));
        for expr in ["change.pull_request.number > 1", "change.misspelt"] {
            assert!(
                matches!(eval(expr, &item), Truth::Error(_) | Truth::Unknown(_)),
                "{expr}"
            );
        }
    }
}
