//! One key pair of the provider's (feature `asymmetric`): made with ring
//! (ES256, Ed25519) or taken from the fixed RSA test keys (RS256); it signs,
//! verifies, and shows its public half as a JWK and as SPKI (DER, PEM).

use std::io;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use serde_json::json;
use zeroize::Zeroizing;

use super::keys::Signing;
use super::lock;

/// One key pair of the provider's.
pub(super) struct Key {
    /// The `kid` it is published under.
    pub(super) kid: String,
    pub(super) signing: Signing,
    pair: Pair,
}

enum Pair {
    Rsa {
        pair: RsaKeyPair,
        /// Which of the fixed keys.
        index: usize,
        /// Counts the key as used while it lives (a published key).
        _lease: Option<RsaLease>,
    },
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl Key {
    /// A key of kind `signing` (not `Hs256`) to be published as `kid`. An
    /// RSA key is one of the fixed keys not in `avoid` when one is left;
    /// `lease` counts it as used by a live provider.
    pub(super) fn generate(
        signing: Signing,
        kid: String,
        avoid: &[usize],
        lease: bool,
    ) -> io::Result<Key> {
        let rejected = |what: &str| io::Error::other(format!("the {what} key was rejected"));
        let rng = SystemRandom::new();
        let pair = match signing {
            Signing::Hs256 => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "HS256 has no key pair",
                ));
            }
            Signing::Rs256 => {
                let (index, lease) = RsaLease::pick(avoid, lease);
                // The fixed keys are static data: there is no copy to wipe.
                let pair = RsaKeyPair::from_pkcs8(RSA_TEST_KEYS[index])
                    .map_err(|_| rejected("fixed RSA test"))?;
                Pair::Rsa {
                    pair,
                    index,
                    _lease: lease,
                }
            }
            Signing::Es256 => {
                let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
                let pkcs8 = wiped(EcdsaKeyPair::generate_pkcs8(alg, &rng))?;
                Pair::Ec(
                    EcdsaKeyPair::from_pkcs8(alg, &pkcs8, &rng).map_err(|_| rejected("P-256"))?,
                )
            }
            Signing::EdDsa => {
                let pkcs8 = wiped(Ed25519KeyPair::generate_pkcs8(&rng))?;
                Pair::Ed(Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| rejected("Ed25519"))?)
            }
        };
        Ok(Key { kid, signing, pair })
    }

    /// Which fixed RSA key this is, if it is one.
    pub(super) fn rsa_index(&self) -> Option<usize> {
        match &self.pair {
            Pair::Rsa { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The public key as ring reads it for verification: an RSAPublicKey
    /// (DER), an uncompressed P-256 point, or the 32 Ed25519 bytes.
    fn public(&self) -> &[u8] {
        match &self.pair {
            Pair::Rsa { pair, .. } => pair.public_key().as_ref(),
            Pair::Ec(pair) => pair.public_key().as_ref(),
            Pair::Ed(pair) => pair.public_key().as_ref(),
        }
    }

    /// The signature of `message` (JWS form: for ES256 `r || s`); `None`
    /// only when ring fails.
    pub(super) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa { pair, .. } => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .ok()?;
                Some(signature)
            }
            Pair::Ec(pair) => Some(pair.sign(&rng, message).ok()?.as_ref().to_vec()),
            Pair::Ed(pair) => Some(pair.sign(message).as_ref().to_vec()),
        }
    }

    /// Whether `signature` is this key's over `message`.
    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn signature::VerificationAlgorithm = match self.pair {
            Pair::Rsa { .. } => &signature::RSA_PKCS1_2048_8192_SHA256,
            Pair::Ec(_) => &signature::ECDSA_P256_SHA256_FIXED,
            Pair::Ed(_) => &signature::ED25519,
        };
        signature::UnparsedPublicKey::new(alg, self.public())
            .verify(message, signature)
            .is_ok()
    }

    /// The public key as a JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2).
    pub(super) fn jwk(&self) -> serde_json::Value {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let (kid, alg) = (self.kid.as_str(), self.signing.alg());
        match &self.pair {
            Pair::Rsa { pair, .. } => {
                let parts = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(pair.public());
                json!({
                    "kty": "RSA", "kid": kid, "use": "sig", "alg": alg,
                    "n": b64(unsigned(&parts.n)), "e": b64(unsigned(&parts.e)),
                })
            }
            Pair::Ec(_) => {
                // An uncompressed point: 0x04, then x and y of 32 bytes each.
                let xy = self.public().get(1..).unwrap_or_default();
                let (x, y) = xy.split_at(xy.len() / 2);
                json!({
                    "kty": "EC", "kid": kid, "use": "sig", "alg": alg,
                    "crv": "P-256", "x": b64(x), "y": b64(y),
                })
            }
            Pair::Ed(_) => json!({
                "kty": "OKP", "kid": kid, "use": "sig", "alg": alg,
                "crv": "Ed25519", "x": b64(self.public()),
            }),
        }
    }

    /// The public key as a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; RFC 3279
    /// for RSA, RFC 5480 for P-256, RFC 8410 for Ed25519), in DER.
    pub(super) fn spki(&self) -> Vec<u8> {
        // The AlgorithmIdentifier of each kind, in DER.
        const RSA: &[u8] = &[
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
            0x00,
        ];
        const P256: &[u8] = &[
            0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
            0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        ];
        const ED25519: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
        let algorithm = match self.pair {
            Pair::Rsa { .. } => RSA,
            Pair::Ec(_) => P256,
            Pair::Ed(_) => ED25519,
        };
        // BIT STRING: no unused bits, then the key.
        let mut bits = Vec::with_capacity(1 + self.public().len());
        bits.push(0);
        bits.extend_from_slice(self.public());
        let mut inner = algorithm.to_vec();
        inner.extend(der(0x03, &bits));
        der(0x30, &inner)
    }

    /// The public key as a PEM `PUBLIC KEY` block (RFC 7468 §13).
    pub(super) fn pem(&self) -> String {
        let body = STANDARD.encode(self.spki());
        let mut pem = String::with_capacity(body.len() + body.len() / 64 + 60);
        pem.push_str("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }
}

/// A DER element: `tag`, the definite length, `content`.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len().to_be_bytes();
    let significant = &len[len.iter().take_while(|b| **b == 0).count()..];
    let mut out = Vec::with_capacity(2 + significant.len() + content.len());
    out.push(tag);
    match significant {
        [] => out.push(0),
        [short] if *short < 0x80 => out.push(*short),
        long => {
            // At most 8 length bytes: `0x80 | 8` at most.
            out.push(0x80 | u8::try_from(long.len()).unwrap_or(8));
            out.extend_from_slice(long);
        }
    }
    out.extend_from_slice(content);
    out
}

/// A big-endian unsigned integer without leading zero bytes (RFC 7518
/// §6.3.1.1).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[zeros.min(bytes.len().saturating_sub(1))..]
}

/// A PKCS#8 document ring generated, copied into a buffer wiped on drop.
/// ring's `Document` is a plain array ring offers no way to wipe (nor its
/// key pairs): it is dropped at once, and the copy ropc holds is wiped.
fn wiped(
    generated: Result<ring::pkcs8::Document, ring::error::Unspecified>,
) -> io::Result<Zeroizing<Vec<u8>>> {
    let document = generated.map_err(|_| io::Error::other("ring could not generate a key"))?;
    let mut pkcs8 = Zeroizing::new(Vec::with_capacity(document.as_ref().len()));
    pkcs8.extend_from_slice(document.as_ref());
    Ok(pkcs8)
}

/// The fixed 2048-bit RSA keys (PKCS#8 DER), made once by
/// `rsa-test-keys/generate.py` because ring cannot generate RSA keys.
/// **Public test keys**: they are in ropc's source for anyone to read, and
/// sign nothing but the loopback provider's tokens.
const RSA_TEST_KEYS: [&[u8]; 8] = [
    include_bytes!("rsa-test-keys/rsa-2048-1.pk8"),
    include_bytes!("rsa-test-keys/rsa-2048-2.pk8"),
    include_bytes!("rsa-test-keys/rsa-2048-3.pk8"),
    include_bytes!("rsa-test-keys/rsa-2048-4.pk8"),
    include_bytes!("rsa-test-keys/rsa-2048-5.pk8"),
    include_bytes!("rsa-test-keys/rsa-2048-6.pk8"),
    include_bytes!("rsa-test-keys/rsa-2048-7.pk8"),
    include_bytes!("rsa-test-keys/rsa-2048-8.pk8"),
];

/// How many published keys of live providers use each fixed RSA key, in
/// the whole process: a new key is the least used, so live providers (and
/// the keys of one provider) differ while the fixed keys last.
static RSA_USES: Mutex<[usize; RSA_TEST_KEYS.len()]> = Mutex::new([0; RSA_TEST_KEYS.len()]);

/// One use of a fixed RSA key, given back when the key is dropped.
struct RsaLease(usize);

impl RsaLease {
    /// The least used fixed key not in `avoid` (of all, when every one is),
    /// and with `lease` its use counted until the lease is dropped.
    fn pick(avoid: &[usize], lease: bool) -> (usize, Option<RsaLease>) {
        let mut uses = lock(&RSA_USES);
        let least = |allowed: &dyn Fn(usize) -> bool| {
            (0..RSA_TEST_KEYS.len())
                .filter(|i| allowed(*i))
                .min_by_key(|i| uses[*i])
        };
        let index = least(&|i| !avoid.contains(&i))
            .or_else(|| least(&|_| true))
            .unwrap_or(0);
        if !lease {
            return (index, None);
        }
        uses[index] += 1;
        (index, Some(RsaLease(index)))
    }
}

impl Drop for RsaLease {
    fn drop(&mut self) {
        let mut uses = lock(&RSA_USES);
        uses[self.0] = uses[self.0].saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixed_rsa_key_is_a_2048_bit_key_ring_accepts() {
        for der in RSA_TEST_KEYS {
            let pair = RsaKeyPair::from_pkcs8(der).unwrap();
            assert_eq!(pair.public().modulus_len(), 256);
        }
    }

    #[test]
    fn der_lengths_use_the_short_and_long_forms() {
        assert_eq!(der(0x04, &[]), [0x04, 0x00]);
        assert_eq!(der(0x04, &[7; 0x7f])[..2], [0x04, 0x7f]);
        assert_eq!(der(0x04, &[7; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(der(0x04, &[7; 0x10e])[..4], [0x04, 0x82, 0x01, 0x0e]);
    }

    #[test]
    fn unsigned_drops_leading_zero_bytes_only() {
        assert_eq!(unsigned(&[0, 0, 1, 0]), [1, 0]);
        assert_eq!(unsigned(&[0x80]), [0x80]);
        assert_eq!(unsigned(&[0]), [0]);
    }

    #[test]
    fn an_ed25519_spki_is_the_rfc_8410_prefix_and_the_key() {
        let key = Key::generate(Signing::EdDsa, "kid".into(), &[], false).unwrap();
        let spki = key.spki();
        assert_eq!(
            spki[..12],
            [
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
            ]
        );
        assert_eq!(&spki[12..], key.public());
    }
}
