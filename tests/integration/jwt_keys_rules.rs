//! One test per rule of `ropc::jwt::KeySet` (DESIGN.md, "Tokens from any
//! provider"), named after the rule. Tokens are signed here with ring (keys
//! it generates, and the committed RSA test key
//! `tests/vectors/rsa2048-test-key.pk8`); the JWKs and SPKI PEM are written
//! here too.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{KeyInit, Mac};
use ring::rand::SystemRandom;
use ring::signature::{self as sig, KeyPair as _};
use ropc::jwt::{self, JwtError, KeySet, KeySetError, Validation};
use serde_json::json;
use std::sync::LazyLock;

const NOW: i64 = 1_700_000_000;

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn at_now() -> Validation {
    Validation::default().at(NOW)
}

fn payload() -> String {
    format!(r#"{{"sub":"alice","exp":{}}}"#, NOW + 3600)
}

// ---------------------------------------------------------------------------
// Keys: each signs for its algorithms and writes itself as JWK and SPKI PEM.

enum Private {
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair, bool),
    Ed(sig::Ed25519KeyPair),
}

struct Key {
    private: Private,
}

impl Key {
    fn rsa() -> Key {
        let pk8 = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/rsa2048-test-key.pk8"
        ))
        .unwrap();
        Key {
            private: Private::Rsa(sig::RsaKeyPair::from_pkcs8(&pk8).unwrap()),
        }
    }

    fn ec(p384: bool) -> Key {
        let rng = SystemRandom::new();
        let alg = if p384 {
            &sig::ECDSA_P384_SHA384_FIXED_SIGNING
        } else {
            &sig::ECDSA_P256_SHA256_FIXED_SIGNING
        };
        let pk8 = sig::EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        Key {
            private: Private::Ec(
                sig::EcdsaKeyPair::from_pkcs8(alg, pk8.as_ref(), &rng).unwrap(),
                p384,
            ),
        }
    }

    fn ed() -> Key {
        let pk8 = sig::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Key {
            private: Private::Ed(sig::Ed25519KeyPair::from_pkcs8(pk8.as_ref()).unwrap()),
        }
    }

    /// The signature over `data` for `alg`; `der` for ECDSA in ASN.1 form.
    fn sign_as(&self, alg: &str, data: &[u8], der: bool) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.private {
            Private::Rsa(k) => {
                let padding: &dyn sig::RsaEncoding = match alg {
                    "RS256" => &sig::RSA_PKCS1_SHA256,
                    "RS384" => &sig::RSA_PKCS1_SHA384,
                    "RS512" => &sig::RSA_PKCS1_SHA512,
                    "PS256" => &sig::RSA_PSS_SHA256,
                    "PS384" => &sig::RSA_PSS_SHA384,
                    _ => &sig::RSA_PSS_SHA512,
                };
                let mut out = vec![0; k.public().modulus_len()];
                k.sign(padding, &rng, data, &mut out).unwrap();
                out
            }
            Private::Ec(k, _) if der => {
                // The r || s signature re-encoded as ASN.1 DER
                // (SEQUENCE { INTEGER r, INTEGER s }), as non-JWS code signs.
                let fixed = k.sign(&rng, data).unwrap();
                let half = fixed.as_ref().len() / 2;
                let (r, s) = fixed.as_ref().split_at(half);
                let int = |x: &[u8]| {
                    let x = &x[x.iter().position(|&b| b != 0).unwrap()..];
                    let mut v = if x[0] >= 0x80 { vec![0] } else { vec![] };
                    v.extend_from_slice(x);
                    tlv(0x02, &v)
                };
                let mut body = int(r);
                body.extend(int(s));
                tlv(0x30, &body)
            }
            Private::Ec(k, _) => k.sign(&rng, data).unwrap().as_ref().to_vec(),
            Private::Ed(k) => k.sign(data).as_ref().to_vec(),
        }
    }

    fn default_alg(&self) -> &'static str {
        match &self.private {
            Private::Rsa(_) => "RS256",
            Private::Ec(_, false) => "ES256",
            Private::Ec(_, true) => "ES384",
            Private::Ed(_) => "EdDSA",
        }
    }

    /// The public JWK's members (no `kid`, no `alg`).
    fn jwk(&self) -> serde_json::Value {
        match &self.private {
            Private::Rsa(k) => {
                let c = sig::RsaPublicKeyComponents::<Vec<u8>>::from(k.public());
                json!({"kty": "RSA", "n": b64(&c.n), "e": b64(&c.e)})
            }
            Private::Ec(k, p384) => {
                let point = k.public_key().as_ref();
                let size = (point.len() - 1) / 2;
                json!({"kty": "EC", "crv": if *p384 { "P-384" } else { "P-256" },
                       "x": b64(&point[1..=size]), "y": b64(&point[1 + size..])})
            }
            Private::Ed(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.public_key().as_ref())})
            }
        }
    }

    fn jwk_with(&self, extra: serde_json::Value) -> serde_json::Value {
        let mut v = self.jwk();
        for (name, value) in extra.as_object().unwrap() {
            v[name] = value.clone();
        }
        v
    }

    /// The SubjectPublicKeyInfo, DER.
    fn spki(&self) -> Vec<u8> {
        let (algorithm, key) = match &self.private {
            Private::Rsa(k) => {
                let mut alg = tlv(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                );
                alg.extend(tlv(0x05, &[]));
                (alg, k.public().as_ref().to_vec())
            }
            Private::Ec(k, p384) => {
                let mut alg = tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
                alg.extend(if *p384 {
                    tlv(0x06, &[0x2b, 0x81, 0x04, 0x00, 0x22])
                } else {
                    tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07])
                });
                (alg, k.public_key().as_ref().to_vec())
            }
            Private::Ed(k) => (
                tlv(0x06, &[0x2b, 0x65, 0x70]),
                k.public_key().as_ref().to_vec(),
            ),
        };
        let mut bits = vec![0];
        bits.extend(key);
        let mut body = tlv(0x30, &algorithm);
        body.extend(tlv(0x03, &bits));
        tlv(0x30, &body)
    }

    fn pem(&self) -> String {
        pem("PUBLIC KEY", &self.spki())
    }
}

fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(contents);
    out
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

static RSA: LazyLock<Key> = LazyLock::new(Key::rsa);
static P256: LazyLock<Key> = LazyLock::new(|| Key::ec(false));
static P384: LazyLock<Key> = LazyLock::new(|| Key::ec(true));
static ED: LazyLock<Key> = LazyLock::new(Key::ed);
/// The attacker's keys.
static EVIL_P256: LazyLock<Key> = LazyLock::new(|| Key::ec(false));
static EVIL_ED: LazyLock<Key> = LazyLock::new(Key::ed);

/// A compact JWS over `header` and `payload`, signed by `key` as `alg`.
fn token_signed(key: &Key, alg: &str, header: &serde_json::Value, payload: &str) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(payload));
    format!("{input}.{}", b64(key.sign_as(alg, input.as_bytes(), false)))
}

/// A token with `alg` (and the header members in `extra`), signed by `key`.
fn token(key: &Key, alg: &str, extra: serde_json::Value) -> String {
    let mut header = json!({"alg": alg, "typ": "JWT"});
    for (name, value) in extra.as_object().unwrap() {
        header[name] = value.clone();
    }
    token_signed(key, alg, &header, &payload())
}

fn hs256(header: &serde_json::Value, payload: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(payload));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(mac.finalize().into_bytes()))
}

fn jwks(keys: &[serde_json::Value]) -> KeySet {
    KeySet::from_jwks(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
}

fn kind(set: &KeySet, token: &str) -> &'static str {
    set.verify(token, &at_now()).unwrap_err().kind()
}

/// The set the provider publishes: one key of each kind, each with a kid.
fn provider() -> KeySet {
    jwks(&[
        RSA.jwk_with(json!({"kid": "rsa"})),
        P256.jwk_with(json!({"kid": "p256"})),
        P384.jwk_with(json!({"kid": "p384"})),
        ED.jwk_with(json!({"kid": "ed"})),
    ])
}

// ---------------------------------------------------------------------------
// Algorithms: the key decides.

#[test]
fn accepts_each_algorithm_with_the_key_that_allows_it() {
    let set = provider();
    for (key, kid, algs) in [
        (
            &*RSA,
            "rsa",
            &["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"][..],
        ),
        (&*P256, "p256", &["ES256"][..]),
        (&*P384, "p384", &["ES384"][..]),
        (&*ED, "ed", &["EdDSA", "Ed25519"][..]),
    ] {
        for alg in algs {
            for t in [
                token(key, alg, json!({"kid": kid})),
                // Without kid: the one key of the set that fits.
                token(key, alg, json!({})),
            ] {
                let claims = set
                    .verify(&t, &at_now())
                    .unwrap_or_else(|e| panic!("{alg}: {e}"));
                assert_eq!(claims.sub(), Some("alice"));
            }
        }
    }
}

#[test]
fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // CVE-2015-9235 / CVE-2022-29217: the public key's own bytes as an HMAC
    // secret. Whatever the bytes, and whatever the kid, HS* is refused.
    let pem = RSA.pem();
    let jwk = RSA.jwk_with(json!({"kid": "rsa"})).to_string();
    for (set, secret) in [
        (KeySet::from_pem(pem.as_bytes()).unwrap(), pem.as_bytes()),
        (KeySet::from_jwk(jwk.as_bytes()).unwrap(), jwk.as_bytes()),
    ] {
        for alg in ["HS256", "HS384", "HS512"] {
            for header in [json!({"alg": alg}), json!({"alg": alg, "kid": "rsa"})] {
                let t = hs256(&header, &payload(), secret);
                assert_eq!(
                    set.verify(&t, &at_now()).unwrap_err(),
                    JwtError::Algorithm { found: Some(alg) },
                    "{alg}"
                );
            }
        }
    }
    let err = JwtError::Algorithm {
        found: Some("HS256"),
    };
    assert!(
        err.to_string().contains("never accepted with a key set"),
        "{err}"
    );
}

#[test]
fn alg_none_is_refused_in_any_case() {
    let set = provider();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let real = token(&RSA, "RS256", json!({"kid": "rsa"}));
        let (_, rest) = real.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        let h = b64(json!({"alg": alg, "kid": "rsa"}).to_string());
        // Unsecured (empty signature): not even three non-empty segments.
        assert_eq!(kind(&set, &format!("{h}.{p}.")), "malformed", "{alg}");
        // With a signature that holds for the real header: the alg refuses.
        assert_eq!(
            set.verify(&format!("{h}.{p}.{s}"), &at_now()).unwrap_err(),
            JwtError::Algorithm {
                found: Some("none")
            },
            "{alg}"
        );
    }
}

#[test]
fn algorithms_ropc_does_not_verify_are_refused() {
    let set = provider();
    for (alg, found) in [
        ("ES512", Some("ES512")),
        ("ES256K", None),
        ("RSA1_5", None),
        ("RSA-OAEP", None),
        ("rs256", None),
        ("Ed448", None),
        ("", None),
    ] {
        let header = json!({"alg": alg, "kid": "rsa"});
        let t = token_signed(&RSA, "RS256", &header, &payload());
        assert_eq!(
            set.verify(&t, &at_now()).unwrap_err(),
            JwtError::Algorithm { found },
            "{alg:?}"
        );
    }
}

#[test]
fn the_key_type_decides_the_algorithm() {
    let set = provider();
    // The kid names the RSA key; the header says ES256 (signed by the P-256
    // key, so only the binding can refuse it).
    let t = token(&P256, "ES256", json!({"kid": "rsa"}));
    assert_eq!(
        set.verify(&t, &at_now()).unwrap_err(),
        JwtError::KeyMismatch {
            alg: "ES256",
            key: "RSA key"
        }
    );
    let t = token(&RSA, "RS256", json!({"kid": "ed"}));
    assert_eq!(kind(&set, &t), "key_mismatch");
    // Without a kid: no key of an RSA-only set fits an ES256 token.
    let rsa_only = KeySet::from_pem(RSA.pem().as_bytes()).unwrap();
    assert_eq!(
        rsa_only
            .verify(&token(&P256, "ES256", json!({})), &at_now())
            .unwrap_err(),
        JwtError::NoKey
    );
}

#[test]
fn the_curve_decides_the_algorithm() {
    let set = jwks(&[P256.jwk_with(json!({"kid": "k"}))]);
    let t = token(&P384, "ES384", json!({"kid": "k"}));
    assert_eq!(
        set.verify(&t, &at_now()).unwrap_err(),
        JwtError::KeyMismatch {
            alg: "ES384",
            key: "EC P-256 key"
        }
    );
    assert_eq!(kind(&set, &token(&P384, "ES384", json!({}))), "no_key");
    let set = jwks(&[P384.jwk_with(json!({"kid": "k"}))]);
    assert_eq!(
        kind(&set, &token(&P256, "ES256", json!({"kid": "k"}))),
        "key_mismatch"
    );
}

#[test]
fn a_jwk_alg_binds_the_key_to_that_algorithm() {
    let set = jwks(&[RSA.jwk_with(json!({"kid": "k", "alg": "RS256"}))]);
    assert!(
        set.verify(&token(&RSA, "RS256", json!({"kid": "k"})), &at_now())
            .is_ok()
    );
    for alg in ["PS256", "RS384", "RS512", "PS512"] {
        assert_eq!(
            set.verify(&token(&RSA, alg, json!({"kid": "k"})), &at_now())
                .unwrap_err(),
            JwtError::KeyMismatch {
                alg: ropc_alg(alg),
                key: "RSA key for RS256 only"
            },
            "{alg}"
        );
        // Without a kid, the bound key does not fit either.
        assert_eq!(kind(&set, &token(&RSA, alg, json!({}))), "no_key", "{alg}");
    }
}

fn ropc_alg(alg: &str) -> &'static str {
    ["PS256", "RS384", "RS512", "PS512"]
        .into_iter()
        .find(|a| *a == alg)
        .unwrap()
}

#[test]
fn a_jwk_alg_that_does_not_fit_its_key_leaves_the_key_out() {
    for (key, alg) in [
        (&*RSA, "ES256"),
        (&*RSA, "HS256"),
        (&*P256, "ES384"),
        (&*P384, "ES256"),
        (&*ED, "ES256"),
        (&*P256, "ES512"),
        (&*RSA, "RSA-OAEP"),
        (&*RSA, "none"),
    ] {
        let set = jwks(&[key.jwk_with(json!({"kid": "k", "alg": alg}))]);
        assert!(set.is_empty(), "{alg}");
        assert_eq!(set.ignored()[0].kid(), Some("k"));
        assert!(set.ignored()[0].reason().contains("`alg`"), "{alg}");
        let t = token(key, key.default_alg(), json!({"kid": "k"}));
        assert_eq!(kind(&set, &t), "unusable_key", "{alg}");
    }
}

#[test]
fn eddsa_and_ed25519_name_the_same_algorithm() {
    for jwk_alg in [None, Some("EdDSA"), Some("Ed25519")] {
        let mut jwk = ED.jwk_with(json!({"kid": "k"}));
        if let Some(a) = jwk_alg {
            jwk["alg"] = json!(a);
        }
        let set = jwks(&[jwk]);
        assert_eq!(set.len(), 1);
        for alg in ["EdDSA", "Ed25519"] {
            assert!(
                set.verify(&token(&ED, alg, json!({"kid": "k"})), &at_now())
                    .is_ok(),
                "token {alg}, JWK {jwk_alg:?}"
            );
        }
    }
}

#[test]
fn kty_oct_keys_are_ignored() {
    let set = jwks(&[
        json!({"kty": "oct", "kid": "hmac", "k": b64("shared secret"), "alg": "HS256"}),
        ED.jwk_with(json!({"kid": "ed"})),
    ]);
    assert_eq!(set.len(), 1);
    assert_eq!(set.ignored()[0].kid(), Some("hmac"));
    assert!(set.ignored()[0].reason().contains("oct"));
    let t = hs256(
        &json!({"alg": "HS256", "kid": "hmac"}),
        &payload(),
        b"shared secret",
    );
    assert_eq!(kind(&set, &t), "algorithm");
}

// ---------------------------------------------------------------------------
// Headers that point elsewhere are never used.

#[test]
fn an_embedded_jwk_never_verifies_a_token() {
    // CVE-2018-0114: the attacker signs and puts their own key in `jwk`.
    let set = provider();
    for (evil, alg, kid) in [(&*EVIL_P256, "ES256", "p256"), (&*EVIL_ED, "EdDSA", "ed")] {
        let embedded = evil.jwk();
        for extra in [
            json!({"jwk": embedded, "kid": kid}),
            json!({"jwk": embedded}),
            json!({"jwk": embedded, "kid": "attacker"}),
        ] {
            let t = token(evil, alg, extra.clone());
            let err = set.verify(&t, &at_now()).unwrap_err();
            assert!(
                matches!(err, JwtError::Signature | JwtError::UnknownKey),
                "{extra}: {err}"
            );
        }
    }
}

#[test]
fn jku_x5u_jwk_and_x5c_headers_are_never_used() {
    let set = provider();
    let pointers = json!({
        "kid": "p256",
        "jku": "https://attacker.example/jwks.json",
        "x5u": "https://attacker.example/cert.pem",
        "x5c": [STANDARD.encode(EVIL_P256.spki())],
        "jwk": EVIL_P256.jwk(),
    });
    // Signed by the real key: accepted, the pointers ignored.
    assert!(
        set.verify(&token(&P256, "ES256", pointers.clone()), &at_now())
            .is_ok()
    );
    // Signed by the key they point at: refused.
    assert_eq!(
        kind(&set, &token(&EVIL_P256, "ES256", pointers)),
        "signature"
    );
}

#[test]
fn crit_is_refused() {
    let set = provider();
    let t = token(&ED, "EdDSA", json!({"kid": "ed", "crit": ["exp"]}));
    assert_eq!(kind(&set, &t), "header");
}

#[test]
fn typ_rules_are_those_of_hs256() {
    let set = provider();
    for (typ, ok) in [
        (json!("JWT"), true),
        (json!("at+jwt"), true),
        (json!("application/at+JWT"), true),
        (json!(null), true),
        (json!("JOSE"), false),
        (json!(1), false),
    ] {
        let t = token(&ED, "EdDSA", json!({"kid": "ed", "typ": typ}));
        assert_eq!(set.verify(&t, &at_now()).is_ok(), ok, "{typ}");
    }
}

#[test]
fn kid_must_be_a_json_string() {
    let set = provider();
    for kid in [json!(1), json!(null), json!(["ed"]), json!({"id": "ed"})] {
        let t = token(&ED, "EdDSA", json!({"kid": kid}));
        assert_eq!(
            set.verify(&t, &at_now()).unwrap_err(),
            JwtError::Header("`kid` is not a string"),
            "{kid}"
        );
    }
    // `jwt::verify` (HS256) ignores `kid`, as it always did.
    let t = hs256(&json!({"alg": "HS256", "kid": 1}), &payload(), b"key");
    assert!(jwt::verify(&t, b"key", &at_now()).is_ok());
}

// ---------------------------------------------------------------------------
// Keys that are left out.

/// An RSA JWK with this modulus and exponent (bytes as given).
fn rsa_jwk(n: &[u8], e: &[u8]) -> serde_json::Value {
    json!({"kty": "RSA", "kid": "k", "n": b64(n), "e": b64(e)})
}

fn reason(jwk: serde_json::Value) -> Option<&'static str> {
    let set = jwks(&[jwk]);
    set.ignored().first().map(ropc::jwt::IgnoredKey::reason)
}

fn odd_modulus(bits: usize) -> Vec<u8> {
    let mut n = vec![0xa5; bits.div_ceil(8)];
    n[0] = 1 << ((bits - 1) % 8);
    *n.last_mut().unwrap() |= 1;
    n
}

#[test]
fn rsa_keys_under_2048_bits_are_refused() {
    assert_eq!(
        reason(rsa_jwk(&odd_modulus(2047), &[1, 0, 1])),
        Some("RSA key under 2048 bits")
    );
    assert_eq!(reason(rsa_jwk(&odd_modulus(2048), &[1, 0, 1])), None);
    // The token that names it says why it cannot be verified.
    let set = jwks(&[rsa_jwk(&odd_modulus(1024), &[1, 0, 1])]);
    let t = token(&RSA, "RS256", json!({"kid": "k"}));
    assert_eq!(
        set.verify(&t, &at_now()).unwrap_err(),
        JwtError::UnusableKey("RSA key under 2048 bits")
    );
    // And the PEM of a 1024-bit key (made by tests/gen/make_asymmetric_vectors.py).
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/asymmetric.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let pem = vectors["key_sets"]["pem_rsa_1024"].as_str().unwrap();
    let set = KeySet::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(set.len(), 0);
    assert_eq!(set.ignored()[0].reason(), "RSA key under 2048 bits");
}

#[test]
fn rsa_keys_over_8192_bits_are_refused() {
    assert_eq!(
        reason(rsa_jwk(&odd_modulus(8193), &[1, 0, 1])),
        Some("RSA key over 8192 bits")
    );
    assert_eq!(reason(rsa_jwk(&odd_modulus(8192), &[1, 0, 1])), None);
}

#[test]
fn rsa_exponent_is_odd_at_least_3_and_at_most_4_bytes() {
    let n = odd_modulus(2048);
    for (e, why) in [
        (&[][..], Some("RSA exponent under 3")),
        (&[1], Some("RSA exponent under 3")),
        (&[2], Some("RSA exponent under 3")),
        (&[4], Some("RSA exponent is even")),
        (&[1, 0, 0], Some("RSA exponent is even")),
        (&[1, 0, 0, 0, 1], Some("RSA exponent longer than 4 bytes")),
        (&[3], None),
        (&[1, 0, 1], None),
        (&[0xff, 0xff, 0xff, 0xff], None),
        // Leading zero bytes are not part of the value.
        (&[0, 0, 1, 0, 1], None),
    ] {
        assert_eq!(reason(rsa_jwk(&n, e)), why, "{e:?}");
    }
    let mut even = odd_modulus(2048);
    *even.last_mut().unwrap() &= 0xfe;
    assert_eq!(
        reason(rsa_jwk(&even, &[1, 0, 1])),
        Some("RSA modulus is even")
    );
}

#[test]
fn rsa_leading_zero_bytes_are_stripped_before_use() {
    // A modulus sent with a sign byte (some providers do) verifies as the
    // same key; the size is that of the value, so 0x00 || 2047 bits is
    // still under 2048.
    let jwk = RSA.jwk();
    let mut n = vec![0, 0];
    n.extend(URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap());
    let set = jwks(&[json!({"kty": "RSA", "kid": "k", "n": b64(&n), "e": "AAEAAQ"})]);
    assert_eq!(set.len(), 1);
    assert!(
        set.verify(&token(&RSA, "RS256", json!({"kid": "k"})), &at_now())
            .is_ok()
    );
    let mut short = vec![0];
    short.extend(odd_modulus(2047));
    assert_eq!(short.len(), 257);
    assert_eq!(
        reason(rsa_jwk(&short, &[1, 0, 1])),
        Some("RSA key under 2048 bits")
    );
}

#[test]
fn ec_and_okp_keys_have_exactly_their_curve_sizes() {
    let good = P256.jwk();
    let x = URL_SAFE_NO_PAD.decode(good["x"].as_str().unwrap()).unwrap();
    let mut long = vec![0];
    long.extend(&x);
    for (member, value) in [("x", b64(&x[1..])), ("x", b64(&long)), ("y", b64(&x[..31]))] {
        let mut jwk = good.clone();
        jwk[member] = json!(value);
        assert_eq!(
            reason(jwk),
            Some("EC P-256 `x`/`y` are not 32 bytes each"),
            "{member}"
        );
    }
    let mut p384 = P384.jwk();
    p384["y"] = json!(b64([1u8; 47]));
    assert_eq!(reason(p384), Some("EC P-384 `x`/`y` are not 48 bytes each"));
    let mut ed = ED.jwk();
    ed["x"] = json!(b64([1u8; 31]));
    assert_eq!(reason(ed), Some("Ed25519 key is not 32 bytes"));
    for crv in ["Ed448", "X25519", "X448", "ed25519"] {
        let mut ed = ED.jwk();
        ed["crv"] = json!(crv);
        assert_eq!(reason(ed), Some("OKP curve other than Ed25519"), "{crv}");
    }
    for crv in ["P-521", "secp256k1", "P256"] {
        let mut ec = P256.jwk();
        ec["crv"] = json!(crv);
        assert_eq!(
            reason(ec),
            Some("EC curve other than P-256 and P-384"),
            "{crv}"
        );
    }
}

#[test]
fn jwk_members_are_strict_base64url() {
    let good = RSA.jwk();
    let n = good["n"].as_str().unwrap().to_owned();
    for bad in [
        format!("{n}="),
        n.replace(['-', '_'], "+"),
        format!(" {n}"),
        format!("{}\n{}", &n[..10], &n[10..]),
    ] {
        let mut jwk = good.clone();
        jwk["n"] = json!(bad);
        assert_eq!(reason(jwk), Some("RSA `n` is not strict base64url"));
    }
    // Non-canonical trailing bits: "AQE" is 0x0101 (257, a fine exponent);
    // "AQF" decodes to the same bytes with a stray bit set, and is refused.
    assert_eq!(URL_SAFE_NO_PAD.decode("AQE").unwrap(), [1, 1]);
    let mut jwk = good.clone();
    jwk["e"] = json!("AQE");
    assert_eq!(reason(jwk), None);
    let mut jwk = good;
    jwk["e"] = json!("AQF");
    assert_eq!(reason(jwk), Some("RSA `e` is not strict base64url"));
}

#[test]
fn keys_whose_use_is_not_sig_are_ignored() {
    assert_eq!(reason(ED.jwk_with(json!({"use": "sig"}))), None);
    assert_eq!(
        reason(ED.jwk_with(json!({"use": "enc"}))),
        Some("`use` is not `sig`")
    );
    assert_eq!(
        reason(ED.jwk_with(json!({"use": "SIG"}))),
        Some("`use` is not `sig`")
    );
    assert_eq!(
        reason(ED.jwk_with(json!({"use": ["sig"]}))),
        Some("`use` is not a string")
    );
    let set = jwks(&[ED.jwk_with(json!({"kid": "k", "use": "enc"}))]);
    assert_eq!(
        set.verify(&token(&ED, "EdDSA", json!({"kid": "k"})), &at_now())
            .unwrap_err(),
        JwtError::UnusableKey("`use` is not `sig`")
    );
}

#[test]
fn keys_whose_key_ops_lack_verify_are_ignored() {
    for ops in [json!(["verify"]), json!(["sign", "verify"])] {
        assert_eq!(reason(ED.jwk_with(json!({"key_ops": ops}))), None);
    }
    for ops in [json!(["encrypt"]), json!([]), json!(["sign"])] {
        assert_eq!(
            reason(ED.jwk_with(json!({"key_ops": ops}))),
            Some("`key_ops` lacks `verify`"),
            "{ops}"
        );
    }
    assert_eq!(
        reason(ED.jwk_with(json!({"key_ops": "verify"}))),
        Some("`key_ops` is not an array of strings")
    );
}

#[test]
fn a_bad_key_leaves_only_itself_out() {
    let set = jwks(&[
        json!({"kty": "XYZ", "kid": "a"}),
        json!({"kid": "b"}),
        json!("not a key"),
        json!({"kty": "RSA", "kid": "c", "n": 5, "e": "AQAB"}),
        json!({"kty": "OKP", "kid": 7, "crv": "Ed25519", "x": ED.jwk()["x"]}),
        P256.jwk_with(json!({"kid": "d", "d": b64([1u8; 32])})),
        ED.jwk_with(json!({"kid": "good"})),
    ]);
    assert_eq!(set.kids().collect::<Vec<_>>(), [Some("good")]);
    let reasons: Vec<_> = set
        .ignored()
        .iter()
        .map(|i| (i.kid(), i.reason()))
        .collect();
    assert_eq!(
        reasons,
        [
            (Some("a"), "unknown `kty`"),
            (Some("b"), "`kty` is missing"),
            (None, "not a JSON object"),
            (Some("c"), "RSA `n` is not strict base64url"),
            (None, "`kid` is not a string"),
            (Some("d"), "JWK holds a private key"),
        ]
    );
}

// ---------------------------------------------------------------------------
// Documents.

#[test]
fn document_problems_are_errors() {
    let ed = ED.jwk().to_string();
    for (doc, err) in [
        (&b"\xff{}"[..], KeySetError::NotUtf8),
        (b"{\"keys\":[}", KeySetError::NotJson),
        (b"{\"keys\":[]} x", KeySetError::NotJson),
        (b"[]", KeySetError::NotObject),
        (b"{}", KeySetError::NoKeys),
        (b"{\"keys\":{}}", KeySetError::NoKeys),
        (b"{\"keys\":null}", KeySetError::NoKeys),
        (b"{\"keys\":[],\"keys\":[]}", KeySetError::DuplicateMember),
        (
            b"{\"keys\":[{\"kty\":\"OKP\",\"x5c\":[{\"a\":1,\"a\":1}]}]}",
            KeySetError::DuplicateMember,
        ),
        (
            b"{\"keys\":[],\"other\":{\"deep\":{\"a\":1,\"\\u0061\":2}}}",
            KeySetError::DuplicateMember,
        ),
    ] {
        assert_eq!(
            KeySet::from_jwks(doc).unwrap_err(),
            err,
            "{}",
            String::from_utf8_lossy(doc)
        );
    }
    // One JWK: the same document rules.
    assert_eq!(
        KeySet::from_jwk(format!("{}x", ed).as_bytes()).unwrap_err(),
        KeySetError::NotJson
    );
    assert_eq!(
        KeySet::from_jwk(br#"{"kty":"OKP","kty":"OKP"}"#).unwrap_err(),
        KeySetError::DuplicateMember
    );
    assert_eq!(KeySet::from_jwk(ed.as_bytes()).unwrap().len(), 1);
}

#[test]
fn more_than_100_keys_is_an_error() {
    let key = ED.jwk();
    let set = |n: usize| json!({ "keys": vec![key.clone(); n] }).to_string();
    assert_eq!(KeySet::from_jwks(set(100).as_bytes()).unwrap().len(), 100);
    assert_eq!(
        KeySet::from_jwks(set(101).as_bytes()).unwrap_err(),
        KeySetError::TooManyKeys { max: 100 }
    );
    // Left-out keys count too, and so do PEM blocks.
    let junk = json!({ "keys": vec![json!(1); 101] }).to_string();
    assert_eq!(
        KeySet::from_jwks(junk.as_bytes()).unwrap_err().kind(),
        "too_many_keys"
    );
    let pems = ED.pem().repeat(101);
    assert_eq!(
        KeySet::from_pem(pems.as_bytes()).unwrap_err().kind(),
        "too_many_keys"
    );
    assert_eq!(
        KeySet::from_pem(ED.pem().repeat(100).as_bytes())
            .unwrap()
            .len(),
        100
    );
}

#[test]
fn pem_reads_public_key_blocks_only() {
    let all = format!(
        "keys of the provider\n{}{}{}{}",
        RSA.pem(),
        P256.pem(),
        P384.pem(),
        ED.pem()
    );
    let set = KeySet::from_pem(all.as_bytes()).unwrap();
    assert_eq!(set.len(), 4);
    assert_eq!(set.kids().collect::<Vec<_>>(), [None, None, None, None]);

    let private = pem("PRIVATE KEY", b"not really a key");
    for (doc, err) in [
        (private.clone(), KeySetError::PemPrivateKey),
        (format!("{}{private}", ED.pem()), KeySetError::PemPrivateKey),
        (
            pem("EC PRIVATE KEY", b"x").to_string(),
            KeySetError::PemPrivateKey,
        ),
        (
            pem("ENCRYPTED PRIVATE KEY", b"x").to_string(),
            KeySetError::PemPrivateKey,
        ),
        (
            pem("OPENSSH PRIVATE KEY", b"x").to_string(),
            KeySetError::PemPrivateKey,
        ),
        (
            format!("{}{}", ED.pem(), pem("CERTIFICATE", b"x")),
            KeySetError::PemCertificate,
        ),
        (String::new(), KeySetError::PemNoPublicKey),
        (pem("RSA PUBLIC KEY", b"pkcs1"), KeySetError::PemNoPublicKey),
        (
            "-----BEGIN PUBLIC KEY-----\nMCow!!!\n-----END PUBLIC KEY-----\n".into(),
            KeySetError::PemMalformed,
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n".into(),
            KeySetError::PemMalformed,
        ),
    ] {
        assert_eq!(KeySet::from_pem(doc.as_bytes()).unwrap_err(), err, "{doc}");
    }
}

#[test]
fn spki_not_understood_is_named() {
    // Ed448 (1.3.101.113), DSA, and a truncated SPKI.
    let ed448 = {
        let mut bits = vec![0];
        bits.extend([1u8; 57]);
        let mut body = tlv(0x30, &tlv(0x06, &[0x2b, 0x65, 0x71]));
        body.extend(tlv(0x03, &bits));
        tlv(0x30, &body)
    };
    let err = KeySet::from_pem(pem("PUBLIC KEY", &ed448).as_bytes()).unwrap_err();
    assert_eq!(err, KeySetError::Spki("an Ed448 key"));
    assert_eq!(
        err.to_string(),
        "PUBLIC KEY block not understood: an Ed448 key"
    );
    let spki = ED.spki();
    let err = KeySet::from_pem(pem("PUBLIC KEY", &spki[..spki.len() - 1]).as_bytes()).unwrap_err();
    assert_eq!(err.kind(), "spki");
    let mut trailing = spki.clone();
    trailing.push(0);
    let err = KeySet::from_pem(pem("PUBLIC KEY", &trailing).as_bytes()).unwrap_err();
    assert_eq!(err.kind(), "spki");
}

#[test]
fn parse_tells_the_formats_apart() {
    let jwks_text = json!({"keys": [ED.jwk_with(json!({"kid": "a"}))]}).to_string();
    let jwk_text = ED.jwk_with(json!({"kid": "b"})).to_string();
    for (doc, kid) in [
        (jwks_text.clone(), Some("a")),
        (format!("\u{feff}\n  {jwks_text}"), Some("a")),
        (jwk_text.clone(), Some("b")),
        (format!("\t{jwk_text}"), Some("b")),
        (ED.pem(), None),
        (format!("\r\n{}", ED.pem()), None),
    ] {
        let set = KeySet::parse(doc.as_bytes()).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(set.kids().collect::<Vec<_>>(), [kid], "{doc}");
    }
    for doc in ["", "   ", "hello", "[{}]", "keys"] {
        assert_eq!(
            KeySet::parse(doc.as_bytes()).unwrap_err(),
            KeySetError::UnknownFormat,
            "{doc:?}"
        );
    }
    // A `keys` member that is not an array: a JWKS without keys.
    assert_eq!(
        KeySet::parse(br#"{"keys":"x"}"#).unwrap_err(),
        KeySetError::NoKeys
    );
}

// ---------------------------------------------------------------------------
// Key selection.

#[test]
fn kid_selects_the_key_by_exact_match() {
    let set = provider();
    assert!(
        set.verify(&token(&ED, "EdDSA", json!({"kid": "ed"})), &at_now())
            .is_ok()
    );
    for kid in ["ED", "Ed", "ed ", " ed", "e", "ed\u{0}", "éd"] {
        assert_eq!(
            set.verify(&token(&ED, "EdDSA", json!({"kid": kid})), &at_now())
                .unwrap_err(),
            JwtError::UnknownKey,
            "{kid:?}"
        );
    }
    // An escaped kid is the same string.
    let header = r#"{"alg":"EdDSA","kid":"\u0065d"}"#;
    let input = format!("{}.{}", b64(header), b64(payload()));
    let t = format!(
        "{input}.{}",
        b64(ED.sign_as("EdDSA", input.as_bytes(), false))
    );
    assert!(set.verify(&t, &at_now()).is_ok());
}

#[test]
fn a_token_without_kid_needs_exactly_one_fitting_key() {
    let two = jwks(&[
        ED.jwk_with(json!({"kid": "a"})),
        EVIL_ED.jwk_with(json!({"kid": "b"})),
        P256.jwk_with(json!({"kid": "c"})),
    ]);
    assert_eq!(
        two.verify(&token(&ED, "EdDSA", json!({})), &at_now())
            .unwrap_err(),
        JwtError::AmbiguousKey
    );
    // The other algorithm has one fitting key.
    assert!(
        two.verify(&token(&P256, "ES256", json!({})), &at_now())
            .is_ok()
    );
    assert_eq!(
        two.verify(&token(&P384, "ES384", json!({})), &at_now())
            .unwrap_err(),
        JwtError::NoKey
    );
}

#[test]
fn a_kidless_key_serves_any_token_only_as_the_one_fitting_key() {
    let sole = KeySet::from_pem(ED.pem().as_bytes()).unwrap();
    assert!(
        sole.verify(&token(&ED, "EdDSA", json!({"kid": "anything"})), &at_now())
            .is_ok()
    );
    // Beside another fitting key, it is no longer the one.
    let mixed = jwks(&[ED.jwk(), EVIL_ED.jwk_with(json!({"kid": "b"}))]);
    assert_eq!(
        mixed
            .verify(&token(&ED, "EdDSA", json!({"kid": "x"})), &at_now())
            .unwrap_err(),
        JwtError::UnknownKey
    );
    // A key of another type beside it does not count.
    let with_rsa = jwks(&[ED.jwk(), RSA.jwk_with(json!({"kid": "r"}))]);
    assert!(
        with_rsa
            .verify(&token(&ED, "EdDSA", json!({"kid": "x"})), &at_now())
            .is_ok()
    );
    // A sole fitting key that HAS a kid serves only its own kid.
    let named = jwks(&[ED.jwk_with(json!({"kid": "a"}))]);
    assert_eq!(
        named
            .verify(&token(&ED, "EdDSA", json!({"kid": "x"})), &at_now())
            .unwrap_err(),
        JwtError::UnknownKey
    );
}

#[test]
fn a_kid_shared_by_fitting_keys_is_ambiguous() {
    let set = jwks(&[
        ED.jwk_with(json!({"kid": "same"})),
        EVIL_ED.jwk_with(json!({"kid": "same"})),
    ]);
    assert_eq!(
        set.verify(&token(&ED, "EdDSA", json!({"kid": "same"})), &at_now())
            .unwrap_err(),
        JwtError::AmbiguousKey
    );
    // Shared with a key that does not fit: the fitting one is chosen.
    let set = jwks(&[
        RSA.jwk_with(json!({"kid": "same"})),
        ED.jwk_with(json!({"kid": "same"})),
    ]);
    assert!(
        set.verify(&token(&ED, "EdDSA", json!({"kid": "same"})), &at_now())
            .is_ok()
    );
}

#[test]
fn unknown_kid_is_its_own_error_for_refetching() {
    let set = provider();
    let err = set
        .verify(&token(&ED, "EdDSA", json!({"kid": "rotated"})), &at_now())
        .unwrap_err();
    assert_eq!(err, JwtError::UnknownKey);
    assert_eq!(err.kind(), "unknown_key");
    // An empty set: a kid is unknown, no kid finds no key.
    let empty = jwks(&[]);
    assert!(empty.is_empty());
    assert_eq!(
        kind(&empty, &token(&ED, "EdDSA", json!({"kid": "k"}))),
        "unknown_key"
    );
    assert_eq!(kind(&empty, &token(&ED, "EdDSA", json!({}))), "no_key");
}

// ---------------------------------------------------------------------------
// The checks around the key choice, in verify's order.

#[test]
fn es256_der_signature_is_refused() {
    let set = provider();
    for (key, alg, kid) in [(&*P256, "ES256", "p256"), (&*P384, "ES384", "p384")] {
        let header = json!({"alg": alg, "kid": kid});
        let input = format!("{}.{}", b64(header.to_string()), b64(payload()));
        let der = key.sign_as(alg, input.as_bytes(), true);
        assert_eq!(der[0], 0x30);
        let t = format!("{input}.{}", b64(der));
        assert_eq!(kind(&set, &t), "signature", "{alg}");
        // The same signature as r || s verifies.
        let fixed = key.sign_as(alg, input.as_bytes(), false);
        assert!(
            set.verify(&format!("{input}.{}", b64(fixed)), &at_now())
                .is_ok()
        );
    }
}

#[test]
fn any_change_breaks_the_signature() {
    let set = provider();
    for (key, alg, kid) in [
        (&*RSA, "PS256", "rsa"),
        (&*P256, "ES256", "p256"),
        (&*ED, "EdDSA", "ed"),
    ] {
        let t = token(key, alg, json!({"kid": kid}));
        let (h, rest) = t.split_once('.').unwrap();
        let (_, s) = rest.split_once('.').unwrap();
        let forged = b64(format!(r#"{{"sub":"admin","exp":{}}}"#, NOW + 3600));
        assert_eq!(
            kind(&set, &format!("{h}.{forged}.{s}")),
            "signature",
            "{alg}"
        );
        let mut sig = URL_SAFE_NO_PAD.decode(s).unwrap();
        sig[0] ^= 0x80;
        let input = &t[..t.rfind('.').unwrap()];
        assert_eq!(
            kind(&set, &format!("{input}.{}", b64(&sig))),
            "signature",
            "{alg}"
        );
        sig.pop();
        assert_eq!(
            kind(&set, &format!("{input}.{}", b64(&sig))),
            "signature",
            "{alg}"
        );
    }
}

#[test]
fn signature_is_checked_before_the_payload_is_parsed() {
    let set = provider();
    let header = json!({"alg": "EdDSA", "kid": "ed"});
    let bad_payload = r#"{"sub":"a","sub":"b"}"#;
    // Signed by another key: the signature fails first.
    let t = token_signed(&EVIL_ED, "EdDSA", &header, bad_payload);
    assert_eq!(kind(&set, &t), "signature");
    // Signed by the key: now the payload is read, and refused.
    let t = token_signed(&ED, "EdDSA", &header, bad_payload);
    assert_eq!(
        set.verify(&t, &at_now()).unwrap_err(),
        JwtError::Payload("duplicate member name")
    );
}

#[test]
fn the_header_is_checked_before_the_key_is_chosen() {
    // A bad header with an unknown kid is a header error, not a refetch.
    let set = provider();
    let t = token(&ED, "EdDSA", json!({"kid": "rotated", "crit": ["x"]}));
    assert_eq!(kind(&set, &t), "header");
    let t = token_signed(&ED, "EdDSA", &json!({"kid": "rotated"}), &payload());
    assert_eq!(
        set.verify(&t, &at_now()).unwrap_err(),
        JwtError::Header("`alg` is missing")
    );
}

#[test]
fn size_cap_segments_and_base64_are_checked_first() {
    let set = provider();
    let huge = "!".repeat(jwt::DEFAULT_MAX_TOKEN_SIZE + 1);
    assert_eq!(kind(&set, &huge), "too_large");
    let t = token(&ED, "EdDSA", json!({"kid": "ed"}));
    let v = at_now().max_token_size(t.len() - 1);
    assert_eq!(set.verify(&t, &v).unwrap_err().kind(), "too_large");
    assert_eq!(kind(&set, &format!("{t}.{}", "A")), "malformed");
    assert_eq!(kind(&set, "a.b"), "malformed");
    assert_eq!(kind(&set, &format!("{t}=")), "base64");
    assert_eq!(kind(&set, &t.replacen('.', ".+", 1)), "base64");
    assert_eq!(kind(&set, &format!(" {t}")), "base64");
    // A signature longer than any key makes.
    let (input, _) = t.rsplit_once('.').unwrap();
    assert_eq!(
        kind(&set, &format!("{input}.{}", b64([0u8; 1025]))),
        "signature"
    );
}

#[test]
fn claims_are_validated_as_for_hs256() {
    let set = provider();
    let header = json!({"alg": "ES256", "kid": "p256"});
    let t = token_signed(
        &P256,
        "ES256",
        &header,
        &format!(
            r#"{{"iss":"https://id.example","aud":["api"],"exp":{}}}"#,
            NOW + 60
        ),
    );
    let claims = set
        .verify(&t, &at_now().issuer("https://id.example").audience("api"))
        .unwrap();
    assert_eq!(claims.iss(), Some("https://id.example"));
    assert_eq!(
        set.verify(&t, &Validation::default().at(NOW + 120))
            .unwrap_err()
            .kind(),
        "expired"
    );
    assert_eq!(
        set.verify(&t, &at_now().issuer("other")).unwrap_err(),
        JwtError::Issuer
    );
    assert_eq!(
        set.verify(&t, &at_now().audience("other")).unwrap_err(),
        JwtError::Audience
    );
}

#[test]
fn jwt_verify_stays_hs256_only() {
    // An asymmetric token given to the HS256 verifier is refused by name,
    // whatever key bytes it is given.
    let t = token(&RSA, "RS256", json!({"kid": "rsa"}));
    assert_eq!(
        jwt::verify(&t, RSA.pem().as_bytes(), &at_now()).unwrap_err(),
        JwtError::Algorithm {
            found: Some("RS256")
        }
    );
}

#[test]
fn errors_never_show_key_or_token_bytes() {
    let set = jwks(&[
        ED.jwk_with(json!({"kid": "KIDMARKER"})),
        RSA.jwk_with(json!({"kid": "weak", "use": "enc"})),
    ]);
    let key_text = ED.jwk()["x"].as_str().unwrap().to_owned();
    let cases = [
        token(&ED, "EdDSA", json!({"kid": "SECRETKIDMARKER"})),
        token(&EVIL_ED, "EdDSA", json!({"kid": "KIDMARKER"})),
        token(&ED, "ES256", json!({"kid": "KIDMARKER"})),
        token(&RSA, "RS256", json!({"kid": "weak"})),
        token(&ED, "MARKERALG", json!({"kid": "KIDMARKER"})),
    ];
    for t in &cases {
        let e = set.verify(t, &at_now()).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("MARKER"), "{shown}");
        assert!(!shown.contains(&key_text), "{shown}");
        let (h, _) = t.split_once('.').unwrap();
        assert!(!shown.contains(h), "{shown}");
    }
    // Document errors show no document bytes either.
    for doc in [
        format!("{{\"keys\":[{{\"x\":\"{key_text}\",\"x\":1}}]}}"),
        format!("{{\"keys\":\"{key_text}\"}}"),
        format!("-----BEGIN PUBLIC KEY-----\n{key_text}\n-----END PUBLIC KEY-----\n"),
        format!("{key_text}MARKER"),
    ] {
        let e = KeySet::parse(doc.as_bytes()).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(&key_text[..20]), "{shown}");
        assert!(!shown.contains("MARKER"), "{shown}");
    }
}

#[test]
fn key_set_debug_is_short_and_shows_no_key_bytes() {
    let set = provider();
    let shown = format!("{set:?}");
    assert!(
        shown.contains("\"rsa\"") && shown.contains("Ed25519 key"),
        "{shown}"
    );
    assert!(shown.len() < 200, "{shown}");
    for key in [&*RSA, &*P256, &*ED] {
        for member in ["n", "x"] {
            if let Some(v) = key.jwk()[member].as_str() {
                assert!(!shown.contains(&v[..16]), "{shown}");
            }
        }
    }
}

#[test]
fn key_set_errors_have_a_kind_and_one_line() {
    for e in [
        KeySetError::UnknownFormat,
        KeySetError::NotUtf8,
        KeySetError::NotJson,
        KeySetError::NotObject,
        KeySetError::DuplicateMember,
        KeySetError::NoKeys,
        KeySetError::TooManyKeys { max: 100 },
        KeySetError::PemNoPublicKey,
        KeySetError::PemPrivateKey,
        KeySetError::PemCertificate,
        KeySetError::PemMalformed,
        KeySetError::Spki("a DSA key"),
    ] {
        let text = e.to_string();
        assert!(!text.is_empty() && !text.contains('\n'), "{text}");
        assert!(!e.kind().is_empty());
        let _: &dyn std::error::Error = &e;
    }
}
