//! [`KeySet::verify`]: the checks of [`verify`](super::verify), in the same
//! order, with the key chosen from the set between the header and the
//! signature, and ring's RSA, ECDSA and Ed25519 in place of HMAC.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use zeroize::Zeroizing;

use super::header::{self, Kid};
use super::keys::{KeySet, is_asymmetric};
use super::{
    Claims, JwtError, STACK_HEADER, Segment, THREE_SEGMENTS, Validation, decoded_len, payload,
    split,
};

/// The largest signature: RSA with an 8192-bit modulus.
const MAX_SIGNATURE: usize = 8192 / 8;

pub(super) fn verify(
    set: &KeySet,
    token: &str,
    validation: &Validation,
) -> Result<Claims, JwtError> {
    // 1. The cap, before any decoding.
    if token.len() > validation.max_token_size {
        return Err(JwtError::TooLarge {
            size: token.len(),
            max: validation.max_token_size,
        });
    }
    let (header_b64, payload_b64, signature_b64) = split(token)?;
    verify_segments(
        set,
        token,
        [header_b64, payload_b64, signature_b64],
        validation,
    )
    .map_err(|e| {
        // As in `verify`: more than three segments is reported as such.
        if payload_b64.contains('.') {
            JwtError::Malformed(THREE_SEGMENTS)
        } else {
            e
        }
    })
}

fn verify_segments(
    set: &KeySet,
    token: &str,
    [header_b64, payload_b64, signature_b64]: [&str; 3],
    validation: &Validation,
) -> Result<Claims, JwtError> {
    // 2-3. The header, decoded on the stack when it fits: `alg` must be one a
    // key set verifies (never HS*, never `none`), `kid` a string if present.
    let mut stack = [0u8; STACK_HEADER];
    let mut heap = Vec::new();
    let len = decoded_len(header_b64.len());
    let buf: &mut [u8] = if len <= STACK_HEADER {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    let n = URL_SAFE_NO_PAD
        .decode_slice(header_b64, buf)
        .map_err(|_| JwtError::Base64 {
            segment: Segment::Header,
        })?;
    let header = header::parse(&buf[..n])?;
    let alg = match header.alg {
        Some(alg) if is_asymmetric(alg) => alg,
        other => {
            return Err(JwtError::Algorithm {
                found: other.map(header::Alg::name),
            });
        }
    };
    let kid = match &header.kid {
        Kid::Absent => None,
        Kid::Str(kid) => Some(&**kid),
        Kid::NotString => return Err(JwtError::Header("`kid` is not a string")),
    };

    // The signature and the payload, strictly decoded; the payload into a
    // zeroized buffer, not looked at until the signature holds.
    let mut signature = [0u8; MAX_SIGNATURE];
    if decoded_len(signature_b64.len()) > MAX_SIGNATURE {
        // Longer than any key here can make: well-formed base64url of it
        // cannot match; anything else is malformed.
        return Err(match URL_SAFE_NO_PAD.decode(signature_b64) {
            Ok(_) => JwtError::Signature,
            Err(_) => JwtError::Base64 {
                segment: Segment::Signature,
            },
        });
    }
    let signature_len = URL_SAFE_NO_PAD
        .decode_slice(signature_b64, &mut signature)
        .map_err(|_| JwtError::Base64 {
            segment: Segment::Signature,
        })?;
    let mut payload = Zeroizing::new(vec![0u8; decoded_len(payload_b64.len())]);
    let n = URL_SAFE_NO_PAD
        .decode_slice(payload_b64, &mut payload)
        .map_err(|_| JwtError::Base64 {
            segment: Segment::Payload,
        })?;
    payload.truncate(n);

    // 4. The key the header selects, and its signature over the bytes as
    // received.
    let key = set.select(alg, kid)?;
    let signing_input = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
    if !key
        .material
        .verify(alg, signing_input, &signature[..signature_len])
    {
        return Err(JwtError::Signature);
    }

    // 5-6. The payload and the validation, exactly as `verify` does them.
    let claims = payload::parse(payload)?;
    validation.check(&claims)?;
    Ok(claims)
}
