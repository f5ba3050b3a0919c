//! Many callers, one refresh: threads sharing a session, sessions (as
//! processes) sharing a store, `ropc access` processes racing on one store,
//! and a writer killed while it saves.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use ropc::{FileStore, Secret, Session, StoredTokens, TokenStore};

use crate::common::rng::Rng;
use crate::common::tempdir;
use crate::common::{child, cli};

use super::{
    CREDS, HIDDEN, PASSWORD, SECRET, USER, expire_stored_token, ropc, ropc_spawn, setup, store_arg,
};

#[test]
fn concurrent_threads_send_one_refresh() {
    let (p, c, clock) = setup(120);
    let tokens = c
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap();
    let session = Arc::new(Session::new(c, tokens));
    clock.advance(100);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let s = session.clone();
            std::thread::spawn(move || s.access_token().unwrap())
        })
        .collect();
    let tokens: Vec<Secret> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(p.refresh_grants(), 1);
}

#[test]
fn a_rejected_token_is_refreshed_once_for_all_who_saw_it_rejected() {
    // Not near expiry: the API refused the token anyway (revoked, a key
    // rotation). Eight threads report the same rejected token at once.
    let (p, c, _clock) = setup(3600);
    let tokens = c
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap();
    let session = Arc::new(Session::new(c, tokens));
    let rejected = session.access_token().unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let s = session.clone();
            let r = rejected.clone();
            std::thread::spawn(move || s.refresh_rejected(&r).unwrap())
        })
        .collect();
    let fresh: Vec<Secret> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(fresh.windows(2).all(|w| w[0] == w[1]));
    assert_ne!(fresh[0], rejected);
    assert_eq!(p.refresh_grants(), 1);
    // Reporting a token that is not the current one refreshes nothing.
    assert_eq!(
        session.refresh_rejected(&Secret::from("old")).unwrap(),
        fresh[0]
    );
    assert_eq!(session.access_token().unwrap(), fresh[0]);
    assert_eq!(p.refresh_grants(), 1);
}

#[test]
fn a_rejected_token_refresh_goes_through_the_store_across_processes() {
    // Two sessions on one store, as two processes would be: the second
    // reports the token the first already replaced, and gets the new one.
    let (p, c, _clock) = setup(3600);
    let tmp = tempdir("rejected");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let first = Session::with_store(c.clone(), store.clone()).unwrap();
    first.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    let second = Session::with_store(c, store).unwrap();
    let rejected = second.access_token().unwrap();
    let fresh = first.refresh_rejected(&rejected).unwrap();
    assert_eq!(second.refresh_rejected(&rejected).unwrap(), fresh);
    assert_eq!(p.refresh_grants(), 1);
}

// --- crash safety: a writer killed at random points -------------------------

const WRITER_ENV: &str = "ROPC_TEST_STORE_WRITER";
const WRITER_READY: &str = "writer-ready";

fn version(n: usize) -> StoredTokens {
    // Large tokens, so a write takes more than one syscall's worth of time.
    let token = format!("{n}-{}", "x".repeat(20_000 + n % 7));
    StoredTokens::new(
        Some(Secret::from(token.clone())),
        Some(Secret::from(format!("r{token}"))),
        Some(n as i64),
    )
}

/// The writer process the test below starts: says it is ready, then saves
/// new versions until killed.
fn store_writer_child(path: &str) -> ! {
    let store = FileStore::new(path);
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{WRITER_READY}").unwrap();
    stdout.flush().unwrap();
    let mut n = 1;
    loop {
        store.save(&version(n)).unwrap();
        n += 1;
    }
}

/// The writer processes are this same test, run again (`--exact`) with
/// `ROPC_TEST_STORE_WRITER` set; without it, this is the parent.
#[test]
fn a_writer_killed_at_random_points_leaves_the_old_or_the_new_file() {
    const NAME: &str = "a_writer_killed_at_random_points_leaves_the_old_or_the_new_file";
    if let Ok(path) = std::env::var(WRITER_ENV) {
        store_writer_child(&path);
    }
    let tmp = tempdir("kill");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let store = FileStore::new(&path);
    store.save(&version(0)).unwrap();
    let mut rng = Rng::for_test(module_path!(), NAME);
    let mut rounds_with_progress = 0;
    for _ in 0..40 {
        let mut child = child::rerun(module_path!(), NAME)
            .env(WRITER_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The random delay counts from when the writer starts writing, not
        // from when the process was started (which may take longer than the
        // delay on a loaded machine).
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains(WRITER_READY) {
            line.clear();
            assert_ne!(
                out.read_line(&mut line).unwrap(),
                0,
                "the writer ended early"
            );
        }
        std::thread::sleep(Duration::from_micros(2_000 + rng.below(30_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let loaded = store
            .load()
            .unwrap()
            .expect("the store is never removed by a write");
        let n = loaded.expires_at.unwrap() as usize;
        assert_eq!(loaded, version(n), "a torn file");
        if n > 0 {
            rounds_with_progress += 1;
        }
    }
    assert!(
        rounds_with_progress > 0,
        "the writer never got to write: the test proved nothing"
    );
    // No temporary files are left behind to be mistaken for the store.
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "tokens")
        .collect();
    assert!(
        leftovers
            .iter()
            .all(|e| e.file_name().to_string_lossy().starts_with(".tokens.tmp."))
    );
    tmp.close().unwrap();
}

// --- two ropc processes, one refresh ----------------------------------------

/// Two `ropc access` runs find the stored access token near expiry at the
/// same time: one refreshes, the other waits for the store's lock, finds
/// the new token there and prints it too.
///
/// The overlap is forced, not hoped for. This test holds the store's lock
/// (an exclusive `flock` on `PATH.lock`, as `ropc` takes it) while both
/// processes start; each reads the store, sees the token near expiry and
/// blocks on the lock to refresh. Only when the kernel lists both as waiting
/// for that lock (`/proc/locks`) is it released: both have decided to
/// refresh before either can, which is the race the lock must settle.
#[cfg(target_os = "linux")]
#[test]
fn two_processes_near_expiry_send_one_refresh() {
    let p = CREDS.provider();
    let tmp = tempdir("cli-two");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let lock_path = dir.join("tokens.lock");
    let store = store_arg(&path);
    let user = [("ROPC_USERNAME", USER)];
    for round in 0..3 {
        assert_eq!(
            ropc(&["access", "--store", &store], &p, PASSWORD, &user).0,
            0
        );
        expire_stored_token(&path, |_| 0);
        let old = FileStore::new(&path).load().unwrap().unwrap();
        let before = p.refresh_grants();
        let sent = p.requests();
        // The barrier: held while both start, lifted once both wait on it.
        let barrier = std::fs::File::open(&lock_path).unwrap();
        barrier.lock().unwrap();
        let mut children: Vec<_> = (0..2)
            .map(|_| ropc_spawn(&["access", "--store", &store], &p))
            .collect();
        wait_for_lock_waiters(&lock_path, &mut children);
        assert_eq!(
            p.requests(),
            sent,
            "round {round}: nothing sent before the barrier"
        );
        barrier.unlock().unwrap();
        let outputs: Vec<_> = children
            .into_iter()
            .map(|c| cli::finish(c, "", HIDDEN))
            .collect();
        for out in &outputs {
            assert_eq!(out.code, 0, "{}", out.stderr);
        }
        assert_eq!(
            outputs[0].stdout, outputs[1].stdout,
            "round {round}: both print the same fresh token"
        );
        assert_eq!(
            p.refresh_grants() - before,
            1,
            "round {round}: exactly one refresh"
        );
        // The token printed is the new one, valid, and the one stored.
        let token = outputs[0].stdout.trim_end();
        assert_ne!(
            Some(token),
            old.access_token.as_ref().map(Secret::expose_secret)
        );
        let claims = ropc::jwt::verify(token, SECRET.as_bytes(), &ropc::jwt::Validation::default())
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(claims.sub(), Some(USER));
        let stored = FileStore::new(&path).load().unwrap().unwrap();
        assert_eq!(
            stored.access_token.as_ref().map(Secret::expose_secret),
            Some(token)
        );
        let _ = FileStore::new(&path).clear();
    }
    tmp.close().unwrap();
}

/// Waits until every one of `children` is blocked waiting for the `flock`
/// on `lock` that this process holds. Linux lists each waiter in
/// `/proc/locks` as `N: -> FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF`;
/// the waiters are counted by the lock file's device and inode (pids may be
/// those of another pid namespace). Fails when a child ends first, and after
/// a minute (a hang guard, not a timing assertion).
#[cfg(target_os = "linux")]
fn wait_for_lock_waiters(lock: &Path, children: &mut [std::process::Child]) {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(lock).unwrap();
    // The kernel prints the device as MAJOR:MINOR in hex (glibc's encoding
    // of st_dev).
    let dev = meta.dev();
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let file = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    let started = std::time::Instant::now();
    loop {
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        let waiting = locks
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.get(1) == Some(&"->") && f.get(2) == Some(&"FLOCK"))
            .filter(|f| f.get(6) == Some(&file.as_str()))
            .count();
        if waiting == children.len() {
            return;
        }
        for child in children.iter_mut() {
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
                panic!("`ropc access` ended before the lock was released ({status}): {stderr}");
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{waiting} of {} processes wait for {}:\n{locks}",
            children.len(),
            lock.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
