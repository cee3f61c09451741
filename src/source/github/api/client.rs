//! The HTTP side: one octocrab instance, GraphQL and REST endpoints derived from one API URL,
//! retries with backoff, and a count of every request sent.
//!
//! octocrab's typed `graphql()` and `get()` return only the body; the sync needs the headers
//! (`retry-after`, `x-ratelimit-*`, `x-oauth-scopes`, `date`, `link`), so requests go through
//! its raw `_post`/`_get` and the body is decoded here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::clock::{Clock, SystemClock};
use super::error::ApiError;
use super::limits::{self, MAX_ATTEMPTS, Meta, Reply, Verdict, Waits, friendly};
use super::token::Token;

/// github.com's API; GitHub Enterprise Server is `https://HOST/api/v3`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The variable GitHub Actions sets to the API of the instance a workflow runs on.
pub const API_URL_VAR: &str = "GITHUB_API_URL";

/// Where the API is and how to authenticate.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// REST base URL: `https://api.github.com` or `https://HOST/api/v3`. GraphQL is derived
    /// from it (`…/graphql`, or `https://HOST/api/graphql` for Enterprise Server).
    pub api_url: String,
    pub token: Token,
}

impl ApiConfig {
    /// github.com with `token`.
    pub fn new(token: Token) -> ApiConfig {
        ApiConfig {
            api_url: DEFAULT_API_URL.to_string(),
            token,
        }
    }

    /// `GITHUB_API_URL` when set and not blank, else github.com.
    pub fn from_env(token: Token) -> ApiConfig {
        let url = std::env::var(API_URL_VAR)
            .ok()
            .filter(|u| !u.trim().is_empty());
        ApiConfig {
            api_url: url.unwrap_or_else(|| DEFAULT_API_URL.to_string()),
            token,
        }
    }
}

/// The two endpoints of one GitHub instance as octocrab addresses them: a root URL, and
/// paths below it. octocrab only sends the token to paths relative to its base URL (or to
/// api.github.com), so both endpoints must share one root.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoints {
    root: String,
    rest_prefix: &'static str,
}

const GRAPHQL_PATH: &str = "/graphql";

fn endpoints(api_url: &str) -> Result<Endpoints, ApiError> {
    let url = api_url.trim().trim_end_matches('/');
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ApiError::Config(format!(
            "the API URL `{url}` must start with https:// (e.g. {DEFAULT_API_URL} or https://HOST/api/v3)"
        )));
    }
    // Enterprise Server: REST under /api/v3, GraphQL at /api/graphql.
    Ok(
        match url.strip_suffix("/v3").filter(|r| r.ends_with("/api")) {
            Some(root) => Endpoints {
                root: root.to_string(),
                rest_prefix: "/v3",
            },
            None => Endpoints {
                root: url.to_string(),
                rest_prefix: "",
            },
        },
    )
}

/// One GraphQL error as GitHub reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct GqlError {
    pub message: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    path: Vec<Value>,
}

impl GqlError {
    /// The error's path as `repository.rulesets`.
    pub fn path(&self) -> String {
        let parts: Vec<String> = self
            .path
            .iter()
            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
            .collect();
        parts.join(".")
    }
}

/// A decoded GraphQL answer: `data` may be partial when `errors` is not empty.
#[derive(Debug)]
pub struct GqlReply {
    pub data: Value,
    pub errors: Vec<GqlError>,
    pub meta: Meta,
}

/// How a request is sent, which decides whether a failed one may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestMethod {
    Get,
    /// A POST that only reads (GraphQL): retried like a GET.
    Query,
    /// A POST that creates something: never retried after a server error or a lost answer.
    Post,
    /// Replaces fields with the same values each time: retried.
    Patch,
}

/// Where the client says what it is about to wait for (the CLI prints it to stderr).
pub type Notice = Arc<dyn Fn(&str) + Send + Sync>;

/// Told after every answer: requests sent so far, and the rate-limit budget GitHub reports
/// left (`x-ratelimit-remaining`), when it does (the CLI draws a progress line from it).
pub type Pages = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// A client for one GitHub instance. Cheap to share by reference; counts requests and the
/// time spent waiting, which [`Waits`] caps.
pub struct Client {
    octo: octocrab::Octocrab,
    endpoints: Endpoints,
    token: Token,
    clock: Arc<dyn Clock>,
    requests: AtomicU64,
    waits: Waits,
    /// Milliseconds slept so far, all requests together.
    waited_ms: AtomicU64,
    notice: Option<Notice>,
    pages: Option<Pages>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("root", &self.endpoints.root)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config`, sleeping on the wall clock. Must be called inside a Tokio
    /// runtime (octocrab spawns its connection tasks on it); outside one it is an error.
    pub fn new(config: ApiConfig) -> Result<Client, ApiError> {
        let endpoints = endpoints(&config.api_url)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ApiError::Config(
                "the GitHub client must be created inside an async runtime".into(),
            ));
        }
        let octo = octocrab::Octocrab::builder()
            .base_uri(endpoints.root.as_str())
            .map_err(|e| ApiError::Config(format!("API URL `{}`: {e}", config.api_url)))?
            .personal_token(config.token.expose().to_string())
            .set_connect_timeout(Some(Duration::from_secs(20)))
            .set_read_timeout(Some(Duration::from_secs(90)))
            .build()
            .map_err(|e| ApiError::Config(config.token.scrub(&e.to_string())))?;
        Ok(Client {
            octo,
            endpoints,
            token: config.token,
            clock: Arc::new(SystemClock),
            requests: AtomicU64::new(0),
            waits: Waits::default(),
            waited_ms: AtomicU64::new(0),
            notice: None,
            pages: None,
        })
    }

    /// The same client with another cap on waiting and another request deadline.
    pub fn with_waits(mut self, waits: Waits) -> Client {
        self.waits = waits;
        self
    }

    /// The same client, telling `notice` before each wait what it waits for and until when.
    pub fn with_notice(mut self, notice: Notice) -> Client {
        self.notice = Some(notice);
        self
    }

    /// The same client, telling `pages` after each answer how many requests were sent and
    /// how much of the rate-limit budget is left.
    pub fn with_pages(mut self, pages: Pages) -> Client {
        self.pages = Some(pages);
        self
    }

    /// Time slept so far (rate limits and retry backoff), all requests together.
    pub fn waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms.load(Ordering::Relaxed))
    }

    /// The same client on another clock (tests: no real waiting).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Client {
        self.clock = clock;
        self
    }

    /// The client's clock: the fallback when GitHub sends no `date`.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// HTTP requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Runs a GraphQL query. Transport failures, rate limits and 5xx are retried; any other
    /// non-200, or a body that is not a GraphQL answer, is an error.
    pub async fn graphql(
        &self,
        what: &str,
        query: &str,
        variables: Value,
    ) -> Result<GqlReply, ApiError> {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let reply = self.send(what, GRAPHQL_PATH, Some(&body)).await?;
        if reply.status != 200 {
            return Err(self.refused(what, &reply));
        }
        self.decode_graphql(what, reply)
    }

    /// GETs a REST path (below `/v3` on Enterprise Server). Non-2xx answers are returned, not
    /// raised: a 403 on a setting means "not evaluated", which only the caller can say.
    pub async fn rest_get(&self, what: &str, path: &str) -> Result<Reply, ApiError> {
        let path = format!("{}{path}", self.endpoints.rest_prefix);
        self.send(what, &path, None).await
    }

    /// Sends a REST request with a JSON body (below `/v3` on Enterprise Server), for writers
    /// (`itgc notify` filing issues). Rate limits are waited out as for reads; a server error
    /// or a lost answer to a POST is not retried, because GitHub may have acted on it and a
    /// retry could file a second issue: the caller finds out by reading back. Non-2xx answers
    /// are returned, not raised.
    pub async fn rest_send(
        &self,
        what: &str,
        method: RestMethod,
        path: &str,
        body: &Value,
    ) -> Result<Reply, ApiError> {
        let path = format!("{}{path}", self.endpoints.rest_prefix);
        self.send_as(what, method, &path, Some(body)).await
    }

    /// GETs the `rel="next"` URL of a REST answer. GitHub sends it absolute; it must be on
    /// this instance (only there may the token go), else the answer is not valid.
    pub async fn rest_get_next(&self, what: &str, url: &str) -> Result<Reply, ApiError> {
        let path = url
            .strip_prefix(self.endpoints.root.as_str())
            .filter(|p| p.starts_with('/'))
            .ok_or_else(|| ApiError::Invalid {
                what: what.to_string(),
                message: format!(
                    "the next page is at `{}`, not on {}",
                    self.token.scrub(url),
                    self.endpoints.root
                ),
            })?;
        self.send(what, path, None).await
    }

    /// The error for a final non-success answer, with GitHub's own message.
    pub fn refused(&self, what: &str, reply: &Reply) -> ApiError {
        let message = serde_json::from_str::<Value>(&reply.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| snippet(&reply.body));
        ApiError::Status {
            what: what.to_string(),
            status: reply.status,
            message: self.token.scrub(&message),
        }
    }

    fn decode_graphql(&self, what: &str, reply: Reply) -> Result<GqlReply, ApiError> {
        #[derive(Deserialize)]
        struct Envelope {
            #[serde(default)]
            data: Option<Value>,
            #[serde(default)]
            errors: Vec<GqlError>,
        }
        let invalid = |message: String| ApiError::Invalid {
            what: what.to_string(),
            message: self.token.scrub(&message),
        };
        let envelope: Envelope = serde_json::from_str(&reply.body).map_err(|e| {
            invalid(format!(
                "{e} (is the answer cut off? {} bytes)",
                reply.body.len()
            ))
        })?;
        let mut errors = envelope.errors;
        for e in &mut errors {
            e.message = self.token.scrub(&e.message);
        }
        match envelope.data {
            Some(data) if data.is_object() => Ok(GqlReply {
                data,
                errors,
                meta: reply.meta,
            }),
            _ if !errors.is_empty() => Err(ApiError::GraphQl {
                what: what.to_string(),
                messages: errors.iter().map(|e| e.message.clone()).collect(),
            }),
            _ => Err(invalid("it has neither `data` nor `errors`".into())),
        }
    }

    /// Sends one request until it gets a final answer or runs out of attempts (or of the
    /// time it may wait). Each attempt, body included, must finish within the deadline.
    async fn send(&self, what: &str, path: &str, body: Option<&Value>) -> Result<Reply, ApiError> {
        // GraphQL reads are POSTs too, and safe to repeat.
        let method = match body {
            Some(_) => RestMethod::Query,
            None => RestMethod::Get,
        };
        self.send_as(what, method, path, body).await
    }

    async fn send_as(
        &self,
        what: &str,
        method: RestMethod,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, ApiError> {
        let mut last = String::new();
        for attempt in 0..MAX_ATTEMPTS {
            let deadline = self.waits.request_deadline;
            let answer = tokio::time::timeout(deadline, self.attempt(method, path, body))
                .await
                .map_err(|_| ApiError::Deadline {
                    what: what.to_string(),
                    limit: friendly(deadline),
                })?;
            if let (Ok(reply), Some(pages)) = (&answer, &self.pages) {
                pages(self.requests(), reply.meta.remaining);
            }
            let verdict = match answer {
                Ok(reply) => match limits::judge(&reply, attempt, self.clock.now()) {
                    Verdict::Final => return Ok(reply),
                    Verdict::Retry { .. } if method == RestMethod::Post && reply.status >= 500 => {
                        return Ok(reply);
                    }
                    retry => retry,
                },
                Err(message) if method == RestMethod::Post => {
                    return Err(ApiError::Transport {
                        what: what.to_string(),
                        attempts: attempt + 1,
                        message,
                    });
                }
                Err(message) => limits::transport_retry(attempt, &message),
            };
            if let Verdict::Retry { wait, why } = verdict {
                if attempt + 1 < MAX_ATTEMPTS {
                    self.wait(what, wait, &why).await?;
                }
                last = why;
            }
        }
        Err(ApiError::GaveUp {
            what: what.to_string(),
            attempts: MAX_ATTEMPTS,
            message: last,
        })
    }

    /// Sleeps `wait` (on the client's clock) after saying so, or refuses when that would take
    /// the total past the cap: nothing is gained by waiting first and failing after.
    async fn wait(&self, what: &str, wait: Duration, why: &str) -> Result<(), ApiError> {
        let waited = self.waited();
        let until = jiff::SignedDuration::try_from(wait)
            .ok()
            .and_then(|d| self.clock.now().checked_add(d).ok())
            .map_or_else(|| "beyond any date".to_string(), |t| t.to_string());
        if waited.saturating_add(wait) > self.waits.max_total {
            return Err(ApiError::WaitCapped {
                what: what.to_string(),
                message: format!(
                    "{why}; waiting {} more (until {until}) would go beyond the --max-wait cap of {} ({} waited already)",
                    friendly(wait),
                    friendly(self.waits.max_total),
                    friendly(waited)
                ),
            });
        }
        if let Some(notice) = &self.notice {
            let left = self.waits.max_total.saturating_sub(waited + wait);
            notice(&format!(
                "github: {what}: {why}; waiting {} until {until} (--max-wait: {} left after this)",
                friendly(wait),
                friendly(left)
            ));
        }
        tracing::info!("{what}: {why}; retrying in {}s", wait.as_secs());
        self.clock.sleep(wait).await;
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        self.waited_ms.fetch_add(ms, Ordering::Relaxed);
        Ok(())
    }

    /// One HTTP exchange; `Err` is a transport failure, scrubbed of the token.
    async fn attempt(
        &self,
        method: RestMethod,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let sent = match method {
            RestMethod::Get => self.octo._get(path).await,
            RestMethod::Query | RestMethod::Post => self.octo._post(path, body).await,
            RestMethod::Patch => self.octo._patch(path, body).await,
        };
        let response = sent.map_err(|e| self.token.scrub(&e.to_string()))?;
        let status = response.status().as_u16();
        let meta = Meta::read(|name| {
            let value = response.headers().get(name)?;
            value.to_str().ok().map(str::to_string)
        });
        let body = self
            .octo
            .body_to_string(response)
            .await
            .map_err(|e| self.token.scrub(&format!("reading the answer: {e}")))?;
        Ok(Reply { status, meta, body })
    }
}

/// The start of a body for an error message: enough to recognise, never a whole page.
fn snippet(body: &str) -> String {
    let line = body.lines().next().unwrap_or_default();
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

/// Percent-encodes one path segment (a branch name may contain `/`, `#`, `%`).
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes the value at JSON `pointer` of a GraphQL `data` into `T`; a missing or mistyped
/// field names its path (the usual sign of a cut-off or changed answer).
pub fn decode_at<T: serde::de::DeserializeOwned>(
    what: &str,
    data: &Value,
    pointer: &str,
) -> Result<T, ApiError> {
    let invalid = |message: String| ApiError::Invalid {
        what: what.to_string(),
        message,
    };
    let value = data
        .pointer(pointer)
        .filter(|v| !v.is_null())
        .ok_or_else(|| invalid(format!("`{pointer}` is missing")))?;
    serde_path_to_error::deserialize(value)
        .map_err(|e| invalid(format!("{pointer}/{}: {}", e.path(), e.inner())))
}

/// Refuses a reply with GraphQL errors where the sync cannot accept partial data.
pub fn no_errors(what: &str, reply: &GqlReply) -> Result<(), ApiError> {
    if reply.errors.is_empty() {
        return Ok(());
    }
    Err(ApiError::GraphQl {
        what: what.to_string(),
        messages: reply.errors.iter().map(|e| e.message.clone()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_graphql_beside_rest() {
        let e = endpoints("https://api.github.com/").unwrap();
        assert_eq!(
            (e.root.as_str(), e.rest_prefix),
            ("https://api.github.com", "")
        );
        let e = endpoints("https://ghe.example.com/api/v3").unwrap();
        assert_eq!(
            (e.root.as_str(), e.rest_prefix),
            ("https://ghe.example.com/api", "/v3")
        );
        let e = endpoints("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (e.root.as_str(), e.rest_prefix),
            ("http://127.0.0.1:8080", "")
        );
        assert!(endpoints("api.github.com").is_err());
    }

    #[test]
    fn encodes_branch_names() {
        assert_eq!(segment("release/1.0#x"), "release%2F1.0%23x");
        assert_eq!(segment("main"), "main");
    }

    #[test]
    fn graphql_error_paths() {
        let e: GqlError = serde_json::from_value(serde_json::json!({
            "message": "no", "type": "FORBIDDEN", "path": ["repository", "rulesets", 0]
        }))
        .unwrap();
        assert_eq!(e.path(), "repository.rulesets.0");
    }
}
