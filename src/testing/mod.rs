//! [`Provider`]: a real HTTP/1.1 token endpoint on loopback, for tests,
//! demos and benchmarks — ropc's own, and yours.
//!
//! It runs on `127.0.0.1`, is built from the crate's own dependencies, and
//! shuts down on drop. It speaks the password and refresh-token grants the
//! way identity providers do: HTTP Basic client authentication (the id and
//! secret as they are, or RFC 6749 §2.3.1-encoded) or `client_secret_post`,
//! HS256 access tokens signed with the client secret (`iss`, `sub`, `aud`,
//! `exp`, `iat`, `jti`, `scope`), opaque refresh tokens (rotated on use
//! unless [`rotate_refresh_tokens(false)`](ProviderBuilder::rotate_refresh_tokens)),
//! and the RFC 6749 §5.2 errors: `invalid_request`, `invalid_client` (401
//! with `WWW-Authenticate`), `invalid_grant`, `unsupported_grant_type`,
//! `invalid_scope`. It counts requests and connections
//! ([`Provider::requests`], [`Provider::connections`]) and records what it
//! received ([`Provider::records`]; never the secrets) so tests can assert
//! what was, and was not, sent.
//!
//! It can be told to misbehave ([`Misbehavior`]): delay, close without
//! answering, truncate, an oversized body, HTML 502, a body that is not
//! JSON, redirects (302/307/…), a wrong signing key, another `alg`, expired
//! tokens, a `token_type` other than Bearer, `expires_in` as a string, an
//! error with HTTP 200, 429/503 with `Retry-After`, a reply lost after the
//! request was processed. A TLS acceptor can be plugged in
//! ([`ProviderBuilder::tls`]) to serve https with a certificate made in the
//! test.
//!
//! Besides the token endpoint it serves a **protected resource**,
//! [`Provider::userinfo_url`] (`/userinfo`): `GET` it with `Authorization:
//! Bearer <access token>` and it answers the token's verified claims as
//! JSON, or `401` with a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3)
//! for a missing, invalid or expired token — so a test of "call the API
//! with the token" needs no server of its own. And a **revocation
//! endpoint** (RFC 7009), [`Provider::revocation_url`] (`/revoke`): a
//! revoked refresh token then gets `invalid_grant`;
//! [`Provider::revocations`] counts the requests and the request records
//! show their `token_type_hint` (never the token). `cargo run --example
//! demo` shows a whole life against it: log in, call the API, refresh, call
//! again, log out (revoke).
//!
//! ```
//! use ropc::testing::Provider;
//!
//! let provider = Provider::start()?; // client "demo-client"/"demo-secret", user "alice"/"wonderland"
//! let client = ropc::Client::builder(provider.url(), "demo-client", "demo-secret")
//!     .issuer(provider.issuer())
//!     .build()?;
//! let tokens = client.password_grant("alice", &"wonderland".into(), &["openid"])?;
//! assert_eq!(tokens.claims().sub(), Some("alice"));
//! assert_eq!(provider.requests(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Any kind of provider
//!
//! Most providers are not like the default one. [`ProviderBuilder`] makes
//! the provider behave like the others, one choice at a time:
//!
//! | provider | builder choice |
//! | --- | --- |
//! | Keycloak, Entra ID, Okta, Auth0: RS256 (or ES256, EdDSA) with keys published as a JWKS | [`signing`](ProviderBuilder::signing) (feature `asymmetric`); the key set at [`Provider::jwks_url`], [`Provider::jwks_json`] or `Provider::public_key_pem`; `Provider::rotate_signing_key` and `Provider::retire_old_keys` rotate them on demand; [`Provider::set_jwks`] serves a hostile key set instead |
//! | Django OAuth Toolkit, node oauth2-server, Authlib: opaque access tokens | [`opaque_access_tokens`](ProviderBuilder::opaque_access_tokens) |
//! | a public client (no secret, `client_id` in the body) | [`public_client`](ProviderBuilder::public_client); seen as [`SeenAuth::Public`] |
//! | Auth0's required `audience` (or `realm`) | [`require_param`](ProviderBuilder::require_param); sent parameters in [`RequestRecord::extra_params`] |
//! | OpenID Connect: an `id_token` beside the access token | [`id_tokens`](ProviderBuilder::id_tokens) |
//! | tokens with spaces, quotes and form syntax in them (RFC 6749 allows any `%x20-7E`) | [`awkward_tokens`](ProviderBuilder::awkward_tokens) |
//!
//! Under asymmetric signing every token's header names its key
//! (`{"alg":…,"typ":"JWT","kid":…}`), and the protected resource
//! ([`Provider::userinfo_url`]) checks tokens with the published keys. The
//! RS256 keys are a fixed set of **public test keys** compiled into ropc
//! (ring cannot generate RSA keys): never use them for anything real. The
//! ES256 and Ed25519 keys are generated when the provider starts.
//!
//! ```
//! # #[cfg(feature = "asymmetric")] {
//! use ropc::testing::{Provider, Signing};
//!
//! let provider = Provider::builder()
//!     .client("my-app", "client-secret")
//!     .user("alice", "wonderland")
//!     .signing(Signing::Es256)
//!     .id_tokens(true)
//!     .require_param("audience", "https://api.example")
//!     .start()?;
//! let grant = [
//!     ("grant_type", "password"),
//!     ("username", "alice"),
//!     ("password", "wonderland"),
//!     ("audience", "https://api.example"),
//! ];
//! let body = ureq::post(provider.url())
//!     .header("Authorization", "Basic bXktYXBwOmNsaWVudC1zZWNyZXQ=") // my-app:client-secret
//!     .send_form(grant)?
//!     .body_mut()
//!     .read_to_string()?;
//! let answer: serde_json::Value = serde_json::from_str(&body)?;
//! assert!(answer["id_token"].is_string());
//! let kid = provider.signing_kid().unwrap();
//! assert!(provider.jwks_json().contains(&kid));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## In your own tests
//!
//! Enabled by the `testing` feature. In your own crate, take it as a
//! dev-dependency only:
//!
//! ```toml
//! [dev-dependencies]
//! ropc = { version = "0.1", features = ["testing"] }
//! ```
//!
//! and test your tool offline:
//!
//! ```
//! use std::time::Duration;
//!
//! // One of your crate's tests (a `#[test]`), offline.
//! fn my_tool_logs_in() -> Result<(), Box<dyn std::error::Error>> {
//!     let provider = ropc::testing::Provider::builder()
//!         .client("my-app", "client-secret") // Basic (both encodings) or client_secret_post
//!         .user("alice", "wonderland")
//!         .token_lifetime(Duration::from_secs(60))
//!         .start()?;
//!     let client = ropc::Client::builder(provider.url(), "my-app", "client-secret").build()?;
//!     let tokens = client.password_grant("alice", &"wonderland".into(), &["openid"])?;
//!     assert_eq!(tokens.claims().sub(), Some("alice"));
//!     Ok(())
//! }
//! # my_tool_logs_in().unwrap();
//! ```

// The rooms: `wire` holds what all of them share (a request, a reply, a
// form, an OAuth error), so imports run one way; `server` accepts
// connections and speaks HTTP/1.1; it hands each request to `endpoint`, which authenticates the client, records the request
// and answers the grant with tokens from `mint`, signed with the client
// secret or a key of the ring in `keys` (each a `key_pair`, feature
// `asymmetric`); `misbehavior` says how the configured
// `Misbehavior` bends the answer. `resource`, `revocation` and `jwks` are
// the other endpoints. `builder` configures and starts it all.
mod builder;
mod endpoint;
mod jwks;
#[cfg(feature = "asymmetric")]
mod key_pair;
mod keys;
mod mint;
mod misbehavior;
mod resource;
mod revocation;
mod server;
mod wire;

pub use builder::ProviderBuilder;
pub use keys::Signing;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::jwt::Clock;
use crate::secret::Secret;
use keys::KeyRing;

/// The demo client id [`Provider::start`] knows.
pub const DEMO_CLIENT_ID: &str = "demo-client";
/// The demo client secret [`Provider::start`] knows (also the HS256 key).
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// The demo username [`Provider::start`] knows.
pub const DEMO_USERNAME: &str = "alice";
/// The demo password [`Provider::start`] knows.
pub const DEMO_PASSWORD: &str = "wonderland";

/// Ways the [`Provider`] can be told to misbehave, to test a client's error
/// handling.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misbehavior {
    /// Wait this long before answering.
    Delay(Duration),
    /// Read the request, then close the connection without a word.
    CloseWithoutAnswer,
    /// Announce a body, send half of it, close.
    Truncate,
    /// Answer 200 with a JSON body of this many bytes.
    Oversized(usize),
    /// Answer `502 Bad Gateway` with an HTML page.
    Html502,
    /// Answer 200 with a body that is not JSON.
    NotJson,
    /// Redirect (`302`, `307`, `308`…) to `/moved` on the same server.
    Redirect(u16),
    /// Sign access tokens (and id tokens) with another key: not the client
    /// secret; under an asymmetric [`Signing`], a key of the same kind that
    /// this provider never publishes, the header naming the current key's
    /// `kid`.
    WrongKey,
    /// Sign access tokens (and id tokens) with HS512 and say so in the
    /// header; under an asymmetric [`Signing`], HS256 keyed with the current
    /// public key's PEM text, the header naming its `kid` (the
    /// "public key as HMAC secret" confusion of CVE-2015-9235).
    OtherAlg,
    /// Issue access tokens that expired an hour ago.
    Expired,
    /// Send this `token_type` instead of `Bearer`.
    TokenType(String),
    /// Send `expires_in` as a JSON string (a common provider quirk).
    ExpiresInString,
    /// Answer the real outcome's errors, and also a valid grant, as
    /// `{"error": "invalid_grant"}` with HTTP 200.
    ErrorWith200,
    /// Answer `502 Bad Gateway` with an HTML page that echoes the request
    /// body and headers (credentials included), as careless proxies do.
    EchoRequest,
    /// Answer `invalid_grant` with an `error_description` that quotes the
    /// password the request carried.
    ErrorQuotingPassword,
    /// Answer exactly this: a status, a `Content-Type` and a body (a hostile
    /// or broken provider of the test's own making).
    Reply {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header.
        content_type: String,
        /// The body.
        body: String,
    },
    /// Answer a grant normally, but send the body one byte at a time with
    /// this pause between bytes (a provider dripping its answer).
    SlowBody(Duration),
    /// Answer with this status (`503 Service Unavailable`, `429 Too Many
    /// Requests`), a `Retry-After` header when given (`"1"`, `"120"`, an
    /// HTTP-date), and a short text body: a provider under load that did not
    /// process the request.
    Unavailable {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header's value, if any.
        retry_after: Option<String>,
    },
    /// Process the request (a refresh rotates its refresh token), then close
    /// the connection without answering: a reply lost on a flaky link.
    ProcessThenClose,
}

/// The `Date` header the provider sends (RFC 9110 §6.6.1; every real
/// server sends one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DateHeader {
    /// The provider's own clock ([`ProviderBuilder::clock`]), as a server
    /// with a correct clock sends it. The default.
    #[default]
    Clock,
    /// This instant, in seconds since the Unix epoch.
    Fixed(i64),
    /// No `Date` header at all.
    None,
}

/// The client authentication a request used, as the provider saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SeenAuth {
    /// No client credentials.
    None,
    /// Basic, id and secret as they are.
    Basic,
    /// Basic, id and secret form-encoded (RFC 6749 §2.3.1).
    BasicFormEncoded,
    /// `client_id` / `client_secret` in the body.
    Post,
    /// A public client (RFC 6749 §2.1): its `client_id` in the body, no
    /// secret and no `Authorization` header.
    Public,
    /// Credentials that matched no client.
    Invalid,
}

/// What the provider recorded of one request. Never a secret: whether a
/// password was present is recorded, not the password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// The connection it came on (1 for the first accepted connection).
    pub connection: usize,
    /// `grant_type`, if the body had one.
    pub grant_type: Option<String>,
    /// The client authentication seen.
    pub auth: SeenAuth,
    /// Whether the body carried a `password` parameter.
    pub had_password: bool,
    /// Whether the request carried an `Authorization` header.
    pub had_authorization: bool,
    /// The `scope` parameter, if any.
    pub scope: Option<String>,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
    /// `token_type_hint` (a revocation request), if any.
    pub token_type_hint: Option<String>,
    /// Whether the body carried a `token` parameter (a revocation request).
    pub had_token: bool,
    /// Every other body parameter, in order, as sent: all but
    /// `grant_type`, `username`, `password`, `scope`, `client_id`,
    /// `client_secret`, `refresh_token`, `token` and `token_type_hint` —
    /// e.g. an `audience` a client adds (see
    /// [`ProviderBuilder::require_param`]).
    pub extra_params: Vec<(String, String)>,
}

/// A stream the provider can serve HTTP on (a `TcpStream`, or a TLS stream
/// wrapped around one).
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// Wraps an accepted TCP connection, e.g. in a TLS server session.
pub type Acceptor = Arc<dyn Fn(TcpStream) -> io::Result<Box<dyn Stream>> + Send + Sync>;

struct Config {
    seed: Option<u64>,
    clients: Vec<(String, Secret)>,
    /// Clients without a secret (RFC 6749 §2.1).
    public_clients: Vec<String>,
    users: Vec<(String, Secret)>,
    issuer: String,
    lifetime: u64,
    rotate: bool,
    issue_refresh: bool,
    scopes: Vec<String>,
    misbehavior: Option<Misbehavior>,
    clock: Clock,
    signing: Signing,
    opaque_access_tokens: bool,
    /// Parameters the password and refresh grants must carry, with these
    /// values.
    required_params: Vec<(String, String)>,
    id_tokens: bool,
    awkward_tokens: bool,
    date: DateHeader,
    /// A refresh token used again after it was rotated revokes its family.
    detect_reuse: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: None,
            clients: Vec::new(),
            users: Vec::new(),
            issuer: "https://provider.ropc.test".into(),
            lifetime: 3600,
            rotate: true,
            issue_refresh: true,
            scopes: ["openid", "email", "profile"].map(String::from).to_vec(),
            misbehavior: None,
            clock: Clock::System,
            public_clients: Vec::new(),
            signing: Signing::Hs256,
            opaque_access_tokens: false,
            required_params: Vec::new(),
            id_tokens: false,
            awkward_tokens: false,
            date: DateHeader::Clock,
            detect_reuse: false,
        }
    }
}

#[derive(Default)]
struct State {
    /// Live refresh tokens.
    refresh: Vec<LiveRefreshToken>,
    /// Refresh tokens rotated away, with their family (for reuse detection).
    rotated: Vec<(Secret, u64)>,
    /// How many times a rotated refresh token came back.
    reuse_detections: usize,
    /// Misbehaviours for the next requests, in order, before the
    /// configured one applies again.
    next: std::collections::VecDeque<Misbehavior>,
    /// How many of the next connections to close unread.
    drop_connections: usize,
    /// Opaque access tokens issued and not yet expired.
    access: Vec<LiveAccessToken>,
    counter: u64,
    records: Vec<RequestRecord>,
    refresh_grants: usize,
    revocations: usize,
    jwks_requests: usize,
}

/// A refresh token that can still be used, and what it was issued for.
struct LiveRefreshToken {
    token: Secret,
    client_id: String,
    username: String,
    scope: String,
    /// The login it descends from: a password grant starts a family, each
    /// rotation continues it.
    family: u64,
}

/// An opaque access token: what the protected resource answers for it.
struct LiveAccessToken {
    token: Secret,
    client_id: String,
    exp: i64,
    /// The claims it stands for, as JSON (those a JWT would carry).
    claims: Zeroizing<Vec<u8>>,
}

struct Shared {
    config: Mutex<Config>,
    state: Mutex<State>,
    /// Whether the port should be closed (connections refused), and the
    /// accept loop's answer: whether it is.
    refusing: Mutex<(bool, bool)>,
    listener_changed: std::sync::Condvar,
    /// Locked last, never while waiting for `config` or `state`.
    keys: Mutex<KeyRing>,
    connections: AtomicUsize,
    stop: AtomicBool,
    seed: [u8; 32],
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `value` as JSON, in a zeroized buffer of exactly its length: the length
/// is measured first, so the buffer never grows and leaves no unwiped copy
/// of what it held (tokens, a quoted password) behind.
fn to_json(value: &impl serde::Serialize) -> Zeroizing<Vec<u8>> {
    struct Count(usize);
    impl Write for Count {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    let mut out = Zeroizing::new(Vec::new());
    // The provider's values always serialize; were one not to, the body
    // would be empty, which any client reports as malformed.
    if serde_json::to_writer(&mut count, value).is_ok() {
        out.reserve_exact(count.0);
        let _ = serde_json::to_writer(&mut *out, value);
    }
    out
}

/// A token endpoint on `127.0.0.1`, serving until dropped.
///
/// ```
/// use std::time::Duration;
/// use ropc::testing::{Misbehavior, Provider};
///
/// let provider = Provider::builder()
///     .client("my-app", "client-secret")
///     .user("alice", "wonderland")
///     .token_lifetime(Duration::from_secs(60))
///     .start()?;
/// let client = ropc::Client::builder(provider.url(), "my-app", "client-secret").build()?;
/// let tokens = client.password_grant("alice", &"wonderland".into(), &["openid"])?;
/// assert!(tokens.expires_in() == Some(60));
///
/// // What was sent is recorded (never the secrets themselves).
/// let record = &provider.records()[0];
/// assert_eq!(record.grant_type.as_deref(), Some("password"));
/// assert!(record.had_password);
///
/// // And it can be told to misbehave.
/// provider.set_misbehavior(Some(Misbehavior::Html502));
/// assert!(client.refresh(&tokens).unwrap_err().is_transient());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Provider {
    shared: Arc<Shared>,
    addr: SocketAddr,
    url: String,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Provider {
    /// A builder with no clients and no users.
    #[must_use]
    pub fn builder() -> ProviderBuilder {
        ProviderBuilder::new()
    }

    /// Starts a provider knowing the demo client ([`DEMO_CLIENT_ID`],
    /// [`DEMO_CLIENT_SECRET`]) and the demo user ([`DEMO_USERNAME`],
    /// [`DEMO_PASSWORD`]).
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound.
    pub fn start() -> io::Result<Provider> {
        Provider::builder()
            .client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
            .user(DEMO_USERNAME, DEMO_PASSWORD)
            .start()
    }

    /// The token URL, e.g. `http://127.0.0.1:41234/token`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The protected resource's URL, e.g. `http://127.0.0.1:41234/userinfo`:
    /// `GET` (or `POST`) it with `Authorization: Bearer <access token>` to
    /// get the token's verified claims as JSON; a missing, invalid or expired
    /// token gets `401` with a `WWW-Authenticate: Bearer` challenge
    /// (RFC 6750 §3).
    #[must_use]
    pub fn userinfo_url(&self) -> String {
        self.url_of(resource::PATH)
    }

    /// The URL of another endpoint of this server: the token URL with
    /// `path` in place of `/token`.
    fn url_of(&self, path: &str) -> String {
        let base = self.url.strip_suffix("/token").unwrap_or(&self.url);
        format!("{base}{path}")
    }

    /// The socket address served.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `iss` of issued tokens.
    #[must_use]
    pub fn issuer(&self) -> String {
        lock(&self.shared.config).issuer.clone()
    }

    /// Changes (or with `None` stops) the misbehaviour from the next request.
    pub fn set_misbehavior(&self, m: Option<Misbehavior>) {
        lock(&self.shared.config).misbehavior = m;
    }

    /// Changes the lifetime of access tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.config).lifetime = lifetime.as_secs();
    }

    /// Revokes every refresh token issued so far.
    pub fn revoke_refresh_tokens(&self) {
        lock(&self.shared.state).refresh.clear();
    }

    /// How many HTTP requests were received (any path, any outcome).
    #[must_use]
    pub fn requests(&self) -> usize {
        lock(&self.shared.state).records.len()
    }

    /// How many refresh-token grants were received.
    #[must_use]
    pub fn refresh_grants(&self) -> usize {
        lock(&self.shared.state).refresh_grants
    }

    /// How many revocation requests (RFC 7009) were answered by the
    /// revocation endpoint, accepted or not.
    #[must_use]
    pub fn revocations(&self) -> usize {
        lock(&self.shared.state).revocations
    }

    /// The revocation endpoint's URL (RFC 7009), e.g.
    /// `http://127.0.0.1:41234/revoke`: a revoked refresh token then gets
    /// `invalid_grant`.
    #[must_use]
    pub fn revocation_url(&self) -> String {
        self.url_of(revocation::PATH)
    }

    /// How many connections were accepted.
    #[must_use]
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// What was received, in order.
    #[must_use]
    pub fn records(&self) -> Vec<RequestRecord> {
        lock(&self.shared.state).records.clone()
    }
}

impl Provider {
    /// The next `n` requests misbehave as `m` (whatever they are: grants,
    /// revocations, key set fetches), then the configured misbehaviour, if
    /// any, applies again. For a provider that fails a few times, then
    /// answers: `Misbehavior::Unavailable` twice, say.
    pub fn misbehave_next(&self, n: usize, m: Misbehavior) {
        let mut state = lock(&self.shared.state);
        state.next.extend(std::iter::repeat_n(m, n));
    }

    /// The next `n` connections are closed as soon as they are accepted,
    /// nothing read from them (the request may have been sent: the client
    /// cannot know it was not read).
    pub fn drop_connections(&self, n: usize) {
        lock(&self.shared.state).drop_connections += n;
    }

    /// Closes the port: connections are refused (`ECONNREFUSED`) until
    /// [`accept_connections`](Self::accept_connections). Returns once the
    /// port is closed.
    pub fn refuse_connections(&self) {
        self.set_refusing(true);
    }

    /// Opens the port again (the same one) after
    /// [`refuse_connections`](Self::refuse_connections). Returns once it
    /// accepts connections.
    pub fn accept_connections(&self) {
        self.set_refusing(false);
    }

    fn set_refusing(&self, refuse: bool) {
        let mut flags = lock(&self.shared.refusing);
        flags.0 = refuse;
        drop(flags);
        self.shared.listener_changed.notify_all();
        if refuse {
            // Wake the accept loop, which then closes the listener.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
        let mut flags = lock(&self.shared.refusing);
        while flags.1 != refuse && !self.shared.stop.load(Ordering::SeqCst) {
            flags = self
                .shared
                .listener_changed
                .wait(flags)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Changes the `Date` header from the next answer.
    pub fn set_date(&self, date: DateHeader) {
        lock(&self.shared.config).date = date;
    }

    /// How many times a refresh token came back after it was rotated (with
    /// [`ProviderBuilder::detect_refresh_token_reuse`], each revoked its
    /// family).
    #[must_use]
    pub fn reuse_detections(&self) -> usize {
        lock(&self.shared.state).reuse_detections
    }

    /// How many refresh tokens are live (issued, not rotated away, revoked
    /// or revoked with their family).
    #[must_use]
    pub fn live_refresh_tokens(&self) -> usize {
        lock(&self.shared.state).refresh.len()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.listener_changed.notify_all();
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
