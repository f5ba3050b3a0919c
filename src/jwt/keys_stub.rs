//! TEMPORARY stand-in for the key-set verifier being written on branch
//! `jwt-keys`; replaced at merge. Not to be committed to main as is.
#![allow(missing_docs, clippy::missing_errors_doc)]

use super::{Claims, JwtError, Validation};

#[derive(Debug, Clone)]
pub struct KeySet;

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySetError {
    NotJson,
}

impl std::fmt::Display for KeySetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stub")
    }
}
impl std::error::Error for KeySetError {}

impl KeySet {
    pub fn from_jwks(_: &[u8]) -> Result<KeySet, KeySetError> {
        Err(KeySetError::NotJson)
    }
    pub fn parse(_: &[u8]) -> Result<KeySet, KeySetError> {
        Err(KeySetError::NotJson)
    }
    pub fn len(&self) -> usize {
        0
    }
    pub fn is_empty(&self) -> bool {
        true
    }
    pub fn verify(&self, _: &str, _: &Validation) -> Result<Claims, JwtError> {
        Err(JwtError::Signature)
    }
}

#[derive(Debug, Clone)]
pub struct IgnoredKey;
impl IgnoredKey {
    pub fn kid(&self) -> Option<&str> {
        None
    }
    pub fn reason(&self) -> &'static str {
        "stub"
    }
}
impl KeySet {
    pub fn ignored(&self) -> &[IgnoredKey] {
        &[]
    }
}
impl KeySet {
    pub fn from_pem(_: &[u8]) -> Result<KeySet, KeySetError> {
        Err(KeySetError::NotJson)
    }
}
