//! The smallest strict DER reader for one structure: a SubjectPublicKeyInfo
//! (RFC 5280 §4.1.2.7) holding an RSA (RFC 8017 A.1.1), P-256/P-384
//! (RFC 5480) or Ed25519 (RFC 8410) public key.
//!
//! Hand-written because no crate in ropc's tree reads SPKI: ring parses
//! only the key inside it (and for RSA only through `untrusted`'s private
//! DER reader), rustls-pki-types only frames PEM, and webpki reads SPKI
//! internally without exporting it. A general ASN.1 crate would be a new
//! dependency in a security boundary for some 150 lines of reading. What is
//! accepted is exactly what the four encodings above produce: definite
//! lengths in their shortest form (at most two length bytes: no key here
//! is longer than 64 KiB), no trailing bytes at any level, positive
//! minimal INTEGERs, a BIT STRING with no unused bits, and the exact
//! algorithm identifiers (RSA's NULL parameters required, Ed25519's absent).
//! Everything else is refused with a reason naming it.

/// A public key as the SPKI holds it; the key's own checks (RSA sizes, point
/// lengths) are the caller's.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Spki<'a> {
    /// `n` and `e`, big-endian without their sign byte.
    Rsa { n: &'a [u8], e: &'a [u8] },
    /// The encoded point on P-256 (`0x04 || x || y` when well-formed).
    P256(&'a [u8]),
    /// The encoded point on P-384.
    P384(&'a [u8]),
    /// The 32-byte Ed25519 public key.
    Ed25519(&'a [u8]),
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;

// Object identifiers, as their DER contents.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]; // 1.2.840.113549.1.1.1
const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]; // 1.2.840.10045.2.1
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]; // 1.2.840.10045.3.1.7
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22]; // 1.3.132.0.34
const ED25519: &[u8] = &[0x2b, 0x65, 0x70]; // 1.3.101.112

/// Key algorithms met in the wild that ropc does not verify with, named in
/// the error so that the user knows what the file holds.
const KNOWN_OTHERS: [(&[u8], &str); 6] = [
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
        "an RSASSA-PSS key (id-RSASSA-PSS); give it as rsaEncryption",
    ),
    (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01], "a DSA key"),
    (&[0x2b, 0x65, 0x71], "an Ed448 key"),
    (
        &[0x2b, 0x65, 0x6e],
        "an X25519 key (key agreement, not signatures)",
    ),
    (
        &[0x2b, 0x65, 0x6f],
        "an X448 key (key agreement, not signatures)",
    ),
    (
        &[0x2b, 0x81, 0x04, 0x00, 0x23],
        "an EC key on P-521 (ES512 is not supported)",
    ),
];

/// Reads a DER SubjectPublicKeyInfo.
pub(super) fn parse(der: &[u8]) -> Result<Spki<'_>, &'static str> {
    let mut outer = Der(der);
    let mut spki = Der(outer.read(SEQUENCE)?);
    outer.end()?;
    let mut algorithm = Der(spki.read(SEQUENCE)?);
    let key = bit_string(spki.read(BIT_STRING)?)?;
    spki.end()?;

    let oid = algorithm.read(OID)?;
    let parsed = if oid == RSA_ENCRYPTION {
        if !algorithm.read(NULL)?.is_empty() {
            return Err(MALFORMED);
        }
        let mut outer = Der(key);
        let mut rsa = Der(outer.read(SEQUENCE)?);
        outer.end()?;
        let n = positive_integer(rsa.read(INTEGER)?)?;
        let e = positive_integer(rsa.read(INTEGER)?)?;
        rsa.end()?;
        Spki::Rsa { n, e }
    } else if oid == EC_PUBLIC_KEY {
        let curve = algorithm.read(OID)?;
        if curve == P256 {
            Spki::P256(key)
        } else if curve == P384 {
            Spki::P384(key)
        } else {
            return Err(match KNOWN_OTHERS.iter().find(|(o, _)| *o == curve) {
                Some((_, name)) => name,
                None => "an EC key on a curve other than P-256 and P-384",
            });
        }
    } else if oid == ED25519 {
        // RFC 8410 §3: the parameters MUST be absent.
        Spki::Ed25519(key)
    } else {
        return Err(match KNOWN_OTHERS.iter().find(|(o, _)| *o == oid) {
            Some((_, name)) => name,
            None => "a key of an algorithm ropc does not know",
        });
    };
    algorithm.end()?;
    Ok(parsed)
}

const MALFORMED: &str = "not a well-formed DER SubjectPublicKeyInfo";

/// The unread rest of one DER value's contents.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The contents of the next value, which must have tag `tag`.
    fn read(&mut self, tag: u8) -> Result<&'a [u8], &'static str> {
        let [t, first, rest @ ..] = self.0 else {
            return Err(MALFORMED);
        };
        if *t != tag {
            return Err(MALFORMED);
        }
        let (len, rest) = match (*first, rest) {
            (0..=0x7f, rest) => (usize::from(*first), rest),
            // The long forms only where the short one cannot say it.
            (0x81, [len, rest @ ..]) if *len >= 0x80 => (usize::from(*len), rest),
            (0x82, [hi, lo, rest @ ..]) if *hi != 0 => {
                ((usize::from(*hi) << 8) | usize::from(*lo), rest)
            }
            // Indefinite (0x80), non-minimal or longer lengths.
            _ => return Err(MALFORMED),
        };
        if rest.len() < len {
            return Err(MALFORMED);
        }
        let (contents, rest) = rest.split_at(len);
        self.0 = rest;
        Ok(contents)
    }

    /// Nothing may follow.
    fn end(&self) -> Result<(), &'static str> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(MALFORMED)
        }
    }
}

/// A BIT STRING's bits, which must be whole bytes.
fn bit_string(contents: &[u8]) -> Result<&[u8], &'static str> {
    match contents {
        [0, bits @ ..] => Ok(bits),
        _ => Err(MALFORMED),
    }
}

/// A positive INTEGER in its minimal form, without its sign byte.
fn positive_integer(contents: &[u8]) -> Result<&[u8], &'static str> {
    match contents {
        // A zero byte only where the next one would make the value negative.
        [0, next, ..] if *next >= 0x80 => Ok(&contents[1..]),
        [first, ..] if *first != 0 && *first < 0x80 => Ok(contents),
        // Empty, negative, zero, or a needless leading zero.
        _ => Err(MALFORMED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = contents.len();
        if len < 0x80 {
            out.push(u8::try_from(len).unwrap());
        } else if len < 0x100 {
            out.extend([0x81, u8::try_from(len).unwrap()]);
        } else {
            out.extend([
                0x82,
                u8::try_from(len >> 8).unwrap(),
                u8::try_from(len & 0xff).unwrap(),
            ]);
        }
        out.extend_from_slice(contents);
        out
    }

    fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
        let mut bits = vec![0];
        bits.extend_from_slice(key);
        let mut body = tlv(SEQUENCE, algorithm);
        body.extend(tlv(BIT_STRING, &bits));
        tlv(SEQUENCE, &body)
    }

    fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
        let mut alg = tlv(OID, RSA_ENCRYPTION);
        alg.extend(tlv(NULL, &[]));
        let mut ints = tlv(INTEGER, n);
        ints.extend(tlv(INTEGER, e));
        spki(&alg, &tlv(SEQUENCE, &ints))
    }

    #[test]
    fn reads_each_supported_key() {
        let mut n = vec![0x00, 0xc1];
        n.extend([0x55; 255]);
        let der = rsa_spki(&n, &[0x01, 0x00, 0x01]);
        assert_eq!(
            parse(&der),
            Ok(Spki::Rsa {
                n: &n[1..],
                e: &[1, 0, 1]
            })
        );

        let point = [4u8; 65];
        let mut alg = tlv(OID, EC_PUBLIC_KEY);
        alg.extend(tlv(OID, P256));
        assert_eq!(parse(&spki(&alg, &point)), Ok(Spki::P256(&point)));
        let mut alg = tlv(OID, EC_PUBLIC_KEY);
        alg.extend(tlv(OID, P384));
        assert_eq!(parse(&spki(&alg, &point)), Ok(Spki::P384(&point)));
        let ed = [9u8; 32];
        assert_eq!(
            parse(&spki(&tlv(OID, ED25519), &ed)),
            Ok(Spki::Ed25519(&ed))
        );
    }

    #[test]
    fn refuses_what_is_not_strict_der() {
        let mut n = vec![0x00, 0xc1];
        n.extend([0x55; 255]);
        let good = rsa_spki(&n, &[0x01, 0x00, 0x01]);
        assert!(parse(&good).is_ok());
        // Trailing bytes, truncation, an indefinite or non-minimal length.
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(parse(&trailing), Err(MALFORMED));
        assert_eq!(parse(&good[..good.len() - 1]), Err(MALFORMED));
        let mut indefinite = good.clone();
        indefinite[1] = 0x80;
        assert_eq!(parse(&indefinite), Err(MALFORMED));
        let short = spki(&tlv(OID, ED25519), &[9u8; 32]);
        let mut long_form = vec![short[0], 0x81, short[1]];
        long_form.extend_from_slice(&short[2..]);
        assert_eq!(parse(&long_form), Err(MALFORMED));
        // Non-minimal, negative or zero INTEGERs.
        assert_eq!(parse(&rsa_spki(&[0x00, 0x01, 0x02], &[3])), Err(MALFORMED));
        assert_eq!(parse(&rsa_spki(&[0x81, 0x02], &[3])), Err(MALFORMED));
        assert_eq!(parse(&rsa_spki(&[0xc1], &[0])), Err(MALFORMED));
        // RSA without its NULL parameters, Ed25519 with parameters.
        let mut ints = tlv(INTEGER, &n);
        ints.extend(tlv(INTEGER, &[3]));
        assert_eq!(
            parse(&spki(&tlv(OID, RSA_ENCRYPTION), &tlv(SEQUENCE, &ints))),
            Err(MALFORMED)
        );
        let mut alg = tlv(OID, ED25519);
        alg.extend(tlv(NULL, &[]));
        assert_eq!(parse(&spki(&alg, &[9u8; 32])), Err(MALFORMED));
        // A BIT STRING with unused bits.
        let mut bits = short.clone();
        let at = bits.len() - 33;
        bits[at] = 1;
        assert_eq!(parse(&bits), Err(MALFORMED));
    }

    #[test]
    fn names_the_keys_it_does_not_verify_with() {
        assert!(
            parse(&spki(&tlv(OID, &[0x2b, 0x65, 0x71]), &[0; 57]))
                .unwrap_err()
                .contains("Ed448")
        );
        let mut alg = tlv(OID, EC_PUBLIC_KEY);
        alg.extend(tlv(OID, &[0x2b, 0x81, 0x04, 0x00, 0x0a])); // secp256k1
        assert!(parse(&spki(&alg, &[4; 65])).unwrap_err().contains("curve"));
        assert!(
            parse(&spki(&tlv(OID, &[0x2a, 0x03]), &[1]))
                .unwrap_err()
                .contains("does not know")
        );
    }
}
