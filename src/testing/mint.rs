//! Minting tokens: HS256 (or, to misbehave, HS512) access tokens signed with
//! the client secret, and opaque refresh tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::json;
use sha2::Digest;
use zeroize::Zeroizing;

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

/// The MAC an access token is signed with.
#[derive(Clone, Copy)]
pub(super) enum Alg {
    Hs256,
    Hs512,
}

/// A compact JWT carrying `claims`, signed with `key`.
pub(super) fn access_token(claims: &AccessClaims<'_>, alg: Alg, key: &[u8]) -> Zeroizing<String> {
    let payload = to_json(claims);
    match alg {
        Alg::Hs256 => sign::<hmac::Hmac<sha2::Sha256>>("HS256", &payload, key),
        Alg::Hs512 => sign::<hmac::Hmac<sha2::Sha512>>("HS512", &payload, key),
    }
}

/// The `n`th opaque refresh token of a provider whose secret seed is `seed`.
pub(super) fn refresh_token(seed: &[u8; 32], n: u64) -> Secret {
    let mut h = sha2::Sha256::new();
    h.update(seed);
    h.update(n.to_be_bytes());
    let digest = h.finalize();
    let mut out = Zeroizing::new(String::with_capacity(43));
    URL_SAFE_NO_PAD.encode_string(digest, &mut out);
    Secret::from(out)
}

/// `header.payload.signature`, the header naming `alg`.
fn sign<M: Mac + KeyInit>(alg: &str, payload: &[u8], key: &[u8]) -> Zeroizing<String> {
    let header = json!({ "alg": alg, "typ": "JWT" }).to_string();
    let len = header.len().div_ceil(3) * 4 + payload.len().div_ceil(3) * 4 + 2 + 88;
    let mut out = Zeroizing::new(String::with_capacity(len));
    URL_SAFE_NO_PAD.encode_string(header, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return out;
    };
    mac.update(out.as_bytes());
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut out);
    out
}
