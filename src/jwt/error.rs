//! Why a token failed verification.

use std::fmt;

/// The segment of a compact JWT a [`JwtError::Base64`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The first segment, the JOSE header.
    Header,
    /// The second segment, the claims.
    Payload,
    /// The third segment, the signature (HMAC tag or public-key signature).
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
    /// `alg` is a string the verifier does not accept: for
    /// [`verify`](super::verify) anything but exactly `"HS256"`; for a key set
    /// HS256/384/512 (never accepted with public keys), `none` and anything
    /// ropc does not support (`none` included, in any spelling).
    Algorithm {
        /// The canonical JOSE name of the header's `alg` when ropc recognises
        /// it (`HS256` … `HS512`, `RS256` … `RS512`, `PS256` … `PS512`,
        /// `ES256` … `ES512`, `EdDSA`, `Ed25519`, `none`); `None` for any
        /// other text, which is never repeated.
        found: Option<&'static str>,
    },
    /// The signature does not match: wrong key, altered token, or a
    /// signature of the wrong length or form (an HS256 tag that is not 32
    /// bytes, an ES256 signature in DER instead of `r || s`).
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
    /// Key set only: the token's `kid` names no usable key of the set, and
    /// the set has no sole key without a `kid` that fits the token's
    /// algorithm. The one error after which fetching the provider's key set
    /// again can help (its keys may have rotated).
    UnknownKey,
    /// Key set only: the choice of key is ambiguous — no `kid` and several
    /// usable keys fit the token's algorithm, or several usable keys that fit
    /// share the token's `kid`.
    AmbiguousKey,
    /// Key set only: the token has no `kid` and no usable key of the set
    /// fits its algorithm.
    NoKey,
    /// Key set only: the token's `kid` names a key the set left out (see
    /// `KeySet::ignored`); says why, e.g. "RSA key under 2048 bits".
    UnusableKey(&'static str),
    /// Key set only: the key the token's `kid` names does not allow the
    /// header's algorithm (another key type or curve, or the JWK's own `alg`
    /// differs).
    KeyMismatch {
        /// The header's algorithm.
        alg: &'static str,
        /// The key, described (e.g. "RSA key", "EC P-256 key", "RSA key for
        /// RS256 only").
        key: &'static str,
    },
}

impl JwtError {
    /// A short, stable, machine-readable name of the failed check:
    /// `empty_key`, `too_large`, `malformed`, `base64`, `header`, `algorithm`, `signature`,
    /// `payload`, `invalid_claim`, `missing_claim`, `expired`,
    /// `not_yet_valid`, `issued_in_future`, `issuer` or `audience`; with a
    /// key set also `unknown_key`, `ambiguous_key`, `no_key`, `unusable_key`
    /// or `key_mismatch`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            JwtError::EmptyKey => "empty_key",
            JwtError::TooLarge { .. } => "too_large",
            JwtError::Malformed(_) => "malformed",
            JwtError::Base64 { .. } => "base64",
            JwtError::Header(_) => "header",
            JwtError::Algorithm { .. } => "algorithm",
            JwtError::Signature => "signature",
            JwtError::Payload(_) => "payload",
            JwtError::InvalidClaim { .. } => "invalid_claim",
            JwtError::MissingClaim(_) => "missing_claim",
            JwtError::Expired { .. } => "expired",
            JwtError::NotYetValid { .. } => "not_yet_valid",
            JwtError::IssuedInFuture { .. } => "issued_in_future",
            JwtError::Issuer => "issuer",
            JwtError::Audience => "audience",
            JwtError::UnknownKey => "unknown_key",
            JwtError::AmbiguousKey => "ambiguous_key",
            JwtError::NoKey => "no_key",
            JwtError::UnusableKey(_) => "unusable_key",
            JwtError::KeyMismatch { .. } => "key_mismatch",
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
            JwtError::Algorithm { found } => algorithm(f, *found),
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
            JwtError::UnknownKey => {
                f.write_str("the token's key id (`kid`) names no usable key of the key set")
            }
            JwtError::AmbiguousKey => f.write_str(
                "more than one key of the key set fits the token (no `kid`, or a shared one)",
            ),
            JwtError::NoKey => {
                f.write_str("no usable key of the key set fits the token's algorithm")
            }
            JwtError::UnusableKey(why) => write!(
                f,
                "the key the token's key id (`kid`) names was left out of the key set: {why}"
            ),
            JwtError::KeyMismatch { alg, key } => write!(
                f,
                "token algorithm {alg} does not fit the key its key id (`kid`) names ({key})"
            ),
        }
    }
}

/// The one `Display` text for [`JwtError::Algorithm`], true whichever
/// verifier refused: each recognised algorithm can be refused by one of them
/// for one reason only, except HS384/HS512, `none`, ES512 and the unknown
/// ones, which both refuse for the same reason.
fn algorithm(f: &mut fmt::Formatter<'_>, found: Option<&'static str>) -> fmt::Result {
    match found {
        None => f.write_str("unacceptable token algorithm: not one ropc supports"),
        Some("HS256") => f.write_str(
            "unacceptable token algorithm HS256: HMAC is never accepted with a key set \
             (only with the client secret)",
        ),
        Some(alg @ ("HS384" | "HS512")) => write!(
            f,
            "unacceptable token algorithm {alg}: only HS256 is accepted, with the client \
             secret, and HMAC never with a key set"
        ),
        Some("none") => {
            f.write_str("unacceptable token algorithm none: unsigned tokens are never accepted")
        }
        Some("ES512") => f.write_str("unacceptable token algorithm ES512: not supported"),
        Some(alg) => write!(
            f,
            "unacceptable token algorithm {alg}: only HS256 is accepted with a client secret \
             ({alg} needs the provider's public keys, a key set)"
        ),
    }
}

impl std::error::Error for JwtError {}
