//! Minting tokens: JWTs (access and id tokens) signed HS256 with the client
//! secret, with one of the provider's own keys, or (to misbehave) otherwise;
//! opaque access and refresh tokens, plain or awkward.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use sha2::Digest;
use zeroize::Zeroizing;

#[cfg(feature = "asymmetric")]
use super::key_pair::Key;
use super::to_json;
use crate::secret::Secret;

/// The claims of an access token.
pub(super) struct AccessClaims<'a> {
    pub(super) iss: &'a str,
    pub(super) sub: &'a str,
    pub(super) aud: &'a str,
    pub(super) exp: i64,
    pub(super) iat: i64,
    /// Sent as a string, as providers do.
    pub(super) jti: u64,
    pub(super) scope: &'a str,
}

impl Serialize for AccessClaims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut claims = serializer.serialize_struct("AccessClaims", 7)?;
        claims.serialize_field("iss", self.iss)?;
        claims.serialize_field("sub", self.sub)?;
        claims.serialize_field("aud", self.aud)?;
        claims.serialize_field("exp", &self.exp)?;
        claims.serialize_field("iat", &self.iat)?;
        claims.serialize_field("jti", &self.jti.to_string())?;
        claims.serialize_field("scope", self.scope)?;
        claims.end()
    }
}

/// The claims of an id token (OpenID Connect Core §2): those of the access
/// token it comes with, but for `jti` and `scope`.
pub(super) struct IdClaims<'a>(pub(super) &'a AccessClaims<'a>);

impl Serialize for IdClaims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut claims = serializer.serialize_struct("IdClaims", 5)?;
        claims.serialize_field("iss", self.0.iss)?;
        claims.serialize_field("sub", self.0.sub)?;
        claims.serialize_field("aud", self.0.aud)?;
        claims.serialize_field("exp", &self.0.exp)?;
        claims.serialize_field("iat", &self.0.iat)?;
        claims.end()
    }
}

/// The MAC an HMAC-signed token is signed with.
#[derive(Clone, Copy)]
pub(super) enum Alg {
    Hs256,
    Hs512,
}

/// How a JWT is signed.
pub(super) enum Signer<'a> {
    /// HMAC with a secret (normally the client secret); a `kid` in the
    /// header when given.
    Hmac {
        alg: Alg,
        key: &'a [u8],
        kid: Option<&'a str>,
    },
    /// One of the provider's key pairs, the header naming `kid` (the key's
    /// own, or another to misbehave).
    #[cfg(feature = "asymmetric")]
    Key { key: &'a Key, kid: &'a str },
}

/// The longest signature, base64url-encoded: RSA 2048 (256 bytes).
const MAX_SIGNATURE_B64: usize = 342;

/// A compact JWT carrying `claims`: `header.payload.signature`, the header
/// `{"alg":…,"typ":"JWT"}` with the `kid` after them when there is one.
pub(super) fn jwt(claims: &impl Serialize, signer: &Signer<'_>) -> Zeroizing<String> {
    let (alg, kid) = match signer {
        Signer::Hmac {
            alg: Alg::Hs256,
            kid,
            ..
        } => ("HS256", *kid),
        Signer::Hmac {
            alg: Alg::Hs512,
            kid,
            ..
        } => ("HS512", *kid),
        #[cfg(feature = "asymmetric")]
        Signer::Key { key, kid } => (key.signing.alg(), Some(*kid)),
    };
    let header = match kid {
        Some(kid) => format!(
            r#"{{"alg":"{alg}","typ":"JWT","kid":{}}}"#,
            serde_json::Value::from(kid)
        ),
        None => format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#),
    };
    let payload = to_json(claims);
    let len = header.len().div_ceil(3) * 4 + payload.len().div_ceil(3) * 4 + 2 + MAX_SIGNATURE_B64;
    // Sized once, so that no reallocation leaves a copy of the token behind.
    let mut out = Zeroizing::new(String::with_capacity(len));
    URL_SAFE_NO_PAD.encode_string(header, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(&*payload, &mut out);
    let signature = match signer {
        Signer::Hmac {
            alg: Alg::Hs256,
            key,
            ..
        } => mac::<hmac::Hmac<sha2::Sha256>>(key, out.as_bytes()),
        Signer::Hmac {
            alg: Alg::Hs512,
            key,
            ..
        } => mac::<hmac::Hmac<sha2::Sha512>>(key, out.as_bytes()),
        #[cfg(feature = "asymmetric")]
        Signer::Key { key, .. } => key.sign(out.as_bytes()),
    };
    // Were signing ever to fail, the token would have no signature, which
    // any verifier refuses.
    out.push('.');
    if let Some(signature) = signature {
        URL_SAFE_NO_PAD.encode_string(signature, &mut out);
    }
    out
}

/// The HMAC of `message` under `key`.
fn mac<M: Mac + KeyInit>(key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    let mut mac = <M as KeyInit>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().to_vec())
}

/// The `n`th opaque refresh token of a provider whose secret seed is `seed`:
/// 43 base64url characters, or with `awkward` an [`awkward`] token.
pub(super) fn refresh_token(seed: &[u8; 32], n: u64, awkward: bool) -> Secret {
    let digest = digest(seed, b"", n);
    if awkward {
        return self::awkward(&digest, true);
    }
    let mut out = Zeroizing::new(String::with_capacity(43));
    URL_SAFE_NO_PAD.encode_string(digest, &mut out);
    Secret::from(out)
}

/// The `n`th opaque access token: 22 base64url characters (like RFC 6749's
/// `2YotnFZFEjr1zCsicMWpAA`), or with `awkward` an [`awkward`] token
/// without the spaces at its ends (an `Authorization` header cannot carry
/// them: RFC 9110 §5.5 trims a field value).
pub(super) fn opaque_access_token(seed: &[u8; 32], n: u64, awkward: bool) -> Secret {
    let digest = digest(seed, b"opaque access token", n);
    if awkward {
        return self::awkward(&digest, false);
    }
    let mut out = Zeroizing::new(String::with_capacity(22));
    URL_SAFE_NO_PAD.encode_string(&digest[..16], &mut out);
    Secret::from(out)
}

/// What every awkward token holds in its middle: a double space and the
/// characters clients mangle — quotes, a backslash, form and URL syntax,
/// a `%2B` that decoded twice turns into `+`.
pub(super) const AWKWARD: &str = "  \"\\%2B+=&#':;, ";

/// A token of RFC 6749 VSCHARs (`%x20-7E`) a client's form encoding, JSON,
/// store and command line must keep exactly: 16 printable characters drawn
/// from `digest`, [`AWKWARD`], 16 more, and with `edges` a space at each end.
fn awkward(digest: &[u8; 32], edges: bool) -> Secret {
    // From `!` to `~`: every VSCHAR but the space, which is placed by hand.
    let printable = |b: &u8| char::from(b'!' + b % 94);
    let mut out = Zeroizing::new(String::with_capacity(32 + AWKWARD.len() + 2));
    if edges {
        out.push(' ');
    }
    out.extend(digest[..16].iter().map(printable));
    out.push_str(AWKWARD);
    out.extend(digest[16..].iter().map(printable));
    if edges {
        out.push(' ');
    }
    Secret::from(out)
}

/// SHA-256 of the seed, a label and `n`: the `n`th token of that kind.
fn digest(seed: &[u8; 32], label: &[u8], n: u64) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(seed);
    h.update(label);
    h.update(n.to_be_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_refresh_tokens_are_what_they_were() {
        // seed 0, token 1: the refresh tokens a seeded provider issued
        // before awkward tokens existed are issued still.
        let mut h = sha2::Sha256::new();
        h.update([0u8; 32]);
        h.update(1u64.to_be_bytes());
        let expected = URL_SAFE_NO_PAD.encode(h.finalize());
        assert_eq!(refresh_token(&[0; 32], 1, false).expose_secret(), expected);
    }

    #[test]
    fn awkward_tokens_are_vschars_with_the_awkward_ones() {
        for n in 0..200 {
            let refresh = refresh_token(&[7; 32], n, true);
            let access = opaque_access_token(&[7; 32], n, true);
            for token in [refresh.expose_secret(), access.expose_secret()] {
                assert!(token.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{token}");
                assert!(token.contains(AWKWARD));
            }
            let refresh = refresh.expose_secret();
            assert!(refresh.starts_with(' ') && refresh.ends_with(' '));
            let access = access.expose_secret();
            assert_eq!(access.trim(), access);
        }
    }

    #[test]
    fn opaque_access_tokens_are_not_jwts() {
        let token = opaque_access_token(&[3; 32], 1, false);
        assert_eq!(token.len(), 22);
        assert!(!token.expose_secret().contains('.'));
        assert_ne!(token, opaque_access_token(&[3; 32], 2, false));
    }
}
