//! Serves the loopback provider (`ropc::testing::Provider`) for shell
//! scripts, e.g. `examples/footprint.sh` and `tests/core_image.sh`.
//!
//! ```sh
//! cargo run --example serve                          # http, until stdin closes
//! cargo run --example serve -- 300                   # http, for 300 seconds
//! cargo run --example serve -- --tls DIR 300         # https on localhost
//! cargo run --example serve -- --misbehave echo-502  # a hostile provider
//! ```
//!
//! The client and user are the demo ones (the public `ropc::testing::DEMO_*`
//! constants), or those named by `ROPC_CLIENT_ID`, `ROPC_CLIENT_SECRET`,
//! `ROPC_USERNAME` and `ROPC_PASSWORD` when set (scripts that look for unique
//! marker values). Prints five lines on stdout, then serves: the token URL,
//! the client id, the client secret, the username and the password.
//!
//! With `--tls DIR` it makes a certificate authority and a certificate for
//! `localhost` (rcgen), serves https through rustls, and writes the
//! authority's certificate to `DIR/ca.pem` (for `ROPC_CA_FILE`).
//!
//! `--misbehave` takes `quote-password` (an `invalid_grant` whose description
//! quotes the password) or `echo-502` (an HTML 502 page echoing the request,
//! credentials included).
// Test and example code: a panic is the failure report, and casts of small
// numbers need no ceremony.
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_lossless,
    clippy::cast_precision_loss
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use ropc::testing::{
    Acceptor, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Misbehavior,
    Provider, Stream,
};

const USAGE: &str = "usage: serve [--tls DIR] [--misbehave quote-password|echo-502] [SECONDS]";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut tls_dir = None;
    let mut seconds = None;
    let mut misbehavior = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => tls_dir = Some(PathBuf::from(args.next().ok_or(USAGE)?)),
            "--misbehave" => {
                misbehavior = Some(match args.next().as_deref() {
                    Some("quote-password") => Misbehavior::ErrorQuotingPassword,
                    Some("echo-502") => Misbehavior::EchoRequest,
                    _ => return Err(USAGE.into()),
                });
            }
            s => seconds = Some(s.parse::<u64>().map_err(|_| USAGE)?),
        }
    }
    let value = |name: &str, demo: &str| std::env::var(name).unwrap_or_else(|_| demo.to_owned());
    let client_id = value("ROPC_CLIENT_ID", DEMO_CLIENT_ID);
    let client_secret = value("ROPC_CLIENT_SECRET", DEMO_CLIENT_SECRET);
    let username = value("ROPC_USERNAME", DEMO_USERNAME);
    let password = value("ROPC_PASSWORD", DEMO_PASSWORD);
    let mut builder = Provider::builder()
        .client(&client_id, client_secret.as_str())
        .user(&username, password.as_str());
    if let Some(m) = misbehavior {
        builder = builder.misbehave(m);
    }
    if let Some(dir) = &tls_dir {
        let (acceptor, ca_pem) = tls()?;
        std::fs::write(dir.join("ca.pem"), ca_pem)?;
        builder = builder.tls(acceptor).host("localhost");
    }
    let provider = builder.start()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", provider.url())?;
        writeln!(out, "{client_id}")?;
        writeln!(out, "{client_secret}")?;
        writeln!(out, "{username}")?;
        writeln!(out, "{password}")?;
        out.flush()?;
    }
    match seconds {
        Some(s) => std::thread::sleep(Duration::from_secs(s)),
        None => {
            let (done, wait) = mpsc::channel();
            std::thread::spawn(move || {
                let mut sink = Vec::new();
                let _ = std::io::stdin().lock().read_to_end(&mut sink);
                let _ = done.send(());
            });
            let _ = wait.recv();
        }
    }
    drop(provider);
    Ok(())
}

/// A rustls acceptor with a fresh certificate for `localhost`, and the PEM
/// of the authority that signed it.
fn tls() -> Result<(Acceptor, String), Box<dyn std::error::Error>> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, "ropc serve CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate()?)?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate()?;
    let cert = leaf.signed_by(&key, &ca)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )?;
    let config = Arc::new(config);
    let acceptor: Acceptor = Arc::new(move |tcp: TcpStream| -> std::io::Result<Box<dyn Stream>> {
        let conn = rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
        Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
    });
    Ok((acceptor, ca.pem()))
}
