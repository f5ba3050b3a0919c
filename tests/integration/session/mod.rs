//! Sessions, the file store and `ropc access`/`ropc logout`, against the
//! loopback provider with a clock the tests move (no long sleeps).

use crate::common;

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ropc::jwt::Clock;
use ropc::testing::{Misbehavior, Provider};
use ropc::{
    Client, Error, ErrorCode, FileStore, ManualClock, RetryPolicy, Secret, Session, StoreError,
    StoreLock, StoredTokens, TokenStore,
};

use common::creds::Creds;
use common::rng::Rng;
use common::{child, cli};
use common::{mkfifo, tempdir, write_private};

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

#[test]
fn refreshes_only_when_near_expiry() {
    let (p, c, clock) = setup(300);
    let tokens = c
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap();
    let session = Session::new(c, tokens).skew(Duration::from_secs(60));
    let first = session.access_token().unwrap();
    clock.advance(200); // 100 s left: more than the skew
    assert_eq!(session.access_token().unwrap(), first);
    assert_eq!(p.refresh_grants(), 0);
    clock.advance(50); // 50 s left: within the skew
    let second = session.access_token().unwrap();
    assert_ne!(second, first);
    assert_eq!(p.refresh_grants(), 1);
    assert_eq!(session.access_token().unwrap(), second);
    assert_eq!(p.refresh_grants(), 1);
}

#[test]
fn a_rotated_refresh_token_replaces_the_old_one_at_once_and_is_persisted() {
    let (p, c, clock) = setup(120);
    let dir = tempdir("rotate");
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(c.clone(), store.clone()).unwrap();
    let t = session.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    let rt1 = t.refresh_token().unwrap().clone();
    assert_eq!(
        store.load().unwrap().unwrap().refresh_token.as_ref(),
        Some(&rt1)
    );
    clock.advance(100);
    session.access_token().unwrap();
    let rt2 = store.load().unwrap().unwrap().refresh_token.unwrap();
    assert_ne!(rt2, rt1);
    assert_eq!(session.tokens().unwrap().refresh_token(), Some(&rt2));
    // The old one is dead at the provider; the new one works.
    assert!(c.refresh_with(&rt1, &[]).is_err());
    assert_eq!(p.refresh_grants(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn invalid_grant_on_refresh_is_login_required() {
    let (p, c, clock) = setup(120);
    let tokens = c
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap();
    let session = Session::new(c, tokens);
    p.revoke_refresh_tokens();
    clock.advance(100);
    assert_eq!(session.access_token().unwrap_err(), Error::LoginRequired);
    assert!(!session.is_logged_in());
    // Logging in again recovers.
    session.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    session.access_token().unwrap();
}

#[test]
fn a_session_without_tokens_requires_login() {
    let (_p, c, _clock) = setup(120);
    let dir = tempdir("empty");
    let session = Session::with_store(c, FileStore::new(dir.join("none"))).unwrap();
    assert_eq!(session.access_token().unwrap_err(), Error::LoginRequired);
    std::fs::remove_dir_all(dir).unwrap();
}

// --- a store holds one account's tokens ---------------------------------------

/// What `result` says, when it is a store error (anything else fails).
fn store_reason<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
    match result {
        Err(Error::Store(e)) => e.reason,
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[test]
fn a_store_records_the_account_it_was_made_for() {
    let (_p, c, _clock) = setup(120);
    let dir = tempdir("account-recorded");
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(c.clone(), store.clone()).unwrap();
    session.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.token_url.as_deref(), Some(c.token_url()));
    assert_eq!(stored.client_id.as_deref(), Some(ID));
    assert_eq!(stored.username.as_deref(), Some(USER));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_session_refuses_a_store_made_for_another_token_url_or_client_id() {
    let (p, c, _clock) = setup(120);
    let dir = tempdir("account-client");
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(c.clone(), store.clone()).unwrap();
    session.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    let before = std::fs::read(store.path()).unwrap();
    let other_url = format!("{}?tenant=2", p.url());
    let cases = [
        (
            Client::builder(&other_url, ID, SECRET).build().unwrap(),
            format!("token URL {:?} (not {other_url:?})", p.url()),
        ),
        (
            Client::builder(p.url(), "other-client", SECRET)
                .build()
                .unwrap(),
            format!("client id {ID:?} (not \"other-client\")"),
        ),
    ];
    for (client, why) in cases {
        let refused = Session::with_store(client, store.clone());
        assert!(
            matches!(&refused, Err(ropc::Error::Store(e)) if e.kind == ropc::StoreErrorKind::Account),
            "{refused:?}"
        );
        let reason = store_reason(refused);
        assert!(reason.contains(&why), "{reason}");
        assert!(reason.contains("refusing"), "{reason}");
    }
    assert_eq!(
        std::fs::read(store.path()).unwrap(),
        before,
        "left as it is"
    );
    assert_eq!(p.requests(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_session_bound_to_a_user_refuses_a_store_made_for_another() {
    let (p, c, _clock) = setup(120);
    let dir = tempdir("account-user");
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store_for(c.clone(), store.clone(), USER).unwrap();
    session.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    drop(session);
    // The same user: the stored tokens.
    let session = Session::with_store_for(c.clone(), store.clone(), USER).unwrap();
    assert!(session.is_logged_in());
    // Another user: refused, nothing handed out.
    let reason = store_reason(Session::with_store_for(c.clone(), store.clone(), "mallory"));
    assert!(
        reason.contains(&format!("user {USER:?} (not \"mallory\")")),
        "{reason}"
    );
    // A session bound to one user does not log in another.
    let session = Session::with_store_for(c, FileStore::new(dir.join("other")), USER).unwrap();
    let err = session
        .login("mallory", &Secret::from("whatever"), &[])
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert_eq!(p.requests(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_store_written_before_accounts_keeps_working_and_is_adopted_by_the_next_save() {
    let (p, c, clock) = setup(120);
    let dir = tempdir("account-adopt");
    let path = dir.join("tokens");
    let tokens = c
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap();
    // What a ropc store held before it recorded its account.
    let old = format!(
        "ropc-store 1\naccess_token {}\nrefresh_token {}\nexpires_at {}\nend\n",
        tokens.access_token().expose_secret(),
        tokens.refresh_token().unwrap().expose_secret(),
        tokens.expires_at().unwrap()
    );
    write_private(&path, &old);
    let store = FileStore::new(&path);
    let stored = store.load().unwrap().unwrap();
    assert_eq!(
        (stored.token_url, stored.client_id, stored.username),
        (None, None, None)
    );
    let session = Session::with_store_for(c.clone(), store.clone(), USER).unwrap();
    assert_eq!(session.access_token().unwrap(), *tokens.access_token());
    // The next save (a refresh) records the account.
    clock.advance(100);
    session.access_token().unwrap();
    assert_eq!(p.refresh_grants(), 1);
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.token_url.as_deref(), Some(c.token_url()));
    assert_eq!(stored.client_id.as_deref(), Some(ID));
    assert_eq!(stored.username.as_deref(), Some(USER));
    std::fs::remove_dir_all(dir).unwrap();
}

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
    let dir = tempdir("rejected");
    let store = FileStore::new(dir.join("tokens"));
    let first = Session::with_store(c.clone(), store.clone()).unwrap();
    first.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    let second = Session::with_store(c, store).unwrap();
    let rejected = second.access_token().unwrap();
    let fresh = first.refresh_rejected(&rejected).unwrap();
    assert_eq!(second.refresh_rejected(&rejected).unwrap(), fresh);
    assert_eq!(p.refresh_grants(), 1);
}

#[test]
fn the_store_is_created_owner_only_and_refused_when_others_can_read_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir("perms");
    let path = dir.join("tokens");
    let store = FileStore::new(&path);
    let t = StoredTokens::new(None, Some(Secret::from("rt")), None);
    store.save(&t).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(store.load().unwrap(), Some(t));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.load().unwrap_err();
    assert!(
        matches!(&err, Error::Store(e) if e.reason.contains("group or others")),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_corrupt_or_truncated_store_is_an_error_and_left_alone() {
    let dir = tempdir("corrupt");
    let path = dir.join("tokens");
    // A store (magic first line) that is cut short is corrupt; without the
    // magic line it is not a store at all.
    for (content, why) in [
        (&b"ropc-store 1\nrefresh_token abc\n"[..], "corrupt"),
        (b"ropc-store 1", "corrupt"),
        (b"garbage", "is not a ropc token store"),
        (b"", "is not a ropc token store"),
        (b"\xff\xff\xff", "is not a ropc token store"),
    ] {
        write_private(&path, content);
        let err = FileStore::new(&path).load().unwrap_err();
        assert!(
            matches!(&err, Error::Store(e) if e.reason.contains(why)),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), content, "left as it was");
    }
    let big = vec![b'a'; 100_000];
    std::fs::write(&path, &big).unwrap();
    assert!(FileStore::new(&path).load().is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn clear_removes_the_store() {
    let dir = tempdir("clear");
    let store = FileStore::new(dir.join("tokens"));
    store
        .save(&StoredTokens::new(None, Some(Secret::from("rt")), None))
        .unwrap();
    store.clear().unwrap();
    assert_eq!(store.load().unwrap(), None);
    store.clear().unwrap(); // twice is fine
    assert!(
        store.save(&StoredTokens::default()).is_err(),
        "an empty store is never written"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// --- crash safety: a writer killed at random points ------------------------

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
    let dir = tempdir("kill");
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
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "tokens")
        .collect();
    assert!(
        leftovers
            .iter()
            .all(|e| e.file_name().to_string_lossy().starts_with(".tokens.tmp."))
    );
    std::fs::remove_dir_all(dir).unwrap();
}

// --- ropc access / ropc logout ----------------------------------------------

/// What `ropc` must never show, whatever happens.
const HIDDEN: &[&str] = &[PASSWORD, SECRET];

/// `ropc ARGS` as this client of `p`, with `extra` variables (which win).
fn ropc(args: &[&str], p: &Provider, stdin: &str, extra: &[(&str, &str)]) -> (i32, String, String) {
    let mut env: Vec<(&str, String)> = CREDS.client_env(p.url());
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let out = cli::run(cli::command(args, &env), stdin, HIDDEN);
    (out.code, out.stdout, out.stderr)
}

/// Rewrites the stored access token's expiry (to simulate time passing for
/// the `ropc` processes, which read the system clock).
/// Moves the stored token's expiry, and its refresh point with it, by `at`
/// (a token near expiry, without waiting for it).
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

#[test]
fn access_without_store_or_password_exits_3_login_required() {
    let p = CREDS.provider();
    let dir = tempdir("cli-login");
    let store = store_arg(&dir.join("tokens"));
    let user = [("ROPC_USERNAME", USER)];
    let (code, stdout, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("login required"), "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(p.requests(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn access_without_a_username_is_a_configuration_error_not_login_required() {
    let p = CREDS.provider();
    let dir = tempdir("cli-no-user");
    let store = store_arg(&dir.join("tokens"));
    // Nothing stored, a password on stdin: still exit 2, naming the variable.
    let (code, stdout, stderr) = ropc(&["access", "--store", &store], &p, PASSWORD, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr, "ropc: ROPC_USERNAME is not set\n");
    assert!(stdout.is_empty());
    // Nothing set at all: every variable at once.
    let out = cli::run(
        cli::command(&["access", "--store", &store], &[("HOME", "/")]),
        "",
        HIDDEN,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "ropc: ROPC_TOKEN_URL, ROPC_CLIENT_ID, ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) \
         and ROPC_USERNAME are not set\n"
    );
    assert_eq!(p.requests(), 0);
    assert!(!dir.join("tokens.lock").exists(), "nothing done");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn access_logs_in_once_then_lives_on_the_store() {
    use std::os::unix::fs::PermissionsExt;
    let p = CREDS.provider();
    let dir = tempdir("cli-access");
    let path = dir.join("tokens");
    let store = store_arg(&path);
    let user = [("ROPC_USERNAME", USER)];
    let (code, first, stderr) = ropc(
        &["access", "--store", &store],
        &p,
        &format!("{PASSWORD}\n"),
        &user,
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        first.starts_with("eyJ") && first.ends_with('\n') && first.lines().count() == 1,
        "{first}"
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(p.records().len(), 1);
    // Next run: the stored token is still valid; no request, no password needed.
    let (code, second, _) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 0);
    assert_eq!(second, first);
    assert_eq!(p.requests(), 1);
    // Near expiry (simulated by rewriting expires_at): one refresh, rotation saved.
    let fs = FileStore::new(&path);
    let old_rt = fs.load().unwrap().unwrap().refresh_token.unwrap();
    expire_stored_token(&path, |at| at - 3590);
    let (code, third, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(third, first);
    assert_eq!(p.refresh_grants(), 1);
    assert_ne!(fs.load().unwrap().unwrap().refresh_token.unwrap(), old_rt);
    // Logout wipes the store; the next access needs the password again.
    let (code, _, _) = ropc(&["logout", "--store", &store], &p, "", &[]);
    assert_eq!(code, 0);
    assert!(!path.exists());
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn access_with_a_revoked_refresh_token_and_no_password_exits_3() {
    let p = CREDS.provider();
    let dir = tempdir("cli-revoked");
    let path = dir.join("tokens");
    let store = store_arg(&path);
    let user = [("ROPC_USERNAME", USER)];
    assert_eq!(
        ropc(&["access", "--store", &store], &p, PASSWORD, &user).0,
        0
    );
    expire_stored_token(&path, |_| 0);
    p.revoke_refresh_tokens();
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("login required"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

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
    let dir = tempdir("cli-two");
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
    std::fs::remove_dir_all(dir).unwrap();
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

/// `ropc ARGS` as this client and user of `p`, started with stdin closed;
/// [`cli::finish`] collects it.
fn ropc_spawn(args: &[&str], p: &Provider) -> std::process::Child {
    let mut cmd = cli::command(args, &CREDS.login_env(p.url()));
    cmd.stdin(Stdio::null());
    cmd.spawn().unwrap()
}

#[test]
fn access_and_logout_need_a_store_path() {
    let p = CREDS.provider();
    for args in [
        &["access"][..],
        &["access", "--store"],
        &["logout"],
        &["access", "--stor", "x"],
    ] {
        assert_eq!(ropc(args, &p, "", &[]).0, 2, "{args:?}");
    }
}

#[test]
fn access_on_a_terminal_prompts_only_when_it_needs_the_password() {
    let p = CREDS.provider();
    let dir = tempdir("cli-terminal");
    let store = store_arg(&dir.join("tokens"));
    let env = CREDS.login_env(p.url());
    let args = ["access", "--store", &store];
    // Nothing stored: the password is asked for, without echo.
    let mut term = cli::Terminal::start(cli::on_a_terminal(&args, &env));
    term.wait_for(&format!("password for {USER}: "));
    term.type_line(PASSWORD);
    let first = term.finish(HIDDEN);
    assert_eq!(first.code, 0, "{:?}", first.stdout);
    let token = first.stdout.lines().last().unwrap();
    assert!(token.starts_with("eyJ"), "{:?}", first.stdout);
    // Stored: no prompt, the same token.
    let second = cli::Terminal::start(cli::on_a_terminal(&args, &env)).finish(HIDDEN);
    assert_eq!(second.code, 0, "{:?}", second.stdout);
    assert_eq!(second.stdout, format!("{token}\n"));
    // A store that cannot be used: no prompt either, exit 2.
    let missing = store_arg(&dir.join("missing").join("tokens"));
    let out = cli::Terminal::start(cli::on_a_terminal(&["access", "--store", &missing], &env))
        .finish(HIDDEN);
    assert_eq!(out.code, 2, "{:?}", out.stdout);
    assert!(!out.stdout.contains("password"), "{:?}", out.stdout);
    assert!(out.stdout.contains("does not exist"), "{:?}", out.stdout);
    assert_eq!(p.requests(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn access_refuses_a_store_made_for_another_user_client_or_token_url() {
    let p = CREDS.provider();
    let dir = tempdir("cli-account");
    let path = dir.join("tokens");
    let store = store_arg(&path);
    let args = ["access", "--store", &store];
    let user = [("ROPC_USERNAME", USER)];
    let (code, token, stderr) = ropc(&args, &p, PASSWORD, &user);
    assert_eq!(code, 0, "{stderr}");
    let before = std::fs::read(&path).unwrap();
    let other_url = format!("{}?tenant=2", p.url());
    let cases = [
        (
            vec![("ROPC_USERNAME", "bob")],
            format!("user {USER:?} (not \"bob\")"),
        ),
        (
            vec![("ROPC_USERNAME", USER), ("ROPC_CLIENT_ID", "other-client")],
            format!("client id {ID:?} (not \"other-client\")"),
        ),
        (
            vec![
                ("ROPC_USERNAME", USER),
                ("ROPC_TOKEN_URL", other_url.as_str()),
            ],
            format!("token URL {:?} (not {other_url:?})", p.url()),
        ),
    ];
    for (extra, why) in cases {
        // A password at hand changes nothing: the store is refused first.
        let (code, stdout, stderr) = ropc(&args, &p, PASSWORD, &extra);
        assert_eq!(code, 2, "{extra:?}: {stderr}");
        assert!(stdout.is_empty(), "{extra:?}: handed out {stdout}");
        assert!(stderr.contains(&why), "{extra:?}: {stderr}");
        assert!(!stderr.contains(token.trim_end()), "{stderr}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "left as it is");
    assert_eq!(p.requests(), 1);
    // The account it was made for still gets its token.
    let (code, again, _) = ropc(&args, &p, "", &user);
    assert_eq!((code, again), (0, token));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn access_output_replaces_the_file_atomically_with_mode_0600_and_leaves_it_on_failure() {
    use std::os::unix::fs::PermissionsExt;
    let p = CREDS.provider();
    let dir = tempdir("cli-output");
    let store = store_arg(&dir.join("tokens"));
    let out_dir = dir.join("run");
    std::fs::create_dir(&out_dir).unwrap();
    let file = out_dir.join("access-token");
    std::fs::write(&file, "old token\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = store_arg(&file);
    let user = [("ROPC_USERNAME", USER)];
    let args = ["access", "--store", &store, "--output", &output];
    let (code, stdout, stderr) = ropc(&args, &p, PASSWORD, &user);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let token = std::fs::read_to_string(&file).unwrap();
    assert!(token.starts_with("eyJ") && token.ends_with('\n') && token.lines().count() == 1);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        names_in(&out_dir),
        ["access-token"],
        "no temporary file left"
    );
    // `--output=FILE`, before `--store`: the same token (from the store).
    let eq = format!("--output={output}");
    let (code, _, stderr) = ropc(&["access", &eq, "--store", &store], &p, "", &user);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), token);
    // Any failure leaves the file as it was: here a dead refresh token and
    // no password (exit 3), then a provider answering garbage (exit 6).
    expire_stored_token(&dir.join("tokens"), |_| 0);
    p.revoke_refresh_tokens();
    let (code, _, stderr) = ropc(&args, &p, "", &user);
    assert_eq!(code, 3, "{stderr}");
    p.set_misbehavior(Some(ropc::testing::Misbehavior::NotJson));
    let (code, _, stderr) = ropc(&args, &p, PASSWORD, &user);
    assert_eq!(code, 6, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        token,
        "left as it was"
    );
    assert_eq!(names_in(&out_dir), ["access-token"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn access_output_refuses_what_the_store_refuses_before_the_password_is_sent() {
    let p = CREDS.provider();
    let dir = tempdir("cli-output-refused");
    let store = store_arg(&dir.join("tokens"));
    let notes = dir.join("notes");
    write_private(&notes, "my notes\n");
    let link = dir.join("link");
    std::os::unix::fs::symlink(&notes, &link).unwrap();
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let subdir = dir.join("subdir");
    std::fs::create_dir(&subdir).unwrap();
    std::os::unix::fs::symlink(&dir, dir.join("alias")).unwrap();
    let user = [("ROPC_USERNAME", USER)];
    let cases = [
        (store_arg(&link), "is a symbolic link"),
        (store_arg(&fifo), "is a FIFO"),
        (store_arg(&subdir), "is a directory"),
        (
            store_arg(&dir.join("missing").join("token")),
            "does not exist",
        ),
        (format!("{}/", store_arg(&subdir)), "names no file"),
        (store.clone(), "the same file"),
        // The same file spelled otherwise, and the store's lock file.
        (
            format!("{}/subdir/../tokens", store_arg(&dir)),
            "the same file",
        ),
        (format!("{}/./tokens", store_arg(&dir)), "the same file"),
        (format!("{store}.lock"), "the same file"),
        (format!("{}/alias/tokens", store_arg(&dir)), "the same file"),
    ];
    for (output, why) in cases {
        let args = ["access", "--store", &store, "--output", &output];
        let (code, stdout, stderr) = ropc(&args, &p, PASSWORD, &user);
        assert_eq!(code, 2, "{output}: {stderr}");
        assert!(
            stderr.contains("--output") && stderr.contains(why),
            "{output}: {stderr}"
        );
        assert!(stdout.is_empty());
    }
    assert_eq!(p.requests(), 0, "the password was sent");
    assert_eq!(std::fs::read(&notes).unwrap(), b"my notes\n");
    assert!(link.symlink_metadata().unwrap().is_symlink());
    assert!(!dir.join("tokens").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// `ropc access --store STORE` as this client and user, run in `cwd` with
/// the password and a second line on stdin; then the shell reads what is
/// left of stdin and says on stderr whether the password line was still
/// there (ropc reads stdin in chunks: a password it read is gone).
fn access_reading_stdin_after(p: &Provider, cwd: &Path, store: &str) -> cli::Out {
    let script = r#""$0" "$@"; status=$?; IFS= read -r line && [ -n "$line" ] && echo "stdin unread" >&2; exit $status"#;
    let mut cmd = cli::shell_command(
        script,
        &["access", "--store", store],
        &CREDS.login_env(p.url()),
    );
    cmd.current_dir(cwd);
    cli::run(cmd, &format!("{PASSWORD}\nsecond line\n"), HIDDEN)
}

#[test]
fn access_finds_every_store_problem_before_the_password_is_read_or_sent() {
    let p = CREDS.provider();
    let dir = tempdir("cli-store-problems");
    let cwd = dir.join("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let existing = dir.join("existing-dir");
    std::fs::create_dir(&existing).unwrap();
    let missing = dir.join("cache").join("my-app");
    let lock_is_a_dir = dir.join("locked");
    std::fs::create_dir_all(lock_is_a_dir.join("tokens.lock")).unwrap();
    let cases = [
        (
            store_arg(&missing.join("tokens")),
            format!("its directory {} does not exist", missing.display()),
        ),
        (String::new(), "--store is empty".to_owned()),
        (store_arg(&existing), "is a directory".to_owned()),
        (
            format!("{}/", store_arg(&existing)),
            "names no file".to_owned(),
        ),
        (
            format!("{}/new/", dir.display()),
            "names no file".to_owned(),
        ),
        (
            store_arg(&lock_is_a_dir.join("tokens")),
            "lock file".to_owned(),
        ),
    ];
    for (store, why) in cases {
        let out = access_reading_stdin_after(&p, &cwd, &store);
        assert_eq!(out.code, 2, "{store:?}: {}", out.stderr);
        let mut lines = out.stderr.lines();
        let line = lines.next().unwrap_or_default();
        assert!(
            line.starts_with("ropc: ") && line.contains(&why),
            "{store:?}: {}",
            out.stderr
        );
        assert!(
            !line.contains("tokens.lock") || why == "lock file",
            "{store:?}: {line}"
        );
        assert_eq!(
            lines.next(),
            Some("stdin unread"),
            "{store:?}: the password was read"
        );
        assert!(out.stdout.is_empty());
        assert_eq!(p.requests(), 0, "{store:?}: the password was sent");
    }
    assert!(!missing.exists() && !dir.join("new").exists());
    assert_eq!(
        std::fs::read_dir(&cwd).unwrap().count(),
        0,
        "nothing created in the working directory"
    );
    assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

// --- the store never writes through what it did not create -----------------

#[test]
fn logout_refuses_a_symlinked_store_and_leaves_its_target_alone() {
    let p = CREDS.provider();
    let dir = tempdir("cli-logout-link");
    let link = dir.join("tokens");
    // Any file of the user's, another ropc store among them.
    let other_store = dir.join("other-store");
    FileStore::new(&other_store)
        .save(&StoredTokens::new(
            None,
            Some(Secret::from("rt-other")),
            None,
        ))
        .unwrap();
    let notes = dir.join("notes");
    write_private(&notes, "my notes\n");
    for target in [&notes, &other_store] {
        let before = std::fs::read(target).unwrap();
        std::os::unix::fs::symlink(target, &link).unwrap();
        let (code, _, stderr) = ropc(&["logout", "--store", &store_arg(&link)], &p, "", &[]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("is a symbolic link"), "{stderr}");
        assert_eq!(std::fs::read(target).unwrap(), before, "target untouched");
        assert!(link.symlink_metadata().unwrap().is_symlink(), "link kept");
        assert!(
            !dir.join("tokens.lock").exists(),
            "nothing created beside it"
        );
        std::fs::remove_file(&link).unwrap();
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn invalid_grant_never_clears_through_a_symlinked_store() {
    let (p, c, clock) = setup(120);
    let dir = tempdir("session-link");
    // Another store of the user's, whose refresh token the provider will refuse.
    let other = dir.join("other-store");
    let session = Session::with_store(c.clone(), FileStore::new(&other)).unwrap();
    session.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    drop(session);
    let before = std::fs::read(&other).unwrap();
    let link = dir.join("tokens");
    std::os::unix::fs::symlink(&other, &link).unwrap();
    p.revoke_refresh_tokens();
    clock.advance(100);
    let result = Session::with_store(c, FileStore::new(&link)).and_then(|s| s.access_token());
    assert!(
        matches!(&result, Err(Error::Store(e)) if e.reason.contains("is a symbolic link")),
        "{result:?}"
    );
    assert_eq!(std::fs::read(&other).unwrap(), before, "target untouched");
    assert!(link.symlink_metadata().unwrap().is_symlink(), "link kept");
    assert_eq!(p.refresh_grants(), 0, "nothing sent for a refused store");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn access_never_advises_logout_for_a_file_that_is_not_a_ropc_store() {
    let p = CREDS.provider();
    let dir = tempdir("cli-not-a-store");
    let path = dir.join("tokens");
    let store = store_arg(&path);
    write_private(&path, "my notes\n");
    let user = [("ROPC_USERNAME", USER)];
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("is not a ropc token store; left alone"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("logout"),
        "no destructive advice: {stderr}"
    );
    // Had the user run `ropc logout` anyway, the file survives it.
    let (code, _, stderr) = ropc(&["logout", "--store", &store], &p, "", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("left alone"), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap(), b"my notes\n");
    // A corrupt ropc store (magic first line) is the one case to advise
    // logout, and logout removes it.
    std::fs::write(&path, "ropc-store 1\nrefresh_token r\n").unwrap();
    let (code, _, stderr) = ropc(&["access", "--store", &store], &p, "", &user);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("corrupt") && stderr.contains("ropc logout"),
        "{stderr}"
    );
    let (code, _, stderr) = ropc(&["logout", "--store", &store], &p, "", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!path.exists());
    assert_eq!(p.requests(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn access_and_logout_refuse_a_fifo_store_promptly() {
    let p = CREDS.provider();
    let dir = tempdir("cli-fifo");
    let path = dir.join("tokens");
    mkfifo(&path);
    for command in ["access", "logout"] {
        let mut child = ropc_spawn(&[command, "--store", &store_arg(&path)], &p);
        // A watchdog, not a timing assertion: before the fix the child
        // blocked forever in open(2).
        let mut waited = Duration::ZERO;
        while child.try_wait().unwrap().is_none() {
            if waited > Duration::from_secs(20) {
                child.kill().unwrap();
                // Let it go, in case it is still blocked on the FIFO.
                let _ = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(&path);
                panic!("`ropc {command}` blocked on a FIFO store");
            }
            std::thread::sleep(Duration::from_millis(20));
            waited += Duration::from_millis(20);
        }
        let out = cli::finish(child, "", HIDDEN);
        assert_eq!(out.code, 2, "{command}: {}", out.stderr);
        assert!(
            out.stderr.contains("is a FIFO"),
            "{command}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
        assert!(
            !dir.join("tokens.lock").exists(),
            "nothing created beside it"
        );
    }
    assert_eq!(p.requests(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn login_checks_the_store_before_sending_the_password() {
    use std::os::unix::fs::MetadataExt;
    let (p, c, _clock) = setup(120);
    let dir = tempdir("login-checks");
    let notes = dir.join("notes");
    write_private(&notes, "my notes\n");
    type Plant = fn(&Path, &Path);
    let cases: [(&str, Plant); 7] = [
        ("is a directory", |path, _| {
            std::fs::create_dir(path).unwrap()
        }),
        ("is a symbolic link", |path, notes| {
            std::os::unix::fs::symlink(notes, path).unwrap()
        }),
        ("is a FIFO", |path, _| mkfifo(path)),
        ("is not a ropc token store", |path, notes| {
            std::fs::copy(notes, path).unwrap();
        }),
        ("is owned by uid", |path, _| {
            FileStore::new(path)
                .save(&StoredTokens::new(
                    None,
                    Some(Secret::from("rt-someone-else")),
                    None,
                ))
                .unwrap();
            // Needs root; as another user the case is reported and skipped below.
            let _ = std::os::unix::fs::chown(path, Some(4242), Some(4242));
        }),
        ("lock file", |path, notes| {
            std::os::unix::fs::symlink(notes, path.with_file_name("tokens.lock")).unwrap()
        }),
        ("cannot be created", |path, _| {
            std::fs::remove_dir(path.parent().unwrap()).unwrap()
        }),
    ];
    for (n, (why, plant)) in cases.into_iter().enumerate() {
        let case = dir.join(n.to_string());
        std::fs::create_dir(&case).unwrap();
        let path = case.join("tokens");
        let session = Session::with_store(c.clone(), FileStore::new(&path)).unwrap();
        plant(&path, &notes);
        if why == "is owned by uid" && std::fs::metadata(&path).unwrap().uid() != 4242 {
            eprintln!("chown needs root: the other user's store is not staged");
            continue;
        }
        let err = session
            .login(USER, &Secret::from(PASSWORD), &[])
            .unwrap_err();
        assert!(
            matches!(&err, Error::Store(e) if e.reason.contains(why)),
            "{why:?}: {err}"
        );
        assert_eq!(p.requests(), 0, "{why:?}: the password was sent");
    }
    assert_eq!(std::fs::read(&notes).unwrap(), b"my notes\n");
    std::fs::remove_dir_all(dir).unwrap();
}

// --- a failed save never drops tokens ----------------------------------------

fn is_store_error<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Store(_)))
}

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

#[test]
fn a_failed_save_keeps_the_new_tokens_in_memory_and_is_retried_first() {
    let (p, c, clock) = setup(120);
    let dir = tempdir("flaky");
    let file = FileStore::new(dir.join("tokens"));
    let failing = Arc::new(AtomicBool::new(true));
    let store = FlakyStore {
        inner: file.clone(),
        failing: failing.clone(),
    };
    let session = Session::with_store(c, store).unwrap();

    // Login: the grant succeeds, the save fails. The tokens stay.
    let result = session.login(USER, &Secret::from(PASSWORD), &[]);
    assert!(is_store_error(&result), "{result:?}");
    let first = session.tokens().expect("the new tokens are kept");
    assert!(session.has_unsaved_tokens());
    failing.store(false, Ordering::SeqCst);
    assert_eq!(session.access_token().unwrap(), *first.access_token());
    assert!(!session.has_unsaved_tokens());
    let rt1 = first.refresh_token().unwrap().clone();
    assert_eq!(
        file.load().unwrap().unwrap().refresh_token,
        Some(rt1.clone())
    );
    assert_eq!(p.requests(), 1, "one password grant, no refresh");

    // Refresh near expiry: the rotated tokens cannot be saved. They stay.
    clock.advance(100);
    failing.store(true, Ordering::SeqCst);
    let result = session.access_token();
    assert!(is_store_error(&result), "{result:?}");
    assert_eq!(p.refresh_grants(), 1);
    let rotated = session.tokens().unwrap();
    let rt2 = rotated.refresh_token().unwrap().clone();
    assert_ne!(rt2, rt1);
    assert!(session.has_unsaved_tokens());
    // Still failing: the error again, the tokens kept, the stale store never
    // reloaded over them (its refresh token is dead: that would force a login).
    let result = session.access_token();
    assert!(is_store_error(&result), "{result:?}");
    assert_eq!(session.tokens().unwrap().refresh_token(), Some(&rt2));
    assert_eq!(p.refresh_grants(), 1);
    assert_eq!(file.load().unwrap().unwrap().refresh_token, Some(rt1));
    // The disk recovers: the next call saves them, then hands out the token.
    failing.store(false, Ordering::SeqCst);
    assert_eq!(session.access_token().unwrap(), *rotated.access_token());
    assert!(!session.has_unsaved_tokens());
    assert_eq!(file.load().unwrap().unwrap().refresh_token, Some(rt2));
    assert_eq!(p.refresh_grants(), 1);
    // And the session carries on with the saved refresh token.
    clock.advance(100);
    session.access_token().unwrap();
    assert_eq!(p.refresh_grants(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

/// What a connection-time hook runs: once, on the next connection.
type Hook = Arc<Mutex<Option<Box<dyn FnOnce() + Send>>>>;

/// A provider (plain http) that runs the pending hook as a connection
/// arrives: by then `ropc access` has read and locked the store, and it
/// saves only after the answer. Returns the provider, its URL and the hook.
fn hooked_provider() -> (Provider, String, Hook) {
    let hook: Hook = Arc::default();
    let pending = hook.clone();
    let p = CREDS
        .provider_builder()
        // Not TLS: the acceptor passes the connection through, after the hook.
        .tls(Arc::new(move |tcp| {
            if let Some(run) = pending.lock().unwrap().take() {
                run();
            }
            Ok(Box::new(tcp))
        }))
        .start()
        .unwrap();
    let url = format!("http://127.0.0.1:{}/token", p.addr().port());
    (p, url, hook)
}

#[test]
fn access_prints_the_token_and_exits_2_when_the_new_refresh_token_cannot_be_saved() {
    let (p, url, hook) = hooked_provider();
    let dir = tempdir("cli-save-fails");
    let store_dir = dir.join("store");
    std::fs::create_dir(&store_dir).unwrap();
    let path = store_dir.join("tokens");
    let store = store_arg(&path);
    let env = [("ROPC_TOKEN_URL", url.as_str()), ("ROPC_USERNAME", USER)];
    let (code, first, stderr) = ropc(&["access", "--store", &store], &p, PASSWORD, &env);
    assert_eq!(code, 0, "{stderr}");
    expire_stored_token(&path, |_| 0);
    let stale = FileStore::new(&path).load().unwrap().unwrap();
    // While the refresh is under way, the store's directory goes away (a
    // real failure, whoever runs the test).
    let gone = dir.join("store-gone");
    let (from, to) = (store_dir.clone(), gone.clone());
    *hook.lock().unwrap() = Some(Box::new(move || std::fs::rename(from, to).unwrap()));
    let (code, token, stderr) = ropc(&["access", "--store", &store], &p, "", &env);
    assert!(!store_dir.exists(), "the hook ran");
    assert_eq!(p.refresh_grants(), 1);
    assert_eq!(code, 2, "{stderr}");
    // The token is printed as usual, so `$(ropc access …)` still works…
    assert!(
        token.starts_with("eyJ") && token.ends_with('\n') && token.lines().count() == 1,
        "{token:?}"
    );
    assert_ne!(token, first);
    // …and one line on stderr says what was not saved, and why.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("could not be saved") && stderr.contains("token store"),
        "{stderr}"
    );
    std::fs::rename(&gone, &store_dir).unwrap();
    assert_eq!(FileStore::new(&path).load().unwrap().unwrap(), stale);
    std::fs::remove_dir_all(dir).unwrap();
}

// --- access_token_or_login: one call, the password only when needed ----------

/// A provider and a client of it on one manual clock, with no retries
/// (a refused connection fails at once: no test sleeps), and a store.
struct OrLogin {
    clock: ManualClock,
    provider: Option<Provider>,
    store: FileStore,
    dir: std::path::PathBuf,
}

impl OrLogin {
    fn new(name: &str) -> OrLogin {
        let clock = ManualClock::new(common::now());
        let dir = tempdir(name);
        let mut d = OrLogin {
            clock,
            provider: None,
            store: FileStore::new(dir.join("tokens")),
            dir,
        };
        d.start(0);
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

impl Drop for OrLogin {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
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
    let mut d = OrLogin::new("or-login-restart");
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
    let missing = d.dir.join("no-such-password-file");
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
