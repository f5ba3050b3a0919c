//! Helpers shared by the integration tests: each module's client and user
//! (`creds`), running the `ropc` binary (`cli`), a test run again as its own
//! child process (`child`), seeded randomness (`rng`); here, scratch
//! directories and files, a port nothing listens on, token signing by hand
//! and a TLS acceptor.
#![allow(dead_code)]

// What needs the `ropc` binary (feature `cli`) or the loopback provider
// (feature `testing`) is there only with them: the modules that use it are
// compiled only with them (main.rs), the others build without.
pub mod child;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "testing")]
pub mod creds;
pub mod rng;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};

/// The name the test harness knows the test `name` of the module `module`
/// (`module_path!()` there) by: its path in this binary, without the
/// crate's name (`session::store::clear_removes_the_store`). What
/// `--exact` takes.
pub fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_owned(),
    }
}

/// A fresh, empty directory for one test, `ropc-NAME-` and a random suffix
/// in the system's temporary directory (mode 0700, as `tempfile` makes
/// them). The directory and all in it are removed when the guard is
/// dropped: hold it as long as the path is used, by this process or a
/// child; `close` removes it and says whether that worked.
pub fn tempdir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("ropc-{name}-"))
        .tempdir()
        .unwrap()
}

/// A file holding `content`, named as [`tempdir`] names directories, with
/// mode 0644 (a file anyone may read, as a CA bundle or a key set is). The
/// path derefs to a `Path`; the file is removed when it is dropped.
pub fn temp_file(name: &str, content: impl AsRef<[u8]>) -> tempfile::TempPath {
    let path = new_temp_file(name, content);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    path
}

/// As [`temp_file`], with mode 0600 (as a secret file must be).
#[cfg(unix)]
pub fn temp_private_file(name: &str, content: impl AsRef<[u8]>) -> tempfile::TempPath {
    use std::os::unix::fs::PermissionsExt;
    let path = new_temp_file(name, content);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn new_temp_file(name: &str, content: impl AsRef<[u8]>) -> tempfile::TempPath {
    let mut file = tempfile::Builder::new()
        .prefix(&format!("ropc-{name}-"))
        .tempfile()
        .unwrap();
    std::io::Write::write_all(&mut file, content.as_ref()).unwrap();
    file.into_temp_path()
}

/// Writes `content` to a new file at `path` with mode 0600 (as a store
/// would be, so that only the rule under test can refuse it).
#[cfg(unix)]
pub fn write_private(path: &std::path::Path, content: impl AsRef<[u8]>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, content).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Makes a FIFO (named pipe) at `path`, with the `mkfifo` command.
pub fn mkfifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// What `attempt` gives against a loopback TCP port that nothing listens
/// on, when `refused` says it was refused.
///
/// No port can be held closed for the attempt (a bound listener accepts
/// connections into its backlog), so a free one is found (bound as port 0,
/// then closed) and tried; in between, another process may take it. When
/// the attempt was not refused and the port can no longer be bound, that is
/// what happened: another port is tried. When it can still be bound,
/// nothing else was there, and the result, the code's own, is returned for
/// the test to fail on. At most 10 ports are tried.
pub fn on_a_closed_port<T>(mut attempt: impl FnMut(u16) -> T, refused: impl Fn(&T) -> bool) -> T {
    let free_port = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for _ in 1..10 {
        let port = free_port();
        let result = attempt(port);
        if refused(&result) || std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return result;
        }
        eprintln!("port {port} was taken by another process meanwhile; trying another");
    }
    attempt(free_port())
}

/// Now, in seconds since the epoch, by the system clock (as `ropc` and a
/// client with the default clock see it).
pub fn now() -> i64 {
    ropc::jwt::Clock::System.now()
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hs256(signing_input: &str, key: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    b64(mac.finalize().into_bytes())
}

/// A compact JWT with exactly this header and payload JSON text, signed with `key`.
pub fn sign(header: &str, payload: &str, key: &[u8]) -> String {
    sign_bytes(header.as_bytes(), payload.as_bytes(), key)
}

/// A compact JWS over exactly these header and payload bytes (JSON text or
/// not), signed HS256 with `key`.
pub fn sign_bytes(header: &[u8], payload: &[u8], key: &[u8]) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let sig = hs256(&input, key);
    format!("{input}.{sig}")
}

pub const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;
pub const NOW: i64 = 1_700_000_000;
pub const KEY: &[u8] = b"test-key-0123456789";

/// A token with the standard header and `payload`, signed with `KEY`.
pub fn token(payload: &str) -> String {
    sign(HEADER, payload, KEY)
}

/// A TLS acceptor for `ropc::testing::Provider`: a rustls server session
/// presenting `chain` (leaf first, DER) with the PKCS#8 `key`.
#[cfg(feature = "testing")]
pub fn rustls_acceptor(chain: Vec<Vec<u8>>, key: Vec<u8>) -> ropc::testing::Acceptor {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Arc;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            chain.into_iter().map(CertificateDer::from).collect(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    let config = Arc::new(config);
    Arc::new(
        move |tcp: std::net::TcpStream| -> std::io::Result<Box<dyn ropc::testing::Stream>> {
            let conn =
                rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
            Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
        },
    )
}
