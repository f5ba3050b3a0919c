//! Error responses (RFC 6749 §5.2) through ropc's response parser.
//!
//! The input is structured: `error`, `error_description`, `error_uri` and a
//! few other members, each an arbitrary string (serialised by serde_json,
//! escaped in full as `\uXXXX`, or pasted raw between quotes), or a value of
//! another type; an optional access token. That JSON-shaped body reaches deep
//! into ropc's own string unescaper and its error-response rules.
//!
//! Checked: never panics; an accepted error response has a non-empty code;
//! when the body is valid JSON with a non-empty string `error`, ropc returns
//! an error response with exactly that code (an `error` member wins over a
//! token), and its description and uri are the sanitised strings of the body.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ropc::_fuzz::{Parsed, error_code, parse_response as parse, sanitize};
use serde_json::Value;

#[derive(Arbitrary, Debug)]
enum Member {
    /// A string as serde_json writes it.
    Str(String),
    /// A string with every character written as a `\uXXXX` escape
    /// (surrogate pairs for astral characters).
    Escaped(String),
    /// Arbitrary text pasted between quotes, unescaped by nobody.
    Raw(String),
    /// Arbitrary text pasted as the value, quotes and all up to the fuzzer.
    Bare(String),
    Int(i64),
    Bool(bool),
    Null,
    List(Vec<String>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    error: Member,
    description: Option<Member>,
    uri: Option<Member>,
    access_token: Option<Member>,
    others: Vec<(String, Member)>,
    whitespace: bool,
}

fn render(m: &Member, out: &mut String) {
    match m {
        Member::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
        Member::Escaped(s) => {
            out.push('"');
            for unit in s.encode_utf16() {
                out.push_str(&format!("\\u{unit:04x}"));
            }
            out.push('"');
        }
        Member::Raw(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Member::Bare(s) => out.push_str(if s.is_empty() { "\"\"" } else { s }),
        Member::Int(i) => out.push_str(&i.to_string()),
        Member::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Member::Null => out.push_str("null"),
        Member::List(l) => out.push_str(&serde_json::to_string(l).unwrap()),
    }
}

fuzz_target!(|input: Input| {
    let sep = if input.whitespace { ",\n  " } else { "," };
    let mut body = String::from("{");
    let mut members: Vec<(&str, &Member)> = vec![("error", &input.error)];
    if let Some(d) = &input.description {
        members.push(("error_description", d));
    }
    if let Some(u) = &input.uri {
        members.push(("error_uri", u));
    }
    if let Some(a) = &input.access_token {
        members.push(("access_token", a));
    }
    for (name, m) in &input.others {
        members.push((name.as_str(), m));
    }
    for (i, (name, m)) in members.iter().enumerate() {
        if i > 0 {
            body.push_str(sep);
        }
        body.push_str(&serde_json::to_string(name).unwrap());
        body.push(':');
        render(m, &mut body);
    }
    body.push('}');

    let result = parse(body.as_bytes());
    if let Ok(Parsed::Error(e)) = &result {
        assert!(!e.code.as_str().is_empty(), "empty error code accepted");
    }
    if let Ok(Parsed::Token(t)) = &result {
        assert!(
            !t.access_token.expose_secret().is_empty(),
            "empty access token accepted"
        );
    }

    // The oracle: serde_json's reading of the same body, when it is a JSON
    // object without duplicate member names (ropc rejects duplicates).
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&body) else {
        return;
    };
    if map.len() != members.len() {
        return; // a duplicate name: ropc must refuse, checked elsewhere
    }
    if members
        .iter()
        .any(|(_, m)| matches!(m, Member::Bare(_) | Member::Raw(_)))
    {
        // Pasted text may hide a nested duplicate, which ropc rightly refuses.
        if result.is_err() {
            return;
        }
    }
    let Some(Value::String(code)) = map.get("error") else {
        return;
    };
    if code.is_empty() {
        assert!(result.is_err(), "empty `error` accepted");
        return;
    }
    let e = match result {
        Ok(Parsed::Error(e)) => e,
        other => panic!("body {body:?} with error {code:?} gave {other:?}"),
    };
    assert_eq!(e.code, error_code(code), "error code differs");
    let text = |name: &str| match map.get(name) {
        Some(Value::String(s)) => Some(sanitize(s, 256)).filter(|s| !s.is_empty()),
        _ => None,
    };
    assert_eq!(
        e.description,
        text("error_description"),
        "description differs"
    );
    assert_eq!(e.uri, text("error_uri"), "uri differs");
});
