//! Strict JSON reading with serde_json, the one JSON parser in ropc: token
//! responses, JWT headers and claims alike.
//!
//! serde_json resolves a duplicate member name by keeping the last one; two
//! parsers that disagree on that are a known attack surface, so the visitors
//! here reject duplicates at every depth instead ([`KeySet`], [`StrictAny`]).
//! [`unescape_wiped`] turns a JSON string into a zeroized buffer without
//! leaving a copy in serde_json's scratch space.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use zeroize::Zeroizing;

/// The message of the serde error raised for a duplicate member name; callers
/// recognise it to report the right problem.
const DUPLICATE: &str = "duplicate member name";

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
        serde_json::error::Category::Data if err.to_string().starts_with(DUPLICATE) => {
            Problem::Duplicate
        }
        serde_json::error::Category::Data => Problem::NotObject,
        _ => Problem::Syntax,
    }
}

/// Where `part`, a slice of `whole`, lies in it; `None` when it is not a
/// slice of it (a string serde_json had to unescape into its own buffer).
pub(crate) fn span(whole: &str, part: &str) -> Option<(usize, usize)> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some((start, end))
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
/// stack; a large object spills to the heap. A 256-bit summary of the names
/// seen (one bit per name, from a hash of its length and end bytes) lets a
/// new name skip the comparisons in the common case; two names compare only
/// when their bits meet.
pub(crate) struct KeySet<'de> {
    summary: [u64; 4],
    inline: [Option<Cow<'de, str>>; 24],
    len: usize,
    spill: Vec<Cow<'de, str>>,
}

impl<'de> KeySet<'de> {
    pub(crate) fn new() -> Self {
        KeySet {
            summary: [0; 4],
            inline: Default::default(),
            len: 0,
            spill: Vec::new(),
        }
    }

    /// Records `key`; `Err` when it was already there.
    pub(crate) fn insert<E: de::Error>(&mut self, key: Cow<'de, str>) -> Result<(), E> {
        let (word, bit) = summary_bit(key.as_bytes());
        if self.summary[word] & bit != 0 {
            let seen = self.inline[..self.len]
                .iter()
                .flatten()
                .chain(self.spill.iter())
                .any(|k| *k == key);
            if seen {
                return Err(E::custom(DUPLICATE));
            }
        }
        self.summary[word] |= bit;
        if self.len < self.inline.len() {
            self.inline[self.len] = Some(key);
            self.len += 1;
        } else {
            self.spill.push(key);
        }
        Ok(())
    }
}

/// A name's bit in the 256-bit summary: its length and its first and last
/// two bytes, mixed by one multiplication (Fibonacci hashing); the top eight
/// bits pick the bit. Equal names always get the same bit.
fn summary_bit(bytes: &[u8]) -> (usize, u64) {
    let at = |i: usize| u64::from(bytes.get(i).copied().unwrap_or(0));
    let n = bytes.len();
    let mixed = (at(0)
        | at(1) << 8
        | at(n.wrapping_sub(2)) << 16
        | at(n.wrapping_sub(1)) << 24
        | (n as u64) << 32)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let index = (mixed >> 56) as usize;
    (index / 64, 1 << (index % 64))
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
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<StrictAny, A::Error> {
        strict_seq(seq).map(|()| StrictAny)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<StrictAny, A::Error> {
        strict_map(map).map(|()| StrictAny)
    }
}

/// The rest of an array, checked as [`StrictAny`] and discarded (for
/// visitors that meet an array where they did not need one).
pub(crate) fn strict_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<StrictAny>()?.is_some() {}
    Ok(())
}

/// The rest of an object, checked as [`StrictAny`] and discarded.
pub(crate) fn strict_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    let mut keys = KeySet::new();
    while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
        keys.insert(key)?;
        map.next_value::<StrictAny>()?;
    }
    Ok(())
}

/// The text a JSON string stands for (`raw` is the string as it appears in
/// JSON, quotes included, as serde_json's `RawValue` gives it), in a zeroized
/// buffer of exactly the right size; `None` when `raw` is not a JSON string.
///
/// serde_json unescapes into a scratch buffer it frees without wiping. So a
/// string with escapes is read as the middle element of a three-element
/// array whose other elements are strings of NULs at least as long: the
/// first grows the scratch buffer to its final size (its reallocations hold
/// only NULs), the second is unescaped into it without a reallocation, the
/// third overwrites it. `tests/integration/zeroize.rs` proves no copy is left.
pub(crate) fn unescape_wiped(raw: &str) -> Option<Zeroizing<String>> {
    if !raw.starts_with('"') {
        return None;
    }
    if !raw.contains('\\') {
        // No escape: borrowed straight from `raw`, no scratch buffer.
        let s: &str = serde_json::from_str(raw).ok()?;
        return Some(copy(s));
    }
    // The text is never longer than its escaped form.
    let wiper_len = raw.len();
    let mut input = Zeroizing::new(String::with_capacity(16 + raw.len() + 12 * wiper_len));
    let push_wiper = |input: &mut String| {
        input.push('"');
        for _ in 0..wiper_len {
            input.push_str("\\u0000");
        }
        input.push('"');
    };
    input.push('[');
    push_wiper(&mut input);
    input.push(',');
    input.push_str(raw);
    input.push(',');
    push_wiper(&mut input);
    input.push(']');
    let Wiped(text) = serde_json::from_str(&input).ok()?;
    Some(text)
}

fn copy(s: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    out.push_str(s);
    out
}

/// `[wiper, the string, wiper]`, keeping the string (see [`unescape_wiped`]).
struct Wiped(Zeroizing<String>);

impl<'de> de::Deserialize<'de> for Wiped {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Seq;
        impl<'de> Visitor<'de> for Seq {
            type Value = Wiped;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("three strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Wiped, A::Error> {
                let missing = || de::Error::custom("three strings");
                seq.next_element::<Scratch>()?.ok_or_else(missing)?;
                let Scratch(text) = seq.next_element::<Scratch>()?.ok_or_else(missing)?;
                seq.next_element::<Scratch>()?.ok_or_else(missing)?;
                Ok(Wiped(text))
            }
        }
        d.deserialize_seq(Seq)
    }
}

/// A string read through serde_json's scratch buffer (`deserialize_str`, so
/// never skipped without being unescaped), copied into a zeroized buffer.
struct Scratch(Zeroizing<String>);

impl<'de> de::Deserialize<'de> for Scratch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scratch;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scratch, E> {
                Ok(Scratch(copy(v)))
            }
        }
        d.deserialize_str(V)
    }
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
        assert_eq!(strict(r#"{"a":{"b":1,"b":2}}"#), Err(Problem::Duplicate));
        assert_eq!(
            strict(r#"[{"b":1},{"c":[{"d":1,"d":1}]}]"#),
            Err(Problem::Duplicate)
        );
        // The same name spelled with an escape is the same name.
        assert_eq!(strict(r#"{"a":1,"\u0061":2}"#), Err(Problem::Duplicate));
        assert_eq!(strict(r#"{"a":1,"b":{"a":2}}"#), Ok(()));
    }

    #[test]
    fn duplicates_beyond_the_inline_keys_are_found() {
        let mut members: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
        assert_eq!(strict(&format!("{{{}}}", members.join(","))), Ok(()));
        members.push("\"k3\":0".into());
        assert_eq!(
            strict(&format!("{{{}}}", members.join(","))),
            Err(Problem::Duplicate)
        );
    }

    #[test]
    fn names_that_share_a_summary_bit_are_compared() {
        // Same length and end bytes: the same bit, different names.
        assert_eq!(summary_bit(b"abXcd"), summary_bit(b"abYcd"));
        assert_eq!(strict(r#"{"abXcd":1,"abYcd":2}"#), Ok(()));
        assert_eq!(
            strict(r#"{"abXcd":1,"abYcd":2,"abXcd":3}"#),
            Err(Problem::Duplicate)
        );
        // The empty name and one-byte names (the ends overlap).
        assert_eq!(strict(r#"{"":1,"a":2,"b":3}"#), Ok(()));
        assert_eq!(strict(r#"{"":1,"a":2,"":3}"#), Err(Problem::Duplicate));
        assert_eq!(strict(r#"{"a":1,"b":2,"a":3}"#), Err(Problem::Duplicate));
        // Every bit of the summary is reachable: 256 distinct names, then
        // each of them again, is found.
        let names: Vec<String> = (0..256).map(|i| format!("n{i:03}")).collect();
        let mut bits = std::collections::HashSet::new();
        for name in &names {
            bits.insert(summary_bit(name.as_bytes()));
        }
        assert!(bits.len() > 64, "the summary spreads names: {}", bits.len());
        let all = names.iter().map(|n| format!("\"{n}\":0"));
        let members: Vec<String> = all.collect();
        assert_eq!(strict(&format!("{{{}}}", members.join(","))), Ok(()));
        for name in &names {
            let doubled = format!("{{{},\"{name}\":1}}", members.join(","));
            assert_eq!(strict(&doubled), Err(Problem::Duplicate), "{name}");
        }
    }

    #[test]
    fn syntax_errors_are_told_apart() {
        assert_eq!(strict("{"), Err(Problem::Syntax));
        assert_eq!(strict("{} x"), Err(Problem::Syntax));
        assert_eq!(strict(r#"{"a":1,}"#), Err(Problem::Syntax));
    }

    #[test]
    fn unescape_wiped_handles_every_escape() {
        let got = unescape_wiped(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(got.as_str(), "a\"b\\c/d\u{8}\u{c}\n\r\té😀");
        assert_eq!(unescape_wiped(r#""plain""#).unwrap().as_str(), "plain");
        assert_eq!(unescape_wiped(r#""""#).unwrap().as_str(), "");
    }

    #[test]
    fn unescape_wiped_refuses_what_is_not_a_string() {
        for raw in [
            "1",
            "null",
            "[\"a\"]",
            r#""a"#,
            r#""\x""#,
            r#""\ud800""#,
            "\"a\nb\"",
            r#""a","b""#,
        ] {
            assert!(unescape_wiped(raw).is_none(), "{raw}");
        }
    }

    #[test]
    fn span_finds_borrowed_slices_only() {
        let whole = "0123456789";
        assert_eq!(span(whole, &whole[2..5]), Some((2, 5)));
        assert_eq!(span(whole, "other"), None);
    }
}
