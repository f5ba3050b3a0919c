//! Helpers shared by the integration tests: token signing by hand.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hs256(signing_input: &str, key: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    b64(mac.finalize().into_bytes())
}

/// A compact JWT with exactly this header and payload JSON text, signed with `key`.
pub fn sign(header: &str, payload: &str, key: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = hs256(&input, key);
    format!("{input}.{sig}")
}

pub const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
pub const NOW: i64 = 1_700_000_000;
pub const KEY: &[u8] = b"test-key-0123456789";

/// A token with the standard header and `payload`, signed with `KEY`.
pub fn token(payload: &str) -> String {
    sign(HEADER, payload, KEY)
}
