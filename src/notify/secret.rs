//! Secrets of the channels (tokens, webhook URLs): read from the environment variable policy
//! names, only when a message is sent, and never printed: `Debug` and `Display` show `***`, and
//! every text a server or the HTTP stack returns is scrubbed of them before it is shown.

use std::fmt;

use super::NotifyError;

/// A secret read from an environment variable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value of `var`, trimmed; an unset or blank variable is a configuration error that
    /// names the variable (never a value).
    pub fn from_env(var: &str, what: &str) -> Result<Secret, NotifyError> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_string())),
            _ => Err(NotifyError::Config(format!(
                "{what}: the environment variable {var} is not set (it must hold the secret)"
            ))),
        }
    }

    /// A secret given directly (tests, and values already read).
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The text, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with the secret replaced by `***` (a server may echo it back).
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_string();
        }
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_prints_the_secret() {
        let s = Secret::new("xoxb-secret");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        assert_eq!(
            s.scrub("url https://x/xoxb-secret/y"),
            "url https://x/***/y"
        );
    }

    #[test]
    fn an_unset_variable_is_named_not_shown() {
        let e = Secret::from_env("ITGC_TEST_SURELY_UNSET_VARIABLE", "slack").unwrap_err();
        assert!(
            e.to_string().contains("ITGC_TEST_SURELY_UNSET_VARIABLE"),
            "{e}"
        );
    }
}
