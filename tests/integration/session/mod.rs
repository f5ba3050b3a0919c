//! Sessions against the loopback provider with a clock the tests move (no
//! long sleeps), by job: the tokens over time (`refresh`), the file store
//! under a session (`store`), many callers and processes at once
//! (`concurrency`), the `ropc access`/`ropc logout` commands (`cli`) and
//! `Session::access_token_or_login` (`or_login`). Here, what they share:
//! this module's client and user, a moving clock, a store whose saves fail,
//! and running `ropc` as that client.

mod cli;
mod concurrency;
mod or_login;
mod refresh;
mod store;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use ropc::jwt::Clock;
use ropc::testing::Provider;
use ropc::{Client, Error, FileStore, StoreError, StoreLock, StoredTokens, TokenStore};

use crate::common;
use crate::common::creds::Creds;

const ID: &str = "session-client";
const SECRET: &str = "session-secret";
const USER: &str = "erin";
const PASSWORD: &str = "session-password";
const CREDS: Creds = Creds {
    id: ID,
    secret: SECRET,
    user: USER,
    password: PASSWORD,
};

struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn new() -> TestClock {
        TestClock(Arc::new(AtomicI64::new(common::now())))
    }
    fn clock(&self) -> Clock {
        let t = self.0.clone();
        Clock::Custom(Arc::new(move || t.load(Ordering::SeqCst)))
    }
    fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

fn setup(lifetime: u64) -> (Provider, Client, TestClock) {
    let clock = TestClock::new();
    let p = CREDS
        .provider_builder()
        .token_lifetime(Duration::from_secs(lifetime))
        .clock(clock.clock())
        .start()
        .unwrap();
    let c = CREDS
        .client_builder(&p)
        .clock(clock.clock())
        .build()
        .unwrap();
    (p, c, clock)
}

// --- a store whose saves fail -----------------------------------------------

/// A file store whose saves fail while `failing` is set, as on a disk that
/// is full for a while.
struct FlakyStore {
    inner: FileStore,
    failing: Arc<AtomicBool>,
}

impl TokenStore for FlakyStore {
    fn load(&self) -> Result<Option<StoredTokens>, Error> {
        self.inner.load()
    }
    fn save(&self, tokens: &StoredTokens) -> Result<(), Error> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(Error::Store(StoreError::new(
                "flaky",
                "cannot write: No space left on device",
            )));
        }
        self.inner.save(tokens)
    }
    fn clear(&self) -> Result<(), Error> {
        self.inner.clear()
    }
    fn check(&self) -> Result<(), Error> {
        self.inner.check()
    }
    fn lock(&self) -> Result<StoreLock, Error> {
        self.inner.lock()
    }
}

// --- running ropc as this client --------------------------------------------

/// What `ropc` must never show, whatever happens.
const HIDDEN: &[&str] = &[PASSWORD, SECRET];

/// `ropc ARGS` as this client of `p`, with `extra` variables (which win).
fn ropc(args: &[&str], p: &Provider, stdin: &str, extra: &[(&str, &str)]) -> (i32, String, String) {
    let mut env: Vec<(&str, String)> = CREDS.client_env(p.url());
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let out = common::cli::run(common::cli::command(args, &env), stdin, HIDDEN);
    (out.code, out.stdout, out.stderr)
}

/// Moves the stored token's expiry, and its refresh point with it, by `at`
/// (a token near expiry, without waiting for it: the `ropc` processes read
/// the system clock).
fn expire_stored_token(path: &Path, at: impl Fn(i64) -> i64) {
    let fs = FileStore::new(path);
    let mut stored = fs.load().unwrap().unwrap();
    stored.expires_at = Some(at(stored.expires_at.unwrap()));
    stored.refresh_at = stored.refresh_at.map(&at);
    fs.save(&stored).unwrap();
}

fn store_arg(path: &Path) -> String {
    path.display().to_string()
}

/// `ropc ARGS` as this client and user of `p`, started with stdin closed;
/// [`common::cli::finish`] collects it.
fn ropc_spawn(args: &[&str], p: &Provider) -> std::process::Child {
    let mut cmd = common::cli::command(args, &CREDS.login_env(p.url()));
    cmd.stdin(Stdio::null());
    cmd.spawn().unwrap()
}
