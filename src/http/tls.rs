//! Which certificate authorities the client trusts, as ureq's TLS
//! configuration.

use std::sync::Arc;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

use crate::error::{ConfigError, Error, Setting};

/// The trust settings of a [`ClientBuilder`](crate::ClientBuilder).
#[derive(Clone, Debug)]
pub(crate) struct Trust {
    /// Trust the built-in (Mozilla) roots.
    pub(crate) builtin: bool,
    /// Use the platform's roots and verifier instead of the built-in roots.
    pub(crate) platform: bool,
    /// Extra roots from PEM.
    pub(crate) extra: Vec<Certificate<'static>>,
}

impl Default for Trust {
    fn default() -> Self {
        Trust {
            builtin: true,
            platform: false,
            extra: Vec::new(),
        }
    }
}

impl Trust {
    /// Adds every certificate of a PEM bundle; anything malformed, or a
    /// bundle without a certificate, is an error.
    pub(crate) fn add_pem(&mut self, pem: &[u8]) -> Result<(), Error> {
        let bad =
            |reason: String| Error::Config(ConfigError::new(Setting::RootCertificates, reason));
        let mut found = Vec::new();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => found.push(cert),
                Ok(_) => {} // keys and other blocks are ignored
                Err(e) => return Err(bad(format!("malformed PEM: {e}"))),
            }
        }
        if found.is_empty() {
            return Err(bad("holds no PEM certificate".into()));
        }
        for cert in &found {
            check_der(cert.der()).map_err(|why| bad(format!("malformed certificate: {why}")))?;
        }
        self.extra.extend(found);
        Ok(())
    }

    pub(crate) fn to_ureq(&self) -> Result<TlsConfig, Error> {
        let provider = if cfg!(feature = "native-tls") {
            TlsProvider::NativeTls
        } else {
            TlsProvider::Rustls
        };
        let roots = if self.platform {
            if !cfg!(feature = "native-tls") {
                return Err(ConfigError::new(
                    Setting::RootCertificates,
                    "needs the `native-tls` feature (the system's OpenSSL store)",
                )
                .into());
            }
            if !self.extra.is_empty() {
                return Err(ConfigError::new(
                    Setting::RootCertificates,
                    "cannot be combined with extra root certificates",
                )
                .into());
            }
            RootCerts::PlatformVerifier
        } else if self.extra.is_empty() && self.builtin {
            RootCerts::WebPki
        } else {
            let mut certs = Vec::new();
            if self.builtin {
                certs.extend(builtin_roots());
            }
            certs.extend(self.extra.iter().cloned());
            if certs.is_empty() {
                return Err(ConfigError::new(
                    Setting::RootCertificates,
                    "the built-in roots are replaced but no certificate was added",
                )
                .into());
            }
            RootCerts::Specific(Arc::new(certs))
        };
        Ok(TlsConfig::builder()
            .provider(provider)
            .root_certs(roots)
            .build())
    }
}

/// The built-in roots as certificates, for ureq's "exactly these" setting.
#[cfg(feature = "native-tls")]
fn builtin_roots() -> impl Iterator<Item = Certificate<'static>> {
    // Borrowed from the static table: no heap copy.
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| Certificate::from_der(c.as_ref()))
}

/// The built-in roots as certificates, for ureq's "exactly these" setting.
///
/// rustls reads a root certificate only for its subject and public key (its
/// trust anchor); a v1 certificate carrying exactly those — the same DER
/// shape webpki reads v1 roots from — gives back the very anchor ureq's
/// default uses, without linking Mozilla's roots a second time as full
/// certificates. The one root with name constraints (which a v1 certificate
/// cannot carry) is left out rather than trusted without its constraints.
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
fn builtin_roots() -> impl Iterator<Item = Certificate<'static>> {
    webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .filter(|a| a.name_constraints.is_none())
        .map(|a| {
            Certificate::from_der(&v1_anchor_certificate(
                &a.subject,
                &a.subject_public_key_info,
            ))
            .to_owned()
        })
}

/// `Certificate { tbs { serial 1, signature {}, issuer {}, validity {},
/// subject, spki }, signatureAlgorithm {}, signature '' }` in DER.
#[cfg(all(feature = "rustls", not(feature = "native-tls")))]
fn v1_anchor_certificate(subject: &[u8], spki: &[u8]) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8], out: &mut Vec<u8>) {
        out.push(tag);
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
    }
    let mut tbs = Vec::with_capacity(subject.len() + spki.len() + 24);
    tlv(0x02, &[1], &mut tbs); // serialNumber
    tlv(0x30, &[], &mut tbs); // signature
    tlv(0x30, &[], &mut tbs); // issuer
    tlv(0x30, &[], &mut tbs); // validity
    tlv(0x30, subject, &mut tbs);
    tlv(0x30, spki, &mut tbs);
    let mut body = Vec::with_capacity(tbs.len() + 16);
    tlv(0x30, &tbs, &mut body);
    tlv(0x30, &[], &mut body); // signatureAlgorithm
    tlv(0x03, &[0], &mut body); // signature: an empty BIT STRING
    let mut cert = Vec::with_capacity(body.len() + 8);
    tlv(0x30, &body, &mut cert);
    cert
}

/// A shallow DER check: one SEQUENCE spanning the whole input, holding a
/// SEQUENCE (the TBSCertificate). Catches truncated or garbled PEM bodies at
/// configuration time rather than at the first handshake.
fn check_der(der: &[u8]) -> Result<(), &'static str> {
    fn header(d: &[u8]) -> Result<(u8, usize, usize), &'static str> {
        let tag = *d.first().ok_or("empty")?;
        let first = *d.get(1).ok_or("truncated")?;
        if first < 0x80 {
            return Ok((tag, 2, usize::from(first)));
        }
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err("bad length");
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*d.get(2 + i).ok_or("truncated")?);
        }
        Ok((tag, 2 + n, len))
    }
    let (tag, hdr, len) = header(der)?;
    if tag != 0x30 || hdr + len != der.len() {
        return Err("not a DER certificate");
    }
    let (inner, _, _) = header(&der[hdr..])?;
    if inner != 0x30 {
        return Err("not a DER certificate");
    }
    Ok(())
}

#[cfg(all(test, feature = "rustls", not(feature = "native-tls")))]
mod tests {
    use super::*;

    /// Each synthetic certificate gives back exactly the anchor it was made
    /// from, as rustls reads it (the path ureq's `RootCerts::Specific` takes).
    #[test]
    fn builtin_roots_round_trip_to_the_same_trust_anchors() {
        use rustls::pki_types::CertificateDer;
        let certs: Vec<Certificate<'static>> = builtin_roots().collect();
        let expected: Vec<_> = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .filter(|a| a.name_constraints.is_none())
            .collect();
        assert!(expected.len() > 100);
        assert_eq!(certs.len(), expected.len());
        let mut store = rustls::RootCertStore::empty();
        let (added, ignored) =
            store.add_parsable_certificates(certs.iter().map(|c| CertificateDer::from(c.der())));
        assert_eq!((added, ignored), (expected.len(), 0));
        for (got, want) in store.roots.iter().zip(expected) {
            assert_eq!(got.subject.as_ref(), want.subject.as_ref());
            assert_eq!(
                got.subject_public_key_info.as_ref(),
                want.subject_public_key_info.as_ref()
            );
            assert!(got.name_constraints.is_none());
        }
    }

    #[test]
    fn v1_anchor_certificates_encode_long_lengths() {
        let long = vec![0x31; 300];
        let der = v1_anchor_certificate(&long, &[0x30, 0x00]);
        assert_eq!(&der[..4], &[0x30, 0x82, 0x01, 0x46]);
        assert_eq!(der.len(), 4 + 0x146);
    }
}
