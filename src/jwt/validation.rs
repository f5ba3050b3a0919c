//! What [`verify`](super::verify) checks beyond the signature, and the clock it reads.

use std::time::Duration;

use super::{Claims, DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_SIZE, JwtError};
use crate::clock::Clock;

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
    const ALL: [RegisteredClaim; 7] = [
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

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// What [`verify`](super::verify) checks beyond the signature.
///
/// The default: `exp` required, 60 s leeway, no issuer or audience expected,
/// tokens up to 16 KiB, the system clock. Set with the builder methods,
/// read back with the `get_` methods (as `std::process::Command` does).
///
/// ```
/// use std::time::Duration;
/// use ropc::jwt::{RegisteredClaim, Validation};
///
/// let validation = Validation::new()
///     .issuer("https://id.example")
///     .audience("my-app")
///     .leeway(Duration::from_secs(30))
///     .require(RegisteredClaim::Sub);
/// assert_eq!(validation.get_issuer(), Some("https://id.example"));
/// assert_eq!(validation.get_leeway(), Duration::from_secs(30));
/// assert!(validation.is_required(RegisteredClaim::Exp));
/// ```
#[derive(Debug, Clone)]
pub struct Validation {
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
    required: u8,
    pub(super) max_token_size: usize,
    clock: Clock,
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            issuer: None,
            audience: None,
            leeway: DEFAULT_LEEWAY.as_secs(),
            required: RegisteredClaim::Exp.bit(),
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
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

    /// The cap on the token's size in bytes, checked before any decoding
    /// (default [`DEFAULT_MAX_TOKEN_SIZE`], 16 KiB).
    #[must_use]
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_size = bytes;
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
    pub fn get_issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The expected audience, if any.
    #[must_use]
    pub fn get_audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// The leeway.
    #[must_use]
    pub fn get_leeway(&self) -> Duration {
        Duration::from_secs(self.leeway)
    }

    /// Whether `claim` must be present.
    #[must_use]
    pub fn is_required(&self, claim: RegisteredClaim) -> bool {
        self.required & claim.bit() != 0
    }

    /// The cap on the token's size in bytes.
    #[must_use]
    pub fn get_max_token_size(&self) -> usize {
        self.max_token_size
    }

    /// The clock.
    #[must_use]
    pub fn get_clock(&self) -> &Clock {
        &self.clock
    }

    /// The checks beyond the signature, on verified claims.
    pub(super) fn check(&self, claims: &Claims) -> Result<(), JwtError> {
        for claim in RegisteredClaim::ALL {
            if self.is_required(claim) && !claims.has(claim) {
                return Err(JwtError::MissingClaim(claim.name()));
            }
        }
        let now = self.clock.now();
        let leeway = i64::try_from(self.leeway).unwrap_or(i64::MAX);
        if let Some(exp) = claims.exp()
            && now >= exp.saturating_add(leeway)
        {
            return Err(JwtError::Expired { exp, now });
        }
        if let Some(nbf) = claims.nbf()
            && nbf > now.saturating_add(leeway)
        {
            return Err(JwtError::NotYetValid { nbf, now });
        }
        if let Some(iat) = claims.iat()
            && iat > now.saturating_add(leeway)
        {
            return Err(JwtError::IssuedInFuture { iat, now });
        }
        if let Some(expected) = &self.issuer {
            match claims.iss() {
                None => return Err(JwtError::MissingClaim("iss")),
                Some(iss) if iss != expected => return Err(JwtError::Issuer),
                Some(_) => {}
            }
        }
        if let Some(expected) = &self.audience {
            if !claims.has(RegisteredClaim::Aud) {
                return Err(JwtError::MissingClaim("aud"));
            }
            if !claims.has_audience(expected) {
                return Err(JwtError::Audience);
            }
        }
        Ok(())
    }
}
