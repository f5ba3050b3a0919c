//! The redactor (`src/redact.rs`) with real secrets in play.
//!
//! The fuzzer picks a request's secrets (client id and secret, up to three
//! values such as the password and a refresh token) and a hostile provider
//! text built of raw bytes and of the secrets in every spelling the redactor
//! promises to cover, each re-cased at will. The spellings are written here,
//! independently of ropc, from the redactor's documentation:
//!
//! * each secret as it is, form-urlencoded (space as `+` and as `%20`),
//!   JSON-escaped as serde_json writes it, with `/` as `\/` (PHP), with every
//!   character beyond ASCII as `\uXXXX` (Python's default, PHP), and both;
//!   HTML-escaped (`&`, `<`, `>`, `"` as entities, `'` as `&#39;`, `&#x27;`
//!   or `&#039;`); standard base64;
//! * with a client secret, the Basic credentials `base64(id:secret)` and
//!   `base64(form(id):form(secret))`;
//! * any of these with ASCII letters in either case.
//!
//! The redactor hides every non-empty secret, however short, so no minimum
//! length applies. Checked: `clean` never panics; what it shows holds no
//! control character; none of those spellings (ASCII case aside) is left in
//! any stretch of the output between two `[redacted]` markers (such a stretch
//! is a run of the input shown as it is, so a spelling found there was in
//! the input, unhidden; the marker itself and the text around it are not
//! searched across, so a secret such as `e` is not found in `[redacted]`);
//! with a limit, the output is the first `max` characters of the unlimited
//! one (redaction comes before the cut).
//!
//! The output shows a control character as a space and bytes that are not
//! UTF-8 as U+FFFD: a spelling holding a space is searched for only when
//! the input has no control character, one holding U+FFFD only when the
//! input is UTF-8, and one holding a control character never (it cannot be
//! shown), so that what the rendering made is not taken for a leak.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;

const MARKER: &str = "[redacted]";

#[derive(Arbitrary, Debug)]
enum Piece {
    /// Bytes of the provider's own (not necessarily UTF-8).
    Text(Vec<u8>),
    /// Spelling `kind` of secret `secret`, ASCII letters flipped to the
    /// other case where the bits of `recase` say.
    Spelling { secret: u8, kind: u8, recase: u64 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    client_id: String,
    client_secret: String,
    values: Vec<String>,
    pieces: Vec<Piece>,
    max: u16,
}

/// WHATWG form-urlencoding (the serializer ropc uses on the wire), written
/// here again: unreserved bytes as they are, space as `+`, others `%XX`.
fn form(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The inside of a JSON string as serde_json, Python's `json.dumps` and PHP's
/// `json_encode` write it: `"`, `\`, and the control characters with a short
/// escape (`\b \f \n \r \t`) escaped so, other control characters as
/// `\u00xx`; `/` as `\/` when `slash` (PHP); characters beyond ASCII as
/// `\uxxxx` (surrogate pairs beyond U+FFFF) when `ascii_only` (Python's
/// default, PHP's).
fn json(s: &str, ascii_only: bool, slash: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if slash => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || (ascii_only && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn html(s: &str, apostrophe: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            c => out.push(c),
        }
    }
    out
}

/// Every spelling of `value` the redactor promises to hide.
fn spellings(value: &str) -> Vec<String> {
    let mut out = vec![
        value.to_owned(),
        form(value),
        form(value).replace('+', "%20"),
    ];
    let serde = serde_json::to_string(value).expect("a string serialises");
    let serde_inner = &serde[1..serde.len() - 1];
    assert_eq!(
        serde_inner,
        json(value, false, false),
        "the target's JSON escaping is not serde_json's"
    );
    for ascii_only in [false, true] {
        for slash in [false, true] {
            out.push(json(value, ascii_only, slash));
        }
    }
    for apostrophe in ["&#39;", "&#x27;", "&#039;"] {
        out.push(html(value, apostrophe));
    }
    out.push(STANDARD.encode(value));
    out
}

fn recased(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 && c.is_ascii_alphabetic() {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

/// Whether `needle` occurs in `hay`, ASCII letters compared without case.
fn find_ignoring_ascii_case(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

fuzz_target!(|input: Input| {
    let Input {
        client_id,
        client_secret,
        mut values,
        pieces,
        max,
    } = input;
    values.truncate(3);

    // Each secret with its spellings; the client secret also has the Basic
    // credentials.
    let mut secrets: Vec<(&str, Vec<String>)> = Vec::new();
    for v in values.iter().chain(std::iter::once(&client_secret)) {
        if !v.is_empty() {
            secrets.push((v.as_str(), spellings(v)));
        }
    }
    if !client_secret.is_empty() {
        let basic = [
            STANDARD.encode(format!("{client_id}:{client_secret}")),
            STANDARD.encode(format!("{}:{}", form(&client_id), form(&client_secret))),
        ];
        let last = secrets.len() - 1;
        secrets[last].1.extend(basic);
    }

    let mut text = Vec::new();
    for piece in &pieces {
        match piece {
            Piece::Text(bytes) => text.extend_from_slice(bytes),
            Piece::Spelling {
                secret,
                kind,
                recase,
            } => {
                if secrets.is_empty() {
                    continue;
                }
                let (_, list) = &secrets[usize::from(*secret) % secrets.len()];
                let s = &list[usize::from(*kind) % list.len()];
                text.extend_from_slice(recased(s, *recase).as_bytes());
            }
        }
    }

    let ids: Vec<&str> = values.iter().map(String::as_str).collect();
    let shown = ropc::_fuzz::redact(&client_id, &client_secret, &ids, &text, usize::MAX);
    assert!(
        !shown.chars().any(char::is_control),
        "a control character shown: {shown:?}"
    );

    let lossy = String::from_utf8_lossy(&text);
    let is_utf8 = std::str::from_utf8(&text).is_ok();
    let has_control = lossy.chars().any(char::is_control);
    let stretches: Vec<&str> = shown.split(MARKER).collect();
    for (secret, list) in &secrets {
        for s in list {
            if s.chars().any(char::is_control)
                || (s.contains(' ') && has_control)
                || (s.contains('\u{fffd}') && !is_utf8)
            {
                continue;
            }
            for stretch in &stretches {
                if let Some(at) = find_ignoring_ascii_case(stretch, s) {
                    panic!(
                        "spelling {s:?} of secret {secret:?} shown at {at} of {stretch:?}\n\
                         input text: {lossy:?}\nshown: {shown:?}"
                    );
                }
            }
        }
    }

    // Redaction comes before the cut: the limited text is a prefix.
    let max = usize::from(max);
    let cut = ropc::_fuzz::redact(&client_id, &client_secret, &ids, &text, max);
    let expected: String = shown.chars().take(max).collect();
    assert_eq!(cut, expected, "cut at {max}");
});
