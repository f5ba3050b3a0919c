//! [`Material`]: one public key as ropc holds it once it passed the checks
//! it can make without a signature (RSA sizes and exponent, point and key
//! lengths), the algorithms its type and curve allow, and ring's signature
//! check for each.

use super::header::Alg;

/// A public key, checked as far as ropc can before using it.
#[derive(Clone)]
pub(super) enum Material {
    /// Modulus and exponent, big-endian without leading zero bytes.
    Rsa { n: Box<[u8]>, e: Box<[u8]> },
    /// `0x04 || x || y` on P-256 (65 bytes).
    P256(Box<[u8]>),
    /// `0x04 || x || y` on P-384 (97 bytes).
    P384(Box<[u8]>),
    /// The 32-byte public key.
    Ed25519([u8; 32]),
}

impl Material {
    /// An RSA key from its modulus and exponent as given (leading zero bytes
    /// allowed): 2048 to 8192 bits, an odd modulus, an odd exponent from 3 up
    /// of at most 4 bytes.
    pub(super) fn rsa(n: &[u8], e: &[u8]) -> Result<Material, &'static str> {
        let n = strip_zeros(n);
        let e = strip_zeros(e);
        let bits = match n.first() {
            None => 0,
            Some(&top) => (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        };
        if bits < 2048 {
            return Err("RSA key under 2048 bits");
        }
        if bits > 8192 {
            return Err("RSA key over 8192 bits");
        }
        if n.last().is_some_and(|b| b & 1 == 0) {
            return Err("RSA modulus is even");
        }
        match e {
            [] | [1] | [2] => Err("RSA exponent under 3"),
            _ if e.len() > 4 => Err("RSA exponent longer than 4 bytes"),
            [.., last] if last & 1 == 0 => Err("RSA exponent is even"),
            _ => Ok(Material::Rsa {
                n: n.into(),
                e: e.into(),
            }),
        }
    }

    /// An EC key from its encoded point (`0x04 || x || y`).
    pub(super) fn ec_point(point: &[u8], p384: bool) -> Result<Material, &'static str> {
        let (len, wrong) = if p384 {
            (97, "EC P-384 point is not 0x04 || x || y of 48 bytes each")
        } else {
            (65, "EC P-256 point is not 0x04 || x || y of 32 bytes each")
        };
        if point.len() != len || point[0] != 4 {
            return Err(wrong);
        }
        Ok(if p384 {
            Material::P384(point.into())
        } else {
            Material::P256(point.into())
        })
    }

    /// An EC key from its JWK coordinates.
    pub(super) fn ec(x: &[u8], y: &[u8], p384: bool) -> Result<Material, &'static str> {
        let size = if p384 { 48 } else { 32 };
        if x.len() != size || y.len() != size {
            return Err(if p384 {
                "EC P-384 `x`/`y` are not 48 bytes each"
            } else {
                "EC P-256 `x`/`y` are not 32 bytes each"
            });
        }
        let mut point = Vec::with_capacity(1 + 2 * size);
        point.push(4);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        Material::ec_point(&point, p384)
    }

    /// An Ed25519 key.
    pub(super) fn ed25519(x: &[u8]) -> Result<Material, &'static str> {
        <[u8; 32]>::try_from(x)
            .map(Material::Ed25519)
            .map_err(|_| "Ed25519 key is not 32 bytes")
    }

    /// Whether the key's type and curve allow `alg`.
    pub(super) fn allows(&self, alg: Alg) -> bool {
        matches!(
            (self, alg),
            (
                Material::Rsa { .. },
                Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512
            ) | (Material::P256(_), Alg::ES256)
                | (Material::P384(_), Alg::ES384)
                | (Material::Ed25519(_), Alg::EdDSA | Alg::Ed25519)
        )
    }

    pub(super) fn describe(&self) -> &'static str {
        match self {
            Material::Rsa { .. } => "RSA key",
            Material::P256(_) => "EC P-256 key",
            Material::P384(_) => "EC P-384 key",
            Material::Ed25519(_) => "Ed25519 key",
        }
    }

    /// Checks `signature` over `message` with ring, for `alg` (which the
    /// key allows). JWS ECDSA signatures are `r || s` (RFC 7518 §3.4): the
    /// `_FIXED` algorithms, so a DER signature fails.
    pub(super) fn verify(&self, alg: Alg, message: &[u8], signature: &[u8]) -> bool {
        use ring::signature as sig;
        let ec = |algorithm: &'static sig::EcdsaVerificationAlgorithm, point: &[u8]| {
            sig::UnparsedPublicKey::new(algorithm, point)
                .verify(message, signature)
                .is_ok()
        };
        match (self, alg) {
            (Material::Rsa { n, e }, _) => {
                let params: &sig::RsaParameters = match alg {
                    Alg::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
                    Alg::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
                    Alg::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
                    Alg::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
                    Alg::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
                    _ => return false,
                };
                sig::RsaPublicKeyComponents { n: &**n, e: &**e }
                    .verify(params, message, signature)
                    .is_ok()
            }
            (Material::P256(point), Alg::ES256) => ec(&sig::ECDSA_P256_SHA256_FIXED, point),
            (Material::P384(point), Alg::ES384) => ec(&sig::ECDSA_P384_SHA384_FIXED, point),
            (Material::Ed25519(key), Alg::EdDSA | Alg::Ed25519) => {
                sig::UnparsedPublicKey::new(&sig::ED25519, key)
                    .verify(message, signature)
                    .is_ok()
            }
            _ => false,
        }
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}
