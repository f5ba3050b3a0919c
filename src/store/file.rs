//! [`FileStore`]: the token store in one file — never writing through what
//! it did not create, wiping only what it reads back as its own.

use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::format::{MAGIC, parse, serialize};
use super::safe_open::{
    Refusal, check_file_path, open_existing, open_or_create, replace_atomically,
};
use super::{FileLock, StoreLock, StoredTokens, TokenStore};
use crate::error::{Error, StoreError, StoreErrorKind};

/// The largest store file read.
const MAX_STORE: u64 = 64 * 1024;

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
///   alone, and the error says so (instead of advising `ropc logout`);
/// * written atomically: a temporary file in the same directory (mode 0600,
///   created with `O_EXCL` under a random name), `fsync`, `rename` over the
///   store, `fsync` of the directory — a crash or `SIGKILL` at any point
///   leaves the old file or the new one, never a torn one (a test kills a
///   writer with `SIGKILL` at random points, 40 rounds);
/// * created with mode 0600; an existing store readable or writable by group
///   or others is refused, not used;
/// * the account the tokens were made for (token URL, client id, username;
///   see [`StoredTokens`]) is kept beside them, form-urlencoded, so every
///   line stays printable ASCII; a store without those lines (written
///   before ropc recorded them) is read all the same;
/// * read with a size cap into zeroized buffers; a corrupt or truncated store
///   is an [`Error::Store`] naming it (never a panic), and is not
///   overwritten until it is cleared ([`clear`](TokenStore::clear), or
///   `ropc logout`);
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

    fn err(&self, kind: StoreErrorKind, reason: impl Into<String>) -> Error {
        Error::Store(StoreError::of_kind(
            kind,
            self.path.display().to_string(),
            reason,
        ))
    }

    fn refused(&self, r: Refusal) -> Error {
        self.err(r.kind, r.why)
    }

    fn lock_refused(&self, lock: &Path, r: Refusal) -> Error {
        self.err(
            r.kind,
            format!("its lock file {} {}", lock.display(), r.why),
        )
    }

    /// The lock file beside the store, `PATH.lock` (it holds nothing and is
    /// never removed).
    #[must_use]
    pub fn lock_path(&self) -> PathBuf {
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
        check_file_path(&self.path).map_err(|r| self.refused(r))
    }

    /// The existing store, opened (for writing too, when `write`) after the
    /// checks of [`open_existing`]; `None` when there is none.
    fn open(&self, write: bool) -> Result<Option<(File, fs::Metadata)>, Error> {
        open_existing(&self.path, write).map_err(|r| self.refused(r))
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
            .map_err(|e| self.err(StoreErrorKind::Io, format!("cannot read: {e}")))?;
        if !is_store(&first[..n]) {
            return Err(self.err(StoreErrorKind::NotAStore, NOT_A_STORE));
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
        check_private(&meta).map_err(|why| self.err(StoreErrorKind::Unsafe, why))?;
        if meta.len() > MAX_STORE {
            return Err(self.err(
                StoreErrorKind::Corrupt,
                format!("is larger than {MAX_STORE} bytes"),
            ));
        }
        let capacity = usize::try_from(meta.len()).unwrap_or(0) + 1;
        let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
        file.take(MAX_STORE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.err(StoreErrorKind::Io, format!("cannot read: {e}")))?;
        if bytes.len() as u64 > MAX_STORE {
            return Err(self.err(
                StoreErrorKind::Corrupt,
                format!("is larger than {MAX_STORE} bytes"),
            ));
        }
        if !is_store(&bytes) {
            return Err(self.err(StoreErrorKind::NotAStore, NOT_A_STORE));
        }
        parse(&bytes).map(Some).map_err(|why| {
            self.err(
                StoreErrorKind::Corrupt,
                format!("is corrupt ({why}); clearing the store (`ropc logout`) removes it"),
            )
        })
    }

    fn save(&self, tokens: &StoredTokens) -> Result<(), Error> {
        if tokens.access_token.is_none() && tokens.refresh_token.is_none() {
            return Err(self.err(
                StoreErrorKind::Other,
                "refusing to save an empty store (use clear)",
            ));
        }
        let text = serialize(tokens).map_err(|why| self.err(StoreErrorKind::Other, why))?;
        self.check()?;
        replace_atomically(&self.path, text.as_bytes()).map_err(|r| self.refused(r))
    }

    fn clear(&self) -> Result<(), Error> {
        let Some((mut f, meta)) = self.open_store(true)? else {
            return Ok(());
        };
        // Overwrite the content before unlinking (best effort: the file
        // system may keep old blocks; see the crate docs' "What is wiped
        // and what is not").
        let _ = wipe(&mut f, meta.len());
        fs::remove_file(&self.path)
            .map_err(|e| self.err(StoreErrorKind::Io, format!("cannot remove: {e}")))?;
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
        open_existing(&lock, false).map_err(|r| self.lock_refused(&lock, r))?;
        self.open_store(false).map(drop)
    }

    fn lock(&self) -> Result<StoreLock, Error> {
        self.check_path()?;
        let path = self.lock_path();
        let f = open_or_create(&path).map_err(|r| self.lock_refused(&path, r))?;
        f.lock()
            .map_err(|e| self.err(StoreErrorKind::Io, format!("cannot lock: {e}")))?;
        Ok(StoreLock::new(FileLock(f)))
    }

    fn name(&self) -> String {
        self.path.display().to_string()
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
