//! A session and its file store: the account a store was made for, a store
//! that is owner-only, whole or refused, one that is not the session's to
//! write, and a save that fails.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ropc::{Client, Error, FileStore, Secret, Session, StoredTokens, TokenStore};

use crate::common::{mkfifo, tempdir, write_private};

use super::{FlakyStore, ID, PASSWORD, SECRET, USER, setup};

// --- a store holds one account's tokens -------------------------------------

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
    let tmp = tempdir("account-recorded");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(c.clone(), store.clone()).unwrap();
    session.login(USER, &Secret::from(PASSWORD), &[]).unwrap();
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.token_url.as_deref(), Some(c.token_url()));
    assert_eq!(stored.client_id.as_deref(), Some(ID));
    assert_eq!(stored.username.as_deref(), Some(USER));
    tmp.close().unwrap();
}

#[test]
fn a_session_refuses_a_store_made_for_another_token_url_or_client_id() {
    let (p, c, _clock) = setup(120);
    let tmp = tempdir("account-client");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

#[test]
fn a_session_bound_to_a_user_refuses_a_store_made_for_another() {
    let (p, c, _clock) = setup(120);
    let tmp = tempdir("account-user");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

#[test]
fn a_store_written_before_accounts_keeps_working_and_is_adopted_by_the_next_save() {
    let (p, c, clock) = setup(120);
    let tmp = tempdir("account-adopt");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

// --- owner-only, whole, or refused ------------------------------------------

#[test]
fn the_store_is_created_owner_only_and_refused_when_others_can_read_it() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir("perms");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

#[test]
fn a_corrupt_or_truncated_store_is_an_error_and_left_alone() {
    let tmp = tempdir("corrupt");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

#[test]
fn clear_removes_the_store() {
    let tmp = tempdir("clear");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

// --- the store never writes through what it did not create ------------------

#[test]
fn invalid_grant_never_clears_through_a_symlinked_store() {
    let (p, c, clock) = setup(120);
    let tmp = tempdir("session-link");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

#[test]
fn login_checks_the_store_before_sending_the_password() {
    use std::os::unix::fs::MetadataExt;
    let (p, c, _clock) = setup(120);
    let tmp = tempdir("login-checks");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}

// --- a failed save never drops tokens ---------------------------------------

fn is_store_error<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::Store(_)))
}

#[test]
fn a_failed_save_keeps_the_new_tokens_in_memory_and_is_retried_first() {
    let (p, c, clock) = setup(120);
    let tmp = tempdir("flaky");
    let dir = tmp.path();
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
    tmp.close().unwrap();
}
