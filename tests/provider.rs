//! The loopback provider itself, driven with raw HTTP so its answers are
//! checked independently of the client.
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

use std::io::{Read, Write};
use std::net::TcpStream;

use ropc::testing::{Provider, SeenAuth};

fn raw(p: &Provider, request: &str) -> String {
    let mut s = TcpStream::connect(p.addr()).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn post(p: &Provider, headers: &str, body: &str) -> String {
    raw(
        p,
        &format!(
            "POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

const FORM: &str = "Content-Type: application/x-www-form-urlencoded\r\n";
// base64("demo-client:demo-secret")
const BASIC: &str = "Authorization: Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=\r\n";

#[test]
fn answers_the_password_grant() {
    let p = Provider::start().unwrap();
    let out = post(
        &p,
        &format!("{FORM}{BASIC}"),
        "grant_type=password&username=alice&password=wonderland",
    );
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("\"access_token\":\"eyJ"));
    assert!(out.contains("\"refresh_token\""));
    assert!(out.contains("Cache-Control: no-store"));
}

#[test]
fn unknown_paths_and_methods_are_refused() {
    let p = Provider::start().unwrap();
    assert!(raw(&p, "GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 404"));
    let out = raw(&p, "GET /token HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert!(
        out.starts_with("HTTP/1.1 405") && out.contains("Allow: POST"),
        "{out}"
    );
}

#[test]
fn a_body_that_is_not_a_form_is_invalid_request() {
    let p = Provider::start().unwrap();
    let out = post(
        &p,
        &format!("Content-Type: application/json\r\n{BASIC}"),
        "{}",
    );
    assert!(
        out.starts_with("HTTP/1.1 400") && out.contains("invalid_request"),
        "{out}"
    );
}

#[test]
fn missing_or_wrong_client_credentials_are_invalid_client_with_401() {
    let p = Provider::start().unwrap();
    let out = post(
        &p,
        FORM,
        "grant_type=password&username=alice&password=wonderland",
    );
    assert!(
        out.starts_with("HTTP/1.1 401") && out.contains("invalid_client"),
        "{out}"
    );
    assert!(out.contains("WWW-Authenticate: Basic"), "{out}");
    assert_eq!(p.records()[0].auth, SeenAuth::None);
}

#[test]
fn two_client_authentication_methods_at_once_are_refused() {
    let p = Provider::start().unwrap();
    let out = post(
        &p,
        &format!("{FORM}{BASIC}"),
        "grant_type=password&username=alice&password=wonderland&client_id=demo-client&client_secret=demo-secret",
    );
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    assert_eq!(p.records()[0].auth, SeenAuth::Invalid);
}

#[test]
fn missing_and_unsupported_grant_types_are_named() {
    let p = Provider::start().unwrap();
    let out = post(&p, &format!("{FORM}{BASIC}"), "username=alice");
    assert!(out.contains("invalid_request"), "{out}");
    let out = post(
        &p,
        &format!("{FORM}{BASIC}"),
        "grant_type=client_credentials",
    );
    assert!(out.contains("unsupported_grant_type"), "{out}");
    let out = post(
        &p,
        &format!("{FORM}{BASIC}"),
        "grant_type=password&username=alice",
    );
    assert!(out.contains("invalid_request"), "{out}");
}

#[test]
fn records_never_hold_secrets() {
    let p = Provider::start().unwrap();
    post(
        &p,
        &format!("{FORM}{BASIC}"),
        "grant_type=password&username=alice&password=wonderland",
    );
    let shown = format!("{:?}", p.records());
    assert!(
        !shown.contains("wonderland") && !shown.contains("demo-secret"),
        "{shown}"
    );
    assert!(p.records()[0].had_password);
}

fn get_userinfo(p: &Provider, authorization: Option<&str>) -> String {
    let header = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    raw(
        p,
        &format!("GET /userinfo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{header}\r\n"),
    )
}

#[test]
fn the_protected_resource_answers_a_valid_bearer_token_with_its_claims() {
    let p = Provider::start().unwrap();
    assert!(p.userinfo_url().ends_with("/userinfo"));
    let client = ropc::Client::builder(p.url(), "demo-client", "demo-secret")
        .build()
        .unwrap();
    let tokens = client
        .password_grant("alice", &"wonderland".into(), &["openid"])
        .unwrap();
    let out = get_userinfo(&p, Some(tokens.access_token().bearer().expose_secret()));
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let body = out.split("\r\n\r\n").nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "demo-client");
    // The scheme is matched without case (RFC 7235 §2.1).
    let lower = format!("bearer {}", tokens.access_token().expose_secret());
    assert!(get_userinfo(&p, Some(&lower)).starts_with("HTTP/1.1 200"));
}

#[test]
fn the_protected_resource_challenges_a_missing_or_bad_token() {
    let p = Provider::start().unwrap();
    // No credentials: a challenge without an error code (RFC 6750 §3.1).
    let out = get_userinfo(&p, None);
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    assert!(
        out.contains("WWW-Authenticate: Bearer realm=\"ropc-provider\"\r\n"),
        "{out}"
    );
    // A token signed with another key, garbage, another scheme: invalid_token.
    let forged = ropc::testing::Provider::builder()
        .client("demo-client", "not-the-secret")
        .user("alice", "wonderland")
        .start()
        .unwrap();
    let tokens = ropc::Client::builder(forged.url(), "demo-client", "not-the-secret")
        .build()
        .unwrap()
        .password_grant("alice", &"wonderland".into(), &[])
        .unwrap();
    for auth in [
        format!("Bearer {}", tokens.access_token().expose_secret()),
        "Bearer not.a.token".to_owned(),
        "Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=".to_owned(),
    ] {
        let out = get_userinfo(&p, Some(&auth));
        assert!(out.starts_with("HTTP/1.1 401"), "{auth}: {out}");
        if auth.starts_with("Bearer") {
            assert!(out.contains("error=\"invalid_token\""), "{out}");
        }
    }
}

#[test]
fn the_protected_resource_refuses_an_expired_token() {
    let p = Provider::builder()
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .start()
        .unwrap();
    // An expired token, signed as the provider signs (the client would
    // refuse to hand one out): by hand.
    let payload = format!(
        r#"{{"iss":"{}","sub":"alice","aud":"demo-client","exp":{}}}"#,
        p.issuer(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 3600
    );
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let input = format!(
        "{}.{}",
        b64.encode(r#"{"alg":"HS256"}"#),
        b64.encode(payload)
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"demo-secret").unwrap();
    mac.update(input.as_bytes());
    let token = format!("{input}.{}", b64.encode(mac.finalize().into_bytes()));
    let out = get_userinfo(&p, Some(&format!("Bearer {token}")));
    assert!(out.starts_with("HTTP/1.1 401"), "{out}");
    assert!(out.contains("error=\"invalid_token\""), "{out}");
}
