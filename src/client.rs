//! [`Client`] and [`ClientBuilder`]: the token endpoint, the password grant
//! and refresh. This is the only module that talks to the network.

use std::fmt;
use std::io::Read;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use ureq::unversioned::transport::Connector as _;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ConfigError, Error, OAuthError, TransportError, TransportKind};
use crate::form::{self, ClientAuth};
use crate::jwt::{self, Clock, Validation};
use crate::redact::Redactor;
use crate::response::{self, Parsed, ResponseError, ResponseProblem};
use crate::secret::Secret;
use crate::tokens::Tokens;

/// Default timeout for setting up a connection (TCP and TLS): 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout for a whole request, connection to last body byte: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a response body: 64 KiB.
pub const DEFAULT_MAX_RESPONSE: usize = 64 * 1024;
/// The largest CA bundle file read: 1 MiB.
pub const MAX_CA_BUNDLE: usize = 1024 * 1024;
/// The `User-Agent` ropc sends.
pub const USER_AGENT: &str = concat!("ropc/", env!("CARGO_PKG_VERSION"));

/// Which proxy the client goes through.
#[derive(Clone, PartialEq, Eq, Default)]
enum ProxyChoice {
    /// None (the default, whatever the environment says).
    #[default]
    None,
    /// `HTTPS_PROXY`/`ALL_PROXY`/`HTTP_PROXY` from the environment.
    FromEnv,
    /// This proxy URL.
    Url(String),
}

impl fmt::Debug for ProxyChoice {
    /// A proxy URL is shown without its credentials (`user:password@`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyChoice::None => f.write_str("None"),
            ProxyChoice::FromEnv => f.write_str("FromEnv"),
            ProxyChoice::Url(url) => f.debug_tuple("Url").field(&without_userinfo(url)).finish(),
        }
    }
}

/// `url` with any `user:password@` replaced by `[redacted]@`.
fn without_userinfo(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..authority_end].rfind('@') {
        Some(at) => format!("{}[redacted]{}", &url[..start], &url[start + at..]),
        None => url.to_owned(),
    }
}

/// Configures a [`Client`]. Made by [`Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    token_url: String,
    client_id: String,
    client_secret: Secret,
    auth: ClientAuth,
    validation: Validation,
    connect_timeout: Duration,
    timeout: Duration,
    max_response: usize,
    allow_http: bool,
    proxy: ProxyChoice,
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    tls: crate::tls::Trust,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth", &self.auth)
            .field("validation", &self.validation)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_response", &self.max_response)
            .field("allow_http", &self.allow_http)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// How the client authenticates (default: [`ClientAuth::Basic`], the id
    /// and secret as they are).
    #[must_use]
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// The issuer the access token's `iss` must equal.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.validation = self.validation.issuer(issuer);
        self
    }

    /// The audience the access token's `aud` must contain.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.validation = self.validation.audience(audience);
        self
    }

    /// Clock leeway for `exp`, `nbf` and `iat` (default 60 s).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.validation = self.validation.leeway(leeway);
        self
    }

    /// Replaces the whole token [`Validation`] (issuer, audience, leeway,
    /// required claims, size cap, clock).
    #[must_use]
    pub fn validation(mut self, validation: Validation) -> Self {
        self.validation = validation;
        self
    }

    /// The clock used for token validation and expiry (default: the system
    /// clock). Tests use a fixed or movable clock.
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.validation = self.validation.clock(clock);
        self
    }

    /// Timeout for setting up a connection, TCP and TLS (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Timeout for a whole request, from connecting to the last byte of the
    /// response (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Cap on the response body in bytes (default 64 KiB). A larger response
    /// is an [`Error::Response`] with [`ResponseProblem::TooLarge`].
    #[must_use]
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response = bytes;
        self
    }

    /// Allows a plain `http` token URL to a host that is not loopback. Off by
    /// default: the password and client secret would cross the network in
    /// clear text.
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Goes through the proxy named by `HTTPS_PROXY` / `ALL_PROXY` /
    /// `HTTP_PROXY` (and honours `NO_PROXY`). Off by default: ropc ignores
    /// the environment unless asked.
    #[must_use]
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.proxy = if enabled {
            ProxyChoice::FromEnv
        } else {
            ProxyChoice::None
        };
        self
    }

    /// Goes through this proxy (`http://host:port`, `socks5://` not
    /// supported).
    #[must_use]
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxyChoice::Url(url.into());
        self
    }

    /// Builds the client, checking the configuration first.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the token URL is not `https` (plain `http` is
    /// allowed for loopback hosts, or anywhere with
    /// [`allow_insecure_http`](Self::allow_insecure_http)), holds credentials
    /// or cannot be parsed, when `https` is asked for in a build without TLS,
    /// when the client id is empty or holds `:` with plain Basic
    /// authentication, when the client secret is empty, or when the proxy or
    /// trust settings are invalid.
    pub fn build(self) -> Result<Client, Error> {
        let secure = check_url(&self.token_url, self.allow_http)?;
        if self.client_id.is_empty() {
            return Err(ConfigError::new("client_id", "is empty").into());
        }
        if self.client_secret.is_empty() {
            // It is also the HS256 key: an empty key would let anyone forge.
            return Err(ConfigError::new("client_secret", "is empty").into());
        }
        if self.auth == ClientAuth::Basic && self.client_id.contains(':') {
            return Err(ConfigError::new(
                "client_id",
                "contains `:`, which plain Basic authentication cannot carry \
                 (use ClientAuth::BasicFormEncoded or ClientAuth::Post)",
            )
            .into());
        }
        if self.max_response == 0 {
            return Err(ConfigError::new("max_response_size", "is zero").into());
        }
        let proxy = match &self.proxy {
            ProxyChoice::None => None,
            ProxyChoice::FromEnv => ureq::Proxy::try_from_env(),
            ProxyChoice::Url(url) => Some(
                ureq::Proxy::new(url)
                    .map_err(|_| ConfigError::new("proxy", "is not a valid proxy URL"))?,
            ),
        };
        let config = ureq::Agent::config_builder()
            // A 3xx is returned as it is and refused: following a 307/308
            // would re-send the password to wherever it points.
            .max_redirects(0)
            // Non-2xx responses are read so the RFC 6749 §5.2 body is parsed.
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(USER_AGENT)
            .accept("application/json")
            // ureq's 128 KiB per-direction defaults are sized for downloads;
            // a token exchange needs far less, and ropc wipes (so touches)
            // every byte of them. The response cap is enforced separately.
            .input_buffer_size(32 * 1024)
            .output_buffer_size(16 * 1024)
            .max_response_header_size(16 * 1024)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_global(Some(self.timeout))
            .https_only(secure && !self.allow_http);
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        let config = config.tls_config(self.tls.to_ureq()?);
        // ureq's default connectors, then the wrapper that wipes their buffers.
        let agent = ureq::Agent::with_parts(
            config.build(),
            ureq::unversioned::transport::DefaultConnector::new()
                .chain(crate::transport::WipeConnector),
            ureq::unversioned::resolver::DefaultResolver::default(),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                token_url: self.token_url,
                client_id: self.client_id,
                client_secret: self.client_secret,
                auth: self.auth,
                validation: self.validation,
                max_response: self.max_response,
            }),
        })
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
impl ClientBuilder {
    /// Trusts the root certificates in this PEM bundle in addition to the
    /// built-in ones (or the ones set by
    /// [`replace_root_certificates`](Self::replace_root_certificates)).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the PEM holds no certificate or a malformed one.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.tls.add_pem(pem)?;
        Ok(self)
    }

    /// Trusts the root certificates in the PEM bundle at `path`, in addition
    /// to the built-in ones. At most [`MAX_CA_BUNDLE`] bytes are read: a
    /// larger file (or `/dev/zero`) is refused, never read whole.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the file cannot be read, is larger than
    /// [`MAX_CA_BUNDLE`] or holds no valid certificate.
    pub fn add_root_certificates_file(
        self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let cannot = |why: String| {
            ConfigError::new(
                "CA bundle",
                format!("cannot read {}: {why}", path.display()),
            )
        };
        let file = std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?;
        let mut pem = Vec::new();
        file.take(MAX_CA_BUNDLE as u64 + 1)
            .read_to_end(&mut pem)
            .map_err(|e| cannot(e.to_string()))?;
        if pem.len() > MAX_CA_BUNDLE {
            return Err(cannot(format!("larger than {MAX_CA_BUNDLE} bytes")).into());
        }
        self.add_root_certificates_pem(&pem)
    }

    /// Trusts only the certificates added with
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem), not the
    /// built-in roots.
    #[must_use]
    pub fn replace_root_certificates(mut self, replace: bool) -> Self {
        self.tls.builtin = !replace;
        self
    }

    /// Uses the platform's certificate verifier and roots instead of the
    /// built-in Mozilla roots (native-tls: the system's OpenSSL store).
    #[must_use]
    pub fn platform_verifier(mut self, enabled: bool) -> Self {
        self.tls.platform = enabled;
        self
    }
}

/// Checks the token URL; returns whether it is `https`.
fn check_url(url: &str, allow_http: bool) -> Result<bool, Error> {
    let bad = |reason: &str| Error::Config(ConfigError::new("token_url", reason));
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|_| bad("is not a valid absolute URL"))?;
    let authority = uri.authority().ok_or_else(|| bad("has no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("must not contain credentials (user:password@)"));
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    match uri.scheme_str() {
        Some("https") => {
            if cfg!(any(feature = "rustls", feature = "native-tls")) {
                Ok(true)
            } else {
                Err(bad(
                    "is https, but ropc was built without TLS (enable the `rustls` or `native-tls` feature)",
                ))
            }
        }
        Some("http") if allow_http || is_loopback(host) => Ok(false),
        Some("http") => Err(bad(
            "must be https (plain http only to loopback, or with allow_insecure_http)",
        )),
        _ => Err(bad("must be an https URL")),
    }
}

/// `localhost`, 127.0.0.0/8 or ::1.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => ip == Ipv6Addr::LOCALHOST,
        Err(_) => false,
    }
}

struct Inner {
    agent: ureq::Agent,
    token_url: String,
    client_id: String,
    client_secret: Secret,
    auth: ClientAuth,
    validation: Validation,
    max_response: usize,
}

/// A client of one provider's token endpoint. Cheap to clone (shared
/// connection pool); safe to use from several threads.
///
/// The client secret is held as a [`Secret`]: it authenticates the client and
/// is the HS256 key the access tokens are verified with.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("token_url", &self.inner.token_url)
            .field("client_id", &self.inner.client_id)
            .field("client_secret", &self.inner.client_secret)
            .field("auth", &self.inner.auth)
            .field("max_response", &self.inner.max_response)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client of the token endpoint at `token_url`.
    ///
    /// ```no_run
    /// let client = ropc::Client::builder("https://id.example/oauth/token", "my-app", "client-secret")
    ///     .issuer("https://id.example")
    ///     .build()?;
    /// let password = ropc::Secret::from("correct horse");
    /// let tokens = client.password_grant("alice", &password, &["openid", "email"])?;
    /// println!("subject: {:?}", tokens.claims().sub());
    /// let tokens = client.refresh(&tokens)?;
    /// # Ok::<(), ropc::Error>(())
    /// ```
    pub fn builder(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> ClientBuilder {
        ClientBuilder {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            auth: ClientAuth::default(),
            validation: Validation::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_response: DEFAULT_MAX_RESPONSE,
            allow_http: false,
            proxy: ProxyChoice::None,
            #[cfg(any(feature = "rustls", feature = "native-tls"))]
            tls: crate::tls::Trust::default(),
        }
    }

    /// The token URL.
    #[must_use]
    pub fn token_url(&self) -> &str {
        &self.inner.token_url
    }

    /// The client id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The validation applied to every access token.
    #[must_use]
    pub fn validation(&self) -> &Validation {
        &self.inner.validation
    }

    /// The password grant (RFC 6749 §4.3): trades the resource owner's
    /// username and password for tokens. `scopes` may be empty.
    ///
    /// # Errors
    ///
    /// [`Error::OAuth`] when the provider refuses (`invalid_grant` for a wrong
    /// username or password), [`Error::Jwt`] when the access token fails
    /// verification, [`Error::Transport`] or [`Error::Response`] when the
    /// exchange itself fails.
    pub fn password_grant(
        &self,
        username: &str,
        password: &Secret,
        scopes: &[&str],
    ) -> Result<Tokens, Error> {
        let scope = join_scopes(scopes);
        let mut pairs = vec![
            ("grant_type", "password"),
            ("username", username),
            ("password", password.expose_secret()),
        ];
        if !scope.is_empty() {
            pairs.push(("scope", &scope));
        }
        self.token_request(&mut pairs, None)
    }

    /// Refreshes `tokens` with their refresh token (RFC 6749 §6). The result
    /// carries the provider's rotated refresh token, or the old one when the
    /// provider sent none.
    ///
    /// # Errors
    ///
    /// As [`password_grant`](Self::password_grant); `invalid_grant` means the
    /// refresh token is no longer valid and the password grant must be run
    /// again. [`Error::Config`] when `tokens` has no refresh token.
    pub fn refresh(&self, tokens: &Tokens) -> Result<Tokens, Error> {
        let refresh_token = tokens.refresh_token().ok_or_else(|| {
            ConfigError::new("refresh_token", "the tokens carry no refresh token")
        })?;
        self.refresh_token(refresh_token, &[])
    }

    /// Refreshes with a refresh token kept elsewhere (a store, a previous
    /// process). `scopes` may be empty (the provider keeps the original
    /// scope).
    ///
    /// # Errors
    ///
    /// As [`refresh`](Self::refresh).
    pub fn refresh_token(&self, refresh_token: &Secret, scopes: &[&str]) -> Result<Tokens, Error> {
        if refresh_token.is_empty() {
            return Err(ConfigError::new("refresh_token", "is empty").into());
        }
        let scope = join_scopes(scopes);
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        if !scope.is_empty() {
            pairs.push(("scope", &scope));
        }
        self.token_request(&mut pairs, Some(refresh_token))
    }

    /// Verifies an access token with this client's secret and validation, and
    /// wraps it in [`Tokens`] (e.g. tokens read back from a store).
    ///
    /// # Errors
    ///
    /// [`Error::Jwt`] when the token fails verification.
    pub fn restore(
        &self,
        access_token: Secret,
        refresh_token: Option<Secret>,
        expires_at: Option<i64>,
    ) -> Result<Tokens, Error> {
        let inner = &self.inner;
        let claims = jwt::verify(
            access_token.expose_secret(),
            inner.client_secret.expose_secret().as_bytes(),
            &inner.validation,
        )?;
        let expires_at = earliest(expires_at, claims.exp());
        Ok(Tokens {
            access_token,
            refresh_token,
            id_token: None,
            scope: None,
            expires_in: None,
            expires_at,
            claims,
            clock: inner.validation.clock_in_force().clone(),
        })
    }

    fn token_request<'a>(
        &'a self,
        pairs: &mut Vec<(&'a str, &'a str)>,
        previous_refresh: Option<&Secret>,
    ) -> Result<Tokens, Error> {
        let inner = &self.inner;
        let secret = inner.client_secret.expose_secret();
        if inner.auth == ClientAuth::Post {
            pairs.push(("client_id", &inner.client_id));
            pairs.push(("client_secret", secret));
        }
        // A provider may echo what it was sent ("wrong password 'hunter2'",
        // an error page quoting the request): whatever this request carries
        // is redacted from anything shown of the response.
        let secret_values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| matches!(*k, "password" | "refresh_token"))
            .map(|(_, v)| *v)
            .collect();
        let redactor = Redactor::for_request(&inner.client_id, secret, &secret_values);
        let body = form::encode(pairs);
        let authorization = form::basic_authorization(&inner.client_id, secret, inner.auth);
        let (status, bytes) = self.post(&body, authorization)?;
        drop(body);
        let received_at = inner.validation.clock_in_force().now();
        let token = match response::parse_redacted(&bytes, &redactor) {
            Ok(Parsed::Error(e)) => {
                return Err(Error::OAuth(OAuthError {
                    status,
                    response: e,
                }));
            }
            Ok(Parsed::Token(t)) if (200..300).contains(&status) => t,
            Ok(Parsed::Token(_)) => {
                return Err(ResponseError {
                    problem: ResponseProblem::Status,
                    status: Some(status),
                    excerpt: None,
                }
                .into());
            }
            Err(mut e) => {
                e.status = Some(status);
                if !(200..300).contains(&status) {
                    // Not a token response: a short excerpt helps (an HTML
                    // error page, a proxy message). Never for a 2xx body,
                    // which may hold a token.
                    e.problem = ResponseProblem::Status;
                    e.excerpt = Some(excerpt(&bytes, &redactor));
                }
                return Err(e.into());
            }
        };
        drop(bytes);
        let claims = jwt::verify(
            token.access_token.expose_secret(),
            secret.as_bytes(),
            &inner.validation,
        )?;
        let from_expires_in = token
            .expires_in
            .map(|s| received_at.saturating_add(i64::try_from(s).unwrap_or(i64::MAX)));
        let expires_at = earliest(from_expires_in, claims.exp());
        Ok(Tokens {
            access_token: token.access_token,
            refresh_token: token.refresh_token.or_else(|| previous_refresh.cloned()),
            id_token: token.id_token,
            scope: token.scope,
            expires_in: token.expires_in,
            expires_at,
            claims,
            clock: inner.validation.clock_in_force().clone(),
        })
    }

    /// Sends one POST and reads the response into a zeroized, capped buffer.
    fn post(
        &self,
        body: &str,
        authorization: Option<Zeroizing<String>>,
    ) -> Result<(u16, Zeroizing<Vec<u8>>), Error> {
        let inner = &self.inner;
        let mut request = inner
            .agent
            .post(&inner.token_url)
            .header("Content-Type", "application/x-www-form-urlencoded");
        if let Some(value) = authorization {
            request = request.header("Authorization", sensitive_header(value)?);
        }
        let mut response = request.send(body.as_bytes()).map_err(transport)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(ResponseError {
                problem: ResponseProblem::Redirect,
                status: Some(status),
                excerpt: None,
            }
            .into());
        }
        let encoded = response
            .headers()
            .get("content-encoding")
            .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
        if encoded {
            return Err(ResponseError {
                problem: ResponseProblem::ContentEncoding,
                status: Some(status),
                excerpt: None,
            }
            .into());
        }
        let body = read_capped(
            response.body_mut().with_config().limit(u64::MAX).reader(),
            inner.max_response,
        )
        .map_err(|e| match e {
            ReadError::TooLarge => Error::Response(ResponseError {
                problem: ResponseProblem::TooLarge {
                    limit: inner.max_response,
                },
                status: Some(status),
                excerpt: None,
            }),
            ReadError::Io(e) => match io_kind(&e) {
                Some(kind) => Error::Transport(TransportError {
                    kind,
                    detail: e.to_string(),
                }),
                None => Error::Response(ResponseError {
                    problem: ResponseProblem::Truncated,
                    status: Some(status),
                    excerpt: None,
                }),
            },
        })?;
        Ok((status, body))
    }
}

/// A header value backed by a zeroized buffer (moved, not copied): `http`
/// stores it as `Bytes` owning the buffer, so the value is wiped when ureq
/// drops the request. Marked sensitive, so `http` never prints it.
fn sensitive_header(value: Zeroizing<String>) -> Result<ureq::http::HeaderValue, Error> {
    let mut value = value;
    let bytes = Zeroizing::new(std::mem::take(&mut *value).into_bytes());
    let mut header = ureq::http::HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(bytes))
        .map_err(|_| ConfigError::new("client credentials", "cannot be sent in an HTTP header"))?;
    header.set_sensitive(true);
    Ok(header)
}

/// The earlier of two optional instants (the known one when only one is).
fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn join_scopes(scopes: &[&str]) -> String {
    scopes
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short excerpt of a body that is not a token response, with the
/// request's secrets redacted from the whole body before it is cut (so no
/// part of one survives at the cut).
fn excerpt(bytes: &[u8], redactor: &Redactor) -> String {
    // Leading whitespace is not shown, and does not count against the 80
    // characters; it is not cut off before redaction either (a secret may
    // start with a space).
    let leading = bytes.len() - bytes.trim_ascii_start().len();
    redactor.clean(bytes, leading + 80).trim().to_owned()
}

enum ReadError {
    TooLarge,
    Io(std::io::Error),
}

/// Reads at most `max` bytes into a zeroized buffer. The buffer grows by
/// replacement: each larger buffer is a fresh allocation and the old one is
/// wiped as it is dropped, so no unwiped copy is left behind.
fn read_capped(mut reader: impl Read, max: usize) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut out = Zeroizing::new(Vec::with_capacity(max.min(4096)));
    let mut chunk = Zeroizing::new([0u8; 4096]);
    loop {
        let n = match reader.read(&mut chunk[..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        if out.len() + n > max {
            return Err(ReadError::TooLarge);
        }
        if out.len() + n > out.capacity() {
            let wanted = (out.capacity() * 2).max(out.len() + n).min(max);
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(&out);
            out = bigger;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    chunk.zeroize();
    Ok(out)
}

fn transport(e: ureq::Error) -> Error {
    let kind = match &e {
        ureq::Error::BodyExceedsLimit(_) => {
            return Error::Response(ResponseError::new(ResponseProblem::TooLarge {
                limit: DEFAULT_MAX_RESPONSE,
            }));
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => {
            return Error::Config(ConfigError::new("token_url", "rejected by the HTTP client"));
        }
        other => transport_kind(other).unwrap_or(TransportKind::Io),
    };
    Error::Transport(TransportError {
        kind,
        detail: e.to_string(),
    })
}

/// What kind of transport failure a ureq error is, by its type.
fn transport_kind(e: &ureq::Error) -> Option<TransportKind> {
    Some(match e {
        ureq::Error::Timeout(_) => TransportKind::Timeout,
        ureq::Error::HostNotFound => TransportKind::Dns,
        ureq::Error::ConnectionFailed => TransportKind::Connect,
        ureq::Error::Io(io) => return io_kind(io),
        ureq::Error::Tls(_) => TransportKind::Tls,
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) => TransportKind::Tls,
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) => TransportKind::Tls,
        ureq::Error::InvalidProxyUrl | ureq::Error::ConnectProxyFailed(_) => TransportKind::Proxy,
        _ => TransportKind::Io,
    })
}

/// What kind of transport failure an `io::Error` is: by the error it wraps
/// when it wraps one (ureq wraps its own errors, a timeout among them, and
/// rustls its alerts and certificate failures), otherwise by its kind.
/// `None` for an I/O error that is not the transport's (a body cut short).
fn io_kind(e: &std::io::Error) -> Option<TransportKind> {
    use std::io::ErrorKind as K;
    if let Some(u) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        return transport_kind(u);
    }
    #[cfg(feature = "rustls")]
    if e.get_ref().is_some_and(|i| i.is::<rustls::Error>()) {
        return Some(TransportKind::Tls);
    }
    match e.kind() {
        K::TimedOut | K::WouldBlock => Some(TransportKind::Timeout),
        K::ConnectionRefused => Some(TransportKind::Connect),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => Some(TransportKind::Io),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "example.com",
            "10.0.0.1",
            "[::2]",
            "localhost.example.com",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn http_only_to_loopback_unless_allowed() {
        assert_eq!(
            check_url("http://127.0.0.1:8080/token", false).ok(),
            Some(false)
        );
        assert_eq!(check_url("http://localhost/token", false).ok(), Some(false));
        assert_eq!(check_url("http://[::1]:1/t", false).ok(), Some(false));
        assert!(check_url("http://id.example/token", false).is_err());
        assert_eq!(check_url("http://id.example/token", true).ok(), Some(false));
    }

    #[test]
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    fn https_without_a_tls_feature_is_refused_at_build_time() {
        let err = check_url("https://id.example/token", false).unwrap_err();
        assert!(err.to_string().contains("without TLS"), "{err}");
        // Loopback http still works, for tests and the demo.
        assert_eq!(
            check_url("http://127.0.0.1:1/token", false).ok(),
            Some(false)
        );
    }

    #[test]
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    fn https_is_accepted_with_a_tls_feature() {
        assert_eq!(
            check_url("https://id.example/token", false).ok(),
            Some(true)
        );
    }

    #[test]
    fn urls_with_credentials_or_odd_schemes_are_refused() {
        for url in [
            "https://user:pw@id.example/token",
            "ftp://id.example/",
            "id.example/token",
            "",
            "https:///token",
        ] {
            assert!(check_url(url, true).is_err(), "{url}");
        }
    }

    #[test]
    fn read_capped_stops_at_the_cap() {
        let data = vec![7u8; 10_000];
        assert_eq!(
            read_capped(&data[..], 10_000).ok().map(|v| v.len()),
            Some(10_000)
        );
        assert!(matches!(
            read_capped(&data[..], 9_999),
            Err(ReadError::TooLarge)
        ));
        assert_eq!(read_capped(&b""[..], 1).ok().map(|v| v.len()), Some(0));
    }

    #[test]
    fn userinfo_is_cut_from_shown_urls() {
        assert_eq!(
            without_userinfo("http://u:p@proxy:3128/x@y"),
            "http://[redacted]@proxy:3128/x@y"
        );
        assert_eq!(without_userinfo("http://proxy:3128"), "http://proxy:3128");
        assert_eq!(without_userinfo("u:p@proxy"), "[redacted]@proxy");
    }

    #[test]
    fn scopes_are_space_joined() {
        assert_eq!(join_scopes(&["openid", "", "email"]), "openid email");
        assert_eq!(join_scopes(&[]), "");
    }
}
