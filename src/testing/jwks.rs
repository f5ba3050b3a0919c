//! The key set, `/jwks` (RFC 7517 §5): the public keys the provider signs
//! with, for a client that verifies its tokens with them; and what a test
//! does with the keys ([`Provider`]'s methods for them).

#[cfg(feature = "asymmetric")]
use std::io;

use zeroize::Zeroizing;

#[cfg(doc)]
use super::Signing;
use super::wire::error;
use super::wire::{Outcome, Reply, Request};
use super::{Provider, Shared, lock};

/// The path of the key set.
pub(super) const PATH: &str = "/jwks";

/// Answers a request for the key set.
pub(super) fn handle(req: &Request, shared: &Shared) -> Outcome {
    if req.method != "GET" {
        let mut r = error(405, "invalid_request", "the key set takes GET");
        r.headers.push(("Allow", "GET".into()));
        return Outcome::Reply(r);
    }
    let jwks = lock(&shared.keys).jwks();
    Outcome::Reply(Reply::new(
        200,
        "application/json",
        Zeroizing::new(jwks.into_bytes()),
    ))
}

impl Provider {
    /// The key set's URL (RFC 7517), e.g. `http://127.0.0.1:41234/jwks`:
    /// a `GET` answers [`Provider::jwks_json`].
    #[must_use]
    pub fn jwks_url(&self) -> String {
        self.url_of(PATH)
    }

    /// How many `GET` requests for the key set were received (whatever was
    /// answered: a misbehaviour applies there too).
    #[must_use]
    pub fn jwks_requests(&self) -> usize {
        lock(&self.shared.state).jwks_requests
    }

    /// The text the key set's URL serves now: the published public keys as
    /// a JWKS, the signing key first — each with `kty`, `kid`,
    /// `use: "sig"`, `alg`, and `n`/`e`, `crv`/`x`/`y` or `crv`/`x` — or
    /// what [`Provider::set_jwks`] put in their place. Under
    /// [`Signing::Hs256`] nothing is published: `{"keys":[]}`. Written to a
    /// file, it is a keys file for a client that does not fetch keys.
    #[must_use]
    pub fn jwks_json(&self) -> String {
        lock(&self.shared.keys).jwks()
    }

    /// Serves `jwks` at the key set's URL instead of the real key set (to
    /// test a client against a hostile or broken one), or with `None` the
    /// real key set again. Tokens are still signed, and the protected
    /// resource still checks them, with the real keys.
    pub fn set_jwks(&self, jwks: Option<String>) {
        lock(&self.shared.keys).set_jwks(jwks);
    }

    /// The key that signs now, as an SPKI `PUBLIC KEY` PEM block (RFC 7468)
    /// — for a client given keys in a file instead of a JWKS URL. Empty under
    /// [`Signing::Hs256`]: the client secret is no public key.
    ///
    /// ```
    /// # #[cfg(feature = "asymmetric")] {
    /// use ropc::testing::{Provider, Signing};
    ///
    /// let provider = Provider::builder().signing(Signing::EdDsa).start()?;
    /// let pem = provider.public_key_pem();
    /// assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    /// // An Ed25519 SPKI is 44 bytes: one line of base64.
    /// assert_eq!(pem.lines().count(), 3);
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    #[must_use]
    pub fn public_key_pem(&self) -> String {
        lock(&self.shared.keys)
            .current()
            .map(|k| k.pem())
            .unwrap_or_default()
    }

    /// The `kid` of the key that signs now (`None` under
    /// [`Signing::Hs256`]).
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    #[must_use]
    pub fn signing_kid(&self) -> Option<String> {
        lock(&self.shared.keys).current().map(|k| k.kid.clone())
    }

    /// Key rotation: a new key, under a new `kid`, signs every token from
    /// now on; the keys before it stay published (until
    /// [`Provider::retire_old_keys`]), so tokens they signed still verify.
    /// Returns the new `kid`.
    ///
    /// ```
    /// # #[cfg(feature = "asymmetric")] {
    /// use ropc::testing::{Provider, Signing};
    ///
    /// let provider = Provider::builder().signing(Signing::Es256).start()?;
    /// let first = provider.signing_kid().unwrap();
    /// let second = provider.rotate_signing_key()?;
    /// assert_ne!(first, second);
    /// let jwks = provider.jwks_json();
    /// assert!(jwks.contains(&first) && jwks.contains(&second));
    ///
    /// provider.retire_old_keys();
    /// let jwks = provider.jwks_json();
    /// assert!(!jwks.contains(&first) && jwks.contains(&second));
    /// # }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` under [`Signing::Hs256`] (the client secret signs:
    /// there is no key of the provider's to rotate); ring's failure to make
    /// a key.
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    pub fn rotate_signing_key(&self) -> io::Result<String> {
        lock(&self.shared.keys).rotate()
    }

    /// Only the key that signs now stays published: tokens signed by the
    /// others no longer verify (the protected resource refuses them too).
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    pub fn retire_old_keys(&self) {
        lock(&self.shared.keys).retire_old_keys();
    }
}
