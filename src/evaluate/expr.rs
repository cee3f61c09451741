//! `expr` rules and population filters: minijinja expressions over an item. Every domain
//! compiles its control's filter and `expr` rules once with [`Exprs`] and evaluates them on
//! each item's variables (its `context.rs`: `change`, `account`, `job`, `run`).
//!
//! Unknown is not empty ([`super::variables`]): an expression that reads an unknown (or
//! misspelt) attribute is not evaluated, with a reason naming it.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use minijinja::{Environment, Expression};

use super::Check;
pub use super::variables::{Context, Unknown};
use crate::model::control::Control;
use crate::model::expression;
use crate::model::rule::Rule;

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

/// Evaluates `expr` on an item's variables, compiling it for this one evaluation (a
/// population compiles its expressions once, with [`Exprs`]).
pub fn eval(expr: &str, ctx: &Context) -> Truth {
    match compile(&ENV, expr) {
        Ok(compiled) => eval_compiled(&compiled, expr, ctx),
        Err(e) => Truth::Error(e),
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

/// One environment for every expression: building one costs far more than evaluating an
/// expression.
static ENV: LazyLock<Environment<'static>> = LazyLock::new(environment);

/// A control's population filter and `expr` rules, compiled once for its whole population (a
/// population of a million accounts must not compile its filter a million times). Every
/// domain evaluates them through this, on the item's context.
pub struct Exprs<'c> {
    filter: Option<Compiled<'c>>,
    /// One per rule (`None` for rules that are not `expr`), in the control's order.
    rules: Vec<Option<Compiled<'c>>>,
}

/// One expression with its source text (quoted in reasons).
struct Compiled<'c> {
    text: &'c str,
    compiled: Result<Expression<'static, 'static>, String>,
}

impl Compiled<'_> {
    fn truth(&self, ctx: &Context) -> Truth {
        match &self.compiled {
            Ok(c) => eval_compiled(c, self.text, ctx),
            Err(e) => Truth::Error(e.clone()),
        }
    }
}

impl<'c> Exprs<'c> {
    pub fn new(control: &'c Control) -> Exprs<'c> {
        let compile = |text: &'c str| Compiled {
            text,
            compiled: expression::compile_owned(&ENV, text.to_string()).map_err(|e| e.to_string()),
        };
        Exprs {
            filter: control.population.filter.as_deref().map(compile),
            rules: control
                .rules
                .iter()
                .map(|r| match r {
                    Rule::Expr { expr, .. } => Some(compile(expr)),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Whether any item needs its context built: the control has a filter or an `expr` rule.
    pub fn needs_context(&self) -> bool {
        self.filter.is_some() || self.rules.iter().any(Option::is_some)
    }

    /// The fields of `variable` the control's expressions read by name (`account.disabled`
    /// reads `disabled`), or `None` when one reads it any other way (`account | length`,
    /// `account[key]`), or cannot be compiled: then every field must be there.
    pub fn fields_read(&self, variable: &str) -> Option<BTreeSet<String>> {
        let mut fields = BTreeSet::new();
        let compiled = self.filter.iter().chain(self.rules.iter().flatten());
        for c in compiled {
            let expression = c.compiled.as_ref().ok()?;
            for path in expression.undeclared_variables(true) {
                let Some(rest) = path.strip_prefix(variable) else {
                    continue;
                };
                match rest.strip_prefix('.') {
                    Some(rest) => fields.insert(rest.split('.').next()?.to_string()),
                    None if rest.is_empty() => return None,
                    None => continue, // another variable that starts alike (`accounts`)
                };
            }
        }
        Some(fields)
    }

    /// The population filter's verdict on an item it excludes (recorded, never silent);
    /// `None` when the item stays, or the control has no filter.
    pub fn filter(&self, ctx: Option<&Context>) -> Option<Check> {
        let (filter, ctx) = (self.filter.as_ref()?, ctx?);
        filter.truth(ctx).filter(filter.text)
    }

    /// The verdict of the control's rule at `index`, an `expr` rule, on an item.
    pub fn rule(&self, index: usize, ctx: Option<&Context>, message: &str) -> Check {
        match (self.rules.get(index).and_then(Option::as_ref), ctx) {
            (Some(e), Some(ctx)) => e.truth(ctx).rule(e.text, message),
            _ => Check::Missing("the expression could not be compiled".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn the_fields_an_expression_reads_by_name_are_known_and_any_other_read_is_everything() {
        let control = |filter: &str, rule: &str| -> Control {
            let yaml = format!(
                "id: T-1\ntitle: t\nobjective: o\nrisk: r\ndomain: logical-access\n\
                 frameworks: {{sox: [access-to-programs-and-data]}}\nowner: o\nfrequency: monthly\nseverity: high\n\
                 population:\n  kind: accounts\n  filter: '{filter}'\n\
                 rules:\n  - kind: expr\n    expr: '{rule}'\n    message: m\n"
            );
            serde_saphyr::from_str(&yaml).expect("a control")
        };
        let read = |filter: &str, rule: &str| {
            let c = control(filter, rule);
            Exprs::new(&c).fields_read("account")
        };
        let names = |n: &[&str]| Some(n.iter().map(|s| s.to_string()).collect());
        assert_eq!(read("not account.disabled", "true"), names(&["disabled"]));
        assert_eq!(
            read(
                "account.person.status == \"x\"",
                "accounts.mfa or account.mfa"
            ),
            names(&["mfa", "person"])
        );
        assert_eq!(read("account | length > 1", "true"), None);
        assert_eq!(read("account[\"disabled\"]", "true"), None);
        assert_eq!(read("true", "account.disabled and"), None, "not compiled");
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
