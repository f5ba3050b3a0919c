//! The token store's file format (`ropc-store 1`, `src/store/format.rs`):
//! what `FileStore::load` parses and `FileStore::save` writes.
//!
//! Input: the file's bytes. Checked:
//!
//! * the parser never panics;
//! * what it accepts is a whole store as the format describes it: a first
//!   line `ropc-store 1`, a last line `end` (so the text ends in `\nend\n`),
//!   every line printable ASCII (a token may hold spaces), at least one
//!   token; each token is kept as it came, byte for byte, the rest of its
//!   line after `access_token ` / `refresh_token `;
//! * what it accepts is written again (the writer cannot refuse tokens the
//!   reader took), and the text written reads back to the same tokens;
//!   the written text is printable ASCII lines, and no truncation of it
//!   that could look whole (every cut ending in `end\n` or at a line end)
//!   is accepted;
//! * the verdict does not depend on token values: the same file with every
//!   printable character of its token lines' values changed (spaces and
//!   everything else kept) gives the same error, or tokens that differ by
//!   that change alone, the same `Debug` and the same other items. The
//!   error is a `&'static str` (the type says so: it cannot hold input
//!   bytes), and `FileStore::load` adds only the path to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ropc::_fuzz::{parse_store, serialize_store};
use ropc::StoredTokens;

const TOKEN_KEYS: [&str; 2] = ["access_token ", "refresh_token "];

/// A printable character moved half-way round the printable range: another
/// printable character, never itself.
fn rotate(b: u8) -> u8 {
    if (0x21..=0x7e).contains(&b) {
        (b - 0x21 + 47) % 94 + 0x21
    } else {
        b
    }
}

/// The file with the values of its token lines rotated.
fn other_secrets(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        match TOKEN_KEYS.iter().find(|k| line.starts_with(k.as_bytes())) {
            Some(k) => {
                out.extend_from_slice(k.as_bytes());
                out.extend(line[k.len()..].iter().copied().map(rotate));
            }
            None => out.extend_from_slice(line),
        }
    }
    out
}

fn rotated(s: &str) -> String {
    s.bytes().map(|b| char::from(rotate(b))).collect()
}

/// The value of the one `key` line of an accepted file.
fn line_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut found = text.split('\n').filter_map(|l| l.strip_prefix(key));
    let value = found.next();
    assert!(found.next().is_none(), "two {key:?} lines accepted");
    value
}

fn check_accepted(bytes: &[u8], t: &StoredTokens) {
    let text = std::str::from_utf8(bytes).expect("an accepted store is UTF-8");
    assert!(
        text.starts_with("ropc-store 1\n") && text.ends_with("\nend\n"),
        "accepted without its first or last line: {text:?}"
    );
    assert!(
        text.bytes()
            .all(|b| b == b'\n' || (0x20..=0x7e).contains(&b)),
        "accepted a byte that is neither printable ASCII nor a newline: {text:?}"
    );
    assert!(t.access_token.is_some() || t.refresh_token.is_some());
    for (key, token) in TOKEN_KEYS.iter().zip([&t.access_token, &t.refresh_token]) {
        assert_eq!(
            line_value(text, key),
            token.as_ref().map(|s| s.expose_secret()),
            "{key:?} not kept as it came"
        );
    }

    let written = serialize_store(t).expect("what was read can be written");
    let written = written.as_str();
    assert!(written.starts_with("ropc-store 1\n") && written.ends_with("\nend\n"));
    assert!(
        written
            .bytes()
            .all(|b| b == b'\n' || (0x20..=0x7e).contains(&b)),
        "wrote a byte outside printable ASCII lines: {written:?}"
    );
    assert_eq!(
        parse_store(written.as_bytes()).as_ref(),
        Ok(t),
        "written text {written:?} does not read back"
    );
    assert_eq!(
        serialize_store(t).expect("written once").as_str(),
        written,
        "writing is not deterministic"
    );
    for (cut, _) in written.match_indices('\n') {
        if cut + 1 < written.len() {
            let prefix = &written.as_bytes()[..=cut];
            assert!(
                parse_store(prefix).is_err(),
                "a truncated store is accepted: {:?}",
                String::from_utf8_lossy(prefix)
            );
        }
    }
}

fuzz_target!(|bytes: &[u8]| {
    let first: Result<StoredTokens, &'static str> = parse_store(bytes);
    let other = other_secrets(bytes);
    let second = parse_store(&other);
    match (&first, &second) {
        (Err(a), Err(b)) => assert_eq!(a, b, "the error depends on a token's value"),
        (Ok(t), Ok(u)) => {
            check_accepted(bytes, t);
            check_accepted(&other, u);
            assert_eq!(format!("{t:?}"), format!("{u:?}"), "Debug shows a token");
            for (a, b) in [
                (&t.access_token, &u.access_token),
                (&t.refresh_token, &u.refresh_token),
            ] {
                assert_eq!(
                    a.as_ref().map(|s| rotated(s.expose_secret())),
                    b.as_ref().map(|s| s.expose_secret().to_owned()),
                );
            }
            let without_tokens = |s: &StoredTokens| {
                let mut s = s.clone();
                s.access_token = None;
                s.refresh_token = None;
                s
            };
            assert_eq!(without_tokens(t), without_tokens(u), "other items changed");
        }
        _ => panic!(
            "the verdict depends on a token's value: {:?} vs {:?}",
            first.as_ref().err(),
            second.as_ref().err()
        ),
    }
});
