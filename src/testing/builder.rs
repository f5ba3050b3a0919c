//! [`ProviderBuilder`]: what the provider knows and how it behaves, and
//! starting it.

use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::Digest;

use super::keys::KeyRing;
use super::{Acceptor, Config, DateHeader, Misbehavior, Provider, Shared, Signing, State, server};
use crate::jwt::Clock;
use crate::secret::Secret;

/// Configures a [`Provider`]; made by [`Provider::builder`].
pub struct ProviderBuilder {
    config: Config,
    acceptor: Option<Acceptor>,
    host: String,
    port: u16,
}

impl ProviderBuilder {
    pub(super) fn new() -> Self {
        ProviderBuilder {
            config: Config::default(),
            acceptor: None,
            host: "127.0.0.1".into(),
            port: 0,
        }
    }

    /// Registers a confidential client: its id and secret (under
    /// [`Signing::Hs256`], the key its tokens are signed with).
    #[must_use]
    pub fn client(mut self, id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        self.config.clients.push((id.into(), secret.into()));
        self
    }

    /// Registers a public client (RFC 6749 §2.1): one with no secret, that
    /// authenticates by sending its `client_id` in the body and no
    /// `Authorization` header (§2.3; RFC 7591 calls it `none`). Sending a
    /// Basic header or a `client_secret` as well is `invalid_client`. With
    /// no secret to sign HS256 with, a public client needs an asymmetric
    /// [`signing`](Self::signing), or [opaque access
    /// tokens](Self::opaque_access_tokens) and no id tokens.
    ///
    /// ```
    /// use ropc::testing::{Provider, SeenAuth};
    ///
    /// let provider = Provider::builder()
    ///     .public_client("cli-app")
    ///     .opaque_access_tokens(true)
    ///     .user("alice", "wonderland")
    ///     .start()?;
    /// let agent: ureq::Agent = ureq::Agent::config_builder()
    ///     .http_status_as_error(false)
    ///     .build()
    ///     .into();
    /// let grant = [
    ///     ("grant_type", "password"),
    ///     ("username", "alice"),
    ///     ("password", "wonderland"),
    ///     ("client_id", "cli-app"),
    /// ];
    /// let answer = agent.post(provider.url()).send_form(grant)?;
    /// assert_eq!(answer.status(), 200);
    /// assert_eq!(provider.records()[0].auth, SeenAuth::Public);
    ///
    /// // With a secret as well, it is refused.
    /// let with_secret = grant.into_iter().chain([("client_secret", "guess")]);
    /// let answer = agent.post(provider.url()).send_form(with_secret)?;
    /// assert_eq!(answer.status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn public_client(mut self, id: impl Into<String>) -> Self {
        self.config.public_clients.push(id.into());
        self
    }

    /// How access tokens (and id tokens) are signed (default
    /// [`Signing::Hs256`] with the client secret). The asymmetric kinds
    /// publish their keys at [`Provider::jwks_url`] and put the key's `kid`
    /// in each token's header.
    ///
    /// ```
    /// # #[cfg(feature = "asymmetric")] {
    /// use ropc::testing::{Provider, Signing};
    ///
    /// let provider = Provider::builder()
    ///     .client("my-app", "client-secret")
    ///     .user("alice", "wonderland")
    ///     .signing(Signing::Rs256)
    ///     .start()?;
    /// let jwks = ureq::get(provider.jwks_url()).call()?.body_mut().read_to_string()?;
    /// assert_eq!(jwks, provider.jwks_json());
    /// let jwks: serde_json::Value = serde_json::from_str(&jwks)?;
    /// let key = &jwks["keys"][0];
    /// assert_eq!(key["kty"], "RSA");
    /// assert_eq!(key["alg"], "RS256");
    /// assert_eq!(key["use"], "sig");
    /// assert_eq!(key["kid"].as_str(), provider.signing_kid().as_deref());
    /// assert_eq!(provider.jwks_requests(), 1);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn signing(mut self, signing: Signing) -> Self {
        self.config.signing = signing;
        self
    }

    /// Whether access tokens are opaque (default `false`: JWTs): random
    /// strings like RFC 6749's `2YotnFZFEjr1zCsicMWpAA`, as Django OAuth
    /// Toolkit, node oauth2-server or Authlib issue by default. The provider
    /// remembers those it issued: the protected resource
    /// ([`Provider::userinfo_url`]) answers them with the claims a JWT would
    /// have carried until they expire, and revoking one ends it.
    ///
    /// ```
    /// use ropc::testing::Provider;
    ///
    /// let provider = Provider::builder()
    ///     .client("my-app", "client-secret")
    ///     .user("alice", "wonderland")
    ///     .opaque_access_tokens(true)
    ///     .start()?;
    /// let grant = [("grant_type", "password"), ("username", "alice"), ("password", "wonderland")];
    /// let body = ureq::post(provider.url())
    ///     .header("Authorization", "Basic bXktYXBwOmNsaWVudC1zZWNyZXQ=") // my-app:client-secret
    ///     .send_form(grant)?
    ///     .body_mut()
    ///     .read_to_string()?;
    /// let answer: serde_json::Value = serde_json::from_str(&body)?;
    /// let token = answer["access_token"].as_str().unwrap();
    /// assert!(!token.contains('.')); // not a JWT
    ///
    /// let claims = ureq::get(provider.userinfo_url())
    ///     .header("Authorization", format!("Bearer {token}"))
    ///     .call()?
    ///     .body_mut()
    ///     .read_to_string()?;
    /// assert!(claims.contains(r#""sub":"alice""#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn opaque_access_tokens(mut self, opaque: bool) -> Self {
        self.config.opaque_access_tokens = opaque;
        self
    }

    /// Makes the password and refresh grants require the parameter `name`
    /// with exactly `value`, as Auth0 requires `audience` (or `realm`): a
    /// grant without it, or with another value, is `400 invalid_request`
    /// naming it. Can be called for several parameters. What a request sent
    /// shows in [`RequestRecord::extra_params`](super::RequestRecord::extra_params).
    ///
    /// ```
    /// use ropc::testing::Provider;
    ///
    /// let provider = Provider::builder()
    ///     .client("my-app", "client-secret")
    ///     .user("alice", "wonderland")
    ///     .require_param("audience", "https://api.example")
    ///     .start()?;
    /// let agent: ureq::Agent = ureq::Agent::config_builder()
    ///     .http_status_as_error(false)
    ///     .build()
    ///     .into();
    /// let grant = [("grant_type", "password"), ("username", "alice"), ("password", "wonderland")];
    /// let send = |form: &[(&str, &str)]| {
    ///     agent
    ///         .post(provider.url())
    ///         .header("Authorization", "Basic bXktYXBwOmNsaWVudC1zZWNyZXQ=") // my-app:client-secret
    ///         .send_form(form.iter().copied())
    /// };
    /// let mut refused = send(&grant)?;
    /// assert_eq!(refused.status(), 400);
    /// assert!(refused.body_mut().read_to_string()?.contains("audience"));
    ///
    /// let with_audience = [&grant[..], &[("audience", "https://api.example")]].concat();
    /// assert_eq!(send(&with_audience)?.status(), 200);
    /// let sent = &provider.records()[1].extra_params;
    /// assert_eq!(sent, &[("audience".to_owned(), "https://api.example".to_owned())]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn require_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config
            .required_params
            .push((name.into(), value.into()));
        self
    }

    /// Whether token responses also carry an `id_token` (default `false`):
    /// a JWT signed like the access tokens, with `iss`, `sub`, `aud` (the
    /// client id), `exp` and `iat` (OpenID Connect Core §2). It is no access
    /// token: the protected resource refuses it.
    ///
    /// ```
    /// use ropc::testing::Provider;
    ///
    /// let provider = Provider::builder()
    ///     .client("my-app", "client-secret")
    ///     .user("alice", "wonderland")
    ///     .id_tokens(true)
    ///     .start()?;
    /// let grant = [("grant_type", "password"), ("username", "alice"), ("password", "wonderland")];
    /// let body = ureq::post(provider.url())
    ///     .header("Authorization", "Basic bXktYXBwOmNsaWVudC1zZWNyZXQ=") // my-app:client-secret
    ///     .send_form(grant)?
    ///     .body_mut()
    ///     .read_to_string()?;
    /// let answer: serde_json::Value = serde_json::from_str(&body)?;
    /// // HS256 with the client secret, as the access token.
    /// let validation = ropc::Validation::default().audience("my-app");
    /// let id = ropc::jwt::verify(answer["id_token"].as_str().unwrap(), b"client-secret", &validation)?;
    /// assert_eq!(id.sub(), Some("alice"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn id_tokens(mut self, issue: bool) -> Self {
        self.config.id_tokens = issue;
        self
    }

    /// Whether refresh tokens (and opaque access tokens) are awkward
    /// (default `false`): strings of every kind of RFC 6749 VSCHAR
    /// (`%x20-7E`) — spaces (two in a row among them), `"`, `\`, `%`
    /// (and a literal `%2B`), `+`, `=`, `&`, `#`, `'`, `:`, `;`, `,` — and
    /// for refresh tokens a space at each end, so that a client's form
    /// encoding, JSON, token store and command line can be shown to keep
    /// them exactly. An access token has no space at its ends: it has to go
    /// in an `Authorization` header, whose value cannot begin or end with
    /// one (RFC 9110 §5.5).
    ///
    /// ```
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    ///
    /// let provider = Provider::builder()
    ///     .client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    ///     .user(DEMO_USERNAME, DEMO_PASSWORD)
    ///     .awkward_tokens(true)
    ///     .start()?;
    /// let client = ropc::Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
    /// let tokens = client.password_grant(DEMO_USERNAME, &DEMO_PASSWORD.into(), &[])?;
    /// let refresh = tokens.refresh_token().unwrap().expose_secret();
    /// assert!(refresh.starts_with(' ') && refresh.contains(r#""\%2B+=&#'"#));
    /// // Sent back exactly (form-encoded), it is accepted.
    /// client.refresh(&tokens)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn awkward_tokens(mut self, awkward: bool) -> Self {
        self.config.awkward_tokens = awkward;
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
    /// sequence of refresh tokens, opaque access tokens and `kid`s (with a
    /// [`Clock::Fixed`] clock, HS256 access tokens are reproducible anyway;
    /// ES256 and Ed25519 keys are new at every start). For tests that must know a token
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

    /// The `Date` header of every answer (default [`DateHeader::Clock`]:
    /// the provider's clock), or none.
    #[must_use]
    pub fn date(mut self, date: DateHeader) -> Self {
        self.config.date = date;
        self
    }

    /// Refresh token reuse detection, as Auth0, Okta and Keycloak do it
    /// with rotating refresh tokens (default off): a refresh token that
    /// comes back after it was rotated away revokes every refresh token of
    /// its family (those descended from the same login), and is answered
    /// `invalid_grant`. [`Provider::reuse_detections`] counts them.
    ///
    /// ```
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    ///
    /// let provider = Provider::builder()
    ///     .client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    ///     .user(DEMO_USERNAME, DEMO_PASSWORD)
    ///     .detect_refresh_token_reuse(true)
    ///     .start()?;
    /// let client = ropc::Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
    /// let first = client.password_grant(DEMO_USERNAME, &DEMO_PASSWORD.into(), &[])?;
    /// let second = client.refresh(&first)?; // rotates
    /// assert!(client.refresh(&first).is_err()); // the old one again: reuse
    /// assert_eq!(provider.reuse_detections(), 1);
    /// assert!(client.refresh(&second).is_err()); // the whole family is gone
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn detect_refresh_token_reuse(mut self, detect: bool) -> Self {
        self.config.detect_reuse = detect;
        self
    }

    /// The port to bind on 127.0.0.1 (default 0: a free one). A test that
    /// restarts its provider on the same port keeps the URLs a stored
    /// session was made for.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The host name used in [`Provider::url`] (default `127.0.0.1`; a TLS
    /// certificate usually names `localhost`). It must resolve to 127.0.0.1.
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// Binds 127.0.0.1 on a free port, makes the signing key, and starts
    /// serving.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a configuration no provider could serve: a public
    /// client under [`Signing::Hs256`] without opaque access tokens, or with
    /// id tokens (there is no secret to sign them with); a client id
    /// registered both as public and with a secret; a required parameter
    /// that is one of the grant's own (`grant_type`, `username`,
    /// `password`, `scope`, `client_id`, `client_secret`, `refresh_token`,
    /// `token`, `token_type_hint`). Otherwise, when the socket cannot be
    /// bound or ring cannot make a key.
    pub fn start(self) -> io::Result<Provider> {
        check(&self.config)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))?;
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
        let keys = KeyRing::new(self.config.signing, seed)?;
        let shared = Arc::new(Shared {
            config: Mutex::new(self.config),
            state: Mutex::new(State::default()),
            refusing: Mutex::new((false, false)),
            listener_changed: std::sync::Condvar::new(),
            keys: Mutex::new(keys),
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
                .spawn(move || server::accept_loop(listener, &shared, acceptor.as_ref()))?
        };
        Ok(Provider {
            shared,
            addr,
            url,
            thread: Some(thread),
        })
    }
}

/// The names of the grant's own parameters: never required extras, never
/// recorded as extras.
pub(super) const OWN_PARAMS: [&str; 9] = [
    "grant_type",
    "username",
    "password",
    "scope",
    "client_id",
    "client_secret",
    "refresh_token",
    "token",
    "token_type_hint",
];

/// Refuses a configuration no provider could serve.
fn check(config: &Config) -> io::Result<()> {
    let invalid = |why: String| Err(io::Error::new(io::ErrorKind::InvalidInput, why));
    for id in &config.public_clients {
        if config.clients.iter().any(|(cid, _)| cid == id) {
            return invalid(format!(
                "client {id:?} is registered both as a public client and with a secret"
            ));
        }
        if config.signing == Signing::Hs256 && (!config.opaque_access_tokens || config.id_tokens) {
            return invalid(format!(
                "public client {id:?} has no secret to sign HS256 tokens with: choose an \
                 asymmetric ProviderBuilder::signing, or opaque_access_tokens(true) without \
                 id_tokens"
            ));
        }
    }
    for (name, _) in &config.required_params {
        if OWN_PARAMS.contains(&name.as_str()) {
            return invalid(format!(
                "{name:?} is a parameter of the grant itself, not one to require"
            ));
        }
    }
    Ok(())
}
