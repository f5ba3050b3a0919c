//! Strict JSON helpers shared by the JWT verifier and the response parser.
//!
//! serde_json resolves a duplicate member name by keeping the last one; two
//! parsers that disagree on that are a known attack surface, so ropc rejects
//! duplicates at every depth instead.
//!
//! * [`Reader`] reads the JWT header and payload: a hand-written strict reader
//!   that accepts exactly what serde_json accepts, finds duplicates at every
//!   depth, allocates nothing for a typical token and hands strings back as
//!   offsets into the input. It replaced serde_json visitors there because
//!   the JSON was, after the HMAC itself, the largest cost of verification;
//!   the tests hold it to the serde reading's answers on seeds, edge cases
//!   and tens of thousands of mutated inputs.
//! * The serde visitors ([`Str`], [`KeySet`], [`StrictAny`]) read token
//!   responses, borrowing from the input wherever serde_json allows.

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
/// error rather than a generic serde one. (The serde reading the JWT verifier
/// used before [`Reader`]; kept for the tests, which hold the two to the same
/// answers.)
#[cfg(test)]
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

#[cfg(test)]
impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

#[cfg(test)]
struct ScalarVisitor;

#[cfg(test)]
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
    // Most strings hold no escape: one copy of the run before the first one.
    let plain = find_special(inner.as_bytes(), 0);
    out.push_str(&inner[..plain]);
    let mut rest = Unescape::new(&inner[plain..]);
    for c in &mut rest {
        out.push(c);
    }
    if rest.bad { None } else { Some(out) }
}

/// The characters a JSON string's inner text stands for. Stops, with `bad`
/// set, at a lone `"`, a control character, a bad escape or an unpaired
/// surrogate.
struct Unescape<'a> {
    chars: std::str::Chars<'a>,
    bad: bool,
}

impl<'a> Unescape<'a> {
    fn new(inner: &'a str) -> Self {
        Unescape {
            chars: inner.chars(),
            bad: false,
        }
    }
}

impl Iterator for Unescape<'_> {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        let out = match c {
            '\\' => escape(&mut self.chars),
            '"' => None,
            c if (c as u32) < 0x20 => None,
            c => Some(c),
        };
        if out.is_none() {
            self.bad = true;
            self.chars = "".chars();
        }
        out
    }
}

/// The character of the escape after a `\`.
fn escape(chars: &mut std::str::Chars<'_>) -> Option<char> {
    Some(match chars.next()? {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let hi = hex4(chars)?;
            if (0xD800..0xDC00).contains(&hi) {
                if chars.next()? != '\\' || chars.next()? != 'u' {
                    return None;
                }
                let lo = hex4(chars)?;
                if !(0xDC00..0xE000).contains(&lo) {
                    return None;
                }
                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
            } else {
                char::from_u32(hi)?
            }
        }
        _ => return None,
    })
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// The index of the first `"`, `\` or control character (< 0x20) in
/// `bytes[from..]`, or `bytes.len()`. Eight bytes at a time.
fn find_special(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // A byte's high bit is set where it is zero (resp. below 0x20); a
        // borrow can only mark bytes above a true match, so the lowest mark
        // is a true one.
        let hits = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGH;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

mod reader;

pub(crate) use reader::{RawStr, Reader, Value, str_array, str_array_items};

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

    // --- the reader against the serde reading it replaced -----------------

    /// What a registered member held, comparable across the two readers.
    #[derive(Debug, PartialEq)]
    enum Seen {
        Str(String),
        U64(u64),
        I64(i64),
        F64(f64),
        Bool,
        Null,
        StrArray(Vec<String>),
        Other,
    }

    const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

    fn seen_of_scalar(s: Scalar<'_>) -> Seen {
        match s {
            Scalar::Str(s) => Seen::Str(s.into_owned()),
            Scalar::U64(v) => Seen::U64(v),
            Scalar::I64(v) => Seen::I64(v),
            Scalar::F64(v) => Seen::F64(v),
            Scalar::Bool => Seen::Bool,
            Scalar::Null => Seen::Null,
            Scalar::StrArray(v) => Seen::StrArray(v.into_iter().map(Cow::into_owned).collect()),
            Scalar::Other => Seen::Other,
        }
    }

    /// The serde reading ropc's JWT verifier used before [`Reader`]: the
    /// outer object's names checked after their values, registered members
    /// read as [`Scalar`], the others as [`StrictAny`].
    fn by_serde(input: &[u8]) -> Result<Vec<(String, Seen)>, Problem> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<(String, Seen)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = KeySet::new();
                let mut out = Vec::new();
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    if REGISTERED.contains(&&*key) {
                        let v = map.next_value::<Scalar<'de>>()?;
                        out.push((key.to_string(), seen_of_scalar(v)));
                    } else {
                        map.next_value::<StrictAny>()?;
                    }
                    keys.insert(key)?;
                }
                Ok(out)
            }
        }
        let mut de = serde_json::Deserializer::from_slice(input);
        de::Deserializer::deserialize_map(&mut de, V)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| classify(&e))
    }

    fn by_reader(input: &[u8]) -> Result<Vec<(String, Seen)>, Problem> {
        let mut r = Reader::from_slice(input);
        let mut out = Vec::new();
        r.object(|r, key| {
            let name = r.text(key).into_owned();
            if REGISTERED.contains(&name.as_str()) {
                let seen = match r.value()? {
                    Value::Str(s) => Seen::Str(r.text(s).into_owned()),
                    Value::U64(v) => Seen::U64(v),
                    Value::I64(v) => Seen::I64(v),
                    Value::F64(v) => Seen::F64(v),
                    Value::Bool => Seen::Bool,
                    Value::Null => Seen::Null,
                    Value::StrArray { start, end, .. } => {
                        let mut items = Vec::new();
                        let mut again = Reader::from_slice(&input[..end]);
                        again.pos = start;
                        again
                            .array(|a| {
                                a.peek_ws();
                                let s = a.string()?;
                                items.push(a.text(s).into_owned());
                                Ok(())
                            })
                            .unwrap();
                        Seen::StrArray(items)
                    }
                    Value::Other => Seen::Other,
                };
                out.push((name, seen));
            } else {
                r.skip()?;
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn same_reading(input: &[u8]) {
        let serde = by_serde(input);
        let mine = by_reader(input);
        // Floats compared bit for bit: serde_json has `float_roundtrip` on,
        // and the reader uses the standard library's exact parse.
        let agree = match (&serde, &mine) {
            (Ok(a), Ok(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b).all(|((ka, va), (kb, vb))| {
                        ka == kb
                            && match (va, vb) {
                                (Seen::F64(x), Seen::F64(y)) => x.to_bits() == y.to_bits(),
                                (x, y) => x == y,
                            }
                    })
            }
            (a, b) => a == b,
        };
        assert!(
            agree,
            "{:?}\nserde:  {serde:?}\nreader: {mine:?}",
            String::from_utf8_lossy(input)
        );
    }

    const SEEDS: &[&str] = &[
        r#"{"iss":"https://id.example","sub":"alice","aud":["a","b"],"exp":1767229200,"nbf":1767225600.5,"iat":-0,"jti":"x\u0041y","scope":"openid email","n":{"a":[1,2.5e3,{"b":null}],"c":true},"e":"\ud83d\ude00\n"}"#,
        r#"{"alg":"HS256","typ":"JWT","crit":["b64"],"kid":"k1"}"#,
        r#"{"a":{"x":1,"y":{"x":2}},"b":[{"x":1},{"x":1}],"\u0061\u0062":[],"exp":-9223372036854775808}"#,
        r#" { "exp" : 18446744073709551615 , "nbf" : 18446744073709551616 , "iat" : 1E2 , "aud" : [ ] } "#,
        r#"{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"long-name-longer-than-eight":1,"long-name-longer-than-eighT":2}"#,
        r#"{"x":"a\"b\\c\/d\b\f\n\r\t","sub":"\u00e9\u20ac","aud":"\uD834\uDD1E"}"#,
        r#"[1,2,3]"#,
        r#""just a string""#,
        r#"-12.5e-3"#,
        r#"null"#,
    ];

    #[test]
    fn the_reader_reads_the_seeds_as_serde_did() {
        for seed in SEEDS {
            same_reading(seed.as_bytes());
        }
        for text in [
            "",
            " ",
            "{",
            "}",
            "{}",
            "{} ",
            "{}x",
            "{,}",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":01}"#,
            r#"{"a":-}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":1e+}"#,
            r#"{"a":+1}"#,
            r#"{"a":1e400}"#,
            r#"{"exp":1e400}"#,
            r#"{"a":-1e400}"#,
            r#"{"a":1e-400}"#,
            r#"{"a":1e99999999999999999999}"#,
            r#"{"a":0e99999999999999999999}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":True}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            r#"{"a":"\u12g4"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            r#"{"a":"\ud800\ud800"}"#,
            "{\"a\":\"\u{1}\"}",
            "{\"a\":\"\t\"}",
            "{\"a\":\"\u{7f}\"}",
            r#"{"a":"x"#,
            r#"{"a":1,"a":[}"#,
            r#"{"x":{"a":1,"a":[}}"#,
            r#"{"exp":1,"exp":"x"}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"é":1,"\u00e9":2}"#,
            r#"{"a\u0000":1,"a":2}"#,
            r#"[1,"#,
            r#""abc"#,
            "tru",
            "01",
            "-",
            "1x",
            "nullx",
            r#""a"x"#,
            "[",
            "{\"a\":[1,2,]}",
            r#"{"aud":["a",1]}"#,
            r#"{"aud":["a",["b"]]}"#,
            r#"{"aud":["a",{"b":1,"b":2}]}"#,
            r#"{"aud":{"b":1,"b":2}}"#,
            r#"{"exp":-0.0,"nbf":-1,"iat":1.5}"#,
            r#"{"exp":123456789012345678901234567890}"#,
            r#"{"exp":1.7976931348623157e308,"nbf":1.7976931348623159e308}"#,
            r#"{"exp":-2.0616078786451374e-150,"iat":253402300799.99999999999}"#,
            "\u{feff}{}",
            "{}\u{0}",
            "{\"a\":1}\n\r\t ",
        ] {
            same_reading(text.as_bytes());
        }
        // Not UTF-8 (the header is read from bytes).
        same_reading(b"{\"a\":\"\xff\"}");
        same_reading(b"{\"a\xc3\":1}");
        same_reading(b"\xff");
        same_reading(b"[\xff");
        same_reading(b"\"\xff\"");
    }

    #[test]
    fn the_reader_stops_at_serde_jsons_depth() {
        for depth in [1, 2, 100, 126, 127, 128, 129, 200] {
            for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
                let inner = format!("{}1{}", open.repeat(depth), close.repeat(depth));
                same_reading(format!("{{\"a\":{inner}}}").as_bytes());
                same_reading(format!("{{\"exp\":{inner}}}").as_bytes());
            }
        }
    }

    #[test]
    fn the_reader_agrees_with_serde_on_mutated_inputs() {
        // A fixed xorshift: the same cases on every run.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let pieces: &[&[u8]] = &[
            b"\"",
            b"\\",
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b"0",
            b"1",
            b"-",
            b"+",
            b".",
            b"e",
            b"E",
            b" ",
            b"\n",
            b"\x01",
            b"\\u",
            b"\\ud83d",
            b"\\udc00",
            b"null",
            b"true",
            b"\xc3\xa9",
            b"\xff",
            b"\"a\":1",
            b"\"iss\"",
            b"\"aud\"",
            b"\"exp\"",
            b"1e400",
        ];
        let mut cases = 0;
        for seed in SEEDS {
            for _ in 0..3000 {
                let mut input = seed.as_bytes().to_vec();
                for _ in 0..=(next() % 3) {
                    let at = (next() as usize) % (input.len() + 1);
                    match next() % 4 {
                        0 if at < input.len() => {
                            input.remove(at);
                        }
                        1 if at < input.len() => {
                            input[at] = (next() % 128) as u8;
                        }
                        2 if at + 1 < input.len() => {
                            let end = (at + 1 + (next() as usize) % 16).min(input.len());
                            let copy = input[at..end].to_vec();
                            let to = (next() as usize) % (input.len() + 1);
                            input.splice(to..to, copy);
                        }
                        _ => {
                            let piece = pieces[(next() as usize) % pieces.len()];
                            input.splice(at..at, piece.iter().copied());
                        }
                    }
                }
                same_reading(&input);
                cases += 1;
            }
        }
        assert!(cases > 10_000);
    }
}
