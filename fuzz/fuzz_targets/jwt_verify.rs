//! `ropc::jwt::verify` on arbitrary tokens and keys.
//!
//! Input: byte 0 = mode and key length, then the key, then the rest.
//! * bit 7 clear (raw mode): the rest is the token text, as received;
//! * bit 7 set (signed mode): the rest is `header JSON 0x00 payload JSON`,
//!   which the target base64url-encodes and signs with the key itself, so the
//!   fuzzer reaches the claims parser behind the signature check.
//!
//! The low 7 bits of byte 0 are the key length (0..=127 bytes).
//!
//! Checked: never panics; whatever is accepted verifies again to the same
//! claims, is a JSON object that serialises back to itself, and its typed
//! accessors agree with it; in signed mode, an accepted payload is exactly
//! what serde_json reads from the same text (ropc is only ever stricter), and
//! a header or payload ropc calls "not valid JSON" or "not a JSON object" is
//! one serde_json says the same of (ropc's hand-written JSON reader promises
//! to accept exactly what serde_json accepts).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc::jwt::{JwtError, Validation, verify};
use ropc_fuzz::{NOW, check_claims, check_validations, sign};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let key_len = usize::from(first & 0x7f).min(rest.len());
    let (key, rest) = rest.split_at(key_len);
    let signed = first & 0x80 != 0;

    let mut payload_json = None;
    let token = if signed {
        let (header, payload) = match rest.iter().position(|&b| b == 0) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &b"{}"[..]),
        };
        payload_json = Some(payload);
        sign(header, payload, key)
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };

    let validation = Validation::default().at(NOW);
    let claims = match verify(&token, key, &validation) {
        Ok(claims) => claims,
        Err(err) => {
            // Every error has a kind and a message. (Whether they could hold
            // the key is settled by the type: JwtError carries only static
            // strings and numbers. A substring check here would only teach
            // the fuzzer to make the key out of the message.)
            let _ = (err.kind(), err.to_string(), format!("{err:?}"));
            if key.is_empty() {
                assert_eq!(err.kind(), "empty_key", "an empty key is refused first");
                return;
            }
            if signed {
                same_verdict_as_serde_json(&err, rest);
            }
            return;
        }
    };
    let value = check_claims(&claims);
    let again = verify(&token, key, &validation).expect("accepted once, accepted again");
    assert_eq!(again.to_value(), value, "re-verification gave other claims");
    assert_eq!(again.as_json(), claims.as_json());
    check_validations(&token, key, &claims, &value);

    if let Some(payload) = payload_json {
        let expected: serde_json::Value =
            serde_json::from_slice(payload).expect("ropc accepted a payload serde_json rejects");
        assert_eq!(value, expected, "claims differ from the signed payload");
        assert_eq!(
            claims.as_json().as_bytes(),
            payload,
            "as_json() is not the signed text"
        );
    }
});

/// In signed mode the signature always holds, so a JSON verdict on the header
/// or payload can be compared with serde_json's reading of the same bytes.
fn same_verdict_as_serde_json(err: &JwtError, rest: &[u8]) {
    let (header, payload) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b"{}"[..]),
    };
    let (text, why) = match err {
        JwtError::Header(why) => (header, *why),
        JwtError::Payload(why) => (payload, *why),
        _ => return,
    };
    let serde = serde_json::from_slice::<serde_json::Value>(text);
    match why {
        "not valid JSON" => {
            if let Ok(v) = serde {
                panic!("ropc: not valid JSON; serde_json: {v:?}");
            }
        }
        // Like serde_json's own `deserialize_map`, this may be said of text
        // that is not JSON at all (`[1,`): only an object contradicts it.
        "not a JSON object" => {
            if let Ok(v) = serde {
                assert!(!v.is_object(), "ropc: not a JSON object; serde_json: {v:?}");
            }
        }
        _ => {}
    }
}
