//! Proof that ropc wipes what it holds: a global allocator scans every block
//! as it is freed for marker values (password, client secret, Basic
//! credentials, access and refresh tokens) and counts the blocks freed while
//! still holding one.
//!
//! * The crate's own code, end to end without the network (form and Basic
//!   building, response parsing, `jwt::verify`, `Client`, `Tokens`,
//!   `Session`, the file store): the count must be zero.
//! * A full password grant + refresh over loopback `http`, with the provider
//!   in a child process (the same test, run again to play the provider) so
//!   that only the client's frees are counted: zero as well (ureq's I/O buffers are wiped by ropc's transport wrapper and the
//!   Authorization header lives in a zeroized buffer).
//! * The same over `https` (rustls): the figure is printed, not asserted —
//!   rustls keeps plaintext in buffers of its own that ropc cannot reach.
//!
//! This module is the only place in the tests with `unsafe`: the allocator
//! (the global allocator of the whole test binary; it scans only while a
//! test of this module asks it to).
// The scanning allocator: this module only.
#![allow(unsafe_code)]

use crate::common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

use common::child;
use common::creds::Creds;
// The form encoders and the response parser, reached through the hook the
// fuzz targets use (no semver promise; this file is ropc's own).
use ropc::_fuzz::{self as form, Parsed, parse_response as parse};
use ropc::jwt::{Clock, Validation};
use ropc::testing::Misbehavior;
use ropc::{Client, ClientAuth, FileStore, Secret, Session, StoredTokens, TokenStore, jwt};
use zeroize::Zeroizing;

// --- the scanning allocator ------------------------------------------------

struct Scanner;

static ENABLED: AtomicBool = AtomicBool::new(false);
static MARKERS: RwLock<Vec<(&'static str, Vec<u8>)>> = RwLock::new(Vec::new());
const MAX_MARKERS: usize = 16;
static HITS: [AtomicUsize; MAX_MARKERS] = [const { AtomicUsize::new(0) }; MAX_MARKERS];
/// Sizes of the blocks that held a marker (for attribution), first 64.
static HIT_SIZES: [AtomicUsize; 64] = [const { AtomicUsize::new(0) }; 64];
static HIT_COUNT: AtomicUsize = AtomicUsize::new(0);

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() || hay.len() < needle.len() {
        return false;
    }
    let first = needle[0];
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        if hay[i] == first && &hay[i..i + needle.len()] == needle {
            return true;
        }
        i += 1;
    }
    false
}

unsafe impl GlobalAlloc for Scanner {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ENABLED.load(Ordering::SeqCst) {
            // SAFETY: the block is still allocated and `layout.size()` long.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if let Ok(markers) = MARKERS.try_read() {
                let mut hit = false;
                for (i, (_, m)) in markers.iter().enumerate().take(MAX_MARKERS) {
                    if contains(block, m) {
                        HITS[i].fetch_add(1, Ordering::SeqCst);
                        hit = true;
                    }
                }
                if hit {
                    let n = HIT_COUNT.fetch_add(1, Ordering::SeqCst);
                    if n < HIT_SIZES.len() {
                        HIT_SIZES[n].store(layout.size(), Ordering::SeqCst);
                    }
                }
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` is not overridden: the default allocates, copies and frees
    // through `dealloc`, so the old block of a growing buffer is scanned too.
}

#[global_allocator]
static GLOBAL: Scanner = Scanner;

/// One scan at a time: the tests of this module share the allocator's state.
static SERIAL: Mutex<()> = Mutex::new(());

struct Report {
    per_marker: Vec<(&'static str, usize)>,
    blocks: usize,
    sizes: Vec<usize>,
}

impl Report {
    fn total(&self) -> usize {
        self.per_marker.iter().map(|(_, n)| n).sum()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} block(s) freed holding a marker", self.blocks)?;
        for (name, n) in &self.per_marker {
            write!(f, "; {name}: {n}")?;
        }
        if !self.sizes.is_empty() {
            write!(f, "; block sizes {:?}", self.sizes)?;
        }
        Ok(())
    }
}

/// Runs `f` with scanning on for `markers`.
fn scan(markers: Vec<(&'static str, Vec<u8>)>, f: impl FnOnce()) -> Report {
    assert!(markers.len() <= MAX_MARKERS);
    *MARKERS.write().unwrap() = markers;
    for h in &HITS {
        h.store(0, Ordering::SeqCst);
    }
    HIT_COUNT.store(0, Ordering::SeqCst);
    ENABLED.store(true, Ordering::SeqCst);
    f();
    ENABLED.store(false, Ordering::SeqCst);
    let markers = std::mem::take(&mut *MARKERS.write().unwrap());
    let blocks = HIT_COUNT.load(Ordering::SeqCst);
    Report {
        per_marker: markers
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, HITS[i].load(Ordering::SeqCst)))
            .collect(),
        blocks,
        sizes: HIT_SIZES
            .iter()
            .take(blocks.min(64))
            .map(|s| s.load(Ordering::SeqCst))
            .collect(),
    }
}

// --- the values -------------------------------------------------------------

const ID: &str = "zeroize-client";
const SECRET: &str = "CS-MARK-8e2f1a9d";
const USER: &str = "frank";
const PASSWORD: &str = "PW-MARK-4b7d9c02";
const REFRESH: &str = "RT-MARK-5c3e7b11";
const CREDS: Creds = Creds {
    id: ID,
    secret: SECRET,
    user: USER,
    password: PASSWORD,
};

fn basic() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{ID}:{SECRET}"))
}

/// A token with the standard header and `payload`, signed with the client
/// secret (as the provider signs them).
fn sign(payload: &str) -> String {
    common::sign(common::HEADER, payload, SECRET.as_bytes())
}

// --- the crate's own code, no network ----------------------------------------

#[test]
fn the_crates_own_code_leaves_no_secret_in_freed_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let access = sign(&format!(
        r#"{{"iss":"zeroize","sub":"{USER}","aud":"{ID}","exp":{},"scope":"openid","n":"\u00e9"}}"#,
        common::now() + 3600
    ));
    // The inputs are prepared before scanning and freed after it.
    let response = format!(
        r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":3600,"refresh_token":"{REFRESH}","scope":"openid"}}"#
    );
    let escaped = response
        .replace("RT-MARK", "RT\\u002dMARK")
        .replace(".ey", ".\\u0065y");
    let tmp = common::tempdir("zeroize");
    let dir = tmp.path();
    let markers = vec![
        ("password", PASSWORD.as_bytes().to_vec()),
        ("client secret", SECRET.as_bytes().to_vec()),
        ("Basic credentials", basic().into_bytes()),
        ("refresh token", REFRESH.as_bytes().to_vec()),
        ("access token", access.as_bytes().to_vec()),
        (
            "access token signature",
            access.rsplit('.').next().unwrap().as_bytes().to_vec(),
        ),
    ];
    let report = scan(markers, || {
        // Form bodies and Basic credentials.
        let body = form::encode(&[
            ("grant_type", "password"),
            ("username", USER),
            ("password", PASSWORD),
            ("scope", "openid email"),
        ]);
        let decoded = form::decode(&body).unwrap();
        assert_eq!(decoded[2].1.as_str(), PASSWORD);
        drop((body, decoded));
        for style in [ClientAuth::Basic, ClientAuth::BasicFormEncoded] {
            let h = form::basic_authorization(ID, SECRET, style).unwrap();
            let back = form::parse_basic_authorization(&h, style).unwrap();
            assert_eq!(back.1.as_str(), SECRET);
        }
        // Response parsing, plain and with escapes (unescaped by ropc).
        for body in [&response, &escaped] {
            let Ok(Parsed::Token(t)) = parse(body.as_bytes()) else {
                panic!()
            };
            assert_eq!(t.refresh_token.as_ref().unwrap().expose_secret(), REFRESH);
            assert!(!format!("{t:?}").contains("MARK"));
        }
        // The verifier.
        let claims = jwt::verify(&access, SECRET.as_bytes(), &Validation::default()).unwrap();
        assert_eq!(claims.sub(), Some(USER));
        let again = claims.clone();
        drop((claims, again));
        // Client, Tokens, Session, the store.
        let client = Client::builder("http://127.0.0.1:9/token", ID, SECRET)
            .build()
            .unwrap();
        let tokens = client
            .restore(
                Secret::from(access.as_str()),
                Some(Secret::from(REFRESH)),
                None,
            )
            .unwrap();
        let copy = tokens.clone();
        assert!(!format!("{client:?} {tokens:?}").contains("MARK"));
        let store = FileStore::new(dir.join("tokens"));
        store
            .save(&StoredTokens::new(
                Some(tokens.access_token().clone()),
                tokens.refresh_token().cloned(),
                tokens.expires_at(),
            ))
            .unwrap();
        let loaded = store.load().unwrap().unwrap();
        assert_eq!(
            loaded.refresh_token.as_ref().map(Secret::expose_secret),
            Some(REFRESH)
        );
        drop(loaded);
        let session = Session::with_store(client.clone(), store.clone()).unwrap();
        assert_eq!(session.access_token().unwrap().expose_secret(), access);
        drop(session);
        store.clear().unwrap();
        let session = Session::new(client, copy);
        drop((session, tokens));
        // Secrets themselves.
        let s = Secret::from(String::from(PASSWORD));
        let z = Secret::from(Zeroizing::new(String::from(PASSWORD)));
        assert_eq!(s, z);
    });
    drop((response, escaped));
    drop(tmp);
    println!("crate's own code: {report}");
    assert_eq!(report.total(), 0, "{report}");
}

// --- the full flow, provider in a child process -------------------------------

const CHILD_ENV: &str = "ROPC_ZEROIZE_PROVIDER";
const FIXED_NOW_ENV: &str = "ROPC_ZEROIZE_NOW";
const TLS_ENV: &str = "ROPC_ZEROIZE_TLS_DIR";
const MISBEHAVE_ENV: &str = "ROPC_ZEROIZE_MISBEHAVE";

/// The provider process of the flow tests: each of them, run again by
/// [`ChildProvider`] with `ROPC_ZEROIZE_PROVIDER` set, plays this instead of
/// its own body. Serves until its stdin closes.
fn provider_child() {
    let now: i64 = std::env::var(FIXED_NOW_ENV).unwrap().parse().unwrap();
    let builder = CREDS.provider_builder().clock(Clock::Fixed(now)).seed(7);
    let builder = match std::env::var(MISBEHAVE_ENV).as_deref() {
        Ok("echo") => builder.misbehave(Misbehavior::EchoRequest),
        Ok("quote") => builder.misbehave(Misbehavior::ErrorQuotingPassword),
        _ => builder,
    };
    #[cfg(feature = "rustls")]
    let builder = match std::env::var(TLS_ENV) {
        Ok(dir) => builder
            .tls(tls::acceptor(std::path::Path::new(&dir)))
            .host("localhost"),
        Err(_) => builder,
    };
    let provider = builder.start().unwrap();
    println!("{}", provider.url());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

struct ChildProvider {
    child: Child,
    url: String,
}

impl ChildProvider {
    /// The provider, in a copy of the test `test` (which must start by
    /// playing [`provider_child`] when `ROPC_ZEROIZE_PROVIDER` is set).
    fn start(test: &str, now: i64, tls_dir: Option<&std::path::Path>) -> ChildProvider {
        ChildProvider::misbehaving(test, now, tls_dir, "none")
    }

    fn misbehaving(
        test: &str,
        now: i64,
        tls_dir: Option<&std::path::Path>,
        how: &str,
    ) -> ChildProvider {
        let mut cmd = child::rerun(module_path!(), test);
        cmd.env(CHILD_ENV, "1")
            .env(FIXED_NOW_ENV, now.to_string())
            .env(MISBEHAVE_ENV, how)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(d) = tls_dir {
            cmd.env(TLS_ENV, d);
        }
        let mut child = cmd.spawn().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        while !url.starts_with("http") {
            url.clear();
            assert!(
                out.read_line(&mut url).unwrap() > 0,
                "the provider child did not start"
            );
        }
        ChildProvider {
            child,
            url: url.trim().to_owned(),
        }
    }
}

impl Drop for ChildProvider {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A password grant and a refresh; returns the tokens as (access, refresh)
/// pairs.
fn flow(client: Client) -> Vec<(Secret, Secret)> {
    let password = Secret::from(PASSWORD);
    let t1 = client.password_grant(USER, &password, &["openid"]).unwrap();
    let t2 = client.refresh(&t1).unwrap();
    let out = vec![
        (
            t1.access_token().clone(),
            t1.refresh_token().unwrap().clone(),
        ),
        (
            t2.access_token().clone(),
            t2.refresh_token().unwrap().clone(),
        ),
    ];
    drop((t1, t2, password, client));
    out
}

/// The flow, scanned, against providers run by the test `test`.
fn full_flow(test: &str, tls_dir: Option<&std::path::Path>) -> Report {
    let now = common::now();
    let build = |url: &str| {
        let b = Client::builder(url, ID, SECRET);
        #[cfg(feature = "rustls")]
        let b = match tls_dir {
            Some(d) => tls::trust(b, d),
            None => b,
        };
        b.build().unwrap()
    };
    // Phase A: learn the (reproducible) tokens.
    let learned = {
        let p = ChildProvider::start(test, now, tls_dir);
        flow(build(&p.url))
    };
    let mut markers = vec![
        ("password", PASSWORD.as_bytes().to_vec()),
        ("client secret", SECRET.as_bytes().to_vec()),
        ("Basic credentials", basic().into_bytes()),
    ];
    let names = [
        ("access token 1", "refresh token 1"),
        ("access token 2", "refresh token 2"),
    ];
    for ((a, r), (an, rn)) in learned.iter().zip(names) {
        markers.push((an, a.expose_secret().as_bytes().to_vec()));
        markers.push((rn, r.expose_secret().as_bytes().to_vec()));
    }
    // Phase B: the same flow against a fresh provider, scanned.
    let p = ChildProvider::start(test, now, tls_dir);
    let url = p.url.clone();
    let mut got = Vec::new();
    let report = scan(markers, || {
        let client = build(&url);
        let tokens = flow(client);
        // Compare inside (Secret == is constant time and allocation-free),
        // then drop them: they are ropc's Secrets, wiped on drop.
        got = tokens
            .iter()
            .zip(&learned)
            .map(|((a, r), (la, lr))| a == la && r == lr)
            .collect();
    });
    assert_eq!(
        got,
        [true, true],
        "the provider's tokens were not reproducible: the markers were wrong"
    );
    drop(p);
    report
}

#[test]
fn a_full_flow_over_http_leaves_no_secret_in_freed_memory() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return provider_child();
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let report = full_flow(
        "a_full_flow_over_http_leaves_no_secret_in_freed_memory",
        None,
    );
    println!("full flow over loopback http: {report}");
    assert_eq!(report.total(), 0, "{report}");
}

#[cfg(feature = "rustls")]
#[test]
fn a_full_flow_over_https_reports_what_tls_leaves() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return provider_child();
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let certs = tls::make_certs();
    let report = full_flow(
        "a_full_flow_over_https_reports_what_tls_leaves",
        Some(certs.path()),
    );
    // Not asserted: rustls keeps plaintext records in buffers of its own.
    println!("full flow over loopback https (rustls): {report}");
}

#[cfg(feature = "rustls")]
mod tls {
    use std::path::Path;

    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    use ropc::testing::Acceptor;

    /// A CA, a leaf for `localhost` and its key, in a directory removed when
    /// the guard is dropped.
    pub fn make_certs() -> tempfile::TempDir {
        let tmp = super::common::tempdir("zeroize-tls");
        let dir = tmp.path();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(DnType::CommonName, "zeroize root");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.join("leaf.der"), leaf.der()).unwrap();
        std::fs::write(dir.join("key.der"), key.serialize_der()).unwrap();
        tmp
    }

    pub fn trust(b: ropc::ClientBuilder, dir: &Path) -> ropc::ClientBuilder {
        b.add_root_certificates_file(dir.join("ca.pem")).unwrap()
    }

    pub fn acceptor(dir: &Path) -> Acceptor {
        let leaf = std::fs::read(dir.join("leaf.der")).unwrap();
        let key = std::fs::read(dir.join("key.der")).unwrap();
        super::common::rustls_acceptor(vec![leaf], key)
    }
}

/// Refused requests: the provider quotes the password in its error
/// description, answers an HTML 502 page echoing the whole request (body and
/// Basic credentials), or refuses a wrong password. The errors are shown
/// (`Display`, `Debug`) and dropped inside the scan: nothing secret may be
/// left in freed memory on these paths either.
#[test]
fn error_paths_leave_no_secret_in_freed_memory() {
    const NAME: &str = "error_paths_leave_no_secret_in_freed_memory";
    if std::env::var_os(CHILD_ENV).is_some() {
        return provider_child();
    }
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for how in ["quote", "echo", "none"] {
        let p = ChildProvider::misbehaving(NAME, common::now(), None, how);
        let url = p.url.clone();
        let wrong = "PW-MARK-wrong-77";
        let markers = vec![
            ("password", PASSWORD.as_bytes().to_vec()),
            ("wrong password", wrong.as_bytes().to_vec()),
            ("client secret", SECRET.as_bytes().to_vec()),
            ("Basic credentials", basic().into_bytes()),
            ("refresh token", REFRESH.as_bytes().to_vec()),
        ];
        let mut shown = Vec::new();
        let report = scan(markers, || {
            for auth in [ClientAuth::Basic, ClientAuth::Post] {
                let client = Client::builder(&url, ID, SECRET)
                    .client_auth(auth)
                    .build()
                    .unwrap();
                let attempts = [
                    client.password_grant(USER, &Secret::from(PASSWORD), &["openid"]),
                    client.password_grant(USER, &Secret::from(wrong), &[]),
                    client.refresh_with(&Secret::from(REFRESH), &[]),
                ];
                for result in attempts {
                    let err = match result {
                        Ok(_) if how == "none" => continue,
                        Ok(t) => panic!("{how}: accepted: {t:?}"),
                        Err(e) => e,
                    };
                    let text = format!("{err} {err:?}");
                    assert!(!text.contains("MARK"), "{how}: {text}");
                    shown.push(matches!(
                        err,
                        ropc::Error::OAuth(_) | ropc::Error::Response(_)
                    ));
                }
            }
        });
        drop(p);
        println!("error paths ({how}): {report}");
        assert!(shown.iter().all(|s| *s), "{how}: unexpected error kinds");
        assert_eq!(report.total(), 0, "{how}: {report}");
    }
}
