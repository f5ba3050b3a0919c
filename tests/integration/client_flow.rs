//! The client against the loopback provider, over real sockets.

use crate::common;

use std::time::Duration;

use common::creds::Creds;
use ropc::testing::{Misbehavior, SeenAuth};
use ropc::{Client, ClientAuth, Error, JwtError, Secret, Setting, TransportKind};
use ropc::{ErrorCode, ResponseProblem};

const ID: &str = "client-one";
const SECRET: &str = "SECRET-MARKER-s3cr3t+/=";
const USER: &str = "bob";
const PASSWORD: &str = "PASSWORD-MARKER-p@ss w0rd&=%";
const CREDS: Creds = Creds {
    id: ID,
    secret: SECRET,
    user: USER,
    password: PASSWORD,
};

fn assert_no_secret(e: &Error) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("MARKER"), "{shown}");
}

#[test]
fn password_grant_returns_verified_tokens() {
    let p = CREDS.provider();
    let t = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &["openid", "email"])
        .unwrap();
    assert_eq!(t.claims().sub(), Some(USER));
    assert_eq!(t.claims().iss(), Some(p.issuer().as_str()));
    assert_eq!(t.scope(), Some("openid email"));
    assert_eq!(t.expires_in(), Some(3600));
    assert!(t.refresh_token().is_some());
    let rec = &p.records()[0];
    assert_eq!(rec.grant_type.as_deref(), Some("password"));
    assert_eq!(rec.auth, SeenAuth::Basic);
    assert_eq!(rec.scope.as_deref(), Some("openid email"));
    assert!(rec.had_password);
}

#[test]
fn empty_scopes_send_no_scope_parameter() {
    let p = CREDS.provider();
    CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap();
    assert_eq!(p.records()[0].scope, None);
}

#[test]
fn each_client_auth_method_is_used_alone() {
    for (auth, seen) in [
        (ClientAuth::Basic, SeenAuth::Basic),
        (ClientAuth::BasicFormEncoded, SeenAuth::BasicFormEncoded),
        (ClientAuth::Post, SeenAuth::Post),
    ] {
        let p = CREDS.provider();
        let c = CREDS.client_builder(&p).client_auth(auth).build().unwrap();
        c.password_grant(USER, &CREDS.password(), &[]).unwrap();
        let rec = &p.records()[0];
        assert_eq!(rec.auth, seen, "{auth:?}");
        assert_eq!(rec.had_authorization, auth != ClientAuth::Post);
    }
}

#[test]
fn basic_as_is_fails_against_a_server_that_needs_encoding_and_never_retries() {
    // A secret with ':' in the id cannot be carried raw: refused at build.
    let err = Client::builder("http://127.0.0.1:1/token", "a:b", "s")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    // A wrong secret: exactly one request, no second method tried.
    let p = CREDS.provider();
    let c = Client::builder(p.url(), ID, "wrong-secret")
        .build()
        .unwrap();
    let err = c.password_grant(USER, &CREDS.password(), &[]).unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidClient && e.status == 401),
        "{err}"
    );
    assert_eq!(p.requests(), 1);
}

#[test]
fn wrong_password_is_invalid_grant() {
    let p = CREDS.provider();
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &Secret::from("nope"), &[])
        .unwrap_err();
    match &err {
        Error::OAuth(e) => {
            assert_eq!(e.response.code, ErrorCode::InvalidGrant);
            assert_eq!(e.status, 400);
            assert!(e.response.description.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert_no_secret(&err);
}

#[test]
fn unknown_scope_is_invalid_scope() {
    let p = CREDS.provider();
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &["admin"])
        .unwrap_err();
    assert!(matches!(err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidScope));
}

#[test]
fn refresh_hands_back_the_rotated_refresh_token() {
    let p = CREDS.provider();
    let c = CREDS.checking_client(&p);
    let t1 = c
        .password_grant(USER, &CREDS.password(), &["openid"])
        .unwrap();
    let t2 = c.refresh(&t1).unwrap();
    assert_ne!(t1.refresh_token(), t2.refresh_token());
    assert_ne!(t1.claims().jti(), t2.claims().jti());
    assert_eq!(p.records()[1].grant_type.as_deref(), Some("refresh_token"));
    // The old refresh token was revoked by the rotation.
    let err = c.refresh(&t1).unwrap_err();
    assert!(matches!(err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidGrant));
    // The new one works.
    c.refresh(&t2).unwrap();
}

#[test]
fn refresh_keeps_the_old_refresh_token_when_none_is_sent() {
    let p = CREDS
        .provider_builder()
        .rotate_refresh_tokens(false)
        .start()
        .unwrap();
    let c = CREDS.checking_client(&p);
    let t1 = c.password_grant(USER, &CREDS.password(), &[]).unwrap();
    let t2 = c.refresh(&t1).unwrap();
    assert_eq!(t2.refresh_token(), t1.refresh_token());
    assert_ne!(t2.claims().jti(), t1.claims().jti());
    // Still valid at the provider: it can be used again.
    let t3 = c.refresh(&t2).unwrap();
    assert_eq!(t3.refresh_token(), t1.refresh_token());
    assert_eq!(p.refresh_grants(), 2);
}

#[test]
fn refresh_with_a_stored_refresh_token() {
    let p = CREDS.provider();
    let c = CREDS.checking_client(&p);
    let t = c.password_grant(USER, &CREDS.password(), &[]).unwrap();
    let stored = t.refresh_token().unwrap().clone();
    drop(t);
    let t2 = c.refresh_with(&stored, &["openid"]).unwrap();
    assert!(t2.refresh_token().is_some());
    assert_ne!(t2.refresh_token(), Some(&stored));
    assert_eq!(p.records()[1].scope.as_deref(), Some("openid"));
}

#[test]
fn refresh_without_a_refresh_token_is_a_config_error() {
    let p = CREDS
        .provider_builder()
        .issue_refresh_tokens(false)
        .start()
        .unwrap();
    let c = CREDS.checking_client(&p);
    let t = c.password_grant(USER, &CREDS.password(), &[]).unwrap();
    assert!(t.refresh_token().is_none());
    assert!(matches!(c.refresh(&t), Err(Error::Config(_))));
    assert_eq!(p.requests(), 1);
    assert!(matches!(
        c.refresh_with(&Secret::from(""), &[]),
        Err(Error::Config(_))
    ));
}

#[test]
fn connections_are_kept_alive() {
    let p = CREDS.provider();
    let c = CREDS.checking_client(&p);
    let t = c.password_grant(USER, &CREDS.password(), &[]).unwrap();
    let t = c.refresh(&t).unwrap();
    let _ = c.refresh(&t).unwrap();
    let _ = c.password_grant(USER, &Secret::from("wrong"), &[]);
    assert_eq!(p.requests(), 4);
    assert_eq!(p.connections(), 1);
}

#[test]
fn user_agent_names_ropc_and_its_version() {
    let p = CREDS.provider();
    CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap();
    assert_eq!(p.records()[0].user_agent.as_deref(), Some(ropc::USER_AGENT));
    assert!(ropc::USER_AGENT.starts_with("ropc/"));
}

#[test]
fn expiry_is_received_time_plus_expires_in_bounded_by_exp() {
    let p = CREDS.provider();
    p.set_token_lifetime(Duration::from_secs(120));
    let t = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap();
    let exp = t.claims().exp().unwrap();
    let at = t.expires_at().unwrap();
    assert!(at <= exp && at >= exp - 5, "{at} vs {exp}");
    let now = ropc::jwt::Clock::System.now();
    assert!(!t.expires_within(Duration::from_secs(60), now));
    assert!(t.expires_within(Duration::from_secs(121), now));
}

#[test]
fn unreachable_port_is_a_connect_error() {
    let err = common::on_a_closed_port(
        |port| {
            let c = Client::builder(format!("http://127.0.0.1:{port}/token"), ID, SECRET)
                .build()
                .unwrap();
            c.password_grant(USER, &CREDS.password(), &[])
        },
        |r| matches!(r, Err(Error::Transport(t)) if t.kind == TransportKind::Connect),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportKind::Connect),
        "{err:?}"
    );
    assert_no_secret(&err);
}

#[test]
fn a_slow_provider_times_out() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Delay(Duration::from_secs(3))));
    let c = CREDS
        .client_builder(&p)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // A timeout error, not the provider's answer 3 s later: the request was
    // given up at the client's timeout (measuring how long that took would
    // test the machine's load, not the client).
    let err = c.password_grant(USER, &CREDS.password(), &[]).unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportKind::Timeout),
        "{err:?}"
    );
}

#[test]
fn a_timeout_while_the_body_arrives_is_a_transport_timeout() {
    // The head comes at once, then the body a byte every 50 ms: the
    // request's timeout expires while the body is read.
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::SlowBody(Duration::from_millis(50))));
    let c = CREDS
        .client_builder(&p)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let err = c.password_grant(USER, &CREDS.password(), &[]).unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportKind::Timeout),
        "{err:?}"
    );
    assert_no_secret(&err);
}

#[test]
fn closing_without_an_answer_is_a_transport_error() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::CloseWithoutAnswer));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}

#[test]
fn a_truncated_body_is_a_response_error() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Truncate));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Response(r) if r.problem == ResponseProblem::Truncated)
            || matches!(&err, Error::Transport(_)),
        "{err:?}"
    );
}

#[test]
fn an_oversized_body_is_refused_at_the_cap() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Oversized(100_000)));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Response(r) if r.problem == ResponseProblem::TooLarge { max: 65536 }),
        "{err:?}"
    );
    // A smaller body passes a raised cap... and a lowered cap refuses a normal answer.
    p.set_misbehavior(None);
    let c = CREDS
        .client_builder(&p)
        .max_response_size(100)
        .build()
        .unwrap();
    let err = c.password_grant(USER, &CREDS.password(), &[]).unwrap_err();
    assert!(
        matches!(&err, Error::Response(r) if r.problem == ResponseProblem::TooLarge { max: 100 }),
        "{err:?}"
    );
}

#[test]
fn html_502_is_a_response_error_with_status_and_excerpt() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Html502));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    match &err {
        Error::Response(r) => {
            assert_eq!(r.status, Some(502));
            assert_eq!(r.problem, ResponseProblem::Status);
            assert!(r.excerpt.as_deref().unwrap().contains("502 Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_non_json_200_is_a_response_error_without_excerpt() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::NotJson));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Response(r) if r.problem == ResponseProblem::NotJson && r.status == Some(200) && r.excerpt.is_none()),
        "{err:?}"
    );
}

#[test]
fn redirects_are_never_followed() {
    for code in [301, 302, 303, 307, 308] {
        let p = CREDS.provider();
        p.set_misbehavior(Some(Misbehavior::Redirect(code)));
        let err = CREDS
            .checking_client(&p)
            .password_grant(USER, &CREDS.password(), &[])
            .unwrap_err();
        assert!(
            matches!(&err, Error::Response(r) if r.problem == ResponseProblem::Redirect && r.status == Some(code)),
            "{err:?}"
        );
        // Give a (wrongly) following client time to make its second request.
        std::thread::sleep(Duration::from_millis(50));
        let records = p.records();
        assert_eq!(records.len(), 1, "{code}: {records:?}");
        assert!(records.iter().all(|r| r.path != "/moved"));
    }
}

#[test]
fn a_token_signed_with_another_key_is_refused() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::WrongKey));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert_eq!(err, Error::Jwt(JwtError::Signature));
}

#[test]
fn a_token_with_another_alg_is_refused() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::OtherAlg));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert_eq!(
        err,
        Error::Jwt(JwtError::Algorithm {
            found: Some("HS512")
        })
    );
}

#[test]
fn an_expired_token_is_refused() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Expired));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(err, Error::Jwt(JwtError::Expired { .. })),
        "{err:?}"
    );
}

#[test]
fn a_token_from_another_issuer_or_for_another_audience_is_refused() {
    let p = CREDS.provider();
    let c = CREDS
        .client_builder(&p)
        .issuer("https://other.example")
        .build()
        .unwrap();
    assert_eq!(
        c.password_grant(USER, &CREDS.password(), &[]).unwrap_err(),
        Error::Jwt(JwtError::Issuer)
    );
    let c = CREDS
        .client_builder(&p)
        .audience("someone-else")
        .build()
        .unwrap();
    assert_eq!(
        c.password_grant(USER, &CREDS.password(), &[]).unwrap_err(),
        Error::Jwt(JwtError::Audience)
    );
}

#[test]
fn a_token_type_other_than_bearer_is_refused() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::TokenType("mac".into())));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Response(r) if r.problem == ResponseProblem::UnsupportedTokenType("mac".into())),
        "{err:?}"
    );
}

#[test]
fn expires_in_as_a_string_is_accepted() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::ExpiresInString));
    let t = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap();
    assert_eq!(t.expires_in(), Some(3600));
}

#[test]
fn an_error_sent_with_200_is_an_error() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::ErrorWith200));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.status == 200 && e.response.code == ErrorCode::InvalidGrant),
        "{err:?}"
    );
}

#[test]
fn plain_http_is_refused_unless_loopback_or_allowed() {
    let err = Client::builder("http://id.example/token", ID, SECRET)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(c) if c.setting == Setting::TokenUrl),
        "{err}"
    );
    Client::builder("http://id.example/token", ID, SECRET)
        .allow_insecure_http(true)
        .build()
        .unwrap();
    Client::builder("http://localhost:8080/token", ID, SECRET)
        .build()
        .unwrap();
    let https = Client::builder("https://id.example/token", ID, SECRET).build();
    if cfg!(any(feature = "rustls", feature = "native-tls")) {
        https.unwrap();
    } else {
        // Without a TLS feature, https is a configuration error at build time.
        assert!(matches!(https, Err(Error::Config(c)) if c.reason.contains("without TLS")));
    }
}

#[test]
fn bad_configuration_is_named() {
    for (builder, what) in [
        (Client::builder("not a url", ID, SECRET), Setting::TokenUrl),
        (
            Client::builder("https://u:p@id.example/t", ID, SECRET),
            Setting::TokenUrl,
        ),
        (
            Client::builder("http://127.0.0.1/t", "", SECRET),
            Setting::ClientId,
        ),
        (
            Client::builder("http://127.0.0.1/t", ID, ""),
            Setting::ClientSecret,
        ),
        (
            Client::builder("http://127.0.0.1/t", ID, SECRET).proxy("::bad::"),
            Setting::Proxy,
        ),
        (
            Client::builder("http://127.0.0.1/t", ID, SECRET).max_response_size(0),
            Setting::MaxResponseSize,
        ),
        (
            Client::builder("http://127.0.0.1/t", ID, SECRET)
                .revocation_url("http://id.example/revoke"),
            Setting::RevocationUrl,
        ),
    ] {
        match builder.build() {
            Err(Error::Config(c)) => assert_eq!(c.setting, what),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[test]
fn a_proxy_is_used_only_when_configured() {
    // (Environment proxies are checked by the CLI tests, in a child process
    // with HTTPS_PROXY/HTTP_PROXY set.) An explicit dead proxy fails...
    let p = CREDS.provider();
    let dead = CREDS
        .client_builder(&p)
        .proxy("http://127.0.0.1:9")
        .build()
        .unwrap();
    assert!(matches!(
        dead.password_grant(USER, &CREDS.password(), &[]),
        Err(Error::Transport(_))
    ));
    assert_eq!(p.requests(), 0);
    // ...and a default one never consults a proxy.
    CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap();
    assert_eq!(p.requests(), 1);
}

#[test]
fn debug_of_client_builder_and_tokens_hides_secrets() {
    let p = CREDS.provider();
    let b = CREDS.client_builder(&p);
    assert!(!format!("{b:?}").contains("MARKER"));
    let c = b.build().unwrap();
    assert!(!format!("{c:?}").contains("MARKER"));
    let t = c.password_grant(USER, &CREDS.password(), &[]).unwrap();
    let shown = format!("{t:?}");
    assert!(!shown.contains(t.access_token().expose_secret()));
    assert!(!shown.contains(t.refresh_token().unwrap().expose_secret()));
}

#[test]
fn restore_verifies_a_stored_access_token() {
    let p = CREDS.provider();
    let c = CREDS.checking_client(&p);
    let t = c.password_grant(USER, &CREDS.password(), &[]).unwrap();
    let back = c
        .restore(
            t.access_token().clone(),
            t.refresh_token().cloned(),
            t.expires_at(),
        )
        .unwrap();
    assert_eq!(back.claims().sub(), Some(USER));
    assert_eq!(back.expires_at(), t.expires_at());
    let forged = Secret::from(format!("{}x", t.access_token().expose_secret()));
    assert!(matches!(c.restore(forged, None, None), Err(Error::Jwt(_))));
}

#[test]
fn a_large_body_under_the_cap_is_read_whole() {
    // 60 KB: larger than ureq's input buffer (32 KiB), under the 64 KiB cap.
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Oversized(60_000)));
    let err = CREDS
        .checking_client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    // Read and parsed: the (fake) access token then fails verification.
    assert!(matches!(err, Error::Jwt(JwtError::Malformed(_))), "{err:?}");
}

#[test]
fn transient_failures_are_told_from_the_rest() {
    let p = CREDS.provider();
    let c = CREDS.client(&p);
    let grant = |m: Option<Misbehavior>| {
        p.set_misbehavior(m);
        c.password_grant(USER, &CREDS.password(), &[]).unwrap_err()
    };
    let reply = |status: u16, body: &str| Misbehavior::Reply {
        status,
        content_type: "application/json".into(),
        body: body.into(),
    };
    // Worth retrying later: the provider is down or busy, the connection
    // broke, or the provider says so.
    for (what, err) in [
        ("HTML 502", grant(Some(Misbehavior::Html502))),
        ("429", grant(Some(reply(429, "slow down")))),
        ("503", grant(Some(reply(503, "")))),
        ("closed", grant(Some(Misbehavior::CloseWithoutAnswer))),
        ("truncated", grant(Some(Misbehavior::Truncate))),
        (
            "server_error",
            grant(Some(reply(500, r#"{"error":"server_error"}"#))),
        ),
        (
            "temporarily_unavailable",
            grant(Some(reply(503, r#"{"error":"temporarily_unavailable"}"#))),
        ),
    ] {
        assert!(err.is_transient(), "{what}: {err:?}");
        assert_no_secret(&err);
    }
    // Not: a refusal, a bad token, a malformed success, a redirect.
    for (what, err) in [
        ("invalid_grant", {
            p.set_misbehavior(None);
            c.password_grant(USER, &Secret::from("PASSWORD-MARKER-wrong"), &[])
                .unwrap_err()
        }),
        ("wrong key", grant(Some(Misbehavior::WrongKey))),
        ("not json", grant(Some(Misbehavior::NotJson))),
        ("redirect", grant(Some(Misbehavior::Redirect(307)))),
        ("400 page", grant(Some(reply(400, "<html>bad</html>")))),
    ] {
        assert!(!err.is_transient(), "{what}: {err:?}");
    }
}

#[test]
fn an_unavailable_provider_is_named_as_such() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Html502));
    let err = CREDS
        .client(&p)
        .password_grant(USER, &CREDS.password(), &[])
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("provider unavailable (HTTP 502)"),
        "{text}"
    );
    assert!(text.contains("502 Bad Gateway"), "{text}");
}

/// A server that answers every connection with `answer`, then closes.
fn answering(answer: Vec<u8>) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut request = [0u8; 4096];
        let _ = conn.read(&mut request);
        let _ = conn.write_all(&answer);
    });
    (url, server)
}

#[test]
fn an_answer_that_is_not_well_formed_http_is_a_response_error() {
    let mut huge_header = b"HTTP/1.1 200 OK\r\nX-Padding: ".to_vec();
    huge_header.extend(std::iter::repeat_n(b'p', 20_000));
    huge_header.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
    for (what, answer) in [
        ("oversized headers", huge_header),
        ("not HTTP", b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()),
        (
            "broken chunking",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".to_vec(),
        ),
    ] {
        let (url, server) = answering(answer);
        let err = Client::builder(url, ID, SECRET)
            .build()
            .unwrap()
            .password_grant(USER, &CREDS.password(), &[])
            .unwrap_err();
        server.join().unwrap();
        assert!(matches!(err, Error::Response(_)), "{what}: {err:?}");
        assert_no_secret(&err);
    }
}
