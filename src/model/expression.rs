//! The one door through which a control's minijinja expression (an `expr` rule or a population
//! `filter`) is compiled: its size and nesting are bounded *before* minijinja sees it.
//!
//! minijinja's parser, optimiser, code generator and the drop of its syntax tree all recurse
//! once per level of the tree. It guards parentheses itself, but not chains: `not not … true`,
//! `- - … 1`, `x|lower|lower…`, `x.a.a…`, `x[0][0]…`, `x()()…`, `a and a and …`, `1 if x
//! else 1 if x else …`. Measured on a debug build (the largest stack frames) with a 2 MiB
//! thread stack (what test threads and tokio workers get): the first overflow comes after
//! ~1,100 chained calls, ~1,200 `and`s, ~1,350 filters, attributes, subscripts or tests and
//! ~2,300 unary operators. A stack overflow aborts the process (no unwinding, no exit code we
//! choose), so the bound must be checked by a scanner that does not recurse.
//!
//! [`MAX_DEPTH`] is an upper bound on the depth of the syntax tree, ten times below the
//! smallest of those numbers and far above any expression a reviewer could read.

use std::fmt;

use minijinja::{Environment, Expression};

/// Deepest syntax tree an expression may produce (see the module comment for the margin).
pub const MAX_DEPTH: usize = 100;

/// Longest expression accepted, in bytes: a control expression is reviewed by people; a
/// megabyte of it is an attack on the compiler (time and memory), not a control.
pub const MAX_LEN: usize = 8 * 1024;

/// Why an expression is refused before or while compiling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprError {
    TooLong {
        len: usize,
    },
    TooDeep {
        depth: usize,
    },
    /// minijinja's own syntax error (its detail, or its whole message).
    Syntax(String),
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExprError::TooLong { len } => write!(
                f,
                "the expression is {len} bytes long; expressions are limited to {MAX_LEN} bytes"
            ),
            ExprError::TooDeep { depth } => write!(
                f,
                "the expression nests {depth} levels deep (chained operators, filters, \
                 attributes, subscripts or brackets); expressions are limited to {MAX_DEPTH} levels"
            ),
            ExprError::Syntax(detail) => write!(f, "{detail}"),
        }
    }
}

/// The environment expressions are compiled and evaluated in.
pub fn environment(fuel: u64) -> Environment<'static> {
    let mut env = Environment::new();
    // Expressions come from reviewed YAML, but a runaway one must not hang a CI gate.
    env.set_fuel(Some(fuel));
    // A misspelt attribute must be an error (not evaluated), never a silent false or true.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env
}

/// Bounds `text` (see [`shape`]) and compiles it in `env`; the only caller of minijinja's
/// `compile_expression` in the crate (clippy.toml forbids the others).
#[allow(clippy::disallowed_methods)]
pub fn compile<'e, 's>(
    env: &'e Environment<'static>,
    text: &'s str,
) -> Result<Expression<'e, 's>, ExprError> {
    shape(text)?;
    env.compile_expression(text).map_err(syntax)
}

/// [`compile`] for an expression the caller owns (e.g. kept in a cache).
#[allow(clippy::disallowed_methods)]
pub fn compile_owned<'e>(
    env: &'e Environment<'static>,
    text: String,
) -> Result<Expression<'e, 'static>, ExprError> {
    shape(&text)?;
    env.compile_expression_owned(text).map_err(syntax)
}

fn syntax(e: minijinja::Error) -> ExprError {
    ExprError::Syntax(e.detail().map_or_else(|| e.to_string(), str::to_string))
}

/// Refuses an expression that is too long or whose syntax tree could be too deep.
pub fn shape(text: &str) -> Result<(), ExprError> {
    if text.len() > MAX_LEN {
        return Err(ExprError::TooLong { len: text.len() });
    }
    let depth = depth_bound(text);
    if depth > MAX_DEPTH {
        return Err(ExprError::TooDeep { depth });
    }
    Ok(())
}

/// One bracket level being scanned: a comma-separated list of segments, each a chain of
/// operands joined by binary operators.
#[derive(Default)]
struct Level {
    /// Binary operators in the current segment: a left-associative chain of n operators is a
    /// tree n deep above its operands.
    binary: usize,
    /// Depth of the operand being read: prefix operators, its atom or group, postfix operators.
    operand: usize,
    /// Deepest finished operand of the current segment.
    deepest_operand: usize,
    /// Deepest finished segment of this level.
    deepest: usize,
}

impl Level {
    fn end_operand(&mut self) {
        self.deepest_operand = self.deepest_operand.max(self.operand);
        self.operand = 0;
    }

    fn end_segment(&mut self) {
        self.end_operand();
        self.deepest = self.deepest.max(self.binary + self.deepest_operand);
        self.binary = 0;
        self.deepest_operand = 0;
    }

    fn finish(mut self) -> usize {
        self.end_segment();
        self.deepest
    }
}

/// An upper bound on the depth of the syntax tree minijinja would build for `text`, from its
/// tokens alone (no recursion, so it cannot overflow on any input). Over-counting is safe;
/// under-counting is not, so anything unknown counts as one more level.
pub fn depth_bound(text: &str) -> usize {
    let mut levels = vec![Level::default()];
    // Whether the previous token ended an operand (so `-` is binary and `(` is a call).
    let mut after_operand = false;
    // Whether the next identifier names a filter, test or attribute (not a new operand).
    let mut naming = false;
    for token in Tokens::new(text) {
        let Some(level) = levels.last_mut() else {
            break;
        };
        match token {
            Token::Open => {
                if after_operand {
                    level.operand += 1; // a call or subscript
                }
                levels.push(Level::default());
                after_operand = false;
            }
            Token::Close => {
                if levels.len() > 1 {
                    let inner = levels.pop().map_or(0, Level::finish);
                    if let Some(level) = levels.last_mut() {
                        level.operand += inner + 1;
                    }
                }
                after_operand = true;
            }
            Token::Separator => {
                level.end_segment();
                after_operand = false;
            }
            Token::Postfix => {
                level.operand += 1;
                naming = true;
                after_operand = false;
                continue;
            }
            Token::Word(word) if naming => {
                // `is not defined`: the `not` belongs to the test.
                after_operand = word != "not";
                if after_operand {
                    naming = false;
                }
                continue;
            }
            Token::Word(word) if is_binary_word(word, after_operand) => {
                level.binary += 1;
                level.end_operand();
                after_operand = false;
            }
            Token::Word("not") if !after_operand => {
                level.operand += 1; // a prefix operator
            }
            Token::Operator | Token::Sign | Token::Word(_) if after_operand => {
                level.binary += 1;
                level.end_operand();
                after_operand = false;
            }
            Token::Operator | Token::Sign => {
                level.operand += 1; // a prefix sign (or a stray operator: count it too)
            }
            Token::Word(_) | Token::Atom => {
                level.operand += 1;
                after_operand = true;
            }
        }
        naming = false;
    }
    // Unclosed brackets: minijinja will refuse them, but count what they hold.
    while levels.len() > 1 {
        let inner = levels.pop().map_or(0, Level::finish);
        if let Some(level) = levels.last_mut() {
            level.operand += inner + 1;
        }
    }
    levels.pop().map_or(0, Level::finish)
}

fn is_binary_word(word: &str, after_operand: bool) -> bool {
    matches!(word, "and" | "or" | "in" | "if" | "else") || (after_operand && matches!(word, "not"))
}

/// What the depth scanner needs to know about a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// `(`, `[` or `{`.
    Open,
    /// `)`, `]` or `}`.
    Close,
    /// `,` or `:` (siblings, not nesting).
    Separator,
    /// `.`, `|` or `is`: an attribute, filter or test follows.
    Postfix,
    /// `+` or `-`: binary after an operand, prefix otherwise.
    Sign,
    /// Any other operator (`==`, `*`, `~`, `**`, ...).
    Operator,
    /// An identifier or keyword.
    Word(&'a str),
    /// A number or string literal.
    Atom,
}

struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Tokens<'a> {
        Tokens { text, at: 0 }
    }

    /// Skips to the end of a string literal opened by `quote` (backslash escapes honoured).
    fn skip_string(&mut self, quote: char) {
        let mut escaped = false;
        for (i, c) in self.text[self.at..].char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                self.at += i + c.len_utf8();
                return;
            }
        }
        self.at = self.text.len();
    }

    /// Skips a run of characters for which `keep` holds, returning it.
    fn take_while(&mut self, start: usize, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = &self.text[self.at..];
        let len = rest.find(|c| !keep(c)).unwrap_or(rest.len());
        self.at += len;
        &self.text[start..self.at]
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = self.text.get(self.at..)?;
        let start = self.at + (rest.len() - rest.trim_start().len());
        self.at = start;
        let c = self.text[start..].chars().next()?;
        self.at += c.len_utf8();
        Some(match c {
            '(' | '[' | '{' => Token::Open,
            ')' | ']' | '}' => Token::Close,
            ',' | ':' => Token::Separator,
            '.' | '|' => Token::Postfix,
            '+' | '-' => Token::Sign,
            '\'' | '"' => {
                self.skip_string(c);
                Token::Atom
            }
            c if c.is_ascii_digit() => {
                // Not `.`: `x.0.0` is a chain of subscripts, so a float counts as three tokens.
                self.take_while(start, |c| c.is_ascii_alphanumeric() || c == '_');
                Token::Atom
            }
            c if c.is_alphabetic() || c == '_' => {
                match self.take_while(start, |c| c.is_alphanumeric() || c == '_') {
                    "is" => Token::Postfix,
                    word => Token::Word(word),
                }
            }
            _ => {
                self.take_while(start, |c| "=!<>*/%~".contains(c));
                Token::Operator
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment<'static> {
        environment(100_000)
    }

    #[test]
    fn ordinary_expressions_are_shallow() {
        for (text, most) in [
            ("true", 1),
            ("(change.approvals | length) >= 2", 6),
            (
                "change.pull_request.title is not none and change.labels | length > 0",
                8,
            ),
            ("change.author.email in ['a@x', 'b@x', 'c@x']", 6),
            ("not change.direct_push", 3),
            (
                "account.roles | select('eq', 'admin') | list | length == 0",
                10,
            ),
        ] {
            let depth = depth_bound(text);
            assert!(depth <= most, "{text}: {depth}");
            assert!(compile(&env(), text).is_ok(), "{text}");
        }
    }

    /// Every chain minijinja recurses on: head, link (repeated), tail, closing (repeated).
    const CHAINS: [(&str, &str, &str, &str); 16] = [
        ("", "not ", "true", ""),
        ("", "-", "1", ""),
        ("", "- ", "1", ""),
        ("x", "|lower", "", ""),
        ("x", ".x", "", ""),
        ("x", ".0", "", ""),
        ("x", "[0]", "", ""),
        ("x", "()", "", ""),
        ("", "(", "1", ")"),
        ("", "[", "1", "]"),
        ("x", " and x", "", ""),
        ("1", "+1", "", ""),
        ("1", " if x else 1", "", ""),
        ("x", " is defined", "", ""),
        ("x", " is not none", "", ""),
        ("", "(not -", "1", ")"),
    ];

    fn chain((head, link, tail, close): (&str, &str, &str, &str), n: usize) -> String {
        format!("{head}{}{tail}{}", link.repeat(n), close.repeat(n))
    }

    /// The tester's 30,000-link chains (which abort the process on the unguarded compiler)
    /// are refused; so is every chain that fits in [`MAX_LEN`] but nests too deep (the longer
    /// of those overflow a 2 MiB stack unguarded: 4,000 `()` or 1,300 `and`s fit in 8 KiB).
    #[test]
    fn every_kind_of_chain_is_bounded() {
        for shape in CHAINS {
            assert!(compile(&env(), &chain(shape, 30_000)).is_err(), "{shape:?}");
            let (empty, one) = (chain(shape, 0).len(), chain(shape, 1).len());
            let text = chain(shape, (MAX_LEN - empty) / (one - empty));
            assert!(text.len() <= MAX_LEN, "{shape:?}");
            let err = compile(&env(), &text).err();
            assert!(
                matches!(err, Some(ExprError::TooDeep { depth }) if depth > MAX_DEPTH),
                "{shape:?}: {err:?}"
            );
        }
    }

    #[test]
    fn the_bound_sits_at_the_limit() {
        let at = format!("{}true", "not ".repeat(MAX_DEPTH - 1));
        assert_eq!(depth_bound(&at), MAX_DEPTH);
        assert!(compile(&env(), &at).is_ok());
        let over = format!("not {at}");
        assert_eq!(
            compile(&env(), &over).err(),
            Some(ExprError::TooDeep {
                depth: MAX_DEPTH + 1
            })
        );
    }

    #[test]
    fn strings_do_not_count_and_long_texts_are_refused() {
        let quoted = format!("x == '{}\\' ((('", "(".repeat(5_000));
        assert!(depth_bound(&quoted) <= 3, "{}", depth_bound(&quoted));
        let long = format!("x == '{}'", "a".repeat(MAX_LEN));
        assert_eq!(
            shape(&long),
            Err(ExprError::TooLong {
                len: MAX_LEN + "x == ''".len()
            })
        );
    }

    #[test]
    fn unbalanced_and_odd_input_never_panics() {
        for text in [
            "",
            ")))",
            "(((",
            "'unterminated",
            "x is",
            "a |",
            "é + ü",
            "\u{0}",
        ] {
            let _ = depth_bound(text);
            let _ = compile(&env(), text);
        }
    }
}
