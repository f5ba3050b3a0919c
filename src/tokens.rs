//! [`Tokens`]: what a grant or a refresh returns.

use std::fmt;
use std::time::Duration;

use crate::jwt::Claims;
use crate::secret::Secret;

/// Tokens from one successful grant or refresh, with the access token
/// verified. Every token is a [`Secret`], wiped on drop.
///
/// A token is any RFC 6749 VSCHAR string (`%x20-7E`, spaces included), and
/// the store keeps every such token; a response with anything else in a
/// token is malformed ([`Error::Response`](crate::Error::Response)) before
/// the token is used.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
///
/// let provider = Provider::start()?;
/// let client = ropc::Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
/// let tokens = client.password_grant(DEMO_USERNAME, &DEMO_PASSWORD.into(), &["openid"])?;
/// let header = tokens.access_token().bearer(); // "Bearer eyJ…", wiped on drop
/// assert!(header.expose_secret().starts_with("Bearer eyJ"));
/// assert_eq!(tokens.expires_in(), Some(3600));
/// assert_eq!(tokens.scope(), Some("openid"));
/// assert_eq!(tokens.claims().sub(), Some(DEMO_USERNAME));
/// let next = tokens.refresh_token().expect("the demo provider issues one");
/// assert!(!next.is_empty());
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Tokens {
    pub(crate) access_token: Secret,
    pub(crate) refresh_token: Option<Secret>,
    pub(crate) id_token: Option<Secret>,
    pub(crate) scope: Option<String>,
    pub(crate) expires_in: Option<u64>,
    pub(crate) expires_at: Option<i64>,
    /// `None` for an opaque access token (not parsed or verified).
    pub(crate) claims: Option<Claims>,
    pub(crate) received: Receipt,
}

/// When tokens were received: on the wall clock (the provider's, by its
/// answer's `Date`, when the local one disagreed with it), and on the boot
/// clock when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Receipt {
    pub(crate) at: i64,
    pub(crate) boot: Option<crate::clock::BootTime>,
}

/// What [`Tokens::claims`] gives for an opaque access token.
static NO_CLAIMS: std::sync::LazyLock<Claims> = std::sync::LazyLock::new(Claims::empty);

impl Tokens {
    /// The verified access token (for `Authorization: Bearer …`).
    #[must_use]
    pub fn access_token(&self) -> &Secret {
        &self.access_token
    }

    /// The refresh token to use next: the rotated one when the provider sent
    /// one, otherwise the one the refresh was made with.
    #[must_use]
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// The OpenID Connect ID token, when the provider sent one: kept and
    /// passed on, never verified by ropc (it is for the application, which
    /// knows its nonce).
    #[must_use]
    pub fn id_token(&self) -> Option<&Secret> {
        self.id_token.as_ref()
    }

    /// The granted scope, when the provider said.
    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// `expires_in` as the provider sent it.
    #[must_use]
    pub fn expires_in(&self) -> Option<u64> {
        self.expires_in
    }

    /// The access token's verified claims. An opaque access token
    /// ([`Verification::Opaque`](crate::Verification::Opaque)) is not
    /// parsed or verified: it has none (an empty set; see
    /// [`is_verified`](Self::is_verified)).
    #[must_use]
    pub fn claims(&self) -> &Claims {
        self.claims.as_ref().unwrap_or(&NO_CLAIMS)
    }

    /// Whether the access token was verified and its claims read: `false`
    /// only for an opaque access token
    /// ([`Verification::Opaque`](crate::Verification::Opaque)).
    #[must_use]
    pub fn is_verified(&self) -> bool {
        self.claims.is_some()
    }

    /// When the access token expires, in seconds since the Unix epoch: the
    /// time it was received plus `expires_in`, bounded by the token's `exp`
    /// (an opaque token has only `expires_in`). `None` when neither is
    /// known.
    #[must_use]
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at
    }

    /// When the tokens were received, in seconds since the Unix epoch: by
    /// the provider's clock (its answer's `Date`) when the local clock
    /// disagreed with it by more than the leeway, otherwise by the local
    /// clock. `expires_at` counts from here.
    #[must_use]
    pub fn received_at(&self) -> i64 {
        self.received.at
    }

    /// How long the access token lives from its receipt: until
    /// [`expires_at`](Self::expires_at), counted from
    /// [`received_at`](Self::received_at). `None` when its expiry is not
    /// known.
    #[must_use]
    pub fn lifetime(&self) -> Option<Duration> {
        let secs = self.expires_at?.saturating_sub(self.received.at);
        Some(Duration::from_secs(secs.max(0).unsigned_abs()))
    }

    /// Whether the access token expires within `skew` of `now` (seconds
    /// since the Unix epoch, e.g. `ropc::jwt::Clock::System.now()` or the
    /// client's validation clock). A token without a known expiry never does.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use std::time::Duration;
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    ///
    /// let provider = Provider::start()?;
    /// let client = ropc::Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
    /// let tokens = client.password_grant(DEMO_USERNAME, &DEMO_PASSWORD.into(), &[])?;
    /// let now = client.validation().get_clock().now();
    /// assert!(!tokens.expires_within(Duration::from_secs(60), now)); // valid for an hour
    /// assert!(tokens.expires_within(Duration::from_secs(2 * 3600), now));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expires_within(&self, skew: Duration, now: i64) -> bool {
        let skew = i64::try_from(skew.as_secs()).unwrap_or(i64::MAX);
        self.expires_at
            .is_some_and(|at| now.saturating_add(skew) >= at)
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("id_token", &self.id_token)
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .field("expires_at", &self.expires_at)
            .field("received_at", &self.received.at)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}
