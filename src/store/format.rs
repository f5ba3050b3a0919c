//! The store file's format: `ropc-store 1`, then one `key value` line per
//! item (tokens, expiry, the account form-urlencoded), then `end` — every
//! line printable ASCII, the final `end` proving the file is whole. A token
//! is kept as it came: any RFC 6749 VSCHAR string (%x20-7E, spaces
//! included), everything after the first space of its line.

use zeroize::Zeroizing;

use super::StoredTokens;
use crate::form;
use crate::secret::Secret;

/// The first line of every store file.
pub(super) const MAGIC: &str = "ropc-store 1";

/// The account lines, in the order written: a key and its value,
/// form-urlencoded (so that spaces, `%` and any other byte fit a line of
/// printable ASCII).
fn account(t: &StoredTokens) -> [(&'static str, Option<&str>); 3] {
    [
        ("token_url", t.token_url.as_deref()),
        ("client_id", t.client_id.as_deref()),
        ("username", t.username.as_deref()),
    ]
}

/// `ropc-store 1` / `token_url …` / `client_id …` / `username …` /
/// `access_token …` / `refresh_token …` / `expires_at …` / `received_at …`
/// / `boot_id …` / `received_boot_ms …` / `refresh_at …` / `end`: one item
/// per line, the final `end` line proving the file is whole. A store
/// written before accounts (or receipts) were recorded has no such lines,
/// and is read all the same.
pub(crate) fn serialize(t: &StoredTokens) -> Result<Zeroizing<String>, &'static str> {
    let token_ok = |s: &Secret| !s.is_empty() && crate::response::is_vschar(s.expose_secret());
    for s in [&t.access_token, &t.refresh_token].into_iter().flatten() {
        if !token_ok(s) {
            return Err("a token holds characters the store cannot keep");
        }
    }
    let account = account(t);
    // Sized once, so that no reallocation leaves a copy of a token behind.
    let len = MAGIC.len()
        + 1
        + account
            .iter()
            .filter_map(|(key, value)| Some(key.len() + 2 + form::encoded_len((*value)?)))
            .sum::<usize>()
        + t.access_token.as_ref().map_or(0, |s| s.len() + 14)
        + t.refresh_token.as_ref().map_or(0, |s| s.len() + 15)
        + t.boot_id.as_ref().map_or(0, |s| s.len() + 9)
        // expires_at, received_at, received_boot_ms, refresh_at: each a
        // name, a space, at most 20 digits and a sign, a newline.
        + 4 * (17 + 22)
        + 4;
    let mut out = Zeroizing::new(String::with_capacity(len));
    out.push_str(MAGIC);
    out.push('\n');
    for (key, value) in account {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push_str(key);
            out.push(' ');
            form::push_encoded(&mut out, value);
            out.push('\n');
        }
    }
    if let Some(a) = &t.access_token {
        out.push_str("access_token ");
        out.push_str(a.expose_secret());
        out.push('\n');
    }
    if let Some(r) = &t.refresh_token {
        out.push_str("refresh_token ");
        out.push_str(r.expose_secret());
        out.push('\n');
    }
    let numbers = [
        ("expires_at", t.expires_at),
        ("received_at", t.received_at),
        (
            "received_boot_ms",
            t.received_since_boot
                .and_then(|d| i64::try_from(d.as_millis()).ok()),
        ),
        ("refresh_at", t.refresh_at),
    ];
    for (key, value) in numbers {
        if let Some(v) = value {
            out.push_str(key);
            out.push(' ');
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    if let Some(b) = &t.boot_id {
        if b.is_empty() || !b.bytes().all(|c| c.is_ascii_graphic()) {
            return Err("a boot id the store cannot keep");
        }
        out.push_str("boot_id ");
        out.push_str(b);
        out.push('\n');
    }
    out.push_str("end\n");
    debug_assert!(out.len() <= len, "the store text outgrew its buffer");
    Ok(out)
}

/// A number of the store: an integer, as written.
fn number(value: &str) -> Result<i64, &'static str> {
    value.parse::<i64>().map_err(|_| "a malformed number")
}

pub(crate) fn parse(bytes: &[u8]) -> Result<StoredTokens, &'static str> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8")?;
    // The last line is `end` itself: a file cut just after a line that
    // ends in `end` (`refresh_token rend` of `refresh_token rendezvous`)
    // is not whole.
    let body = text
        .strip_suffix("\nend\n")
        .ok_or("truncated: no final `end` line")?;
    // Split at `\n` only: `lines()` would drop a `\r` before it, and keep
    // a token or an account value other than it was written.
    let mut lines = body.split('\n');
    if lines.next() != Some(MAGIC) {
        return Err("not a ropc store");
    }
    let mut out = StoredTokens::default();
    let decoded = |value: &str| -> Result<String, &'static str> {
        let text = form::decode_component(value).ok_or("a malformed account value")?;
        Ok(text.as_str().to_owned())
    };
    for line in lines {
        let (key, value) = line.split_once(' ').ok_or("a line without a value")?;
        // A token is any VSCHAR string (spaces included); every other value
        // is one printable word.
        let is_token = matches!(key, "access_token" | "refresh_token");
        let well_formed = if is_token {
            crate::response::is_vschar(value)
        } else {
            value.bytes().all(|b| b.is_ascii_graphic())
        };
        if value.is_empty() || !well_formed {
            return Err("a malformed value");
        }
        let slot_taken = match key {
            "access_token" => out.access_token.replace(Secret::from(value)).is_some(),
            "refresh_token" => out.refresh_token.replace(Secret::from(value)).is_some(),
            "expires_at" => out.expires_at.replace(number(value)?).is_some(),
            "received_at" => out.received_at.replace(number(value)?).is_some(),
            "refresh_at" => out.refresh_at.replace(number(value)?).is_some(),
            "received_boot_ms" => {
                let ms = u64::try_from(number(value)?).map_err(|_| "a malformed number")?;
                out.received_since_boot
                    .replace(std::time::Duration::from_millis(ms))
                    .is_some()
            }
            "boot_id" => out.boot_id.replace(value.to_owned()).is_some(),
            "token_url" => out.token_url.replace(decoded(value)?).is_some(),
            "client_id" => out.client_id.replace(decoded(value)?).is_some(),
            "username" => out.username.replace(decoded(value)?).is_some(),
            _ => return Err("an unknown item"),
        };
        if slot_taken {
            return Err("an item appears twice");
        }
    }
    if out.access_token.is_none() && out.refresh_token.is_none() {
        return Err("no token");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredTokens {
        StoredTokens::new(
            Some(Secret::from("eyJ.a.b")),
            Some(Secret::from("rt-123")),
            Some(1_700_000_000),
        )
        .with_account("https://id.example/token", "my app", Some("Zoë 100%"))
    }

    #[test]
    fn serialize_then_parse_gives_the_tokens_back() {
        let t = sample();
        assert_eq!(parse(serialize(&t).unwrap().as_bytes()).unwrap(), t);
        let only_refresh = StoredTokens {
            refresh_token: Some(Secret::from("r")),
            ..StoredTokens::default()
        };
        assert_eq!(
            parse(serialize(&only_refresh).unwrap().as_bytes()).unwrap(),
            only_refresh
        );
    }

    #[test]
    fn the_receipt_and_the_refresh_point_round_trip() {
        let mut t = sample();
        t.received_at = Some(1_700_000_000);
        t.boot_id = Some("0b1c2d3e-aaaa-bbbb-cccc-0123456789ab".into());
        t.received_since_boot = Some(std::time::Duration::from_millis(123_456_789));
        t.refresh_at = Some(1_700_003_300);
        let text = serialize(&t).unwrap();
        assert!(text.len() <= text.capacity());
        assert_eq!(parse(text.as_bytes()).unwrap(), t);
        for bad in [
            "ropc-store 1\nrefresh_token r\nreceived_boot_ms -5\nend\n",
            "ropc-store 1\nrefresh_token r\nrefresh_at x\nend\n",
            "ropc-store 1\nrefresh_token r\nboot_id a b\nend\n",
            "ropc-store 1\nrefresh_token r\nboot_id a\nboot_id a\nend\n",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_store_without_account_lines_is_read() {
        let old = "ropc-store 1\nrefresh_token r\nexpires_at 5\nend\n";
        let t = parse(old.as_bytes()).unwrap();
        assert_eq!(t, StoredTokens::new(None, Some(Secret::from("r")), Some(5)));
        assert_eq!(
            serialize(&t).unwrap().as_str(),
            old,
            "and written the same way"
        );
    }

    #[test]
    fn the_serialized_text_fits_the_buffer_sized_for_it() {
        let worst = "\u{1}%é ".repeat(50);
        let t = sample().with_account(worst.as_str(), worst.as_str(), Some(&worst));
        let text = serialize(&t).unwrap();
        assert!(text.len() <= text.capacity());
        assert_eq!(parse(text.as_bytes()).unwrap(), t);
    }

    #[test]
    fn every_truncation_is_detected() {
        let text = serialize(&sample()).unwrap();
        for cut in 0..text.len() {
            assert!(parse(&text.as_bytes()[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_line_ending_in_end_is_not_the_end_line() {
        // Found by the `store_file` fuzz target: the file cut after a token
        // line ending in `end` read as whole, the token cut short.
        let whole = "ropc-store 1\nrefresh_token rend\nend\n";
        assert_eq!(
            parse(whole.as_bytes()).unwrap().refresh_token,
            Some(Secret::from("rend"))
        );
        for cut in [
            "ropc-store 1\nrefresh_token rend\n",
            "ropc-store 1\naccess_token  aend\n",
            "ropc-store 1\nrefresh_token r\nusername legend\n",
            "ropc-store 1end\n",
        ] {
            assert!(parse(cut.as_bytes()).is_err(), "{cut:?}");
        }
    }

    #[test]
    fn a_carriage_return_is_not_a_line_end() {
        // Found by the `store_file` fuzz target: `\r\n` was read as a line
        // end, the `\r` dropped from the value before it.
        for bad in [
            "ropc-store 1\nrefresh_token r\r\nend\n",
            "ropc-store 1\nclient_id app\r\nrefresh_token r\nend\n",
            "ropc-store 1\r\nrefresh_token r\nend\n",
            "ropc-store 1\nrefresh_token r\nend\r\nend\n",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn corrupt_content_is_an_error() {
        for bad in [
            "ropc-store 2\nrefresh_token r\nend\n",
            "ropc-store 1\nend\n",
            "ropc-store 1\nrefresh_token\nend\n",
            "ropc-store 1\nrefresh_token a\tb\nend\n",
            "ropc-store 1\nexpires_at 1 2\nrefresh_token r\nend\n",
            "ropc-store 1\nrefresh_token r\nrefresh_token s\nend\n",
            "ropc-store 1\nrefresh_token r\nexpires_at soon\nend\n",
            "ropc-store 1\nrefresh_token r\nwho knows\nend\n",
            "ropc-store 1\nusername a\nusername b\nrefresh_token r\nend\n",
            "ropc-store 1\nusername %zz\nrefresh_token r\nend\n",
            "ropc-store 1\nusername %FF\nrefresh_token r\nend\n",
            "ropc-store 1\nusername alice\nend\n",
            "\u{0}\u{0}\u{0}",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(parse(b"\xff\xfe").is_err());
    }

    #[test]
    fn every_vschar_token_is_kept_as_it_came() {
        for token in [" a b ", "a  b", "\"\\%+=&#' ~", " ", "x"] {
            let t = StoredTokens::new(Some(Secret::from(token)), Some(Secret::from(token)), None);
            let text = serialize(&t).unwrap();
            assert_eq!(parse(text.as_bytes()).unwrap(), t, "{token:?}");
        }
    }

    #[test]
    fn tokens_outside_vschar_cannot_be_stored() {
        for token in ["a\nb", "a\tb", "é", "a\u{7f}", ""] {
            let t = StoredTokens {
                refresh_token: Some(Secret::from(token)),
                ..StoredTokens::default()
            };
            assert!(serialize(&t).is_err(), "{token:?}");
        }
    }
}
