//! [`Client`]: the password grant, refresh and (RFC 7009) revocation, as a
//! pipeline: the form body and Basic credentials ([`form`](crate::form)),
//! one POST ([`http`](crate::http), the only I/O), what the reply means
//! ([`grant`](crate::grant)), the access token verified
//! ([`jwt`](crate::jwt)), [`Tokens`].

mod builder;
mod retry;
mod verification;

pub use builder::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT,
    MAX_CA_BUNDLE_SIZE, RESERVED_PARAMS,
};
pub use retry::{BACKOFF_BASE, DEFAULT_RETRIES, MAX_RETRY_AFTER, Retry, RetryPolicy};
pub use verification::{JWKS_REFETCH_COOLDOWN, Verification};

use std::fmt;
use std::sync::Arc;

use crate::clock::Clock;
use crate::error::{ConfigError, Endpoint, Error, Setting};
use crate::form::{self, ClientAuth};
use crate::grant;
use crate::http::Http;
use crate::jwt::{Claims, Validation};
use crate::redact::Redactor;
use crate::secret::Secret;
use crate::tokens::{Receipt, Tokens};
use retry::Failed;
use verification::{Fetch, Verifier};

struct Inner {
    http: Http,
    token_url: String,
    revocation_url: Option<String>,
    client_id: String,
    client_secret: Secret,
    auth: ClientAuth,
    validation: Validation,
    verifier: Verifier,
    /// Sent with the password and refresh grants (never with revocation).
    extra_params: Vec<(String, String)>,
    retry: RetryPolicy,
    max_response_size: usize,
}

/// A client of one provider's token endpoint. Cheap to clone (shared
/// connection pool); safe to use from several threads.
///
/// The client secret is held as a [`Secret`]: it authenticates the client
/// (unless it is a public client, [`ClientAuth::None`]) and, by default, is
/// the HS256 key the access tokens are verified with ([`Verification`]).
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
///
/// let provider = Provider::start()?; // a real token endpoint on 127.0.0.1
/// let client = ropc::Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
///     .issuer(provider.issuer())
///     .build()?;
/// let password = ropc::Secret::from(DEMO_PASSWORD);
/// let tokens = client.password_grant(DEMO_USERNAME, &password, &["openid", "email"])?;
/// assert_eq!(tokens.claims().sub(), Some(DEMO_USERNAME));
/// let tokens = client.refresh(&tokens)?;
/// assert!(tokens.refresh_token().is_some());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("token_url", &self.inner.token_url)
            .field("revocation_url", &self.inner.revocation_url)
            .field("client_id", &self.inner.client_id)
            .field("client_secret", &self.inner.client_secret)
            .field("auth", &self.inner.auth)
            .field("jwks_url", &self.inner.verifier.jwks_url())
            .field("extra_params", &self.inner.extra_params)
            .field("max_response_size", &self.inner.max_response_size)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts configuring a client of the token endpoint at `token_url`.
    pub fn builder(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> ClientBuilder {
        ClientBuilder::new(token_url.into(), client_id.into(), client_secret.into())
    }

    /// The token URL.
    #[must_use]
    pub fn token_url(&self) -> &str {
        &self.inner.token_url
    }

    /// The revocation URL, when one was configured.
    #[must_use]
    pub fn revocation_url(&self) -> Option<&str> {
        self.inner.revocation_url.as_deref()
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
    /// One POST of `grant_type=password`, `username`, `password` and
    /// `scope` (and any [extra parameters](ClientBuilder::extra_param)) with
    /// the configured client authentication (HTTP Basic by default); the
    /// response is read into a zeroized, size-capped buffer, parsed (RFC 6749
    /// §5.1/§5.2), and its access token verified ([`Verification`]; by
    /// default HS256 with the client secret). The [`Tokens`] hold the access
    /// token, the refresh token to use next, the verified claims and the
    /// absolute expiry (time received + `expires_in`, bounded by `exp`;
    /// [`Tokens::expires_within`]).
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
        pairs.extend(self.extra_params());
        self.token_request(pairs, password, None)
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
            ConfigError::new(Setting::RefreshToken, "the tokens carry no refresh token")
        })?;
        self.refresh_with(refresh_token, &[])
    }

    /// Refreshes with a refresh token kept elsewhere (a store, a previous
    /// process). `scopes` may be empty (the provider keeps the original
    /// scope).
    ///
    /// # Errors
    ///
    /// As [`refresh`](Self::refresh); [`Error::Config`] when the refresh
    /// token is empty.
    pub fn refresh_with(&self, refresh_token: &Secret, scopes: &[&str]) -> Result<Tokens, Error> {
        check_token(Setting::RefreshToken, refresh_token)?;
        let scope = join_scopes(scopes);
        let mut pairs = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose_secret()),
        ];
        if !scope.is_empty() {
            pairs.push(("scope", &scope));
        }
        pairs.extend(self.extra_params());
        self.token_request(pairs, refresh_token, Some(refresh_token))
    }

    /// Revokes `token` at the provider's revocation endpoint (RFC 7009,
    /// [`ClientBuilder::revocation_url`]): one POST of `token` and
    /// `token_type_hint`, with the same client authentication as the token
    /// endpoint, the body and header in zeroized buffers, no redirect
    /// followed, the same timeouts and caps. A 200 is success — also for a
    /// token the provider does not know (§2.2), so revoking twice is fine.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    /// use ropc::{Client, TokenTypeHint};
    ///
    /// let provider = Provider::start()?;
    /// let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    ///     .revocation_url(provider.revocation_url())
    ///     .build()?;
    /// let tokens = client.password_grant(DEMO_USERNAME, &DEMO_PASSWORD.into(), &[])?;
    /// let refresh_token = tokens.refresh_token().expect("issued");
    /// client.revoke(refresh_token, TokenTypeHint::RefreshToken)?;
    /// // The provider forgot it: the next refresh is refused.
    /// assert!(client.refresh(&tokens).is_err());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no revocation URL is configured or `token` is
    /// empty (nothing is sent); [`Error::OAuth`] when the provider answers an
    /// RFC 6749 error (`invalid_client`, `unsupported_token_type`);
    /// [`Error::Transport`] or [`Error::Response`] as for the grants.
    pub fn revoke(&self, token: &Secret, hint: TokenTypeHint) -> Result<(), Error> {
        let inner = &self.inner;
        let Some(url) = &inner.revocation_url else {
            return Err(ConfigError::new(Setting::RevocationUrl, "is not set").into());
        };
        check_token(Setting::Token, token)?;
        let redactor = self.redactor(token);
        let pairs = vec![
            ("token", token.expose_secret()),
            ("token_type_hint", hint.as_str()),
        ];
        inner.retry.run(false, || {
            let reply = self.post(url, pairs.clone(), Endpoint::Revocation)?;
            grant::interpret_revocation(&reply, &redactor).map_err(|error| Failed {
                error,
                retry_after: wait_asked(&reply),
            })
        })
    }

    /// Verifies an access token as this client verifies the ones it
    /// receives ([`Verification`]) and wraps it in [`Tokens`] (e.g. tokens
    /// read back from a store). An opaque token is taken as it is, its
    /// expiry from `expires_at`.
    ///
    /// # Errors
    ///
    /// [`Error::Jwt`] when the token fails verification; with a JWKS URL,
    /// the errors of fetching the key set ([`Error::Transport`],
    /// [`Error::Response`]).
    pub fn restore(
        &self,
        access_token: Secret,
        refresh_token: Option<Secret>,
        expires_at: Option<i64>,
    ) -> Result<Tokens, Error> {
        check_token(Setting::Token, &access_token)?;
        let claims = self.verify(&access_token)?;
        let expires_at = earliest(expires_at, claims.as_ref().and_then(Claims::exp));
        Ok(Tokens {
            access_token,
            refresh_token,
            id_token: None,
            scope: None,
            expires_in: None,
            expires_at,
            claims,
            received: Receipt {
                at: self.inner.validation.get_clock().now(),
                boot: None,
            },
        })
    }

    /// As [`restore`](Self::restore), for tokens received at `received` (a
    /// store's record): their time claims are checked at the time the
    /// provider's clock reads now by the boot clock — the receipt plus the
    /// time elapsed since, when received in this boot — and otherwise by
    /// the wall clock.
    pub(crate) fn restore_received(
        &self,
        access_token: Secret,
        refresh_token: Option<Secret>,
        expires_at: Option<i64>,
        received: Option<Receipt>,
    ) -> Result<Tokens, Error> {
        check_token(Setting::Token, &access_token)?;
        let clock = self.inner.validation.get_clock();
        let elapsed = received
            .as_ref()
            .and_then(|r| Some((r.at, clock.boot()?.since(r.boot.as_ref()?)?)));
        let (now, received) = match (elapsed, received) {
            (Some((at, elapsed)), Some(received)) => (
                at.saturating_add(i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)),
                received,
            ),
            (_, received) => {
                let now = clock.now();
                (
                    now,
                    received.unwrap_or(Receipt {
                        at: now,
                        boot: None,
                    }),
                )
            }
        };
        let validation = self.inner.validation.clone().clock(Clock::Fixed(now));
        let claims = self.verify_with(&access_token, &validation, false)?;
        let expires_at = earliest(expires_at, claims.as_ref().and_then(Claims::exp));
        Ok(Tokens {
            access_token,
            refresh_token,
            id_token: None,
            scope: None,
            expires_in: None,
            expires_at,
            claims,
            received,
        })
    }

    /// Verifies `token` as this client verifies the access tokens it
    /// receives ([`Verification`]: the client secret, the provider's key
    /// set — fetched when needed — or keys given) with its
    /// [`Validation`], and returns its claims; `None` when the client takes
    /// access tokens as opaque (nothing is verified).
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    ///
    /// let provider = Provider::start()?;
    /// let client = ropc::Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
    /// let tokens = client.password_grant(DEMO_USERNAME, &DEMO_PASSWORD.into(), &[])?;
    /// let claims = client.verify_access_token(tokens.access_token())?.expect("a JWT");
    /// assert_eq!(claims.sub(), Some(DEMO_USERNAME));
    /// assert!(client.verify_access_token(&"not.a.token".into()).is_err());
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Jwt`] naming the failed check; with a JWKS URL, the errors
    /// of fetching the key set ([`Error::Transport`], [`Error::Response`]).
    pub fn verify_access_token(&self, token: &Secret) -> Result<Option<Claims>, Error> {
        self.verify(token)
    }

    fn verify(&self, access_token: &Secret) -> Result<Option<Claims>, Error> {
        self.verify_with(access_token, &self.inner.validation, false)
    }

    /// Verifies `access_token` with `validation`; `fetched`: the key set was
    /// fetched for this call already ([`Verifier::prefetch`]).
    fn verify_with(
        &self,
        access_token: &Secret,
        validation: &Validation,
        fetched: bool,
    ) -> Result<Option<Claims>, Error> {
        let inner = &self.inner;
        inner.verifier.claims(
            access_token,
            &inner.client_secret,
            validation,
            &self.fetch(fetched),
        )
    }

    /// What fetching the key set needs.
    fn fetch(&self, fetched: bool) -> Fetch<'_> {
        let inner = &self.inner;
        let clock = inner.validation.get_clock();
        Fetch {
            http: &inner.http,
            max: inner.max_response_size,
            retry: &inner.retry,
            // The cooldown is measured on the boot clock where there is
            // one: a wall clock set back or forward neither extends nor
            // ends it.
            now: clock.since_boot().map_or_else(
                || clock.now(),
                |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            ),
            fetched,
        }
    }

    /// The extra parameters, as form pairs.
    fn extra_params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner
            .extra_params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// What to keep out of anything shown of a reply to a request carrying
    /// `secret`: a provider may echo what it was sent ("wrong password
    /// 'hunter2'", an error page quoting the request), so that and the
    /// client's credentials are redacted.
    fn redactor(&self, secret: &Secret) -> Redactor {
        let inner = &self.inner;
        Redactor::for_request(
            &inner.client_id,
            inner.client_secret.expose_secret(),
            &[secret.expose_secret()],
        )
    }

    fn token_request<'a>(
        &'a self,
        pairs: Vec<(&'a str, &'a str)>,
        secret: &Secret,
        previous_refresh: Option<&Secret>,
    ) -> Result<Tokens, Error> {
        let inner = &self.inner;
        let redactor = self.redactor(secret);
        let clock = inner.validation.get_clock();
        // The provider's keys first, when none are cached: keys that cannot
        // be fetched fail the call before the grant is sent, not after the
        // provider acted on it (a refresh token rotated, and lost with an
        // answer that could not be verified).
        let fetched = inner.verifier.prefetch(&self.fetch(false))?;
        let (token, received) = inner.retry.run(false, || {
            let reply = self.post(&inner.token_url, pairs.clone(), Endpoint::Token)?;
            let received = Receipt {
                at: self.reference_time(clock.now(), reply.date),
                boot: clock.boot(),
            };
            match grant::interpret(&reply, &redactor) {
                Ok(token) => Ok((token, received)),
                Err(error) => Err(Failed {
                    error,
                    retry_after: wait_asked(&reply),
                }),
            }
        })?;
        // The time claims of a token just issued are checked against the
        // provider's clock when the local one disagrees with it.
        let validation = inner.validation.clone().clock(Clock::Fixed(received.at));
        let claims = self.verify_with(&token.access_token, &validation, fetched)?;
        let from_expires_in = token.expires_in.map(|s| {
            received
                .at
                .saturating_add(i64::try_from(s).unwrap_or(i64::MAX))
        });
        Ok(Tokens {
            access_token: token.access_token,
            refresh_token: token.refresh_token.or_else(|| previous_refresh.cloned()),
            id_token: token.id_token,
            scope: token.scope,
            expires_in: token.expires_in,
            expires_at: earliest(from_expires_in, claims.as_ref().and_then(Claims::exp)),
            claims,
            received,
        })
    }

    /// The time a token just received is checked against: the provider's
    /// (its answer's `Date`) when the local clock disagrees with it by more
    /// than the leeway — a device that booted in 1970, a clock that jumped
    /// — otherwise the local clock's.
    fn reference_time(&self, local: i64, date: Option<i64>) -> i64 {
        let leeway = self.inner.validation.get_leeway().as_secs();
        match date {
            Some(date) if date.abs_diff(local) > leeway => date,
            _ => local,
        }
    }

    /// POSTs `pairs` (plus the client credentials, the one way configured)
    /// to `url`, the body and the Basic header in zeroized buffers.
    fn post<'a>(
        &'a self,
        url: &str,
        mut pairs: Vec<(&'a str, &'a str)>,
        endpoint: Endpoint,
    ) -> Result<grant::Reply, Error> {
        let inner = &self.inner;
        let client_secret = inner.client_secret.expose_secret();
        match inner.auth {
            ClientAuth::Post => {
                pairs.push(("client_id", &inner.client_id));
                pairs.push(("client_secret", client_secret));
            }
            // A public client names itself, and proves nothing.
            ClientAuth::None => pairs.push(("client_id", &inner.client_id)),
            _ => {}
        }
        let body = form::encode(&pairs);
        let authorization = form::basic_authorization(&inner.client_id, client_secret, inner.auth);
        inner.http.post_form(
            url,
            body.as_bytes(),
            authorization,
            inner.max_response_size,
            endpoint,
        )
    }
}

/// What kind of token [`Client::revoke`] revokes (RFC 7009
/// `token_type_hint`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// A refresh token (and, at most providers, the access tokens issued
    /// with it).
    RefreshToken,
    /// An access token.
    AccessToken,
}

impl TokenTypeHint {
    /// The hint as sent: `refresh_token` or `access_token`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::RefreshToken => "refresh_token",
            TokenTypeHint::AccessToken => "access_token",
        }
    }
}

/// A token given to send (a refresh token, a token to revoke, a stored
/// access token): not empty, and RFC 6749's VSCHAR only (%x20-7E, what a
/// token can be) — anything else was not issued by a provider.
fn check_token(setting: Setting, token: &Secret) -> Result<(), Error> {
    if token.is_empty() {
        return Err(ConfigError::new(setting, "is empty").into());
    }
    if !crate::response::is_vschar(token.expose_secret()) {
        return Err(ConfigError::new(
            setting,
            "holds a character outside RFC 6749's VSCHAR (%x20-7E): no token does",
        )
        .into());
    }
    Ok(())
}

/// How long an answer asked to wait before the request is sent again
/// (`Retry-After`, a date measured against the answer's own `Date`).
fn wait_asked(reply: &grant::Reply) -> Option<std::time::Duration> {
    reply.retry_after.and_then(|r| r.wait(reply.date))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_space_joined() {
        assert_eq!(join_scopes(&["openid", "", "email"]), "openid email");
        assert_eq!(join_scopes(&[]), "");
    }

    #[test]
    fn earliest_prefers_the_known_and_the_sooner() {
        assert_eq!(earliest(Some(5), Some(3)), Some(3));
        assert_eq!(earliest(None, Some(3)), Some(3));
        assert_eq!(earliest(Some(5), None), Some(5));
        assert_eq!(earliest(None, None), None);
    }
}
