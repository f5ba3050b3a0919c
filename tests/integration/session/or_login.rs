//! `Session::access_token_or_login`: one call, the password only when
//! needed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use ropc::jwt::Clock;
use ropc::testing::{Misbehavior, Provider};
use ropc::{Error, ErrorCode, FileStore, ManualClock, RetryPolicy, Secret, Session, TokenStore};

use crate::common;
use crate::common::tempdir;

use super::{CREDS, FlakyStore, PASSWORD, USER};

/// A provider and a client of it on one manual clock, with no retries
/// (a refused connection fails at once: no test sleeps), and a store.
struct OrLogin {
    clock: ManualClock,
    provider: Option<Provider>,
    store: FileStore,
    /// The store's directory, removed when the test's `OrLogin` is dropped.
    dir: tempfile::TempDir,
}

impl OrLogin {
    fn new(name: &str) -> OrLogin {
        OrLogin::on_port(name, 0)
    }

    /// As [`OrLogin::new`], the provider on `port` (0: a free one).
    fn on_port(name: &str, port: u16) -> OrLogin {
        let clock = ManualClock::new(common::now());
        let dir = tempdir(name);
        let mut d = OrLogin {
            clock,
            provider: None,
            store: FileStore::new(dir.path().join("tokens")),
            dir,
        };
        d.start(port);
        d
    }

    /// Starts the provider on `port` (0: a free one): a new provider, whose
    /// refresh tokens know none issued before.
    fn start(&mut self, port: u16) {
        drop(self.provider.take());
        let p = CREDS
            .provider_builder()
            .token_lifetime(Duration::from_secs(300))
            .clock(Clock::Manual(self.clock.clone()))
            .port(port)
            .start()
            .unwrap();
        self.provider = Some(p);
    }

    fn p(&self) -> &Provider {
        self.provider.as_ref().unwrap()
    }

    /// A session on the store, as a new process opens it.
    fn session(&self) -> Session {
        let client = CREDS
            .client_builder(self.p())
            .clock(Clock::Manual(self.clock.clone()))
            .retry(RetryPolicy::none())
            .build()
            .unwrap();
        Session::with_store_for(client, self.store.clone(), USER).unwrap()
    }

    /// Past any refresh point of a 300 s token (at most 240 s after its
    /// receipt), not past its expiry.
    fn until_refresh_is_due(&self) {
        self.clock.advance(Duration::from_secs(250));
    }
}

/// How many password grants `p` received.
fn password_grants(p: &Provider) -> usize {
    p.records()
        .iter()
        .filter(|r| r.grant_type.as_deref() == Some("password"))
        .count()
}

/// A password source that counts the times it is asked.
fn counting(asked: &AtomicUsize) -> impl FnOnce() -> Result<Secret, Error> + '_ {
    move || {
        asked.fetch_add(1, Ordering::SeqCst);
        Ok(Secret::from(PASSWORD))
    }
}

#[test]
fn or_login_asks_for_the_password_once_then_lives_on_the_store() {
    let d = OrLogin::new("or-login-first");
    let asked = AtomicUsize::new(0);
    // First run: no store. The password is asked for once and sent once.
    assert!(d.store.load().unwrap().is_none());
    let session = d.session();
    let first = session
        .access_token_or_login(USER, &["openid"], counting(&asked))
        .unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(password_grants(d.p()), 1);
    let stored = d.store.load().unwrap().unwrap();
    assert_eq!(stored.access_token.as_ref(), Some(&first));
    assert!(stored.refresh_token.is_some());
    assert_eq!(stored.username.as_deref(), Some(USER));
    assert_eq!(
        d.p().records().last().unwrap().scope.as_deref(),
        Some("openid")
    );

    // The same session again, and a new process: the token, no password.
    let again = session
        .access_token_or_login(USER, &["openid"], counting(&asked))
        .unwrap();
    assert_eq!(again, first);
    let next_run = d.session();
    let from_store = next_run
        .access_token_or_login(USER, &["openid"], counting(&asked))
        .unwrap();
    assert_eq!(from_store, first);
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(d.p().requests(), 1);

    // Its refresh point comes: refreshed, still no password.
    d.until_refresh_is_due();
    let refreshed = next_run
        .access_token_or_login(USER, &["openid"], counting(&asked))
        .unwrap();
    assert_ne!(refreshed, first);
    assert_eq!(d.p().refresh_grants(), 1);
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(password_grants(d.p()), 1);
    assert_eq!(
        d.store.load().unwrap().unwrap().access_token.as_ref(),
        Some(&refreshed)
    );
}

#[test]
fn or_login_logs_in_again_once_when_a_restarted_provider_forgot_the_refresh_token() {
    // A port below the kernel's ephemeral range: a port the provider got
    // from the kernel (port 0) could be taken, between the two providers, as
    // the local port of a connection another test of this binary opens.
    let mut d = OrLogin::on_port("or-login-restart", port_below_ephemeral_range());
    let asked = AtomicUsize::new(0);
    let first = d
        .session()
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    let dead = d.store.load().unwrap().unwrap().refresh_token.unwrap();

    // The provider restarts on the same port (the store's token URL): the
    // stored session survives, its access token used until due, no request.
    let port = d.p().addr().port();
    d.start(port);
    assert_eq!(d.p().addr().port(), port);
    let session = d.session();
    assert_eq!(
        session
            .access_token_or_login(USER, &[], counting(&asked))
            .unwrap(),
        first
    );
    assert_eq!(d.p().requests(), 0);

    // Due: the refresh is refused (the new provider never issued that
    // token), so the password is asked for, once, and a login sent.
    d.until_refresh_is_due();
    let token = session
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    assert_ne!(token, first);
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(d.p().refresh_grants(), 1);
    assert_eq!(password_grants(d.p()), 1);
    let grants: Vec<_> = d.p().records().into_iter().map(|r| r.grant_type).collect();
    assert_eq!(
        grants,
        [
            Some("refresh_token".to_owned()),
            Some("password".to_owned())
        ]
    );
    // The store holds the new provider's tokens, which live on.
    let stored = d.store.load().unwrap().unwrap();
    assert_eq!(stored.access_token.as_ref(), Some(&token));
    assert_ne!(stored.refresh_token.as_ref(), Some(&dead));
    d.until_refresh_is_due();
    let next_run = d.session();
    next_run
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    assert_eq!(d.p().refresh_grants(), 2);
    assert_eq!(asked.load(Ordering::SeqCst), 2);
}

#[test]
fn or_login_asks_no_password_when_the_provider_cannot_be_reached_or_is_down() {
    let d = OrLogin::new("or-login-down");
    let asked = AtomicUsize::new(0);
    let session = d.session();
    session
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    let refresh = d.store.load().unwrap().unwrap().refresh_token.unwrap();
    d.until_refresh_is_due();

    // Connection refused (the next run, whose client holds no open
    // connection): a transport error, no password asked or sent, the
    // refresh token kept.
    d.p().refuse_connections();
    let err = d
        .session()
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    d.p().accept_connections();

    // A provider that answers, but is down or refuses the client: that
    // error, and no password either.
    let json = |status: u16, body: &str| Misbehavior::Reply {
        status,
        content_type: "application/json".into(),
        body: body.into(),
    };
    let answers = [
        Misbehavior::Unavailable {
            status: 503,
            retry_after: None,
        },
        Misbehavior::Html502,
        json(400, r#"{"error":"temporarily_unavailable"}"#),
        json(401, r#"{"error":"invalid_client"}"#),
    ];
    for m in answers {
        d.p().misbehave_next(1, m.clone());
        let err = session
            .access_token_or_login(USER, &[], counting(&asked))
            .unwrap_err();
        assert_ne!(err, Error::LoginRequired, "{m:?}");
        assert!(
            !matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidGrant),
            "{m:?}: {err:?}"
        );
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(password_grants(d.p()), 1);
    assert_eq!(
        d.store.load().unwrap().unwrap().refresh_token.as_ref(),
        Some(&refresh)
    );

    // Back up: the kept refresh token serves, still no password.
    session
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(password_grants(d.p()), 1);
}

/// An application's own error: its password source's failures, and ropc's.
#[derive(Debug)]
enum AppError {
    NoPassword,
    Io(std::io::Error),
    Ropc(Error),
}

impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        AppError::Ropc(e)
    }
}

#[test]
fn or_login_returns_the_password_sources_error_as_it_is_and_sends_nothing() {
    let d = OrLogin::new("or-login-source");
    let session = d.session();
    let err = session
        .access_token_or_login(USER, &[], || Err(AppError::NoPassword))
        .unwrap_err();
    assert!(matches!(err, AppError::NoPassword), "{err:?}");
    let missing = d.dir.path().join("no-such-password-file");
    let err = session
        .access_token_or_login(USER, &[], || {
            Secret::from_file(&missing).map_err(AppError::Io)
        })
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Io(e) if e.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
    assert_eq!(d.p().requests(), 0);
    assert!(d.store.load().unwrap().is_none());
    assert!(!session.is_logged_in());

    // ropc's own errors come back in the application's type too: a refused
    // password is sent once, asked for once, and not asked for again.
    let asked = AtomicUsize::new(0);
    let err = session
        .access_token_or_login(USER, &[], || {
            asked.fetch_add(1, Ordering::SeqCst);
            Ok::<_, AppError>(Secret::from("not-the-password"))
        })
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Ropc(Error::OAuth(e)) if e.response.code == ErrorCode::InvalidGrant),
        "{err:?}"
    );
    assert!(!format!("{err:?}").contains("not-the-password"));
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(password_grants(d.p()), 1);
    assert!(d.store.load().unwrap().is_none());
}

#[test]
fn or_login_never_hands_out_or_replaces_another_users_tokens() {
    let d = OrLogin::new("or-login-user");
    let asked = AtomicUsize::new(0);
    d.session()
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    let before = d.store.load().unwrap().unwrap();

    // Bound to erin, asked for mallory: refused before anything.
    let err = d
        .session()
        .access_token_or_login("mallory", &[], counting(&asked))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.to_string().contains(r#"for user "erin", not "mallory""#)),
        "{err:?}"
    );
    // Not bound, but the store is erin's: her token is not mallory's, held
    // or refreshed.
    let client = CREDS
        .client_builder(d.p())
        .clock(Clock::Manual(d.clock.clone()))
        .build()
        .unwrap();
    let unbound = Session::with_store(client, d.store.clone()).unwrap();
    for _ in 0..2 {
        let err = unbound
            .access_token_or_login("mallory", &[], counting(&asked))
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(e) if e.to_string().contains(r#"user "erin"'s, not "mallory"'s"#)),
            "{err:?}"
        );
        d.until_refresh_is_due();
    }
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(d.p().requests(), 1);
    let after = d.store.load().unwrap().unwrap();
    assert_eq!(after.refresh_token, before.refresh_token);
    assert_eq!(after.username.as_deref(), Some(USER));
    // For erin it serves.
    unbound
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 1);
}

#[test]
fn or_login_from_many_threads_asks_for_the_password_once() {
    let d = OrLogin::new("or-login-threads");
    let session = d.session();
    let asked = AtomicUsize::new(0);
    let tokens: Vec<Secret> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| session.access_token_or_login(USER, &[], counting(&asked))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(password_grants(d.p()), 1);
    assert!(tokens.iter().all(|t| *t == tokens[0]));
}

#[test]
fn or_login_hands_out_tokens_it_could_not_save_on_the_next_call_without_asking_again() {
    let d = OrLogin::new("or-login-unsaved");
    let failing = Arc::new(AtomicBool::new(true));
    let client = CREDS
        .client_builder(d.p())
        .clock(Clock::Manual(d.clock.clone()))
        .build()
        .unwrap();
    let store = FlakyStore {
        inner: d.store.clone(),
        failing: failing.clone(),
    };
    let session = Session::with_store_for(client, store, USER).unwrap();
    let asked = AtomicUsize::new(0);
    let err = session
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap_err();
    assert!(matches!(err, Error::Store(_)), "{err:?}");
    assert!(session.has_unsaved_tokens());
    // Still failing: the store error again, no second login.
    let err = session
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap_err();
    assert!(matches!(err, Error::Store(_)), "{err:?}");
    failing.store(false, Ordering::SeqCst);
    let token = session
        .access_token_or_login(USER, &[], counting(&asked))
        .unwrap();
    assert_eq!(
        Some(&token),
        session.tokens().as_ref().map(|t| t.access_token())
    );
    assert_eq!(
        d.store.load().unwrap().unwrap().access_token.as_ref(),
        Some(&token)
    );
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(password_grants(d.p()), 1);
}

/// A free port on 127.0.0.1 below the kernel's ephemeral port range (which
/// `connect` draws local ports from), so that only a listener asking for it
/// by number can take it.
fn port_below_ephemeral_range() -> u16 {
    let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    let start = 10_000u16.min(low.saturating_sub(1_000));
    let span = u32::from(low - start);
    let offset = std::process::id() % span;
    (0..span)
        .map(|i| start + u16::try_from((offset + i) % span).unwrap())
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port below the ephemeral range")
}
