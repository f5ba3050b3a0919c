//! Strict JSON helpers shared by the JWT verifier and the response parser.
//!
//! serde_json resolves a duplicate member name by keeping the last one; two
//! parsers that disagree on that are a known attack surface, so ropc rejects
//! duplicates at every depth instead. These visitors borrow from the input
//! wherever serde_json allows, so a typical token is checked without
//! allocating.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use zeroize::Zeroizing;

/// The message of the serde error raised for a duplicate member name; callers
/// recognise it to report the right problem.
pub(crate) const DUPLICATE: &str = "duplicate member name";

/// What went wrong while reading a JSON document, as far as a caller cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Not well-formed JSON (syntax, end of input, trailing data).
    Syntax,
    /// Well-formed, but not a JSON object at the top level.
    NotObject,
    /// A member name appears twice in one object.
    Duplicate,
}

/// Sorts a serde_json error into a [`Problem`].
pub(crate) fn classify(err: &serde_json::Error) -> Problem {
    match err.classify() {
        serde_json::error::Category::Data => {
            if err.to_string().starts_with(DUPLICATE) {
                Problem::Duplicate
            } else {
                Problem::NotObject
            }
        }
        _ => Problem::Syntax,
    }
}

/// A member name or string value, borrowed from the input when it holds no
/// escapes.
pub(crate) struct Str<'de>(pub(crate) Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The member names seen so far in one object. The first few live on the
/// stack; a large object spills to the heap.
pub(crate) struct KeySet<'de> {
    inline: [Option<Cow<'de, str>>; 16],
    len: usize,
    spill: Vec<Cow<'de, str>>,
}

impl<'de> KeySet<'de> {
    pub(crate) fn new() -> Self {
        KeySet {
            inline: Default::default(),
            len: 0,
            spill: Vec::new(),
        }
    }

    /// Records `key`; `Err` when it was already there.
    pub(crate) fn insert<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        let seen = self.inline[..self.len]
            .iter()
            .flatten()
            .chain(self.spill.iter())
            .any(|k| *k == key);
        if seen {
            return Err(E::custom(DUPLICATE));
        }
        if self.len < self.inline.len() {
            self.inline[self.len] = Some(key);
            self.len += 1;
        } else {
            self.spill.push(key);
        }
        Ok(())
    }
}

/// Any JSON value, checked for duplicate member names at every depth and
/// otherwise discarded.
pub(crate) struct StrictAny;

impl<'de> de::Deserialize<'de> for StrictAny {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictAnyVisitor)
    }
}

struct StrictAnyVisitor;

impl<'de> Visitor<'de> for StrictAnyVisitor {
    type Value = StrictAny;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<StrictAny, E> {
        Ok(StrictAny)
    }
    fn visit_i64<E>(self, _: i64) -> Result<StrictAny, E> {
        Ok(StrictAny)
    }
    fn visit_u64<E>(self, _: u64) -> Result<StrictAny, E> {
        Ok(StrictAny)
    }
    fn visit_f64<E>(self, _: f64) -> Result<StrictAny, E> {
        Ok(StrictAny)
    }
    fn visit_str<E>(self, _: &str) -> Result<StrictAny, E> {
        Ok(StrictAny)
    }
    fn visit_unit<E>(self) -> Result<StrictAny, E> {
        Ok(StrictAny)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictAny, A::Error> {
        while seq.next_element::<StrictAny>()?.is_some() {}
        Ok(StrictAny)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictAny, A::Error> {
        let mut keys = KeySet::new();
        while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
            keys.insert(key)?;
            map.next_value::<StrictAny>()?;
        }
        Ok(StrictAny)
    }
}

/// A member value the caller wants typed by hand: whatever JSON type it has is
/// accepted here, so a value of the wrong type becomes the caller's precise
/// error rather than a generic serde one.
pub(crate) enum Scalar<'de> {
    Str(Cow<'de, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool,
    Null,
    /// An array whose elements are all strings.
    StrArray(Vec<Cow<'de, str>>),
    /// An object, or an array holding something other than strings.
    Other,
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool)
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut strings = Vec::new();
        let mut all_strings = true;
        while let Some(item) = seq.next_element::<Scalar<'de>>()? {
            match item {
                Scalar::Str(s) if all_strings => strings.push(s),
                _ => all_strings = false,
            }
        }
        Ok(if all_strings {
            Scalar::StrArray(strings)
        } else {
            Scalar::Other
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        StrictAnyVisitor.visit_map(map)?;
        Ok(Scalar::Other)
    }
}

/// Unescapes the text of a JSON string (quotes included, as serde_json's
/// `RawValue` gives it) into a zeroized buffer of exactly the right size.
/// Returns `None` when `raw` is not a JSON string.
pub(crate) fn unescape(raw: &str) -> Option<Zeroizing<String>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    // The unescaped text is never longer than the escaped one.
    let mut out = Zeroizing::new(String::with_capacity(inner.len()));
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let decoded = match chars.next()? {
                    '"' => '"',
                    '\\' => '\\',
                    '/' => '/',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'u' => {
                        let hi = hex4(&mut chars)?;
                        if (0xD800..0xDC00).contains(&hi) {
                            if chars.next()? != '\\' || chars.next()? != 'u' {
                                return None;
                            }
                            let lo = hex4(&mut chars)?;
                            if !(0xDC00..0xE000).contains(&lo) {
                                return None;
                            }
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                        } else {
                            char::from_u32(hi)?
                        }
                    }
                    _ => return None,
                };
                out.push(decoded);
            }
            '"' => return None,
            c if (c as u32) < 0x20 => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(json: &str) -> Result<(), Problem> {
        serde_json::from_str::<StrictAny>(json)
            .map(|_| ())
            .map_err(|e| classify(&e))
    }

    #[test]
    fn duplicates_are_found_at_every_depth() {
        assert_eq!(strict(r#"{"a":1,"a":2}"#), Err(Problem::Duplicate));
        assert_eq!(strict(r#"{"x":{"a":1,"a":2}}"#), Err(Problem::Duplicate));
        assert_eq!(
            strict(r#"[{"a":1,"b":[{"c":1,"c":1}]}]"#),
            Err(Problem::Duplicate)
        );
        assert_eq!(strict(r#"{"a":1,"\u0061":2}"#), Err(Problem::Duplicate));
        assert_eq!(strict(r#"{"a":{"a":1},"b":{"a":1}}"#), Ok(()));
    }

    #[test]
    fn duplicates_beyond_the_inline_keys_are_found() {
        let mut json = String::from("{");
        for i in 0..40 {
            json.push_str(&format!("\"k{i}\":{i},"));
        }
        json.push_str("\"k3\":0}");
        assert_eq!(strict(&json), Err(Problem::Duplicate));
        json.truncate(json.len() - "\"k3\":0}".len());
        json.push_str("\"k40\":0}");
        assert_eq!(strict(&json), Ok(()));
    }

    #[test]
    fn syntax_errors_are_told_apart() {
        assert_eq!(strict("{"), Err(Problem::Syntax));
        assert_eq!(strict("{} x"), Err(Problem::Syntax));
    }

    #[test]
    fn unescape_handles_every_escape() {
        let raw = r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#;
        let expected: String = serde_json::from_str(raw).unwrap();
        assert_eq!(unescape(raw).unwrap().as_str(), expected);
        assert_eq!(unescape(r#""plain""#).unwrap().as_str(), "plain");
    }

    #[test]
    fn unescape_rejects_what_is_not_a_string() {
        for bad in [
            "abc",
            r#""\x""#,
            r#""\ud83d""#,
            r#""\ud83dx""#,
            r#""\u12""#,
            "\"a\"b\"",
            "\"\u{1}\"",
        ] {
            assert!(unescape(bad).is_none(), "{bad}");
        }
    }
}
