//! [`ProviderBuilder`]: what the provider knows and how it behaves, and
//! starting it.

use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::Digest;

use super::{Acceptor, Config, Misbehavior, Provider, Shared, State, server};
use crate::jwt::Clock;
use crate::secret::Secret;

/// Configures a [`Provider`]; made by [`Provider::builder`].
pub struct ProviderBuilder {
    config: Config,
    acceptor: Option<Acceptor>,
    host: String,
}

impl ProviderBuilder {
    pub(super) fn new() -> Self {
        ProviderBuilder {
            config: Config::default(),
            acceptor: None,
            host: "127.0.0.1".into(),
        }
    }

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
                .spawn(move || server::accept_loop(&listener, &shared, acceptor.as_ref()))?
        };
        Ok(Provider {
            shared,
            addr,
            url,
            thread: Some(thread),
        })
    }
}
