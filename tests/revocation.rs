//! RFC 7009 token revocation in the library — `Client::revoke` and
//! `Session::logout` — against the loopback provider's revocation endpoint,
//! one test per rule.
// Test and example code: a panic is the failure report, and casts of small
// numbers need no ceremony.
#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_lossless,
    clippy::cast_precision_loss
)]

mod common;

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
    let dir = common::tempdir("revocation-none");
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
    let dir = common::tempdir("revocation-logout");
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
    let dir = common::tempdir("revocation-unreachable");
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
    let dir = common::tempdir("revocation-refused");
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
