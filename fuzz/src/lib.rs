//! Helpers shared by the fuzz targets. Everything here is written
//! independently of ropc (signing, percent-decoding, HMAC key equivalence), so
//! the targets check ropc against a second implementation, not against itself.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Digest as _;

/// The fixed clock every JWT target verifies with (2023-11-14T22:13:20Z), the
/// `now` of the test vectors in tests/vectors/.
pub const NOW: i64 = 1_700_000_000;

/// base64url without padding.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact HS256 JWS over exactly these header and payload bytes.
pub fn sign(header: &[u8], payload: &[u8], key: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(mac.finalize().into_bytes()))
}

/// The key HMAC-SHA256 really uses (RFC 2104 §2): a key longer than the 64-byte
/// block is first hashed, and the result is padded with zero bytes to the
/// block. So `k` and `k ‖ 0x00` (and a long key and its SHA-256) are the same
/// HMAC key; a verifier cannot tell them apart and must not be blamed for it.
pub fn effective_hmac_key(key: &[u8]) -> Vec<u8> {
    let mut k = if key.len() > 64 {
        sha2::Sha256::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    while k.last() == Some(&0) {
        k.pop();
    }
    k
}

/// Whether two keys give the same HMAC-SHA256 for every message.
pub fn hmac_equivalent(a: &[u8], b: &[u8]) -> bool {
    effective_hmac_key(a) == effective_hmac_key(b)
}

/// An `application/x-www-form-urlencoded` component decoder written from the
/// WHATWG URL standard, independent of `ropc::form::decode`: `+` is a space,
/// `%XX` (either case of hex) a byte, anything else itself. `None` for a
/// truncated or non-hex escape, or bytes that are not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The bytes a form-urlencoded serializer may emit for one component:
/// unreserved bytes, `+` and `%XX` with upper-case hex.
pub fn is_form_encoded(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' | b'+' => i += 1,
            b'%' => {
                let upper_hex = |x: Option<&u8>| matches!(x, Some(b'0'..=b'9' | b'A'..=b'F'));
                if !upper_hex(b.get(i + 1)) || !upper_hex(b.get(i + 2)) {
                    return false;
                }
                i += 3;
            }
            _ => return false,
        }
    }
    true
}

/// The invariants of any claims `ropc::jwt::verify` accepted: the payload text
/// is a JSON object, `to_value()` is that object, serialising the claims gives
/// it back, and the typed accessors agree with it.
pub fn check_claims(claims: &ropc::jwt::Claims) -> serde_json::Value {
    use serde_json::Value;
    let value = claims.to_value();
    let Value::Object(map) = &value else {
        panic!("accepted claims are not a JSON object: {value:?}");
    };
    let reparsed: Value =
        serde_json::from_str(claims.as_json()).expect("accepted payload text is JSON");
    assert_eq!(reparsed, value, "as_json() and to_value() disagree");
    let serialised = serde_json::to_string(claims).expect("claims serialise");
    let back: Value = serde_json::from_str(&serialised).expect("serialised claims are JSON");
    assert!(back.is_object(), "serialised claims are not an object");
    assert!(
        json_eq(&back, &value),
        "serialised claims differ: {back:?} vs {value:?}"
    );

    let text = |name: &str| map.get(name).map(|v| v.as_str().expect("string claim"));
    assert_eq!(claims.iss(), text("iss"), "iss accessor");
    assert_eq!(claims.sub(), text("sub"), "sub accessor");
    assert_eq!(claims.jti(), text("jti"), "jti accessor");
    let aud: Vec<&str> = claims.aud().collect();
    let expected_aud: Vec<&str> = match map.get("aud") {
        None => vec![],
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().expect("aud item"))
            .collect(),
        Some(other) => panic!("accepted a non-string aud: {other:?}"),
    };
    assert_eq!(aud, expected_aud, "aud accessor");
    for (name, got) in [
        ("exp", claims.exp()),
        ("nbf", claims.nbf()),
        ("iat", claims.iat()),
    ] {
        match (map.get(name), got) {
            (None, None) => {}
            (Some(v), Some(t)) => {
                let f = v.as_f64().expect("numeric date is a number");
                assert!(
                    (0..=ropc::jwt::MAX_NUMERIC_DATE).contains(&t),
                    "{name} out of range"
                );
                assert!(
                    (f - t as f64).abs() < 1.0 + f.abs() * 1e-15,
                    "{name} {t} vs {f}"
                );
            }
            (v, t) => panic!("{name}: payload has {v:?}, accessor {t:?}"),
        }
    }
    value
}

/// JSON equality where two floats count as equal within a few ULPs: serde_json
/// (without its `float_roundtrip` feature, as ropc builds it) parses decimal
/// floats with up to one ULP of error, so text → value → text → value need not
/// be exact. Integers, strings, and the shape must match exactly.
pub fn json_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs())
            } else {
                x == y
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// The registered claims of an accepted token, read from its JSON value: what
/// [`expected_validation`] decides on.
pub struct ClaimModel {
    iss: Option<String>,
    /// `None`: no `aud` member; `Some(list)`: a string (one item) or an array.
    aud: Option<Vec<String>>,
    present: [bool; 7],
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
}

const CLAIMS: [ropc::jwt::RegisteredClaim; 7] = {
    use ropc::jwt::RegisteredClaim::*;
    [Iss, Sub, Aud, Exp, Nbf, Iat, Jti]
};

impl ClaimModel {
    pub fn new(claims: &ropc::jwt::Claims, value: &serde_json::Value) -> ClaimModel {
        let map = value.as_object().expect("an object");
        ClaimModel {
            iss: claims.iss().map(str::to_owned),
            aud: map
                .get("aud")
                .map(|_| claims.aud().map(str::to_owned).collect()),
            present: CLAIMS.map(|c| map.contains_key(c.name())),
            exp: claims.exp(),
            nbf: claims.nbf(),
            iat: claims.iat(),
        }
    }
}

/// What `verify` must answer under a validation, written from the documented
/// rules (ropc::jwt module and `Validation` docs): required claims first (in
/// `RegisteredClaim` order), then `now >= exp + leeway`, `nbf > now + leeway`,
/// `iat > now + leeway`, then the issuer, then the audience.
pub fn expected_validation(
    m: &ClaimModel,
    now: i64,
    leeway: u64,
    required: &[ropc::jwt::RegisteredClaim],
    issuer: Option<&str>,
    audience: Option<&str>,
) -> Result<(), ropc::jwt::JwtError> {
    use ropc::jwt::JwtError;
    for (i, c) in CLAIMS.iter().enumerate() {
        if required.contains(c) && !m.present[i] {
            return Err(JwtError::MissingClaim(c.name()));
        }
    }
    let leeway = i64::try_from(leeway).unwrap_or(i64::MAX);
    if let Some(exp) = m.exp
        && now >= exp.saturating_add(leeway)
    {
        return Err(JwtError::Expired { exp, now });
    }
    if let Some(nbf) = m.nbf
        && nbf > now.saturating_add(leeway)
    {
        return Err(JwtError::NotYetValid { nbf, now });
    }
    if let Some(iat) = m.iat
        && iat > now.saturating_add(leeway)
    {
        return Err(JwtError::IssuedInFuture { iat, now });
    }
    if let Some(expected) = issuer {
        match &m.iss {
            None => return Err(JwtError::MissingClaim("iss")),
            Some(iss) if iss != expected => return Err(JwtError::Issuer),
            Some(_) => {}
        }
    }
    if let Some(expected) = audience {
        match &m.aud {
            None => return Err(JwtError::MissingClaim("aud")),
            Some(list) if !list.iter().any(|a| a == expected) => return Err(JwtError::Audience),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Verifies an accepted token again under validations built from its own
/// claims (each required claim, the right and a wrong issuer and audience,
/// clocks at the edges of `exp`, `nbf` and `iat`, no and unbounded leeway, a
/// custom clock, the length cap at and one under the token's length), and
/// checks each answer against [`expected_validation`].
pub fn check_validations(
    token: &str,
    key: &[u8],
    claims: &ropc::jwt::Claims,
    value: &serde_json::Value,
) {
    use ropc::jwt::{Clock, JwtError, RegisteredClaim, Validation, verify};
    use std::time::Duration;

    let m = ClaimModel::new(claims, value);
    let leeway = ropc::jwt::DEFAULT_LEEWAY.as_secs();
    let check = |what: &str, v: Validation, expected: Result<(), JwtError>| {
        let got = verify(token, key, &v).map(|_| ());
        assert_eq!(got, expected, "{what}: {v:?}");
        if let Err(e) = &got {
            let _ = (e.kind(), e.to_string());
        }
    };
    let exp = [RegisteredClaim::Exp];

    for c in CLAIMS {
        let v = Validation::default().at(NOW).require(c);
        check(
            "require",
            v,
            expected_validation(&m, NOW, leeway, &[c, RegisteredClaim::Exp], None, None),
        );
    }
    let v = Validation::new().require_exp(false).at(NOW);
    check(
        "no exp required",
        v,
        expected_validation(&m, NOW, leeway, &[], None, None),
    );

    let wrong = |s: &[String]| format!("{}!", s.concat());
    let iss = m.iss.clone().unwrap_or_default();
    for issuer in [iss.clone(), wrong(&[iss])] {
        let v = Validation::default().at(NOW).issuer(issuer.as_str());
        assert_eq!(v.get_issuer(), Some(issuer.as_str()));
        check(
            "issuer",
            v,
            expected_validation(&m, NOW, leeway, &exp, Some(&issuer), None),
        );
    }
    let auds = m.aud.clone().unwrap_or_default();
    for audience in [
        auds.first().cloned().unwrap_or_default(),
        auds.last().cloned().unwrap_or_default(),
        wrong(&auds),
    ] {
        let v = Validation::default().at(NOW).audience(audience.as_str());
        assert_eq!(v.get_audience(), Some(audience.as_str()));
        check(
            "audience",
            v,
            expected_validation(&m, NOW, leeway, &exp, None, Some(&audience)),
        );
    }

    let mut clocks = vec![NOW];
    for t in [m.exp, m.nbf, m.iat].into_iter().flatten() {
        let l = leeway as i64;
        clocks.extend([t - l - 1, t - l, t - 1, t, t + l - 1, t + l]);
    }
    for now in clocks {
        check(
            "clock",
            Validation::default().at(now),
            expected_validation(&m, now, leeway, &exp, None, None),
        );
    }
    for l in [0, 1, u64::MAX] {
        let v = Validation::default().at(NOW).leeway(Duration::from_secs(l));
        assert_eq!(v.get_leeway(), Duration::from_secs(l));
        check(
            "leeway",
            v,
            expected_validation(&m, NOW, l, &exp, None, None),
        );
    }
    let v = Validation::default()
        .leeway(Duration::from_secs(u64::MAX))
        .at(i64::MAX);
    check(
        "leeway at the end of time",
        v,
        expected_validation(&m, i64::MAX, u64::MAX, &exp, None, None),
    );
    let v = Validation::default().clock(Clock::Custom(std::sync::Arc::new(|| NOW)));
    assert_eq!(v.get_clock().now(), NOW);
    check(
        "custom clock",
        v,
        expected_validation(&m, NOW, leeway, &exp, None, None),
    );

    let v = Validation::default().at(NOW).max_token_size(token.len());
    assert_eq!(v.get_max_token_size(), token.len());
    check("max_len", v, Ok(()));
    let v = Validation::default().at(NOW).max_token_size(token.len() - 1);
    check(
        "max_len - 1",
        v,
        Err(JwtError::TooLarge {
            size: token.len(),
            max: token.len() - 1,
        }),
    );
    let _ = format!("{claims:?}");
}
