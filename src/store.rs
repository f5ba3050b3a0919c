//! Persisting tokens between runs: the [`TokenStore`] trait and
//! [`FileStore`], a crash-safe, owner-only file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{Error, StoreError};
use crate::secret::Secret;

/// What a store keeps: enough for the next process to carry on without the
/// password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StoredTokens {
    /// The last access token (re-verified when loaded).
    pub access_token: Option<Secret>,
    /// The refresh token to use next.
    pub refresh_token: Option<Secret>,
    /// When the access token expires (seconds since the Unix epoch).
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Somewhere tokens survive the process: a file ([`FileStore`]), a keyring,
/// a secure element.
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

    /// Takes an exclusive lock across processes, held until the guard is
    /// dropped, so two processes never refresh at once. The default does
    /// nothing (a store shared by one process only).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the lock cannot be taken.
    fn lock(&self) -> Result<StoreLock, Error> {
        Ok(StoreLock(None))
    }
}

/// An exclusive lock on a store, released on drop.
#[derive(Debug)]
pub struct StoreLock(Option<File>);

impl Drop for StoreLock {
    fn drop(&mut self) {
        if let Some(f) = &self.0 {
            let _ = f.unlock();
        }
    }
}

/// The largest store file read.
const MAX_STORE: u64 = 64 * 1024;
const MAGIC: &str = "ropc-store 1";

/// A token store in one file, for tools that run again and again.
///
/// * written atomically: a temporary file in the same directory (mode 0600),
///   `fsync`, `rename` over the store, `fsync` of the directory — a crash or
///   `SIGKILL` at any point leaves the old file or the new one;
/// * created with mode 0600; an existing file readable or writable by group
///   or others is refused, not used;
/// * read with a size cap into zeroized buffers; a corrupt or truncated file
///   is an error (never a panic), and is not overwritten until it is cleared;
/// * `lock()` takes an exclusive `flock` on `PATH.lock`, so concurrent
///   processes refresh one at a time.
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

    fn open_options() -> OpenOptions {
        let mut o = OpenOptions::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        o
    }
}

/// Refuses a file that group or others may read or write.
fn check_private(meta: &fs::Metadata) -> Result<(), &'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err("is accessible by group or others (want mode 0600); refusing to use it");
        }
    }
    if !meta.is_file() {
        return Err("is not a regular file");
    }
    Ok(())
}

impl TokenStore for FileStore {
    fn load(&self) -> Result<Option<StoredTokens>, Error> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.err(format!("cannot open: {e}"))),
        };
        let meta = file
            .metadata()
            .map_err(|e| self.err(format!("cannot stat: {e}")))?;
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
        parse(&bytes)
            .map(Some)
            .map_err(|why| self.err(format!("is corrupt ({why}); remove it with `ropc logout`")))
    }

    fn save(&self, tokens: &StoredTokens) -> Result<(), Error> {
        if tokens.access_token.is_none() && tokens.refresh_token.is_none() {
            return Err(self.err("refusing to save an empty store (use clear)"));
        }
        let text = serialize(tokens).map_err(|why| self.err(why))?;
        let dir = self.dir();
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let (mut f, tmp) = create_temp(&dir, &format!(".{name}.tmp."), random_u64)
            .map_err(|e| self.err(format!("cannot create a temporary file: {e}")))?;
        let result = (|| -> io::Result<()> {
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &self.path)?;
            // Make the rename itself durable.
            File::open(&dir)?.sync_all()
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(self.err(format!("cannot write: {e}")));
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), Error> {
        match OpenOptions::new().write(true).open(&self.path) {
            Ok(mut f) => {
                // Overwrite the content before unlinking (best effort: the
                // file system may keep old blocks; see the README).
                let len = f.metadata().map(|m| m.len()).unwrap_or(0).min(MAX_STORE);
                let zeros = vec![0u8; usize::try_from(len).unwrap_or(0)];
                let _ = f.write_all(&zeros).and_then(|()| f.sync_all());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.err(format!("cannot open: {e}"))),
        }
        fs::remove_file(&self.path).map_err(|e| self.err(format!("cannot remove: {e}")))?;
        let _ = File::open(self.dir()).and_then(|d| d.sync_all());
        let _ = fs::remove_file(self.lock_path());
        Ok(())
    }

    fn lock(&self) -> Result<StoreLock, Error> {
        let f = Self::open_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.lock_path())
            .map_err(|e| self.err(format!("cannot open the lock file: {e}")))?;
        f.lock()
            .map_err(|e| self.err(format!("cannot lock: {e}")))?;
        Ok(StoreLock(Some(f)))
    }
}

/// How many random names [`create_temp`] tries before giving up.
const TEMP_TRIES: usize = 8;

/// Creates a new file `DIR/PREFIX<16 hex digits>` (mode 0600) with
/// `O_EXCL`, so nothing planted there is ever opened: a name that is taken
/// is retried with another random one.
fn create_temp(
    dir: &Path,
    prefix: &str,
    mut random: impl FnMut() -> u64,
) -> io::Result<(File, PathBuf)> {
    let mut taken = None;
    for _ in 0..TEMP_TRIES {
        let path = dir.join(format!("{prefix}{:016x}", random()));
        match FileStore::open_options()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => taken = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(taken.unwrap_or_else(|| io::ErrorKind::AlreadyExists.into()))
}

/// 64 unpredictable bits for a file name: from `/dev/urandom`, or else from
/// std's randomly keyed hasher (seeded from the OS once per thread).
fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    if File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .is_ok()
    {
        return u64::from_ne_bytes(bytes);
    }
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

/// `ropc-store 1` / `access_token …` / `refresh_token …` / `expires_at …` /
/// `end`: one item per line, the final `end` line proving the file is whole.
fn serialize(t: &StoredTokens) -> Result<Zeroizing<String>, &'static str> {
    let token_ok =
        |s: &Secret| !s.is_empty() && s.expose_secret().bytes().all(|b| b.is_ascii_graphic());
    for s in [&t.access_token, &t.refresh_token].into_iter().flatten() {
        if !token_ok(s) {
            return Err("a token holds characters the store cannot keep");
        }
    }
    let len = MAGIC.len()
        + t.access_token.as_ref().map_or(0, |s| s.len() + 14)
        + t.refresh_token.as_ref().map_or(0, |s| s.len() + 15)
        + 40
        + 5;
    let mut out = Zeroizing::new(String::with_capacity(len));
    out.push_str(MAGIC);
    out.push('\n');
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
        StoredTokens {
            access_token: Some(Secret::from("eyJ.a.b")),
            refresh_token: Some(Secret::from("rt-123")),
            expires_at: Some(1_700_000_000),
        }
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
            "\u{0}\u{0}\u{0}",
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(parse(b"\xff\xfe").is_err());
    }

    #[test]
    fn a_taken_temporary_name_is_retried_with_another_random_one() {
        let dir = std::env::temp_dir().join(format!("ropc-unit-temp-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!(".t.{:016x}", 1)), "planted").unwrap();
        let mut draws = [1u64, 1, 2].into_iter();
        let (_, path) = create_temp(&dir, ".t.", || draws.next().unwrap()).unwrap();
        assert_eq!(path, dir.join(format!(".t.{:016x}", 2)));
        assert_eq!(
            fs::read(dir.join(format!(".t.{:016x}", 1))).unwrap(),
            b"planted"
        );
        // Only taken names: give up after a few tries, with the error.
        let err = create_temp(&dir, ".t.", || 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_ne!(random_u64(), random_u64());
        fs::remove_dir_all(dir).unwrap();
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
