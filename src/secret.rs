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

    /// The first line of `reader` (without its `\n` or `\r\n`), read in small
    /// chunks straight into zeroized buffers (no `BufReader` keeping a copy),
    /// and no further than one byte past [`MAX_SECRET_SIZE`]: a password or a
    /// token from stdin or a pipe.
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
    pub fn read_line(mut reader: impl Read) -> io::Result<Secret> {
        let mut line = Zeroizing::new(Vec::with_capacity(256));
        let mut byte = [0u8; 1];
        // One byte at a time: nothing after the line is consumed (the rest
        // of the input stays for whoever reads next).
        loop {
            match reader.read(&mut byte) {
                Ok(0) => break,
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) => {
                    if line.len() == MAX_SECRET_SIZE {
                        byte.zeroize();
                        return Err(too_large());
                    }
                    push_wiped(&mut line, byte[0]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        byte.zeroize();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        into_secret(line)
    }

    /// The secret held in the file at `path`: the whole file but one
    /// trailing `\n` or `\r\n`, at most [`MAX_SECRET_SIZE`] bytes however the
    /// file is given (a regular file, a pipe, `/dev/zero`), into zeroized
    /// buffers.
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
        let mut file = std::fs::File::open(path)?;
        let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_SECRET_SIZE + 1));
        let mut chunk = Zeroizing::new([0u8; 4096]);
        loop {
            let n = match file.read(&mut chunk[..]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if bytes.len() + n > MAX_SECRET_SIZE {
                return Err(too_large());
            }
            // Within the capacity reserved above: no reallocation, no copy.
            bytes.extend_from_slice(&chunk[..n]);
        }
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        into_secret(bytes)
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

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("longer than {MAX_SECRET_SIZE} bytes"),
    )
}

/// Appends a byte; a full buffer grows by replacement, the old one wiped as
/// it is dropped.
fn push_wiped(buf: &mut Zeroizing<Vec<u8>>, b: u8) {
    if buf.len() == buf.capacity() {
        let mut bigger = Zeroizing::new(Vec::with_capacity((buf.capacity() * 2).max(64)));
        bigger.extend_from_slice(buf);
        *buf = bigger;
    }
    buf.push(b);
}

/// Moves checked UTF-8 bytes into a `Secret` (no copy); on error they are
/// wiped.
fn into_secret(mut bytes: Zeroizing<Vec<u8>>) -> io::Result<Secret> {
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(s) => Ok(Secret::from(s)),
        Err(e) => {
            drop(Zeroizing::new(e.into_bytes()));
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not valid UTF-8",
            ))
        }
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
