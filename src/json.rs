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

// ---------------------------------------------------------------------------
// A strict JSON reader for the JWT header and payload

/// serde_json's nesting limit, kept so both readers draw the line at the same
/// depth: 127 nested arrays/objects, the outer object included.
const MAX_DEPTH: u8 = 128;

/// Member names kept on the stack before the reader spills to the heap (for
/// all the objects open at once).
const INLINE_KEYS: usize = 32;

/// A JSON string as it appears in the input: the bytes between the quotes.
// All fields word-sized: with a `bool` among them, moving a
// `Result<RawStr, Problem>` compiled to overlapping unaligned copies that
// stalled on store forwarding (a third of the reader's time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawStr {
    /// Offset of the first byte after the opening quote.
    pub(crate) start: usize,
    /// Offset of the closing quote.
    pub(crate) end: usize,
    /// How many `\` escapes the text holds.
    pub(crate) escapes: usize,
}

impl RawStr {
    /// Whether the text holds an escape.
    pub(crate) fn escaped(self) -> bool {
        self.escapes != 0
    }
}

/// A value read by [`Reader::value`]: whatever JSON type it has is accepted
/// here, so a value of the wrong type becomes the caller's precise error.
/// Numbers come out as serde_json's `deserialize_any` gives them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Value {
    Str(RawStr),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool,
    Null,
    /// An array whose elements are all strings: its offsets, `[` to `]`
    /// inclusive, and how many escapes its elements hold.
    StrArray {
        start: usize,
        end: usize,
        escapes: usize,
    },
    /// An object, or an array holding something other than strings.
    Other,
}

/// The member names of every open object, innermost last: each object
/// checks its names against its own part of the stack. A name is kept as a
/// fingerprint of its unescaped bytes (equal names have equal fingerprints)
/// and its place in the input, read again only when fingerprints match.
struct Keys {
    /// A bit per fingerprint class, for the innermost open object. (A
    /// `u128` here was updated 32 bits at a time and read back whole: a
    /// store-forwarding stall per name.)
    seen: u64,
    fingerprints: [u64; INLINE_KEYS],
    names: [(usize, usize); INLINE_KEYS],
    len: usize,
    spill: Vec<(u64, (usize, usize))>,
}

impl Keys {
    fn new() -> Self {
        Keys {
            seen: 0,
            fingerprints: [0; INLINE_KEYS],
            names: [(0, 0); INLINE_KEYS],
            len: 0,
            spill: Vec::new(),
        }
    }

    /// The names at `base..` whose fingerprint is `fingerprint`.
    fn matching(&self, base: usize, fingerprint: u64) -> impl Iterator<Item = (usize, usize)> + '_ {
        let inline = &self.fingerprints[base.min(INLINE_KEYS)..self.len.min(INLINE_KEYS)];
        let first = base.min(INLINE_KEYS);
        let spilled = &self.spill[base.saturating_sub(INLINE_KEYS)..];
        inline
            .iter()
            .enumerate()
            .filter(move |&(_, &f)| f == fingerprint)
            .map(move |(i, _)| self.names[first + i])
            .chain(
                spilled
                    .iter()
                    .filter(move |(f, _)| *f == fingerprint)
                    .map(|&(_, name)| name),
            )
    }

    fn push(&mut self, fingerprint: u64, name: (usize, usize)) {
        if self.len < INLINE_KEYS {
            self.fingerprints[self.len] = fingerprint;
            self.names[self.len] = name;
        } else {
            self.spill.push((fingerprint, name));
        }
        self.len += 1;
    }

    fn truncate(&mut self, len: usize) {
        self.len = len;
        self.spill.truncate(len.saturating_sub(INLINE_KEYS));
    }
}

/// A fingerprint of a name's bytes: its length, first and last eight bytes
/// (read as integers: a `copy_from_slice` here was a `memcpy` call).
fn fingerprint(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |at: usize| {
        u64::from(u32::from_le_bytes(
            bytes[at..at + 4].try_into().unwrap_or([0; 4]),
        ))
    };
    let (head, tail) = if n >= 8 {
        (word(0), word(n - 8))
    } else if n >= 4 {
        (half(0) | half(n - 4) << 32, 0)
    } else {
        let mut v = 0;
        for (i, &b) in bytes.iter().enumerate() {
            v |= u64::from(b) << (8 * i);
        }
        (v, 0)
    };
    head ^ tail.rotate_left(29) ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A strict, allocation-free JSON reader that accepts exactly what serde_json
/// accepts (RFC 8259 with serde_json's nesting limit and its refusal of
/// numbers that overflow `f64`), rejects duplicate member names at every
/// depth, and hands back strings as offsets into the input.
///
/// It reports the same [`Problem`] serde_json's reading with ropc's
/// visitors did, in the same order: syntax errors and duplicates are found
/// as the input is read; the outer object's names are checked after each
/// member's value, inner objects' names before it.
pub(crate) struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    /// Whether `src` is known to be UTF-8 (otherwise each string is checked).
    utf8: bool,
    depth: u8,
    keys: Keys,
}

impl<'a> Reader<'a> {
    /// A reader over text already checked to be UTF-8.
    pub(crate) fn from_str(src: &'a str) -> Self {
        Self::new(src.as_bytes(), true)
    }

    /// A reader over bytes that may not be UTF-8 (strings are checked, as
    /// serde_json's `from_slice` does).
    pub(crate) fn from_slice(src: &'a [u8]) -> Self {
        Self::new(src, false)
    }

    fn new(src: &'a [u8], utf8: bool) -> Self {
        Reader {
            src,
            pos: 0,
            utf8,
            depth: MAX_DEPTH,
            keys: Keys::new(),
        }
    }

    /// Reads the whole input as one JSON object, calling `member` with each
    /// member's name; `member` must read the value with [`Reader::value`] or
    /// [`Reader::skip`]. Nothing but whitespace may follow the object.
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&mut Self, RawStr) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        match self.peek_ws() {
            Some(b'{') => {}
            _ => return Err(self.not_object()),
        }
        self.enter()?;
        self.pos += 1;
        if self.peek_ws() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                let key = self.key()?;
                member(self, key)?;
                // The outer object's names are checked after the value, as
                // ropc's serde visitors did.
                self.insert_key(0, key)?;
                match self.peek_ws() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(Problem::Syntax),
                }
            }
        }
        self.depth += 1;
        match self.peek_ws() {
            None => Ok(()),
            Some(_) => Err(Problem::Syntax),
        }
    }

    /// The name of a member as text: borrowed when it holds no escape.
    pub(crate) fn text(&self, s: RawStr) -> Cow<'a, str> {
        let raw = self.raw_text(s);
        if s.escaped() {
            // Checked when it was read, so unescaping cannot fail.
            Cow::Owned(Unescape::new(raw).collect())
        } else {
            Cow::Borrowed(raw)
        }
    }

    /// Whether a name equals `name` (which holds no `"` or `\`).
    pub(crate) fn is(&self, s: RawStr, name: &str) -> bool {
        if s.escaped() {
            Unescape::new(self.raw_text(s)).eq(name.chars())
        } else {
            &self.src[s.start..s.end] == name.as_bytes()
        }
    }

    fn raw_text(&self, s: RawStr) -> &'a str {
        // Checked to be UTF-8 when it was read.
        std::str::from_utf8(&self.src[s.start..s.end]).unwrap_or_default()
    }

    /// The top-level value was not an object: what serde_json says then (it
    /// reads a scalar to its end, a container not at all).
    fn not_object(&mut self) -> Problem {
        let outcome = match self.peek_ws() {
            Some(b'n') => self.literal(b"null"),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'-' | b'0'..=b'9') => self.number_skip(),
            Some(b'"') => self.scan_string().map(|_| ()),
            Some(b'[') => Ok(()),
            _ => Err(Problem::Syntax),
        };
        match outcome {
            Ok(()) => Problem::NotObject,
            Err(p) => p,
        }
    }

    fn enter(&mut self) -> Result<(), Problem> {
        self.depth -= 1;
        if self.depth == 0 {
            Err(Problem::Syntax)
        } else {
            Ok(())
        }
    }

    /// The next byte after whitespace (which is consumed), if any.
    fn peek_ws(&mut self) -> Option<u8> {
        while let Some(&b) = self.src.get(self.pos) {
            match b {
                b' ' | b'\n' | b'\t' | b'\r' => self.pos += 1,
                _ => return Some(b),
            }
        }
        None
    }

    /// A member name and its colon.
    #[inline(always)]
    fn key(&mut self) -> Result<RawStr, Problem> {
        if self.peek_ws() != Some(b'"') {
            return Err(Problem::Syntax);
        }
        let key = self.string()?;
        if self.peek_ws() != Some(b':') {
            return Err(Problem::Syntax);
        }
        self.pos += 1;
        Ok(key)
    }

    /// Records a member name of the object whose names start at `base` on
    /// the key stack; `Duplicate` when it is already there.
    fn insert_key(&mut self, base: usize, raw: RawStr) -> Result<(), Problem> {
        let fingerprint = if raw.escaped() {
            // Rare (and never in a well-behaved token): unescaped to be
            // fingerprinted like the plain names it may equal.
            let name: String = Unescape::new(self.raw_text(raw)).collect();
            fingerprint(name.as_bytes())
        } else {
            fingerprint(&self.src[raw.start..raw.end])
        };
        // Most names are new: one bit of a 64-bit filter says so without
        // looking at the others.
        let bit = 1u64 << (fingerprint.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58);
        let maybe_seen = self.keys.seen & bit != 0;
        self.keys.seen |= bit;
        if !maybe_seen {
            self.keys.push(fingerprint, (raw.start, raw.end));
            return Ok(());
        }
        for (start, end) in self.keys.matching(base, fingerprint) {
            let seen = &self.src[start..end];
            let mine = &self.src[raw.start..raw.end];
            let same = if raw.escaped() || seen.contains(&b'\\') {
                let seen = std::str::from_utf8(seen).unwrap_or_default();
                Unescape::new(seen).eq(Unescape::new(self.raw_text(raw)))
            } else {
                seen == mine
            };
            if same {
                return Err(Problem::Duplicate);
            }
        }
        self.keys.push(fingerprint, (raw.start, raw.end));
        Ok(())
    }

    /// Reads any value, typed for the caller.
    #[inline(always)]
    pub(crate) fn value(&mut self) -> Result<Value, Problem> {
        match self.peek_ws() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') => {
                let start = self.pos;
                let mut strings = true;
                let mut escapes = 0;
                self.array(|r| {
                    if strings && r.peek_ws() == Some(b'"') {
                        let s = r.string()?;
                        escapes += s.escapes;
                    } else {
                        strings = false;
                        r.skip()?;
                    }
                    Ok(())
                })?;
                Ok(if strings {
                    Value::StrArray {
                        start,
                        end: self.pos,
                        escapes,
                    }
                } else {
                    Value::Other
                })
            }
            Some(b'{') => {
                self.inner_object()?;
                Ok(Value::Other)
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'n') => self.literal(b"null").map(|()| Value::Null),
            Some(b't') => self.literal(b"true").map(|()| Value::Bool),
            Some(b'f') => self.literal(b"false").map(|()| Value::Bool),
            _ => Err(Problem::Syntax),
        }
    }

    /// Reads any value, checking it and discarding it.
    pub(crate) fn skip(&mut self) -> Result<(), Problem> {
        match self.peek_ws() {
            Some(b'"') => self.scan_string().map(|_| ()),
            Some(b'[') => self.array(Self::skip),
            Some(b'{') => self.inner_object(),
            Some(b'-' | b'0'..=b'9') => self.number_skip(),
            Some(b'n') => self.literal(b"null"),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            _ => Err(Problem::Syntax),
        }
    }

    /// An array at `pos`, each element read by `element`.
    fn array(
        &mut self,
        mut element: impl FnMut(&mut Self) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        self.enter()?;
        self.pos += 1;
        if self.peek_ws() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                element(self)?;
                match self.peek_ws() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(Problem::Syntax),
                }
            }
        }
        self.depth += 1;
        Ok(())
    }

    /// An object below the top level: names checked before their values.
    fn inner_object(&mut self) -> Result<(), Problem> {
        self.enter()?;
        self.pos += 1;
        let base = self.keys.len;
        let outer = std::mem::take(&mut self.keys.seen);
        if self.peek_ws() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                let key = self.key()?;
                self.insert_key(base, key)?;
                self.skip()?;
                match self.peek_ws() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(Problem::Syntax),
                }
            }
        }
        self.keys.truncate(base);
        self.keys.seen = outer;
        self.depth += 1;
        Ok(())
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Problem> {
        if self.src[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Problem::Syntax)
        }
    }

    /// A string at `pos` (on its opening quote): checked (escapes, control
    /// characters, UTF-8, paired surrogates) and returned as offsets.
    // Inlined (a small wrapper) so that the `RawStr` is built in registers:
    // returned through memory it stalled on store forwarding.
    #[inline(always)]
    fn string(&mut self) -> Result<RawStr, Problem> {
        let start = self.pos + 1;
        let escapes = self.scan_string()?;
        Ok(RawStr {
            start,
            end: self.pos - 1,
            escapes,
        })
    }

    /// Reads the string at `pos` up to and including its closing quote;
    /// returns how many escapes it holds.
    fn scan_string(&mut self) -> Result<usize, Problem> {
        let start = self.pos + 1;
        let mut i = start;
        let mut escapes = 0;
        loop {
            i = find_special(self.src, i);
            match self.src.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escapes += 1;
                    i = self.escape(i + 1)?;
                }
                _ => return Err(Problem::Syntax), // control character or end
            }
        }
        if !self.utf8 && std::str::from_utf8(&self.src[start..i]).is_err() {
            return Err(Problem::Syntax);
        }
        self.pos = i + 1;
        Ok(escapes)
    }

    /// Checks the escape whose letter is at `i`; returns the offset after it.
    fn escape(&self, i: usize) -> Result<usize, Problem> {
        match self.src.get(i) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 1),
            Some(b'u') => {
                let hi = self.hex4(i + 1)?;
                match hi {
                    0xDC00..=0xDFFF => Err(Problem::Syntax),
                    0xD800..=0xDBFF => {
                        if self.src.get(i + 5) != Some(&b'\\') || self.src.get(i + 6) != Some(&b'u')
                        {
                            return Err(Problem::Syntax);
                        }
                        match self.hex4(i + 7)? {
                            0xDC00..=0xDFFF => Ok(i + 11),
                            _ => Err(Problem::Syntax),
                        }
                    }
                    _ => Ok(i + 5),
                }
            }
            _ => Err(Problem::Syntax),
        }
    }

    fn hex4(&self, i: usize) -> Result<u32, Problem> {
        let digits = self.src.get(i..i + 4).ok_or(Problem::Syntax)?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + char::from(d).to_digit(16).ok_or(Problem::Syntax)?;
        }
        Ok(v)
    }

    /// The extent of a number at `pos` (serde_json's grammar: no leading
    /// zero, no `+`, digits on both sides of a `.`, an exponent with
    /// digits).
    fn number_extent(&mut self) -> Result<Number, Problem> {
        let src = self.src;
        let mut i = self.pos;
        if src.get(i) == Some(&b'-') {
            i += 1;
        }
        let mut magnitude = Some(0u64);
        match src.get(i) {
            Some(b'0') => {
                i += 1;
                if matches!(src.get(i), Some(b'0'..=b'9')) {
                    return Err(Problem::Syntax);
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(&d @ b'0'..=b'9') = src.get(i) {
                    magnitude = magnitude
                        .and_then(|m| m.checked_mul(10))
                        .and_then(|m| m.checked_add(u64::from(d - b'0')));
                    i += 1;
                }
            }
            _ => return Err(Problem::Syntax),
        }
        let mut fraction = false;
        if src.get(i) == Some(&b'.') {
            fraction = true;
            i += 1;
            if !matches!(src.get(i), Some(b'0'..=b'9')) {
                return Err(Problem::Syntax);
            }
            while matches!(src.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        let mut exponent = false;
        if matches!(src.get(i), Some(b'e' | b'E')) {
            exponent = true;
            i += 1;
            if matches!(src.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !matches!(src.get(i), Some(b'0'..=b'9')) {
                return Err(Problem::Syntax);
            }
            while matches!(src.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        Ok(Number {
            end: i,
            integer: if fraction || exponent {
                None
            } else {
                magnitude
            },
            exponent,
        })
    }

    /// The number's text as an `f64`; serde_json refuses one that overflows.
    fn float(&self, end: usize) -> Result<f64, Problem> {
        let text = std::str::from_utf8(&self.src[self.pos..end]).map_err(|_| Problem::Syntax)?;
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(f),
            _ => Err(Problem::Syntax),
        }
    }

    #[inline(always)]
    fn number(&mut self) -> Result<Value, Problem> {
        let number = self.number_extent()?;
        let negative = self.src[self.pos] == b'-';
        let value = match number.integer {
            Some(m) if !negative => Value::U64(m),
            // As serde_json: `-0` is -0.0, and below i64::MIN is a float.
            #[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
            Some(m) => {
                let neg = (m as i64).wrapping_neg();
                if neg >= 0 {
                    Value::F64(-(m as f64))
                } else {
                    Value::I64(neg)
                }
            }
            None => Value::F64(self.float(number.end)?),
        };
        self.pos = number.end;
        Ok(value)
    }

    fn number_skip(&mut self) -> Result<(), Problem> {
        let number = self.number_extent()?;
        // Only an exponent or more than 300 digits can overflow an f64.
        if number.exponent || number.end - self.pos > 300 {
            self.float(number.end)?;
        }
        self.pos = number.end;
        Ok(())
    }
}

/// Calls `item` with each element of the array of strings at `range` of
/// `text` (read before as [`Value::StrArray`]).
pub(crate) fn str_array(text: &str, range: std::ops::Range<usize>, mut item: impl FnMut(RawStr)) {
    let mut r = Reader::from_str(text.get(..range.end).unwrap_or_default());
    r.pos = range.start;
    // Read before without error, so this cannot fail either.
    let _ = r.array(|r| {
        r.peek_ws();
        item(r.string()?);
        Ok(())
    });
}

/// What [`Reader::number_extent`] found.
struct Number {
    /// Offset after the number.
    end: usize,
    /// The magnitude of an integer (no fraction or exponent) that fits a
    /// `u64`; `None` for anything read as a float.
    integer: Option<u64>,
    /// Whether it has an exponent.
    exponent: bool,
}

/// The elements of an array of strings without escapes, read back from its
/// text (`[` to `]`), as offsets.
pub(crate) fn str_array_items(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(&b) = bytes.get(i) {
            i += 1;
            if b == b'"' {
                let start = i;
                while bytes.get(i).is_some_and(|&b| b != b'"') {
                    i += 1;
                }
                let end = i;
                i += 1;
                return Some((start, end));
            }
        }
        None
    })
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
