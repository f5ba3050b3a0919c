//! JWT verification (RFC 7515, RFC 7519 §7.2, RFC 8725): HS256 by hand with
//! the client secret, and (feature `asymmetric`) RS/PS/ES/EdDSA with a
//! provider's public keys.
//!
//! [`verify`] is a pure function: a compact token, a key and a
//! [`Validation`] in, verified [`Claims`] or a [`JwtError`] naming the failed
//! check out. `KeySet::verify` (feature `asymmetric`) is its counterpart for
//! public keys — a JWKS, one JWK or PEM — with the same checks in the same
//! order and the same [`Claims`] out; between the header and the signature
//! it picks the key by the rules of `KeySet`'s documentation (the key decides
//! the algorithm; HS* and `none` are never accepted; `jku`, `x5u`, `jwk` and
//! `x5c` are never used). The order of the checks is part of the design;
//! each failure has its [`JwtError::kind`]:
//!
//! | rule, in the order checked | error kind |
//! | --- | --- |
//! | the key is not empty (HMAC would accept it, and anyone could forge) | `empty_key` |
//! | token at most 16 KiB ([`Validation::max_token_size`]), checked before any decoding | `too_large` |
//! | exactly three non-empty `.`-separated segments | `malformed` |
//! | each segment strict base64url: no `=`, `+`, `/`, whitespace, non-canonical trailing bits | `base64` |
//! | header is a JSON object; no duplicate member; no `crit`; `typ` absent (or `null`) or `JWT`/`at+jwt` (any case); `alg` present and a string | `header` |
//! | `alg` exactly `"HS256"` (`none` refused in every spelling) | `algorithm` |
//! | HMAC-SHA256 over the received `header.payload` bytes, constant-time compare, **before the payload is parsed** at all (it is only base64-decoded, as strictly as the other segments) | `signature` |
//! | payload is UTF-8, a JSON object, no duplicate member name at any depth | `payload` |
//! | `iss`/`sub`/`jti` strings, `aud` a string or an array of strings, `exp`/`nbf`/`iat` NumericDates (an integer or finite number in 0..=9999-12-31; a string, bool, null or out-of-range value is an error, never "absent") | `invalid_claim` |
//! | `exp` present (default; switchable), other required claims present | `missing_claim` |
//! | `now < exp + leeway` (leeway 60 s by default) | `expired` |
//! | `nbf <= now + leeway` | `not_yet_valid` |
//! | `iat <= now + leeway` | `issued_in_future` |
//! | `iss` equal to the expected issuer, when one is set | `issuer` |
//! | `aud` contains the expected audience, when one is set | `audience` |
//!
//! Duplicate member names are rejected rather than resolved: two parsers
//! that resolve them differently are an attack surface. When no audience is
//! expected, `aud` is not checked (RFC 7519 §4.1.3 would reject a token
//! whose `aud` does not name the recipient; set [`Validation::audience`] to
//! get that).
//!
//! ```
//! use base64::Engine as _;
//! use hmac::{KeyInit, Mac};
//! use ropc::jwt::{self, Validation};
//!
//! // A token signed with the key "secret" (normally the provider makes it).
//! let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
//! let signing_input = format!(
//!     "{}.{}",
//!     b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
//!     b64.encode(r#"{"sub":"alice","exp":2000000000,"scope":"openid"}"#),
//! );
//! let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
//! mac.update(signing_input.as_bytes());
//! let token = format!("{signing_input}.{}", b64.encode(mac.finalize().into_bytes()));
//!
//! let validation = Validation::default().at(1_900_000_000); // a fixed clock
//! let claims = jwt::verify(&token, b"secret", &validation)?;
//! assert_eq!(claims.sub(), Some("alice"));
//! assert_eq!(claims.exp(), Some(2_000_000_000));
//! assert_eq!(claims.get("scope"), Some(serde_json::json!("openid")));
//!
//! // One flipped byte and the token is refused, naming the check.
//! let mut forged = token.clone().into_bytes();
//! let last = forged.len() - 1;
//! forged[last] = if forged[last] == b'A' { b'Q' } else { b'A' };
//! let err = jwt::verify(std::str::from_utf8(&forged).unwrap(), b"secret", &validation);
//! assert!(err.is_err());
//! # Ok::<(), ropc::jwt::JwtError>(())
//! ```

#[cfg(feature = "asymmetric")]
mod asymmetric;
mod claims;
#[cfg(feature = "asymmetric")]
mod der;
mod error;
mod header;
#[cfg(feature = "asymmetric")]
mod jwk;
#[cfg(feature = "asymmetric")]
mod keys;
#[cfg(feature = "asymmetric")]
mod material;
mod payload;
mod validation;

pub use crate::clock::Clock;
pub use claims::Claims;
pub use error::{JwtError, Segment};
#[cfg(feature = "asymmetric")]
#[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
pub use keys::{IgnoredKey, KeySet, KeySetError, MAX_KEYS};
pub use validation::{RegisteredClaim, Validation};

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use zeroize::Zeroizing;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The default cap on the size of a compact token: 16 KiB.
pub const DEFAULT_MAX_TOKEN_SIZE: usize = 16 * 1024;

/// The default clock leeway: 60 seconds.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

/// The largest NumericDate accepted: 9999-12-31T23:59:59Z.
pub const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// Acceptable headers as providers send them, base64url-encoded: a token
/// whose first segment is one of these skips decoding and reading it.
/// (Strict base64url maps each header to exactly one text; a test checks
/// each decodes to a header [`header::check_hs256`] accepts.)
const COMMON_HEADERS: [&str; 5] = [
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", // {"alg":"HS256","typ":"JWT"}
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9", // {"typ":"JWT","alg":"HS256"}
    "eyJhbGciOiJIUzI1NiJ9",                 // {"alg":"HS256"}
    "eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCJ9", // {"alg":"HS256","typ":"at+jwt"}
    "eyJ0eXAiOiJhdCtqd3QiLCJhbGciOiJIUzI1NiJ9", // {"typ":"at+jwt","alg":"HS256"}
];

/// The largest decoded header kept on the stack; larger ones are allocated.
const STACK_HEADER: usize = 512;

/// Verifies an HS256 compact JWT with `key` and returns its claims.
///
/// See the [module documentation](self) for the checks and their order.
///
/// ```
/// use ropc::jwt::{verify, Validation};
///
/// // RFC 7515 Appendix A.1: an HS256 JWS, its key, and a clock before its `exp`.
/// let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
///     .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
///     .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// use base64::Engine as _;
/// let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(
///     "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
/// ).unwrap();
/// let claims = verify(token, &key, &Validation::default().issuer("joe").at(1_300_819_000))?;
/// assert_eq!(claims.iss(), Some("joe"));
/// // Another key, or today's clock: refused, naming the check.
/// assert_eq!(verify(token, b"other key", &Validation::default()).unwrap_err().kind(), "signature");
/// assert_eq!(verify(token, &key, &Validation::default()).unwrap_err().kind(), "expired");
/// # Ok::<(), ropc::JwtError>(())
/// ```
///
/// # Errors
///
/// A [`JwtError`] naming the first check that failed.
pub fn verify(token: &str, key: &[u8], validation: &Validation) -> Result<Claims, JwtError> {
    if key.is_empty() {
        // HMAC accepts an empty key, and then anyone can mint tokens.
        return Err(JwtError::EmptyKey);
    }
    if token.len() > validation.max_token_size {
        return Err(JwtError::TooLarge {
            size: token.len(),
            max: validation.max_token_size,
        });
    }
    let (header_b64, payload_b64, signature_b64) = split(token)?;
    verify_segments(
        token,
        [header_b64, payload_b64, signature_b64],
        key,
        validation,
    )
    .map_err(|e| {
        // A token with more segments fails somewhere after `split`, which
        // looked only at the first and the last `.`: it is reported for
        // what it is first.
        if payload_b64.contains('.') {
            JwtError::Malformed(THREE_SEGMENTS)
        } else {
            e
        }
    })
}

fn verify_segments(
    token: &str,
    [header_b64, payload_b64, signature_b64]: [&str; 3],
    key: &[u8],
    validation: &Validation,
) -> Result<Claims, JwtError> {
    // Header: small, not secret. The usual ones are known by their text; any
    // other is decoded, on the stack when it fits, and read.
    if !COMMON_HEADERS.contains(&header_b64) {
        let mut stack = [0u8; STACK_HEADER];
        let mut heap = Vec::new();
        let len = decoded_len(header_b64.len());
        let buf: &mut [u8] = if len <= STACK_HEADER {
            &mut stack[..len]
        } else {
            heap.resize(len, 0);
            &mut heap
        };
        let n = URL_SAFE_NO_PAD
            .decode_slice(header_b64, buf)
            .map_err(|_| JwtError::Base64 {
                segment: Segment::Header,
            })?;
        header::check_hs256(&buf[..n])?;
    }

    // The tag: 32 bytes of strict base64url.
    let mut tag = [0u8; 32];
    if decoded_len(signature_b64.len()) != tag.len() {
        // Well-formed base64url of another length is a tag that cannot
        // match; anything else is malformed.
        return Err(match URL_SAFE_NO_PAD.decode(signature_b64) {
            Ok(_) => JwtError::Signature,
            Err(_) => JwtError::Base64 {
                segment: Segment::Signature,
            },
        });
    }
    URL_SAFE_NO_PAD
        .decode_slice(signature_b64, &mut tag)
        .map_err(|_| JwtError::Base64 {
            segment: Segment::Signature,
        })?;

    // Payload: decoded (as strictly) into a zeroized buffer, but not looked
    // at until the signature holds.
    let mut payload = Zeroizing::new(vec![0u8; decoded_len(payload_b64.len())]);
    let n = URL_SAFE_NO_PAD
        .decode_slice(payload_b64, &mut payload)
        .map_err(|_| JwtError::Base64 {
            segment: Segment::Payload,
        })?;
    payload.truncate(n);

    // The tag over the bytes as received, compared in constant time.
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| JwtError::Signature)?;
    mac.update(&token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()]);
    mac.verify_slice(&tag).map_err(|_| JwtError::Signature)?;

    let claims = payload::parse(payload)?;
    validation.check(&claims)?;
    Ok(claims)
}

const THREE_SEGMENTS: &str = "expected three `.`-separated segments";

/// The three segments, found from the ends: the header ends at the first
/// `.`, the signature starts after the last one. A `.` in between is found
/// by the payload's base64 decoding (and then reported by [`verify`] as a
/// malformed token), so the long payload is not scanned twice.
fn split(token: &str) -> Result<(&str, &str, &str), JwtError> {
    let (Some(first), Some(last)) = (token.find('.'), token.rfind('.')) else {
        return Err(JwtError::Malformed(THREE_SEGMENTS));
    };
    if first == last {
        return Err(JwtError::Malformed(THREE_SEGMENTS));
    }
    let (h, p, s) = (&token[..first], &token[first + 1..last], &token[last + 1..]);
    if h.is_empty() || p.is_empty() || s.is_empty() {
        // The segment count is the first rule.
        return Err(JwtError::Malformed(if p.contains('.') {
            THREE_SEGMENTS
        } else {
            "empty segment"
        }));
    }
    Ok((h, p, s))
}

/// The number of bytes `len` characters of unpadded base64 stand for (an
/// impossible length, `len % 4 == 1`, is left to the decoder to refuse).
fn decoded_len(len: usize) -> usize {
    len / 4 * 3 + [0, 0, 1, 2][len % 4]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_headers_are_acceptable_headers() {
        for text in COMMON_HEADERS {
            let header = URL_SAFE_NO_PAD.decode(text).unwrap();
            assert_eq!(header::check_hs256(&header), Ok(()), "{text}");
        }
    }

    #[test]
    fn decoded_len_is_exact_for_unpadded_base64() {
        for n in 0..100usize {
            let text = URL_SAFE_NO_PAD.encode(vec![7u8; n]);
            assert_eq!(decoded_len(text.len()), n);
        }
    }

    #[test]
    fn base64url_decoding_rejects_non_canonical_trailing_bits() {
        // "QQ" is "A"; "QR" carries a set bit after the 8 data bits: the
        // same byte, but not the one canonical spelling of it.
        assert_eq!(URL_SAFE_NO_PAD.decode("QQ").unwrap(), b"A");
        assert!(URL_SAFE_NO_PAD.decode("QR").is_err());
        assert!(URL_SAFE_NO_PAD.decode("QUI").is_ok());
        assert!(URL_SAFE_NO_PAD.decode("QUJ").is_err());
        // Padding, the standard alphabet and whitespace are refused too.
        for bad in ["QQ==", "a+b/", "QU I", "QUI\n"] {
            assert!(URL_SAFE_NO_PAD.decode(bad).is_err(), "{bad}");
        }
    }
}
