//! Keeping a request's secrets out of anything the provider sends back.
//!
//! A provider may echo what it was sent: the password in an
//! `error_description`, the whole request in an HTML error page, even the
//! password as the `error` code or the `token_type`. Every string ropc shows
//! from a response goes through [`Redactor::clean`], which replaces each
//! spelling of each secret with `[redacted]` *before* the text is cut to
//! length (so no part of a secret survives at the cut), replaces control
//! characters, and copies nothing secret into memory that is not wiped.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::form;

const REDACTED: &str = "[redacted]";

/// The secrets of one request, in every spelling a provider may echo.
#[derive(Default)]
pub(crate) struct Redactor {
    needles: Vec<Zeroizing<Vec<u8>>>,
}

impl Redactor {
    /// A redactor that hides nothing (for parsing without a request).
    #[cfg(any(feature = "_fuzz", test))]
    pub(crate) fn none() -> Self {
        Redactor::default()
    }

    /// The secrets of a request authenticated as `client_id`/`client_secret`
    /// and carrying `values` (the password, a refresh token): each as it is,
    /// form-urlencoded (space as `+` and as `%20`), JSON-escaped, and the
    /// Basic credentials in both styles.
    pub(crate) fn for_request(client_id: &str, client_secret: &str, values: &[&str]) -> Self {
        let mut r = Redactor::default();
        // A public client sends no credentials (and `id:` alone is no secret).
        let styles = if client_secret.is_empty() {
            [].as_slice()
        } else {
            [form::ClientAuth::Basic, form::ClientAuth::BasicFormEncoded].as_slice()
        };
        for &style in styles {
            if let Some(header) = form::basic_authorization(client_id, client_secret, style) {
                r.push(&header.as_bytes()["Basic ".len()..]);
            }
        }
        for value in values.iter().chain(std::iter::once(&client_secret)) {
            r.add_secret(value);
        }
        r
    }

    fn add_secret(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        self.push(value.as_bytes());
        let mut encoded = Zeroizing::new(String::with_capacity(form::encoded_len(value)));
        form::push_encoded(&mut encoded, value);
        if value.contains(' ') {
            let mut pct = Zeroizing::new(Vec::with_capacity(encoded.len() * 3));
            for b in encoded.bytes() {
                if b == b'+' {
                    pct.extend_from_slice(b"%20");
                } else {
                    pct.push(b);
                }
            }
            self.push(&pct);
        }
        self.push(encoded.as_bytes());
        // The JSON spellings: serde_json's (`ascii_only`, `slash` false,
        // `short`; a test checks it is serde_json's), and those other
        // encoders write: `/` as `\/` (PHP), every character beyond ASCII as
        // `\uXXXX` (Python's default, PHP), both; backspace and form feed as
        // `\b` and `\f` (serde_json, Python, PHP) or as `\u0008` and
        // `\u000c` (others).
        for ascii_only in [false, true] {
            for slash in [false, true] {
                for short in [true, false] {
                    self.push(&json_spelling(value, ascii_only, slash, short));
                }
            }
        }
        // An HTML error page: `&`, `<`, `>`, `"` as entities, and `'` as
        // each of its common ones.
        for apostrophe in ["&#39;", "&#x27;", "&#039;"] {
            self.push(&html_spelling(value, apostrophe));
        }
        // Standard base64 of the value alone (some servers log decoded
        // credentials, others re-encode them).
        let mut b64 = Zeroizing::new(vec![0u8; value.len().div_ceil(3) * 4]);
        if let Ok(n) = STANDARD.encode_slice(value, &mut b64) {
            self.push(&b64[..n]);
        }
    }

    fn push(&mut self, needle: &[u8]) {
        if !needle.is_empty() && !self.needles.iter().any(|n| n.as_slice() == needle) {
            let mut copy = Zeroizing::new(Vec::with_capacity(needle.len()));
            copy.extend_from_slice(needle);
            self.needles.push(copy);
        }
    }

    /// The length of the secret spelling that starts at `at`, if any (ASCII
    /// letters compared without case: percent-encodings come in both, and a
    /// re-cased password still gives it away).
    fn match_at(&self, text: &[u8], at: usize) -> Option<usize> {
        let rest = &text[at..];
        self.needles
            .iter()
            .filter(|n| rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n))
            .map(|n| n.len())
            .max()
    }

    /// `text` made safe to show: every secret replaced by `[redacted]`, then
    /// control characters replaced by spaces, then at most `max` characters.
    /// Bytes that are not UTF-8 show as U+FFFD.
    ///
    /// Every byte any spelling of any secret covers is hidden — the union of
    /// all the matches, so overlapping secrets hide each other's tails too —
    /// and each covered run shows as one `[redacted]`.
    pub(crate) fn clean(&self, text: &[u8], max: usize) -> String {
        let mut out = String::new();
        let mut shown = 0;
        let push = |out: &mut String, shown: &mut usize, c: char| {
            if *shown < max {
                out.push(c);
                *shown += 1;
            }
        };
        // Covered up to (exclusive) this byte; whether the last character
        // shown was the start of a `[redacted]`.
        let mut covered_until = 0;
        let mut in_run = false;
        let mut base = 0;
        for chunk in text.utf8_chunks() {
            let valid = chunk.valid();
            for (i, c) in valid.char_indices() {
                if shown >= max {
                    return out;
                }
                let at = base + i;
                // Secrets are valid UTF-8: a match never crosses into the
                // invalid bytes that end this chunk.
                if let Some(len) = self.match_at(text, at) {
                    covered_until = covered_until.max(at + len);
                }
                if at < covered_until {
                    if !in_run {
                        in_run = true;
                        for r in REDACTED.chars() {
                            push(&mut out, &mut shown, r);
                        }
                    }
                    continue;
                }
                in_run = false;
                push(&mut out, &mut shown, if c.is_control() { ' ' } else { c });
            }
            base += valid.len() + chunk.invalid().len();
            if !chunk.invalid().is_empty() {
                in_run = false;
                push(&mut out, &mut shown, char::REPLACEMENT_CHARACTER);
            }
        }
        out
    }
}

/// `value` as the inside of a JSON string, escaped as serde_json does
/// (`short`: backspace and form feed as `\b` and `\f`), or with those as
/// `\u0008` and `\u000c` (not `short`), and/or every character beyond ASCII
/// as `\uXXXX` (a surrogate pair beyond U+FFFF), and/or `/` as `\/`. In a
/// zeroized buffer sized for the worst case, so it never grows.
fn json_spelling(value: &str, ascii_only: bool, slash: bool, short: bool) -> Zeroizing<Vec<u8>> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 12));
    let unit = |out: &mut Vec<u8>, u: u16| {
        out.extend_from_slice(b"\\u");
        for shift in [12, 8, 4, 0] {
            out.push(HEX[usize::from((u >> shift) & 0xf)]);
        }
    };
    for c in value.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' if slash => out.extend_from_slice(b"\\/"),
            '\u{8}' if short => out.extend_from_slice(b"\\b"),
            '\u{c}' if short => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if u32::from(c) < 0x20 || (ascii_only && !c.is_ascii()) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    unit(&mut out, *u);
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out
}

/// `value` as an HTML page shows it: `&`, `<`, `>` and `"` as entities,
/// `'` as `apostrophe`. In a zeroized buffer sized for the worst case.
fn html_spelling(value: &str, apostrophe: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 6));
    for b in value.bytes() {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(apostrophe.as_bytes()),
            b => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Redactor {
        Redactor::for_request("app", "s3cret+/=", &["pa ss/wörd"])
    }

    #[test]
    fn every_spelling_is_redacted() {
        let r = r();
        for text in [
            "pa ss/wörd",
            "PA SS/WöRD",
            "pa+ss%2Fw%C3%B6rd",
            "pa%20ss%2fw%c3%b6rd",
            "s3cret%2B%2F%3D",
            "YXBwOnMzY3JldCsvPQ==",
        ] {
            let shown = r.clean(format!("<{text}>").as_bytes(), 200);
            assert_eq!(shown, "<[redacted]>", "{text}");
        }
    }

    #[test]
    fn redaction_comes_before_the_cut() {
        let r = r();
        let text = format!("{}pa ss/wörd tail", "x".repeat(5));
        assert_eq!(r.clean(text.as_bytes(), 8), "xxxxx[re");
        assert_eq!(r.clean(text.as_bytes(), 5), "xxxxx");
    }

    #[test]
    fn control_characters_and_bad_utf8_are_made_printable() {
        let r = Redactor::none();
        assert_eq!(r.clean(b"a\nb\x1b[31mc\xff", 100), "a b [31mc\u{fffd}");
        assert_eq!(r.clean("ééé".as_bytes(), 2), "éé");
    }

    #[test]
    fn the_longest_overlapping_spelling_wins() {
        let r = Redactor::for_request("id", "ab", &["abcd"]);
        assert_eq!(r.clean(b"xabcdx", 100), "x[redacted]x");
    }

    #[test]
    fn overlapping_secrets_hide_each_others_tails() {
        // "abc" matches first; "cdefgh" starts inside it and ends after.
        let r = Redactor::for_request("id", "abc", &["cdefgh"]);
        assert_eq!(r.clean(b"xabcdefghx", 100), "x[redacted]x");
        assert_eq!(r.clean(b"xabcdefghx", 5), "x[red");
    }

    #[test]
    fn other_encoders_json_and_html_spellings_are_redacted() {
        let r = Redactor::for_request(
            "id",
            "client-secret-x",
            &["pa/ss/w0rd", "grün-päss 😀", "a<b&c'd\"e"],
        );
        for text in [
            r#"{"message": "bad credential pa\/ss\/w0rd"}"#,
            r#"{"message": "bad credential gr\u00fcn-p\u00e4ss \ud83d\ude00"}"#,
            r#"{"message": "bad credential GR\u00FCN-P\u00E4SS \uD83D\uDE00"}"#,
            "<p>bad credential a&lt;b&amp;c&#39;d&quot;e</p>",
            "<p>bad credential a&lt;b&amp;c&#x27;d&quot;e</p>",
            "<p>bad credential a&lt;b&amp;c&#039;d&quot;e</p>",
        ] {
            let shown = r.clean(text.as_bytes(), 200);
            assert!(
                shown.starts_with("<p>bad credential [redacted]")
                    || shown.starts_with(r#"{"message": "bad credential [redacted]"#),
                "{text} -> {shown}"
            );
            for leak in [
                "pa", "w0rd", r"p\u00e4", r"P\u00E4", "&amp;c", "&lt;b", "grün",
            ] {
                assert!(!shown.contains(leak), "{leak} in {shown}");
            }
        }
    }

    #[test]
    fn json_spellings_match_what_encoders_write() {
        let as_json =
            |v: &str| String::from_utf8(json_spelling(v, false, false, true).to_vec()).unwrap();
        for v in [
            "plain",
            "q\"uote\\back",
            "line\nbreak\t\u{1}",
            "é😀/x",
            "back\u{8}space\u{c}feed",
        ] {
            let serde = serde_json::to_string(v).unwrap();
            assert_eq!(format!("\"{}\"", as_json(v)), serde, "{v:?}");
        }
        let ascii = String::from_utf8(json_spelling("é😀/", true, true, true).to_vec()).unwrap();
        assert_eq!(ascii, "\\u00e9\\ud83d\\ude00\\/");
        let long = String::from_utf8(json_spelling("\u{8}\u{c}", false, false, false).to_vec());
        assert_eq!(long.unwrap(), "\\u0008\\u000c");
    }

    #[test]
    fn python_and_php_json_of_a_backspace_beyond_ascii_is_redacted() {
        // Found by the `redactor` fuzz target: Python's `json.dumps` (and
        // PHP's `json_encode`) write a backspace or form feed as `\b`/`\f`
        // and, by default, `é` as `\u00e9`; the `\uXXXX` spellings had
        // `\u0008` and `\u000c` only.
        let r = Redactor::for_request("id", "", &["pä\u{8}ss/wö\u{c}rd"]);
        for text in [
            r"p\u00e4\bss/w\u00f6\frd",
            r"p\u00e4\bss\/w\u00f6\frd",
            r"pä\bss\/wö\frd",
            r"p\u00e4\u0008ss/w\u00f6\u000crd",
            r"pä\u0008ss/wö\u000crd",
        ] {
            assert_eq!(
                r.clean(format!("<{text}>").as_bytes(), 200),
                "<[redacted]>",
                "{text}"
            );
        }
    }
}
