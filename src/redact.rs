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
        for style in [form::ClientAuth::Basic, form::ClientAuth::BasicFormEncoded] {
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
        // Sized for the worst case (every character as `\uXXXX`) so the
        // buffer never grows and leaves a copy behind.
        let mut json = Zeroizing::new(Vec::with_capacity(value.len() * 6 + 2));
        if serde_json::to_writer(&mut *json, value).is_ok() && json.len() >= 2 {
            let inner = json.len() - 1;
            self.push(&json[1..inner]);
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
    pub(crate) fn clean(&self, text: &[u8], max: usize) -> String {
        let mut out = String::new();
        let mut shown = 0;
        let mut base = 0;
        for chunk in text.utf8_chunks() {
            let valid = chunk.valid();
            let mut skip_to = 0;
            for (i, c) in valid.char_indices() {
                if shown >= max {
                    return out;
                }
                if i < skip_to {
                    continue;
                }
                if let Some(len) = self.match_at(text, base + i) {
                    // Secrets are valid UTF-8: a match never crosses into
                    // the invalid bytes that end this chunk.
                    skip_to = i + len;
                    for r in REDACTED.chars() {
                        if shown == max {
                            return out;
                        }
                        out.push(r);
                        shown += 1;
                    }
                    continue;
                }
                out.push(if c.is_control() { ' ' } else { c });
                shown += 1;
            }
            base += valid.len() + chunk.invalid().len();
            if !chunk.invalid().is_empty() {
                if shown >= max {
                    return out;
                }
                out.push(char::REPLACEMENT_CHARACTER);
                shown += 1;
            }
        }
        out
    }
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
}
