//! What [`verify`](super::verify) checks beyond the signature, and the clock it reads.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_LEN};

/// A registered claim that a [`Validation`] can require to be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisteredClaim {
    /// `iss`
    Iss,
    /// `sub`
    Sub,
    /// `aud`
    Aud,
    /// `exp`
    Exp,
    /// `nbf`
    Nbf,
    /// `iat`
    Iat,
    /// `jti`
    Jti,
}

impl RegisteredClaim {
    pub(super) const ALL: [RegisteredClaim; 7] = [
        RegisteredClaim::Iss,
        RegisteredClaim::Sub,
        RegisteredClaim::Aud,
        RegisteredClaim::Exp,
        RegisteredClaim::Nbf,
        RegisteredClaim::Iat,
        RegisteredClaim::Jti,
    ];

    /// The claim's name in the payload.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            RegisteredClaim::Iss => "iss",
            RegisteredClaim::Sub => "sub",
            RegisteredClaim::Aud => "aud",
            RegisteredClaim::Exp => "exp",
            RegisteredClaim::Nbf => "nbf",
            RegisteredClaim::Iat => "iat",
            RegisteredClaim::Jti => "jti",
        }
    }

    pub(super) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Where [`verify`](super::verify) reads the current time from, in seconds since the Unix
/// epoch.
#[derive(Clone, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A fixed instant, for tests and for replaying a decision.
    Fixed(i64),
    /// Any function, e.g. a test clock that can be moved forward.
    Custom(Arc<dyn Fn() -> i64 + Send + Sync>),
}

impl Clock {
    /// The current time in whole seconds since the Unix epoch.
    #[must_use]
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            Clock::Fixed(t) => *t,
            Clock::Custom(f) => f(),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clock::System => f.write_str("System"),
            Clock::Fixed(t) => f.debug_tuple("Fixed").field(t).finish(),
            Clock::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// What [`verify`](super::verify) checks beyond the signature.
///
/// The default: `exp` required, 60 s leeway, no issuer or audience expected,
/// tokens up to 16 KiB, the system clock.
#[derive(Debug, Clone)]
pub struct Validation {
    pub(super) issuer: Option<String>,
    pub(super) audience: Option<String>,
    pub(super) leeway: u64,
    pub(super) required: u8,
    pub(super) max_len: usize,
    pub(super) clock: Clock,
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            issuer: None,
            audience: None,
            leeway: DEFAULT_LEEWAY.as_secs(),
            required: RegisteredClaim::Exp.bit(),
            max_len: DEFAULT_MAX_TOKEN_LEN,
            clock: Clock::System,
        }
    }
}

impl Validation {
    /// The default validation (see the type's documentation).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Requires `iss` to equal `issuer` exactly (an absent `iss` fails).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Requires `aud` (a string or an array) to contain `audience` (an absent
    /// `aud` fails). Without an expected audience, `aud` is not checked.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// The clock skew tolerated for `exp`, `nbf` and `iat` (whole seconds;
    /// default 60 s).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway.as_secs();
        self
    }

    /// Whether `exp` must be present (default `true`).
    #[must_use]
    pub fn require_exp(mut self, required: bool) -> Self {
        if required {
            self.required |= RegisteredClaim::Exp.bit();
        } else {
            self.required &= !RegisteredClaim::Exp.bit();
        }
        self
    }

    /// Requires a registered claim to be present.
    #[must_use]
    pub fn require(mut self, claim: RegisteredClaim) -> Self {
        self.required |= claim.bit();
        self
    }

    /// The cap on the token's length in bytes, checked before any decoding
    /// (default 16 KiB).
    #[must_use]
    pub fn max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// Where the current time comes from (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Shorthand for a fixed clock at `now` seconds since the Unix epoch.
    #[must_use]
    pub fn at(self, now: i64) -> Self {
        self.clock(Clock::Fixed(now))
    }

    /// The expected issuer, if any.
    #[must_use]
    pub fn expected_issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The expected audience, if any.
    #[must_use]
    pub fn expected_audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// The leeway in force.
    #[must_use]
    pub fn leeway_in_force(&self) -> Duration {
        Duration::from_secs(self.leeway)
    }

    /// The length cap in force.
    #[must_use]
    pub fn max_len_in_force(&self) -> usize {
        self.max_len
    }

    /// The clock in force.
    #[must_use]
    pub fn clock_in_force(&self) -> &Clock {
        &self.clock
    }
}
