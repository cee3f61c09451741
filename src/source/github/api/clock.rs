//! Time for the client: when to retry, and the waiting itself. Injected, so tests of rate
//! limits and backoff run in milliseconds while checking exactly how long the client waited.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jiff::Timestamp;

/// A future a [`Clock`] returns from `sleep`.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// The client's source of time. `now` is only a fallback: when GitHub sends a `Date` header the
/// client measures rate-limit resets against the server's own clock, so local skew cannot make
/// it retry too early.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

/// The wall clock and real sleeping.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}
