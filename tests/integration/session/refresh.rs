//! A session's tokens over time: refreshed only near expiry, a rotated
//! refresh token persisted at once, `invalid_grant` as login required.

use std::time::Duration;

use ropc::{Error, FileStore, Secret, Session, TokenStore};

use crate::common::tempdir;

use super::{PASSWORD, USER, setup};

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
    let tmp = tempdir("rotate");
    let dir = tmp.path();
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
    tmp.close().unwrap();
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
    let tmp = tempdir("empty");
    let dir = tmp.path();
    let session = Session::with_store(c, FileStore::new(dir.join("none"))).unwrap();
    assert_eq!(session.access_token().unwrap_err(), Error::LoginRequired);
    tmp.close().unwrap();
}
