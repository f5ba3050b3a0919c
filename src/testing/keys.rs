//! The provider's signing keys. [`Signing`] says which kind; the key ring
//! holds the key pairs (the newest signs, older ones stay published until
//! retired) and publishes their public halves as a JWKS (RFC 7517) and as
//! SPKI PEM. Under [`Signing::Hs256`] there is no key of the provider's own:
//! each client's secret signs its tokens, and the key set is empty.

#[cfg(feature = "asymmetric")]
use std::io;
#[cfg(feature = "asymmetric")]
use std::sync::Arc;

#[cfg(feature = "asymmetric")]
use base64::Engine as _;
#[cfg(feature = "asymmetric")]
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
#[cfg(feature = "asymmetric")]
use serde_json::json;
#[cfg(feature = "asymmetric")]
use sha2::Digest as _;
#[cfg(feature = "asymmetric")]
use zeroize::Zeroizing;

#[cfg(feature = "asymmetric")]
use super::key_pair::Key;

/// How the [`Provider`](super::Provider) signs the JWTs it issues (access
/// tokens, and id tokens when asked for); chosen with
/// [`ProviderBuilder::signing`](super::ProviderBuilder::signing).
///
/// Every asymmetric kind puts a `kid` in the token's header
/// (`{"alg":…,"typ":"JWT","kid":…}`) naming a key the provider publishes at
/// [`Provider::jwks_url`](super::Provider::jwks_url). The ES256 and Ed25519
/// keys are generated with ring when the provider starts (and at each
/// `Provider::rotate_signing_key`). ring cannot generate RSA keys, so the
/// RS256 keys come from a fixed set of eight 2048-bit keys compiled into
/// ropc: **they are public test keys, published with ropc's source, and
/// must never protect anything real**. A provider publishes up to seven of
/// them at once without repeating one (it keeps the eighth for
/// [`Misbehavior::WrongKey`](super::Misbehavior::WrongKey)), and a new key
/// is one that the fewest live providers in the process use: two providers
/// have different RSA keys while one of the eight is unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Signing {
    /// HS256 with the secret of the client the token is issued to (the
    /// default; no `kid`, nothing published).
    #[default]
    Hs256,
    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) with one of the fixed RSA test
    /// keys; JWK `kty` `RSA`.
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    Rs256,
    /// ES256 (ECDSA on P-256 with SHA-256, the signature as `r || s`) with a
    /// key generated at start; JWK `kty` `EC`, `crv` `P-256`.
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    Es256,
    /// EdDSA with an Ed25519 key generated at start (`alg` `EdDSA`); JWK
    /// `kty` `OKP`, `crv` `Ed25519`.
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    EdDsa,
}

impl Signing {
    /// The JWS `alg` of tokens signed this way.
    #[must_use]
    pub fn alg(self) -> &'static str {
        match self {
            Signing::Hs256 => "HS256",
            #[cfg(feature = "asymmetric")]
            Signing::Rs256 => "RS256",
            #[cfg(feature = "asymmetric")]
            Signing::Es256 => "ES256",
            #[cfg(feature = "asymmetric")]
            Signing::EdDsa => "EdDSA",
        }
    }
}

/// The JWKS of a provider that publishes no key.
const EMPTY_JWKS: &str = r#"{"keys":[]}"#;

/// The provider's keys: those it publishes (the newest signs), and the text
/// served at `/jwks` in their place when a test says so.
pub(super) struct KeyRing {
    signing: Signing,
    /// Served at `/jwks` instead of the real key set.
    jwks_override: Option<String>,
    /// Published keys, oldest first; the last one signs.
    #[cfg(feature = "asymmetric")]
    published: Vec<Arc<Key>>,
    /// A key of the same kind that is never published, for
    /// `Misbehavior::WrongKey`.
    #[cfg(feature = "asymmetric")]
    wrong: Option<Arc<Key>>,
    /// How many keys were made (each key's `kid` comes from its number).
    #[cfg(feature = "asymmetric")]
    generation: u64,
    #[cfg(feature = "asymmetric")]
    seed: [u8; 32],
}

impl KeyRing {
    /// The keys a provider signing with `signing` starts with; `seed` makes
    /// the `kid`s differ between providers.
    pub(super) fn new(signing: Signing, seed: [u8; 32]) -> std::io::Result<KeyRing> {
        #[cfg(not(feature = "asymmetric"))]
        let _ = seed;
        #[cfg_attr(not(feature = "asymmetric"), allow(unused_mut))]
        let mut ring = KeyRing {
            signing,
            jwks_override: None,
            #[cfg(feature = "asymmetric")]
            published: Vec::new(),
            #[cfg(feature = "asymmetric")]
            wrong: None,
            #[cfg(feature = "asymmetric")]
            generation: 0,
            #[cfg(feature = "asymmetric")]
            seed,
        };
        #[cfg(feature = "asymmetric")]
        if signing != Signing::Hs256 {
            ring.rotate()?;
            // The wrong key is made now, so it is never one of the keys
            // published later (a rotation avoids the RSA key it uses).
            let wrong = Key::generate(signing, "wrong-key".into(), &ring.rsa_in_use(), false)?;
            ring.wrong = Some(Arc::new(wrong));
        }
        Ok(ring)
    }

    /// How the provider signs.
    pub(super) fn signing(&self) -> Signing {
        self.signing
    }

    /// What `/jwks` serves: the text a test gave, or the real key set.
    pub(super) fn jwks(&self) -> String {
        match &self.jwks_override {
            Some(text) => text.clone(),
            None => self.real_jwks(),
        }
    }

    /// Serves `text` at `/jwks` instead of the real key set (`None`: the
    /// real one again).
    pub(super) fn set_jwks(&mut self, text: Option<String>) {
        self.jwks_override = text;
    }

    /// The published keys as a JWKS, the newest first.
    #[cfg(not(feature = "asymmetric"))]
    fn real_jwks(&self) -> String {
        EMPTY_JWKS.to_owned()
    }

    /// The published keys as a JWKS, the newest first.
    #[cfg(feature = "asymmetric")]
    fn real_jwks(&self) -> String {
        if self.published.is_empty() {
            return EMPTY_JWKS.to_owned();
        }
        let keys: Vec<_> = self.published.iter().rev().map(|k| k.jwk()).collect();
        json!({ "keys": keys }).to_string()
    }
}

#[cfg(feature = "asymmetric")]
impl KeyRing {
    /// A new key signs from now on; the others stay published. Returns its
    /// `kid`.
    pub(super) fn rotate(&mut self) -> io::Result<String> {
        if self.signing == Signing::Hs256 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "under Signing::Hs256 the client secret signs: the provider has no key to rotate",
            ));
        }
        self.generation += 1;
        let kid = kid(&self.seed, self.generation, self.signing);
        let key = Key::generate(self.signing, kid.clone(), &self.rsa_in_use(), true)?;
        self.published.push(Arc::new(key));
        Ok(kid)
    }

    /// Only the key that signs stays published.
    pub(super) fn retire_old_keys(&mut self) {
        let old = self.published.len().saturating_sub(1);
        self.published.drain(..old);
    }

    /// The key that signs now.
    pub(super) fn current(&self) -> Option<&Arc<Key>> {
        self.published.last()
    }

    /// The key to sign the next token with and the `kid` its header names:
    /// the current key, or with `wrong` the never-published key under the
    /// current `kid`. `None` under [`Signing::Hs256`].
    pub(super) fn signer(&self, wrong: bool) -> Option<(Arc<Key>, String)> {
        let current = self.current()?;
        let key = if wrong { self.wrong.as_ref()? } else { current };
        Some((key.clone(), current.kid.clone()))
    }

    /// The payload of `token` when it is a compact JWS whose header names a
    /// published key (`kid`) and that key's `alg`, and whose signature that
    /// key verifies. Nothing else about the token is checked.
    pub(super) fn verify(&self, token: &str) -> Option<Zeroizing<Vec<u8>>> {
        let mut parts = token.split('.');
        let (head, body, tag) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).ok()?).ok()?;
        let (kid, alg) = (header.get("kid")?.as_str()?, header.get("alg")?.as_str()?);
        let key = self
            .published
            .iter()
            .find(|k| k.kid == kid && k.signing.alg() == alg)?;
        let signed = &token[..head.len() + 1 + body.len()];
        if !key.verify(signed.as_bytes(), &URL_SAFE_NO_PAD.decode(tag).ok()?) {
            return None;
        }
        Some(Zeroizing::new(URL_SAFE_NO_PAD.decode(body).ok()?))
    }

    /// The fixed RSA keys this ring uses (to be avoided by a new one).
    fn rsa_in_use(&self) -> Vec<usize> {
        self.published
            .iter()
            .chain(self.wrong.iter())
            .filter_map(|k| k.rsa_index())
            .collect()
    }
}

/// A `kid`: 22 base64url characters from the provider's seed, the key's
/// number and its kind (so they differ between providers, keys and kinds;
/// the same seed gives the same `kid`s).
#[cfg(feature = "asymmetric")]
fn kid(seed: &[u8; 32], generation: u64, signing: Signing) -> String {
    let mut h = sha2::Sha256::new();
    h.update(b"ropc testing kid");
    h.update(seed);
    h.update(generation.to_be_bytes());
    h.update(signing.alg().as_bytes());
    URL_SAFE_NO_PAD.encode(&h.finalize()[..16])
}

#[cfg(all(test, feature = "asymmetric"))]
mod tests {
    use super::*;

    #[test]
    fn rotation_never_reuses_a_published_rsa_key() {
        let mut ring = KeyRing::new(Signing::Rs256, [1; 32]).unwrap();
        for _ in 0..5 {
            ring.rotate().unwrap();
        }
        let mut used = ring.rsa_in_use();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used.len(), 7, "six published keys and the wrong one");
    }
}
