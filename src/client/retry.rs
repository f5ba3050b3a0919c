//! Retrying what failed for a passing reason, and never what may have
//! reached the provider: [`RetryPolicy`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Jitter;
use crate::error::Error;

/// Retries by default: 2 (three attempts in all).
pub const DEFAULT_RETRIES: u32 = 2;

/// The first backoff's ceiling: wait `n` (from 0) is uniform in
/// `[0, BACKOFF_BASE · 2^n]` (exponential backoff with full jitter).
pub const BACKOFF_BASE: Duration = Duration::from_millis(500);

/// The longest `Retry-After` waited for: 10 s. A provider that asks for
/// more is not waited for: its answer is the error, at once.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// How a [`Client`](crate::Client) retries a request that failed for a
/// passing reason.
///
/// Retried are only failures known to come before the request was sent —
/// the name not resolved, the connection refused or unreachable, connecting
/// timed out ([`TransportKind::before_sending`](crate::TransportKind::before_sending))
/// — and answers that say the request was not processed: HTTP 429 or 503,
/// or an RFC 6749 `temporarily_unavailable`
/// ([`Error::was_not_processed`]). Nothing that may have reached the
/// provider is sent again: a refresh whose connection was reset after
/// sending may have rotated the refresh token it carried, and a provider
/// with reuse detection (Auth0, Okta, Keycloak) revokes the whole session
/// when a rotated token comes back. The same rule holds for the password
/// grant and revocation. Fetching a JWKS, which changes nothing at the
/// provider, is also retried after any transient failure
/// ([`Error::is_transient`]).
///
/// Wait `n` (from 0) is uniform in `[0, 0.5 s · 2^n]` (full jitter), or what
/// the answer's `Retry-After` says (seconds, or an HTTP-date measured
/// against the same answer's `Date`, never the local clock) when it says at
/// most [`MAX_RETRY_AFTER`]; a longer `Retry-After` is not waited for, and
/// the error is returned at once.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use ropc::RetryPolicy;
///
/// // Waits recorded instead of slept, draws from a seed: exact tests.
/// let waits = Arc::new(Mutex::new(Vec::new()));
/// let policy = {
///     let waits = waits.clone();
///     RetryPolicy::new()
///         .retries(3)
///         .seed(7)
///         .sleep_with(move |d| waits.lock().unwrap().push(d))
/// };
/// assert_eq!(policy.get_retries(), 3);
/// // The most the waits of one request can add: 3 × 10 s.
/// assert_eq!(policy.longest_wait(), Duration::from_secs(30));
/// # let _ = waits;
/// ```
#[derive(Clone)]
pub struct RetryPolicy {
    retries: u32,
    jitter: Jitter,
    sleep: Arc<dyn Fn(Duration) + Send + Sync>,
    on_retry: Option<OnRetry>,
}

/// What [`RetryPolicy::on_retry`] is told of each retry with.
type OnRetry = Arc<dyn Fn(&Retry<'_>) + Send + Sync>;

/// A retry about to be made, as [`RetryPolicy::on_retry`] is told of it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Retry<'a> {
    /// Which retry this is: 1 for the first.
    pub number: u32,
    /// How many retries the policy allows.
    pub of: u32,
    /// How long it waits first.
    pub wait: Duration,
    /// Why: the failure of the attempt before (its message holds no
    /// secret).
    pub error: &'a Error,
}

impl RetryPolicy {
    /// [`DEFAULT_RETRIES`] retries, random jitter, real sleeps.
    #[must_use]
    pub fn new() -> RetryPolicy {
        RetryPolicy {
            retries: DEFAULT_RETRIES,
            jitter: Jitter::random(),
            sleep: Arc::new(std::thread::sleep),
            on_retry: None,
        }
    }

    /// No retries: every failure is returned at once.
    #[must_use]
    pub fn none() -> RetryPolicy {
        RetryPolicy::new().retries(0)
    }

    /// How many times a request is sent again (0 turns retrying off).
    #[must_use]
    pub fn retries(mut self, retries: u32) -> RetryPolicy {
        self.retries = retries;
        self
    }

    /// The jitter's draws repeat for the same seed.
    #[must_use]
    pub fn seed(self, seed: u64) -> RetryPolicy {
        self.jitter(Jitter::seeded(seed))
    }

    /// Where the backoff's chance comes from ([`Jitter::none`]: no waits
    /// but those `Retry-After` asks for).
    #[must_use]
    pub fn jitter(mut self, jitter: Jitter) -> RetryPolicy {
        self.jitter = jitter;
        self
    }

    /// How to wait (default `std::thread::sleep`): tests record the waits
    /// instead of sleeping through them.
    #[must_use]
    pub fn sleep_with(mut self, sleep: impl Fn(Duration) + Send + Sync + 'static) -> RetryPolicy {
        self.sleep = Arc::new(sleep);
        self
    }

    /// Told of each retry before its wait (a log line, a counter). ropc
    /// itself logs nothing.
    #[must_use]
    pub fn on_retry(mut self, f: impl Fn(&Retry<'_>) + Send + Sync + 'static) -> RetryPolicy {
        self.on_retry = Some(Arc::new(f));
        self
    }

    /// How many retries.
    #[must_use]
    pub fn get_retries(&self) -> u32 {
        self.retries
    }

    /// The longest the waits of one request can add up to: each at most
    /// [`MAX_RETRY_AFTER`] (a backoff wait is shorter until the fifth).
    #[must_use]
    pub fn longest_wait(&self) -> Duration {
        (0..self.retries)
            .map(|n| backoff_ceiling(n).max(MAX_RETRY_AFTER))
            .sum()
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are
    /// spent. `idempotent`: the request changes nothing at the provider (a
    /// GET), so any transient failure may be retried.
    pub(crate) fn run<T>(
        &self,
        idempotent: bool,
        mut attempt: impl FnMut() -> Result<T, Failed>,
    ) -> Result<T, Error> {
        let mut retry = 0;
        loop {
            let failed = match attempt() {
                Ok(value) => return Ok(value),
                Err(failed) => failed,
            };
            let error = failed.error;
            let retryable = error.was_not_processed()
                || (error.is_transient() && (idempotent || !error.may_have_reached_provider()));
            if retry >= self.retries || !retryable {
                return Err(error);
            }
            let wait = match failed.retry_after {
                // Asked for longer than is worth waiting: the answer stands.
                Some(asked) if asked > MAX_RETRY_AFTER => return Err(error),
                Some(asked) => asked,
                None => self.jitter.duration_up_to(backoff_ceiling(retry)),
            };
            retry += 1;
            if let Some(on_retry) = &self.on_retry {
                on_retry(&Retry {
                    number: retry,
                    of: self.retries,
                    wait,
                    error: &error,
                });
            }
            (self.sleep)(wait);
        }
    }
}

/// The ceiling of backoff wait `n` (from 0): 0.5 s · 2^n.
fn backoff_ceiling(n: u32) -> Duration {
    BACKOFF_BASE.saturating_mul(1u32.checked_shl(n).unwrap_or(u32::MAX))
}

/// A failed attempt: the error, and how long the answer asked to wait
/// before the next (`Retry-After`), when it did.
pub(crate) struct Failed {
    pub(crate) error: Error,
    pub(crate) retry_after: Option<Duration>,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Failed {
        Failed {
            error,
            retry_after: None,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new()
    }
}

impl fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("retries", &self.retries)
            .field("jitter", &self.jitter)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::error::{ConfigError, Setting, TransportError, TransportKind};
    use crate::response::{ResponseError, ResponseProblem};

    fn transport(kind: TransportKind) -> Error {
        Error::Transport(TransportError {
            kind,
            detail: String::new(),
            endpoint: crate::error::Endpoint::Token,
        })
    }

    fn status(code: u16) -> Error {
        let mut r = ResponseError::new(ResponseProblem::Status);
        r.status = Some(code);
        Error::Response(r)
    }

    /// Runs a policy of 2 retries over `errors` (then success), recording
    /// the waits; returns the attempts made, the waits, and the outcome.
    fn run(
        idempotent: bool,
        errors: Vec<(Error, Option<Duration>)>,
    ) -> (usize, Vec<Duration>, Result<(), Error>) {
        let waits = Arc::new(Mutex::new(Vec::new()));
        let policy = {
            let waits = waits.clone();
            RetryPolicy::new()
                .seed(1)
                .sleep_with(move |d| waits.lock().unwrap().push(d))
        };
        let mut errors = errors.into_iter();
        let mut attempts = 0;
        let outcome = policy.run(idempotent, || {
            attempts += 1;
            match errors.next() {
                Some((error, retry_after)) => Err(Failed { error, retry_after }),
                None => Ok(()),
            }
        });
        let waits = waits.lock().unwrap().clone();
        (attempts, waits, outcome)
    }

    #[test]
    fn failures_before_sending_are_retried_with_full_jitter() {
        let (attempts, waits, outcome) = run(
            false,
            vec![
                (transport(TransportKind::Connect), None),
                (transport(TransportKind::Dns), None),
            ],
        );
        assert!(outcome.is_ok());
        assert_eq!(attempts, 3);
        assert!(waits[0] <= Duration::from_millis(500), "{waits:?}");
        assert!(waits[1] <= Duration::from_millis(1000), "{waits:?}");
    }

    #[test]
    fn what_may_have_reached_the_provider_is_never_sent_again() {
        for error in [
            transport(TransportKind::Timeout),
            transport(TransportKind::Io),
            status(502),
            status(500),
        ] {
            let (attempts, waits, outcome) = run(false, vec![(error.clone(), None)]);
            assert_eq!(attempts, 1, "{error}");
            assert!(waits.is_empty());
            assert_eq!(outcome.unwrap_err(), error);
        }
    }

    #[test]
    fn a_get_is_retried_after_any_transient_failure() {
        let (attempts, _, outcome) = run(
            true,
            vec![
                (transport(TransportKind::Timeout), None),
                (status(502), None),
            ],
        );
        assert!(outcome.is_ok());
        assert_eq!(attempts, 3);
    }

    #[test]
    fn answers_that_were_not_processed_are_retried_after_retry_after() {
        let (attempts, waits, outcome) = run(
            false,
            vec![
                (status(503), Some(Duration::from_secs(1))),
                (status(429), None),
            ],
        );
        assert!(outcome.is_ok());
        assert_eq!(attempts, 3);
        assert_eq!(waits[0], Duration::from_secs(1));
    }

    #[test]
    fn a_retry_after_beyond_ten_seconds_is_not_waited_for() {
        let (attempts, waits, outcome) =
            run(false, vec![(status(429), Some(Duration::from_secs(120)))]);
        assert_eq!(attempts, 1);
        assert!(waits.is_empty());
        assert_eq!(outcome.unwrap_err(), status(429));
    }

    #[test]
    fn refusals_and_bad_configuration_are_never_retried() {
        let config = Error::Config(ConfigError::new(Setting::TokenUrl, "x"));
        let (attempts, _, _) = run(true, vec![(config, None)]);
        assert_eq!(attempts, 1);
        let tls = transport(TransportKind::Tls);
        assert_eq!(run(true, vec![(tls, None)]).0, 1);
    }

    #[test]
    fn retries_stop_when_spent() {
        let errors = (0..5)
            .map(|_| (transport(TransportKind::Connect), None))
            .collect();
        let (attempts, waits, outcome) = run(false, errors);
        assert_eq!(attempts, 3);
        assert_eq!(waits.len(), 2);
        assert!(outcome.is_err());
    }

    #[test]
    fn the_longest_wait_is_ten_seconds_a_retry() {
        assert_eq!(RetryPolicy::new().longest_wait(), Duration::from_secs(20));
        assert_eq!(RetryPolicy::none().longest_wait(), Duration::ZERO);
        assert_eq!(backoff_ceiling(0), Duration::from_millis(500));
        assert_eq!(backoff_ceiling(5), Duration::from_secs(16));
        assert!(backoff_ceiling(40) > Duration::from_secs(1_000_000));
    }
}
