//! Which certificate authorities the client trusts.

use std::sync::Arc;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig, TlsProvider};

use crate::error::{ConfigError, Error};

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
        let bad = |reason: String| Error::Config(ConfigError::new("CA bundle", reason));
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
                    "platform_verifier",
                    "needs the `native-tls` feature (the system's OpenSSL store)",
                )
                .into());
            }
            if !self.extra.is_empty() {
                return Err(ConfigError::new(
                    "platform_verifier",
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
                // Borrowed from the static table: no heap copy of ~127 KB.
                certs.extend(
                    webpki_root_certs::TLS_SERVER_ROOT_CERTS
                        .iter()
                        .map(|c| Certificate::from_der(c.as_ref())),
                );
            }
            certs.extend(self.extra.iter().cloned());
            if certs.is_empty() {
                return Err(ConfigError::new(
                    "root certificates",
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
