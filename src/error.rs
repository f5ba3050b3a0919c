//! [`Error`]: everything that can go wrong, one variant per kind of failure.
//! No message ever contains a password, a client secret or a token.
//!
//! Every payload is an error of its own (`std::error::Error`), and every
//! message appears once: [`Error`]'s `Display` is the whole story in one
//! line, so its `source()` is the payload's own source (none of them has
//! one), never the payload itself.

use std::fmt;

use crate::jwt::JwtError;
use crate::response::{ErrorResponse, ResponseError};

/// The provider refused the request with an RFC 6749 §5.2 error response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// The HTTP status the error came with (200 is possible: some providers
    /// send errors that way).
    pub status: u16,
    /// The parsed error response.
    pub response: ErrorResponse,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "provider refused the request: {} (HTTP {})",
            self.response, self.status
        )
    }
}

impl std::error::Error for OAuthError {}

/// What kind of transport failure happened. The first three are known to
/// come before any of the request was sent
/// ([`TransportKind::before_sending`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The host name could not be resolved.
    Dns,
    /// The TCP connection could not be made (refused, or the host or
    /// network unreachable).
    Connect,
    /// Setting up the connection (name resolution, TCP) took longer than
    /// the connect timeout.
    ConnectTimeout,
    /// The request's timeout expired once connected: while sending the
    /// request or waiting for or reading the answer.
    Timeout,
    /// TLS failed (handshake, certificate verification).
    Tls,
    /// The proxy failed.
    Proxy,
    /// Reading or writing the connection failed, or the peer broke the
    /// HTTP protocol.
    Io,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Dns => "name resolution failed",
            TransportKind::Connect => "connection failed",
            TransportKind::ConnectTimeout => "timed out connecting",
            TransportKind::Timeout => "timed out",
            TransportKind::Tls => "TLS failed",
            TransportKind::Proxy => "proxy failed",
            TransportKind::Io => "I/O or protocol error",
        })
    }
}

/// The endpoint a request went to, for errors that are not about the token
/// endpoint (whose messages need no such prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Endpoint {
    /// The token endpoint (the password and refresh grants).
    #[default]
    Token,
    /// The revocation endpoint (RFC 7009).
    Revocation,
    /// The provider's published key set (a JWKS URL, RFC 7517).
    Jwks,
}

impl Endpoint {
    /// How a message about this endpoint starts: nothing for the token
    /// endpoint, otherwise a phrase naming the request.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Endpoint::Token | Endpoint::Revocation => "",
            Endpoint::Jwks => "fetching the key set (JWKS URL): ",
        }
    }
}

impl TransportKind {
    /// Whether a failure of this kind is known to come before any of the
    /// request was sent: the name could not be resolved, the connection
    /// was refused or unreachable, or it was not set up in time. Such a
    /// request never reached the provider, so sending it again is safe —
    /// even a refresh with a refresh token that rotates on use.
    #[must_use]
    pub fn before_sending(self) -> bool {
        matches!(
            self,
            TransportKind::Dns | TransportKind::Connect | TransportKind::ConnectTimeout
        )
    }
}

/// The request did not get a response: DNS, connect, timeout, TLS, I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportError {
    /// The kind of failure.
    pub kind: TransportKind,
    /// Details from the transport (never request or response contents).
    pub detail: String,
    /// The endpoint the request went to.
    pub endpoint: Endpoint,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}transport error: {}: {}",
            self.endpoint.prefix(),
            self.kind,
            self.detail
        )
    }
}

impl std::error::Error for TransportError {}

/// The setting a [`ConfigError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Setting {
    /// The token URL.
    TokenUrl,
    /// The revocation URL.
    RevocationUrl,
    /// The client id.
    ClientId,
    /// The client secret.
    ClientSecret,
    /// The proxy.
    Proxy,
    /// The trusted root certificates (a CA bundle, the platform verifier).
    RootCertificates,
    /// The response size cap.
    MaxResponseSize,
    /// A refresh token given to refresh with.
    RefreshToken,
    /// A token given to revoke.
    Token,
    /// The resource owner's username.
    Username,
    /// How access tokens are verified ([`Verification`](crate::Verification)):
    /// the JWKS URL, the key set given, or none.
    Verification,
    /// The extra parameters sent with the grants.
    ExtraParams,
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Setting::TokenUrl => "token URL",
            Setting::RevocationUrl => "revocation URL",
            Setting::ClientId => "client id",
            Setting::ClientSecret => "client secret",
            Setting::Proxy => "proxy",
            Setting::RootCertificates => "root certificates",
            Setting::MaxResponseSize => "max response size",
            Setting::RefreshToken => "refresh token",
            Setting::Token => "token",
            Setting::Username => "username",
            Setting::Verification => "token verification",
            Setting::ExtraParams => "extra parameters",
        })
    }
}

/// A configuration value is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConfigError {
    /// The setting at fault.
    pub setting: Setting,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(setting: Setting, reason: impl Into<String>) -> Self {
        ConfigError {
            setting,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid configuration: {}: {}",
            self.setting, self.reason
        )
    }
}

impl std::error::Error for ConfigError {}

/// What kind of problem a [`StoreError`] is, for programs that act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The path names no file (empty, ending in `/`, `.` or `..`), or its
    /// directory does not exist.
    Path,
    /// What is there may not be used: a symbolic link, a FIFO, a device, a
    /// socket, a directory, another user's file, or a store that group or
    /// others may read. Left as it is.
    Unsafe,
    /// A file that is not a ropc store (no `ropc-store 1` first line).
    /// Left as it is: never replaced or wiped.
    NotAStore,
    /// A ropc store whose content cannot be read back (truncated, edited,
    /// too large).
    Corrupt,
    /// Made for another token URL, client id or user: its tokens are never
    /// handed out.
    Account,
    /// Reading, writing, creating, removing or locking failed.
    Io,
    /// Anything else (a store of your own: [`StoreError::new`]).
    Other,
}

/// A problem with a token store.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreError {
    /// The store (usually a file path).
    pub store: String,
    /// What is wrong.
    pub reason: String,
    /// What kind of problem it is.
    pub kind: StoreErrorKind,
}

impl StoreError {
    /// A store error about `store` (for [`TokenStore`](crate::TokenStore)
    /// implementations of your own), of kind [`StoreErrorKind::Other`].
    pub fn new(store: impl Into<String>, reason: impl Into<String>) -> Self {
        StoreError::of_kind(StoreErrorKind::Other, store, reason)
    }

    /// A store error of this kind.
    pub fn of_kind(
        kind: StoreErrorKind,
        store: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        StoreError {
            store: store.into(),
            reason: reason.into(),
            kind,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token store {}: {}", self.store, self.reason)
    }
}

impl std::error::Error for StoreError {}

/// Every error ropc returns; none of them carries a secret (every string
/// that came from the provider has the request's secrets redacted before
/// it is cut to length).
///
/// ```
/// use ropc::{Client, Error, Setting};
///
/// // Plain http is refused for a host that is not loopback, before any I/O.
/// let err = Client::builder("http://id.example/token", "my-app", "secret")
///     .build()
///     .unwrap_err();
/// match &err {
///     Error::Config(c) => assert_eq!(c.setting, Setting::TokenUrl),
///     other => panic!("{other}"),
/// }
/// assert!(err.to_string().starts_with("invalid configuration: token URL"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The provider refused (an RFC 6749 error response, e.g.
    /// `invalid_grant` for a wrong password or a dead refresh token,
    /// `invalid_client`), with the HTTP status; an `error` member counts
    /// whatever the status.
    OAuth(OAuthError),
    /// The access token failed verification; [`JwtError`] names the check.
    Jwt(JwtError),
    /// No response: DNS, connect, timeout, TLS, I/O ([`TransportKind`] says
    /// which).
    Transport(TransportError),
    /// A response came, but it is malformed JSON, lacks a member or has one
    /// of the wrong type, is over the cap, is a redirect, or has a non-2xx
    /// status without an OAuth error (with a short sanitised excerpt of the
    /// body).
    Response(ResponseError),
    /// Invalid configuration (a bad URL or setting: [`Setting`] says which),
    /// found by [`ClientBuilder::build`](crate::ClientBuilder::build) or a
    /// call before anything is sent.
    Config(ConfigError),
    /// A [`Session`](crate::Session) has no refresh token, or the provider
    /// refused it (`invalid_grant`), and no password is at hand: the
    /// password grant must be run again.
    LoginRequired,
    /// The token store could not be read, written, locked or cleared, or is
    /// unsafe (a symbolic link, a FIFO, someone else's file, a file readable
    /// by others) or corrupt.
    Store(StoreError),
}

impl Error {
    /// Whether trying again later may succeed, for tools that retry: a
    /// transport failure other than TLS (DNS, connect, timeout, a dropped
    /// connection), a provider that is unavailable (HTTP 429 or a 5xx without
    /// an RFC 6749 error: an error page from a gateway), a body cut short, or
    /// the provider's own `server_error` / `temporarily_unavailable`, or any
    /// `error` it sends with HTTP 429 or 503
    /// ([`was_not_processed`](Self::was_not_processed)). Not a
    /// refusal (`invalid_grant`), a token that fails verification, a bad
    /// configuration or TLS trust: retrying those changes nothing.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ropc::testing::{Misbehavior, Provider};
    ///
    /// let provider = Provider::start()?;
    /// provider.set_misbehavior(Some(Misbehavior::Html502));
    /// let client = ropc::Client::builder(provider.url(), "demo-client", "demo-secret").build()?;
    /// let err = client.password_grant("alice", &"wonderland".into(), &[]).unwrap_err();
    /// assert!(err.is_transient());
    /// assert_eq!(err.to_string(), r#"provider unavailable (HTTP 502) (body starts: "<html><body><h1>502 Bad Gateway</h1></body></html>")"#);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_transient(&self) -> bool {
        use crate::response::{ErrorCode, ResponseProblem};
        match self {
            Error::Transport(t) => t.kind != TransportKind::Tls,
            Error::Response(r) => r.is_unavailable() || r.problem == ResponseProblem::Truncated,
            Error::OAuth(e) => {
                matches!(
                    e.response.code,
                    ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
                ) || self.was_not_processed()
            }
            _ => false,
        }
    }
}

impl Error {
    /// Whether the request may have reached the provider: `false` only for
    /// failures known to come before any of it was sent
    /// ([`TransportKind::before_sending`]: the name not resolved, the
    /// connection refused, unreachable or not set up in time) and for
    /// errors found before sending (configuration, store). A timeout or a
    /// reset after connecting, any answer (an error page, an RFC 6749
    /// error), or a token that failed verification: the provider may have
    /// acted on the request — a refresh may have rotated the refresh token
    /// it carried, so it must not be sent again. A failure to fetch the
    /// provider's key set ([`Endpoint::Jwks`]) counts as one that may have
    /// reached it, however early it failed: it can follow a grant the
    /// provider answered (the token it brought back is signed with a key the
    /// cached set lacks), and a key set fetch alone changes nothing, so
    /// ropc's own retries of it do not ask.
    ///
    /// ```
    /// use ropc::Client;
    ///
    /// // Nothing listens on port 1: refused before anything was sent.
    /// let client = Client::builder("http://127.0.0.1:1/token", "app", "secret")
    ///     .retry(ropc::RetryPolicy::none())
    ///     .build()?;
    /// let err = client.password_grant("alice", &"pw".into(), &[]).unwrap_err();
    /// assert!(!err.may_have_reached_provider());
    /// # Ok::<(), ropc::Error>(())
    /// ```
    #[must_use]
    pub fn may_have_reached_provider(&self) -> bool {
        match self {
            Error::Transport(t) => !t.kind.before_sending() || t.endpoint == Endpoint::Jwks,
            Error::Config(_) | Error::Store(_) => false,
            Error::OAuth(_) | Error::Jwt(_) | Error::Response(_) | Error::LoginRequired => true,
        }
    }

    /// Whether the provider answered that it did not process the request
    /// and that it may be sent again later: HTTP 429 or 503, whatever the
    /// body (none, an error page, or JSON with an `error` member, as
    /// Auth0's rate limit answers), or an RFC 6749
    /// `temporarily_unavailable` error.
    #[must_use]
    pub fn was_not_processed(&self) -> bool {
        use crate::response::{ErrorCode, ResponseProblem};
        match self {
            Error::Response(r) => {
                r.problem == ResponseProblem::Status && matches!(r.status, Some(429 | 503))
            }
            Error::OAuth(e) => {
                e.response.code == ErrorCode::TemporarilyUnavailable
                    || matches!(e.status, 429 | 503)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::OAuth(e) => e.fmt(f),
            Error::Jwt(e) => write!(f, "token verification failed: {e}"),
            Error::Transport(e) => e.fmt(f),
            Error::Response(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::LoginRequired => f.write_str(
                "login required: the refresh token was refused; run the password grant again",
            ),
            Error::Store(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    /// The payload's own source: the payload's message is already part of
    /// this error's `Display`, so it is not repeated down the chain.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::OAuth(e) => e.source(),
            Error::Jwt(e) => e.source(),
            Error::Transport(e) => e.source(),
            Error::Response(e) => e.source(),
            Error::Config(e) => e.source(),
            Error::Store(e) => e.source(),
            Error::LoginRequired => None,
        }
    }
}

impl From<JwtError> for Error {
    fn from(e: JwtError) -> Self {
        Error::Jwt(e)
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        Error::Response(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(kind: TransportKind, endpoint: Endpoint) -> Error {
        Error::Transport(TransportError {
            kind,
            detail: String::new(),
            endpoint,
        })
    }

    #[test]
    fn a_key_set_fetch_that_failed_before_sending_may_follow_a_grant_that_reached_the_provider() {
        // The grant's own connection refused: nothing was sent.
        assert!(!transport(TransportKind::Connect, Endpoint::Token).may_have_reached_provider());
        // The key set fetched again for the token a refresh brought back (a
        // key the cached set lacks), its connection refused: the refresh was
        // answered, its refresh token rotated; the caller must not send it
        // again.
        for kind in [
            TransportKind::Dns,
            TransportKind::Connect,
            TransportKind::ConnectTimeout,
        ] {
            assert!(transport(kind, Endpoint::Jwks).may_have_reached_provider());
        }
    }
}
