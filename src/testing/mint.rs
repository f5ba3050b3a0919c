//! Minting tokens: HS256 (or, to misbehave, HS512) access tokens signed with
//! the client secret, and opaque refresh tokens.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Digest;
use zeroize::Zeroizing;

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

/// The MAC an access token is signed with.
#[derive(Clone, Copy)]
pub(super) enum Alg {
    Hs256,
    Hs512,
}

/// A compact JWT carrying `claims`, signed with `key`.
pub(super) fn access_token(claims: &AccessClaims<'_>, alg: Alg, key: &[u8]) -> Zeroizing<String> {
    let mut payload = Zeroizing::new(String::with_capacity(256));
    payload.push('{');
    json_member(&mut payload, "iss", claims.iss);
    payload.push(',');
    json_member(&mut payload, "sub", claims.sub);
    payload.push(',');
    json_member(&mut payload, "aud", claims.aud);
    let _ = write!(
        payload,
        r#","exp":{},"iat":{},"jti":"{}","#,
        claims.exp, claims.iat, claims.jti
    );
    json_member(&mut payload, "scope", claims.scope);
    payload.push('}');
    match alg {
        Alg::Hs256 => {
            sign::<hmac::Hmac<sha2::Sha256>>(r#"{"alg":"HS256","typ":"JWT"}"#, &payload, key)
        }
        Alg::Hs512 => {
            sign::<hmac::Hmac<sha2::Sha512>>(r#"{"alg":"HS512","typ":"JWT"}"#, &payload, key)
        }
    }
}

/// The `n`th opaque refresh token of a provider whose secret seed is `seed`.
pub(super) fn refresh_token(seed: &[u8; 32], n: u64) -> Zeroizing<String> {
    let mut h = sha2::Sha256::new();
    h.update(seed);
    h.update(n.to_be_bytes());
    let digest = h.finalize();
    let mut out = Zeroizing::new(String::with_capacity(43));
    URL_SAFE_NO_PAD.encode_string(digest, &mut out);
    out
}

pub(super) fn json_member(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "\"{name}\":\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn sign<M: Mac + KeyInit>(header: &str, payload: &str, key: &[u8]) -> Zeroizing<String> {
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
