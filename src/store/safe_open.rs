//! Opening only what the token store may use: regular files of the current
//! user's, never through a symbolic link, never blocking on a FIFO; and new
//! files only under names nobody could have planted.
//!
//! "The current user" is found without `unsafe` and without a system-call
//! crate: it is read from the owner of `/proc/self`, or of a file the
//! process creates. That is the effective uid on Linux in the usual case,
//! and a guess with known limits otherwise: see [`current_uid`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::error::StoreErrorKind;

/// Why a path was refused or an operation failed: the kind, and one phrase
/// about the path (`is a symbolic link; refusing to use it`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) kind: StoreErrorKind,
    pub(crate) why: String,
}

impl Refusal {
    pub(crate) fn new(kind: StoreErrorKind, why: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            why: why.into(),
        }
    }

    fn io(what: &str, e: &io::Error) -> Refusal {
        Refusal::new(StoreErrorKind::Io, format!("{what}: {e}"))
    }
}

/// Options for every file the store opens or creates: mode 0600 when
/// created; a symbolic link is not followed (`O_NOFOLLOW`) and a FIFO does
/// not block the open (`O_NONBLOCK`; it is then refused by [`refuse`]).
#[cfg(unix)]
fn options() -> OpenOptions {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = OpenOptions::new();
    o.mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    o
}

#[cfg(not(unix))]
fn options() -> OpenOptions {
    OpenOptions::new()
}

/// Opens the existing file at `path`, for reading and, when `write`, for
/// writing — only if it is a regular file owned by the current user.
/// `Ok(None)` when nothing is there; `Err` holds the reason it was refused.
///
/// The path is looked at first (`lstat`), so a device, a FIFO or a link is
/// refused without being opened at all; then it is opened with
/// [`options`], and what was opened is checked again (`fstat`), since the
/// path may have been replaced in between.
pub(super) fn open_existing(
    path: &Path,
    write: bool,
) -> Result<Option<(File, fs::Metadata)>, Refusal> {
    match fs::symlink_metadata(path) {
        Ok(meta) => refuse(&meta)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Refusal::io("cannot stat", &e)),
    }
    let file = match options().read(true).write(write).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            // Replaced since it was looked at (ELOOP, ENXIO…): say by what.
            if let Ok(meta) = fs::symlink_metadata(path) {
                refuse(&meta)?;
            }
            return Err(Refusal::io("cannot open", &e));
        }
    };
    let meta = file
        .metadata()
        .map_err(|e| Refusal::io("cannot stat", &e))?;
    refuse(&meta)?;
    Ok(Some((file, meta)))
}

/// Opens the file at `path` as [`open_existing`] does (for reading), or
/// creates it with `O_EXCL` when there is none — never with `O_CREAT` alone,
/// which would follow a dangling link or open another user's file.
pub(super) fn open_or_create(path: &Path) -> Result<File, Refusal> {
    for _ in 0..TRIES {
        if let Some((file, _)) = open_existing(path, false)? {
            return Ok(file);
        }
        match options().write(true).create_new(true).open(path) {
            Ok(file) => return Ok(file),
            // Created meanwhile (by another process): look at it again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Refusal::io("cannot be created", &e)),
        }
    }
    Err(Refusal::new(
        StoreErrorKind::Unsafe,
        "keeps appearing and vanishing; refusing to use it",
    ))
}

/// Refuses, with the reason, anything but a regular file owned by the
/// current user.
fn refuse(meta: &fs::Metadata) -> Result<(), Refusal> {
    let kind = meta.file_type();
    if kind.is_file() {
        return foreign_owner(meta)
            .map_or(Ok(()), |why| Err(Refusal::new(StoreErrorKind::Unsafe, why)));
    }
    let what = if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        special_kind(kind)
    };
    Err(Refusal::new(
        StoreErrorKind::Unsafe,
        format!("is {what}; refusing to use it"),
    ))
}

#[cfg(unix)]
fn special_kind(kind: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: fs::FileType) -> &'static str {
    "not a regular file"
}

#[cfg(unix)]
fn foreign_owner(meta: &fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let me = current_uid()?;
    (meta.uid() != me).then(|| {
        format!(
            "is owned by uid {}, not by you (uid {me}); refusing to use it",
            meta.uid()
        )
    })
}

/// Elsewhere there is no single owner uid to compare; ACLs decide.
#[cfg(not(unix))]
fn foreign_owner(_: &fs::Metadata) -> Option<String> {
    None
}

/// The effective uid, without `unsafe` (no `geteuid(2)` call): the owner of
/// `/proc/self`; without it, the owner of a file this process creates in
/// the temporary directory, found once. `None` when neither works: the
/// owner is then not checked at all (the other checks still hold: no link
/// is followed, only regular files are used, the store's mode is checked).
///
/// What the owner of `/proc/self` is:
///
/// * on Linux, `/proc/self` is the process's own `/proc/PID` directory,
///   owned by its effective uid (as the process's user namespace sees it,
///   as file owners are) — while the process is dumpable. One that is not
///   (a set-user-ID or file-capability program, one that changed its uids,
///   or `PR_SET_DUMPABLE` 0) finds it owned by root: its own files are
///   then refused as another user's. The guess errs toward refusing the
///   process's own files; the one other owner it can take for the
///   process's own is root;
/// * it is not checked to be procfs: in a chroot or container where `/proc`
///   is an ordinary directory, its owner is whoever made it. Where `/proc`
///   belongs to another PID namespace, `/proc/self` does not resolve, and
///   the file below is used;
/// * elsewhere (macOS, the BSDs: no `/proc/self` unless a Linux-compatible
///   procfs is mounted there, which is trusted the same way), a new file's
///   owner is the creating process's effective uid (POSIX; on Linux its
///   file-system uid, the same unless `setfsuid` was called). Where the
///   temporary directory cannot be written, nothing is found.
#[cfg(unix)]
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    use std::sync::OnceLock;
    if let Ok(meta) = fs::metadata("/proc/self") {
        return Some(meta.uid());
    }
    static PROBED: OnceLock<Option<u32>> = OnceLock::new();
    *PROBED.get_or_init(|| {
        let (file, path) = create_temp(&std::env::temp_dir(), ".ropc-uid.", random_u64).ok()?;
        let uid = file.metadata().ok().map(|m| m.uid());
        let _ = fs::remove_file(path);
        uid
    })
}

/// Replaces the file at `path` with `bytes`, atomically: a new temporary
/// file beside it ([`create_temp`]: mode 0600, `O_EXCL`, a random name),
/// written and `fsync`ed, renamed over `path`, and the directory `fsync`ed.
/// A crash or a failure at any point leaves `path` with its old content or
/// the new, never a mix; the temporary file is removed on failure. The
/// rename replaces the directory entry, whatever it held: callers check
/// what is there first ([`check_replaceable`], or the store's own checks).
pub(crate) fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<(), Refusal> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let (mut f, tmp) = create_temp(dir, &format!(".{name}.tmp."), random_u64)
        .map_err(|e| Refusal::io("cannot create a temporary file", &e))?;
    let result = (|| -> io::Result<()> {
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable.
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Refusal::io("cannot write", &e));
    }
    Ok(())
}

/// Whether [`replace_atomically`] may replace `path`: it names a file in a
/// directory that exists ([`check_file_path`]),
/// and holds nothing or a regular file of the current user's — not a
/// symbolic link, a FIFO, a device, a socket or a directory, which is
/// refused without being opened. Nothing is created.
#[cfg(feature = "cli")]
pub(crate) fn check_replaceable(path: &Path) -> Result<(), Refusal> {
    check_file_path(path)?;
    match fs::symlink_metadata(path) {
        Ok(meta) => refuse(&meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Refusal::io("cannot stat", &e)),
    }
}

/// Whether `path` names a file (not empty, not ending in `/`, `.` or
/// `..`) in a directory that exists; the reason when it does not.
pub(super) fn check_file_path(path: &Path) -> Result<(), Refusal> {
    let bad = |why: String| Err(Refusal::new(StoreErrorKind::Path, why));
    let bytes = path.as_os_str().as_encoded_bytes();
    if bytes.is_empty() {
        return bad("the path is empty".into());
    }
    let last = bytes
        .rsplit(|&b| std::path::is_separator(char::from(b)))
        .next()
        .unwrap_or_default();
    if last.is_empty() || last == b"." || last == b".." {
        return bad("names no file (it ends in `/`, `.` or `..`)".into());
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => bad(format!(
            "cannot be created: its directory {} is not a directory",
            dir.display()
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => bad(format!(
            "cannot be created: its directory {} does not exist",
            dir.display()
        )),
        Err(e) => bad(format!(
            "its directory {} cannot be used: {e}",
            dir.display()
        )),
    }
}

/// How many times [`create_temp`] and [`open_or_create`] try before giving
/// up (a new random name, or another look at a file that came and went).
const TRIES: usize = 8;

/// Creates a new file `DIR/PREFIX<16 hex digits>` (mode 0600) with
/// `O_EXCL`, so nothing planted there is ever opened: a name that is taken
/// is retried with another random one.
pub(super) fn create_temp(
    dir: &Path,
    prefix: &str,
    mut random: impl FnMut() -> u64,
) -> io::Result<(File, PathBuf)> {
    let mut taken = None;
    for _ in 0..TRIES {
        let path = dir.join(format!("{prefix}{:016x}", random()));
        match options().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => taken = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(taken.unwrap_or_else(|| io::ErrorKind::AlreadyExists.into()))
}

/// 64 unpredictable bits for a file name: from `/dev/urandom`, or else from
/// std's randomly keyed hasher (seeded from the OS once per thread).
pub(super) fn random_u64() -> u64 {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[cfg(unix)]
    #[test]
    fn the_current_uid_is_the_owner_of_a_file_this_process_creates() {
        use std::os::unix::fs::MetadataExt;
        let (file, path) =
            create_temp(&std::env::temp_dir(), ".ropc-unit-uid.", random_u64).unwrap();
        let mine = file.metadata().unwrap().uid();
        fs::remove_file(path).unwrap();
        assert_eq!(current_uid(), Some(mine));
    }
}
