//! [`ClientBuilder`]: the client's settings, checked before anything is
//! sent, and the URL policy (https; plain http only to loopback).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use super::retry::RetryPolicy;
use super::verification::{Verification, Verifier};
use super::{Client, Inner};
use crate::error::{ConfigError, Error, Setting};
use crate::form::ClientAuth;
use crate::http::{self, Http, ProxyChoice};
use crate::jwt::{Clock, Validation};
use crate::secret::Secret;

/// Default timeout for setting up a connection (TCP and TLS): 10 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout for a whole request, connection to last body byte: 30 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a response body: 64 KiB.
pub const DEFAULT_MAX_RESPONSE_SIZE: usize = 64 * 1024;
/// The largest CA bundle file read: 1 MiB.
pub const MAX_CA_BUNDLE_SIZE: usize = 1024 * 1024;

/// The parameter names ropc sets itself, which
/// [`ClientBuilder::extra_param`] refuses: `grant_type`, `username`,
/// `password`, `scope`, `client_id`, `client_secret`, `refresh_token`.
pub const RESERVED_PARAMS: [&str; 7] = [
    "grant_type",
    "username",
    "password",
    "scope",
    "client_id",
    "client_secret",
    "refresh_token",
];

/// Configures a [`Client`]. Made by [`Client::builder`]; every setting is
/// checked by [`build`](Self::build), before anything is sent.
///
/// ```
/// # #[cfg(any(feature = "rustls", feature = "native-tls"))] {
/// use std::time::Duration;
/// use ropc::{Client, ClientAuth};
///
/// let client = Client::builder("https://id.example/oauth/token", "my-app", "client-secret")
///     .issuer("https://id.example")              // expected `iss`
///     .audience("my-app")                         // expected in `aud`
///     .client_auth(ClientAuth::BasicFormEncoded) // RFC 6749 §2.3.1
///     .timeout(Duration::from_secs(10))
///     .build()?;                                  // checked here, before any I/O
/// assert_eq!(client.token_url(), "https://id.example/oauth/token");
/// # }
/// # Ok::<(), ropc::Error>(())
/// ```
///
/// # Defaults, and the ureq defaults ropc overrides on purpose
///
/// | setting | default | builder method |
/// | --- | --- | --- |
/// | token URL scheme | `https` required; plain `http` only to `localhost`, 127.0.0.0/8 or `::1`; URLs with `user:pass@` refused | [`allow_insecure_http(true)`](Self::allow_insecure_http) |
/// | client authentication | HTTP Basic with the id and secret **as they are**, as providers document it (many servers do not form-decode Basic credentials, and encoding breaks secrets holding `+ / =`) | [`client_auth`](Self::client_auth): [`ClientAuth::BasicFormEncoded`] (RFC 6749 §2.3.1), [`ClientAuth::Post`] (`client_secret_post`) or [`ClientAuth::None`] (a public client); exactly one per request, never retried with another (that would send the password twice) |
/// | access token verification | HS256 with the client secret | [`verification`](Self::verification) |
/// | connect timeout | 10 s (TCP + TLS) | [`connect_timeout`](Self::connect_timeout) |
/// | whole-request timeout | 30 s, per attempt (ureq has none by default) | [`timeout`](Self::timeout) |
/// | retries | 2, only of what cannot have reached the provider or what it did not process | [`retry`](Self::retry) |
/// | response body cap | 64 KiB (ureq: 10 MB) | [`max_response_size`](Self::max_response_size) |
/// | redirects | **never followed**: a 3xx is [`Error::Response`] (ureq follows 10, and a 307/308 would re-send the password) | — |
/// | non-2xx statuses | read as responses so the RFC 6749 §5.2 error body is parsed (ureq turns them into bodiless errors) | — |
/// | proxy | none, whatever the environment says (ureq reads `HTTPS_PROXY` etc.) | [`proxy(url)`](Self::proxy), [`proxy_from_env(true)`](Self::proxy_from_env) |
/// | compression | none requested; a `Content-Encoding` answer is refused | — |
/// | token validation | `exp` required, 60 s leeway, `iss`/`aud` checked when set | [`issuer`](Self::issuer), [`audience`](Self::audience), [`leeway`](Self::leeway), [`validation`](Self::validation), [`clock`](Self::clock) |
/// | user agent | `ropc/<version>` ([`USER_AGENT`](crate::USER_AGENT)) | — |
///
/// One `ureq::Agent` per client: connections are kept alive between calls
/// (the tests check that several grants and refreshes use one connection).
///
/// # TLS and trust
///
/// | feature | TLS library | trusted roots by default | unique crates in `cargo tree -e normal` (ropc excluded) |
/// | --- | --- | --- | --- |
/// | `rustls` (default) | rustls with the *ring* provider | Mozilla's (webpki-roots), compiled in | 39 |
/// | `native-tls` (`--no-default-features --features native-tls`) | the platform's (OpenSSL on Linux; needs `libssl-dev` to build) | Mozilla's, as certificates (webpki-root-certs) | 48 |
/// | neither (`--no-default-features`) | none: plain `http` to loopback only; an `https` token URL is a configuration error at `build()` | — | 31 |
///
/// Counted on 2026-12-05 with `cargo tree -e normal --prefix none
/// [features]`, each crate once (Linux x86_64). With both features,
/// native-tls is used: ropc selects the TLS library explicitly and never
/// lets ureq pick.
///
/// Trust (with a TLS feature):
///
/// * `add_root_certificates_pem(bytes)` / `add_root_certificates_file(path)`:
///   every certificate of a PEM bundle is trusted **in addition to** the
///   built-in roots; malformed PEM, a truncated certificate or a bundle
///   without a certificate is an [`Error::Config`] at configuration time.
///   The `ropc` command does this with `ROPC_CA_FILE` (a malformed bundle
///   exits 2 naming the variable). (ureq takes either its built-in roots or
///   an explicit list, so ropc lists the built-in ones itself: with rustls,
///   from the trust anchors already linked, so the roots are not in the
///   binary twice; the one Mozilla root with name constraints, TUBITAK Kamu
///   SM, is left out of that list rather than trusted without its
///   constraints.)
/// * `replace_root_certificates(true)`: trust only the added certificates
///   (a device that talks to one private PKI and nothing else).
/// * `platform_verifier(true)` (native-tls only): the system's OpenSSL store
///   and verifier. With only `rustls` it is a configuration error at
///   `build()` ([`Error::Config`], [`Setting::RootCertificates`]), never a
///   surprise at the first handshake.
///
/// `http` token URLs are refused before any connection unless the host is
/// loopback (`localhost`, 127.0.0.0/8, `::1`) or `allow_insecure_http(true)`
/// is set.
///
/// The TLS tests (`tests/integration/tls.rs`) generate a private CA and
/// leaves in the test (rcgen) and serve them with rustls through the loopback
/// provider: a trusted private CA succeeds; an unknown CA, a host name
/// mismatch and an expired leaf are refused with [`Error::Transport`] (kind
/// [`Tls`](crate::TransportKind::Tls), the detail naming the certificate
/// problem; `ropc` exit 5) before anything is sent. They run under `rustls`
/// and under `native-tls`. One difference: a **CA certificate used as the
/// server's leaf** is refused by rustls (`CaUsedAsEndEntity`) but accepted
/// by OpenSSL through native-tls, which offers no hook to refuse it; prefer
/// rustls where that matters.
#[derive(Clone)]
pub struct ClientBuilder {
    token_url: String,
    revocation_url: Option<String>,
    client_id: String,
    client_secret: Secret,
    auth: ClientAuth,
    validation: Validation,
    verification: Verification,
    extra_params: Vec<(String, String)>,
    retry: RetryPolicy,
    connect_timeout: Duration,
    timeout: Duration,
    max_response_size: usize,
    allow_http: bool,
    proxy: ProxyChoice,
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    trust: http::Trust,
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

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token_url", &self.token_url)
            .field("revocation_url", &self.revocation_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("auth", &self.auth)
            .field("validation", &self.validation)
            .field("verification", &self.verification)
            .field("extra_params", &self.extra_params)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_response_size", &self.max_response_size)
            .field("allow_http", &self.allow_http)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(super) fn new(token_url: String, client_id: String, client_secret: Secret) -> Self {
        ClientBuilder {
            token_url,
            revocation_url: None,
            client_id,
            client_secret,
            auth: ClientAuth::default(),
            validation: Validation::default(),
            verification: Verification::default(),
            extra_params: Vec::new(),
            retry: RetryPolicy::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_response_size: DEFAULT_MAX_RESPONSE_SIZE,
            allow_http: false,
            proxy: ProxyChoice::None,
            #[cfg(any(feature = "rustls", feature = "native-tls"))]
            trust: http::Trust::default(),
        }
    }

    /// The provider's token revocation endpoint (RFC 7009), for
    /// [`Client::revoke`] and [`Session::logout`](crate::Session::logout).
    /// The token URL's policy applies: `https`, plain
    /// `http` only to loopback, no credentials in it.
    #[must_use]
    pub fn revocation_url(mut self, url: impl Into<String>) -> Self {
        self.revocation_url = Some(url.into());
        self
    }

    /// How the client authenticates (default: [`ClientAuth::Basic`], the id
    /// and secret as they are). A public client ([`ClientAuth::None`]) needs
    /// no secret: give an empty one — unless access tokens are verified with
    /// it ([`Verification::ClientSecret`], the default).
    #[must_use]
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// How access tokens are verified (default
    /// [`Verification::ClientSecret`]: HS256 with the client secret).
    ///
    /// ```
    /// use ropc::{Client, ClientAuth, Verification};
    ///
    /// // A public client of a provider that issues opaque tokens.
    /// let client = Client::builder("http://127.0.0.1:8080/o/token/", "my-app", "")
    ///     .client_auth(ClientAuth::None)
    ///     .verification(Verification::Opaque)
    ///     .build()?;
    /// # let _ = client;
    /// # Ok::<(), ropc::Error>(())
    /// ```
    #[must_use]
    pub fn verification(mut self, verification: Verification) -> Self {
        self.verification = verification;
        self
    }

    /// A parameter sent with the password and refresh grants, never with
    /// revocation (Auth0's `audience` or `realm`, say). Names ropc sets
    /// itself ([`RESERVED_PARAMS`]) are refused by [`build`](Self::build),
    /// before anything is sent.
    ///
    /// ```
    /// let client = ropc::Client::builder("https://tenant.auth0.example/oauth/token", "app", "secret")
    ///     .extra_param("audience", "https://api.example")
    ///     .build();
    /// # #[cfg(any(feature = "rustls", feature = "native-tls"))]
    /// assert!(client.is_ok());
    /// let refused = ropc::Client::builder("http://127.0.0.1:1/token", "app", "secret")
    ///     .extra_param("grant_type", "client_credentials")
    ///     .build();
    /// assert!(refused.is_err());
    /// ```
    #[must_use]
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }

    /// [`extra_param`](Self::extra_param) for each pair of a form-urlencoded
    /// text (`audience=https%3A%2F%2Fapi.example&realm=users`), as
    /// configuration gives them.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the text is not form-urlencoded (a bad `%`
    /// escape, not UTF-8 once decoded) or a name is empty.
    pub fn extra_params_encoded(mut self, encoded: &str) -> Result<Self, Error> {
        let bad = |why: &str| ConfigError::new(Setting::ExtraParams, why);
        let pairs = crate::form::decode(encoded)
            .ok_or_else(|| bad("is not form-urlencoded (a bad `%` escape, or not UTF-8)"))?;
        for (name, value) in pairs {
            if name.is_empty() {
                return Err(bad("has a parameter without a name").into());
            }
            self.extra_params
                .push((name.as_str().to_owned(), value.as_str().to_owned()));
        }
        Ok(self)
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

    /// How failures that may pass are retried (default
    /// [`RetryPolicy::new`]: 2 retries; [`RetryPolicy::none`] turns them
    /// off). Only what cannot have reached the provider, or what it said it
    /// did not process, is sent again (see [`RetryPolicy`]).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
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

    /// Cap on the response body in bytes (default
    /// [`DEFAULT_MAX_RESPONSE_SIZE`], 64 KiB). A larger response is an
    /// [`Error::Response`] with
    /// [`ResponseProblem::TooLarge`](crate::ResponseProblem::TooLarge).
    #[must_use]
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Allows a plain `http` URL to a host that is not loopback. Off by
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
    /// authentication, when the client secret is empty (allowed for a public
    /// client, [`ClientAuth::None`], whose tokens are not verified with it),
    /// when the JWKS URL breaks the token URL's rules, when the key set
    /// given has no usable key, when an extra parameter has a reserved name
    /// ([`RESERVED_PARAMS`]) or no name, or when the proxy or trust settings
    /// are invalid (with rustls, [`platform_verifier`](Self::platform_verifier)
    /// is one of those: it needs native-tls).
    pub fn build(self) -> Result<Client, Error> {
        let mut secure = check_url(Setting::TokenUrl, &self.token_url, self.allow_http)?;
        if let Some(url) = &self.revocation_url {
            secure &= check_url(Setting::RevocationUrl, url, self.allow_http)?;
        }
        match &self.verification {
            #[cfg(feature = "asymmetric")]
            Verification::JwksUrl(url) => {
                secure &= check_url(Setting::Verification, url, self.allow_http)?;
            }
            #[cfg(feature = "asymmetric")]
            Verification::Keys(keys) if keys.is_empty() => {
                return Err(ConfigError::new(Setting::Verification, no_usable_key(keys)).into());
            }
            _ => {}
        }
        if self.client_id.is_empty() {
            return Err(ConfigError::new(Setting::ClientId, "is empty").into());
        }
        if self.client_secret.is_empty() {
            if matches!(self.verification, Verification::ClientSecret) {
                // It is the HS256 key: an empty key would let anyone forge.
                return Err(ConfigError::new(
                    Setting::ClientSecret,
                    "is empty (access tokens are verified with it: HS256)",
                )
                .into());
            }
            if self.auth != ClientAuth::None {
                return Err(ConfigError::new(
                    Setting::ClientSecret,
                    "is empty (a public client authenticates with ClientAuth::None)",
                )
                .into());
            }
        }
        for (name, _) in &self.extra_params {
            if name.is_empty() {
                return Err(ConfigError::new(Setting::ExtraParams, "a name is empty").into());
            }
            if RESERVED_PARAMS.contains(&name.as_str()) {
                return Err(ConfigError::new(
                    Setting::ExtraParams,
                    format!("`{name}` is set by ropc itself and cannot be an extra parameter"),
                )
                .into());
            }
        }
        if self.auth == ClientAuth::Basic && self.client_id.contains(':') {
            return Err(ConfigError::new(
                Setting::ClientId,
                "contains `:`, which plain Basic authentication cannot carry \
                 (use ClientAuth::BasicFormEncoded or ClientAuth::Post)",
            )
            .into());
        }
        if self.max_response_size == 0 {
            return Err(ConfigError::new(Setting::MaxResponseSize, "is zero").into());
        }
        let http = Http::new(&http::Settings {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            https_only: secure && !self.allow_http,
            proxy: &self.proxy,
            #[cfg(any(feature = "rustls", feature = "native-tls"))]
            trust: &self.trust,
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                token_url: self.token_url,
                revocation_url: self.revocation_url,
                client_id: self.client_id,
                client_secret: self.client_secret,
                auth: self.auth,
                validation: self.validation,
                verifier: Verifier::new(self.verification),
                extra_params: self.extra_params,
                retry: self.retry,
                max_response_size: self.max_response_size,
            }),
        })
    }
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "rustls", feature = "native-tls"))))]
impl ClientBuilder {
    /// Trusts the root certificates in this PEM bundle in addition to the
    /// built-in ones (or the ones set by
    /// [`replace_root_certificates`](Self::replace_root_certificates)).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the PEM holds no certificate or a malformed one.
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.trust.add_pem(pem)?;
        Ok(self)
    }

    /// Trusts the root certificates in the PEM bundle at `path`, in addition
    /// to the built-in ones. At most [`MAX_CA_BUNDLE_SIZE`] bytes are read: a
    /// larger file (or `/dev/zero`) is refused, never read whole.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the file cannot be read, is larger than
    /// [`MAX_CA_BUNDLE_SIZE`] or holds no valid certificate.
    pub fn add_root_certificates_file(
        self,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Self, Error> {
        use std::io::Read as _;
        let path = path.as_ref();
        let cannot = |why: String| {
            ConfigError::new(
                Setting::RootCertificates,
                format!("cannot read {}: {why}", path.display()),
            )
        };
        let file = std::fs::File::open(path).map_err(|e| cannot(e.to_string()))?;
        let mut pem = Vec::new();
        file.take(MAX_CA_BUNDLE_SIZE as u64 + 1)
            .read_to_end(&mut pem)
            .map_err(|e| cannot(e.to_string()))?;
        if pem.len() > MAX_CA_BUNDLE_SIZE {
            return Err(cannot(format!("larger than {MAX_CA_BUNDLE_SIZE} bytes")).into());
        }
        self.add_root_certificates_pem(&pem)
    }

    /// Trusts only the certificates added with
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem), not the
    /// built-in roots.
    #[must_use]
    pub fn replace_root_certificates(mut self, replace: bool) -> Self {
        self.trust.builtin = !replace;
        self
    }

    /// Uses the platform's certificate verifier and roots instead of the
    /// built-in Mozilla roots (native-tls: the system's OpenSSL store). With
    /// the `rustls` feature alone this is a configuration error at
    /// [`build`](Self::build).
    #[must_use]
    pub fn platform_verifier(mut self, enabled: bool) -> Self {
        self.trust.platform = enabled;
        self
    }
}

/// Why a key set given to verify with cannot be used: it has no usable
/// key, and these were left out.
#[cfg(feature = "asymmetric")]
fn no_usable_key(keys: &crate::jwt::KeySet) -> String {
    let reasons: Vec<String> = keys.ignored().iter().map(ToString::to_string).collect();
    if reasons.is_empty() {
        "the key set has no key".to_owned()
    } else {
        format!("the key set has no usable key ({})", reasons.join("; "))
    }
}

/// Checks a URL against the policy; returns whether it is `https`.
fn check_url(setting: Setting, url: &str, allow_http: bool) -> Result<bool, Error> {
    let bad = |reason: &str| Error::Config(ConfigError::new(setting, reason));
    let parts = http::url_parts(url).ok_or_else(|| bad("is not a valid absolute URL"))?;
    if parts.has_userinfo {
        return Err(bad("must not contain credentials (user:password@)"));
    }
    if parts.host.is_empty() {
        return Err(bad("has no host"));
    }
    match parts.scheme.as_str() {
        "https" => {
            if cfg!(any(feature = "rustls", feature = "native-tls")) {
                Ok(true)
            } else {
                Err(bad(
                    "is https, but ropc was built without TLS (enable the `rustls` or `native-tls` feature)",
                ))
            }
        }
        "http" if allow_http || is_loopback(&parts.host) => Ok(false),
        "http" => Err(bad(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, allow_http: bool) -> Option<bool> {
        check_url(Setting::TokenUrl, url, allow_http).ok()
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "::1",
        ] {
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
        assert_eq!(check("http://127.0.0.1:8080/token", false), Some(false));
        assert_eq!(check("http://localhost/token", false), Some(false));
        assert_eq!(check("http://[::1]:1/t", false), Some(false));
        assert_eq!(check("http://id.example/token", false), None);
        assert_eq!(check("http://id.example/token", true), Some(false));
    }

    #[test]
    #[cfg(not(any(feature = "rustls", feature = "native-tls")))]
    fn https_without_a_tls_feature_is_refused_at_build_time() {
        let err = check_url(Setting::TokenUrl, "https://id.example/token", false).unwrap_err();
        assert!(err.to_string().contains("without TLS"), "{err}");
        // Loopback http still works, for tests and the demo.
        assert_eq!(check("http://127.0.0.1:1/token", false), Some(false));
    }

    #[test]
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    fn https_is_accepted_with_a_tls_feature() {
        assert_eq!(check("https://id.example/token", false), Some(true));
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
            assert_eq!(check(url, true), None, "{url}");
        }
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
}
