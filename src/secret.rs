//! [`Secret`]: an owned string that is wiped from memory when dropped.

use core::fmt;

use zeroize::{Zeroize, Zeroizing};

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
