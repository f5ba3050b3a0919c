//! Forgery resistance of `ropc::jwt::verify`.
//!
//! A token is built from structured claims and signed with an arbitrary key
//! inside the target (independently of ropc); it must verify, with the
//! claims it was built from. Then a different byte at any one position of the
//! token (header, either dot, payload or signature), and a different key, must
//! each be rejected. Keys that HMAC itself cannot tell apart (`k` and
//! `k ‖ 0x00`, a long key and its SHA-256; RFC 2104 §2) are not "different".
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ropc::jwt::{Validation, verify};
use ropc_fuzz::{NOW, check_claims, check_validations, hmac_equivalent, json_eq, sign};
use serde_json::{Map, Value, json};

#[derive(Arbitrary, Debug)]
enum Typ {
    None,
    Jwt,
    AtJwt,
    ApplicationJwt,
}

#[derive(Arbitrary, Debug)]
enum Extra {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    List(Vec<String>),
    Object(Vec<(String, u32)>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    sub: Option<String>,
    iss: Option<String>,
    jti: Option<String>,
    aud: Option<Vec<String>>,
    aud_as_string: bool,
    /// `exp` is this many seconds after now (plus one), up to the year 9999.
    exp_ahead: u32,
    exp_fraction: bool,
    nbf_ago: Option<u32>,
    iat_ago: Option<u32>,
    extra: Vec<(String, Extra)>,
    typ: Typ,
    kid: Option<String>,
    pretty: bool,
    key: Vec<u8>,
    other_key: Vec<u8>,
    position: u16,
    byte: u8,
}

const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

fn payload(input: &Input) -> Value {
    let mut map = Map::new();
    for (name, extra) in &input.extra {
        if REGISTERED.contains(&name.as_str()) {
            continue;
        }
        let v = match extra {
            Extra::Str(s) => json!(s),
            Extra::Int(i) => json!(i),
            Extra::Float(f) if f.is_finite() => json!(f),
            Extra::Float(_) => Value::Null,
            Extra::Bool(b) => json!(b),
            Extra::Null => Value::Null,
            Extra::List(l) => json!(l),
            Extra::Object(o) => {
                Value::Object(o.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
            }
        };
        map.insert(name.clone(), v);
    }
    for (name, v) in [
        ("sub", &input.sub),
        ("iss", &input.iss),
        ("jti", &input.jti),
    ] {
        if let Some(v) = v {
            map.insert(name.into(), json!(v));
        }
    }
    if let Some(aud) = &input.aud {
        match (input.aud_as_string, aud.first()) {
            (true, Some(one)) => map.insert("aud".into(), json!(one)),
            _ => map.insert("aud".into(), json!(aud)),
        };
    }
    let room = ropc::jwt::MAX_NUMERIC_DATE - NOW;
    let exp = NOW + 1 + i64::from(input.exp_ahead) % room;
    if input.exp_fraction {
        map.insert("exp".into(), json!(exp as f64 - 0.5));
    } else {
        map.insert("exp".into(), json!(exp));
    }
    if let Some(ago) = input.nbf_ago {
        map.insert("nbf".into(), json!(NOW - i64::from(ago).min(NOW)));
    }
    if let Some(ago) = input.iat_ago {
        map.insert("iat".into(), json!(NOW - i64::from(ago).min(NOW)));
    }
    Value::Object(map)
}

fuzz_target!(|input: Input| {
    let claims = payload(&input);
    let mut header = Map::new();
    header.insert("alg".into(), json!("HS256"));
    let typ = match input.typ {
        Typ::None => None,
        Typ::Jwt => Some("JWT"),
        Typ::AtJwt => Some("at+jwt"),
        Typ::ApplicationJwt => Some("application/jwt"),
    };
    if let Some(typ) = typ {
        header.insert("typ".into(), json!(typ));
    }
    if let Some(kid) = &input.kid {
        header.insert("kid".into(), json!(kid));
    }
    let to_text = |v: &Value| {
        if input.pretty {
            serde_json::to_string_pretty(v).unwrap()
        } else {
            serde_json::to_string(v).unwrap()
        }
    };
    let payload_text = to_text(&claims);
    let token = sign(
        to_text(&Value::Object(header)).as_bytes(),
        payload_text.as_bytes(),
        &input.key,
    );

    let validation = Validation::default().at(NOW);
    if input.key.is_empty() {
        // HMAC takes an empty key, and then anyone can sign: refused.
        let err = verify(&token, &input.key, &validation).expect_err("empty key accepted");
        assert_eq!(err.kind(), "empty_key");
        return;
    }
    let verified = match verify(&token, &input.key, &validation) {
        Ok(c) => c,
        Err(e) => panic!("a correctly signed token was rejected: {e} ({token})"),
    };
    // Floats may differ by an ULP: serde_json's default float parser is not
    // correctly rounded; ropc turns on `float_roundtrip` (see its
    // Cargo.toml), and this check stays tolerant; everything else must be exact.
    let got = check_claims(&verified);
    assert!(
        json_eq(&got, &claims),
        "verified claims differ: {got:?} vs {claims:?}"
    );
    assert_eq!(verified.as_json(), payload_text);
    // About forty more verifications: for one input in eight only, so the
    // target keeps its speed for what it is about.
    if input.byte % 8 == 0 {
        check_validations(&token, &input.key, &verified, &got);
    }

    // One different byte anywhere in the token. The token is ASCII, so an
    // ASCII replacement keeps it a valid &str.
    let mut forged = token.clone().into_bytes();
    let pos = usize::from(input.position) % forged.len();
    let mut b = input.byte & 0x7f;
    if b == forged[pos] {
        b = if b == b'A' { b'B' } else { b'A' };
    }
    forged[pos] = b;
    let forged = String::from_utf8(forged).expect("ASCII");
    if let Ok(c) = verify(&forged, &input.key, &validation) {
        panic!(
            "forged token accepted: byte {pos} of {token:?} changed to {b:#04x}, claims {}",
            c.as_json()
        );
    }

    // A different key.
    if !hmac_equivalent(&input.key, &input.other_key) {
        assert!(
            verify(&token, &input.other_key, &validation).is_err(),
            "token verified with a different key"
        );
    }
});
