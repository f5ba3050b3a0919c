//! Why a token failed verification.

use std::fmt;

/// The segment of a compact JWT a [`JwtError::Base64`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The first segment, the JOSE header.
    Header,
    /// The second segment, the claims.
    Payload,
    /// The third segment, the HMAC tag.
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        })
    }
}

/// Why a token failed verification. Each variant names one check; none
/// carries key or token bytes, so the `Display` text is safe to log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// The verification key is empty: refused, since a token MACed with an
    /// empty key is one anyone can make.
    EmptyKey,
    /// The token is larger than
    /// [`Validation::max_token_size`](super::Validation::max_token_size)
    /// (checked before any decoding).
    TooLarge {
        /// The token's size in bytes.
        size: usize,
        /// The cap in force.
        max: usize,
    },
    /// Not three non-empty `.`-separated segments.
    Malformed(&'static str),
    /// A segment is not strict base64url without padding.
    Base64 {
        /// Which segment.
        segment: Segment,
    },
    /// The JOSE header is unacceptable (not a JSON object, duplicate member,
    /// `crit` present, bad `typ`, `alg` missing or not a string).
    Header(&'static str),
    /// `alg` is a string other than exactly `"HS256"` (`none` included, in any
    /// spelling).
    Algorithm,
    /// The HMAC-SHA256 tag does not match (wrong key, altered token, or a tag
    /// that is not 32 bytes).
    Signature,
    /// The payload is not a JSON object without duplicate member names.
    Payload(&'static str),
    /// A registered claim has the wrong type or an out-of-range value.
    InvalidClaim {
        /// The claim's name.
        claim: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A claim required by the [`Validation`](super::Validation) is absent.
    MissingClaim(&'static str),
    /// `exp` has passed: `now >= exp + leeway`.
    Expired {
        /// The token's `exp`.
        exp: i64,
        /// The clock's time when checked.
        now: i64,
    },
    /// `nbf` is still ahead: `nbf > now + leeway`.
    NotYetValid {
        /// The token's `nbf`.
        nbf: i64,
        /// The clock's time when checked.
        now: i64,
    },
    /// `iat` is in the future: `iat > now + leeway`.
    IssuedInFuture {
        /// The token's `iat`.
        iat: i64,
        /// The clock's time when checked.
        now: i64,
    },
    /// `iss` differs from the expected issuer.
    Issuer,
    /// `aud` does not contain the expected audience.
    Audience,
}

impl JwtError {
    /// A short, stable, machine-readable name of the failed check:
    /// `empty_key`, `too_large`, `malformed`, `base64`, `header`, `algorithm`, `signature`,
    /// `payload`, `invalid_claim`, `missing_claim`, `expired`,
    /// `not_yet_valid`, `issued_in_future`, `issuer` or `audience`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            JwtError::EmptyKey => "empty_key",
            JwtError::TooLarge { .. } => "too_large",
            JwtError::Malformed(_) => "malformed",
            JwtError::Base64 { .. } => "base64",
            JwtError::Header(_) => "header",
            JwtError::Algorithm => "algorithm",
            JwtError::Signature => "signature",
            JwtError::Payload(_) => "payload",
            JwtError::InvalidClaim { .. } => "invalid_claim",
            JwtError::MissingClaim(_) => "missing_claim",
            JwtError::Expired { .. } => "expired",
            JwtError::NotYetValid { .. } => "not_yet_valid",
            JwtError::IssuedInFuture { .. } => "issued_in_future",
            JwtError::Issuer => "issuer",
            JwtError::Audience => "audience",
        }
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtError::EmptyKey => f.write_str("the verification key is empty"),
            JwtError::TooLarge { size, max } => {
                write!(f, "token too large: {size} bytes, the limit is {max}")
            }
            JwtError::Malformed(why) => write!(f, "malformed token: {why}"),
            JwtError::Base64 { segment } => {
                write!(f, "token {segment} is not strict base64url without padding")
            }
            JwtError::Header(why) => write!(f, "unacceptable token header: {why}"),
            JwtError::Algorithm => {
                f.write_str("unacceptable token algorithm: only HS256 is accepted")
            }
            JwtError::Signature => f.write_str("token signature does not match"),
            JwtError::Payload(why) => write!(f, "unacceptable token payload: {why}"),
            JwtError::InvalidClaim { claim, reason } => {
                write!(f, "invalid `{claim}` claim: {reason}")
            }
            JwtError::MissingClaim(claim) => write!(f, "required `{claim}` claim is missing"),
            JwtError::Expired { exp, now } => {
                write!(f, "token expired (exp {exp}, now {now})")
            }
            JwtError::NotYetValid { nbf, now } => {
                write!(f, "token not yet valid (nbf {nbf}, now {now})")
            }
            JwtError::IssuedInFuture { iat, now } => {
                write!(f, "token issued in the future (iat {iat}, now {now})")
            }
            JwtError::Issuer => f.write_str("token issuer (`iss`) is not the expected one"),
            JwtError::Audience => {
                f.write_str("token audience (`aud`) does not contain the expected one")
            }
        }
    }
}

impl std::error::Error for JwtError {}
