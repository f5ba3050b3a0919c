//! The file store's rules, against the real things: symbolic links, FIFOs,
//! directories, devices, files of another user in a sticky world-writable
//! directory, and other processes. The store never writes through what it did
//! not create, and wipes only what it can read back as a ropc store.

use crate::common;

use std::io::{BufRead, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Stdio;

use ropc::{Error, FileStore, Secret, StoredTokens, TokenStore};

use common::{child, mkfifo, tempdir, write_private};

fn sample() -> StoredTokens {
    StoredTokens::new(
        Some(Secret::from("eyJ.a.b")),
        Some(Secret::from("rt-sample")),
        Some(1_700_000_000),
    )
}

/// The reason of a store error (anything else fails the test).
fn reason(result: Result<impl std::fmt::Debug, Error>) -> String {
    match result {
        Err(Error::Store(e)) => e.reason,
        other => panic!("expected a store error, got {other:?}"),
    }
}

/// Load, save and clear are each refused, for a reason that contains
/// `why`; the reasons are returned.
fn refused_by_all(store: &FileStore, why: &str) -> Vec<String> {
    [
        ("load", store.load().map(drop)),
        ("save", store.save(&sample())),
        ("clear", store.clear()),
    ]
    .into_iter()
    .map(|(what, result)| {
        let reason = reason(result);
        assert!(reason.contains(why), "{what}: {reason}");
        reason
    })
    .collect()
}

/// A user's file the store must never touch, with its bytes.
fn victim(dir: &Path, name: &str, content: &[u8]) -> (std::path::PathBuf, Vec<u8>) {
    let path = dir.join(name);
    write_private(&path, content);
    (path, content.to_vec())
}

/// What a real ropc store at `path` looks like on disk (written by the store).
fn real_store_bytes(dir: &Path) -> Vec<u8> {
    let path = dir.join(".real-store");
    FileStore::new(&path).save(&sample()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_file(path).unwrap();
    bytes
}

#[test]
fn a_symlinked_store_is_refused_and_its_target_left_alone() {
    let tmp = tempdir("store-symlink");
    let dir = tmp.path();
    let path = dir.join("tokens");
    // The target may be any file of the user's, a ropc store among them.
    let store_bytes = real_store_bytes(dir);
    for (name, content) in [
        ("notes", &b"my notes\n"[..]),
        ("other-store", store_bytes.as_slice()),
    ] {
        let (target, bytes) = victim(dir, name, content);
        std::os::unix::fs::symlink(&target, &path).unwrap();
        refused_by_all(&FileStore::new(&path), "is a symbolic link");
        assert_eq!(std::fs::read(&target).unwrap(), bytes, "{name}: untouched");
        assert!(path.symlink_metadata().unwrap().is_symlink(), "link kept");
        std::fs::remove_file(&path).unwrap();
    }
    tmp.close().unwrap();
}

#[test]
fn a_directory_at_the_store_path_is_refused() {
    let tmp = tempdir("store-dir");
    let dir = tmp.path();
    let path = dir.join("tokens");
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(path.join("inside"), "kept").unwrap();
    refused_by_all(&FileStore::new(&path), "is a directory");
    assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"kept");
    tmp.close().unwrap();
}

#[test]
fn a_device_at_the_store_path_is_refused_and_never_written() {
    // Reading /dev/null's metadata is harmless whatever the store does.
    let why = reason(FileStore::new("/dev/null").load());
    assert!(why.contains("is a device"), "{why}");
    // Save and clear are tried on a device node of our own (the null device),
    // never on the system's /dev/null.
    let tmp = tempdir("store-device");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let made = std::process::Command::new("mknod")
        .arg(&path)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    if !made.success() {
        eprintln!("mknod needs root: save/clear on a device node not staged");
        tmp.close().unwrap();
        return;
    }
    refused_by_all(&FileStore::new(&path), "is a device");
    let meta = path.symlink_metadata().unwrap();
    assert!(meta.file_type().is_char_device(), "the node is still there");
    tmp.close().unwrap();
}

#[test]
fn a_file_that_is_not_a_ropc_store_is_never_written() {
    let tmp = tempdir("store-foreign-content");
    let dir = tmp.path();
    let path = dir.join("tokens");
    for content in [&b"my notes\n"[..], b"", b"ropc-store 2\nend\n"] {
        let (path, bytes) = victim(dir, "tokens", content);
        let store = FileStore::new(&path);
        for why in refused_by_all(&store, "is not a ropc token store; left alone") {
            assert!(!why.contains("logout"), "no destructive advice: {why}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "untouched");
    }
    // A store that is corrupt but has the magic first line is ropc's: clear
    // wipes and removes it.
    std::fs::write(&path, "ropc-store 1\nrefresh_token r\n").unwrap();
    let store = FileStore::new(&path);
    assert!(reason(store.load()).contains("corrupt"));
    store.clear().unwrap();
    assert!(!path.exists());
    tmp.close().unwrap();
}

/// Makes `path` (not following a symlink) belong to another user; `false`
/// when this process may not (not root).
fn give_away(path: &Path) -> bool {
    match std::os::unix::fs::lchown(path, Some(OTHER_UID), Some(OTHER_UID)) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!("chown needs root: {} not staged", path.display());
            false
        }
        Err(e) => panic!("{e}"),
    }
}

const OTHER_UID: u32 = 4242;

#[test]
fn a_store_or_lock_planted_by_another_user_in_a_shared_directory_is_refused() {
    // A /tmp-like directory: world-writable and sticky.
    let tmp = tempdir("store-sticky");
    let dir = tmp.path();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let path = dir.join("tokens");
    let lock = dir.join("tokens.lock");
    let store = FileStore::new(&path);

    // Another user's store, holding their tokens: never loaded, never wiped,
    // never replaced.
    let (planted, bytes) = victim(dir, "tokens", &real_store_bytes(dir));
    if give_away(&planted) {
        refused_by_all(&store, &format!("is owned by uid {OTHER_UID}, not by you"));
        assert_eq!(std::fs::read(&planted).unwrap(), bytes);
        assert_eq!(planted.metadata().unwrap().uid(), OTHER_UID);
    }
    std::fs::remove_file(&planted).unwrap();

    // Another user's lock file: taking it would let them hold our lock.
    std::fs::write(&lock, "").unwrap();
    if give_away(&lock) {
        let why = reason(store.lock());
        assert!(why.contains("tokens.lock"), "{why}");
        assert!(
            why.contains(&format!("is owned by uid {OTHER_UID}")),
            "{why}"
        );
    }
    std::fs::remove_file(&lock).unwrap();

    // Another user's dangling symlink at the lock path: its target is never
    // created.
    let target = dir.join("created-through-the-link");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    give_away(&lock);
    let why = reason(store.lock());
    assert!(
        why.contains("tokens.lock") && why.contains("is a symbolic link"),
        "{why}"
    );
    assert!(!target.exists(), "nothing created through the link");
    tmp.close().unwrap();
}

/// Runs `f` on another thread and waits for it; if it is still blocked after
/// a generous while (it would block forever on a FIFO), unblocks it by
/// opening the FIFO at both ends and fails the test.
fn without_blocking<T: Send + 'static>(fifo: &Path, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(f()).unwrap());
    match rx.recv_timeout(std::time::Duration::from_secs(20)) {
        Ok(v) => v,
        Err(_) => {
            let _ = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(fifo);
            panic!("blocked on the FIFO {}", fifo.display());
        }
    }
}

#[test]
fn a_fifo_at_the_store_or_lock_path_is_refused_without_blocking() {
    let tmp = tempdir("store-fifo");
    let dir = tmp.path();
    let path = dir.join("tokens");
    mkfifo(&path);
    for op in ["load", "save", "clear"] {
        let store = FileStore::new(&path);
        let result = without_blocking(&path, move || match op {
            "load" => store.load().map(drop),
            "save" => store.save(&sample()),
            _ => store.clear(),
        });
        let why = reason(result);
        assert!(why.contains("is a FIFO"), "{op}: {why}");
        assert!(path.symlink_metadata().unwrap().file_type().is_fifo());
    }
    std::fs::remove_file(&path).unwrap();
    let lock = dir.join("tokens.lock");
    mkfifo(&lock);
    let store = FileStore::new(&path);
    let why = reason(without_blocking(&lock, move || store.lock().map(drop)));
    assert!(
        why.contains("tokens.lock") && why.contains("is a FIFO"),
        "{why}"
    );
    tmp.close().unwrap();
}

#[test]
fn a_planted_temporary_file_cannot_make_a_save_fail() {
    let tmp = tempdir("store-planted-temp");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let victim_path = dir.join("victim");
    std::fs::write(&victim_path, "kept").unwrap();
    // Temporary names were `.tokens.tmp.PID.N`: plant the first ones for this
    // process, as files and as symlinks to a victim.
    let pid = std::process::id();
    for n in 0..2_000 {
        let planted = dir.join(format!(".tokens.tmp.{pid}.{n}"));
        if n % 2 == 0 {
            std::fs::write(planted, "").unwrap();
        } else {
            std::os::unix::fs::symlink(&victim_path, planted).unwrap();
        }
    }
    let store = FileStore::new(&path);
    for _ in 0..10 {
        store.save(&sample()).unwrap();
    }
    assert_eq!(store.load().unwrap(), Some(sample()));
    assert_eq!(std::fs::read(&victim_path).unwrap(), b"kept");
    tmp.close().unwrap();
}

// --- the lock, across processes --------------------------------------------

/// Set in the child processes of the lock test: the shared directory.
const LOCK_CHILD_DIR: &str = "ROPC_TEST_LOCK_CHILD_DIR";
const LOCK_CHILD_ID: &str = "ROPC_TEST_LOCK_CHILD_ID";
const LOCK_CHILD_READY: &str = "lock-child-ready";
const LOCK_ROUNDS: usize = 40;

/// Three processes take the store's lock again and again; while holding it,
/// each saves and clears the store (clear used to unlink `PATH.lock` under
/// the holder, so that the next process locked a new file) around a
/// read-modify-write of a shared counter, and logs when it enters and leaves.
///
/// The children are this same test, run again by the parent (`--exact`)
/// with `ROPC_TEST_LOCK_CHILD_DIR` set; without it, this is the parent.
#[test]
fn three_processes_never_hold_the_store_lock_at_once() {
    if let Ok(dir) = std::env::var(LOCK_CHILD_DIR) {
        return lock_child(Path::new(&dir));
    }
    let tmp = tempdir("store-lock-three");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    std::fs::write(dir.join("counter"), "0").unwrap();
    // The parent holds the lock until every child is about to take it, so
    // that they start by contending for it.
    let held = store.lock().unwrap();
    let mut children: Vec<_> = (0..3)
        .map(|id| {
            child::rerun(
                module_path!(),
                "three_processes_never_hold_the_store_lock_at_once",
            )
            .env(LOCK_CHILD_DIR, dir)
            .env(LOCK_CHILD_ID, id.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut stdouts = Vec::new();
    for child in &mut children {
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains(LOCK_CHILD_READY) {
            line.clear();
            assert_ne!(out.read_line(&mut line).unwrap(), 0, "a child ended early");
        }
        stdouts.push(out);
    }
    drop(held);
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    drop(stdouts);

    // The log first: an overlap also makes the children fail, less clearly.
    let log = std::fs::read_to_string(dir.join("log")).unwrap();
    let mut holder = None;
    let mut entries = 0;
    let mut handovers = 0;
    let mut last = None;
    for line in log.lines() {
        match line.split_once(' ').unwrap() {
            ("enter", who) => {
                assert_eq!(
                    holder, None,
                    "{who} entered while {holder:?} held the lock:\n{log}"
                );
                holder = Some(who);
                entries += 1;
                if last.is_some_and(|l| l != who) {
                    handovers += 1;
                }
                last = Some(who);
            }
            ("leave", who) => {
                assert_eq!(holder, Some(who), "{log}");
                holder = None;
            }
            _ => panic!("{line}"),
        }
    }
    for out in &outputs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(entries, 3 * LOCK_ROUNDS);
    let counter = std::fs::read_to_string(dir.join("counter")).unwrap();
    assert_eq!(counter, (3 * LOCK_ROUNDS).to_string(), "no update lost");
    eprintln!("handovers between processes: {handovers}");
    // More than the two that running one after the other would give: the
    // processes really did take turns.
    assert!(handovers > 2, "the processes never contended:\n{log}");
    assert!(dir.join("tokens.lock").exists(), "the lock file is kept");
    tmp.close().unwrap();
}

fn lock_child(dir: &Path) {
    let me = std::env::var(LOCK_CHILD_ID).unwrap();
    let store = FileStore::new(dir.join("tokens"));
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join("log"))
        .unwrap();
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{LOCK_CHILD_READY}").unwrap();
    stdout.flush().unwrap();
    for _ in 0..LOCK_ROUNDS {
        let _held = store.lock().unwrap();
        log.write_all(format!("enter {me}\n").as_bytes()).unwrap();
        let n: usize = std::fs::read_to_string(dir.join("counter"))
            .unwrap()
            .parse()
            .unwrap();
        store.save(&sample()).unwrap();
        store.clear().unwrap();
        std::fs::write(dir.join("counter"), (n + 1).to_string()).unwrap();
        log.write_all(format!("leave {me}\n").as_bytes()).unwrap();
    }
}

#[test]
fn a_store_in_a_missing_directory_is_refused_naming_the_directory() {
    let tmp = tempdir("store-no-dir");
    let dir = tmp.path();
    let missing = dir.join("my-app");
    let store = FileStore::new(missing.join("tokens"));
    let want = format!("its directory {} does not exist", missing.display());
    for (what, result) in [
        ("check", store.check()),
        ("lock", store.lock().map(drop)),
        ("save", store.save(&sample())),
    ] {
        let reason = reason(result);
        assert!(reason.contains(&want), "{what}: {reason}");
        assert!(!reason.contains(".lock"), "{what}: {reason}");
    }
    assert!(!missing.exists(), "nothing created");
    tmp.close().unwrap();
}

#[test]
fn a_store_path_that_names_no_file_is_refused_before_anything_is_created() {
    let tmp = tempdir("store-no-name");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("sub")).unwrap();
    let d = dir.display();
    for path in [
        String::new(),
        format!("{d}/sub/"),
        format!("{d}/new/"),
        format!("{d}/sub/."),
        format!("{d}/sub/.."),
        "/".to_owned(),
    ] {
        let store = FileStore::new(&path);
        for (what, result) in [
            ("check", store.check()),
            ("lock", store.lock().map(drop)),
            ("save", store.save(&sample())),
        ] {
            let reason = reason(result);
            let want = if path.is_empty() {
                "the path is empty"
            } else {
                "names no file"
            };
            assert!(reason.contains(want), "{path:?} {what}: {reason}");
        }
    }
    let mut left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, ["sub"], "nothing created beside them");
    assert_eq!(std::fs::read_dir(dir.join("sub")).unwrap().count(), 0);
    tmp.close().unwrap();
}

#[test]
fn check_refuses_a_lock_path_the_lock_would_refuse_without_creating_anything() {
    let tmp = tempdir("store-check-lock");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let lock = dir.join("tokens.lock");
    std::fs::create_dir(&lock).unwrap();
    let why = reason(FileStore::new(&path).check());
    assert!(
        why.contains("lock file") && why.contains("is a directory"),
        "{why}"
    );
    std::fs::remove_dir(&lock).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", &lock).unwrap();
    let why = reason(FileStore::new(&path).check());
    assert!(
        why.contains("lock file") && why.contains("is a symbolic link"),
        "{why}"
    );
    std::fs::remove_file(&lock).unwrap();
    // A missing lock file is fine: `lock` creates it.
    FileStore::new(&path).check().unwrap();
    assert!(!lock.exists());
    tmp.close().unwrap();
}

#[test]
fn the_account_is_kept_in_printable_ascii_lines_and_read_back_exactly() {
    let tmp = tempdir("store-account");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let odd = "J. Random %2B+ Üser\tname\n=&";
    let tokens = sample().with_account("https://id.example/token?x=1 2", "my app", Some(odd));
    store.save(&tokens).unwrap();
    let text = std::fs::read(store.path()).unwrap();
    assert!(
        text.iter()
            .all(|&b| b == b'\n' || b.is_ascii_graphic() || b == b' '),
        "{}",
        String::from_utf8_lossy(&text)
    );
    assert!(
        text.starts_with(b"ropc-store 1\n"),
        "the magic is unchanged"
    );
    let back = store.load().unwrap().unwrap();
    assert_eq!(back, tokens);
    assert_eq!(back.username.as_deref(), Some(odd));
    assert_eq!(back.client_id.as_deref(), Some("my app"));
    assert_eq!(
        back.token_url.as_deref(),
        Some("https://id.example/token?x=1 2")
    );
    // An empty value is no value.
    let none = sample().with_account("https://id.example/token", "app", Some(""));
    assert_eq!(none.username, None);
    tmp.close().unwrap();
}

/// A program acts on what kind of problem a store has, not on its words.
#[test]
fn store_errors_say_what_kind_they_are() {
    use ropc::StoreErrorKind as Kind;
    let kind = |r: Result<Option<StoredTokens>, Error>| match r {
        Err(Error::Store(e)) => e.kind,
        other => panic!("{other:?}"),
    };
    let tmp = tempdir("store-kinds");
    let dir = tmp.path();
    // A symbolic link: unsafe.
    std::os::unix::fs::symlink("/etc/hostname", dir.join("link")).unwrap();
    assert_eq!(kind(FileStore::new(dir.join("link")).load()), Kind::Unsafe);
    // A file that is not a store.
    write_private(&dir.join("other"), "hello\n");
    assert_eq!(
        kind(FileStore::new(dir.join("other")).load()),
        Kind::NotAStore
    );
    // A store that does not read back.
    write_private(&dir.join("broken"), "ropc-store 1\nwho knows\nend\n");
    assert_eq!(
        kind(FileStore::new(dir.join("broken")).load()),
        Kind::Corrupt
    );
    // Readable by others.
    write_private(&dir.join("open"), "ropc-store 1\nrefresh_token r\nend\n");
    std::fs::set_permissions(dir.join("open"), std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(kind(FileStore::new(dir.join("open")).load()), Kind::Unsafe);
    // A path that names no file, a missing directory.
    let check = |path: &Path| match FileStore::new(path).check() {
        Err(Error::Store(e)) => e.kind,
        other => panic!("{other:?}"),
    };
    assert_eq!(check(&dir.join("nowhere/tokens")), Kind::Path);
    assert_eq!(check(&dir.join("..")), Kind::Path);
    // Stores of your own say Other.
    assert_eq!(ropc::StoreError::new("mine", "x").kind, Kind::Other);
    tmp.close().unwrap();
}
