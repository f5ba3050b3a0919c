//! The loopback provider itself, driven with raw HTTP so its answers are
//! checked independently of the client.

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

// ---------------------------------------------------------------------------
// Any kind of provider: opaque tokens, public clients, required parameters,
// id tokens, awkward tokens, the key set (and, with `asymmetric`, RS256,
// ES256 and EdDSA keys, rotated on demand).

use base64::Engine as _;
use serde_json::Value;

const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A form body: every byte but letters and digits percent-encoded.
fn form(pairs: &[(&str, &str)]) -> String {
    let pct = |s: &str| -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `Authorization: Basic …` for `id:secret`, as a header line.
fn basic(id: &str, secret: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "Authorization: Basic {}\r\n",
        b64.encode(format!("{id}:{secret}"))
    )
}

/// The status and the body of a raw HTTP answer.
fn split(out: &str) -> (u16, &str) {
    let status = out.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, out.split_once("\r\n\r\n").map_or("", |(_, b)| b))
}

/// POSTs `pairs` to `path` with the extra header lines `headers`.
fn post_to(p: &Provider, path: &str, headers: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
    let body = form(pairs);
    let out = raw(
        p,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{FORM}{headers}Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let (status, body) = split(&out);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A token request with the extra header lines `headers`.
fn token_request(p: &Provider, headers: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
    post_to(p, "/token", headers, pairs)
}

/// GETs `path`; the status and the body.
fn get(p: &Provider, path: &str, headers: &str) -> (u16, String) {
    let out = raw(
        p,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n"),
    );
    let (status, body) = split(&out);
    (status, body.to_owned())
}

/// The status and body `/userinfo` answers for `Bearer token`.
fn userinfo(p: &Provider, token: &str) -> (u16, String) {
    get(
        p,
        "/userinfo",
        &format!("Authorization: Bearer {token}\r\n"),
    )
}

const PASSWORD_GRANT: [(&str, &str); 3] = [
    ("grant_type", "password"),
    ("username", "alice"),
    ("password", "wonderland"),
];

fn str_of<'v>(v: &'v Value, name: &str) -> &'v str {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
}

/// The JSON of a JWT's header or payload (segment 0 or 1).
fn segment(token: &str, n: usize) -> Value {
    let part = token.split('.').nth(n).unwrap();
    serde_json::from_slice(&B64URL.decode(part).unwrap()).unwrap()
}

#[test]
fn hs256_stays_the_default_without_kid_or_published_keys() {
    let p = Provider::start().unwrap();
    let (status, answer) = token_request(&p, BASIC, &PASSWORD_GRANT);
    assert_eq!(status, 200, "{answer}");
    let token = str_of(&answer, "access_token");
    assert_eq!(
        segment(token, 0),
        serde_json::json!({"alg": "HS256", "typ": "JWT"})
    );
    assert!(answer.get("id_token").is_none());
    assert_eq!(p.jwks_json(), r#"{"keys":[]}"#);
    assert_eq!(get(&p, "/jwks", "").1, r#"{"keys":[]}"#);
}

#[test]
fn opaque_access_tokens_are_not_jwts_and_the_resource_accepts_them() {
    let p = Provider::builder()
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let (status, answer) = token_request(&p, BASIC, &PASSWORD_GRANT);
    assert_eq!(status, 200, "{answer}");
    let token = str_of(&answer, "access_token").to_owned();
    assert!(!token.contains('.') && !token.starts_with("eyJ"), "{token}");
    assert_eq!(token.len(), 22);
    let (status, claims) = userinfo(&p, &token);
    assert_eq!(status, 200, "{claims}");
    let claims: Value = serde_json::from_str(&claims).unwrap();
    assert_eq!(
        (claims["sub"].as_str(), claims["aud"].as_str()),
        (Some("alice"), Some("demo-client"))
    );
    assert_eq!(claims["iss"].as_str(), Some(p.issuer().as_str()));

    // A refresh gives another one, accepted as well; one never issued is not.
    let refresh = str_of(&answer, "refresh_token");
    let (status, refreshed) = token_request(
        &p,
        BASIC,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    );
    assert_eq!(status, 200, "{refreshed}");
    let second = str_of(&refreshed, "access_token");
    assert_ne!(second, token);
    assert_eq!(userinfo(&p, second).0, 200);
    assert_eq!(userinfo(&p, "2YotnFZFEjr1zCsicMWpAA").0, 401);

    // Revoked by the client it was issued to, it is refused from then on.
    let (status, _) = post_to(
        &p,
        "/revoke",
        BASIC,
        &[("token", &token), ("token_type_hint", "access_token")],
    );
    assert_eq!(status, 200);
    assert_eq!(userinfo(&p, &token).0, 401);
    assert_eq!(userinfo(&p, second).0, 200);
}

#[test]
fn an_expired_opaque_access_token_is_refused() {
    let p = Provider::builder()
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .opaque_access_tokens(true)
        .misbehave(ropc::testing::Misbehavior::Expired)
        .start()
        .unwrap();
    let (_, answer) = token_request(&p, BASIC, &PASSWORD_GRANT);
    let (status, _) = userinfo(&p, str_of(&answer, "access_token"));
    assert_eq!(status, 401);
}

#[test]
fn a_public_client_is_accepted_without_authorization_and_refused_with_it() {
    let p = Provider::builder()
        .public_client("cli-app")
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let grant = [&PASSWORD_GRANT[..], &[("client_id", "cli-app")]].concat();
    let (status, answer) = token_request(&p, "", &grant);
    assert_eq!(status, 200, "{answer}");
    let record = &p.records()[0];
    assert_eq!(record.auth, SeenAuth::Public);
    assert!(!record.had_authorization);
    assert_eq!(userinfo(&p, str_of(&answer, "access_token")).0, 200);

    // Its refresh token is its own: refreshed and revoked with its id alone.
    let refresh = str_of(&answer, "refresh_token").to_owned();
    let (status, refreshed) = token_request(
        &p,
        "",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh),
            ("client_id", "cli-app"),
        ],
    );
    assert_eq!(status, 200, "{refreshed}");
    let (status, _) = token_request(
        &p,
        BASIC,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&refreshed, "refresh_token")),
        ],
    );
    assert_eq!(status, 400, "another client cannot use it");
    let (status, _) = post_to(
        &p,
        "/revoke",
        "",
        &[
            ("token", str_of(&refreshed, "refresh_token")),
            ("client_id", "cli-app"),
        ],
    );
    assert_eq!(status, 200);
    assert_eq!(p.records().last().unwrap().auth, SeenAuth::Public);

    // With a Basic header, with a secret, or with an id it does not know:
    // invalid_client.
    let with_secret = [&grant[..], &[("client_secret", "anything")]].concat();
    let unknown = [&PASSWORD_GRANT[..], &[("client_id", "other-app")]].concat();
    for (headers, body) in [
        (basic("cli-app", ""), &PASSWORD_GRANT[..]),
        (basic("cli-app", ""), &grant[..]),
        (String::new(), &with_secret[..]),
        (String::new(), &unknown[..]),
    ] {
        let (status, answer) = token_request(&p, &headers, body);
        assert_eq!(status, 401, "{headers} {body:?}: {answer}");
        assert_eq!(answer["error"], "invalid_client");
        assert_eq!(p.records().last().unwrap().auth, SeenAuth::Invalid);
    }
}

#[test]
fn a_public_client_needs_something_to_sign_with() {
    let start = |opaque: bool, id_tokens: bool| {
        Provider::builder()
            .public_client("cli-app")
            .opaque_access_tokens(opaque)
            .id_tokens(id_tokens)
            .start()
    };
    for (opaque, id_tokens) in [(false, false), (true, true), (false, true)] {
        let err = start(opaque, id_tokens).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("cli-app"), "{err}");
        assert!(err.to_string().contains("HS256"), "{err}");
    }
    assert!(start(true, false).is_ok());
    let twice = Provider::builder()
        .public_client("app")
        .client("app", "secret")
        .opaque_access_tokens(true)
        .start()
        .unwrap_err();
    assert_eq!(twice.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn a_required_parameter_is_enforced_on_both_grants_and_recorded() {
    let p = Provider::builder()
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .require_param("audience", "https://api.example")
        .start()
        .unwrap();
    let audience = ("audience", "https://api.example");
    for extra in [&[][..], &[("audience", "https://other.example")][..]] {
        let (status, answer) = token_request(&p, BASIC, &[&PASSWORD_GRANT[..], extra].concat());
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"], "invalid_request");
        assert!(
            str_of(&answer, "error_description").contains("audience"),
            "{answer}"
        );
    }
    let grant = [&PASSWORD_GRANT[..], &[audience, ("realm", "staff")]].concat();
    let (status, answer) = token_request(&p, BASIC, &grant);
    assert_eq!(status, 200, "{answer}");
    let refresh = str_of(&answer, "refresh_token").to_owned();

    let refresh_grant = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let (status, answer) = token_request(&p, BASIC, &refresh_grant);
    assert_eq!(status, 400, "{answer}");
    assert!(str_of(&answer, "error_description").contains("audience"));
    let (status, answer) = token_request(&p, BASIC, &[&refresh_grant[..], &[audience]].concat());
    assert_eq!(status, 200, "{answer}");

    // Revocation does not need it.
    let (status, _) = post_to(&p, "/revoke", BASIC, &[("token", &refresh)]);
    assert_eq!(status, 200);

    let records = p.records();
    let extras: Vec<_> = records.iter().map(|r| r.extra_params.clone()).collect();
    let own = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(extras[0], own(&[]));
    assert_eq!(extras[1], own(&[("audience", "https://other.example")]));
    assert_eq!(extras[2], own(&[audience, ("realm", "staff")]));
    assert_eq!(extras[3], own(&[]));
    assert_eq!(extras[4], own(&[audience]));
    assert_eq!(records[5].path, "/revoke");
    assert_eq!(extras[5], own(&[]), "sent on the grants, not on revocation");
    // Never a secret among them.
    let shown = format!("{records:?}");
    assert!(
        !shown.contains("wonderland") && !shown.contains(&refresh),
        "{shown}"
    );

    let err = Provider::builder()
        .require_param("scope", "openid")
        .start()
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn id_tokens_come_with_both_grants_and_are_no_access_tokens() {
    let p = Provider::builder()
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .id_tokens(true)
        .start()
        .unwrap();
    let (_, answer) = token_request(&p, BASIC, &PASSWORD_GRANT);
    let validation = ropc::Validation::default()
        .issuer(p.issuer())
        .audience("demo-client");
    let id_token = str_of(&answer, "id_token");
    let claims = ropc::jwt::verify(id_token, b"demo-secret", &validation).unwrap();
    assert_eq!(claims.sub(), Some("alice"));
    let payload = segment(id_token, 1);
    for claim in ["iss", "sub", "aud", "exp", "iat"] {
        assert!(payload.get(claim).is_some(), "{claim} in {payload}");
    }
    assert!(payload.get("scope").is_none() && payload.get("jti").is_none());
    assert_eq!(segment(id_token, 0)["alg"], "HS256");
    assert_eq!(
        userinfo(&p, id_token).0,
        401,
        "an id token is no access token"
    );
    assert_eq!(userinfo(&p, str_of(&answer, "access_token")).0, 200);

    let (_, refreshed) = token_request(
        &p,
        BASIC,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&answer, "refresh_token")),
        ],
    );
    assert!(ropc::jwt::verify(str_of(&refreshed, "id_token"), b"demo-secret", &validation).is_ok());
}

#[test]
fn awkward_tokens_round_trip_through_refreshes() {
    let p = Provider::builder()
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .awkward_tokens(true)
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let (_, answer) = token_request(&p, BASIC, &PASSWORD_GRANT);
    let refresh = str_of(&answer, "refresh_token").to_owned();
    let access = str_of(&answer, "access_token").to_owned();
    for token in [&refresh, &access] {
        assert!(
            token.bytes().all(|b| (0x20..=0x7e).contains(&b)),
            "{token:?}"
        );
        for c in [' ', '"', '\\', '%', '+', '=', '&', '#', '\''] {
            assert!(token.contains(c), "{c} in {token:?}");
        }
    }
    assert!(
        refresh.starts_with(' ') && refresh.ends_with(' '),
        "{refresh:?}"
    );
    // An access token goes in a header, which cannot keep end spaces.
    assert_eq!(access.trim(), access);
    assert_eq!(userinfo(&p, &access).0, 200);

    // Mangled (trimmed, or `+` read as a space), it is refused.
    for mangled in [refresh.trim().to_owned(), refresh.replace('+', " ")] {
        let (status, answer) = token_request(
            &p,
            BASIC,
            &[("grant_type", "refresh_token"), ("refresh_token", &mangled)],
        );
        assert_eq!(
            (status, &answer["error"]),
            (400, &Value::from("invalid_grant"))
        );
    }
    // Exactly as issued, it is accepted (and rotated).
    let (status, answer) = token_request(
        &p,
        BASIC,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    );
    assert_eq!(status, 200, "{answer}");

    // Through ropc's own client too (which needs JWT access tokens), twice:
    // the rotated refresh token the second time.
    let q = Provider::builder()
        .client("demo-client", "demo-secret")
        .user("alice", "wonderland")
        .awkward_tokens(true)
        .start()
        .unwrap();
    let client_q = ropc::Client::builder(q.url(), "demo-client", "demo-secret")
        .build()
        .unwrap();
    let tokens = client_q
        .password_grant("alice", &"wonderland".into(), &[])
        .unwrap();
    let tokens = client_q.refresh(&tokens).unwrap();
    let tokens = client_q.refresh(&tokens).unwrap();
    assert!(
        tokens
            .refresh_token()
            .unwrap()
            .expose_secret()
            .starts_with(' ')
    );
    assert_eq!(q.refresh_grants(), 2);
}

#[test]
fn set_jwks_serves_the_given_text_until_taken_back() {
    let p = Provider::start().unwrap();
    let hostile = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}]}"#;
    p.set_jwks(Some(hostile.to_owned()));
    assert_eq!(get(&p, "/jwks", ""), (200, hostile.to_owned()));
    assert_eq!(p.jwks_json(), hostile);
    p.set_jwks(Some("not json at all {".to_owned()));
    assert_eq!(get(&p, "/jwks", "").1, "not json at all {");
    p.set_jwks(None);
    assert_eq!(get(&p, "/jwks", "").1, r#"{"keys":[]}"#);
}

#[test]
fn jwks_requests_count_the_gets_of_the_key_set() {
    let p = Provider::start().unwrap();
    assert!(p.jwks_url().ends_with("/jwks"));
    assert_eq!(p.jwks_requests(), 0);
    get(&p, "/jwks", "");
    get(&p, "/jwks", "");
    let (status, _) = post_to(&p, "/jwks", "", &[]);
    assert_eq!(status, 405);
    get(&p, "/userinfo", "");
    assert_eq!(p.jwks_requests(), 2);
    // A misbehaviour applies there too, and the request still counts.
    p.set_misbehavior(Some(ropc::testing::Misbehavior::Html502));
    assert_eq!(get(&p, "/jwks", "").0, 502);
    assert_eq!(p.jwks_requests(), 3);
}

#[cfg(feature = "asymmetric")]
mod asymmetric {
    use ring::signature::{
        ECDSA_P256_SHA256_FIXED, ED25519, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
        UnparsedPublicKey,
    };
    use ropc::testing::{Misbehavior, Provider, SeenAuth, Signing};
    use serde_json::Value;

    use super::{B64URL, BASIC, PASSWORD_GRANT, get, segment, str_of, token_request, userinfo};
    use base64::Engine as _;

    const KINDS: [Signing; 3] = [Signing::Rs256, Signing::Es256, Signing::EdDsa];

    fn provider(signing: Signing) -> Provider {
        Provider::builder()
            .client("demo-client", "demo-secret")
            .user("alice", "wonderland")
            .signing(signing)
            .id_tokens(true)
            .start()
            .unwrap()
    }

    /// The access token and the id token of a password grant.
    fn tokens(p: &Provider) -> (String, String) {
        let (status, answer) = token_request(p, BASIC, &PASSWORD_GRANT);
        assert_eq!(status, 200, "{answer}");
        (
            str_of(&answer, "access_token").to_owned(),
            str_of(&answer, "id_token").to_owned(),
        )
    }

    /// The key set as served over HTTP.
    fn served_jwks(p: &Provider) -> Value {
        let (status, body) = get(p, "/jwks", "");
        assert_eq!(status, 200);
        serde_json::from_str(&body).unwrap()
    }

    /// The key of that `kid` in a key set.
    fn key<'a>(jwks: &'a Value, kid: &str) -> &'a Value {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap_or_else(|| panic!("no {kid} in {jwks}"))
    }

    fn b64(v: &Value) -> Vec<u8> {
        B64URL.decode(v.as_str().unwrap()).unwrap()
    }

    /// Whether the JWK verifies the token's signature (ring, not ropc).
    fn verifies(token: &str, jwk: &Value) -> bool {
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let (signed, signature) = (signed.as_bytes(), B64URL.decode(signature).unwrap());
        match jwk["kty"].as_str().unwrap() {
            "RSA" => RsaPublicKeyComponents {
                n: b64(&jwk["n"]),
                e: b64(&jwk["e"]),
            }
            .verify(&RSA_PKCS1_2048_8192_SHA256, signed, &signature)
            .is_ok(),
            "EC" => {
                let point = [&[4][..], &b64(&jwk["x"]), &b64(&jwk["y"])].concat();
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                    .verify(signed, &signature)
                    .is_ok()
            }
            "OKP" => UnparsedPublicKey::new(&ED25519, b64(&jwk["x"]))
                .verify(signed, &signature)
                .is_ok(),
            other => panic!("kty {other}"),
        }
    }

    /// One DER element at the start of `der`: its tag, its content, the rest.
    fn der(der: &[u8]) -> (u8, &[u8], &[u8]) {
        let (tag, first) = (der[0], der[1]);
        let (len, start) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            let len = der[2..2 + n]
                .iter()
                .fold(0, |acc, b| acc * 256 + usize::from(*b));
            (len, 2 + n)
        };
        (tag, &der[start..start + len], &der[start + len..])
    }

    /// Whether the SPKI PEM verifies the token's signature: its algorithm
    /// identifier and key, read by hand.
    fn pem_verifies(token: &str, pem: &str) -> bool {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let spki = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let (tag, inner, rest) = der(&spki);
        assert_eq!((tag, rest), (0x30, &[][..]));
        let (tag, algorithm, rest) = der(inner);
        assert_eq!(tag, 0x30);
        let (tag, bits, rest) = der(rest);
        assert_eq!((tag, bits[0], rest), (0x03, 0, &[][..]));
        let public = &bits[1..];
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let signature = B64URL.decode(signature).unwrap();
        let alg: &'static dyn ring::signature::VerificationAlgorithm = match algorithm {
            // rsaEncryption, NULL
            [
                0x06,
                0x09,
                0x2a,
                0x86,
                0x48,
                0x86,
                0xf7,
                0x0d,
                0x01,
                0x01,
                0x01,
                0x05,
                0x00,
            ] => &RSA_PKCS1_2048_8192_SHA256,
            // id-ecPublicKey, prime256v1
            [
                0x06,
                0x07,
                0x2a,
                0x86,
                0x48,
                0xce,
                0x3d,
                0x02,
                0x01,
                0x06,
                0x08,
                0x2a,
                0x86,
                0x48,
                0xce,
                0x3d,
                0x03,
                0x01,
                0x07,
            ] => &ECDSA_P256_SHA256_FIXED,
            // id-Ed25519
            [0x06, 0x03, 0x2b, 0x65, 0x70] => &ED25519,
            other => panic!("algorithm {other:02x?}"),
        };
        UnparsedPublicKey::new(alg, public)
            .verify(signed.as_bytes(), &signature)
            .is_ok()
    }

    #[test]
    fn rs256_es256_and_eddsa_tokens_verify_with_the_served_keys_and_not_with_another() {
        for signing in KINDS {
            let p = provider(signing);
            let (access, id) = tokens(&p);
            let kid = p.signing_kid().unwrap();
            let header = segment(&access, 0);
            assert_eq!(
                header,
                serde_json::json!({"alg": signing.alg(), "typ": "JWT", "kid": kid}),
            );
            assert_eq!(segment(&id, 0), header);
            let jwks = served_jwks(&p);
            assert_eq!(jwks, serde_json::from_str::<Value>(&p.jwks_json()).unwrap());
            let jwk = key(&jwks, &kid);
            for token in [&access, &id] {
                assert!(verifies(token, jwk), "{signing:?}");
                assert!(pem_verifies(token, &p.public_key_pem()), "{signing:?}");
            }
            // The protected resource checks them with the published keys.
            let (status, claims) = userinfo(&p, &access);
            assert_eq!(status, 200, "{signing:?}");
            assert!(claims.contains(r#""sub":"alice""#));

            // One changed byte of the payload, and the signature fails.
            let mut parts: Vec<_> = access.split('.').map(str::to_owned).collect();
            let mut payload = B64URL.decode(&parts[1]).unwrap();
            payload[2] ^= 1;
            parts[1] = B64URL.encode(payload);
            let forged = parts.join(".");
            assert!(!verifies(&forged, jwk));
            assert_eq!(userinfo(&p, &forged).0, 401);

            // Another key of the same kind: this provider's next one, and
            // another provider's.
            let next = p.rotate_signing_key().unwrap();
            assert!(
                !verifies(&access, key(&served_jwks(&p), &next)),
                "{signing:?}"
            );
            assert!(!pem_verifies(&access, &p.public_key_pem()), "{signing:?}");
            let other = provider(signing);
            let other_kid = other.signing_kid().unwrap();
            assert_ne!(other_kid, kid);
            assert!(!verifies(&access, key(&served_jwks(&other), &other_kid)));
            assert_eq!(userinfo(&other, &access).0, 401);
        }
    }

    #[test]
    fn published_keys_carry_kty_kid_use_alg_and_unpadded_parameters() {
        for signing in KINDS {
            let p = provider(signing);
            let jwks = served_jwks(&p);
            let keys = jwks["keys"].as_array().unwrap();
            assert_eq!(keys.len(), 1);
            let jwk = &keys[0];
            assert_eq!(jwk["use"], "sig");
            assert_eq!(jwk["alg"], signing.alg());
            assert_eq!(jwk["kid"].as_str(), p.signing_kid().as_deref());
            let text = p.jwks_json();
            assert!(!text.contains('='), "unpadded base64url: {text}");
            let members: Vec<&str> = jwk
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            match signing {
                Signing::Rs256 => {
                    assert_eq!(jwk["kty"], "RSA");
                    let n = b64(&jwk["n"]);
                    assert_eq!(
                        (n.len(), n[0] != 0),
                        (256, true),
                        "2048 bits, no leading zero"
                    );
                    assert_eq!(jwk["e"], "AQAB");
                    assert_eq!(members.len(), 6, "{members:?}");
                }
                Signing::Es256 => {
                    assert_eq!(
                        (&jwk["kty"], &jwk["crv"]),
                        (&Value::from("EC"), &Value::from("P-256"))
                    );
                    assert_eq!((b64(&jwk["x"]).len(), b64(&jwk["y"]).len()), (32, 32));
                    assert_eq!(members.len(), 7, "{members:?}");
                }
                _ => {
                    assert_eq!(
                        (&jwk["kty"], &jwk["crv"]),
                        (&Value::from("OKP"), &Value::from("Ed25519"))
                    );
                    assert_eq!(b64(&jwk["x"]).len(), 32);
                    assert_eq!(members.len(), 6, "{members:?}");
                }
            }
        }
    }

    #[test]
    fn rotation_publishes_both_keys_and_signs_with_the_new_kid() {
        for signing in KINDS {
            let p = provider(signing);
            let (before, _) = tokens(&p);
            let old = p.signing_kid().unwrap();
            let new = p.rotate_signing_key().unwrap();
            assert_ne!(old, new);
            assert_eq!(p.signing_kid().as_deref(), Some(new.as_str()));
            let (after, _) = tokens(&p);
            assert_eq!(segment(&after, 0)["kid"], new.as_str());

            let jwks = served_jwks(&p);
            assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
            assert_eq!(
                jwks["keys"][0]["kid"],
                new.as_str(),
                "the signing key first"
            );
            assert!(verifies(&before, key(&jwks, &old)));
            assert!(verifies(&after, key(&jwks, &new)));
            assert_ne!(key(&jwks, &old), key(&jwks, &new));
            assert!(pem_verifies(&after, &p.public_key_pem()));
            assert_eq!(
                userinfo(&p, &before).0,
                200,
                "the old key is still published"
            );
            assert_eq!(userinfo(&p, &after).0, 200);
        }
    }

    #[test]
    fn retiring_drops_the_old_keys() {
        for signing in KINDS {
            let p = provider(signing);
            let (before, _) = tokens(&p);
            let old = p.signing_kid().unwrap();
            p.rotate_signing_key().unwrap();
            let new = p.rotate_signing_key().unwrap();
            assert_eq!(served_jwks(&p)["keys"].as_array().unwrap().len(), 3);
            p.retire_old_keys();
            let jwks = served_jwks(&p);
            let kids: Vec<_> = jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| &k["kid"])
                .collect();
            assert_eq!(kids, [&Value::from(new.as_str())]);
            assert!(!p.jwks_json().contains(&old));
            assert_eq!(userinfo(&p, &before).0, 401, "its key is gone");
            let (after, _) = tokens(&p);
            assert_eq!(userinfo(&p, &after).0, 200);
        }
    }

    #[test]
    fn hs256_has_no_key_to_rotate_or_show() {
        let p = Provider::start().unwrap();
        let err = p.rotate_signing_key().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(p.public_key_pem(), "");
        assert_eq!(p.signing_kid(), None);
        p.retire_old_keys();
        assert_eq!(p.jwks_json(), r#"{"keys":[]}"#);
    }

    #[test]
    fn a_public_client_gets_asymmetric_tokens_without_authorization() {
        let p = Provider::builder()
            .public_client("cli-app")
            .user("alice", "wonderland")
            .signing(Signing::EdDsa)
            .id_tokens(true)
            .start()
            .unwrap();
        let grant = [&PASSWORD_GRANT[..], &[("client_id", "cli-app")]].concat();
        let (status, answer) = token_request(&p, "", &grant);
        assert_eq!(status, 200, "{answer}");
        assert_eq!(p.records()[0].auth, SeenAuth::Public);
        let access = str_of(&answer, "access_token");
        assert_eq!(segment(access, 1)["aud"], "cli-app");
        assert!(verifies(
            access,
            key(&served_jwks(&p), &p.signing_kid().unwrap())
        ));
        assert_eq!(userinfo(&p, access).0, 200);
        let (status, answer) = token_request(&p, &super::basic("cli-app", ""), &PASSWORD_GRANT);
        assert_eq!(
            (status, &answer["error"]),
            (401, &Value::from("invalid_client"))
        );
    }

    #[test]
    fn misbehaving_asymmetric_providers_use_an_unpublished_key_or_the_public_key_as_hmac_secret() {
        for signing in KINDS {
            let p = provider(signing);
            let kid = p.signing_kid().unwrap();
            p.set_misbehavior(Some(Misbehavior::WrongKey));
            let (access, id) = tokens(&p);
            let jwks = served_jwks(&p);
            for token in [&access, &id] {
                assert_eq!(segment(token, 0)["kid"], kid.as_str());
                assert!(!verifies(token, key(&jwks, &kid)), "{signing:?}");
            }
            assert_eq!(userinfo(&p, &access).0, 401);

            p.set_misbehavior(Some(Misbehavior::OtherAlg));
            let (access, _) = tokens(&p);
            assert_eq!(
                segment(&access, 0),
                serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
            );
            let pem = p.public_key_pem();
            let validation = ropc::Validation::default();
            assert!(ropc::jwt::verify(&access, pem.as_bytes(), &validation).is_ok());
            assert_eq!(userinfo(&p, &access).0, 401);
        }
    }
}
