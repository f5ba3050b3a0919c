//! RFC 7009 token revocation in the library — `Client::revoke` and
//! `Session::logout` — against the loopback provider's revocation endpoint,
//! one test per rule.

use crate::common;

use common::creds::Creds;
use ropc::testing::{Misbehavior, Provider, SeenAuth};
use ropc::{
    Client, ClientAuth, Error, ErrorCode, FileStore, Session, Setting, TokenStore, TokenTypeHint,
    TransportKind,
};

const CREDS: Creds = Creds {
    id: "revocation-client",
    secret: "CS-REVMARK-0c1d+/=",
    user: "heidi",
    password: "PW-REVMARK-9f2e",
};

fn revoking_client(p: &Provider) -> Client {
    CREDS
        .client_builder(p)
        .revocation_url(p.revocation_url())
        .build()
        .unwrap()
}

fn assert_no_secret(e: &Error) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("REVMARK"), "{shown}");
}

#[test]
fn a_revoked_refresh_token_is_dead() {
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let tokens = c
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    c.revoke(tokens.refresh_token().unwrap(), TokenTypeHint::RefreshToken)
        .unwrap();
    assert_eq!(p.revocations(), 1);
    let err = c.refresh(&tokens).unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidGrant),
        "{err:?}"
    );
}

#[test]
fn the_request_is_rfc_7009_with_the_token_endpoints_client_authentication() {
    for (auth, seen) in [
        (ClientAuth::Basic, SeenAuth::Basic),
        (ClientAuth::BasicFormEncoded, SeenAuth::BasicFormEncoded),
        (ClientAuth::Post, SeenAuth::Post),
    ] {
        let p = CREDS.provider();
        let c = CREDS
            .client_builder(&p)
            .client_auth(auth)
            .revocation_url(p.revocation_url())
            .build()
            .unwrap();
        let tokens = c
            .password_grant(CREDS.user, &CREDS.password(), &[])
            .unwrap();
        c.revoke(tokens.refresh_token().unwrap(), TokenTypeHint::RefreshToken)
            .unwrap();
        let records = p.records();
        assert_eq!(records.len(), 2, "one grant, one revocation");
        let r = &records[1];
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/revoke"),
            "{r:?}"
        );
        assert_eq!(r.token_type_hint.as_deref(), Some("refresh_token"));
        assert!(r.had_token && !r.had_password);
        assert_eq!(r.grant_type, None);
        assert_eq!(r.auth, seen, "{auth:?}");
    }
}

#[test]
fn an_access_token_is_revoked_with_its_own_hint() {
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let tokens = c
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    c.revoke(tokens.access_token(), TokenTypeHint::AccessToken)
        .unwrap();
    assert_eq!(
        p.records()[1].token_type_hint.as_deref(),
        Some("access_token")
    );
}

#[test]
fn revoking_a_token_the_provider_does_not_know_succeeds() {
    // RFC 7009 §2.2: 200 for an invalid token too, so revoking twice is fine.
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let unknown = ropc::Secret::from("RT-never-issued");
    c.revoke(&unknown, TokenTypeHint::RefreshToken).unwrap();
    c.revoke(&unknown, TokenTypeHint::RefreshToken).unwrap();
    assert_eq!(p.revocations(), 2);
}

#[test]
fn no_revocation_without_a_revocation_url() {
    let p = CREDS.provider();
    let c = CREDS.client(&p);
    let tokens = c
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    let err = c
        .revoke(tokens.refresh_token().unwrap(), TokenTypeHint::RefreshToken)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(e) if e.setting == Setting::RevocationUrl),
        "{err:?}"
    );
    // A session without one logs out locally and sends nothing.
    let tmp = common::tempdir("revocation-none");
    let dir = tmp.path();
    let session = Session::with_store(c, FileStore::new(dir.join("tokens"))).unwrap();
    session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    let before = p.requests();
    session.logout().unwrap();
    assert_eq!(p.requests(), before);
    assert_eq!(p.revocations(), 0);
    assert!(!dir.join("tokens").exists());
}

#[test]
fn an_empty_token_is_refused_before_anything_is_sent() {
    let p = CREDS.provider();
    let err = revoking_client(&p)
        .revoke(&ropc::Secret::from(""), TokenTypeHint::RefreshToken)
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(p.requests(), 0);
}

#[test]
fn a_non_loopback_http_revocation_url_is_refused_at_build_time() {
    let p = CREDS.provider();
    for url in [
        "http://revoke.example/revoke",
        "https://user:pass@id.example/revoke",
        "not a url",
    ] {
        let err = CREDS
            .client_builder(&p)
            .revocation_url(url)
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(e) if e.setting == Setting::RevocationUrl),
            "{url}: {err:?}"
        );
    }
    assert_eq!(p.requests(), 0);
}

#[test]
fn logout_revokes_the_refresh_token_then_clears_the_store() {
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let tmp = common::tempdir("revocation-logout");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(c.clone(), store.clone()).unwrap();
    let tokens = session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    session.logout().unwrap();
    assert_eq!(p.revocations(), 1);
    assert!(store.load().unwrap().is_none());
    assert!(c.refresh(&tokens).is_err(), "the refresh token is dead");
    // A session loaded from the store by another process revokes too.
    let session = Session::with_store(c.clone(), store.clone()).unwrap();
    session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    drop(session);
    Session::with_store(c, store.clone())
        .unwrap()
        .logout()
        .unwrap();
    assert_eq!(p.revocations(), 2);
    assert!(store.load().unwrap().is_none());
}

#[test]
fn logout_clears_the_store_even_when_the_endpoint_is_unreachable() {
    let p = CREDS.provider();
    let tmp = common::tempdir("revocation-unreachable");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let err = common::on_a_closed_port(
        |port| {
            let c = CREDS
                .client_builder(&p)
                .revocation_url(format!("http://127.0.0.1:{port}/revoke"))
                .build()
                .unwrap();
            let session = Session::with_store(c, store.clone()).unwrap();
            session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
            session.logout().unwrap_err()
        },
        |e| matches!(e, Error::Transport(t) if t.kind == TransportKind::Connect),
    );
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportKind::Connect),
        "{err:?}"
    );
    assert_no_secret(&err);
    assert!(store.load().unwrap().is_none(), "the store is gone anyway");
}

#[test]
fn logout_clears_the_store_even_when_the_provider_refuses() {
    let p = CREDS.provider();
    // The revocation is refused: the client's secret is not the provider's.
    let wrong = Client::builder(p.url(), CREDS.id, "CS-REVMARK-wrong")
        .revocation_url(p.revocation_url())
        .build()
        .unwrap();
    let tmp = common::tempdir("revocation-refused");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let tokens = CREDS
        .client(&p)
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    store
        .save(&ropc::StoredTokens::new(
            None,
            tokens.refresh_token().cloned(),
            None,
        ))
        .unwrap();
    let err = Session::with_store(wrong, store.clone())
        .unwrap()
        .logout()
        .unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidClient),
        "{err:?}"
    );
    assert_no_secret(&err);
    assert!(store.load().unwrap().is_none());
    // The provider kept the token: still valid there, as the error says.
    assert!(CREDS.client(&p).refresh(&tokens).is_ok());
}

#[test]
fn a_revocation_error_page_is_a_response_error_without_secrets() {
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let tokens = c
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    p.set_misbehavior(Some(Misbehavior::EchoRequest));
    let err = c
        .revoke(tokens.refresh_token().unwrap(), TokenTypeHint::RefreshToken)
        .unwrap_err();
    assert!(
        matches!(&err, Error::Response(r) if r.is_unavailable()),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert_no_secret(&err);
    assert!(
        !err.to_string()
            .contains(tokens.refresh_token().unwrap().expose_secret())
    );
}

#[test]
fn logout_refuses_a_store_made_for_another_account_and_keeps_the_sessions_tokens() {
    let p = CREDS.provider();
    let tmp = common::tempdir("revocation-logout-other");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(revoking_client(&p), store.clone()).unwrap();
    session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    // Meanwhile the file became another account's store.
    let theirs = ropc::StoredTokens::new(None, Some("rt-of-someone-else".into()), None)
        .with_account(p.url(), "another-client", Some("eve"));
    store.save(&theirs).unwrap();
    let before = std::fs::read(dir.join("tokens")).unwrap();
    let sent = p.requests();
    let err = session.logout().unwrap_err();
    assert!(
        matches!(&err, Error::Store(e)
            if e.reason.contains(r#"client id "another-client" (not "revocation-client")"#)
                && e.reason.contains("refusing to revoke its refresh token or remove it")),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read(dir.join("tokens")).unwrap(),
        before,
        "left as it is"
    );
    assert_eq!(p.requests(), sent, "nothing sent");
    assert!(session.tokens().is_some(), "the session keeps its tokens");
    tmp.close().unwrap();
}

#[test]
fn logout_revokes_the_stores_refresh_token_when_another_process_rotated_it() {
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let tmp = common::tempdir("revocation-logout-rotated");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let first = Session::with_store(c.clone(), store.clone()).unwrap();
    let tokens = first.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    // Another process refreshes: the store holds the rotated refresh token,
    // the first session the old one.
    let second = Session::with_store(c.clone(), store.clone()).unwrap();
    second.refresh_rejected(tokens.access_token()).unwrap();
    let rotated = store.load().unwrap().unwrap().refresh_token.unwrap();
    assert_ne!(Some(&rotated), tokens.refresh_token());
    first.logout().unwrap();
    assert_eq!(p.revocations(), 1);
    assert!(store.load().unwrap().is_none());
    let err = c.refresh_with(&rotated, &[]).unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidGrant),
        "the newest refresh token is the one revoked: {err:?}"
    );
    tmp.close().unwrap();
}

/// A file store whose `clear` always fails, as on a directory that cannot
/// be written.
struct Uncleared(FileStore);

impl TokenStore for Uncleared {
    fn load(&self) -> Result<Option<ropc::StoredTokens>, Error> {
        self.0.load()
    }
    fn save(&self, tokens: &ropc::StoredTokens) -> Result<(), Error> {
        self.0.save(tokens)
    }
    fn clear(&self) -> Result<(), Error> {
        Err(ropc::StoreError::new(self.0.name(), "cannot remove: read-only file system").into())
    }
}

#[test]
fn a_store_that_cannot_be_cleared_comes_first_and_says_what_became_of_the_revocation() {
    let p = CREDS.provider();
    let tmp = common::tempdir("revocation-uncleared");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    // Revoked, not removed.
    let session = Session::with_store(revoking_client(&p), Uncleared(store.clone())).unwrap();
    session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    let err = session.logout().unwrap_err();
    assert!(
        matches!(&err, Error::Store(e)
            if e.reason == "cannot remove: read-only file system; its refresh token was revoked"),
        "{err:?}"
    );
    assert_eq!(p.revocations(), 1);
    // Neither revoked nor removed.
    let err = common::on_a_closed_port(
        |port| {
            let c = CREDS
                .client_builder(&p)
                .revocation_url(format!("http://127.0.0.1:{port}/revoke"))
                .build()
                .unwrap();
            Session::with_store(c, Uncleared(store.clone()))
                .unwrap()
                .logout()
                .unwrap_err()
        },
        |e| matches!(e, Error::Store(e) if e.reason.contains("connection failed")),
    );
    assert!(
        matches!(&err, Error::Store(e)
            if e.reason.starts_with("cannot remove: read-only file system; revoking its \
                refresh token failed too, so it may still be valid: ")),
        "{err:?}"
    );
    assert_no_secret(&err);
    tmp.close().unwrap();
}

#[test]
fn logout_store_compares_only_what_it_is_given() {
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let tmp = common::tempdir("revocation-logout-store");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let login = || {
        let session = Session::with_store_for(c.clone(), store.clone(), CREDS.user).unwrap();
        session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    };
    login();
    for (token_url, client_id, username) in [
        (Some("http://127.0.0.1:1/token"), None, None),
        (None, Some("another-client"), None),
        (None, None, Some("eve")),
    ] {
        let err =
            Session::logout_store(&store, Some(&c), token_url, client_id, username).unwrap_err();
        assert!(
            matches!(&err, Error::Store(e) if e.reason.contains("was made for")),
            "{err:?}"
        );
        assert!(store.load().unwrap().is_some(), "left as it is");
    }
    assert_eq!(p.revocations(), 0);
    // What is given agrees: revoked with the client given, and removed.
    Session::logout_store(&store, Some(&c), Some(p.url()), None, Some(CREDS.user)).unwrap();
    assert_eq!(p.revocations(), 1);
    assert!(store.load().unwrap().is_none());
    // Nothing given, no client: removed, nothing sent.
    login();
    let sent = p.requests();
    Session::logout_store(&store, None, None, None, None).unwrap();
    assert!(store.load().unwrap().is_none());
    assert_eq!(p.requests(), sent);
    tmp.close().unwrap();
}

/// A file store that cannot save: what it holds is older than a session's
/// tokens.
struct Unsaved(FileStore);

impl TokenStore for Unsaved {
    fn load(&self) -> Result<Option<ropc::StoredTokens>, Error> {
        self.0.load()
    }
    fn save(&self, _: &ropc::StoredTokens) -> Result<(), Error> {
        Err(ropc::StoreError::new(self.0.name(), "cannot write: disk full").into())
    }
    fn clear(&self) -> Result<(), Error> {
        self.0.clear()
    }
}

#[test]
fn logout_revokes_the_sessions_refresh_token_when_it_is_newer_than_the_stores() {
    let p = CREDS.provider();
    let c = revoking_client(&p);
    let tmp = common::tempdir("revocation-logout-unsaved");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let old = Session::with_store(c.clone(), store.clone())
        .unwrap()
        .login(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    let session = Session::with_store(c.clone(), Unsaved(store.clone())).unwrap();
    let err = session
        .login(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(matches!(err, Error::Store(_)), "{err:?}");
    assert!(session.has_unsaved_tokens());
    let newer = session.tokens().unwrap();
    session.logout().unwrap();
    assert_eq!(p.revocations(), 1);
    assert!(store.load().unwrap().is_none(), "removed");
    assert!(
        c.refresh(&newer).is_err(),
        "the session's newer token is revoked"
    );
    assert!(c.refresh(&old).is_ok(), "not the store's older one");
    tmp.close().unwrap();
}
