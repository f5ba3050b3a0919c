//! Persisting tokens between runs: the [`TokenStore`] trait and
//! [`FileStore`], a crash-safe, owner-only file.

mod safe_open;

use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, StoreError};
use crate::form;
use crate::secret::Secret;
#[cfg(feature = "cli")]
pub(crate) use safe_open::check_replaceable;
pub(crate) use safe_open::replace_atomically;
use safe_open::{open_existing, open_or_create};

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

    /// How errors about this store name it ([`StoreError::store`]): a
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

/// The largest store file read.
const MAX_STORE: u64 = 64 * 1024;
const MAGIC: &str = "ropc-store 1";

/// A token store in one file, for tools that run again and again.
///
/// It never writes through what it did not create, and wipes only what it
/// can read back as its own:
///
/// * the path must name a file in a directory that exists: an empty path,
///   one ending in `/`, `.` or `..`, or one whose directory is missing is
///   refused (the error names the directory), before anything is created;
/// * the store path and the lock path `PATH.lock` must be regular files
///   owned by the current user: a symbolic link, a FIFO, a device, a socket,
///   a directory or another user's file is refused with an
///   [`Error::Store`] saying so, before anything is opened for writing (the
///   path is looked at first; then it is opened with `O_NOFOLLOW` and
///   `O_NONBLOCK` and what was opened is checked again with `fstat`), so a
///   link is never followed and a FIFO never blocks;
/// * an existing file is replaced or wiped only after it was read back as a
///   ropc store (its first line is `ropc-store 1`); any other file is left
///   alone, and the error says so;
/// * written atomically: a temporary file in the same directory (mode 0600,
///   created with `O_EXCL` under a random name), `fsync`, `rename` over the
///   store, `fsync` of the directory — a crash or `SIGKILL` at any point
///   leaves the old file or the new one;
/// * created with mode 0600; an existing store readable or writable by group
///   or others is refused, not used;
/// * the account the tokens were made for (token URL, client id, username;
///   see [`StoredTokens`]) is kept beside them, form-urlencoded, so every
///   line stays printable ASCII; a store without those lines (written
///   before ropc recorded them) is read all the same;
/// * read with a size cap into zeroized buffers; a corrupt or truncated store
///   is an error (never a panic), and is not overwritten until it is cleared;
/// * `lock()` takes an exclusive `flock` on `PATH.lock` (created with
///   `O_EXCL` when missing), so concurrent processes refresh one at a time.
///   The lock file holds nothing and is never removed, not even by `clear`
///   (a process waiting on a removed lock file would share the lock with
///   the next one).
///
/// On Unix the current user is the owner of `/proc/self` (or, without
/// procfs, of a file the process creates in the temporary directory); where
/// neither can be found, and off Unix, the owner is not checked.
///
/// ```
/// use ropc::{FileStore, StoredTokens, TokenStore};
///
/// let dir = std::env::temp_dir().join(format!("ropc-doc-filestore-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let store = FileStore::new(dir.join("tokens"));
/// assert!(store.load()?.is_none()); // nothing stored yet
/// store.save(&StoredTokens::new(None, Some("refresh-token".into()), None))?;
/// let stored = store.load()?.expect("saved above");
/// assert_eq!(stored.refresh_token.map(|t| t.expose_secret().to_owned()), Some("refresh-token".into()));
/// store.clear()?; // overwritten with zeros, then removed
/// # std::fs::remove_dir_all(dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store at `path` (the file need not exist yet; its directory must).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    /// The store's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, reason: impl Into<String>) -> Error {
        Error::Store(StoreError::new(self.path.display().to_string(), reason))
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The path names a file (not empty, not ending in `/`, `.` or `..`)
    /// in a directory that exists: checked before anything is created
    /// beside it (the lock file, a temporary file).
    fn check_path(&self) -> Result<(), Error> {
        check_file_path(&self.path).map_err(|why| self.err(why))
    }

    /// The existing store, opened (for writing too, when `write`) after the
    /// checks of [`open_existing`]; `None` when there is none.
    fn open(&self, write: bool) -> Result<Option<(File, fs::Metadata)>, Error> {
        open_existing(&self.path, write).map_err(|why| self.err(why))
    }

    /// The existing store, opened as [`open`](Self::open) does, and read
    /// back up to its first line: anything but a ropc store is refused (and
    /// so never replaced or wiped).
    fn open_store(&self, write: bool) -> Result<Option<(File, fs::Metadata)>, Error> {
        let Some((mut file, meta)) = self.open(write)? else {
            return Ok(None);
        };
        let mut first = Zeroizing::new([0u8; MAGIC.len() + 1]);
        let n = read_up_to(&mut file, &mut first[..])
            .map_err(|e| self.err(format!("cannot read: {e}")))?;
        if !is_store(&first[..n]) {
            return Err(self.err(NOT_A_STORE));
        }
        Ok(Some((file, meta)))
    }
}

const NOT_A_STORE: &str = "is not a ropc token store; left alone";

/// Whether `bytes` begin with the store's magic first line.
fn is_store(bytes: &[u8]) -> bool {
    bytes.split(|&b| b == b'\n').next() == Some(MAGIC.as_bytes())
}

/// Reads into `buf` until it is full or the file ends; returns the count.
fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Refuses a store that group or others may read or write.
fn check_private(meta: &fs::Metadata) -> Result<(), &'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err("is accessible by group or others (want mode 0600); refusing to use it");
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<StoredTokens>, Error> {
        let Some((file, meta)) = self.open(false)? else {
            return Ok(None);
        };
        check_private(&meta).map_err(|why| self.err(why))?;
        if meta.len() > MAX_STORE {
            return Err(self.err(format!("is larger than {MAX_STORE} bytes")));
        }
        let capacity = usize::try_from(meta.len()).unwrap_or(0) + 1;
        let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
        file.take(MAX_STORE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.err(format!("cannot read: {e}")))?;
        if bytes.len() as u64 > MAX_STORE {
            return Err(self.err(format!("is larger than {MAX_STORE} bytes")));
        }
        if !is_store(&bytes) {
            return Err(self.err(NOT_A_STORE));
        }
        parse(&bytes).map(Some).map_err(|why| {
            self.err(format!(
                "is corrupt ({why}); clearing the store (`ropc logout`) removes it"
            ))
        })
    }

    fn save(&self, tokens: &StoredTokens) -> Result<(), Error> {
        if tokens.access_token.is_none() && tokens.refresh_token.is_none() {
            return Err(self.err("refusing to save an empty store (use clear)"));
        }
        let text = serialize(tokens).map_err(|why| self.err(why))?;
        self.check()?;
        replace_atomically(&self.path, text.as_bytes()).map_err(|why| self.err(why))
    }

    fn clear(&self) -> Result<(), Error> {
        let Some((mut f, meta)) = self.open_store(true)? else {
            return Ok(());
        };
        // Overwrite the content before unlinking (best effort: the file
        // system may keep old blocks; see the README).
        let _ = wipe(&mut f, meta.len());
        fs::remove_file(&self.path).map_err(|e| self.err(format!("cannot remove: {e}")))?;
        let _ = File::open(self.dir()).and_then(|d| d.sync_all());
        // PATH.lock stays: unlinking it while the lock is held would let the
        // next process lock a new file while another still holds the old one.
        Ok(())
    }

    /// The path names a file in a directory that exists, the lock path
    /// holds nothing or a regular file of the user's, and the store path
    /// nothing or a ropc store of the user's. Nothing is created.
    fn check(&self) -> Result<(), Error> {
        self.check_path()?;
        let lock = self.lock_path();
        open_existing(&lock, false)
            .map_err(|why| self.err(format!("its lock file {} {why}", lock.display())))?;
        self.open_store(false).map(drop)
    }

    fn lock(&self) -> Result<StoreLock, Error> {
        self.check_path()?;
        let path = self.lock_path();
        let f = open_or_create(&path)
            .map_err(|why| self.err(format!("its lock file {} {why}", path.display())))?;
        f.lock()
            .map_err(|e| self.err(format!("cannot lock: {e}")))?;
        Ok(StoreLock::new(FileLock(f)))
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Whether `path` names a file (not empty, not ending in `/`, `.` or
/// `..`) in a directory that exists; the reason when it does not.
pub(crate) fn check_file_path(path: &Path) -> Result<(), String> {
    let bytes = path.as_os_str().as_encoded_bytes();
    if bytes.is_empty() {
        return Err("the path is empty".into());
    }
    let last = bytes
        .rsplit(|&b| std::path::is_separator(char::from(b)))
        .next()
        .unwrap_or_default();
    if last.is_empty() || last == b"." || last == b".." {
        return Err("names no file (it ends in `/`, `.` or `..`)".into());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!(
            "cannot be created: its directory {} is not a directory",
            dir.display()
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(format!(
            "cannot be created: its directory {} does not exist",
            dir.display()
        )),
        Err(e) => Err(format!(
            "its directory {} cannot be used: {e}",
            dir.display()
        )),
    }
}

/// Overwrites the first `len` bytes of `f` with zeros and syncs them.
fn wipe(f: &mut File, len: u64) -> io::Result<()> {
    f.rewind()?;
    let zeros = [0u8; 4096];
    let mut left = len;
    while left > 0 {
        let n = zeros.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

/// The account lines, in the order written: a key and its value,
/// form-urlencoded (so that spaces, `%` and any other byte fit a line of
/// printable ASCII).
fn account(t: &StoredTokens) -> [(&'static str, Option<&str>); 3] {
    [
        ("token_url", t.token_url.as_deref()),
        ("client_id", t.client_id.as_deref()),
        ("username", t.username.as_deref()),
    ]
}

/// `ropc-store 1` / `token_url …` / `client_id …` / `username …` /
/// `access_token …` / `refresh_token …` / `expires_at …` / `end`: one item
/// per line, the final `end` line proving the file is whole. A store
/// written before accounts were recorded has no account lines, and is read
/// all the same.
fn serialize(t: &StoredTokens) -> Result<Zeroizing<String>, &'static str> {
    let token_ok =
        |s: &Secret| !s.is_empty() && s.expose_secret().bytes().all(|b| b.is_ascii_graphic());
    for s in [&t.access_token, &t.refresh_token].into_iter().flatten() {
        if !token_ok(s) {
            return Err("a token holds characters the store cannot keep");
        }
    }
    let account = account(t);
    // Sized once, so that no reallocation leaves a copy of a token behind.
    let len = MAGIC.len()
        + 1
        + account
            .iter()
            .filter_map(|(key, value)| Some(key.len() + 2 + form::encoded_len((*value)?)))
            .sum::<usize>()
        + t.access_token.as_ref().map_or(0, |s| s.len() + 14)
        + t.refresh_token.as_ref().map_or(0, |s| s.len() + 15)
        + 40
        + 4;
    let mut out = Zeroizing::new(String::with_capacity(len));
    out.push_str(MAGIC);
    out.push('\n');
    for (key, value) in account {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push_str(key);
            out.push(' ');
            form::push_encoded(&mut out, value);
            out.push('\n');
        }
    }
    if let Some(a) = &t.access_token {
        out.push_str("access_token ");
        out.push_str(a.expose_secret());
        out.push('\n');
    }
    if let Some(r) = &t.refresh_token {
        out.push_str("refresh_token ");
        out.push_str(r.expose_secret());
        out.push('\n');
    }
    if let Some(e) = t.expires_at {
        out.push_str("expires_at ");
        out.push_str(&e.to_string());
        out.push('\n');
    }
    out.push_str("end\n");
    debug_assert!(out.len() <= len, "the store text outgrew its buffer");
    Ok(out)
}

fn parse(bytes: &[u8]) -> Result<StoredTokens, &'static str> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8")?;
    let body = text
        .strip_suffix("end\n")
        .ok_or("truncated: no final `end` line")?;
    let mut lines = body.lines();
    if lines.next() != Some(MAGIC) {
        return Err("not a ropc store");
    }
    let mut out = StoredTokens::default();
    let decoded = |value: &str| -> Result<String, &'static str> {
        let text = form::decode_component(value).ok_or("a malformed account value")?;
        Ok(text.as_str().to_owned())
    };
    for line in lines {
        let (key, value) = line.split_once(' ').ok_or("a line without a value")?;
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a malformed value");
        }
        let slot_taken = match key {
            "access_token" => out.access_token.replace(Secret::from(value)).is_some(),
            "refresh_token" => out.refresh_token.replace(Secret::from(value)).is_some(),
            "expires_at" => {
                let v = value.parse::<i64>().map_err(|_| "a malformed expires_at")?;
                out.expires_at.replace(v).is_some()
            }
            "token_url" => out.token_url.replace(decoded(value)?).is_some(),
            "client_id" => out.client_id.replace(decoded(value)?).is_some(),
            "username" => out.username.replace(decoded(value)?).is_some(),
            _ => return Err("an unknown item"),
        };
        if slot_taken {
            return Err("an item appears twice");
        }
    }
    if out.access_token.is_none() && out.refresh_token.is_none() {
        return Err("no token");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> StoredTokens {
        StoredTokens::new(
            Some(Secret::from("eyJ.a.b")),
            Some(Secret::from("rt-123")),
            Some(1_700_000_000),
        )
        .with_account("https://id.example/token", "my app", Some("Zoë 100%"))
    }

    #[test]
    fn serialize_then_parse_gives_the_tokens_back() {
        let t = sample();
        assert_eq!(parse(serialize(&t).unwrap().as_bytes()).unwrap(), t);
        let only_refresh = StoredTokens {
            refresh_token: Some(Secret::from("r")),
            ..StoredTokens::default()
        };
        assert_eq!(
            parse(serialize(&only_refresh).unwrap().as_bytes()).unwrap(),
            only_refresh
        );
    }

    #[test]
    fn a_store_without_account_lines_is_read() {
        let old = "ropc-store 1\nrefresh_token r\nexpires_at 5\nend\n";
        let t = parse(old.as_bytes()).unwrap();
        assert_eq!(t, StoredTokens::new(None, Some(Secret::from("r")), Some(5)));
        assert_eq!(
            serialize(&t).unwrap().as_str(),
            old,
            "and written the same way"
        );
    }

    #[test]
    fn the_serialized_text_fits_the_buffer_sized_for_it() {
        let worst = "\u{1}%é ".repeat(50);
        let t = sample().with_account(worst.as_str(), worst.as_str(), Some(&worst));
        let text = serialize(&t).unwrap();
        assert!(text.len() <= text.capacity());
        assert_eq!(parse(text.as_bytes()).unwrap(), t);
    }

    #[test]
    fn every_truncation_is_detected() {
        let text = serialize(&sample()).unwrap();
        for cut in 0..text.len() {
            assert!(parse(&text.as_bytes()[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn corrupt_content_is_an_error() {
        for bad in [
            "ropc-store 2\nrefresh_token r\nend\n",
            "ropc-store 1\nend\n",
            "ropc-store 1\nrefresh_token\nend\n",
            "ropc-store 1\nrefresh_token a b\nend\n",
            "ropc-store 1\nrefresh_token r\nrefresh_token s\nend\n",
            "ropc-store 1\nrefresh_token r\nexpires_at soon\nend\n",
            "ropc-store 1\nrefresh_token r\nwho knows\nend\n",
            "ropc-store 1\nusername a\nusername b\nrefresh_token r\nend\n",
            "ropc-store 1\nusername %zz\nrefresh_token r\nend\n",
            "ropc-store 1\nusername %FF\nrefresh_token r\nend\n",
            "ropc-store 1\nusername alice\nend\n",
            "\u{0}\u{0}\u{0}",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(parse(b"\xff\xfe").is_err());
    }

    #[test]
    fn tokens_with_whitespace_cannot_be_stored() {
        let t = StoredTokens {
            refresh_token: Some(Secret::from("a b")),
            ..StoredTokens::default()
        };
        assert!(serialize(&t).is_err());
    }
}
