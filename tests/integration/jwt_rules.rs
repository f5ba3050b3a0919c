//! One test per rule of `ropc::jwt::verify`, named after the rule.

use crate::common;

use common::{HEADER, KEY, NOW, b64, hs256, sign, token};
use ropc::jwt::{Clock, JwtError, RegisteredClaim, Segment, Validation, verify};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

fn at_now() -> Validation {
    Validation::default().at(NOW)
}

fn valid_payload() -> String {
    format!(r#"{{"sub":"alice","exp":{}}}"#, NOW + 3600)
}

fn kind(token: &str) -> &'static str {
    verify(token, KEY, &at_now()).unwrap_err().kind()
}

#[test]
fn accepts_a_well_formed_token() {
    let claims = verify(&token(&valid_payload()), KEY, &at_now()).unwrap();
    assert_eq!(claims.sub(), Some("alice"));
    assert_eq!(claims.exp(), Some(NOW + 3600));
}

#[test]
fn size_cap_is_checked_before_decoding() {
    // Not even base64: the cap must fire first.
    let huge = "!".repeat(ropc::jwt::DEFAULT_MAX_TOKEN_SIZE + 1);
    assert_eq!(
        verify(&huge, KEY, &at_now()).unwrap_err(),
        JwtError::TooLarge {
            size: huge.len(),
            max: 16384
        }
    );
}

#[test]
fn size_cap_is_configurable() {
    let t = token(&valid_payload());
    let v = at_now().max_token_size(t.len() - 1);
    assert_eq!(verify(&t, KEY, &v).unwrap_err().kind(), "too_large");
    assert!(verify(&t, KEY, &at_now().max_token_size(t.len())).is_ok());
}

#[test]
fn requires_exactly_three_segments() {
    let t = token(&valid_payload());
    let mut parts = t.split('.');
    let (h, p, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert_eq!(kind(&format!("{h}.{p}")), "malformed");
    assert_eq!(kind(&format!("{h}.{p}.{s}.{s}")), "malformed");
    assert_eq!(kind(&format!("{h}.{p}.{s}.")), "malformed");
    assert_eq!(kind(""), "malformed");
    assert_eq!(kind(&t.replace('.', "")), "malformed");
}

#[test]
fn rejects_empty_segments() {
    let t = token(&valid_payload());
    let mut parts = t.split('.');
    let (h, p, s) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert_eq!(kind(&format!(".{p}.{s}")), "malformed");
    assert_eq!(kind(&format!("{h}..{s}")), "malformed");
    assert_eq!(kind(&format!("{h}.{p}.")), "malformed");
    assert_eq!(kind(".."), "malformed");
}

#[test]
fn rejects_padding_in_any_segment() {
    // A payload whose base64 needs padding, then with the padding added.
    let input = format!(
        "{}.{}",
        b64(HEADER),
        b64(format!(r#"{{"exp":{} }}"#, NOW + 60))
    );
    let sig = hs256(&input, KEY);
    let (h, p) = input.split_once('.').unwrap();
    assert!(p.len() % 4 != 0);
    let padded = format!("{h}.{p}{}", "=".repeat(4 - p.len() % 4));
    let err = verify(&format!("{padded}.{sig}"), KEY, &at_now()).unwrap_err();
    assert_eq!(
        err,
        JwtError::Base64 {
            segment: Segment::Payload
        }
    );
    let err = verify(&format!("{input}.{sig}="), KEY, &at_now()).unwrap_err();
    assert_eq!(
        err,
        JwtError::Base64 {
            segment: Segment::Signature
        }
    );
}

#[test]
fn rejects_standard_alphabet_plus_and_slash() {
    let t = token(&valid_payload());
    let (h, rest) = t.split_once('.').unwrap();
    for (from, to) in [('-', '+'), ('_', '/')] {
        // Put a standard-alphabet character in the header segment.
        let bad = format!("{}{}.{rest}", &h[..h.len() - 1], to);
        assert_eq!(
            verify(&bad, KEY, &at_now()).unwrap_err().kind(),
            "base64",
            "{from}->{to}"
        );
    }
}

#[test]
fn rejects_whitespace_anywhere() {
    let t = token(&valid_payload());
    for i in [0, 5, t.len() / 2, t.len() - 1] {
        for ws in [" ", "\n", "\t", "\r\n"] {
            let mut bad = t.clone();
            bad.insert_str(i, ws);
            let err = verify(&bad, KEY, &at_now()).unwrap_err();
            assert!(matches!(err.kind(), "base64"), "{i} {ws:?}: {err}");
        }
    }
    assert_eq!(kind(&format!("{t}\n")), "base64");
    assert_eq!(kind(&format!(" {t}")), "base64");
}

#[test]
fn rejects_non_canonical_trailing_bits() {
    // The signature is 32 bytes = 43 chars; the last char carries 4 unused
    // bits. Setting one of them gives the same bytes with a non-canonical text.
    let t = token(&valid_payload());
    let (input, sig) = t.rsplit_once('.').unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = alphabet.find(sig.chars().last().unwrap()).unwrap();
    assert_eq!(last & 0b11, 0);
    let tweaked = alphabet.as_bytes()[last | 1] as char;
    let bad = format!("{input}.{}{tweaked}", &sig[..sig.len() - 1]);
    assert_eq!(
        verify(&bad, KEY, &at_now()).unwrap_err(),
        JwtError::Base64 {
            segment: Segment::Signature
        }
    );
}

#[test]
fn rejects_alg_none_in_any_case() {
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
        // With a real-length tag...
        let t = sign(&header, &valid_payload(), KEY);
        assert_eq!(kind(&t), "algorithm", "{alg}");
        // ...and in the unsecured form, with an empty signature.
        let (input, _) = t.rsplit_once('.').unwrap();
        assert_eq!(kind(&format!("{input}.")), "malformed", "{alg}");
    }
}

#[test]
fn accepts_only_exactly_hs256() {
    for alg in [
        "HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA", "hs256", "HS256 ", " HS256",
        "HS2560", "",
    ] {
        let t = sign(&format!(r#"{{"alg":"{alg}"}}"#), &valid_payload(), KEY);
        // A recognised algorithm is named by its canonical name; any other
        // text is never repeated.
        let found = ["HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA"]
            .into_iter()
            .find(|&known| known == alg);
        assert_eq!(
            verify(&t, KEY, &at_now()).unwrap_err(),
            JwtError::Algorithm { found },
            "{alg:?}"
        );
    }
}

#[test]
fn rejects_missing_or_non_string_alg() {
    for header in [
        r#"{"typ":"JWT"}"#,
        r#"{"alg":null}"#,
        r#"{"alg":256}"#,
        r#"{"alg":["HS256"]}"#,
        r#"{"alg":{"v":"HS256"}}"#,
    ] {
        let t = sign(header, &valid_payload(), KEY);
        assert_eq!(kind(&t), "header", "{header}");
    }
}

#[test]
fn rejects_any_crit() {
    for crit in [r#"["exp"]"#, "[]", r#""b64""#] {
        let t = sign(
            &format!(r#"{{"alg":"HS256","crit":{crit}}}"#),
            &valid_payload(),
            KEY,
        );
        assert_eq!(kind(&t), "header", "{crit}");
    }
}

#[test]
fn typ_must_be_jwt_or_at_jwt_case_insensitively() {
    for typ in [
        "JWT",
        "jwt",
        "Jwt",
        "at+jwt",
        "AT+JWT",
        "application/jwt",
        "application/at+JWT",
    ] {
        let t = sign(
            &format!(r#"{{"alg":"HS256","typ":"{typ}"}}"#),
            &valid_payload(),
            KEY,
        );
        assert!(verify(&t, KEY, &at_now()).is_ok(), "{typ}");
    }
    for typ in [
        r#""JWS""#,
        r#""jose""#,
        r#""""#,
        "1",
        r#"["JWT"]"#,
        r#""application/""#,
    ] {
        let t = sign(
            &format!(r#"{{"alg":"HS256","typ":{typ}}}"#),
            &valid_payload(),
            KEY,
        );
        assert_eq!(kind(&t), "header", "{typ}");
    }
}

#[test]
fn typ_null_means_no_type() {
    // PyJWT, node jsonwebtoken and the jsonwebtoken crate accept these.
    let t = sign(r#"{"alg":"HS256","typ":null}"#, &valid_payload(), KEY);
    assert_eq!(verify(&t, KEY, &at_now()).unwrap().sub(), Some("alice"));
}

#[test]
fn an_empty_key_is_refused_with_its_own_kind() {
    // A token MACed with the empty key would otherwise verify.
    let t = sign(HEADER, &valid_payload(), b"");
    let err = verify(&t, b"", &at_now()).unwrap_err();
    assert_eq!(err, JwtError::EmptyKey);
    assert_eq!(err.kind(), "empty_key");
    // Checked before anything else: even a malformed token says so.
    assert_eq!(verify("", b"", &at_now()).unwrap_err().kind(), "empty_key");
}

#[test]
fn header_must_be_a_json_object() {
    for header in [
        "[]",
        r#""HS256""#,
        "1",
        "null",
        "{",
        r#"{"alg":"HS256"} x"#,
        "\u{ff}",
    ] {
        let t = sign(header, &valid_payload(), KEY);
        assert_eq!(kind(&t), "header", "{header}");
    }
}

#[test]
fn rejects_duplicate_members_in_header() {
    let dups = [
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"none","alg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
        r#"{"alg":"HS256","\u0061lg":"HS256"}"#,
        r#"{"alg":"HS256","kid":{"a":1,"a":2}}"#,
    ];
    for header in dups {
        assert_eq!(
            kind(&sign(header, &valid_payload(), KEY)),
            "header",
            "{header}"
        );
    }
}

#[test]
fn signature_is_checked_with_the_key() {
    let t = token(&valid_payload());
    assert_eq!(
        verify(&t, b"another key", &at_now()).unwrap_err(),
        JwtError::Signature
    );
    assert_eq!(verify(&t, b"", &at_now()).unwrap_err(), JwtError::EmptyKey);
}

#[test]
fn any_single_byte_change_breaks_the_signature() {
    let t = token(&valid_payload());
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for i in 0..t.len() {
        if t.as_bytes()[i] == b'.' {
            continue;
        }
        for &c in alphabet.iter().step_by(7) {
            if c == t.as_bytes()[i] {
                continue;
            }
            let mut bad = t.clone().into_bytes();
            bad[i] = c;
            let bad = String::from_utf8(bad).unwrap();
            assert!(
                verify(&bad, KEY, &at_now()).is_err(),
                "byte {i} -> {}",
                c as char
            );
        }
    }
}

#[test]
fn signature_must_be_32_bytes() {
    let t = token(&valid_payload());
    let (input, sig) = t.rsplit_once('.').unwrap();
    // Truncated tag (a valid base64 of 24 bytes) and an HS512-sized tag.
    assert_eq!(kind(&format!("{input}.{}", &sig[..32])), "signature");
    assert_eq!(kind(&format!("{input}.{}", b64([7u8; 64]))), "signature");
    assert_eq!(kind(&format!("{input}.{}", b64([0u8; 33]))), "signature");
}

#[test]
fn signature_is_checked_before_the_payload_is_parsed() {
    // A payload that is not JSON, with a wrong signature: the signature error wins.
    let input = format!("{}.{}", b64(HEADER), b64("not json"));
    let t = format!("{input}.{}", hs256(&input, b"other"));
    assert_eq!(verify(&t, KEY, &at_now()).unwrap_err(), JwtError::Signature);
    // Same with a payload that is not even valid base64 content-wise (bad UTF-8).
    let input = format!("{}.{}", b64(HEADER), b64([0xff, 0xfe]));
    let t = format!("{input}.{}", hs256(&input, b"other"));
    assert_eq!(verify(&t, KEY, &at_now()).unwrap_err(), JwtError::Signature);
}

#[test]
fn signature_covers_the_received_bytes() {
    // Same JSON, different whitespace: a different signing input.
    let a = token(r#"{"exp":1700003600}"#);
    let b = token(r#"{ "exp":1700003600}"#);
    let (a_input, _) = a.rsplit_once('.').unwrap();
    let (_, b_sig) = b.rsplit_once('.').unwrap();
    assert_eq!(kind(&format!("{a_input}.{b_sig}")), "signature");
}

#[test]
fn payload_must_be_a_json_object() {
    for payload in [
        "[]",
        "1",
        r#""exp""#,
        "null",
        "{",
        "",
        "{}}",
        r#"{"exp":1} {}"#,
    ] {
        let input = format!("{}.{}", b64(HEADER), b64(payload));
        if payload.is_empty() {
            // An empty payload is an empty segment.
            assert_eq!(
                kind(&format!("{input}.{}", hs256(&input, KEY))),
                "malformed"
            );
            continue;
        }
        assert_eq!(kind(&token(payload)), "payload", "{payload}");
    }
}

#[test]
fn payload_must_be_utf8() {
    let input = format!(
        "{}.{}",
        b64(HEADER),
        b64(b"{\"sub\":\"\xff\",\"exp\":1700003600}")
    );
    let t = format!("{input}.{}", hs256(&input, KEY));
    assert_eq!(
        verify(&t, KEY, &at_now()).unwrap_err(),
        JwtError::Payload("not valid UTF-8")
    );
}

#[test]
fn rejects_duplicate_members_in_payload() {
    let exp = NOW + 3600;
    let dups = [
        format!(r#"{{"exp":{exp},"exp":{exp}}}"#),
        format!(r#"{{"exp":{exp},"sub":"a","sub":"b"}}"#),
        format!(r#"{{"exp":{exp},"role":"user","role":"admin"}}"#),
        format!(r#"{{"exp":{exp},"x":{{"y":1,"y":2}}}}"#),
        format!(r#"{{"exp":{exp},"x":[{{"y":1,"y":2}}]}}"#),
        format!(r#"{{"exp":{exp},"sub":"a","\u0073ub":"b"}}"#),
        format!(r#"{{"exp":{exp},"aud":["a",{{"y":1,"y":2}}]}}"#),
    ];
    for payload in &dups {
        assert_eq!(
            verify(&token(payload), KEY, &at_now()).unwrap_err(),
            JwtError::Payload("duplicate member name"),
            "{payload}"
        );
    }
}

#[test]
fn exp_is_required_by_default_and_can_be_switched_off() {
    let t = token(r#"{"sub":"a"}"#);
    assert_eq!(
        verify(&t, KEY, &at_now()).unwrap_err(),
        JwtError::MissingClaim("exp")
    );
    assert!(verify(&t, KEY, &at_now().require_exp(false)).is_ok());
}

#[test]
fn required_claims_must_be_present() {
    let t = token(&valid_payload());
    for (claim, name) in [
        (RegisteredClaim::Iss, "iss"),
        (RegisteredClaim::Aud, "aud"),
        (RegisteredClaim::Jti, "jti"),
        (RegisteredClaim::Iat, "iat"),
        (RegisteredClaim::Nbf, "nbf"),
    ] {
        assert_eq!(
            verify(&t, KEY, &at_now().require(claim)).unwrap_err(),
            JwtError::MissingClaim(name)
        );
    }
    assert!(verify(&t, KEY, &at_now().require(RegisteredClaim::Sub)).is_ok());
}

#[test]
fn exp_is_valid_strictly_before_exp_plus_leeway() {
    let exp = NOW;
    let t = token(&format!(r#"{{"exp":{exp}}}"#));
    let v = |now| {
        Validation::default()
            .leeway(Duration::from_secs(60))
            .at(now)
    };
    assert!(verify(&t, KEY, &v(exp + 59)).is_ok());
    assert_eq!(
        verify(&t, KEY, &v(exp + 60)).unwrap_err(),
        JwtError::Expired { exp, now: exp + 60 }
    );
    let strict = Validation::default().leeway(Duration::ZERO);
    assert!(verify(&t, KEY, &strict.clone().at(exp - 1)).is_ok());
    assert_eq!(
        verify(&t, KEY, &strict.at(exp)).unwrap_err().kind(),
        "expired"
    );
}

#[test]
fn nbf_may_be_at_most_now_plus_leeway() {
    let t = token(&format!(r#"{{"exp":{},"nbf":{}}}"#, NOW + 3600, NOW + 60));
    assert!(verify(&t, KEY, &at_now()).is_ok());
    let t = token(&format!(r#"{{"exp":{},"nbf":{}}}"#, NOW + 3600, NOW + 61));
    assert_eq!(
        verify(&t, KEY, &at_now()).unwrap_err(),
        JwtError::NotYetValid {
            nbf: NOW + 61,
            now: NOW
        }
    );
}

#[test]
fn iat_may_not_be_beyond_now_plus_leeway() {
    let t = token(&format!(r#"{{"exp":{},"iat":{}}}"#, NOW + 3600, NOW + 60));
    assert!(verify(&t, KEY, &at_now()).is_ok());
    let t = token(&format!(r#"{{"exp":{},"iat":{}}}"#, NOW + 3600, NOW + 61));
    assert_eq!(
        verify(&t, KEY, &at_now()).unwrap_err().kind(),
        "issued_in_future"
    );
}

#[test]
fn default_leeway_is_60_seconds() {
    assert_eq!(Validation::default().get_leeway(), Duration::from_secs(60));
    let t = token(&format!(r#"{{"exp":{}}}"#, NOW - 59));
    assert!(verify(&t, KEY, &at_now()).is_ok());
    let t = token(&format!(r#"{{"exp":{}}}"#, NOW - 60));
    assert_eq!(kind(&t), "expired");
}

#[test]
fn numeric_date_rejects_wrong_types() {
    for claim in ["exp", "nbf", "iat"] {
        for value in [
            r#""1700003600""#,
            "true",
            "null",
            "[1700003600]",
            r#"{"v":1}"#,
        ] {
            let mut payload = format!(r#"{{"{claim}":{value}"#);
            if claim != "exp" {
                payload.push_str(&format!(r#","exp":{}"#, NOW + 3600));
            }
            payload.push('}');
            let err = verify(&token(&payload), KEY, &at_now()).unwrap_err();
            assert!(
                matches!(err, JwtError::InvalidClaim { claim: c, .. } if c == claim),
                "{payload}: {err}"
            );
        }
    }
}

#[test]
fn numeric_date_rejects_out_of_range_values() {
    for value in [
        "-1",
        "1e300",
        "253402300800",
        "18446744073709551615",
        "-9223372036854775808",
        "-0.5",
    ] {
        let err = verify(&token(&format!(r#"{{"exp":{value}}}"#)), KEY, &at_now()).unwrap_err();
        assert_eq!(err.kind(), "invalid_claim", "{value}");
    }
    // Not representable as f64 at all: the JSON layer refuses it.
    assert_eq!(kind(&token(r#"{"exp":1e400}"#)), "payload");
}

#[test]
fn numeric_date_accepts_finite_fractions() {
    let t = token(&format!(
        r#"{{"exp":{}.9,"nbf":{}.1,"iat":1.5e9}}"#,
        NOW + 10,
        NOW - 10
    ));
    let c = verify(&t, KEY, &at_now()).unwrap();
    assert_eq!(c.exp(), Some(NOW + 10)); // floored
    assert_eq!(c.nbf(), Some(NOW - 9)); // ceiled
    assert_eq!(c.iat(), Some(1_500_000_000));
}

#[test]
fn string_claims_must_be_strings() {
    for (claim, value) in [
        ("iss", "1"),
        ("sub", "true"),
        ("jti", r#"{"a":1}"#),
        ("iss", "[\"a\"]"),
    ] {
        let payload = format!(r#"{{"exp":{},"{claim}":{value}}}"#, NOW + 3600);
        let err = verify(&token(&payload), KEY, &at_now()).unwrap_err();
        assert_eq!(
            err,
            JwtError::InvalidClaim {
                claim: if claim == "iss" {
                    "iss"
                } else if claim == "sub" {
                    "sub"
                } else {
                    "jti"
                },
                reason: "must be a string"
            }
        );
    }
}

#[test]
fn aud_is_a_string_or_an_array_of_strings() {
    for value in ["1", "null", r#"["a",1]"#, r#"{"a":"b"}"#, r#"[["a"]]"#] {
        let payload = format!(r#"{{"exp":{},"aud":{value}}}"#, NOW + 3600);
        assert_eq!(kind(&token(&payload)), "invalid_claim", "{value}");
    }
    let t = token(&format!(r#"{{"exp":{},"aud":["a","b"]}}"#, NOW + 3600));
    let c = verify(&t, KEY, &at_now()).unwrap();
    assert_eq!(c.aud().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn issuer_must_match_exactly_when_expected() {
    let t = token(&format!(
        r#"{{"exp":{},"iss":"https://id.example"}}"#,
        NOW + 3600
    ));
    assert!(verify(&t, KEY, &at_now().issuer("https://id.example")).is_ok());
    for other in [
        "https://id.example/",
        "HTTPS://ID.EXAMPLE",
        "https://evil.example",
        "",
    ] {
        assert_eq!(
            verify(&t, KEY, &at_now().issuer(other)).unwrap_err(),
            JwtError::Issuer
        );
    }
    assert!(
        verify(&t, KEY, &at_now()).is_ok(),
        "not checked when not expected"
    );
    let no_iss = token(&valid_payload());
    assert_eq!(
        verify(&no_iss, KEY, &at_now().issuer("x")).unwrap_err(),
        JwtError::MissingClaim("iss")
    );
}

#[test]
fn audience_must_be_contained_when_expected() {
    let one = token(&format!(r#"{{"exp":{},"aud":"api"}}"#, NOW + 3600));
    let many = token(&format!(r#"{{"exp":{},"aud":["web","api"]}}"#, NOW + 3600));
    let empty = token(&format!(r#"{{"exp":{},"aud":[]}}"#, NOW + 3600));
    let none = token(&valid_payload());
    assert!(verify(&one, KEY, &at_now().audience("api")).is_ok());
    assert!(verify(&many, KEY, &at_now().audience("api")).is_ok());
    assert_eq!(
        verify(&one, KEY, &at_now().audience("API")).unwrap_err(),
        JwtError::Audience
    );
    assert_eq!(
        verify(&many, KEY, &at_now().audience("ap")).unwrap_err(),
        JwtError::Audience
    );
    assert_eq!(
        verify(&empty, KEY, &at_now().audience("api")).unwrap_err(),
        JwtError::Audience
    );
    assert_eq!(
        verify(&none, KEY, &at_now().audience("api")).unwrap_err(),
        JwtError::MissingClaim("aud")
    );
    assert!(
        verify(&many, KEY, &at_now()).is_ok(),
        "not checked when not expected"
    );
}

#[test]
fn clock_is_injectable() {
    let t = token(&format!(r#"{{"exp":{}}}"#, NOW + 100));
    let now = Arc::new(AtomicI64::new(NOW));
    let n = now.clone();
    let v = Validation::default()
        .leeway(Duration::ZERO)
        .clock(Clock::Custom(Arc::new(move || n.load(Ordering::SeqCst))));
    assert!(verify(&t, KEY, &v).is_ok());
    now.store(NOW + 100, Ordering::SeqCst);
    assert_eq!(verify(&t, KEY, &v).unwrap_err().kind(), "expired");
}

#[test]
fn other_claims_are_kept_as_json_with_their_exact_values() {
    let payload = format!(
        r#"{{"exp":{},"big":18446744073709551615,"neg":-9223372036854775808,"odd":9007199254740993,"f":1.5,"o":{{"a":[1,null,true]}},"s":"\"é\u00e9\n"}}"#,
        NOW + 3600
    );
    let c = verify(&token(&payload), KEY, &at_now()).unwrap();
    assert_eq!(c.get("big").unwrap().as_u64(), Some(u64::MAX));
    assert_eq!(c.get("neg").unwrap().as_i64(), Some(i64::MIN));
    assert_eq!(c.get("odd").unwrap().as_u64(), Some(9_007_199_254_740_993));
    assert_eq!(c.get("f").unwrap().as_f64(), Some(1.5));
    assert_eq!(
        c.get("o").unwrap(),
        serde_json::json!({"a": [1, null, true]})
    );
    assert_eq!(c.get("s").unwrap(), serde_json::json!("\"éé\n"));
    assert_eq!(c.get("missing"), None);
    assert_eq!(c.as_json(), payload);
    assert!(c.to_value().is_object());
}

#[test]
fn escaped_registered_claims_are_unescaped() {
    let payload = format!(
        r#"{{"exp":{},"sub":"a\"b","iss":"\u0069d","aud":["x\/y"],"jti":"j"}}"#,
        NOW + 3600
    );
    let c = verify(&token(&payload), KEY, &at_now()).unwrap();
    assert_eq!(c.sub(), Some("a\"b"));
    assert_eq!(c.iss(), Some("id"));
    assert_eq!(c.aud().collect::<Vec<_>>(), ["x/y"]);
    assert_eq!(c.jti(), Some("j"));
}

#[test]
fn errors_never_show_key_or_token_bytes() {
    let key = b"KEYMARKER-123456";
    let t = sign(HEADER, r#"{"exp":1,"sub":"SUBMARKER"}"#, key);
    let cases = [
        verify(&t, b"wrong", &at_now()).unwrap_err(),
        verify(&t, key, &at_now()).unwrap_err(),
        verify(&format!("{t}x"), key, &at_now()).unwrap_err(),
        verify("a.b", key, &at_now()).unwrap_err(),
    ];
    for e in cases {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("MARKER"), "{shown}");
        let (h, _) = t.split_once('.').unwrap();
        assert!(!shown.contains(h));
    }
}

#[test]
fn claims_debug_leaves_out_personal_claims() {
    let t = token(&format!(
        r#"{{"exp":{},"sub":"SUBMARKER","email":"MAILMARKER"}}"#,
        NOW + 3600
    ));
    let c = verify(&t, KEY, &at_now()).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("MARKER"), "{shown}");
    assert!(shown.contains("exp"));
}

#[test]
fn display_names_the_failed_check() {
    assert!(JwtError::Signature.to_string().contains("signature"));
    assert!(
        JwtError::Expired { exp: 1, now: 2 }
            .to_string()
            .contains("expired")
    );
    let alg = JwtError::Algorithm {
        found: Some("RS256"),
    };
    assert_eq!(
        alg.to_string(),
        "unacceptable token algorithm RS256: only HS256 is accepted with a client secret \
         (RS256 needs the provider's public keys, a key set)"
    );
    assert!(
        !JwtError::Algorithm { found: None }
            .to_string()
            .contains("RS256")
    );
    assert!(JwtError::MissingClaim("aud").to_string().contains("aud"));
}

#[test]
fn large_headers_are_decoded_too() {
    let kid = "k".repeat(2000);
    let t = sign(
        &format!(r#"{{"alg":"HS256","kid":"{kid}"}}"#),
        &valid_payload(),
        KEY,
    );
    assert!(verify(&t, KEY, &at_now()).is_ok());
}
