//! ropc's token response parser on arbitrary bytes.
//!
//! Checked: never panics; an accepted token response has a non-empty access
//! token (and non-empty refresh/id tokens when present, `expires_in` within
//! bounds), an error response a non-empty code and sanitised texts; and
//! whatever ropc accepts, serde_json reads as an object holding the very same
//! strings (ropc unescapes token values itself, so this checks its unescaper
//! against serde_json's).
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc::Secret;
use ropc::_fuzz::{Parsed, error_code, parse_response as parse};

/// ropc's cap on `expires_in`: ten years.
const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    // ropc tolerates one leading UTF-8 byte order mark (.NET/IIS servers send
    // it); the same body without it must get the same answer. Whitespace
    // around token_type is tolerated too (checked below).
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let data = match data.strip_prefix(BOM) {
        Some(rest) if !rest.starts_with(BOM) => {
            let with = format!("{:?}", parse(data));
            assert_eq!(
                with,
                format!("{:?}", parse(rest)),
                "a BOM changed the answer"
            );
            rest
        }
        _ => data,
    };
    let parsed = match parse(data) {
        Ok(parsed) => parsed,
        Err(err) => {
            // parse() has no status, so no excerpt of the body: the only
            // text an error can quote is a (sanitised) token_type.
            assert!(err.excerpt.is_none() && err.status.is_none(), "{err:?}");
            let _ = err.to_string();
            return;
        }
    };
    let reference: Value = match serde_json::from_slice(data) {
        Ok(v) => v,
        // RFC 8259's grammar allows a lone surrogate escape (`"\ud83d"`) and
        // numbers of any magnitude (`1e400`), which serde_json cannot put in
        // a String or an f64; ropc skips such a member unread (or drops it,
        // for error_description and error_uri). Any other disagreement is a
        // bug.
        Err(e)
            if ["surrogate", "hex escape", "number out of range"]
                .iter()
                .any(|m| e.to_string().contains(m)) =>
        {
            return;
        }
        Err(e) => panic!("ropc accepted what serde_json rejects: {e}"),
    };
    let Value::Object(map) = reference else {
        panic!("ropc accepted a body that is not an object");
    };
    let string = |name: &str| map.get(name).and_then(Value::as_str);
    match parsed {
        Parsed::Token(t) => {
            let access = t.access_token.expose_secret();
            assert!(!access.is_empty(), "empty access token accepted");
            assert!(
                map.get("error").is_none(),
                "a body with `error` parsed as a token"
            );
            assert_eq!(
                Some(access),
                string("access_token"),
                "access_token unescaped differently"
            );
            for (name, secret) in [
                ("refresh_token", &t.refresh_token),
                ("id_token", &t.id_token),
            ] {
                if let Some(s) = secret {
                    assert!(!s.expose_secret().is_empty(), "empty {name} kept");
                    assert_eq!(
                        Some(s.expose_secret()),
                        string(name),
                        "{name} unescaped differently"
                    );
                }
            }
            // Debug is redacted: it does not depend on the token values at
            // all (compared with a copy holding other values, rather than
            // searched for substrings, which the fuzzer would learn to match).
            let mut other = t.clone();
            other.access_token = Secret::from("x");
            other.refresh_token = other.refresh_token.map(|_| Secret::from("x"));
            other.id_token = other.id_token.map(|_| Secret::from("x"));
            assert_eq!(
                format!("{t:?}"),
                format!("{other:?}"),
                "Debug shows a token"
            );
            if let Some(e) = t.expires_in {
                assert!(e <= MAX_EXPIRES_IN, "expires_in {e} over the cap");
            }
            if let Some(tt) = string("token_type") {
                assert!(
                    tt.trim().eq_ignore_ascii_case("bearer"),
                    "token_type {tt:?} accepted"
                );
            }
            if let (Some(scope), Some(Value::String(s))) = (&t.scope, map.get("scope")) {
                assert_eq!(scope, s, "scope unescaped differently");
            }
        }
        Parsed::Error(e) => {
            assert!(!e.code.as_str().is_empty(), "empty error code");
            let code = string("error").expect("error code is a string in the body");
            assert_eq!(e.code, error_code(code), "error code differs");
            for text in [&e.description, &e.uri].into_iter().flatten() {
                assert!(!text.is_empty());
                assert!(text.chars().count() <= 256, "text over 256 characters");
                assert!(
                    !text.chars().any(char::is_control),
                    "control character kept"
                );
            }
            let _ = e.to_string();
        }
    }
});
