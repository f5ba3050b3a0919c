//! [`Session`]: hands out an access token that is still valid, refreshing
//! it first when it is near expiry, and persisting rotated refresh tokens.

use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::client::Client;
use crate::clock::{Clock, Jitter};
use crate::error::{ConfigError, Error, Setting, StoreError, StoreErrorKind};
use crate::response::ErrorCode;
use crate::secret::Secret;
use crate::store::{StoreLock, StoredTokens, TokenStore};
use crate::tokens::Tokens;

/// The default margin before expiry at which a session refreshes: 60 s.
pub const DEFAULT_SKEW: Duration = Duration::from_secs(60);

#[derive(Default)]
struct State {
    /// The current tokens, when an access token is held.
    tokens: Option<Tokens>,
    /// When the current access token is due for a refresh, as time after
    /// its receipt (drawn once per token, kept in the store); `None` when
    /// its expiry is not known (or a store written before ropc kept it:
    /// then its `expires_at` and the skew decide).
    due_after: Option<Duration>,
    /// The refresh token to use next (kept even when the access token is
    /// gone, e.g. loaded from a store).
    refresh: Option<Secret>,
    /// `tokens` are newer than the store: saving them failed. They are
    /// saved before anything else, and the store is never reloaded over
    /// them.
    unsaved: bool,
    /// The user the tokens were issued for, when known (from `login`, or
    /// recorded in the store): saved with them.
    username: Option<String>,
}

/// A logged-in session: a [`Client`] and its tokens.
///
/// [`access_token`](Session::access_token) returns the current access token
/// until its refresh point, then refreshes first. The refresh point is drawn
/// once per token in `[exp − skew − w, exp − skew]` (skew 60 s by default,
/// `w` a tenth of the token's life, at most 10 minutes: [`Jitter`]), so that
/// devices that logged in together do not come back together, and kept in
/// the store so that every process agrees. It is reached by time elapsed on
/// the boot clock since the token was received ([`Clock::since_boot`]),
/// within the boot it was received in: a wall clock that jumps neither
/// brings a refresh early nor keeps a stale token. A token stored in another
/// boot is used only while the wall clock reads between its receipt and its
/// refresh point. A rotated refresh token replaces the old one at once, in
/// memory and in the store.
///
/// A failed save never drops tokens: when new tokens (from a refresh or a
/// login) cannot be saved, the call returns [`Error::Store`] but the session
/// keeps them ([`has_unsaved_tokens`](Session::has_unsaved_tokens)), never
/// reloads the older store over them, and the next `access_token` call saves
/// them first (under the store's lock), returning the token when that works
/// and the store error again, tokens still kept, when it does not. Safe to
/// share between threads: callers that arrive during a refresh wait for it,
/// so only one refresh is sent; with a [`FileStore`](crate::FileStore) the
/// store's lock (an exclusive `flock` on `PATH.lock`) does the same across
/// processes: a second process waits, re-reads the store and uses the token
/// the first one fetched.
///
/// An `invalid_grant` on refresh is [`Error::LoginRequired`]: the dead
/// refresh token is forgotten and the store cleared (removed), so the next
/// process starts logged out too. A tool that runs again and again (cron, a
/// shell loop, a daemon) thus sends the password once, then lives on the
/// refresh token; [`access_token_or_login`](Session::access_token_or_login)
/// is that in one call, which logs in again from a password source only
/// when the refresh token is gone. The `ropc access` command is this type
/// for shell scripts.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
/// use ropc::{Client, FileStore, Session};
///
/// let provider = Provider::start()?;
/// let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
/// let dir = std::env::temp_dir().join(format!("ropc-doc-session-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = FileStore::new(dir.join("tokens"));
///
/// // First run: nothing stored, so log in once (the password is sent once).
/// let session = Session::with_store(client.clone(), store.clone())?;
/// assert!(!session.is_logged_in());
/// session.login(DEMO_USERNAME, &DEMO_PASSWORD.into(), &["openid"])?;
///
/// // Any later run: the stored tokens, refreshed when near expiry.
/// let session = Session::with_store(client, store)?;
/// let token = session.access_token()?;
/// assert!(token.expose_secret().starts_with("eyJ"));
/// session.logout()?; // wipes and removes the store
/// # std::fs::remove_dir_all(dir)?;
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Session {
    client: Client,
    store: Option<Box<dyn TokenStore>>,
    /// The user the session is bound to ([`Session::with_store_for`]).
    user: Option<String>,
    skew: Duration,
    jitter: Jitter,
    state: Mutex<State>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client)
            .field("skew", &self.skew)
            .field("has_store", &self.store.is_some())
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session starting from tokens already obtained.
    #[must_use]
    pub fn new(client: Client, tokens: Tokens) -> Session {
        let refresh = tokens.refresh_token().cloned();
        let session = Session {
            client,
            store: None,
            user: None,
            skew: DEFAULT_SKEW,
            jitter: Jitter::random(),
            state: Mutex::new(State::default()),
        };
        {
            let mut state = session.lock_state();
            state.due_after = session.draw_due(&tokens);
            state.tokens = Some(tokens);
            state.refresh = refresh;
        }
        session
    }

    /// A session backed by `store`: it starts from what the store holds (an
    /// access token is re-verified; one that fails is dropped and the refresh
    /// token used instead) and saves every new token, with the account it
    /// was made for ([`StoredTokens`]: the client's token URL and id, and
    /// the username given to [`login`](Self::login)).
    ///
    /// A store made for another token URL or client id is refused, here and
    /// whenever it is read again: its tokens are never handed out. A store
    /// that records no account (written before ropc recorded them) is used,
    /// and records the account at the next save.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store cannot be read, or was made for
    /// another token URL or client id (the error names which).
    pub fn with_store(client: Client, store: impl TokenStore + 'static) -> Result<Session, Error> {
        Session::open(client, Box::new(store), None)
    }

    /// As [`with_store`](Self::with_store), for one user: a store made for
    /// another user is refused too, and so is a [`login`](Self::login) as
    /// another user. This is how a tool that is told which user it acts
    /// for (the `ropc` command line: `ROPC_USERNAME`) makes sure it never
    /// hands out another user's token from a store it was pointed at.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    /// use ropc::{Client, Error, FileStore, Session};
    ///
    /// let provider = Provider::start()?;
    /// let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
    /// let dir = std::env::temp_dir().join(format!("ropc-doc-for-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = FileStore::new(dir.join("tokens"));
    ///
    /// let session = Session::with_store_for(client.clone(), store.clone(), DEMO_USERNAME)?;
    /// session.login(DEMO_USERNAME, &DEMO_PASSWORD.into(), &[])?;
    ///
    /// // The same store, for another user: refused, the mismatch named.
    /// let err = Session::with_store_for(client, store, "bob").unwrap_err();
    /// assert!(matches!(&err, Error::Store(e) if e.reason.contains(r#"user "alice" (not "bob")"#)));
    /// # std::fs::remove_dir_all(dir)?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`with_store`](Self::with_store); [`Error::Store`] also when the
    /// store was made for another user.
    pub fn with_store_for(
        client: Client,
        store: impl TokenStore + 'static,
        username: impl Into<String>,
    ) -> Result<Session, Error> {
        Session::open(client, Box::new(store), Some(username.into()))
    }

    fn open(
        client: Client,
        store: Box<dyn TokenStore>,
        user: Option<String>,
    ) -> Result<Session, Error> {
        let session = Session {
            client,
            store: Some(store),
            state: Mutex::new(State {
                username: user.clone(),
                ..State::default()
            }),
            user,
            skew: DEFAULT_SKEW,
            jitter: Jitter::random(),
        };
        {
            let mut state = session.lock_state();
            session.reload(&mut state)?;
        }
        Ok(session)
    }

    /// The refresh margin (default 60 s): an access token is refreshed at
    /// a point drawn for it in `[exp − skew − w, exp − skew]`, `w` a tenth
    /// of its life, at most [`MAX_REFRESH_WINDOW`](crate::MAX_REFRESH_WINDOW)
    /// ([`Jitter::refresh_offset`]). Applies to tokens received from now
    /// on.
    #[must_use]
    pub fn skew(self, skew: Duration) -> Session {
        let mut session = self;
        session.skew = skew;
        session.redraw();
        session
    }

    /// Where the refresh point's chance comes from (default
    /// [`Jitter::random`]; a seed for tests and simulations,
    /// [`Jitter::none`] for the latest point, as every device would pick
    /// alike). Applies to tokens received from now on.
    #[must_use]
    pub fn jitter(self, jitter: Jitter) -> Session {
        let mut session = self;
        session.jitter = jitter;
        session.redraw();
        session
    }

    /// Draws the current in-memory token's refresh point again (after the
    /// skew or the jitter changed, before it was saved anywhere).
    fn redraw(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if state.unsaved || self.store.is_none() {
            let due = state.tokens.as_ref().and_then(|t| {
                let lifetime = t.lifetime()?;
                Some(self.jitter.refresh_offset(lifetime, self.skew))
            });
            state.due_after = due;
        }
    }

    /// The client.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Whether the session holds a refresh token or a valid access token.
    #[must_use]
    pub fn is_logged_in(&self) -> bool {
        let state = self.lock_state();
        state.refresh.is_some() || self.fresh(&state).is_some()
    }

    /// The current tokens, if any.
    #[must_use]
    pub fn tokens(&self) -> Option<Tokens> {
        self.lock_state().tokens.clone()
    }

    /// Whether the current tokens are newer than the store: saving them
    /// failed, and the next [`access_token`](Self::access_token) call tries
    /// again first.
    #[must_use]
    pub fn has_unsaved_tokens(&self) -> bool {
        self.lock_state().unsaved
    }

    /// Runs the password grant and makes its tokens the session's (saved to
    /// the store, if any). The store is locked and checked
    /// ([`TokenStore::check`]) before the password is sent.
    ///
    /// # Errors
    ///
    /// As [`Client::password_grant`], and [`Error::Store`] when the store is
    /// unusable (nothing sent) or saving fails (the new tokens are kept in
    /// the session all the same). [`Error::Config`] (nothing sent) when the
    /// session is bound to another user ([`with_store_for`](Self::with_store_for)).
    pub fn login(
        &self,
        username: &str,
        password: &Secret,
        scopes: &[&str],
    ) -> Result<Tokens, Error> {
        self.check_user(username)?;
        let mut state = self.lock_state();
        let _lock = self.lock_store()?;
        // An unusable store is found before the password is spent.
        if let Some(store) = &self.store {
            store.check()?;
        }
        self.login_locked(&mut state, username, password, scopes)
    }

    /// The password grant, its tokens made the session's (the caller holds
    /// the store's lock and has checked the store).
    fn login_locked(
        &self,
        state: &mut State,
        username: &str,
        password: &Secret,
        scopes: &[&str],
    ) -> Result<Tokens, Error> {
        let tokens = self.client.password_grant(username, password, scopes)?;
        state.username = Some(username.to_owned());
        self.adopt(state, tokens.clone())?;
        Ok(tokens)
    }

    /// [`Error::Config`] when the session is bound to another user than
    /// `username` ([`with_store_for`](Self::with_store_for)).
    fn check_user(&self, username: &str) -> Result<(), Error> {
        match self.user.as_deref().filter(|u| *u != username) {
            Some(user) => Err(ConfigError::new(
                Setting::Username,
                format!("the session is for user {user:?}, not {username:?}"),
            )
            .into()),
            None => Ok(()),
        }
    }

    /// [`Error::Config`] when the tokens `state` holds are known to be
    /// another user's than `username` (an earlier login, or the user the
    /// store records); tokens of no known user pass.
    fn check_owner(state: &State, username: &str) -> Result<(), Error> {
        let has_tokens = state.tokens.is_some() || state.refresh.is_some();
        match state
            .username
            .as_deref()
            .filter(|u| has_tokens && *u != username)
        {
            Some(owner) => Err(ConfigError::new(
                Setting::Username,
                format!("the session's tokens are user {owner:?}'s, not {username:?}'s"),
            )
            .into()),
            None => Ok(()),
        }
    }

    /// The access token, refreshed first when its refresh point has come
    /// (see the type's documentation).
    ///
    /// # Errors
    ///
    /// [`Error::LoginRequired`] when there is no refresh token or the provider
    /// refused it (`invalid_grant`; the store is then cleared, so the next
    /// process starts logged out too): run [`login`](Self::login) again.
    /// [`Error::Store`] when new tokens cannot be saved (they are kept, and
    /// saved first on the next call). Other errors as [`Client::refresh`].
    pub fn access_token(&self) -> Result<Secret, Error> {
        let mut state = self.lock_state();
        self.access_locked(&mut state, None, &mut None)
    }

    /// The access token, logging in first when there is no usable refresh
    /// token: the one call a program that runs again and again needs. It
    /// returns what [`access_token`](Self::access_token) returns (the held
    /// or stored token, refreshed when its refresh point has come); only
    /// when that is [`Error::LoginRequired`] — nothing stored, or the
    /// provider refused the refresh token (`invalid_grant`: expired,
    /// revoked, forgotten by a restarted provider) — is `password` called,
    /// once, and the password grant run for `username` with `scopes`. The
    /// password is wiped when the call returns.
    ///
    /// Any other failure is returned as it is and asks for no password: a
    /// provider that cannot be reached (a transport error), one that is
    /// down or busy (`temporarily_unavailable`, a 503), a store that cannot
    /// be read or saved to, a token that fails verification. The refresh
    /// token is kept for the next call then; only the provider refusing it
    /// ends it.
    ///
    /// `password` is the password's source: a closure that reads a file
    /// ([`Secret::from_file`]), a line of stdin ([`Secret::read_line`]), a
    /// terminal prompt (`Secret::prompt`, feature `prompt`), a secret
    /// service. Its error type `E` is the call's: `E` need only take a
    /// ropc [`Error`] (`From<Error>`), as `Box<dyn std::error::Error>` and
    /// an application's own error enum do, so the source's failure comes
    /// back as it was returned — typed, and never formatted by ropc (its
    /// message is the source's own). ropc's errors
    /// come back converted into `E` (as they are with `E` = [`Error`]). In
    /// a function that returns `Result<_, E>`, the call in tail position
    /// lets `?` in the closure convert an `io::Error`:
    /// `|| Ok(Secret::from_file(path)?)`.
    ///
    /// `password` is called with the session's lock held and, with a store,
    /// the store's lock (after the store was checked, so that an unusable
    /// store is found before the password is asked for): other threads,
    /// and other processes sharing the store, that need a token meanwhile
    /// wait, then use the one this login fetched, rather than asking for
    /// the password too. (So `password` must not call into this session:
    /// it would wait for itself.)
    ///
    /// A session bound to a user ([`with_store_for`](Self::with_store_for),
    /// the way to act for one user) refuses another `username`, and tokens
    /// known to be another user's (from an earlier login, or the user a
    /// store records) are never handed out for `username`: both are
    /// [`Error::Config`], and no password is asked for. Tokens of no known
    /// user ([`Session::new`], a store written before ropc recorded users)
    /// are used as they are.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use std::cell::Cell;
    ///
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    /// use ropc::{Client, FileStore, Secret, Session};
    ///
    /// let provider = Provider::start()?;
    /// let client = Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
    /// let dir = std::env::temp_dir().join(format!("ropc-doc-or-login-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = FileStore::new(dir.join("tokens"));
    ///
    /// // The password's source (here it counts; in a tool it reads a file,
    /// // stdin or the terminal): called only when a login is needed.
    /// let asked = Cell::new(0);
    /// let password = || {
    ///     asked.set(asked.get() + 1);
    ///     Ok::<_, ropc::Error>(Secret::from(DEMO_PASSWORD))
    /// };
    ///
    /// // First run: nothing stored, so the password is asked for and sent.
    /// let session = Session::with_store_for(client.clone(), store.clone(), DEMO_USERNAME)?;
    /// let token = session.access_token_or_login(DEMO_USERNAME, &["openid"], password)?;
    /// assert!(token.expose_secret().starts_with("eyJ"));
    /// assert_eq!(asked.get(), 1);
    ///
    /// // Any later run: the stored tokens, refreshed when due; no password.
    /// let session = Session::with_store_for(client.clone(), store.clone(), DEMO_USERNAME)?;
    /// assert_eq!(session.access_token_or_login(DEMO_USERNAME, &["openid"], password)?, token);
    /// assert_eq!(asked.get(), 1);
    ///
    /// // The refresh token dies (here revoked; a restarted provider may
    /// // forget it): the next refresh — due, or asked for by an API's 401 —
    /// // is refused, which ends the session; the same call logs in again.
    /// provider.revoke_refresh_tokens();
    /// let err = session.refresh_rejected(&token).unwrap_err(); // the API said 401
    /// assert!(matches!(err, ropc::Error::LoginRequired));
    /// let token = session.access_token_or_login(DEMO_USERNAME, &["openid"], password)?;
    /// assert!(token.expose_secret().starts_with("eyJ"));
    /// assert_eq!(asked.get(), 2);
    /// session.logout()?;
    /// # std::fs::remove_dir_all(dir)?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// `password`'s own error, as it returned it (no grant sent). Otherwise
    /// an [`Error`], converted into `E`: as
    /// [`access_token`](Self::access_token) (but for `LoginRequired`, which
    /// leads to the login), then as [`login`](Self::login) — a refused
    /// password is [`Error::OAuth`] (`invalid_grant`), and is not asked for
    /// again; [`Error::Store`] when the new tokens cannot be saved (the
    /// session keeps them, and the next call saves them first and hands
    /// them out without asking again). [`Error::Config`] when `username` is
    /// not the session's user, or the tokens held are another user's.
    pub fn access_token_or_login<E>(
        &self,
        username: &str,
        scopes: &[&str],
        password: impl FnOnce() -> Result<Secret, E>,
    ) -> Result<Secret, E>
    where
        E: From<Error>,
    {
        self.check_user(username)?;
        let mut state = self.lock_state();
        let mut lock = None;
        match self.access_locked(&mut state, Some(username), &mut lock) {
            Err(Error::LoginRequired) => {}
            other => return other.map_err(E::from),
        }
        // Held until the login's tokens are saved.
        if lock.is_none() {
            lock = self.lock_store()?;
        }
        // An unusable store is found before the password is asked for.
        if let Some(store) = &self.store {
            store.check()?;
        }
        let password = password()?;
        let tokens = self.login_locked(&mut state, username, &password, scopes)?;
        drop(password);
        drop(lock);
        Ok(tokens.access_token().clone())
    }

    /// [`access_token`](Self::access_token) under the session's lock, for
    /// `username` when given (tokens known to be another user's are
    /// refused before use). When the store's lock is taken (to refresh), it
    /// is left in `lock`, so that a login that follows holds it throughout.
    fn access_locked(
        &self,
        state: &mut State,
        username: Option<&str>,
        lock: &mut Option<StoreLock>,
    ) -> Result<Secret, Error> {
        let check_owner = |state: &State| username.map_or(Ok(()), |u| Self::check_owner(state, u));
        check_owner(state)?;
        if state.unsaved {
            let _lock = self.lock_store()?;
            self.save(state)?;
        }
        if let Some(t) = self.fresh(state) {
            return Ok(t);
        }
        // Across processes: take the store's lock, then look again — another
        // process may have refreshed while we waited.
        *lock = self.lock_store()?;
        if self.store.is_some() {
            self.reload(state)?;
            check_owner(state)?;
            if let Some(t) = self.fresh(state) {
                return Ok(t);
            }
        }
        self.refresh(state)
    }

    /// The API refused `rejected` (an HTTP 401 for `Authorization: Bearer
    /// …`, say, though it had not expired yet): refreshes now and returns the
    /// new access token — but only when `rejected` is still the session's
    /// access token. When it is not (another thread, or another process
    /// sharing the store, refreshed in the meantime), the current token is
    /// returned without a second refresh, so callers that all saw the same
    /// token rejected cause one refresh between them. The pattern of Go's
    /// `oauth2.Transport`, without dropping the store.
    ///
    /// ```
    /// # #[cfg(feature = "testing")] {
    /// use ropc::testing::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_USERNAME, Provider};
    ///
    /// let provider = Provider::start()?;
    /// let client = ropc::Client::builder(provider.url(), DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).build()?;
    /// let tokens = client.password_grant(DEMO_USERNAME, &DEMO_PASSWORD.into(), &[])?;
    /// let session = ropc::Session::new(client, tokens);
    ///
    /// let token = session.access_token()?;
    /// // ... the API answers 401 for `token`:
    /// let fresh = session.refresh_rejected(&token)?;
    /// assert_ne!(fresh, token);
    /// // A second caller that saw the same rejection gets the new one: no refresh.
    /// assert_eq!(session.refresh_rejected(&token)?, fresh);
    /// assert_eq!(provider.refresh_grants(), 1);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`access_token`](Self::access_token).
    pub fn refresh_rejected(&self, rejected: &Secret) -> Result<Secret, Error> {
        let mut state = self.lock_state();
        if state.unsaved {
            let _lock = self.lock_store()?;
            self.save(&mut state)?;
        }
        let _lock = self.lock_store()?;
        if self.store.is_some() {
            self.reload(&mut state)?;
        }
        if let Some(current) = state.tokens.as_ref().map(Tokens::access_token)
            && current != rejected
            && let Some(t) = self.fresh(&state)
        {
            return Ok(t);
        }
        self.refresh(&mut state)
    }

    /// Refreshes with the session's refresh token (the caller holds the
    /// store's lock); a dead refresh token ends the session.
    fn refresh(&self, state: &mut State) -> Result<Secret, Error> {
        let Some(refresh) = state.refresh.clone() else {
            return Err(Error::LoginRequired);
        };
        match self.client.refresh_with(&refresh, &[]) {
            Ok(tokens) => {
                let access = tokens.access_token().clone();
                self.adopt(state, tokens)?;
                Ok(access)
            }
            Err(Error::OAuth(e)) if e.response.code == ErrorCode::InvalidGrant => {
                // The refresh token is dead: forget it, and clear the store
                // (which removes it: the next run starts logged out).
                *state = self.empty_state();
                if let Some(store) = &self.store {
                    store.clear()?;
                }
                Err(Error::LoginRequired)
            }
            Err(e) => Err(e),
        }
    }

    /// Ends the session. When the client has a revocation URL
    /// ([`ClientBuilder::revocation_url`](crate::ClientBuilder::revocation_url)),
    /// the refresh token is first revoked at the provider (RFC 7009), so no
    /// valid refresh token is left anywhere; then the tokens are forgotten
    /// and the store wiped and removed — whatever the revocation's outcome,
    /// which is reported afterwards.
    ///
    /// The store is checked first, under its lock, against the account the
    /// session is for (its client's token URL and client id, and the user
    /// of [`with_store_for`](Self::with_store_for)), each compared when the
    /// store records it: a store made for another is refused and left as it
    /// is, with or without revocation — nothing is sent, and the session
    /// keeps its tokens. A store that cannot be read back (corrupt) records
    /// no account to compare: it is removed all the same. The refresh token
    /// revoked is the store's (the newest, when another process shares it),
    /// or the session's when that is newer (its save failed) or the store
    /// holds none. [`logout_store`](Self::logout_store) does the same for a
    /// store no session was opened on.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store cannot be locked, or was made for
    /// another account (nothing done), or cannot be cleared (it takes
    /// precedence: the tokens are still on disk; its reason adds whether
    /// the refresh token was revoked), or when it was removed but its
    /// refresh token could not be read to be revoked (the reason says so);
    /// otherwise the revocation's error, as [`Client::revoke`] reports it —
    /// the session and the store are gone by then, but the refresh token
    /// may still be valid at the provider.
    pub fn logout(&self) -> Result<(), Error> {
        let mut state = self.lock_state();
        let held = Held {
            token: state.refresh.clone(),
            newer: state.unsaved,
        };
        let account = Account {
            token_url: Some(self.client.token_url()),
            client_id: Some(self.client.client_id()),
            username: self.user.as_deref(),
        };
        let forget = || *state = self.empty_state();
        end(
            self.store.as_deref(),
            held,
            Some(&self.client),
            account,
            forget,
        )
    }

    /// Ends the session kept in `store` without opening one on it: what
    /// [`logout`](Self::logout) does, for a program that knows only some of
    /// the account the store should be for — the `ropc logout` command,
    /// which compares whatever of `ROPC_TOKEN_URL`, `ROPC_CLIENT_ID` and
    /// `ROPC_USERNAME` is set, and needs none of them to remove a store
    /// without revoking its token.
    ///
    /// Under the store's lock: the store is checked against whatever of
    /// `token_url`, `client_id` and `username` is given (each compared when
    /// the store records it too, as
    /// [`StoredTokens::account_mismatch`] does); a mismatch is
    /// [`Error::Store`] and leaves the store as it is, with or without
    /// revocation. Then, when `revoke_with` is a client with a revocation
    /// URL, the store's refresh token is revoked with it (one RFC 7009
    /// request; no client, or one without a revocation URL, sends nothing),
    /// and the store is wiped and removed whatever the revocation's outcome.
    /// With none of the three given, any store that can be read back is
    /// removed ([`TokenStore::clear`] decides what it removes: a
    /// [`FileStore`](crate::FileStore) only a ropc store, corrupt or not).
    ///
    /// ```
    /// use ropc::{FileStore, Session, StoredTokens, TokenStore};
    ///
    /// let dir = std::env::temp_dir().join(format!("ropc-doc-logout-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = FileStore::new(dir.join("tokens"));
    /// store.save(&StoredTokens::new(None, Some("refresh-token".into()), None).with_account(
    ///     "https://id.example/token",
    ///     "my-app",
    ///     Some("alice"),
    /// ))?;
    ///
    /// // Made for alice: refused for bob, and left as it is.
    /// let err = Session::logout_store(&store, None, None, None, Some("bob")).unwrap_err();
    /// assert!(err.to_string().contains(r#"user "alice" (not "bob")"#));
    /// assert!(store.load()?.is_some());
    ///
    /// // Nothing known of the account: removed (no revocation: nothing sent).
    /// Session::logout_store(&store, None, None, None, None)?;
    /// assert!(store.load()?.is_none());
    /// # std::fs::remove_dir_all(dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`logout`](Self::logout): [`Error::Store`] when nothing was done
    /// (the store cannot be locked, or was made for another account), when
    /// the store could not be cleared, or when it was removed but its
    /// refresh token could not be read to be revoked; any other error is the
    /// revocation's, and the store is gone by then.
    pub fn logout_store(
        store: &dyn TokenStore,
        revoke_with: Option<&Client>,
        token_url: Option<&str>,
        client_id: Option<&str>,
        username: Option<&str>,
    ) -> Result<(), Error> {
        let account = Account {
            token_url,
            client_id,
            username,
        };
        end(Some(store), Held::default(), revoke_with, account, || {})
    }

    /// A logged-out state (still bound to the session's user, if any).
    fn empty_state(&self) -> State {
        State {
            username: self.user.clone(),
            ..State::default()
        }
    }

    fn lock_store(&self) -> Result<Option<StoreLock>, Error> {
        self.store.as_ref().map(|s| s.lock()).transpose()
    }

    /// The client's clock.
    fn clock(&self) -> &Clock {
        self.client.validation().get_clock()
    }

    /// When `tokens`, just received, are due for a refresh (after their
    /// receipt).
    fn draw_due(&self, tokens: &Tokens) -> Option<Duration> {
        Some(self.jitter.refresh_offset(tokens.lifetime()?, self.skew))
    }

    /// Whether `tokens` are due for a refresh: by the time elapsed on the
    /// boot clock since their receipt when they were received in this boot,
    /// otherwise only when the wall clock reads before their receipt or
    /// past their refresh point (a token from another boot is used only
    /// between the two).
    fn is_due(&self, tokens: &Tokens, due_after: Option<Duration>) -> bool {
        let clock = self.clock();
        let Some(due_after) = due_after else {
            // Its expiry is not known, or it came from a store that did not
            // keep the refresh point: its expiry and the skew decide.
            return tokens.expires_within(self.skew, clock.now());
        };
        let elapsed = match (&tokens.received.boot, clock.boot()) {
            (Some(then), Some(now)) => now.since(then),
            _ => None,
        };
        match elapsed {
            Some(elapsed) => elapsed >= due_after,
            None => {
                let wall = clock.now();
                let due_at = tokens
                    .received
                    .at
                    .saturating_add(i64::try_from(due_after.as_secs()).unwrap_or(i64::MAX));
                !(tokens.received.at <= wall && wall < due_at)
            }
        }
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self, state: &State) -> Option<Secret> {
        state
            .tokens
            .as_ref()
            .filter(|t| !self.is_due(t, state.due_after))
            .map(|t| t.access_token().clone())
    }

    /// Reads the store into `state` (never over unsaved tokens:
    /// `access_token` saves those first).
    fn reload(&self, state: &mut State) -> Result<(), Error> {
        debug_assert!(!state.unsaved, "reloading over unsaved tokens");
        let Some(store) = &self.store else {
            return Ok(());
        };
        let Some(stored) = store.load()? else {
            state.tokens = None;
            state.refresh = None;
            return Ok(());
        };
        // Tokens of another account are never handed out (nor refreshed,
        // nor overwritten): what is known on both sides must agree.
        if let Some(mismatch) = stored.account_mismatch(
            Some(self.client.token_url()),
            Some(self.client.client_id()),
            self.user.as_deref(),
        ) {
            return Err(StoreError::of_kind(
                crate::error::StoreErrorKind::Account,
                store.name(),
                format!("was made for {mismatch}; refusing to use it"),
            )
            .into());
        }
        if stored.username.is_some() {
            state.username.clone_from(&stored.username);
        }
        state.refresh = stored.refresh_token.clone();
        let received = stored.receipt();
        state.due_after = stored.due_after();
        let restored = stored.access_token.map(|access| {
            self.client
                .restore_received(access, stored.refresh_token, stored.expires_at, received)
        });
        state.tokens = match restored {
            None => None,
            Some(Ok(tokens)) => Some(tokens),
            // A stored token that fails verification (expired, signed with
            // a key that was retired) is dropped: the refresh token takes
            // over.
            Some(Err(Error::Jwt(_) | Error::Config(_))) => None,
            // The keys to verify with could not be fetched: nothing could
            // be verified now, a refreshed token included.
            Some(Err(e)) => return Err(e),
        };
        Ok(())
    }

    /// Makes `tokens` current, then saves them: they stay current (marked
    /// unsaved) when the save fails.
    fn adopt(&self, state: &mut State, tokens: Tokens) -> Result<(), Error> {
        state.refresh = tokens.refresh_token().cloned();
        state.due_after = self.draw_due(&tokens);
        state.tokens = Some(tokens);
        state.unsaved = true;
        self.save(state)
    }

    /// Saves the current tokens to the store, if any; clears `unsaved` once
    /// they are saved.
    fn save(&self, state: &mut State) -> Result<(), Error> {
        if let (Some(store), Some(tokens)) = (&self.store, &state.tokens) {
            let stored = StoredTokens::new(
                Some(tokens.access_token().clone()),
                tokens.refresh_token().cloned(),
                tokens.expires_at(),
            )
            .with_account(
                self.client.token_url(),
                self.client.client_id(),
                state.username.as_deref(),
            )
            .with_receipt(&tokens.received, state.due_after);
            store.save(&stored)?;
        }
        state.unsaved = false;
        Ok(())
    }
}

/// What a session holds of the account its store should be for; `None`:
/// not known, not compared.
struct Account<'a> {
    token_url: Option<&'a str>,
    client_id: Option<&'a str>,
    username: Option<&'a str>,
}

/// The refresh token a session holds in memory, and whether it is newer
/// than the store's (its save failed).
#[derive(Default)]
struct Held {
    token: Option<Secret>,
    newer: bool,
}

/// The end of a session ([`Session::logout`], [`Session::logout_store`]):
/// under the store's lock, the store is checked against `account` (refused,
/// and nothing done, when made for another); then `forget` is called (the
/// session drops its tokens), the refresh token is revoked when
/// `revoke_with` has a revocation URL, and the store is cleared whatever the
/// revocation's outcome.
fn end(
    store: Option<&dyn TokenStore>,
    held: Held,
    revoke_with: Option<&Client>,
    account: Account<'_>,
    forget: impl FnOnce(),
) -> Result<(), Error> {
    let revoker = revoke_with.filter(|c| c.revocation_url().is_some());
    let _lock = store.map(TokenStore::lock).transpose()?;
    let mut stored_token = None;
    // A store that cannot be read back (corrupt, or open to others) records
    // no account to compare and no token to revoke; clearing it decides
    // whether it is one to remove.
    let mut unreadable = None;
    if let Some(store) = store {
        match store.load() {
            Ok(Some(stored)) => {
                if let Some(mismatch) =
                    stored.account_mismatch(account.token_url, account.client_id, account.username)
                {
                    let refusing = if revoker.is_some() {
                        "refusing to revoke its refresh token or remove it"
                    } else {
                        "refusing to remove it"
                    };
                    let why = format!("was made for {mismatch}; {refusing}");
                    let e = StoreError::of_kind(StoreErrorKind::Account, store.name(), why);
                    return Err(e.into());
                }
                stored_token = stored.refresh_token;
            }
            Ok(None) => {}
            Err(e) => unreadable = Some(e),
        }
    }
    forget();
    let token = if held.newer {
        held.token.or(stored_token)
    } else {
        stored_token.or(held.token)
    };
    let revoked = match (revoker, &token) {
        (Some(client), Some(token)) => {
            Some(client.revoke(token, crate::client::TokenTypeHint::RefreshToken))
        }
        _ => None,
    };
    drop(token);
    // A revocation was asked for, but there was no token to send.
    let unsent = revoker.is_some() && revoked.is_none();
    match (store.map_or(Ok(()), TokenStore::clear), revoked) {
        (Ok(()), None | Some(Ok(()))) => match (store, unreadable) {
            // Removed, but its token, which should have been revoked, could
            // not be read.
            (Some(store), Some(e)) if unsent => {
                let (kind, why) = match e {
                    Error::Store(e) => (e.kind, e.reason),
                    e => (StoreErrorKind::Other, e.to_string()),
                };
                let why = format!(
                    "was removed, but its refresh token could not be read to revoke it, so it \
                     may still be valid: {why}"
                );
                Err(StoreError::of_kind(kind, store.name(), why).into())
            }
            _ => Ok(()),
        },
        (Ok(()), Some(Err(e))) => Err(e),
        // The tokens are still on disk: that comes first, and says what
        // became of the revocation.
        (Err(Error::Store(mut e)), revoked) => {
            match revoked {
                None => {}
                Some(Ok(())) => e.reason.push_str("; its refresh token was revoked"),
                Some(Err(r)) => e.reason.push_str(&format!(
                    "; revoking its refresh token failed too, so it may still be valid: {r}"
                )),
            }
            Err(Error::Store(e))
        }
        (Err(e), _) => Err(e),
    }
}
