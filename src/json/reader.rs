//! A strict JSON reader for the JWT header and payload (see the parent
//! module's documentation).

use super::*;

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
    pub(super) pos: usize,
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
    pub(super) fn peek_ws(&mut self) -> Option<u8> {
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
    pub(super) fn array(
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
    pub(super) fn string(&mut self) -> Result<RawStr, Problem> {
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
