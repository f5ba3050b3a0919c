//! `ropc::jwt::KeySet`: JWK / JWKS / PEM reading and `KeySet::verify`.
//!
//! Input: byte 0 = mode, then the rest.
//! * mode even (raw): the rest is `key set bytes 0x00 token text`; the key
//!   set is read by `KeySet::parse` and each specific reader, and the token
//!   verified against it;
//! * mode odd (fixed tokens): the rest is the key set; tokens signed once
//!   here (RS256 and PS256 with the committed RSA test key, EdDSA with a
//!   fixed Ed25519 key, with and without `kid`) are verified against it.
//!
//! Checked: never panics; whatever the set, an HS256/HS384/HS512 token
//! MACed with the key set's own bytes (the "public key as HMAC secret"
//! attack), with and without each `kid` of the set, is refused as
//! `algorithm`, and so is `alg: none`; a token whose payload was swapped
//! under a valid signature is never accepted; an accepted token's header
//! names an algorithm a key set verifies, and it verifies again to the same
//! claims; `parse` agrees with the reader its sniffing rule picks; the set's
//! counts stay within the cap.
#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use ring::signature::{self as sig, KeyPair as _};
use ropc::jwt::{KeySet, MAX_KEYS, Validation};
use ropc_fuzz::{NOW, b64, check_claims, sign};

const ACCEPTABLE: [&str; 10] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA", "Ed25519",
];

/// The committed RSA test key (tests/vectors/rsa2048-test-key.pk8).
const RSA_PKCS8: &[u8] = include_bytes!("../../tests/vectors/rsa2048-test-key.pk8");
/// The fixed Ed25519 key's seed (fuzz/corpus/jwt_keys/ holds its public key).
const ED25519_SEED: [u8; 32] = [7; 32];

fn payload() -> String {
    format!(r#"{{"sub":"fuzz","exp":{}}}"#, NOW + 3600)
}

/// Valid tokens, signed once: (token, alg).
static FIXED: LazyLock<Vec<(String, &'static str)>> = LazyLock::new(|| {
    let rng = ring::rand::SystemRandom::new();
    let rsa = sig::RsaKeyPair::from_pkcs8(RSA_PKCS8).expect("the RSA test key");
    let ed = sig::Ed25519KeyPair::from_seed_unchecked(&ED25519_SEED).expect("a seed");
    let _ = ed.public_key();
    let mut out = Vec::new();
    for kid in [None, Some("rsa"), Some("ed"), Some("other")] {
        for alg in ["RS256", "PS256", "EdDSA"] {
            let header = match kid {
                Some(k) => format!(r#"{{"alg":"{alg}","kid":"{k}"}}"#),
                None => format!(r#"{{"alg":"{alg}"}}"#),
            };
            let input = format!("{}.{}", b64(&header), b64(payload()));
            let signature = if alg == "EdDSA" {
                ed.sign(input.as_bytes()).as_ref().to_vec()
            } else {
                let padding: &dyn sig::RsaEncoding = if alg == "RS256" {
                    &sig::RSA_PKCS1_SHA256
                } else {
                    &sig::RSA_PSS_SHA256
                };
                let mut s = vec![0; rsa.public().modulus_len()];
                rsa.sign(padding, &rng, input.as_bytes(), &mut s).expect("signs");
                s
            };
            out.push((format!("{input}.{}", b64(signature)), alg));
        }
    }
    out
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let validation = Validation::default().at(NOW);
    if mode & 1 == 0 {
        let (keys, token) = match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &b""[..]),
        };
        let Some(set) = read(keys) else {
            return;
        };
        let token = String::from_utf8_lossy(token);
        if let Ok(claims) = set.verify(&token, &validation) {
            accepted(&set, &token, &claims, &validation);
        }
        never_hmac(&set, keys, &validation);
    } else {
        let Some(set) = read(rest) else {
            return;
        };
        for (token, alg) in FIXED.iter() {
            if let Ok(claims) = set.verify(token, &validation) {
                accepted(&set, token, &claims, &validation);
                assert_eq!(claims.sub(), Some("fuzz"), "{alg}");
            }
            // The same signature over another payload never holds.
            let (h, rest) = token.split_once('.').expect("three segments");
            let (_, s) = rest.split_once('.').expect("three segments");
            let other = b64(format!(r#"{{"sub":"root","exp":{}}}"#, NOW + 3600));
            assert!(
                set.verify(&format!("{h}.{other}.{s}"), &validation).is_err(),
                "{alg}: a swapped payload was accepted"
            );
        }
        never_hmac(&set, rest, &validation);
    }
});

/// Reads a key set every way; checks `parse` picks the reader its rule says.
fn read(bytes: &[u8]) -> Option<KeySet> {
    let jwks = KeySet::from_jwks(bytes);
    let jwk = KeySet::from_jwk(bytes);
    let pem = KeySet::from_pem(bytes);
    let parsed = KeySet::parse(bytes);
    for r in [&jwks, &jwk, &pem, &parsed] {
        match r {
            Ok(set) => {
                assert!(set.len() + set.ignored().len() <= MAX_KEYS);
                assert_eq!(set.kids().count(), set.len());
                assert_eq!(set.is_empty(), set.len() == 0);
                let _ = format!("{set:?}");
                for i in set.ignored() {
                    assert!(!i.reason().is_empty());
                }
            }
            Err(e) => {
                let _ = (e.kind(), e.to_string());
            }
        }
    }
    // The sniffing rule: BOM and JSON whitespace, then `{` or `-----BEGIN`.
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let json_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let body = &body[body.iter().position(|b| !json_space(b)).unwrap_or(body.len())..];
    let summary = |r: &Result<KeySet, ropc::jwt::KeySetError>| {
        r.as_ref()
            .map(|s| (s.len(), s.ignored().to_vec()))
            .map_err(Clone::clone)
    };
    if body.starts_with(b"-----BEGIN") {
        assert_eq!(summary(&parsed), summary(&KeySet::from_pem(body)));
    } else if body.starts_with(b"{") {
        // A JWKS when it has a `keys` member (then from_jwks agrees),
        // otherwise one JWK.
        match (&jwks, &parsed) {
            (Ok(_), _) => assert_eq!(summary(&parsed), summary(&jwks)),
            (Err(ropc::jwt::KeySetError::NoKeys), _) => {}
            (Err(e), Err(p)) => assert_eq!(e, p),
            (Err(e), Ok(_)) => panic!("parse accepted what from_jwks refused: {e}"),
        }
    } else {
        assert_eq!(
            parsed.as_ref().map(|_| ()).unwrap_err(),
            &ropc::jwt::KeySetError::UnknownFormat
        );
    }
    parsed.ok()
}

/// What an accepted token must satisfy.
fn accepted(set: &KeySet, token: &str, claims: &ropc::jwt::Claims, validation: &Validation) {
    let header = token.split('.').next().expect("a header");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("strict base64url"))
            .expect("a JSON header");
    let alg = header["alg"].as_str().expect("a string alg");
    assert!(ACCEPTABLE.contains(&alg), "accepted alg {alg:?}");
    let value = check_claims(claims);
    let again = set.verify(token, validation).expect("accepted once, accepted again");
    assert_eq!(again.to_value(), value);
}

/// HS* MACed with the set's own bytes (and `none`) are always refused.
fn never_hmac(set: &KeySet, secret: &[u8], validation: &Validation) {
    if secret.is_empty() {
        return;
    }
    let mut kids: Vec<Option<&str>> = set.kids().collect();
    kids.extend(set.ignored().iter().map(|i| i.kid()));
    kids.push(None);
    kids.truncate(8);
    for kid in kids {
        for alg in ["HS256", "HS384", "HS512", "none"] {
            let mut header = serde_json::json!({ "alg": alg });
            if let Some(kid) = kid {
                header["kid"] = kid.into();
            }
            let token = sign(header.to_string().as_bytes(), payload().as_bytes(), secret);
            let err = set.verify(&token, validation).expect_err("HMAC with a key set");
            assert_eq!(err.kind(), "algorithm", "{alg} kid {kid:?}: {err}");
        }
    }
}
