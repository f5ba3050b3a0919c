//! [`Secret`]: an owned string that is wiped from memory when dropped.

use core::fmt;
use std::io::{self, Read};
use std::path::Path;

use zeroize::{Zeroize, Zeroizing};

/// The largest secret [`Secret::read_line`] and [`Secret::from_file`] read:
/// 64 KiB.
pub const MAX_SECRET_SIZE: usize = 64 * 1024;

/// An owned secret string: a password, a client secret or a token.
///
/// * its heap buffer, spare capacity included, is overwritten with zeros when
///   the `Secret` is dropped;
/// * `Debug` and `Display` print `[redacted]`, never the value;
/// * `==` compares in constant time (only the lengths can be told apart);
/// * the value is reached only through [`Secret::expose_secret`], so every
///   place that reads it is easy to find.
///
/// Converting from a [`String`] takes over its buffer without copying; from a
/// `&str` the bytes are copied into a buffer of exactly the right size. The
/// caller stays responsible for wiping any copy it keeps itself.
///
/// ```
/// let secret = ropc::Secret::from("hunter2");
/// assert_eq!(format!("{secret:?}"), "Secret([redacted])");
/// assert_eq!(secret.expose_secret(), "hunter2");
/// ```
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Returns the secret value. Every call site is a place where the secret
    /// leaves ropc's care: keep the borrow short and never log it.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Length of the secret in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// `true` when the secret is the empty string.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value for an `Authorization` header: `Bearer <secret>`, in a
    /// buffer of its own that is wiped on drop (no `format!` copy left
    /// behind).
    ///
    /// ```
    /// let token = ropc::Secret::from("eyJ.payload.sig");
    /// assert_eq!(token.bearer().expose_secret(), "Bearer eyJ.payload.sig");
    /// ```
    #[must_use]
    pub fn bearer(&self) -> Secret {
        let mut out = Zeroizing::new(String::with_capacity(7 + self.len()));
        out.push_str("Bearer ");
        out.push_str(self.expose_secret());
        Secret(out)
    }

    /// The first line of `reader` (without its `\n` or `\r\n`), read a byte
    /// at a time straight into a zeroized buffer (no `BufReader` keeping a
    /// copy, nothing after the line consumed), and no further than two bytes
    /// past [`MAX_SECRET_SIZE`] (a line of that size and its `\r\n`): a
    /// password or a token from stdin or a pipe. Empty input is an empty
    /// secret, as an empty line is; [`read_first_line`](Self::read_first_line)
    /// tells them apart, and takes a smaller cap.
    ///
    /// ```
    /// let password = ropc::Secret::read_line(&b"hunter2\nnext line"[..])?;
    /// assert_eq!(password.expose_secret(), "hunter2");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The reader's error; `InvalidData` when the line is longer than
    /// [`MAX_SECRET_SIZE`] or is not UTF-8.
    pub fn read_line(reader: impl Read) -> io::Result<Secret> {
        match read_capped(reader, MAX_SECRET_SIZE, Until::Newline) {
            Ok(bytes) => into_secret(bytes.unwrap_or_default()),
            Err(Capped::TooLarge) => Err(invalid(format!("longer than {MAX_SECRET_SIZE} bytes"))),
            Err(Capped::Io(e)) => Err(e),
        }
    }

    /// The first line of `reader`, read as [`read_line`](Self::read_line)
    /// reads it, at most `max` bytes long (without its line ending; `max` is
    /// at most [`MAX_SECRET_SIZE`]); `None` when the reader ends before
    /// giving a byte: no line at all, where an empty line is an empty secret.
    /// For a program that says which it was, or that reads something with a
    /// cap of its own (a token for a verifier).
    ///
    /// ```
    /// use ropc::Secret;
    ///
    /// assert_eq!(Secret::read_first_line(&b""[..], 64)?, None);
    /// assert_eq!(Secret::read_first_line(&b"\n"[..], 64)?, Some(Secret::from("")));
    /// let long = Secret::read_first_line(&b"0123456789\n"[..], 8).unwrap_err();
    /// assert_eq!(long.kind(), std::io::ErrorKind::FileTooLarge);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The reader's error; `FileTooLarge` when the line is longer than `max`
    /// (found at most two bytes past it); `InvalidData` when it is not UTF-8.
    pub fn read_first_line(reader: impl Read, max: usize) -> io::Result<Option<Secret>> {
        let max = max.min(MAX_SECRET_SIZE);
        match read_capped(reader, max, Until::Newline) {
            Ok(Some(bytes)) => into_secret(bytes).map(Some),
            Ok(None) => Ok(None),
            Err(Capped::TooLarge) => Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("longer than {max} bytes"),
            )),
            Err(Capped::Io(e)) => Err(e),
        }
    }

    /// The secret held in the file at `path`: the whole file but one
    /// trailing `\n` or `\r\n`, at most [`MAX_SECRET_SIZE`] bytes however the
    /// file is given (a regular file, a pipe, `/dev/zero`), into zeroized
    /// buffers. [`from_reader`](Self::from_reader) reads a file already
    /// opened.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("ropc-doc-client-secret");
    /// std::fs::write(&path, "s3cret\n")?;
    /// assert_eq!(ropc::Secret::from_file(&path)?.expose_secret(), "s3cret");
    /// # std::fs::remove_file(path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The file's open or read error; `InvalidData` when it is larger than
    /// [`MAX_SECRET_SIZE`] or is not UTF-8.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<Secret> {
        Secret::from_reader(std::fs::File::open(path)?)
    }

    /// The secret `reader` holds, read as [`from_file`](Self::from_file)
    /// reads a file: all of it but one trailing `\n` or `\r\n`, at most
    /// [`MAX_SECRET_SIZE`] bytes, into zeroized buffers. For a file the
    /// program opened itself (to look at the open file's metadata first, say:
    /// its mode, with no race between the look and the read), or a pipe.
    ///
    /// ```
    /// let secret = ropc::Secret::from_reader(&b"s3cret\r\n"[..])?;
    /// assert_eq!(secret.expose_secret(), "s3cret");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The reader's error; `InvalidData` when it gives more than
    /// [`MAX_SECRET_SIZE`] bytes or they are not UTF-8.
    pub fn from_reader(reader: impl Read) -> io::Result<Secret> {
        match read_capped(reader, MAX_SECRET_SIZE, Until::End) {
            Ok(bytes) => into_secret(bytes.unwrap_or_default()),
            Err(Capped::TooLarge) => Err(invalid(format!("larger than {MAX_SECRET_SIZE} bytes"))),
            Err(Capped::Io(e)) => Err(e),
        }
    }

    /// Asks for a secret on the terminal, without echo: `prompt` is written
    /// to the terminal, and the answer (up to Enter) is read from it, even
    /// when stdin is redirected. Feature `prompt` (the `rpassword` crate).
    ///
    /// # Errors
    ///
    /// When there is no terminal, or reading it fails.
    #[cfg(feature = "prompt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "prompt")))]
    pub fn prompt(prompt: &str) -> io::Result<Secret> {
        rpassword::prompt_password(prompt).map(Secret::from)
    }
}

/// How far [`read_capped`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Until {
    /// To the end of the input; one trailing `\n` or `\r\n` is dropped.
    End,
    /// To the first `\n` (dropped, with a `\r` before it), a byte at a time
    /// so that nothing after it is consumed.
    Newline,
}

/// Why [`read_capped`] gave up.
pub(crate) enum Capped {
    /// The reader failed.
    Io(io::Error),
    /// More than the cap.
    TooLarge,
}

/// The one capped, zeroized read of something secret: `reader`'s bytes
/// (to its end, or to the first line's end) into a zeroized buffer reserved
/// up front for `max` bytes and a line's `\r`, which never grows (no
/// reallocation leaves a copy in a freed block), read through a zeroized
/// chunk. `max` counts what is kept: without the line ending for a line,
/// with it for the whole input. `Ok(None)` when the reader ended before
/// giving a byte; [`Capped::TooLarge`] as soon as more than `max` bytes
/// are seen (never reading further than a few bytes past it).
pub(crate) fn read_capped(
    mut reader: impl Read,
    max: usize,
    until: Until,
) -> Result<Option<Zeroizing<Vec<u8>>>, Capped> {
    let line = until == Until::Newline;
    // Room for the `\r` of a line of `max` bytes that ends in `\r\n`.
    let room = max + usize::from(line);
    let mut bytes = Zeroizing::new(Vec::with_capacity(room));
    let mut chunk = Zeroizing::new([0u8; 4096]);
    let step = if line { 1 } else { chunk.len() };
    let mut read_any = false;
    loop {
        let n = match reader.read(&mut chunk[..step]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Capped::Io(e)),
        };
        read_any = true;
        if line && chunk[0] == b'\n' {
            break;
        }
        if bytes.len() + n > room {
            return Err(Capped::TooLarge);
        }
        // Within the capacity reserved above: no reallocation, no copy.
        bytes.extend_from_slice(&chunk[..n]);
    }
    if !read_any {
        return Ok(None);
    }
    // The line ending: a line's `\n` stopped the read (a `\r` is dropped
    // even at the end of the input); the whole input keeps a lone `\r`.
    match until {
        Until::Newline => {
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        Until::End => {
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
            }
        }
    }
    if bytes.len() > max {
        return Err(Capped::TooLarge);
    }
    Ok(Some(bytes))
}

fn invalid(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// Checked UTF-8 bytes as a `Secret`, copied into a buffer of exactly their
/// size (the buffer they were read into is wiped as it is dropped, spare
/// capacity included); on error they are wiped.
fn into_secret(bytes: Zeroizing<Vec<u8>>) -> io::Result<Secret> {
    match std::str::from_utf8(&bytes) {
        Ok(s) => Ok(Secret::from(s)),
        Err(_) => Err(invalid("not valid UTF-8".into())),
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        // `to_owned` allocates exactly `len` bytes: no reallocation leaves a copy.
        Secret(Zeroizing::new(value.to_owned()))
    }
}

impl From<&String> for Secret {
    fn from(value: &String) -> Self {
        Secret::from(value.as_str())
    }
}

impl From<Zeroizing<String>> for Secret {
    fn from(value: Zeroizing<String>) -> Self {
        Secret(value)
    }
}

impl From<Box<str>> for Secret {
    fn from(value: Box<str>) -> Self {
        Secret::from(String::from(value))
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// Constant-time equality of two byte strings (`subtle`): the time depends
/// on the lengths only, never on where the first difference is.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    bool::from(subtle::ConstantTimeEq::ct_eq(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = Secret::from("marker-hunter2");
        assert!(!format!("{s:?}").contains("marker"));
        assert!(!format!("{s}").contains("marker"));
        assert!(!format!("{s:#?}").contains("marker"));
    }

    #[test]
    fn equality_compares_values() {
        assert_eq!(Secret::from("abc"), Secret::from(String::from("abc")));
        assert_ne!(Secret::from("abc"), Secret::from("abd"));
        assert_ne!(Secret::from("abc"), Secret::from("abcd"));
        assert_eq!(Secret::from(""), Secret::default());
    }

    #[test]
    fn conversions_keep_the_value() {
        let z = Zeroizing::new(String::from("z"));
        assert_eq!(Secret::from(z).expose_secret(), "z");
        assert_eq!(Secret::from(Box::<str>::from("b")).expose_secret(), "b");
        assert_eq!(Secret::from(&String::from("r")).len(), 1);
        assert!(Secret::from("").is_empty());
    }

    #[test]
    fn zeroize_empties_the_value() {
        let mut s = Secret::from("abc");
        s.zeroize();
        assert!(s.is_empty());
    }

    #[test]
    fn read_line_strips_only_the_line_ending_and_stops_there() {
        let mut input = &b"pa ss \r\nrest"[..];
        assert_eq!(
            Secret::read_line(&mut input).unwrap().expose_secret(),
            "pa ss "
        );
        assert_eq!(input, b"rest");
        assert_eq!(Secret::read_line(&b""[..]).unwrap().expose_secret(), "");
        assert_eq!(
            Secret::read_line(&b"no newline"[..])
                .unwrap()
                .expose_secret(),
            "no newline"
        );
    }

    #[test]
    fn read_line_is_capped_and_utf8_checked() {
        let long = vec![b'a'; MAX_SECRET_SIZE + 1];
        let err = Secret::read_line(&long[..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            Secret::read_line(&long[1..]).unwrap().len(),
            MAX_SECRET_SIZE
        );
        assert!(Secret::read_line(&b"\xff\n"[..]).is_err());
    }

    #[test]
    fn a_line_at_the_cap_is_read_whatever_its_ending_and_one_byte_more_is_refused() {
        let at_cap = "a".repeat(MAX_SECRET_SIZE);
        for ending in ["", "\n", "\r\n", "\r"] {
            let input = format!("{at_cap}{ending}");
            let line = Secret::read_line(input.as_bytes()).unwrap();
            assert_eq!(line.len(), MAX_SECRET_SIZE, "{ending:?}");
            let over = format!("a{input}");
            let err = Secret::read_line(over.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{ending:?}");
        }
    }

    #[test]
    fn read_first_line_tells_no_input_from_an_empty_line() {
        assert_eq!(Secret::read_first_line(&b""[..], 8).unwrap(), None);
        for input in ["\n", "\r\n", "\nmore"] {
            let line = Secret::read_first_line(input.as_bytes(), 8).unwrap();
            assert_eq!(line, Some(Secret::default()), "{input:?}");
        }
    }

    #[test]
    fn read_first_line_keeps_its_own_cap_and_stops_reading_just_past_it() {
        let mut input = &b"12345678\r\nrest"[..];
        let line = Secret::read_first_line(&mut input, 8).unwrap().unwrap();
        assert_eq!(line.expose_secret(), "12345678");
        assert_eq!(input, b"rest", "nothing after the line consumed");
        let mut input = &b"123456789 and on"[..];
        let err = Secret::read_first_line(&mut input, 8).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(
            input, b"and on",
            "read no further than two bytes past the cap"
        );
        let err = Secret::read_first_line(&b"\xff\n"[..], 8).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // The cap is never above MAX_SECRET_SIZE.
        let long = "a".repeat(MAX_SECRET_SIZE + 1);
        let err = Secret::read_first_line(long.as_bytes(), usize::MAX).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn from_reader_drops_one_line_ending_only() {
        for (input, secret) in [
            ("s\n", "s"),
            ("s\r\n", "s"),
            ("s\r", "s\r"),
            ("s\n\n", "s\n"),
            ("", ""),
            ("\n", ""),
        ] {
            let read = Secret::from_reader(input.as_bytes()).unwrap();
            assert_eq!(read.expose_secret(), secret, "{input:?}");
        }
        let at_cap = vec![b'a'; MAX_SECRET_SIZE];
        assert_eq!(
            Secret::from_reader(&at_cap[..]).unwrap().len(),
            MAX_SECRET_SIZE
        );
        let over = vec![b'a'; MAX_SECRET_SIZE + 1];
        let err = Secret::from_reader(&over[..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            format!("larger than {MAX_SECRET_SIZE} bytes")
        );
    }

    #[test]
    fn from_file_is_capped_however_the_file_is_given() {
        let err = Secret::from_file("/dev/zero").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let path = std::env::temp_dir().join(format!("ropc-secret-{}", std::process::id()));
        std::fs::write(&path, "line one\nline two\r\n").unwrap();
        assert_eq!(
            Secret::from_file(&path).unwrap().expose_secret(),
            "line one\nline two"
        );
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn bearer_prefixes_the_value() {
        assert_eq!(Secret::from("t").bearer().expose_secret(), "Bearer t");
        assert_eq!(
            format!("{:?}", Secret::from("t").bearer()),
            "Secret([redacted])"
        );
    }

    #[test]
    fn ct_eq_matches_slice_equality() {
        let cases: [(&[u8], &[u8]); 5] = [
            (b"", b""),
            (b"a", b"a"),
            (b"a", b"b"),
            (b"ab", b"a"),
            (b"\xff\x00", b"\xff\x00"),
        ];
        for (a, b) in cases {
            assert_eq!(ct_eq(a, b), a == b);
        }
    }
}
