//! Nothing secret in any `Debug` or `Display`: `Secret`, `ClientBuilder`,
//! `Client`, `Tokens`, `Session`, and every `Error` variant as real failures
//! produce them, with unique marker values as the secrets.

use crate::common;

use std::time::Duration;

use common::creds::Creds;
use ropc::_fuzz::parse_response as parse;
use ropc::jwt::{Validation, verify};
use ropc::testing::Misbehavior;
use ropc::{Client, ClientAuth, Error, FileStore, Secret, Session, TokenStore, TransportKind};

const ID: &str = "redaction-client";
const SECRET: &str = "CSMARK0secret+/=";
const USER: &str = "grace";
const PASSWORD: &str = "PWMARK0pass word";
const CREDS: Creds = Creds {
    id: ID,
    secret: SECRET,
    user: USER,
    password: PASSWORD,
};

fn shown(x: &(impl std::fmt::Debug + std::fmt::Display)) -> String {
    format!("{x} | {x:?} | {x:#?}")
}

fn assert_clean(text: &str) {
    for marker in ["CSMARK", "PWMARK", "RTMARK", "Q1NNQVJL", "UFdNQVJL"] {
        assert!(!text.contains(marker), "{marker} in: {text}");
    }
}

#[test]
fn secret_builder_client_tokens_and_session_are_redacted() {
    let s = Secret::from(PASSWORD);
    assert_clean(&shown(&s));
    let p = CREDS.provider();
    let b = CREDS.client_builder(&p);
    assert_clean(&format!("{b:?} {b:#?}"));
    let c = b.build().unwrap();
    assert_clean(&format!("{c:?} {c:#?}"));
    let t = c.password_grant(USER, &s, &[]).unwrap();
    let text = format!("{t:?} {t:#?} {:?}", t.claims());
    assert_clean(&text);
    assert!(!text.contains(t.access_token().expose_secret()));
    assert!(!text.contains(t.refresh_token().unwrap().expose_secret()));
    let session = Session::new(c, t);
    assert_clean(&format!("{session:?}"));
}

fn every_error() -> Vec<Error> {
    let mut errors = Vec::new();
    let p = CREDS.provider();
    let c = CREDS.client(&p);
    let pw = Secret::from(PASSWORD);
    // OAuth: wrong password, wrong secret, and a provider quoting the password.
    errors.push(
        c.password_grant(USER, &Secret::from("PWMARK-wrong"), &[])
            .unwrap_err(),
    );
    errors.push(
        Client::builder(p.url(), ID, "CSMARK-wrong")
            .build()
            .unwrap()
            .password_grant(USER, &pw, &[])
            .unwrap_err(),
    );
    p.set_misbehavior(Some(Misbehavior::ErrorQuotingPassword));
    errors.push(c.password_grant(USER, &pw, &[]).unwrap_err());
    // Response: an HTML page echoing the request (body and Basic header), in
    // each client authentication style.
    p.set_misbehavior(Some(Misbehavior::EchoRequest));
    for auth in [
        ClientAuth::Basic,
        ClientAuth::BasicFormEncoded,
        ClientAuth::Post,
    ] {
        let c = CREDS.client_builder(&p).client_auth(auth).build().unwrap();
        errors.push(c.password_grant(USER, &pw, &[]).unwrap_err());
        errors.push(
            c.refresh_with(&Secret::from("RTMARK-refresh"), &[])
                .unwrap_err(),
        );
    }
    for m in [
        Misbehavior::Html502,
        Misbehavior::NotJson,
        Misbehavior::Oversized(100_000),
        Misbehavior::Redirect(307),
        Misbehavior::TokenType("x".into()),
    ] {
        p.set_misbehavior(Some(m));
        errors.push(c.password_grant(USER, &pw, &[]).unwrap_err());
    }
    // Jwt.
    for m in [
        Misbehavior::WrongKey,
        Misbehavior::OtherAlg,
        Misbehavior::Expired,
    ] {
        p.set_misbehavior(Some(m));
        errors.push(c.password_grant(USER, &pw, &[]).unwrap_err());
    }
    errors.push(Error::Jwt(
        verify(
            "CSMARK.PWMARK.RTMARK",
            SECRET.as_bytes(),
            &Validation::default(),
        )
        .unwrap_err(),
    ));
    // Transport: timeout, closed connection, refused connection.
    p.set_misbehavior(Some(Misbehavior::Delay(Duration::from_secs(2))));
    let slow = CREDS
        .client_builder(&p)
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    errors.push(slow.password_grant(USER, &pw, &[]).unwrap_err());
    p.set_misbehavior(Some(Misbehavior::CloseWithoutAnswer));
    errors.push(c.password_grant(USER, &pw, &[]).unwrap_err());
    let refused = common::on_a_closed_port(
        |port| {
            let dead = Client::builder(format!("http://127.0.0.1:{port}/t"), ID, SECRET)
                .build()
                .unwrap();
            dead.password_grant(USER, &pw, &[])
        },
        |r| matches!(r, Err(Error::Transport(t)) if t.kind == TransportKind::Connect),
    );
    errors.push(refused.unwrap_err());
    // Config: credentials in the URL, bad values.
    errors.push(
        Client::builder("https://u:PWMARK@id.example/t", ID, SECRET)
            .build()
            .unwrap_err(),
    );
    errors.push(
        Client::builder("http://id.example/CSMARK", ID, SECRET)
            .build()
            .unwrap_err(),
    );
    errors.push(
        Client::builder("http://127.0.0.1/t", ID, SECRET)
            .proxy("http://PWMARK:x@")
            .build()
            .unwrap_err(),
    );
    // LoginRequired and Store.
    errors.push(Error::LoginRequired);
    let tmp = common::tempdir("redaction");
    let dir = tmp.path();
    let path = dir.join("store");
    common::write_private(&path, "ropc-store 1\nrefresh_token RTMARK\n");
    errors.push(FileStore::new(&path).load().unwrap_err());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    errors.push(FileStore::new(&path).load().unwrap_err());
    drop(tmp);
    // Response parsing errors on bodies full of markers.
    for body in [
        r#"{"access_token":"RTMARK","token_type":"mac","refresh_token":"PWMARK"}"#,
        r#"{"access_token":"RTMARK","expires_in":"PWMARK"}"#,
        "PWMARK",
    ] {
        errors.push(Error::Response(parse(body.as_bytes()).unwrap_err()));
    }
    errors
}

#[test]
fn no_error_variant_shows_a_secret() {
    let errors = every_error();
    let kinds: std::collections::BTreeSet<&str> = errors
        .iter()
        .map(|e| match e {
            Error::OAuth(_) => "oauth",
            Error::Jwt(_) => "jwt",
            Error::Transport(_) => "transport",
            Error::Response(_) => "response",
            Error::Config(_) => "config",
            Error::LoginRequired => "login",
            Error::Store(_) => "store",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds.len(), 7, "every variant is covered: {kinds:?}");
    for e in &errors {
        let text = shown(e);
        // TokenType("x") would show "x"; the markers must never show.
        assert_clean(&text);
    }
}

#[test]
fn an_echoed_request_is_redacted_but_the_page_still_helps() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::EchoRequest));
    let err = CREDS
        .client(&p)
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap_err();
    match &err {
        Error::Response(r) => {
            assert_eq!(r.status, Some(502));
            let excerpt = r.excerpt.as_deref().unwrap();
            assert!(excerpt.starts_with("<html>"), "{excerpt}");
            assert!(excerpt.contains("password=[redacted]"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    p.set_misbehavior(Some(Misbehavior::ErrorQuotingPassword));
    let err = CREDS
        .client(&p)
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap_err();
    match &err {
        Error::OAuth(e) => assert_eq!(
            e.response.description.as_deref(),
            Some("wrong password '[redacted]' for this user")
        ),
        other => panic!("{other:?}"),
    }
}

/// What the client reports when the provider answers `body` with `status`.
fn refused_with(status: u16, content_type: &str, body: &str) -> Error {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Reply {
        status,
        content_type: content_type.into(),
        body: body.into(),
    }));
    CREDS
        .client(&p)
        .password_grant(USER, &Secret::from(PASSWORD), &[])
        .unwrap_err()
}

#[test]
fn a_secret_echoed_as_the_error_code_is_redacted() {
    for secret in [PASSWORD, SECRET] {
        let body = serde_json::json!({ "error": secret }).to_string();
        let err = refused_with(400, "application/json", &body);
        assert!(matches!(err, Error::OAuth(_)), "{err:?}");
        assert_clean(&shown(&err));
        assert!(err.to_string().contains("[redacted]"), "{err}");
    }
}

#[test]
fn a_secret_echoed_as_the_token_type_is_redacted() {
    // A password short and plain enough to look like a token type.
    let password = "PWMARK-type_9";
    let body = serde_json::json!({ "access_token": "x", "token_type": password }).to_string();
    let p = Creds { password, ..CREDS }
        .provider_builder()
        .misbehave(Misbehavior::Reply {
            status: 200,
            content_type: "application/json".into(),
            body,
        })
        .start()
        .unwrap();
    let err = CREDS
        .client(&p)
        .password_grant(USER, &Secret::from(password), &[])
        .unwrap_err();
    assert!(matches!(err, Error::Response(_)), "{err:?}");
    assert_clean(&shown(&err));
}

#[test]
fn secrets_are_redacted_before_provider_text_is_cut() {
    // A secret straddling the 256-character cut of a description or URI, or
    // the 80-character cut of an error page excerpt: no part of it shows.
    for secret in [PASSWORD, SECRET] {
        let long = format!("{}{secret}", "x".repeat(250));
        let body = serde_json::json!({
            "error": "invalid_grant",
            "error_description": long,
            "error_uri": long,
        })
        .to_string();
        let err = refused_with(400, "application/json", &body);
        assert!(matches!(err, Error::OAuth(_)), "{err:?}");
        assert_clean(&shown(&err));
        let page = format!("<html>{}{secret}</html>", "x".repeat(68));
        let err = refused_with(502, "text/html", &page);
        assert!(matches!(err, Error::Response(_)), "{err:?}");
        assert_clean(&shown(&err));
    }
}

#[test]
fn secrets_are_redacted_in_any_case_and_encoding() {
    let page = format!(
        "<pre>{} {} {} {}</pre>",
        PASSWORD.to_lowercase(),
        "PWMARK0pass%20word",
        "pwmark0pass+word",
        "CSMARK0secret%2b%2f%3d",
    );
    let err = refused_with(500, "text/html", &page);
    let text = shown(&err);
    for marker in ["PWMARK", "pwmark", "CSMARK", "csmark"] {
        assert!(!text.contains(marker), "{marker} in {text}");
    }
}

#[test]
fn builder_debug_hides_proxy_credentials() {
    let b = Client::builder("https://id.example/token", ID, SECRET)
        .proxy("http://PWMARK-user:CSMARK-pass@proxy.example:3128");
    let shown = format!("{b:?} {b:#?}");
    assert_clean(&shown);
    assert!(shown.contains("proxy.example:3128"), "{shown}");
}

#[test]
fn secrets_echoed_as_other_encoders_write_them_are_redacted() {
    // PHP escapes `/` as `\/`; PHP and Python's json write non-ASCII as
    // `\uXXXX`; an HTML page writes `&`, `<`, `'` as entities.
    let password = "PWMARK-grün/päss<&'x";
    let creds = Creds { password, ..CREDS };
    let p = creds.provider();
    for (content_type, body) in [
        (
            "application/json",
            r#"{"message":"bad credential PWMARK-gr\u00fcn\/p\u00e4ss<&'x"}"#,
        ),
        (
            "application/json",
            r#"{"message":"client CSMARK0secret+\/= refused"}"#,
        ),
        (
            "text/html",
            "<p>bad credential PWMARK-grün/päss&lt;&amp;&#39;x</p>",
        ),
    ] {
        p.set_misbehavior(Some(Misbehavior::Reply {
            status: 401,
            content_type: content_type.into(),
            body: body.into(),
        }));
        let err = creds
            .client(&p)
            .password_grant(USER, &Secret::from(password), &[])
            .unwrap_err();
        assert!(matches!(err, Error::Response(_)), "{err:?}");
        let shown = shown(&err);
        assert_clean(&shown);
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
