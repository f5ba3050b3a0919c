//! How a client verifies access tokens ([`Verification`]), and the provider's
//! published key set, fetched and cached (the one piece of state a client
//! keeps besides its connection pool).

use std::fmt;
#[cfg(feature = "asymmetric")]
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

#[cfg(feature = "asymmetric")]
use crate::error::Endpoint;
use crate::error::Error;
#[cfg(feature = "asymmetric")]
use crate::grant;
use crate::http::Http;
use crate::jwt::{self, Claims, Validation};
#[cfg(feature = "asymmetric")]
use crate::jwt::{JwtError, KeySet};
use crate::secret::Secret;

/// How long a client waits, after fetching a JWKS again for a token whose
/// `kid` it did not know, before it does so again: 5 minutes.
///
/// A client fetches the key set when it first needs it, and keeps it. A
/// token with a `kid` the set does not have makes it fetch the set again
/// (the provider may have rotated its keys) — at most once per cooldown:
/// until 5 minutes have passed since that fetch, further unknown `kid`s are
/// refused without a request. So a forged `kid`, however many tokens carry
/// one, costs the provider at most one extra request per 5 minutes, and one
/// `ropc` process fetches the key set at most twice. A fetch that is the
/// first of the call (the set was just fetched) is not repeated; a grant
/// (password or refresh) on a client that has no key set yet fetches it
/// before the grant is sent, so that keys that cannot be fetched fail the
/// call before the provider acts on it (a refresh token rotated, then lost
/// with an answer that could not be verified).
pub const JWKS_REFETCH_COOLDOWN: Duration = Duration::from_secs(5 * 60);

/// How a client verifies the access tokens it receives: chosen when it is
/// built ([`ClientBuilder::verification`](crate::ClientBuilder::verification)),
/// one of four.
///
/// | variant | verification |
/// | --- | --- |
/// | [`ClientSecret`](Verification::ClientSecret) (default) | HS256 with the client secret ([`jwt::verify`](crate::jwt::verify)) |
/// | `JwksUrl` (feature `asymmetric`) | RS256/384/512, PS256/384/512, ES256, ES384, EdDSA with the provider's published keys, fetched and cached |
/// | `Keys` (feature `asymmetric`) | the same algorithms with keys given in code or read from a file ([`KeySet`](crate::jwt::KeySet)) |
/// | [`Opaque`](Verification::Opaque) | none: the access token is not parsed or verified; [`Tokens::claims`](crate::Tokens::claims) is empty and the expiry comes from `expires_in` |
///
/// With a key set, the key decides the algorithm and HS256 is never
/// accepted (see [`KeySet`](crate::jwt::KeySet) for every rule).
///
/// ```
/// # #[cfg(feature = "asymmetric")] {
/// use ropc::{Client, Verification};
///
/// let client = Client::builder("https://id.example/oauth/token", "my-app", "client-secret")
///     .verification(Verification::JwksUrl("https://id.example/.well-known/jwks.json".into()))
///     .build()?;
/// # let _ = client;
/// # }
/// # Ok::<(), ropc::Error>(())
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Verification {
    /// HS256 with the client secret (the default, as providers such as
    /// Connect sign their tokens).
    #[default]
    ClientSecret,
    /// The provider's published keys (RFC 7517), fetched from this URL (the
    /// token URL's rules: `https`, plain `http` only to loopback) through the
    /// same request path as the grants (TLS, timeouts, no redirects, the
    /// response cap), cached by the client, and fetched again for an unknown
    /// `kid` at most once per [`JWKS_REFETCH_COOLDOWN`].
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    JwksUrl(String),
    /// Keys given in code or read from a file (a JWKS, one JWK, or PEM
    /// public keys), for devices provisioned with the provider's keys.
    #[cfg(feature = "asymmetric")]
    #[cfg_attr(docsrs, doc(cfg(feature = "asymmetric")))]
    Keys(KeySet),
    /// Opaque access tokens (Django OAuth Toolkit, node oauth2-server,
    /// Authlib by default): not parsed or verified at all — the resource
    /// server checks them. [`Tokens::claims`](crate::Tokens::claims) is then
    /// empty, and the expiry comes from `expires_in`.
    Opaque,
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verification::ClientSecret => f.write_str("ClientSecret"),
            #[cfg(feature = "asymmetric")]
            Verification::JwksUrl(url) => f.debug_tuple("JwksUrl").field(url).finish(),
            #[cfg(feature = "asymmetric")]
            Verification::Keys(keys) => f.debug_tuple("Keys").field(keys).finish(),
            Verification::Opaque => f.write_str("Opaque"),
        }
    }
}

/// A built client's verifier: the [`Verification`] with its state.
pub(crate) enum Verifier {
    ClientSecret,
    #[cfg(feature = "asymmetric")]
    Keys(KeySet),
    #[cfg(feature = "asymmetric")]
    Jwks(Jwks),
    Opaque,
}

impl Verifier {
    pub(crate) fn new(verification: Verification) -> Verifier {
        match verification {
            Verification::ClientSecret => Verifier::ClientSecret,
            #[cfg(feature = "asymmetric")]
            Verification::JwksUrl(url) => Verifier::Jwks(Jwks {
                url,
                cache: Mutex::new(Cache::default()),
            }),
            #[cfg(feature = "asymmetric")]
            Verification::Keys(keys) => Verifier::Keys(keys),
            Verification::Opaque => Verifier::Opaque,
        }
    }

    /// The JWKS URL, when keys are fetched.
    pub(crate) fn jwks_url(&self) -> Option<&str> {
        match self {
            #[cfg(feature = "asymmetric")]
            Verifier::Jwks(j) => Some(&j.url),
            _ => None,
        }
    }

    /// Fetches the provider's key set now when it will be needed and none
    /// is cached: called before a grant is sent, so that keys that cannot be
    /// fetched fail the call before the provider acts on it. Fetched after
    /// the grant instead, a failure would lose the answer — and with it a
    /// refresh token the provider has already rotated, whose predecessor,
    /// sent again, is reuse. Returns whether it fetched (the answer's token
    /// is then verified with this set, not fetched for again).
    pub(crate) fn prefetch(&self, fetch: &Fetch<'_>) -> Result<bool, Error> {
        match self {
            #[cfg(feature = "asymmetric")]
            Verifier::Jwks(jwks) => jwks.prefetch(fetch),
            _ => {
                let _ = fetch;
                Ok(false)
            }
        }
    }

    /// The verified claims of `token`; `None` for opaque tokens (not
    /// verified). `fetch` fetches the key set when it is needed.
    pub(crate) fn claims(
        &self,
        token: &Secret,
        client_secret: &Secret,
        validation: &Validation,
        fetch: &Fetch<'_>,
    ) -> Result<Option<Claims>, Error> {
        let token = token.expose_secret();
        match self {
            Verifier::ClientSecret => Ok(Some(jwt::verify(
                token,
                client_secret.expose_secret().as_bytes(),
                validation,
            )?)),
            #[cfg(feature = "asymmetric")]
            Verifier::Keys(keys) => Ok(Some(keys.verify(token, validation)?)),
            #[cfg(feature = "asymmetric")]
            Verifier::Jwks(jwks) => jwks.verify(token, validation, fetch).map(Some),
            Verifier::Opaque => {
                let _ = fetch;
                Ok(None)
            }
        }
    }
}

/// What fetching the key set needs from the client: its HTTP agent, the
/// response cap, and the clock the cooldown is measured on.
#[cfg_attr(not(feature = "asymmetric"), allow(dead_code))]
pub(crate) struct Fetch<'a> {
    pub(crate) http: &'a Http,
    pub(crate) max: usize,
    pub(crate) retry: &'a super::RetryPolicy,
    /// Now, in seconds, on the clock the cooldown is measured on.
    pub(crate) now: i64,
    /// The key set was fetched for this call already ([`Verifier::prefetch`]):
    /// a `kid` it lacks does not make it fetch again.
    pub(crate) fetched: bool,
}

/// A JWKS URL and what was last fetched from it.
#[cfg(feature = "asymmetric")]
pub(crate) struct Jwks {
    url: String,
    cache: Mutex<Cache>,
}

#[cfg(feature = "asymmetric")]
#[derive(Default)]
struct Cache {
    keys: Option<Arc<KeySet>>,
    /// When the key set was last fetched again for an unknown `kid`
    /// (successfully or not): the cooldown runs from there.
    refetched_at: Option<i64>,
}

#[cfg(feature = "asymmetric")]
impl Jwks {
    /// Verifies with the cached key set (fetched first when there is none);
    /// an unknown `kid` fetches it again, at most once per cooldown.
    fn verify(
        &self,
        token: &str,
        validation: &Validation,
        fetch: &Fetch<'_>,
    ) -> Result<Claims, Error> {
        // Held across the fetch: threads that need the keys meanwhile wait
        // for this fetch instead of sending their own.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let (keys, just_fetched) = match &cache.keys {
            Some(keys) => (keys.clone(), fetch.fetched),
            None => {
                // A token no key could verify (malformed, HS*, `none`) is
                // refused as such before the provider is asked for keys:
                // a set without any finds all that, and otherwise fails
                // choosing a key.
                if let Err(e) = KeySet::empty().verify(token, validation)
                    && !matches!(e, JwtError::UnknownKey | JwtError::NoKey)
                {
                    return Err(e.into());
                }
                (self.fetch(&mut cache, fetch)?, true)
            }
        };
        match keys.verify(token, validation) {
            Err(JwtError::UnknownKey)
                if !just_fetched && cooldown_over(cache.refetched_at, fetch.now) =>
            {
                drop(keys);
                // Counted before the request: a failed refetch starts the
                // cooldown too (a provider that is down is not asked again
                // for every token).
                cache.refetched_at = Some(fetch.now);
                let keys = self.fetch(&mut cache, fetch)?;
                Ok(keys.verify(token, validation)?)
            }
            other => Ok(other?),
        }
    }

    /// Fetches the key set when none is cached; whether it did.
    fn prefetch(&self, fetch: &Fetch<'_>) -> Result<bool, Error> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache.keys.is_some() {
            return Ok(false);
        }
        self.fetch(&mut cache, fetch)?;
        Ok(true)
    }

    fn fetch(&self, cache: &mut Cache, fetch: &Fetch<'_>) -> Result<Arc<KeySet>, Error> {
        // A GET changes nothing at the provider: any transient failure is
        // retried.
        let keys = fetch.retry.run(true, || {
            let reply = fetch.http.get(&self.url, fetch.max, Endpoint::Jwks)?;
            grant::interpret_key_set(&reply).map_err(|error| super::Failed {
                error,
                retry_after: reply.retry_after.and_then(|r| r.wait(reply.date)),
            })
        })?;
        let keys = Arc::new(keys);
        cache.keys = Some(keys.clone());
        Ok(keys)
    }
}

/// Whether the cooldown since `last` is over at `now`. A clock that went
/// backwards (before `last`) restarts the cooldown rather than ending it.
#[cfg(feature = "asymmetric")]
fn cooldown_over(last: Option<i64>, now: i64) -> bool {
    let cooldown = i64::try_from(JWKS_REFETCH_COOLDOWN.as_secs()).unwrap_or(i64::MAX);
    last.is_none_or(|last| now >= last.saturating_add(cooldown))
}

#[cfg(test)]
#[cfg(feature = "asymmetric")]
mod tests {
    use super::*;

    #[test]
    fn the_cooldown_is_five_minutes_from_the_last_fetch() {
        assert!(cooldown_over(None, 0));
        assert!(!cooldown_over(Some(1000), 1000));
        assert!(!cooldown_over(Some(1000), 1299));
        assert!(cooldown_over(Some(1000), 1300));
        // A clock set back does not end it.
        assert!(!cooldown_over(Some(1000), 10));
    }
}
