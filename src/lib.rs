//! # ropc
//!
//! A small, blocking client for the OAuth 2.0 **Resource Owner Password
//! Credentials** grant (RFC 6749 §4.3), for synchronous tools on small
//! devices: it POSTs the user's username and password to the provider's token
//! URL with HTTP Basic client authentication, verifies the access token it
//! gets back — HS256 with the client secret **by hand** (HMAC-SHA256,
//! constant-time comparison) by default, or RS/PS/ES/EdDSA with the
//! provider's published keys ([`Verification`]) — refreshes it, and wipes
//! every secret it holds from memory after use.
//!
//! **Use this grant only when authorization code + PKCE cannot be used**: it
//! hands the user's password to the application. Identity providers document
//! it for exactly that case (trusted first-party devices and tools).
//!
//! ## Verifying a token
//!
//! [`jwt::verify`] is the pure HS256 verifier the client uses:
//!
//! ```
//! use ropc::jwt::{verify, Validation};
//!
//! // RFC 7515 Appendix A.1: an HS256 JWS and its key.
//! let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
//!     .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
//!     .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
//! use base64::Engine as _;
//! let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(
//!     "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
//! ).unwrap();
//!
//! // The token expired in 2011: verify it with a clock set before that.
//! let validation = Validation::default().issuer("joe").at(1_300_819_000);
//! let claims = verify(token, &key, &validation)?;
//! assert_eq!(claims.iss(), Some("joe"));
//! assert_eq!(claims.get("http://example.com/is_root"), Some(serde_json::Value::Bool(true)));
//!
//! // With today's clock it is refused, and the error says why.
//! let err = verify(token, &key, &Validation::default()).unwrap_err();
//! assert_eq!(err.kind(), "expired");
//! # Ok::<(), ropc::jwt::JwtError>(())
//! ```
//!
//! ## Getting tokens
//!
//! ```no_run
//! use ropc::{Client, Secret};
//!
//! let client = Client::builder("https://id.example/oauth/token", "my-app", "client-secret")
//!     .issuer("https://id.example")
//!     .build()?;
//! let password = Secret::from("correct horse battery staple");
//! let tokens = client.password_grant("alice", &password, &["openid", "email"])?;
//! println!("hello {:?}, token valid until {:?}", tokens.claims().sub(), tokens.expires_at());
//! let tokens = client.refresh(&tokens)?;
//! # Ok::<(), ropc::Error>(())
//! ```
//!
//! A runnable version against the built-in loopback provider is
//! `cargo run --example demo`, and `ropc::testing::Provider` (feature
//! `testing`) lets your own tests do the same offline.
//!
//! ## Map
//!
//! * [`Client`], [`ClientBuilder`], [`Tokens`]: the token endpoint. A
//!   request flows one way: the form body and Basic credentials are built in
//!   zeroized buffers, one POST is the only I/O, the reply is interpreted
//!   (RFC 6749 §5, redacted), the access token verified;
//! * [`Verification`]: how access tokens are verified — the client secret,
//!   a JWKS URL, keys given, or not at all (opaque tokens);
//! * [`jwt`]: HS256 verification, key sets ([`jwt::KeySet`]: RS/PS/ES/EdDSA)
//!   and claim validation (pure);
//! * [`Secret`]: a string wiped on drop, redacted when printed;
//! * [`Session`], [`TokenStore`], [`FileStore`]: staying logged in across
//!   calls and processes;
//! * [`Error`]: one error type; no message ever holds a secret;
//! * `testing` (feature `testing`): a real token endpoint on loopback.
//!
//! ## Security notes
//!
//! ropc logs nothing. ureq logs the whole HTTP exchange, unredacted, at
//! `TRACE` level: never enable `TRACE` for `ureq` in production. The README's
//! "What is wiped and what is not" section lists which copies of a secret
//! ropc wipes and which it cannot reach (the TLS library's buffers, the
//! kernel's, the process environment).

//!
//! ## Leaving no secret behind in your own binary
//!
//! ropc wipes every buffer it owns, on the error paths too. What it cannot
//! reach is memory other code frees or leaves behind: the TLS library's
//! buffers, std's, the copies that `hmac`, `base64` or the TLS library make
//! on the stack, and the process environment. The `ropc` binary reaches those
//! itself (its core image at exit holds no secret; `tests/core_image.sh`), and
//! a program linking ropc can do the same in three steps:
//!
//! 1. a wipe-on-free global allocator, e.g. the `zeroizing-alloc` crate
//!    (there is no `unsafe` to write):
//!
//!    ```
//!    #[global_allocator]
//!    static WIPE_ON_FREE: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
//!        zeroizing_alloc::ZeroAlloc(std::alloc::System);
//!    # fn main() {}
//!    ```
//!
//! 2. once the secrets are dropped, before the process exits, overwrite the
//!    stack below the caller (as deep as it was used: `VmStk` in
//!    `/proc/self/status`, 16 KiB a call):
//!
//!    ```
//!    use zeroize::Zeroize as _;
//!
//!    #[inline(never)]
//!    fn scrub(chunks: usize) {
//!        let mut block = [0xA5u8; 16 * 1024];
//!        block.zeroize(); // volatile writes: not optimised away
//!        std::hint::black_box(&mut block);
//!        if chunks > 1 {
//!            scrub(chunks - 1);
//!        }
//!        std::hint::black_box(&block); // no tail call: every frame is real
//!    }
//!    scrub(16); // 256 KiB
//!    ```
//!
//! 3. keep secrets out of the environment (read them from files), and never
//!    end with `std::process::exit` while secrets are alive: return from
//!    `main` so every destructor runs.
//!
//! The cost in the `ropc` binary, measured by `bash examples/footprint.sh`
//! (device profile, one `ropc token` to the loopback provider): peak RSS
//! +24 KiB over http (3,260 against 3,236 KiB), none measurable over https;
//! wall time 7.0 against 6.1 ms over http, 8.0 against 8.0 ms over https
//! (medians of 15 runs, process start included).

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod client;
mod clock;
mod error;
mod form;
mod grant;
mod http;
mod json;
pub mod jwt;
mod redact;
mod response;
mod secret;
mod session;
mod store;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod tokens;

pub use client::{
    BACKOFF_BASE, Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_RETRIES, DEFAULT_TIMEOUT, JWKS_REFETCH_COOLDOWN, MAX_CA_BUNDLE_SIZE, MAX_RETRY_AFTER,
    RESERVED_PARAMS, Retry, RetryPolicy, TokenTypeHint, Verification,
};
pub use clock::{Clock, Jitter, MAX_REFRESH_WINDOW, ManualClock};
pub use error::{
    ConfigError, Endpoint, Error, OAuthError, Setting, StoreError, TransportError, TransportKind,
};
pub use form::ClientAuth;
pub use http::USER_AGENT;
pub use jwt::{Claims, JwtError, Validation};
pub use response::{ErrorCode, ErrorResponse, ResponseError, ResponseProblem};
pub use secret::{MAX_SECRET_SIZE, Secret};
pub use session::{DEFAULT_SKEW, Session};
pub use store::{FileStore, StoreLock, StoredTokens, TokenStore};
pub use tokens::Tokens;

/// The README's Rust examples, compiled (and run where they can be) as
/// doctests. Its loopback-provider example needs the `testing` feature.
#[cfg(all(doctest, feature = "testing"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// What a downstream crate cannot name: the internals are private (each
/// block must fail to compile).
///
/// ```compile_fail,E0603
/// let _ = ropc::form::encode(&[("a", "b")]);
/// ```
///
/// ```compile_fail,E0603
/// let _ = ropc::response::parse(b"{}");
/// ```
///
/// ```compile_fail,E0412
/// let _: ropc::Zeroizing<String> = Default::default();
/// ```
///
/// ```compile_fail,E0624
/// let _ = ropc::ConfigError::new(ropc::Setting::TokenUrl, "reason");
/// ```
#[cfg(doctest)]
struct PrivateInternals;

/// What the `ropc` binary (feature `cli`) needs of the library's insides:
/// writing `--output FILE` exactly as the token store writes its file. Not
/// part of the API: no semver promise, may change in any release; do not
/// use.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod _cli {
    use std::path::Path;

    /// Whether [`replace_file`] may replace `path`: it names a file in a
    /// directory that exists, and holds nothing or a regular file of the
    /// current user's (a symbolic link, FIFO, device, socket or directory is
    /// refused, as the token store refuses them). Nothing is created.
    ///
    /// # Errors
    ///
    /// Why it may not, as one phrase.
    pub fn check_output(path: &Path) -> Result<(), String> {
        crate::store::check_replaceable(path)
    }

    /// Replaces `path` with `bytes` as the token store replaces its file:
    /// after [`check_output`], a temporary file beside it (mode 0600,
    /// `O_EXCL`, a random name), `fsync`, `rename` over `path`, `fsync` of
    /// the directory. On any failure `path` is left as it was.
    ///
    /// # Errors
    ///
    /// Why it was refused or failed, as one phrase.
    pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
        check_output(path)?;
        crate::store::replace_atomically(path, bytes)
    }
}

/// The parsers and encoders the fuzz targets call. Not part of the API: no
/// semver promise, may change in any release. Feature `_fuzz`; do not use.
#[cfg(feature = "_fuzz")]
#[doc(hidden)]
pub mod _fuzz {
    pub use crate::form::{
        basic_authorization, decode, decode_component, encode, encoded_len,
        parse_basic_authorization,
    };
    pub use crate::response::{Parsed, TokenResponse};

    /// Parses a token endpoint response with nothing to redact.
    ///
    /// # Errors
    ///
    /// As the client's own parsing.
    pub fn parse_response(body: &[u8]) -> Result<Parsed, crate::ResponseError> {
        crate::response::parse(body, &crate::redact::Redactor::none())
    }

    /// The error code as ropc reads it from the wire.
    #[must_use]
    pub fn error_code(code: &str) -> crate::ErrorCode {
        crate::ErrorCode::from_wire(code, &crate::redact::Redactor::none())
    }

    /// Provider text as ropc shows it: printable, at most `max` characters.
    #[must_use]
    pub fn sanitize(text: &str, max: usize) -> String {
        crate::redact::Redactor::none().clean(text.as_bytes(), max)
    }
}
