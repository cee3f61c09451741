//! What to do with an answer: accept it, wait and retry (rate limits, 5xx), or refuse it.
//! Pure decisions over status, headers and body, so every branch is unit-tested without a
//! server; the client does the waiting, within its cap on the total wait ([`Waits`]).

use std::time::Duration;

use jiff::Timestamp;

/// How many times one request is sent at most (the first try plus retries).
pub const MAX_ATTEMPTS: u32 = 6;
/// The longest a 5xx backoff grows to.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// GitHub: after a secondary rate limit without `retry-after`, wait at least a minute, and
/// longer on each repeat.
const SECONDARY_WAIT: Duration = Duration::from_secs(60);
const MAX_SECONDARY_WAIT: Duration = Duration::from_secs(15 * 60);

/// How long a sync may wait on GitHub. A wait GitHub asks for (`retry-after`, a rate-limit
/// reset) is not shortened: retrying before it is useless. Instead, when it would take the
/// total past `max_total`, the sync stops there, fails closed, and says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    /// All sleeps of one client together (rate limits, backoff between retries).
    pub max_total: Duration,
    /// One request from connecting to the last byte of the answer: a server that trickles
    /// its answer must not hold the sync forever.
    pub request_deadline: Duration,
}

impl Default for Waits {
    fn default() -> Waits {
        Waits {
            max_total: Duration::from_secs(15 * 60),
            request_deadline: Duration::from_secs(2 * 60),
        }
    }
}

/// A duration as people write it: `15m`, `1h 30m`, `90s`.
pub fn friendly(duration: Duration) -> String {
    match jiff::SignedDuration::try_from(duration) {
        Ok(d) => format!("{d:#}"),
        Err(_) => format!("{}s", duration.as_secs()),
    }
}

/// An epoch second as UTC text, or the number when it is past any calendar.
fn utc(epoch_second: i64) -> String {
    Timestamp::from_second(epoch_second).map_or_else(
        |_| format!("epoch second {epoch_second}"),
        |t| t.to_string(),
    )
}

/// The headers that decide retries and evidence, read once from the raw response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    /// `retry-after`, in seconds.
    pub retry_after: Option<u64>,
    /// `x-ratelimit-remaining`.
    pub remaining: Option<u64>,
    /// `x-ratelimit-reset`, in epoch seconds.
    pub reset: Option<i64>,
    /// The server's `date`: resets are measured against it, not the local clock.
    pub date: Option<Timestamp>,
    /// `x-oauth-scopes` (classic tokens only; fine-grained and app tokens send none).
    pub scopes: Option<Vec<String>>,
    /// The `rel="next"` URL of a REST `link` header.
    pub next: Option<String>,
}

impl Meta {
    /// Reads the headers through `get` (name → value), so this module needs no HTTP types.
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Meta {
        let date = get("date").and_then(|d| http_date(&d));
        Meta {
            retry_after: get("retry-after").and_then(|v| retry_after(&v, date)),
            remaining: get("x-ratelimit-remaining").and_then(|v| v.trim().parse().ok()),
            reset: get("x-ratelimit-reset").and_then(|v| v.trim().parse().ok()),
            date,
            scopes: get("x-oauth-scopes").map(|v| scopes(&v)),
            next: get("link").and_then(|v| next_link(&v)),
        }
    }
}

fn http_date(text: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(text.trim())
        .ok()
}

/// `retry-after` is seconds or an HTTP date; GitHub sends seconds.
fn retry_after(text: &str, date: Option<Timestamp>) -> Option<u64> {
    if let Ok(seconds) = text.trim().parse() {
        return Some(seconds);
    }
    let at = http_date(text)?;
    let now = date?;
    Some(u64::try_from(at.as_second() - now.as_second()).unwrap_or(0))
}

fn scopes(text: &str) -> Vec<String> {
    let mut scopes: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    scopes.sort();
    scopes
}

/// `<https://…?page=2>; rel="next", <…>; rel="last"` → the next URL.
fn next_link(text: &str) -> Option<String> {
    text.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// One HTTP answer, reduced to what the sync needs.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub meta: Meta,
    pub body: String,
}

/// What to do with a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A final answer (2xx, or an error that retrying cannot change).
    Final,
    /// Wait, then send the same request again.
    Retry { wait: Duration, why: String },
}

/// Judges `reply` to attempt number `attempt` (0 for the first); `local_now` is used only when
/// the server sent no `date`.
pub fn judge(reply: &Reply, attempt: u32, local_now: Timestamp) -> Verdict {
    let now = reply.meta.date.unwrap_or(local_now);
    match reply.status {
        403 | 429 => rate_limited(reply, attempt, now).unwrap_or(Verdict::Final),
        200 if graphql_rate_limited(&reply.body) => primary_wait(&reply.meta, now)
            .unwrap_or_else(|| secondary(attempt, "GraphQL rate limit")),
        500..=599 => Verdict::Retry {
            wait: backoff(attempt),
            why: format!("GitHub answered {}", reply.status),
        },
        _ => Verdict::Final,
    }
}

/// A transport failure (no answer at all) is retried like a 5xx.
pub fn transport_retry(attempt: u32, message: &str) -> Verdict {
    Verdict::Retry {
        wait: backoff(attempt),
        why: message.to_string(),
    }
}

/// 403 and 429 are rate limits only when GitHub says so; otherwise a 403 is a permission.
fn rate_limited(reply: &Reply, attempt: u32, now: Timestamp) -> Option<Verdict> {
    if let Some(seconds) = reply.meta.retry_after {
        let wait = Duration::from_secs(seconds.max(1));
        return Some(Verdict::Retry {
            wait,
            why: format!("rate limited, retry-after {seconds}s ({})", friendly(wait)),
        });
    }
    if reply.meta.remaining == Some(0) {
        return primary_wait(&reply.meta, now);
    }
    let body = reply.body.to_ascii_lowercase();
    (reply.status == 429 || body.contains("secondary rate limit") || body.contains("abuse"))
        .then(|| secondary(attempt, "secondary rate limit"))
}

/// Until the primary limit resets (plus a second, as reset is rounded down).
fn primary_wait(meta: &Meta, now: Timestamp) -> Option<Verdict> {
    let reset = meta.reset?;
    let seconds = u64::try_from(reset.saturating_sub(now.as_second())).unwrap_or(0) + 1;
    Some(Verdict::Retry {
        wait: Duration::from_secs(seconds),
        why: format!("rate limit exhausted, resets at {}", utc(reset)),
    })
}

fn secondary(attempt: u32, why: &str) -> Verdict {
    Verdict::Retry {
        wait: SECONDARY_WAIT
            .saturating_mul(1 << attempt.min(8))
            .min(MAX_SECONDARY_WAIT),
        why: why.to_string(),
    }
}

/// 1s, 2s, 4s … capped: enough for a load balancer's hiccup, bounded for a real outage.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1 << attempt.min(16)).min(MAX_BACKOFF)
}

/// GraphQL reports an exhausted limit as a 200 whose errors have type `RATE_LIMITED`.
fn graphql_rate_limited(body: &str) -> bool {
    body.contains("RATE_LIMITED")
        && serde_json::from_str::<serde_json::Value>(body).is_ok_and(|v| {
            v["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["type"] == "RATE_LIMITED"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, meta: Meta, body: &str) -> Reply {
        Reply {
            status,
            meta,
            body: body.to_string(),
        }
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    fn wait(v: Verdict) -> u64 {
        match v {
            Verdict::Retry { wait, .. } => wait.as_secs(),
            Verdict::Final => u64::MAX,
        }
    }

    #[test]
    fn reads_headers() {
        let meta = Meta::read(|name| {
            let value = match name {
                "retry-after" => "30",
                "x-ratelimit-remaining" => "0",
                "x-ratelimit-reset" => "1700000000",
                "date" => "Tue, 14 Nov 2023 22:13:00 GMT",
                "x-oauth-scopes" => "repo, read:org",
                "link" => "<https://x/a?page=2>; rel=\"next\", <https://x/a?page=5>; rel=\"last\"",
                _ => return None,
            };
            Some(value.to_string())
        });
        assert_eq!(meta.retry_after, Some(30));
        assert_eq!((meta.remaining, meta.reset), (Some(0), Some(1_700_000_000)));
        assert_eq!(meta.date, Some(at(1_700_000_000 - 20)));
        assert_eq!(meta.scopes, Some(vec!["read:org".into(), "repo".into()]));
        assert_eq!(meta.next.as_deref(), Some("https://x/a?page=2"));
    }

    #[test]
    fn secondary_limit_honours_retry_after() {
        let meta = Meta {
            retry_after: Some(7),
            ..Meta::default()
        };
        assert_eq!(wait(judge(&reply(403, meta, ""), 0, at(0))), 7);
    }

    #[test]
    fn long_waits_are_not_shortened_here_the_client_caps_them() {
        // Retrying before GitHub's time is useless; the client refuses a wait past its cap.
        let meta = Meta {
            retry_after: Some(100_000),
            ..Meta::default()
        };
        let verdict = judge(&reply(403, meta, ""), 0, at(0));
        assert_eq!(wait(verdict.clone()), 100_000);
        assert!(matches!(verdict, Verdict::Retry { why, .. } if why.contains("(27h 46m 40s)")));
        let meta = Meta {
            remaining: Some(0),
            reset: Some(1_000_000_000),
            date: Some(at(0)),
            ..Meta::default()
        };
        let verdict = judge(&reply(429, meta, ""), 0, at(0));
        assert_eq!(wait(verdict.clone()), 1_000_000_001);
        let why = match verdict {
            Verdict::Retry { why, .. } => why,
            Verdict::Final => String::new(),
        };
        assert_eq!(why, "rate limit exhausted, resets at 2001-09-09T01:46:40Z");
        let absurd = Meta {
            remaining: Some(0),
            reset: Some(i64::MAX),
            ..Meta::default()
        };
        assert!(
            matches!(judge(&reply(429, absurd, ""), 0, at(0)), Verdict::Retry { why, .. } if why.contains("epoch second"))
        );
        assert_eq!(friendly(Duration::from_secs(900)), "15m");
    }

    #[test]
    fn primary_limit_waits_for_reset_by_server_time() {
        let meta = Meta {
            remaining: Some(0),
            reset: Some(1_000),
            date: Some(at(900)),
            ..Meta::default()
        };
        // Local clock far off: the server's date decides.
        assert_eq!(wait(judge(&reply(429, meta, ""), 0, at(0))), 101);
    }

    #[test]
    fn secondary_limit_without_headers_backs_off_from_a_minute() {
        let body = r#"{"message":"You have exceeded a secondary rate limit"}"#;
        assert_eq!(
            wait(judge(&reply(403, Meta::default(), body), 0, at(0))),
            60
        );
        assert_eq!(
            wait(judge(&reply(403, Meta::default(), body), 1, at(0))),
            120
        );
        assert_eq!(wait(judge(&reply(429, Meta::default(), ""), 9, at(0))), 900);
    }

    #[test]
    fn permission_403_is_final() {
        let body = r#"{"message":"Resource not accessible by integration"}"#;
        assert_eq!(
            judge(&reply(403, Meta::default(), body), 0, at(0)),
            Verdict::Final
        );
        assert_eq!(
            judge(&reply(404, Meta::default(), ""), 0, at(0)),
            Verdict::Final
        );
    }

    #[test]
    fn server_errors_back_off_exponentially_with_a_cap() {
        let waits: Vec<u64> = (0..8)
            .map(|n| wait(judge(&reply(502, Meta::default(), ""), n, at(0))))
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn graphql_rate_limited_error_waits_for_reset() {
        let body = r#"{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"#;
        let meta = Meta {
            remaining: Some(0),
            reset: Some(50),
            date: Some(at(40)),
            ..Meta::default()
        };
        assert_eq!(wait(judge(&reply(200, meta, body), 0, at(0))), 11);
        let ok = r#"{"data":{"title":"RATE_LIMITED in a title is data"}}"#;
        assert_eq!(
            judge(&reply(200, Meta::default(), ok), 0, at(0)),
            Verdict::Final
        );
    }
}
