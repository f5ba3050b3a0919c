//! [`Provider`]: a real HTTP/1.1 token endpoint on loopback, for tests,
//! demos and benchmarks — ropc's own, and yours.
//!
//! It speaks the password and refresh-token grants the way identity
//! providers do: HTTP Basic client authentication (the id and secret as they
//! are, or RFC 6749 §2.3.1-encoded) or `client_secret_post`, HS256 access
//! tokens signed with the client secret (`iss`, `sub`, `aud`, `exp`, `iat`,
//! `jti`, `scope`), opaque refresh tokens (rotated on use if asked), and the
//! RFC 6749 §5.2 errors. It can be told to misbehave (see [`Misbehavior`]) and
//! it records what it received (never the secrets) so tests can assert what
//! was, and was not, sent.
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
//! Enabled by the `testing` feature. In your own crate, take it as a
//! dev-dependency only: `ropc = { version = "…", features = ["testing"] }`
//! under `[dev-dependencies]`.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use sha2::Digest;
use zeroize::Zeroizing;

use crate::form::{self, ClientAuth};
use crate::jwt::Clock;
use crate::secret::{Secret, ct_eq};

/// The demo client id [`Provider::start`] knows.
pub const DEMO_CLIENT_ID: &str = "demo-client";
/// The demo client secret [`Provider::start`] knows (also the HS256 key).
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";
/// The demo username [`Provider::start`] knows.
pub const DEMO_USERNAME: &str = "alice";
/// The demo password [`Provider::start`] knows.
pub const DEMO_PASSWORD: &str = "wonderland";

/// Largest request head and body the provider reads.
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;

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
    /// Sign access tokens with another key.
    WrongKey,
    /// Sign access tokens with HS512 (and say so in the header).
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
}

/// The client authentication a request used, as the provider saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenAuth {
    /// No client credentials.
    None,
    /// Basic, id and secret as they are.
    Basic,
    /// Basic, id and secret form-encoded (RFC 6749 §2.3.1).
    BasicFormEncoded,
    /// `client_id` / `client_secret` in the body.
    Post,
    /// Credentials that matched no client.
    Invalid,
}

/// What the provider recorded of one request. Never a secret: whether a
/// password was present is recorded, not the password.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    users: Vec<(String, Secret)>,
    issuer: String,
    lifetime: u64,
    rotate: bool,
    issue_refresh: bool,
    scopes: Vec<String>,
    misbehavior: Option<Misbehavior>,
    clock: Clock,
}

#[derive(Default)]
struct State {
    /// Live refresh tokens: token → (client id, username, scope).
    refresh: Vec<(Zeroizing<String>, (String, String, String))>,
    counter: u64,
    records: Vec<RequestRecord>,
    refresh_grants: usize,
}

struct Shared {
    config: Mutex<Config>,
    state: Mutex<State>,
    connections: AtomicUsize,
    stop: AtomicBool,
    seed: [u8; 32],
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Configures a [`Provider`]; made by [`Provider::builder`].
pub struct ProviderBuilder {
    config: Config,
    acceptor: Option<Acceptor>,
    host: String,
}

impl ProviderBuilder {
    /// Registers a client (id and secret; the secret is the HS256 key).
    #[must_use]
    pub fn client(mut self, id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        self.config.clients.push((id.into(), secret.into()));
        self
    }

    /// Registers a resource owner.
    #[must_use]
    pub fn user(mut self, username: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.config.users.push((username.into(), password.into()));
        self
    }

    /// The `iss` of issued tokens (default `https://provider.ropc.test`).
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.config.issuer = issuer.into();
        self
    }

    /// Lifetime of access tokens (default one hour).
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.config.lifetime = lifetime.as_secs();
        self
    }

    /// Whether each refresh returns a new refresh token and revokes the old
    /// one (default `true`). When `false`, a refresh answers without a
    /// `refresh_token` and the old one stays valid.
    #[must_use]
    pub fn rotate_refresh_tokens(mut self, rotate: bool) -> Self {
        self.config.rotate = rotate;
        self
    }

    /// Whether the password grant issues a refresh token at all (default
    /// `true`).
    #[must_use]
    pub fn issue_refresh_tokens(mut self, issue: bool) -> Self {
        self.config.issue_refresh = issue;
        self
    }

    /// The scopes the provider grants (default `openid email profile`); any
    /// other requested scope is `invalid_scope`.
    #[must_use]
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.config.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Starts misbehaving from the first request.
    #[must_use]
    pub fn misbehave(mut self, m: Misbehavior) -> Self {
        self.config.misbehavior = Some(m);
        self
    }

    /// The clock for `iat`/`exp` of issued tokens (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.config.clock = clock;
        self
    }

    /// Makes refresh tokens reproducible: the same seed gives the same
    /// sequence of refresh tokens (with a [`Clock::Fixed`] clock, access
    /// tokens are reproducible anyway). For tests that must know a token
    /// before it is issued; never for anything real.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = Some(seed);
        self
    }

    /// Serves every connection through `acceptor` (e.g. a TLS server
    /// session); [`Provider::url`] then says `https`.
    #[must_use]
    pub fn tls(mut self, acceptor: Acceptor) -> Self {
        self.acceptor = Some(acceptor);
        self
    }

    /// The host name used in [`Provider::url`] (default `127.0.0.1`; a TLS
    /// certificate usually names `localhost`). It must resolve to 127.0.0.1.
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Binds 127.0.0.1 on a free port and starts serving.
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound.
    pub fn start(self) -> io::Result<Provider> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let mut seed = [0u8; 32];
        let entropy = match self.config.seed {
            Some(s) => format!("seed {s}"),
            None => format!(
                "{addr}{:?}{:?}",
                std::time::SystemTime::now(),
                std::thread::current().id()
            ),
        };
        seed.copy_from_slice(&sha2::Sha256::digest(entropy.as_bytes()));
        let shared = Arc::new(Shared {
            config: Mutex::new(self.config),
            state: Mutex::new(State::default()),
            connections: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            seed,
        });
        let scheme = if self.acceptor.is_some() {
            "https"
        } else {
            "http"
        };
        let url = format!("{scheme}://{}:{}/token", self.host, addr.port());
        let thread = {
            let shared = shared.clone();
            let acceptor = self.acceptor;
            std::thread::Builder::new()
                .name("ropc-provider".into())
                .spawn(move || accept_loop(&listener, &shared, acceptor.as_ref()))?
        };
        Ok(Provider {
            shared,
            addr,
            url,
            thread: Some(thread),
        })
    }
}

/// A token endpoint on `127.0.0.1`, serving until dropped.
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
        ProviderBuilder {
            config: Config {
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
            },
            acceptor: None,
            host: "127.0.0.1".into(),
        }
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

impl Drop for Provider {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, acceptor: Option<&Acceptor>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(tcp) = conn else { continue };
        let n = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let shared = shared.clone();
        let acceptor = acceptor.cloned();
        let _ = std::thread::Builder::new()
            .name("ropc-provider-conn".into())
            .spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = tcp.set_write_timeout(Some(Duration::from_secs(5)));
                let _ = tcp.set_nodelay(true);
                let stream: Box<dyn Stream> = match acceptor {
                    Some(a) => match a(tcp) {
                        Ok(s) => s,
                        Err(_) => return,
                    },
                    None => Box::new(tcp),
                };
                serve(stream, &shared, n);
            });
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, Zeroizing<String>)>,
    body: Zeroizing<Vec<u8>>,
    close: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Zeroizing<Vec<u8>>,
}

impl Reply {
    fn json(status: u16, mut body: Zeroizing<String>) -> Reply {
        // Moves the buffer (no copy); the emptied `Zeroizing` drops harmlessly.
        let body = Zeroizing::new(std::mem::take(&mut *body).into_bytes());
        Reply {
            status,
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("Cache-Control", "no-store".into()),
            ],
            body,
        }
    }

    fn error(status: u16, code: &str, description: &str) -> Reply {
        let mut body = Zeroizing::new(String::new());
        let _ = write!(
            body,
            r#"{{"error":"{code}","error_description":"{description}"}}"#
        );
        let mut r = Reply::json(status, body);
        if status == 401 {
            r.headers
                .push(("WWW-Authenticate", r#"Basic realm="ropc-provider""#.into()));
        }
        r
    }
}

fn serve(mut stream: Box<dyn Stream>, shared: &Shared, connection: usize) {
    let mut pending = Zeroizing::new(Vec::with_capacity(MAX_HEAD + MAX_BODY));
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(request) = read_request(&mut stream, &mut pending) else {
            return;
        };
        let misbehavior = lock(&shared.config).misbehavior.clone();
        let outcome = handle(&request, shared, connection, misbehavior.as_ref());
        let reply = match outcome {
            Outcome::Reply(r) => r,
            Outcome::Close => return,
            Outcome::Truncate(r) => {
                let _ = write_reply(&mut stream, &r, Some(r.body.len() * 2), true);
                return;
            }
            Outcome::Drip(r, pause) => {
                let _ = drip_reply(&mut stream, &r, pause);
                return;
            }
        };
        if write_reply(&mut stream, &reply, None, request.close).is_err() || request.close {
            return;
        }
    }
}

/// Writes the head, then the body one byte at a time, pausing between bytes
/// until the body is sent, the client goes away or the provider stops.
fn drip_reply(stream: &mut Box<dyn Stream>, reply: &Reply, pause: Duration) -> io::Result<()> {
    stream.write_all(head(reply, reply.body.len(), true).as_bytes())?;
    for byte in reply.body.iter() {
        std::thread::sleep(pause);
        stream.write_all(std::slice::from_ref(byte))?;
        stream.flush()?;
    }
    Ok(())
}

fn write_reply(
    stream: &mut Box<dyn Stream>,
    reply: &Reply,
    announce: Option<usize>,
    close: bool,
) -> io::Result<()> {
    let head = head(reply, announce.unwrap_or(reply.body.len()), close);
    let body: &[u8] = if announce.is_some() {
        &reply.body[..reply.body.len() / 2]
    } else {
        &reply.body
    };
    let mut out = Zeroizing::new(Vec::with_capacity(head.len() + body.len()));
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    stream.flush()
}

/// The status line and headers of `reply`, announcing `length` body bytes.
fn head(reply: &Reply, length: usize, close: bool) -> String {
    let reason = match reply.status {
        200 => "OK",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    for (name, value) in &reply.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "Content-Length: {length}\r\n");
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Reads one request; `None` on EOF, timeout or a request too broken to
/// answer.
fn read_request(stream: &mut Box<dyn Stream>, buf: &mut Zeroizing<Vec<u8>>) -> Option<Request> {
    let mut chunk = Zeroizing::new([0u8; 4096]);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk[..]).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let version = parts.next()?;
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (n, v) = line.split_once(':')?;
        headers.push((n.trim().to_owned(), Zeroizing::new(v.trim().to_owned())));
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Zeroizing::new(Vec::new()),
        close: version != "HTTP/1.1",
    };
    if request
        .header("connection")
        .is_some_and(|c| c.eq_ignore_ascii_case("close"))
    {
        request.close = true;
    }
    let len: usize = match request.header("content-length") {
        Some(v) => v.parse().ok()?,
        None => 0,
    };
    if len > MAX_BODY || request.header("transfer-encoding").is_some() {
        return None;
    }
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk[..]).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut body = Zeroizing::new(Vec::with_capacity(len));
    body.extend_from_slice(&buf[head_end..head_end + len]);
    request.body = body;
    // Keep what follows (a pipelined request), wiping what was consumed.
    let rest = Zeroizing::new(buf[head_end + len..].to_vec());
    zeroize::Zeroize::zeroize(&mut **buf);
    buf.extend_from_slice(&rest);
    Some(request)
}

enum Outcome {
    Reply(Reply),
    Close,
    Truncate(Reply),
    /// The reply's head, then its body a byte at a time with this pause.
    Drip(Reply, Duration),
}

fn handle(
    req: &Request,
    shared: &Shared,
    connection: usize,
    misbehavior: Option<&Misbehavior>,
) -> Outcome {
    let form_body = std::str::from_utf8(&req.body).ok().and_then(form::decode);
    let param = |name: &str| -> Option<Zeroizing<String>> {
        form_body
            .as_ref()?
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v.clone())
    };
    let authorization = req.header("authorization");
    let (auth, client) = authenticate(
        shared,
        authorization,
        param("client_id"),
        param("client_secret"),
    );
    let mut record = RequestRecord {
        method: req.method.clone(),
        path: req.path.clone(),
        connection,
        grant_type: param("grant_type").map(|g| g.as_str().to_owned()),
        auth,
        had_password: param("password").is_some(),
        had_authorization: authorization.is_some(),
        scope: param("scope").map(|s| s.as_str().to_owned()),
        user_agent: req.header("user-agent").map(str::to_owned),
    };
    if record.grant_type.as_deref() == Some("refresh_token") {
        lock(&shared.state).refresh_grants += 1;
    }
    let redirect_target = req.path == "/moved";
    record.path.clone_from(&req.path);
    lock(&shared.state).records.push(record);

    match misbehavior {
        Some(Misbehavior::Delay(d)) => std::thread::sleep(*d),
        Some(Misbehavior::CloseWithoutAnswer) => return Outcome::Close,
        Some(Misbehavior::Truncate) => {
            let mut body = Zeroizing::new(String::new());
            body.push_str(
                r#"{"access_token":"truncated-token-truncated-token","token_type":"Bearer"}"#,
            );
            return Outcome::Truncate(Reply::json(200, body));
        }
        Some(Misbehavior::Oversized(n)) => {
            let mut body = Zeroizing::new(String::with_capacity(n + 32));
            body.push_str(r#"{"access_token":"x","padding":""#);
            while body.len() + 2 < *n {
                body.push('p');
            }
            body.push_str("\"}");
            return Outcome::Reply(Reply::json(200, body));
        }
        Some(Misbehavior::Html502) => {
            let mut r = Reply::json(
                502,
                Zeroizing::new("<html><body><h1>502 Bad Gateway</h1></body></html>".into()),
            );
            r.headers[0].1 = "text/html".into();
            return Outcome::Reply(r);
        }
        Some(Misbehavior::EchoRequest) => {
            let mut page = Zeroizing::new(String::from("<html><body><pre>"));
            page.push_str(&String::from_utf8_lossy(&req.body));
            page.push('\n');
            for (name, value) in &req.headers {
                page.push_str(name);
                page.push_str(": ");
                page.push_str(value);
                page.push('\n');
            }
            page.push_str("</pre></body></html>");
            let mut r = Reply::json(502, page);
            r.headers[0].1 = "text/html".into();
            return Outcome::Reply(r);
        }
        Some(Misbehavior::ErrorQuotingPassword) => {
            let password = param("password")
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            let mut body = Zeroizing::new(String::new());
            body.push('{');
            json_member(&mut body, "error", "invalid_grant");
            body.push(',');
            json_member(
                &mut body,
                "error_description",
                &format!("wrong password '{password}' for this user"),
            );
            body.push('}');
            return Outcome::Reply(Reply::json(400, body));
        }
        Some(Misbehavior::Reply {
            status,
            content_type,
            body,
        }) => {
            let mut r = Reply::json(*status, Zeroizing::new(body.clone()));
            r.headers[0].1.clone_from(content_type);
            return Outcome::Reply(r);
        }
        Some(Misbehavior::NotJson) => {
            return Outcome::Reply(Reply::json(
                200,
                Zeroizing::new("access_token=abc&token_type=bearer".into()),
            ));
        }
        Some(Misbehavior::Redirect(code)) if !redirect_target => {
            let mut r = Reply::json(*code, Zeroizing::new(String::new()));
            r.headers = vec![("Location", "/moved".into())];
            return Outcome::Reply(r);
        }
        _ => {}
    }

    if req.path != "/token" && !redirect_target {
        return Outcome::Reply(Reply::error(404, "invalid_request", "no such endpoint"));
    }
    if req.method != "POST" {
        let mut r = Reply::error(405, "invalid_request", "the token endpoint takes POST");
        r.headers.push(("Allow", "POST".into()));
        return Outcome::Reply(r);
    }
    let content_type = req.header("content-type").unwrap_or("");
    let base_type = content_type.split(';').next().unwrap_or("").trim();
    if !base_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") || form_body.is_none() {
        return Outcome::Reply(Reply::error(
            400,
            "invalid_request",
            "expected an application/x-www-form-urlencoded body",
        ));
    }
    let reply = grant(shared, auth, client, &param, misbehavior);
    match misbehavior {
        Some(Misbehavior::ErrorWith200) => {
            Outcome::Reply(Reply::error(200, "invalid_grant", "sent with HTTP 200"))
        }
        Some(Misbehavior::SlowBody(pause)) => Outcome::Drip(reply, *pause),
        _ => Outcome::Reply(reply),
    }
}

/// Finds the client the request authenticated as.
fn authenticate(
    shared: &Shared,
    authorization: Option<&str>,
    body_id: Option<Zeroizing<String>>,
    body_secret: Option<Zeroizing<String>>,
) -> (SeenAuth, Option<(String, Secret)>) {
    let config = lock(&shared.config);
    let find = |id: &str, secret: &str| {
        config
            .clients
            .iter()
            .find(|(cid, csecret)| {
                cid == id && ct_eq(csecret.expose_secret().as_bytes(), secret.as_bytes())
            })
            .cloned()
    };
    match (authorization, body_secret.is_some() || body_id.is_some()) {
        (Some(_), true) => (SeenAuth::Invalid, None), // two methods at once
        (Some(value), false) => {
            for style in [ClientAuth::Basic, ClientAuth::BasicFormEncoded] {
                if let Some((id, secret)) = form::parse_basic_authorization(value, style)
                    && let Some(c) = find(&id, &secret)
                {
                    let seen = if style == ClientAuth::Basic {
                        SeenAuth::Basic
                    } else {
                        SeenAuth::BasicFormEncoded
                    };
                    return (seen, Some(c));
                }
            }
            (SeenAuth::Invalid, None)
        }
        (None, true) => match (body_id, body_secret) {
            (Some(id), Some(secret)) => match find(&id, &secret) {
                Some(c) => (SeenAuth::Post, Some(c)),
                None => (SeenAuth::Invalid, None),
            },
            _ => (SeenAuth::Invalid, None),
        },
        (None, false) => (SeenAuth::None, None),
    }
}

fn grant(
    shared: &Shared,
    auth: SeenAuth,
    client: Option<(String, Secret)>,
    param: &dyn Fn(&str) -> Option<Zeroizing<String>>,
    misbehavior: Option<&Misbehavior>,
) -> Reply {
    let Some((client_id, client_secret)) = client else {
        let why = if auth == SeenAuth::None {
            "client authentication required"
        } else {
            "client authentication failed"
        };
        return Reply::error(401, "invalid_client", why);
    };
    let Some(grant_type) = param("grant_type") else {
        return Reply::error(400, "invalid_request", "grant_type is missing");
    };
    let config = lock(&shared.config);
    let requested_scope = param("scope");
    if let Some(scope) = &requested_scope
        && let Some(bad) = scope
            .split(' ')
            .filter(|s| !s.is_empty())
            .find(|s| !config.scopes.iter().any(|a| a == s))
    {
        let _ = bad;
        return Reply::error(
            400,
            "invalid_scope",
            "a requested scope is not granted to this client",
        );
    }
    let (username, scope, rotate) = match grant_type.as_str() {
        "password" => {
            let (Some(username), Some(password)) = (param("username"), param("password")) else {
                return Reply::error(400, "invalid_request", "username and password are required");
            };
            let ok = config.users.iter().any(|(u, p)| {
                u == username.as_str() && ct_eq(p.expose_secret().as_bytes(), password.as_bytes())
            });
            if !ok {
                return Reply::error(400, "invalid_grant", "invalid username or password");
            }
            let scope = requested_scope
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| config.scopes.join(" "));
            (username.as_str().to_owned(), scope, config.issue_refresh)
        }
        "refresh_token" => {
            let Some(token) = param("refresh_token") else {
                return Reply::error(400, "invalid_request", "refresh_token is missing");
            };
            let mut state = lock(&shared.state);
            let found = state
                .refresh
                .iter()
                .position(|(t, _)| ct_eq(t.as_bytes(), token.as_bytes()));
            match found.map(|i| (i, state.refresh[i].1.clone())) {
                Some((i, (cid, user, scope))) if cid == client_id => {
                    if config.rotate {
                        state.refresh.remove(i);
                    }
                    (user, scope, config.rotate)
                }
                _ => {
                    return Reply::error(
                        400,
                        "invalid_grant",
                        "the refresh token is invalid, expired or revoked",
                    );
                }
            }
        }
        _ => {
            return Reply::error(
                400,
                "unsupported_grant_type",
                "only password and refresh_token are supported",
            );
        }
    };
    let now = config.clock.now();
    let lifetime = config.lifetime;
    let issuer = config.issuer.clone();
    drop(config);

    let mut state = lock(&shared.state);
    state.counter += 1;
    let jti = state.counter;
    let refresh = if rotate {
        let token = opaque_token(&shared.seed, jti);
        state.refresh.push((
            token.clone(),
            (client_id.clone(), username.clone(), scope.clone()),
        ));
        Some(token)
    } else {
        None
    };
    drop(state);

    let exp = if misbehavior == Some(&Misbehavior::Expired) {
        now - 3600
    } else {
        now + i64::try_from(lifetime).unwrap_or(i64::MAX / 2)
    };
    let mut payload = Zeroizing::new(String::with_capacity(256));
    payload.push('{');
    json_member(&mut payload, "iss", &issuer);
    payload.push(',');
    json_member(&mut payload, "sub", &username);
    payload.push(',');
    json_member(&mut payload, "aud", &client_id);
    let _ = write!(payload, r#","exp":{exp},"iat":{now},"jti":"{jti}","#);
    json_member(&mut payload, "scope", &scope);
    payload.push('}');
    let access_token = match misbehavior {
        Some(Misbehavior::WrongKey) => sign_hs256(&payload, b"not-the-client-secret"),
        Some(Misbehavior::OtherAlg) => {
            sign_hs512(&payload, client_secret.expose_secret().as_bytes())
        }
        _ => sign_hs256(&payload, client_secret.expose_secret().as_bytes()),
    };

    let mut body = Zeroizing::new(String::with_capacity(access_token.len() + 256));
    body.push('{');
    json_member(&mut body, "access_token", &access_token);
    let token_type = match misbehavior {
        Some(Misbehavior::TokenType(t)) => t.as_str(),
        _ => "Bearer",
    };
    body.push(',');
    json_member(&mut body, "token_type", token_type);
    if misbehavior == Some(&Misbehavior::ExpiresInString) {
        let _ = write!(body, r#","expires_in":"{lifetime}""#);
    } else {
        let _ = write!(body, r#","expires_in":{lifetime}"#);
    }
    if let Some(r) = &refresh {
        body.push(',');
        json_member(&mut body, "refresh_token", r);
    }
    body.push(',');
    json_member(&mut body, "scope", &scope);
    body.push('}');
    Reply::json(200, body)
}

fn json_member(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "\"{name}\":\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn opaque_token(seed: &[u8; 32], n: u64) -> Zeroizing<String> {
    let mut h = sha2::Sha256::new();
    h.update(seed);
    h.update(n.to_be_bytes());
    let digest = h.finalize();
    let mut out = Zeroizing::new(String::with_capacity(43));
    URL_SAFE_NO_PAD.encode_string(digest, &mut out);
    out
}

fn sign_hs256(payload: &str, key: &[u8]) -> Zeroizing<String> {
    sign::<hmac::Hmac<sha2::Sha256>>(r#"{"alg":"HS256","typ":"JWT"}"#, payload, key)
}

fn sign_hs512(payload: &str, key: &[u8]) -> Zeroizing<String> {
    sign::<hmac::Hmac<sha2::Sha512>>(r#"{"alg":"HS512","typ":"JWT"}"#, payload, key)
}

fn sign<M: Mac + KeyInit>(header: &str, payload: &str, key: &[u8]) -> Zeroizing<String> {
    let len = header.len().div_ceil(3) * 4 + payload.len().div_ceil(3) * 4 + 2 + 88;
    let mut out = Zeroizing::new(String::with_capacity(len));
    URL_SAFE_NO_PAD.encode_string(header, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return out;
    };
    mac.update(out.as_bytes());
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(mac.finalize().into_bytes(), &mut out);
    out
}
