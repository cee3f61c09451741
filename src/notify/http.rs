//! The HTTP client of the Jira, Slack and webhook channels: JSON requests with a deadline each,
//! rate limits waited out as the server asks (`Retry-After`), server errors retried with
//! backoff, and one cap on all waiting together, like the GitHub client's.
//!
//! A request that is not idempotent (a POST that creates an issue or posts a message) is not
//! retried after a server error or a lost answer: the server may have acted on it, and a retry
//! would duplicate it. The run stops that message instead, and the next run finds the issue by
//! its marker (or, for a message, sends it again).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::NotifyError;
use super::secret::Secret;
use crate::source::github::api::{Clock, SystemClock, Waits};

/// How many times one request is sent at most.
const MAX_ATTEMPTS: u32 = 6;
/// The longest backoff between retries of a server error.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    fn idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One client per channel: its secrets (scrubbed from every error), waits and clock.
pub struct Http {
    client: reqwest::Client,
    secrets: Vec<Secret>,
    waits: Waits,
    clock: Arc<dyn Clock>,
    waited: Duration,
    /// Where the client says what it waits for.
    notice: Option<super::Notice>,
}

impl Http {
    /// A client whose errors never show any of `secrets`.
    pub fn new(secrets: Vec<Secret>, waits: Waits) -> Result<Http, NotifyError> {
        // reqwest is built without a bundled crypto provider; ring is the one octocrab uses.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .timeout(waits.request_deadline)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NotifyError::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(Http {
            client,
            secrets,
            waits,
            clock: Arc::new(SystemClock),
            waited: Duration::ZERO,
            notice: None,
        })
    }

    /// The same client on another clock (tests: no real waiting).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Http {
        self.clock = clock;
        self
    }

    pub fn with_notice(mut self, notice: Option<super::Notice>) -> Http {
        self.notice = notice;
        self
    }

    /// Sends `body` (JSON) to `url` with `headers`, retrying what may be retried; the final
    /// answer is returned whatever its status.
    pub async fn send(
        &mut self,
        what: &str,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, NotifyError> {
        let mut last = String::new();
        for attempt in 0..MAX_ATTEMPTS {
            let (wait, why) = match self.attempt(method, url, headers, body).await {
                Ok((answer, retry_after)) => match judge(&answer, retry_after, method, attempt) {
                    Some(retry) => retry,
                    None => return Ok(answer),
                },
                Err(e) if e.is_connect() || method.idempotent() => {
                    (backoff(attempt), self.scrub(&e.without_url().to_string()))
                }
                Err(e) => {
                    return Err(NotifyError::Unknown {
                        what: what.to_string(),
                        message: self.scrub(&e.without_url().to_string()),
                    });
                }
            };
            if attempt + 1 < MAX_ATTEMPTS {
                self.wait(what, wait, &why).await?;
            }
            last = why;
        }
        Err(NotifyError::GaveUp {
            what: what.to_string(),
            message: last,
        })
    }

    async fn attempt(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(Answer, Option<u64>), reqwest::Error> {
        let mut request = match method {
            Method::Get => self.client.get(url),
            Method::Post => self.client.post(url),
            Method::Put => self.client.put(url),
        };
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let body = response.text().await?;
        Ok((Answer { status, body }, retry_after))
    }

    /// Sleeps `wait` unless that takes the total past the cap: then stops before waiting.
    async fn wait(&mut self, what: &str, wait: Duration, why: &str) -> Result<(), NotifyError> {
        if self.waited.saturating_add(wait) > self.waits.max_total {
            return Err(NotifyError::WaitCapped {
                what: what.to_string(),
                message: format!(
                    "{why}; waiting {}s more would go beyond the --max-wait cap of {}s",
                    wait.as_secs(),
                    self.waits.max_total.as_secs()
                ),
            });
        }
        if let Some(notice) = &self.notice {
            notice(&format!("{what}: {why}; waiting {}s", wait.as_secs()));
        }
        self.clock.sleep(wait).await;
        self.waited += wait;
        Ok(())
    }

    /// `text` without any of the client's secrets.
    pub fn scrub(&self, text: &str) -> String {
        self.secrets
            .iter()
            .fold(text.to_string(), |text, s| s.scrub(&text))
    }
}

/// What to do with an answer: `None` to accept it as final, or how long to wait and why.
fn judge(
    answer: &Answer,
    retry_after: Option<u64>,
    method: Method,
    attempt: u32,
) -> Option<(Duration, String)> {
    let status = answer.status;
    // A rate limit means the request was not processed: retrying is safe for any method.
    if status == 429 || (status == 503 && retry_after.is_some()) {
        let wait = retry_after.map_or_else(|| backoff(attempt), |s| Duration::from_secs(s.max(1)));
        let why = match retry_after {
            Some(s) => format!("rate limited ({status}), retry-after {s}s"),
            None => format!("rate limited ({status})"),
        };
        return Some((wait, why));
    }
    ((500..600).contains(&status) && method.idempotent())
        .then(|| (backoff(attempt), format!("the server answered {status}")))
}

/// 1s, 2s, 4s … up to a minute.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1 << attempt.min(16)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> Answer {
        Answer {
            status,
            body: String::new(),
        }
    }

    #[test]
    fn rate_limits_wait_as_asked_for_every_method() {
        let (wait, why) = judge(&answer(429), Some(7), Method::Post, 0).unwrap();
        assert_eq!(
            (wait.as_secs(), why.as_str()),
            (7, "rate limited (429), retry-after 7s")
        );
        assert_eq!(
            judge(&answer(429), None, Method::Post, 2)
                .unwrap()
                .0
                .as_secs(),
            4
        );
        assert_eq!(
            judge(&answer(503), Some(0), Method::Get, 0)
                .unwrap()
                .0
                .as_secs(),
            1
        );
    }

    #[test]
    fn server_errors_are_retried_only_when_a_retry_cannot_duplicate() {
        assert!(judge(&answer(502), None, Method::Put, 0).is_some());
        assert!(judge(&answer(500), None, Method::Get, 0).is_some());
        assert!(judge(&answer(500), None, Method::Post, 0).is_none());
        assert!(judge(&answer(503), None, Method::Post, 0).is_none());
        assert!(judge(&answer(404), None, Method::Get, 0).is_none());
        assert!(judge(&answer(201), None, Method::Post, 0).is_none());
    }
}
