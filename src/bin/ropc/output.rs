//! What `ropc` prints: JSON written by serde_json into zeroized buffers that
//! never grow, and stdout written without std's buffer.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use ropc::{Secret, Tokens};
use serde::Serializer as _;
use serde::de::{self, Deserializer as _, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap as _;
use serde_json::ser::{CompactFormatter, Formatter};
use serde_json::value::RawValue;
use zeroize::Zeroizing;

use crate::Fail;

/// Bytes for stdout, in a zeroized buffer that never grows: its capacity is
/// reserved up front for the worst case, and a write past it is an error, so
/// no reallocation leaves an unwiped copy of a token in a freed block.
pub(crate) struct Buf(Zeroizing<Vec<u8>>);

impl Buf {
    pub(crate) fn with_capacity(capacity: usize) -> Buf {
        Buf(Zeroizing::new(Vec::with_capacity(capacity)))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Write for Buf {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if bytes.len() > self.0.capacity() - self.0.len() {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                "more output than was reserved",
            ));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `text` and a newline.
pub(crate) fn line(text: &str) -> Buf {
    let mut out = Buf::with_capacity(text.len() + 1);
    out.0.extend_from_slice(text.as_bytes());
    out.0.push(b'\n');
    out
}

/// Room for one string serde_json writes: every byte escaped as `\u00XX`,
/// and the quotes.
fn json_str_len(s: &str) -> usize {
    s.len() * 6 + 2
}

/// The `ropc token` / `ropc refresh` object, and a newline:
/// `{"token_type", "access_token", "refresh_token", "id_token", "expires_in",
/// "scope", "claims"}` (`id_token` passed through unverified, or `null`;
/// `claims` `null` for an opaque access token, which is not verified).
pub(crate) fn tokens_json(tokens: &Tokens) -> Result<Buf, Fail> {
    let access = tokens.access_token().expose_secret();
    let refresh = tokens.refresh_token().map(Secret::expose_secret);
    let id = tokens.id_token().map(Secret::expose_secret);
    let scope = tokens.scope();
    let claims = if tokens.is_verified() {
        compact_claims(tokens.claims().as_json(), 0)?
    } else {
        let mut null = Buf::with_capacity(4);
        null.0.extend_from_slice(b"null");
        null
    };
    let mut out = Buf::with_capacity(
        json_str_len(access)
            + refresh.map_or(0, json_str_len)
            + id.map_or(0, json_str_len)
            + scope.map_or(0, json_str_len)
            + claims.as_bytes().len()
            // The member names, "Bearer", `null`s, expires_in and the newline.
            + 256,
    );
    // The compact claims go in as they are: checked to be one JSON value
    // (borrowed, not copied) and written by serde_json as raw text.
    let claims: &RawValue = serde_json::from_slice(claims.as_bytes()).map_err(unencodable)?;
    write_tokens(&mut out, tokens, claims).map_err(unencodable)?;
    Ok(out)
}

fn write_tokens(out: &mut Buf, tokens: &Tokens, claims: &RawValue) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::new(&mut *out);
    let mut map = ser.serialize_map(Some(7))?;
    map.serialize_entry("token_type", "Bearer")?;
    map.serialize_entry("access_token", tokens.access_token().expose_secret())?;
    let refresh = tokens.refresh_token().map(Secret::expose_secret);
    map.serialize_entry("refresh_token", &refresh)?;
    map.serialize_entry("id_token", &tokens.id_token().map(Secret::expose_secret))?;
    map.serialize_entry("expires_in", &tokens.expires_in())?;
    map.serialize_entry("scope", &tokens.scope())?;
    map.serialize_entry("claims", claims)?;
    map.end()?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

/// The `ropc verify` output: the claims compacted, and a newline.
pub(crate) fn claims_json(claims: &str) -> Result<Buf, Fail> {
    let mut out = compact_claims(claims, 1)?;
    out.write_all(b"\n")
        .map_err(|e| unencodable(serde_json::Error::io(e)))?;
    Ok(out)
}

/// `claims` without the whitespace between tokens, in a buffer with `extra`
/// bytes to spare.
fn compact_claims(claims: &str, extra: usize) -> Result<Buf, Fail> {
    // The transcoder only drops whitespace: its output is never longer than
    // its input.
    let mut out = Buf::with_capacity(claims.len() + extra);
    write_compact(&mut out, claims).map_err(unencodable)?;
    Ok(out)
}

/// The claims were verified as JSON, so this is not expected to happen; the
/// serde_json message is left out, as it could quote the claims.
fn unencodable(e: serde_json::Error) -> Fail {
    let why = if e.is_io() {
        "more output than was reserved".to_owned()
    } else {
        format!("not JSON at line {} column {}", e.line(), e.column())
    };
    Fail {
        code: 4,
        message: format!("token verification failed: the claims cannot be printed: {why}"),
    }
}

// ---------------------------------------------------------------------------
// The claims transcoder

/// Nesting deeper than this is refused (serde_json's own limit, which the
/// verifier applies too): each level is one recursion of [`write_value`].
const MAX_DEPTH: usize = 128;

/// Writes the JSON text `json` with the whitespace between its tokens
/// removed. serde_json parses it and writes the structure; member names and
/// scalars (numbers, strings, `true`, `false`, `null`) are copied as raw
/// text, exactly as they were signed: no number is converted (`u64::MAX`,
/// `i64::MIN`, 2^53+1 and `1.5e3` keep their text) and no string is
/// unescaped, so no unwiped copy of one is made either.
///
/// Duplicate member names are not looked for: the verifier refused them.
pub(crate) fn write_compact(out: &mut Buf, json: &str) -> serde_json::Result<()> {
    let value: &RawValue = serde_json::from_str(json)?;
    write_value(out, value, MAX_DEPTH)
}

fn write_value(out: &mut Buf, value: &RawValue, depth: usize) -> serde_json::Result<()> {
    let text = value.get();
    let container = match text.trim_start_matches([' ', '\t', '\n', '\r']).as_bytes() {
        [b'{', ..] => true,
        [b'[', ..] => false,
        _ => {
            return CompactFormatter
                .write_raw_fragment(out, text)
                .map_err(serde_json::Error::io);
        }
    };
    if depth == 0 {
        return Err(de::Error::custom("nested too deeply"));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let items = Items {
        out,
        depth: depth - 1,
    };
    if container {
        de.deserialize_map(items)?;
    } else {
        de.deserialize_seq(items)?;
    }
    de.end()
}

/// The members of an object or the elements of an array, each value taken
/// as its raw text and written by [`write_value`].
struct Items<'o> {
    out: &'o mut Buf,
    depth: usize,
}

impl Items<'_> {
    fn value<E: de::Error>(&mut self, value: &RawValue) -> Result<(), E> {
        write_value(self.out, value, self.depth).map_err(E::custom)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let f = &mut CompactFormatter;
        f.begin_object(self.out).map_err(io_error)?;
        let mut first = true;
        // The name as raw text too: a quoted JSON string, kept as signed.
        while let Some(name) = map.next_key::<&RawValue>()? {
            let value: &RawValue = map.next_value()?;
            f.begin_object_key(self.out, first).map_err(io_error)?;
            f.write_raw_fragment(self.out, name.get())
                .map_err(io_error)?;
            f.end_object_key(self.out).map_err(io_error)?;
            f.begin_object_value(self.out).map_err(io_error)?;
            self.value(value)?;
            f.end_object_value(self.out).map_err(io_error)?;
            first = false;
        }
        f.end_object(self.out).map_err(io_error)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let f = &mut CompactFormatter;
        f.begin_array(self.out).map_err(io_error)?;
        let mut first = true;
        while let Some(value) = seq.next_element::<&RawValue>()? {
            f.begin_array_value(self.out, first).map_err(io_error)?;
            self.value(value)?;
            f.end_array_value(self.out).map_err(io_error)?;
            first = false;
        }
        f.end_array(self.out).map_err(io_error)
    }
}

fn io_error<E: de::Error>(e: io::Error) -> E {
    E::custom(e)
}

// ---------------------------------------------------------------------------
// Standard streams

/// A `File` on a duplicate of the stream's descriptor: reads and writes go
/// straight to the kernel, not through std's stdin/stdout buffers, which are
/// never freed or wiped and would keep a copy of the password or the tokens
/// for the life of the process.
pub(crate) fn unbuffered(stream: &impl std::os::fd::AsFd) -> io::Result<std::fs::File> {
    Ok(std::fs::File::from(stream.as_fd().try_clone_to_owned()?))
}

/// Checks, before anything is sent, that `--output FILE` (when given) can
/// be replaced: the token store's rules (a regular file of the user's, or
/// nothing, in a directory that exists).
pub(crate) fn check_file(file: Option<&Path>) -> Result<(), Fail> {
    match file {
        None => Ok(()),
        Some(path) => ropc::_cli::check_output(path).map_err(|why| output_failed(path, &why)),
    }
}

/// Writes `out` to stdout, or with `--output FILE` replaces FILE with it
/// atomically (mode 0600; on any failure FILE is left as it was).
pub(crate) fn deliver(out: Buf, file: Option<&Path>) -> Result<(), Fail> {
    match file {
        None => emit(out),
        Some(path) => {
            ropc::_cli::replace_file(path, out.as_bytes()).map_err(|why| output_failed(path, &why))
        }
    }
}

fn output_failed(path: &Path, why: &str) -> Fail {
    Fail::usage(format!("--output {}: {why}", path.display()))
}

/// Writes `out` to stdout in one go (unbuffered); it is wiped when dropped.
pub(crate) fn emit(out: Buf) -> Result<(), Fail> {
    let fail = |e: io::Error| Fail::usage(format!("cannot write to stdout: {e}"));
    // Anything std buffered earlier goes first.
    io::stdout().flush().map_err(fail)?;
    let mut stdout = unbuffered(&io::stdout()).map_err(fail)?;
    stdout.write_all(out.as_bytes()).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact(json: &str) -> String {
        let mut out = Buf::with_capacity(json.len());
        write_compact(&mut out, json).unwrap();
        String::from_utf8(out.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn numbers_keep_their_text() {
        let json = r#"{"big":18446744073709551615,"neg":-9223372036854775808,"odd":9007199254740993,"f":1.5e3,"g":-0.0,"h":1E+2,"i":1.10}"#;
        assert_eq!(compact(json), json);
    }

    #[test]
    fn strings_and_names_keep_their_escapes() {
        let json = r#"{"s":"a\"b\u00e9\/ \n","\u0061 b":"x","n":null,"t":true,"f":false}"#;
        assert_eq!(compact(json), json);
    }

    #[test]
    fn whitespace_between_tokens_is_dropped_at_every_depth() {
        let json = " {\n \"a\" : [ 1 , { \"b\" : [ ] , \"c\" : { } } , \"x y\" ] ,\t\"d\"\r: {\"e\" :[[ 2 ]]} } ";
        assert_eq!(
            compact(json),
            r#"{"a":[1,{"b":[],"c":{}},"x y"],"d":{"e":[[2]]}}"#
        );
        assert_eq!(compact(" [ ] "), "[]");
        assert_eq!(compact(" { } "), "{}");
        assert_eq!(compact(" 12 "), "12");
    }

    #[test]
    fn nesting_up_to_serde_jsons_limit_is_kept() {
        let json = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        assert_eq!(compact(&json), json);
        let too_deep = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let mut out = Buf::with_capacity(too_deep.len());
        assert!(write_compact(&mut out, &too_deep).is_err());
    }

    #[test]
    fn malformed_json_is_an_error() {
        for json in [
            "",
            "{",
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            "[1 2]",
            "{} {}",
            "{1:2}",
        ] {
            let mut out = Buf::with_capacity(64);
            assert!(write_compact(&mut out, json).is_err(), "{json}");
        }
    }

    #[test]
    fn the_buffer_never_grows() {
        let mut out = Buf::with_capacity(4);
        assert!(out.write_all(b"1234").is_ok());
        assert!(out.write_all(b"5").is_err());
        assert_eq!(out.as_bytes(), b"1234");
        let mut out = Buf::with_capacity(3);
        assert!(write_compact(&mut out, "[1, 2]").is_err());
    }

    #[test]
    fn strings_are_escaped_by_serde_json_within_the_reserved_room() {
        let s = "\u{1}\"\\\n\u{7f}é";
        let mut out = Buf::with_capacity(json_str_len(s));
        serde_json::to_writer(&mut out, s).unwrap();
        assert_eq!(out.as_bytes(), "\"\\u0001\\\"\\\\\\n\u{7f}é\"".as_bytes());
        let worst = "\u{1}".repeat(10);
        let mut out = Buf::with_capacity(json_str_len(&worst));
        serde_json::to_writer(&mut out, &worst).unwrap();
        assert_eq!(out.as_bytes().len(), json_str_len(&worst));
    }
}
