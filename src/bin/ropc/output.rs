//! What `ropc` prints: JSON in zeroized buffers, and stdout written without
//! std's buffer.

use std::io::Write;

use ropc::{Secret, Tokens, Zeroizing};

use crate::Fail;

/// Appends `s` as a JSON string.
fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends JSON text with the whitespace between tokens removed; strings and
/// numbers are kept byte for byte (so `u64::MAX` or `2^53+1` keep their value).
pub(crate) fn push_compact_json(out: &mut String, json: &str) {
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            out.push(c);
        }
    }
}

/// A `File` on a duplicate of the stream's descriptor: reads and writes go
/// straight to the kernel, not through std's stdin/stdout buffers, which are
/// never freed or wiped and would keep a copy of the password or the tokens
/// for the life of the process.
pub(crate) fn unbuffered(stream: &impl std::os::fd::AsFd) -> std::io::Result<std::fs::File> {
    Ok(std::fs::File::from(stream.as_fd().try_clone_to_owned()?))
}

/// Writes `text` to stdout in one go (unbuffered), then wipes it.
pub(crate) fn emit(text: Zeroizing<String>) -> Result<(), Fail> {
    let fail = |e: std::io::Error| Fail::usage(format!("cannot write to stdout: {e}"));
    // Anything std buffered earlier goes first.
    std::io::stdout().flush().map_err(fail)?;
    let mut out = unbuffered(&std::io::stdout()).map_err(fail)?;
    out.write_all(text.as_bytes()).map_err(fail)
}

pub(crate) fn tokens_json(tokens: &Tokens) -> Zeroizing<String> {
    let claims = tokens.claims().as_json();
    let access = tokens.access_token().expose_secret();
    let refresh = tokens.refresh_token().map(Secret::expose_secret);
    // Sized once for the worst case (every character escaped as \uXXXX), so
    // the buffer never grows and leaves an unwiped copy behind.
    let scope = tokens.scope().map_or(0, str::len);
    let mut out = Zeroizing::new(String::with_capacity(
        claims.len() + (access.len() + refresh.map_or(0, str::len) + scope) * 6 + 256,
    ));
    out.push_str("{\"token_type\":\"Bearer\",\"access_token\":");
    push_json_str(&mut out, access);
    out.push_str(",\"refresh_token\":");
    match refresh {
        Some(r) => push_json_str(&mut out, r),
        None => out.push_str("null"),
    }
    out.push_str(",\"expires_in\":");
    match tokens.expires_in() {
        Some(n) => out.push_str(&n.to_string()),
        None => out.push_str("null"),
    }
    out.push_str(",\"scope\":");
    match tokens.scope() {
        Some(s) => push_json_str(&mut out, s),
        None => out.push_str("null"),
    }
    out.push_str(",\"claims\":");
    push_compact_json(&mut out, claims);
    out.push_str("}\n");
    out
}
