//! Persisting tokens between runs: the [`TokenStore`] trait and
//! [`FileStore`], a crash-safe, owner-only file.

mod file;
mod format;
mod safe_open;

use std::fs::File;
use std::time::Duration;

use crate::clock::BootTime;
use crate::error::Error;
use crate::secret::Secret;
use crate::tokens::Receipt;
pub use file::FileStore;
// The format's reader and writer, for the `store_file` fuzz target.
#[cfg(feature = "_fuzz")]
pub(crate) use format::{parse as parse_text, serialize as serialize_text};
#[cfg(feature = "cli")]
pub(crate) use safe_open::{check_replaceable, replace_atomically};

/// What a store keeps: enough for the next process to carry on without the
/// password, and the account the tokens were made for. Made with
/// [`StoredTokens::new`] (and [`with_account`](StoredTokens::with_account));
/// read through its fields.
///
/// A [`Session`](crate::Session) records the account when it saves, and
/// refuses a store made for another token URL, client id or (when the
/// session is bound to one) user: a store holds one account's tokens.
///
/// ```
/// use ropc::StoredTokens;
///
/// let stored = StoredTokens::new(None, Some("refresh-token".into()), None)
///     .with_account("https://id.example/token", "my-app", Some("alice"));
/// assert_eq!(stored.username.as_deref(), Some("alice"));
/// // Used by another user: the mismatch, named.
/// assert_eq!(
///     stored.account_mismatch(Some("https://id.example/token"), Some("my-app"), Some("bob")),
///     Some(r#"user "alice" (not "bob")"#.to_owned())
/// );
/// // What either side does not know is not compared (a store written
/// // before ropc recorded accounts has none).
/// assert_eq!(stored.account_mismatch(None, Some("my-app"), None), None);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredTokens {
    /// The last access token (re-verified when loaded).
    pub access_token: Option<Secret>,
    /// The refresh token to use next.
    pub refresh_token: Option<Secret>,
    /// When the access token expires (seconds since the Unix epoch).
    pub expires_at: Option<i64>,
    /// The token URL the tokens came from, when recorded.
    pub token_url: Option<String>,
    /// The client id they were issued to, when recorded.
    pub client_id: Option<String>,
    /// The resource owner they were issued for, when recorded.
    pub username: Option<String>,
    /// When the tokens were received, in seconds since the Unix epoch (by
    /// the provider's clock when the local one disagreed with it), when
    /// recorded.
    pub received_at: Option<i64>,
    /// The boot they were received in ([`Clock::boot_id`](crate::Clock::boot_id)),
    /// when recorded.
    pub boot_id: Option<String>,
    /// The boot clock's reading when they were received
    /// ([`Clock::since_boot`](crate::Clock::since_boot)), when recorded.
    pub received_since_boot: Option<Duration>,
    /// When the access token is due for a refresh, in seconds since the
    /// Unix epoch: the point drawn for it (see
    /// [`Session::jitter`](crate::Session::jitter)), kept so that every
    /// process using the store agrees.
    pub refresh_at: Option<i64>,
}

impl StoredTokens {
    /// The tokens a store keeps (for [`TokenStore`] implementations of your
    /// own, when they read them back), with no account recorded.
    #[must_use]
    pub fn new(
        access_token: Option<Secret>,
        refresh_token: Option<Secret>,
        expires_at: Option<i64>,
    ) -> Self {
        StoredTokens {
            access_token,
            refresh_token,
            expires_at,
            ..StoredTokens::default()
        }
    }

    /// The same tokens, recorded as made for this token URL, client id and
    /// (when known) username. An empty value is recorded as none.
    #[must_use]
    pub fn with_account(
        mut self,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        username: Option<&str>,
    ) -> Self {
        let known = |s: String| (!s.is_empty()).then_some(s);
        self.token_url = known(token_url.into());
        self.client_id = known(client_id.into());
        self.username = username.map(str::to_owned).and_then(known);
        self
    }

    /// The same tokens, with when they were received (on the wall clock and,
    /// where there is one, the boot clock) and when they are due for a
    /// refresh (`due_after` their receipt).
    #[must_use]
    pub(crate) fn with_receipt(mut self, received: &Receipt, due_after: Option<Duration>) -> Self {
        self.received_at = Some(received.at);
        if let Some(boot) = &received.boot {
            self.boot_id = Some(boot.boot_id.clone());
            self.received_since_boot = Some(boot.since_boot);
        }
        self.refresh_at = due_after.map(|d| {
            received
                .at
                .saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        });
        self
    }

    /// When the tokens were received, as recorded.
    pub(crate) fn receipt(&self) -> Option<Receipt> {
        Some(Receipt {
            at: self.received_at?,
            boot: match (&self.boot_id, self.received_since_boot) {
                (Some(boot_id), Some(since_boot)) => Some(BootTime {
                    since_boot,
                    boot_id: boot_id.clone(),
                }),
                _ => None,
            },
        })
    }

    /// When the access token is due for a refresh after its receipt, as
    /// recorded.
    pub(crate) fn due_after(&self) -> Option<Duration> {
        let secs = self.refresh_at?.checked_sub(self.received_at?)?;
        Some(Duration::from_secs(u64::try_from(secs).ok()?))
    }

    /// Every way the recorded account differs from this token URL, client
    /// id and username, in one phrase (`user "alice" (not "bob")`); `None`
    /// when nothing known on both sides differs. A value missing on either
    /// side is not compared.
    #[must_use]
    pub fn account_mismatch(
        &self,
        token_url: Option<&str>,
        client_id: Option<&str>,
        username: Option<&str>,
    ) -> Option<String> {
        let differences: Vec<String> = [
            ("token URL", &self.token_url, token_url),
            ("client id", &self.client_id, client_id),
            ("user", &self.username, username),
        ]
        .into_iter()
        .filter_map(
            |(what, recorded, given)| match (recorded.as_deref(), given) {
                (Some(r), Some(g)) if r != g => Some(format!("{what} {r:?} (not {g:?})")),
                _ => None,
            },
        )
        .collect();
        (!differences.is_empty()).then(|| differences.join(", "))
    }
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("received_at", &self.received_at)
            .field("boot_id", &self.boot_id)
            .field("received_since_boot", &self.received_since_boot)
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

/// Somewhere tokens survive the process: a file ([`FileStore`]), a keyring,
/// a secure element.
///
/// A store of your own, kept in memory here (a real one would write to its
/// keyring); the default [`lock`](TokenStore::lock) takes no lock, fine for
/// a store one process uses:
///
/// ```
/// use std::sync::Mutex;
/// use ropc::{Error, StoredTokens, TokenStore};
///
/// #[derive(Default)]
/// struct InMemory(Mutex<Option<StoredTokens>>);
///
/// impl TokenStore for InMemory {
///     fn load(&self) -> Result<Option<StoredTokens>, Error> {
///         Ok(self.0.lock().map_err(|_| ropc::StoreError::new("memory", "poisoned"))?.clone())
///     }
///     fn save(&self, tokens: &StoredTokens) -> Result<(), Error> {
///         *self.0.lock().map_err(|_| ropc::StoreError::new("memory", "poisoned"))? = Some(tokens.clone());
///         Ok(())
///     }
///     fn clear(&self) -> Result<(), Error> {
///         *self.0.lock().map_err(|_| ropc::StoreError::new("memory", "poisoned"))? = None;
///         Ok(())
///     }
/// }
///
/// let store = InMemory::default();
/// store.save(&StoredTokens::new(None, Some("rt".into()), None))?;
/// assert!(store.load()?.is_some());
/// store.clear()?;
/// assert!(store.load()?.is_none());
/// # Ok::<(), Error>(())
/// ```
pub trait TokenStore: Send + Sync {
    /// Reads the stored tokens; `Ok(None)` when nothing is stored.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store is unreadable, corrupt or unsafe.
    fn load(&self) -> Result<Option<StoredTokens>, Error>;

    /// Replaces the stored tokens (atomically: a crash leaves the old or the
    /// new ones, never a mix).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when writing fails.
    fn save(&self, tokens: &StoredTokens) -> Result<(), Error>;

    /// Wipes and removes the stored tokens.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when removing fails.
    fn clear(&self) -> Result<(), Error>;

    /// Checks, without writing anything, that a [`save`](Self::save) can be
    /// attempted. [`Session::login`](crate::Session::login) calls it, under
    /// the lock, before the password is sent: a store that cannot take the
    /// tokens costs no password grant. The default accepts.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] naming what is wrong.
    fn check(&self) -> Result<(), Error> {
        Ok(())
    }

    /// Takes an exclusive lock across processes, held until the guard is
    /// dropped, so two processes never refresh at once. The default does
    /// nothing (a store shared by one process only).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the lock cannot be taken.
    fn lock(&self) -> Result<StoreLock, Error> {
        Ok(StoreLock::unlocked())
    }

    /// How errors about this store name it ([`StoreError::store`](crate::StoreError::store)): a
    /// [`FileStore`] says its path. The default is the type's name.
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_owned()
    }
}

/// An exclusive lock on a store, released when dropped: whatever guard the
/// store's [`lock`](TokenStore::lock) took (a file lock, a mutex guard, a
/// handle to a keyring session) is dropped with it.
///
/// ```
/// // A lock of your own store: an exclusive `flock` on a file of its own,
/// // released when the file is closed, i.e. when the `StoreLock` drops.
/// let file = std::fs::File::create(std::env::temp_dir().join("ropc-doc-store.lock"))?;
/// file.lock()?;
/// let lock = ropc::StoreLock::new(file);
/// drop(lock);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct StoreLock {
    _guard: Option<Box<dyn Send>>,
}

impl StoreLock {
    /// A lock held as long as `guard` lives.
    pub fn new(guard: impl Send + 'static) -> Self {
        StoreLock {
            _guard: Some(Box::new(guard)),
        }
    }

    /// No lock at all (a store used by one process only).
    #[must_use]
    pub fn unlocked() -> Self {
        StoreLock { _guard: None }
    }
}

impl std::fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreLock")
            .field("held", &self._guard.is_some())
            .finish()
    }
}

/// A `flock` on an open file, released on drop.
struct FileLock(File);

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}
