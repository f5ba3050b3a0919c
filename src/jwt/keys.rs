//! [`KeySet`]: public keys from a JWKS, one JWK or PEM, each bound when it
//! is read to the algorithms its type and curve (and its JWK `alg`) allow —
//! ring's model, where a key carries its algorithm from the moment it is
//! parsed, so a token's header can only select a key, never change how it
//! is used.

use std::fmt;

use rustls_pki_types::pem::{PemObject as _, SectionKind};
use zeroize::Zeroizing;

use super::header::Alg;
pub(super) use super::material::Material;
use super::{Claims, JwtError, Validation, der, jwk};

/// The most keys a [`KeySet`] reads from one document (JWKS entries or PEM
/// blocks, usable or not): providers publish a handful; more is refused.
pub const MAX_KEYS: usize = 100;

/// Public keys to verify RS256/384/512, PS256/384/512, ES256, ES384 and
/// EdDSA/Ed25519 tokens with: a provider's JWKS (RFC 7517 §5), one JWK, or
/// PEM `PUBLIC KEY` (SubjectPublicKeyInfo) blocks.
///
/// Each key is bound, when it is read, to the algorithms it allows: an RSA
/// key to RS256/384/512 and PS256/384/512, an EC P-256 key to ES256, P-384
/// to ES384, an Ed25519 key to EdDSA (`Ed25519` in RFC 9864's name), and a
/// JWK with an `alg` to that one only. HS256/384/512 are never accepted
/// with a key set, and symmetric (`kty: oct`) keys are left out, so a public
/// key can never serve as an HMAC secret. Keys that cannot be used safely —
/// RSA under 2048 bits, a `use` other than `sig`, `key_ops` without
/// `verify`, unknown types and curves, malformed members — are left out
/// with a reason ([`ignored`](KeySet::ignored)); the rest of the set is
/// still used. What makes the whole document unreadable is a
/// [`KeySetError`].
///
/// [`verify`](KeySet::verify) picks the key by the token's `kid` (exact
/// match); a token without `kid`, or a key without one (a PEM key), is used
/// only when exactly one usable key fits the token's algorithm. The token's
/// `jku`, `x5u`, `jwk` and `x5c` headers are never fetched or used.
///
/// ```
/// use ropc::jwt::{KeySet, Validation};
///
/// // RFC 8037 Appendix A: an Ed25519 public key as a JWK, and a JWS it signed.
/// let keys = KeySet::parse(br#"{"kty":"OKP","crv":"Ed25519",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)?;
/// assert_eq!(keys.len(), 1);
/// let token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc\
///     .hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
/// // The signature holds; the payload ("Example of Ed25519 signing") is
/// // not JSON claims, and that is the check that fails.
/// let err = keys.verify(token, &Validation::default()).unwrap_err();
/// assert_eq!(err.kind(), "payload");
///
/// // An HS256 token is never accepted with a key set.
/// let hs256 = "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo";
/// assert_eq!(keys.verify(hs256, &Validation::default()).unwrap_err().kind(), "algorithm");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct KeySet {
    pub(super) keys: Vec<Key>,
    pub(super) ignored: Vec<IgnoredKey>,
}

/// A key a [`KeySet`] left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IgnoredKey {
    kid: Option<String>,
    reason: &'static str,
}

impl IgnoredKey {
    /// The key's `kid`, if it had one (as a string).
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Why it was left out, as a short phrase (e.g. "RSA key under 2048 bits").
    #[must_use]
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

impl std::fmt::Display for IgnoredKey {
    /// `key "kid": why`, or `a key without kid: why`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kid {
            Some(kid) => write!(f, "key {kid:?}: {}", self.reason),
            None => write!(f, "a key without kid: {}", self.reason),
        }
    }
}

/// A usable key: its `kid`, the JWK's own `alg` if it named one (already
/// checked to fit the material), and the key.
#[derive(Clone)]
pub(super) struct Key {
    pub(super) kid: Option<String>,
    pub(super) alg: Option<Alg>,
    pub(super) material: Material,
}

/// EdDSA and Ed25519 name one algorithm (RFC 9864 §2).
fn same_alg(a: Alg, b: Alg) -> bool {
    a == b
        || matches!(
            (a, b),
            (Alg::EdDSA, Alg::Ed25519) | (Alg::Ed25519, Alg::EdDSA)
        )
}

/// Whether a key set verifies `alg` at all.
pub(super) fn is_asymmetric(alg: Alg) -> bool {
    matches!(
        alg,
        Alg::RS256
            | Alg::RS384
            | Alg::RS512
            | Alg::PS256
            | Alg::PS384
            | Alg::PS512
            | Alg::ES256
            | Alg::ES384
            | Alg::EdDSA
            | Alg::Ed25519
    )
}

impl Key {
    /// Whether this key may verify a token whose header says `alg`.
    fn fits(&self, alg: Alg) -> bool {
        self.material.allows(alg) && self.alg.is_none_or(|own| same_alg(own, alg))
    }

    /// The key as [`JwtError::KeyMismatch`] describes it.
    fn describe(&self) -> &'static str {
        match self.alg {
            None => self.material.describe(),
            Some(Alg::RS256) => "RSA key for RS256 only",
            Some(Alg::RS384) => "RSA key for RS384 only",
            Some(Alg::RS512) => "RSA key for RS512 only",
            Some(Alg::PS256) => "RSA key for PS256 only",
            Some(Alg::PS384) => "RSA key for PS384 only",
            Some(Alg::PS512) => "RSA key for PS512 only",
            Some(_) => self.material.describe(),
        }
    }
}

/// A key read from a document, bound to its JWK `alg` if any, or why it is
/// left out.
pub(super) type Bound = Result<(Option<Alg>, Material), &'static str>;

/// Builds a set from keys as they are read, counting them against
/// [`MAX_KEYS`].
#[derive(Default)]
pub(super) struct Builder {
    keys: Vec<Key>,
    ignored: Vec<IgnoredKey>,
}

impl Builder {
    /// Adds a key read from a document, or why it is left out.
    pub(super) fn push(&mut self, kid: Option<String>, key: Bound) -> Result<(), KeySetError> {
        if self.keys.len() + self.ignored.len() >= MAX_KEYS {
            return Err(KeySetError::TooManyKeys { max: MAX_KEYS });
        }
        match key {
            Ok((alg, material)) => self.keys.push(Key { kid, alg, material }),
            Err(reason) => self.ignored.push(IgnoredKey { kid, reason }),
        }
        Ok(())
    }

    pub(super) fn build(self) -> KeySet {
        KeySet {
            keys: self.keys,
            ignored: self.ignored,
        }
    }
}

/// A JWK's own `alg` checked against its key: it must be one ropc verifies
/// and fit the key's type and curve.
pub(super) fn bind(alg: Option<&str>, material: Material) -> Bound {
    let Some(name) = alg else {
        return Ok((None, material));
    };
    match Alg::from_name(name) {
        Some(alg) if is_asymmetric(alg) && material.allows(alg) => Ok((Some(alg), material)),
        Some(alg) if is_asymmetric(alg) => Err("JWK `alg` does not fit its key type or curve"),
        _ => Err("JWK `alg` is not a signature algorithm ropc verifies"),
    }
}

impl KeySet {
    /// Reads a JWK Set (RFC 7517 §5): a JSON object whose `keys` member is an
    /// array of JWKs. Other members are allowed and ignored; a leading UTF-8
    /// byte order mark is tolerated.
    ///
    /// # Errors
    ///
    /// A [`KeySetError`] when the document is not UTF-8, not JSON, not an
    /// object, has a duplicate member name at any depth, has no `keys`
    /// array, or more than [`MAX_KEYS`] keys. A key that cannot be used
    /// is not an error: it is left out ([`ignored`](KeySet::ignored)).
    pub fn from_jwks(json: &[u8]) -> Result<KeySet, KeySetError> {
        let top = jwk::read(json)?;
        match top.keys {
            Some(Ok(entries)) => jwk::build(entries),
            Some(Err(())) | None => Err(KeySetError::NoKeys),
        }
    }

    /// Reads one JWK (RFC 7517 §4): the set then holds that key, or none
    /// with the reason it was left out.
    ///
    /// # Errors
    ///
    /// A [`KeySetError`] when the document is not UTF-8, not JSON, not an
    /// object, or has a duplicate member name at any depth.
    pub fn from_jwk(json: &[u8]) -> Result<KeySet, KeySetError> {
        let top = jwk::read(json)?;
        jwk::build(vec![Ok(top.jwk)])
    }

    /// Reads PEM `PUBLIC KEY` blocks (RFC 7468 §13: DER SubjectPublicKeyInfo)
    /// holding RSA, EC P-256/P-384 or Ed25519 keys. Text around the blocks
    /// is ignored, as are blocks of other kinds that are not keys or
    /// certificates. The keys have no `kid`.
    ///
    /// # Errors
    ///
    /// A [`KeySetError`] when there is no `PUBLIC KEY` block, when a private
    /// key or a certificate is given (the public key must be extracted from
    /// it first), when the PEM framing or its base64 is malformed, when a
    /// key's DER is not a SubjectPublicKeyInfo of a supported kind, or when
    /// there are more than [`MAX_KEYS`] keys.
    pub fn from_pem(pem: &[u8]) -> Result<KeySet, KeySetError> {
        // Private keys are refused before any block is decoded, so their
        // bytes are never copied (labels with "PRIVATE KEY" include the
        // encrypted and OpenSSH forms rustls-pki-types does not know).
        let private = pem.split(|&b| b == b'\n' || b == b'\r').any(|line| {
            line.starts_with(b"-----BEGIN ") && line.windows(11).any(|w| w == b"PRIVATE KEY")
        });
        if private {
            return Err(KeySetError::PemPrivateKey);
        }
        let mut set = Builder::default();
        let mut blocks = 0usize;
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
            let (kind, der) = section.map_err(|_| KeySetError::PemMalformed)?;
            let der = Zeroizing::new(der);
            match kind {
                SectionKind::PublicKey => {}
                SectionKind::Certificate => return Err(KeySetError::PemCertificate),
                SectionKind::PrivateKey
                | SectionKind::RsaPrivateKey
                | SectionKind::EcPrivateKey => {
                    return Err(KeySetError::PemPrivateKey);
                }
                _ => continue,
            }
            blocks += 1;
            let material = match der::parse(&der).map_err(KeySetError::Spki)? {
                der::Spki::Rsa { n, e } => Material::rsa(n, e),
                der::Spki::P256(point) => Material::ec_point(point, false),
                der::Spki::P384(point) => Material::ec_point(point, true),
                der::Spki::Ed25519(key) => Material::ed25519(key),
            };
            set.push(None, material.map(|m| (None, m)))?;
        }
        if blocks == 0 {
            return Err(KeySetError::PemNoPublicKey);
        }
        Ok(set.build())
    }

    /// Reads a JWKS, one JWK or PEM, told apart by how the bytes start
    /// (after any whitespace and a UTF-8 byte order mark): `{` with a
    /// `keys` member is a JWKS, any other `{` one JWK, `-----BEGIN` PEM.
    ///
    /// ```
    /// let pem = b"-----BEGIN PUBLIC KEY-----
    /// MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
    /// -----END PUBLIC KEY-----
    /// ";
    /// let keys = ropc::jwt::KeySet::parse(pem)?;
    /// assert_eq!(keys.kids().collect::<Vec<_>>(), [None]);
    /// let err = ropc::jwt::KeySet::parse(b"hello").unwrap_err();
    /// assert_eq!(err.kind(), "unknown_format");
    /// # Ok::<(), ropc::jwt::KeySetError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`KeySetError::UnknownFormat`] when it is none of them; otherwise as
    /// [`from_jwks`](KeySet::from_jwks), [`from_jwk`](KeySet::from_jwk) or
    /// [`from_pem`](KeySet::from_pem).
    pub fn parse(bytes: &[u8]) -> Result<KeySet, KeySetError> {
        let rest = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        let start = rest
            .iter()
            // JSON's whitespace (RFC 8259 §2), which PEM's line breaks are
            // too: a form feed is not JSON, and is no format's start.
            .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(rest.len());
        let rest = &rest[start..];
        if rest.starts_with(b"{") {
            let top = jwk::read(rest)?;
            match top.keys {
                Some(Ok(entries)) => jwk::build(entries),
                Some(Err(())) => Err(KeySetError::NoKeys),
                None => jwk::build(vec![Ok(top.jwk)]),
            }
        } else if rest.starts_with(b"-----BEGIN") {
            KeySet::from_pem(rest)
        } else {
            Err(KeySetError::UnknownFormat)
        }
    }

    /// A set without keys: verifying with it finds every fault of a token
    /// that no key could mend (its form, its algorithm: HS*, `none`), and
    /// otherwise fails choosing a key ([`JwtError::UnknownKey`] or
    /// [`JwtError::NoKey`]).
    pub(crate) fn empty() -> KeySet {
        Builder::default().build()
    }

    /// The number of usable keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there is no usable key (every key may have been left out:
    /// see [`ignored`](KeySet::ignored)).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys left out, each with its `kid` and why.
    #[must_use]
    pub fn ignored(&self) -> &[IgnoredKey] {
        &self.ignored
    }

    /// The `kid` of each usable key, in the document's order (`None` for a
    /// key without one), for diagnostics.
    pub fn kids(&self) -> impl Iterator<Item = Option<&str>> + '_ {
        self.keys.iter().map(|k| k.kid.as_deref())
    }

    /// Verifies a compact JWS with the key its header selects and returns
    /// its claims: the same checks in the same order as
    /// [`jwt::verify`](super::verify), with the key chosen by the rules of
    /// the [type's documentation](KeySet) between the header and the
    /// signature, and the same [`Claims`] out.
    ///
    /// # Errors
    ///
    /// A [`JwtError`] naming the first check that failed; the key choice
    /// fails with [`JwtError::UnknownKey`] (the one after which fetching the
    /// provider's keys again may help), [`JwtError::AmbiguousKey`],
    /// [`JwtError::NoKey`], [`JwtError::UnusableKey`] or
    /// [`JwtError::KeyMismatch`].
    pub fn verify(&self, token: &str, validation: &Validation) -> Result<Claims, JwtError> {
        super::asymmetric::verify(self, token, validation)
    }

    /// The key for a token with header `alg` (one a key set verifies) and
    /// `kid`.
    pub(super) fn select(&self, alg: Alg, kid: Option<&str>) -> Result<&Key, JwtError> {
        let mut fitting = self.keys.iter().filter(|k| k.fits(alg));
        let Some(kid) = kid else {
            return match (fitting.next(), fitting.next()) {
                (Some(key), None) => Ok(key),
                (Some(_), Some(_)) => Err(JwtError::AmbiguousKey),
                (None, _) => Err(JwtError::NoKey),
            };
        };
        let mut named = self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid));
        if let Some(first) = named.next() {
            let mut fit = std::iter::once(first).chain(named).filter(|k| k.fits(alg));
            return match (fit.next(), fit.next()) {
                (Some(key), None) => Ok(key),
                (Some(_), Some(_)) => Err(JwtError::AmbiguousKey),
                (None, _) => Err(JwtError::KeyMismatch {
                    alg: alg.name(),
                    key: first.describe(),
                }),
            };
        }
        if let Some(left_out) = self.ignored.iter().find(|i| i.kid.as_deref() == Some(kid)) {
            return Err(JwtError::UnusableKey(left_out.reason));
        }
        // A key without `kid` serves any token only as the one that fits.
        match (fitting.next(), fitting.next()) {
            (Some(key), None) if key.kid.is_none() => Ok(key),
            _ => Err(JwtError::UnknownKey),
        }
    }
}

impl fmt::Debug for KeySet {
    /// The usable keys as `(kid, type)` pairs and the number left out; no
    /// key bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Keys<'a>(&'a [Key]);
        impl fmt::Debug for Keys<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|k| (k.kid.as_deref(), k.describe())))
                    .finish()
            }
        }
        f.debug_struct("KeySet")
            .field("keys", &Keys(&self.keys))
            .field("ignored", &self.ignored.len())
            .finish()
    }
}

/// Why a key set document could not be read. Each variant names one
/// problem; none carries bytes of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySetError {
    /// Neither JSON (`{`) nor PEM (`-----BEGIN`), after any leading
    /// whitespace and byte order mark ([`KeySet::parse`]).
    UnknownFormat,
    /// The JSON document is not valid UTF-8.
    NotUtf8,
    /// Not well-formed JSON.
    NotJson,
    /// Well-formed JSON, but not an object at the top level.
    NotObject,
    /// A member name appears twice in one object, at any depth.
    DuplicateMember,
    /// A JWKS without a `keys` array.
    NoKeys,
    /// More keys (JWKS entries or PEM blocks) than the cap.
    TooManyKeys {
        /// The cap, [`MAX_KEYS`].
        max: usize,
    },
    /// PEM without any `PUBLIC KEY` block.
    PemNoPublicKey,
    /// PEM holding a private key: only public keys belong in a key set.
    PemPrivateKey,
    /// PEM holding a certificate: give its public key
    /// (`openssl x509 -pubkey -noout`); certificates are not read.
    PemCertificate,
    /// PEM whose framing or base64 is malformed.
    PemMalformed,
    /// A `PUBLIC KEY` block that is not a SubjectPublicKeyInfo ropc
    /// understands; says what it is (e.g. "a DSA key") or that it is not
    /// well-formed DER.
    Spki(&'static str),
}

impl KeySetError {
    /// A short, stable, machine-readable name of the problem:
    /// `unknown_format`, `not_utf8`, `not_json`, `not_object`,
    /// `duplicate_member`, `no_keys`, `too_many_keys`, `pem_no_public_key`,
    /// `pem_private_key`, `pem_certificate`, `pem_malformed` or `spki`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            KeySetError::UnknownFormat => "unknown_format",
            KeySetError::NotUtf8 => "not_utf8",
            KeySetError::NotJson => "not_json",
            KeySetError::NotObject => "not_object",
            KeySetError::DuplicateMember => "duplicate_member",
            KeySetError::NoKeys => "no_keys",
            KeySetError::TooManyKeys { .. } => "too_many_keys",
            KeySetError::PemNoPublicKey => "pem_no_public_key",
            KeySetError::PemPrivateKey => "pem_private_key",
            KeySetError::PemCertificate => "pem_certificate",
            KeySetError::PemMalformed => "pem_malformed",
            KeySetError::Spki(_) => "spki",
        }
    }
}

impl fmt::Display for KeySetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySetError::UnknownFormat => {
                f.write_str("key set is neither JSON (a JWKS or a JWK) nor PEM")
            }
            KeySetError::NotUtf8 => f.write_str("key set JSON is not valid UTF-8"),
            KeySetError::NotJson => f.write_str("key set is not valid JSON"),
            KeySetError::NotObject => f.write_str("key set JSON is not an object"),
            KeySetError::DuplicateMember => f.write_str("key set JSON has a duplicate member name"),
            KeySetError::NoKeys => f.write_str("JWKS has no `keys` array"),
            KeySetError::TooManyKeys { max } => write!(f, "key set has more than {max} keys"),
            KeySetError::PemNoPublicKey => f.write_str("PEM has no PUBLIC KEY block"),
            KeySetError::PemPrivateKey => f.write_str(
                "PEM holds a private key: a key set takes public keys only (PUBLIC KEY blocks)",
            ),
            KeySetError::PemCertificate => f.write_str(
                "PEM holds a certificate: give its public key (a PUBLIC KEY block) instead",
            ),
            KeySetError::PemMalformed => f.write_str("PEM framing or base64 is malformed"),
            KeySetError::Spki(what) => write!(f, "PUBLIC KEY block not understood: {what}"),
        }
    }
}

impl std::error::Error for KeySetError {}
