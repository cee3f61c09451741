//! Operational failures of the live GitHub source. Every message says what was being fetched;
//! none contains the token (server text is scrubbed before it gets here).

/// Why a GitHub sync could not finish. A setting the token cannot read is not an error (it is
/// recorded as not evaluated); these are failures after which the data is missing.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The configuration cannot work: a malformed API URL, an unusable HTTP client.
    #[error("GitHub client: {0}")]
    Config(String),
    /// No answer (connection refused, reset, timed out), even after retries.
    #[error("{what}: no answer from GitHub after {attempts} attempts: {message}")]
    Transport {
        what: String,
        attempts: u32,
        message: String,
    },
    /// GitHub refused the request with a status that retrying cannot fix (401, 404, 422...).
    #[error("{what}: GitHub answered {status}: {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    /// Still rate limited or failing with 5xx after the last retry.
    #[error("{what}: gave up after {attempts} attempts: {message}")]
    GaveUp {
        what: String,
        attempts: u32,
        message: String,
    },
    /// Waiting as GitHub asks (rate limit, retry backoff) would take the sync's total wait
    /// past its cap: stopped before waiting, so the data is missing.
    #[error("{what}: waited too long: {message}")]
    WaitCapped { what: String, message: String },
    /// One request (connect, headers and the whole body) took longer than its deadline.
    #[error(
        "{what}: waited too long: no complete answer within {limit} (the --request-timeout deadline)"
    )]
    Deadline { what: String, limit: String },
    /// GitHub's GraphQL API answered with errors for data the sync needs.
    #[error("{what}: GitHub GraphQL errors: {}", messages.join("; "))]
    GraphQl { what: String, messages: Vec<String> },
    /// The answer is not what the API promises: not JSON, cut off, a missing field.
    #[error("{what}: the response is not valid: {message}")]
    Invalid { what: String, message: String },
}

impl ApiError {
    /// Whether the token itself was refused (a configuration problem, not missing data).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Status { status: 401, .. })
    }
}
