//! Token endpoint responses: the successful token response (RFC 6749 §5.1)
//! and the error response (§5.2).
//!
//! [`parse`] is a pure function over the response body (and the request's
//! secrets, to redact from anything it keeps to show). It is strict where a
//! laxity would be dangerous (duplicate member names are rejected, a member of
//! the wrong type is an error, never "absent") and tolerant of the quirks
//! deployed providers are known for: `expires_in` as a numeric string, a
//! missing `token_type` (meaning Bearer), `scope` as an array, `null` for an
//! absent member, a leading UTF-8 byte order mark, and an `error` member in a
//! response sent with HTTP 200.
//!
//! Strings are unescaped by serde_json in a way that leaves no unwiped copy
//! in its scratch space ([`json::unescape_wiped`]), straight into
//! [`Secret`]s and zeroized buffers.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use crate::error::Endpoint;
use crate::json::{self, KeySet, Problem, Str, StrictAny};
use crate::redact::Redactor;
use crate::secret::Secret;

/// The largest `expires_in` accepted: ten years, in seconds. Anything longer
/// is taken for a broken provider, not a token lifetime.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;

/// A successful token response (RFC 6749 §5.1). The token type has been
/// checked to be `Bearer`. (Not part of the public API: reachable only
/// through the doc-hidden `_fuzz` module.)
#[derive(Clone)]
pub struct TokenResponse {
    /// `access_token`: never empty.
    pub access_token: Secret,
    /// `expires_in`, in seconds, when the provider sent it.
    pub expires_in: Option<u64>,
    /// `refresh_token`, when the provider sent a non-empty one.
    pub refresh_token: Option<Secret>,
    /// `scope`, space-separated, when the provider sent it (an array of
    /// strings is joined with spaces).
    pub scope: Option<String>,
    /// `id_token` (OpenID Connect), when the provider sent one. Not verified.
    pub id_token: Option<Secret>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &self.access_token)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .field("id_token", &self.id_token)
            .finish()
    }
}

/// An RFC 6749 §5.2 error code.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`: client authentication failed (wrong id or secret).
    InvalidClient,
    /// `invalid_grant`: wrong username or password, or a refresh token that
    /// is expired, revoked or unknown.
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `server_error`: the provider failed (worth retrying later).
    ServerError,
    /// `temporarily_unavailable`: the provider is overloaded or in
    /// maintenance (worth retrying later).
    TemporarilyUnavailable,
    /// Any other code (kept, sanitised to printable ASCII, at most 64 bytes).
    Other(String),
}

impl ErrorCode {
    /// Reads a code, redacting the request's secrets from an unknown one
    /// before it is cut to 64 characters.
    pub(crate) fn from_wire(code: &str, redactor: &Redactor) -> ErrorCode {
        match code {
            "invalid_request" => ErrorCode::InvalidRequest,
            "invalid_client" => ErrorCode::InvalidClient,
            "invalid_grant" => ErrorCode::InvalidGrant,
            "unauthorized_client" => ErrorCode::UnauthorizedClient,
            "unsupported_grant_type" => ErrorCode::UnsupportedGrantType,
            "invalid_scope" => ErrorCode::InvalidScope,
            "server_error" => ErrorCode::ServerError,
            "temporarily_unavailable" => ErrorCode::TemporarilyUnavailable,
            other => ErrorCode::Other(redactor.clean(other.as_bytes(), 64)),
        }
    }

    /// The code as it appears on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::Other(s) => s,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error response (RFC 6749 §5.2). Text members have the request's
/// secrets redacted and are sanitised (printable characters only, bounded
/// length), so they are safe to print.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// `error`
    pub code: ErrorCode,
    /// `error_description`, at most 256 characters.
    pub description: Option<String>,
    /// `error_uri`, at most 256 characters.
    pub uri: Option<String>,
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())?;
        if let Some(d) = &self.description {
            write!(f, ": {d}")?;
        }
        if let Some(u) = &self.uri {
            write!(f, " (see {u})")?;
        }
        Ok(())
    }
}

/// A parsed token endpoint response.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// A successful token response.
    Token(TokenResponse),
    /// An error response: the body had an `error` member.
    Error(ErrorResponse),
}

/// What is wrong with a response body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseProblem {
    /// The body is not well-formed JSON.
    NotJson,
    /// The body is JSON but not an object.
    NotObject,
    /// A member name appears twice in one object.
    DuplicateMember,
    /// A required member is absent.
    MissingMember(&'static str),
    /// A member has the wrong type or value.
    InvalidMember {
        /// The member's name.
        member: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `token_type` is not `Bearer` (the type is kept when it is a short
    /// token-like word, otherwise `…`).
    UnsupportedTokenType(String),
    /// The body exceeds the configured cap.
    TooLarge {
        /// The cap in bytes.
        max: usize,
    },
    /// A non-2xx status without an RFC 6749 error body.
    Status,
    /// A redirect (3xx). ropc never follows one: a 307/308 would re-send the
    /// password to wherever it points.
    Redirect,
    /// The response body could not be read completely (truncated or
    /// interrupted).
    Truncated,
    /// The response declared a content encoding ropc does not decode.
    ContentEncoding,
    /// The answer is not well-formed HTTP (a bad status line, headers over
    /// the cap, broken chunked encoding).
    Protocol,
    /// A JWKS URL answered with something that is not a key set (RFC 7517
    /// §5): not JSON, duplicate member names, no `keys` array, too many keys.
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    KeySet(crate::jwt::KeySetError),
}

impl fmt::Display for ResponseProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseProblem::NotJson => f.write_str("body is not valid JSON"),
            ResponseProblem::NotObject => f.write_str("body is not a JSON object"),
            ResponseProblem::DuplicateMember => f.write_str("body has a duplicate member name"),
            ResponseProblem::MissingMember(m) => write!(f, "`{m}` is missing"),
            ResponseProblem::InvalidMember { member, reason } => write!(f, "`{member}` {reason}"),
            ResponseProblem::UnsupportedTokenType(t) => {
                write!(f, "token_type `{t}` is not supported (only Bearer)")
            }
            ResponseProblem::TooLarge { max } => write!(f, "body exceeds {max} bytes"),
            ResponseProblem::Status => f.write_str("unexpected HTTP status"),
            ResponseProblem::Redirect => f.write_str("redirect refused (never followed)"),
            ResponseProblem::Truncated => f.write_str("body truncated or unreadable"),
            ResponseProblem::ContentEncoding => f.write_str("unsupported content encoding"),
            ResponseProblem::Protocol => f.write_str("the answer is not well-formed HTTP"),
            #[cfg(feature = "asymmetric")]
            ResponseProblem::KeySet(e) => write!(f, "not a usable key set: {e}"),
        }
    }
}

/// A malformed, unexpected or oversized token endpoint response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseError {
    /// What is wrong.
    pub problem: ResponseProblem,
    /// The HTTP status, when there was one.
    pub status: Option<u16>,
    /// A short sanitised excerpt of the body: only ever taken from non-2xx
    /// responses that are not token responses, never from one that may hold
    /// a token.
    pub excerpt: Option<String>,
    /// The endpoint that answered.
    pub endpoint: Endpoint,
}

impl ResponseError {
    /// An error with just a problem.
    pub(crate) fn new(problem: ResponseProblem) -> Self {
        ResponseError {
            problem,
            status: None,
            excerpt: None,
            endpoint: Endpoint::Token,
        }
    }
}

impl ResponseError {
    /// Whether the provider said it cannot answer now: HTTP 429 or a 5xx
    /// status without an RFC 6749 error body (an overloaded provider, a
    /// gateway's error page). Worth retrying later.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.problem == ResponseProblem::Status
            && self
                .status
                .is_some_and(|s| s == 429 || (500..600).contains(&s))
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.endpoint.prefix())?;
        match self.status {
            Some(status) if self.is_unavailable() => {
                write!(f, "provider unavailable (HTTP {status})")?;
            }
            Some(status) => write!(
                f,
                "malformed provider response: HTTP {status}: {}",
                self.problem
            )?,
            None => write!(f, "malformed provider response: {}", self.problem)?,
        }
        if let Some(e) = &self.excerpt {
            write!(f, " (body starts: {e:?})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ResponseError {}

impl From<ResponseProblem> for ResponseError {
    fn from(problem: ResponseProblem) -> Self {
        ResponseError::new(problem)
    }
}

/// Parses a token endpoint response body, with the request's secrets
/// redacted from every string taken from the body (the error code,
/// description and URI, an unsupported token type) before any of them is
/// cut to length.
///
/// An `error` member makes it an error response, whatever else it holds and
/// whatever the HTTP status was.
///
/// # Errors
///
/// A [`ResponseError`] naming the problem; it never contains token bytes.
pub fn parse(body: &[u8], redactor: &Redactor) -> Result<Parsed, ResponseError> {
    // Some servers (.NET, IIS) start their JSON with a UTF-8 byte order mark.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // JSON is UTF-8 (RFC 8259 §8.1); checked up front, so serde_json reads
    // a `str` (one reader type for all of ropc's JSON: a smaller binary).
    let body =
        std::str::from_utf8(body).map_err(|_| ResponseError::new(ResponseProblem::NotJson))?;
    let raw = {
        let mut de = serde_json::Deserializer::from_str(body);
        de::Deserializer::deserialize_map(&mut de, MembersVisitor)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| {
                ResponseError::new(match json::classify(&e) {
                    Problem::Syntax => ResponseProblem::NotJson,
                    Problem::NotObject => ResponseProblem::NotObject,
                    Problem::Duplicate => ResponseProblem::DuplicateMember,
                })
            })?
    };
    if let Some(error) = raw.error {
        return parse_error(error, raw.error_description, raw.error_uri, redactor)
            .map(Parsed::Error);
    }
    let access_token = match raw.access_token {
        None => return Err(ResponseProblem::MissingMember("access_token").into()),
        Some(v) => match string("access_token", v)? {
            Some(s) if !s.is_empty() => token("access_token", s)?,
            _ => return Err(ResponseProblem::MissingMember("access_token").into()),
        },
    };
    if let Some(v) = raw.token_type
        && let Some(t) = string("token_type", v)?
        && !t.trim().eq_ignore_ascii_case("bearer")
    {
        // Named when, once redacted, it looks like a token type ("DPoP",
        // "mac"); anything else (a misplaced token?) is not echoed.
        let cleaned = redactor.clean(t.trim().as_bytes(), 17);
        let looks_like_a_type = cleaned.len() <= 16
            && cleaned
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_+.".contains(&b));
        let shown = if looks_like_a_type {
            cleaned
        } else {
            "…".to_owned()
        };
        return Err(ResponseProblem::UnsupportedTokenType(shown).into());
    }
    let expires_in = raw.expires_in.map(expires_in).transpose()?.flatten();
    let refresh_token = optional_secret("refresh_token", raw.refresh_token)?;
    let id_token = optional_secret("id_token", raw.id_token)?;
    let scope = raw.scope.map(scope).transpose()?.flatten();
    Ok(Parsed::Token(TokenResponse {
        access_token,
        expires_in,
        refresh_token,
        scope,
        id_token,
    }))
}

/// The members ropc reads, as raw JSON text borrowed from the body.
#[derive(Default)]
struct Members<'de> {
    access_token: Option<&'de RawValue>,
    token_type: Option<&'de RawValue>,
    expires_in: Option<&'de RawValue>,
    refresh_token: Option<&'de RawValue>,
    scope: Option<&'de RawValue>,
    id_token: Option<&'de RawValue>,
    error: Option<&'de RawValue>,
    error_description: Option<&'de RawValue>,
    error_uri: Option<&'de RawValue>,
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = KeySet::new();
        let mut m = Members::default();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            let slot = match &*key {
                "access_token" => Some(&mut m.access_token),
                "token_type" => Some(&mut m.token_type),
                "expires_in" => Some(&mut m.expires_in),
                "refresh_token" => Some(&mut m.refresh_token),
                "scope" => Some(&mut m.scope),
                "id_token" => Some(&mut m.id_token),
                "error" => Some(&mut m.error),
                "error_description" => Some(&mut m.error_description),
                "error_uri" => Some(&mut m.error_uri),
                _ => None,
            };
            match slot {
                Some(slot) => {
                    let raw = map.next_value::<&'de RawValue>()?;
                    if raw.get().starts_with(['{', '[']) {
                        serde_json::from_str::<StrictAny>(raw.get()).map_err(de::Error::custom)?;
                    }
                    *slot = Some(raw);
                }
                None => {
                    map.next_value::<StrictAny>()?;
                }
            }
            keys.insert(key)?;
        }
        Ok(m)
    }
}

/// A string member unescaped into a zeroized buffer; `None` for `null`.
fn string(
    member: &'static str,
    raw: &RawValue,
) -> Result<Option<Zeroizing<String>>, ResponseError> {
    let text = raw.get();
    if text == "null" {
        return Ok(None);
    }
    json::unescape_wiped(text).map(Some).ok_or_else(|| {
        ResponseProblem::InvalidMember {
            member,
            reason: "is not a string",
        }
        .into()
    })
}

fn optional_secret(
    member: &'static str,
    raw: Option<&RawValue>,
) -> Result<Option<Secret>, ResponseError> {
    match raw.map(|v| string(member, v)).transpose()?.flatten() {
        Some(s) if !s.is_empty() => token(member, s).map(Some),
        _ => Ok(None),
    }
}

/// Whether `s` is made of RFC 6749's VSCHAR (%x20-7E, Appendix A): the
/// characters every token (access, refresh, ID) is made of.
pub(crate) fn is_vschar(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// A token member as a [`Secret`], when it is made of VSCHAR only: a
/// newline, a control character or anything beyond ASCII in a token is a
/// malformed response, found before the token is printed, stored or used.
fn token(member: &'static str, text: Zeroizing<String>) -> Result<Secret, ResponseError> {
    if !is_vschar(&text) {
        return Err(ResponseProblem::InvalidMember {
            member,
            reason: "holds a character outside RFC 6749's VSCHAR (%x20-7E)",
        }
        .into());
    }
    Ok(Secret::from(text))
}

fn expires_in(raw: &RawValue) -> Result<Option<u64>, ResponseError> {
    let invalid = |reason| ResponseProblem::InvalidMember {
        member: "expires_in",
        reason,
    };
    let text = raw.get();
    if text == "null" {
        return Ok(None);
    }
    let seconds = if text.starts_with('"') {
        // A numeric string, a common quirk: digits only.
        let digits = json::unescape_wiped(text).ok_or(invalid("is not a number"))?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("is not a non-negative integer").into());
        }
        digits
            .parse::<u64>()
            .map_err(|_| invalid("is out of range"))?
    } else {
        let number: serde_json::Number =
            serde_json::from_str(text).map_err(|_| invalid("is not a number"))?;
        if let Some(v) = number.as_u64() {
            v
        } else if number.as_i64().is_some() {
            return Err(invalid("is negative").into());
        } else {
            // A float (or an integer beyond u64, which serde_json reads as one).
            match number.as_f64() {
                Some(f) if f < 0.0 => return Err(invalid("is negative").into()),
                Some(f) if f.fract() != 0.0 => return Err(invalid("is not an integer").into()),
                // The bound is below 2^53: exact as a float.
                #[allow(clippy::cast_precision_loss)]
                Some(f) if f.is_finite() && f <= MAX_EXPIRES_IN as f64 => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let v = f as u64; // integral and range-checked above
                    v
                }
                _ => return Err(invalid("is out of range").into()),
            }
        }
    };
    if seconds > MAX_EXPIRES_IN {
        return Err(invalid("is out of range").into());
    }
    Ok(Some(seconds))
}

fn scope(raw: &RawValue) -> Result<Option<String>, ResponseError> {
    let text = raw.get();
    if text.starts_with('[') {
        let items: Vec<String> = serde_json::from_str(text).map_err(|_| {
            ResponseError::new(ResponseProblem::InvalidMember {
                member: "scope",
                reason: "is not a string or an array of strings",
            })
        })?;
        return Ok(Some(items.join(" ")));
    }
    Ok(string("scope", raw)?.map(|s| s.as_str().to_owned()))
}

fn parse_error(
    error: &RawValue,
    description: Option<&RawValue>,
    uri: Option<&RawValue>,
    redactor: &Redactor,
) -> Result<ErrorResponse, ResponseError> {
    let code = match string("error", error)? {
        Some(code) if !code.is_empty() => ErrorCode::from_wire(&code, redactor),
        _ => {
            return Err(ResponseProblem::InvalidMember {
                member: "error",
                reason: "is not a non-empty string",
            }
            .into());
        }
    };
    // The description and uri are informative: a value of another type is
    // dropped rather than hiding the error code behind a parse failure.
    let text = |raw: Option<&RawValue>| {
        raw.and_then(|r| json::unescape_wiped(r.get()))
            .map(|s| redactor.clean(s.as_bytes(), 256))
            .filter(|s| !s.is_empty())
    };
    Ok(ErrorResponse {
        code,
        description: text(description),
        uri: text(uri),
    })
}

#[cfg(test)]
mod tests;
