//! The GitHub token: a secret that must never reach a log, an error, a report or a packet.

use std::fmt;

/// A GitHub token. `Debug` and `Display` print `***`, so a token inside any struct that is
/// logged or rendered stays hidden; only the client reads the text, to send it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// The environment variable the token is read from, and the only place it may come from (not
/// a flag, not a config file: both end up in shell history or in a repository).
pub const TOKEN_VAR: &str = "GITHUB_TOKEN";

impl Token {
    /// Wraps a token; `None` when it is empty or blank (an unset secret in CI is often `""`).
    pub fn new(text: impl Into<String>) -> Option<Token> {
        let text = text.into().trim().to_string();
        (!text.is_empty()).then_some(Token(text))
    }

    /// The token from `GITHUB_TOKEN`, if it is set and not blank.
    pub fn from_env() -> Option<Token> {
        std::env::var(TOKEN_VAR).ok().and_then(Token::new)
    }

    pub(super) fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the token replaced by `***`: applied to anything a server
    /// sent back before it goes into an error, in case the server echoed the credential.
    pub(super) fn scrub(&self, text: &str) -> String {
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Token;

    #[test]
    fn never_prints_the_secret() {
        let token = Token::new("ghp_secret123").unwrap();
        assert_eq!(format!("{token} {token:?}"), "*** Token(***)");
        assert_eq!(token.scrub("bad token ghp_secret123!"), "bad token ***!");
    }

    #[test]
    fn blank_is_no_token() {
        assert_eq!(Token::new("  "), None);
        assert_eq!(
            Token::new(" t \n").map(|t| t.expose().to_string()),
            Some("t".into())
        );
    }
}
