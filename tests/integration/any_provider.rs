//! Tokens from any provider, end to end over loopback: access tokens signed
//! RS256, ES256 or EdDSA with published keys (a JWKS URL, keys given in
//! code), opaque tokens, public clients, extra grant parameters, the
//! `id_token`, and the token characters of RFC 6749.

use crate::common;

use common::creds::Creds;
use ropc::jwt::{JwtError, KeySet};
use ropc::testing::{Misbehavior, Provider, SeenAuth, Signing};
use ropc::{
    Client, ClientAuth, Endpoint, Error, ErrorCode, FileStore, ResponseProblem, Secret, Session,
    Setting, TokenStore, TokenTypeHint, Verification,
};

const CREDS: Creds = Creds {
    id: "any-provider-client",
    secret: "CS-MARKER-any+/=",
    user: "frank",
    password: "PW-MARKER-any pass",
};

fn signing_provider(signing: Signing) -> Provider {
    CREDS.provider_builder().signing(signing).start().unwrap()
}

fn jwks_client(p: &Provider) -> Client {
    CREDS
        .client_builder(p)
        .issuer(p.issuer())
        .audience(CREDS.id)
        .verification(Verification::JwksUrl(p.jwks_url()))
        .build()
        .unwrap()
}

#[test]
fn tokens_signed_with_the_providers_keys_verify_with_its_jwks() {
    for signing in [Signing::Rs256, Signing::Es256, Signing::EdDsa] {
        let p = signing_provider(signing);
        let client = jwks_client(&p);
        let tokens = client
            .password_grant(CREDS.user, &CREDS.password(), &["openid"])
            .unwrap();
        assert!(tokens.is_verified());
        assert_eq!(tokens.claims().sub(), Some(CREDS.user), "{signing:?}");
        let again = client.refresh(&tokens).unwrap();
        assert_eq!(again.claims().sub(), Some(CREDS.user));
        // One fetch served both: the key set is cached.
        assert_eq!(p.jwks_requests(), 1, "{signing:?}");
    }
}

#[test]
fn keys_given_in_code_verify_without_a_fetch() {
    for signing in [Signing::Rs256, Signing::Es256, Signing::EdDsa] {
        let p = signing_provider(signing);
        for keys in [
            KeySet::from_jwks(p.jwks_json().as_bytes()).unwrap(),
            KeySet::from_pem(p.public_key_pem().as_bytes()).unwrap(),
            KeySet::parse(p.public_key_pem().as_bytes()).unwrap(),
        ] {
            let client = CREDS
                .client_builder(&p)
                .verification(Verification::Keys(keys))
                .build()
                .unwrap();
            let tokens = client
                .password_grant(CREDS.user, &CREDS.password(), &[])
                .unwrap();
            assert_eq!(tokens.claims().sub(), Some(CREDS.user));
        }
        assert_eq!(p.jwks_requests(), 0);
    }
}

#[test]
fn an_asymmetric_token_is_refused_under_the_default_verification_naming_its_algorithm() {
    let p = signing_provider(Signing::Rs256);
    let err = CREDS
        .client(&p)
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Jwt(JwtError::Algorithm {
                found: Some("RS256"),
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn keys_of_another_provider_do_not_verify() {
    let p = signing_provider(Signing::Es256);
    let other = signing_provider(Signing::Es256);
    let client = CREDS
        .client_builder(&p)
        .verification(Verification::JwksUrl(other.jwks_url()))
        .build()
        .unwrap();
    let err = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    // Another provider's keys have other kids: unknown, and the set was
    // just fetched, so it is not fetched again.
    assert!(matches!(err, Error::Jwt(JwtError::UnknownKey)), "{err:?}");
    assert_eq!(other.jwks_requests(), 1);
}

#[test]
fn a_rotated_key_is_fetched_once_and_a_forged_kid_never_more_than_once_per_cooldown() {
    let p = signing_provider(Signing::Rs256);
    let now = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
        ropc::jwt::Clock::System.now(),
    ));
    let clock = {
        let now = now.clone();
        ropc::jwt::Clock::Custom(std::sync::Arc::new(move || {
            now.load(std::sync::atomic::Ordering::SeqCst)
        }))
    };
    let client = CREDS
        .client_builder(&p)
        .clock(clock)
        .verification(Verification::JwksUrl(p.jwks_url()))
        .build()
        .unwrap();
    let tokens = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    assert_eq!(p.jwks_requests(), 1);

    // The provider rotates: the next token has a kid the cached set lacks,
    // and the set is fetched again (once).
    p.rotate_signing_key().unwrap();
    let tokens = client.refresh(&tokens).unwrap();
    assert_eq!(p.jwks_requests(), 2);

    // 20 tokens with random kids: refused, and no further fetch within the
    // cooldown.
    let mut rng = common::rng::Rng::for_test(
        module_path!(),
        "a_rotated_key_is_fetched_once_and_a_forged_kid_never_more_than_once_per_cooldown",
    );
    let forged: Vec<String> = (0..20)
        .map(|_| forged_token(&format!("kid-{:x}", rng.next_u64())))
        .collect();
    for token in &forged {
        let err = client
            .verify_access_token(&Secret::from(token.as_str()))
            .unwrap_err();
        assert!(matches!(err, Error::Jwt(JwtError::UnknownKey)), "{err:?}");
    }
    assert_eq!(p.jwks_requests(), 2, "no refetch within the cooldown");

    // Once the cooldown is over, one more fetch, however many forged kids.
    now.fetch_add(
        i64::try_from(ropc::JWKS_REFETCH_COOLDOWN.as_secs()).unwrap(),
        std::sync::atomic::Ordering::SeqCst,
    );
    for token in &forged {
        assert!(
            client
                .verify_access_token(&Secret::from(token.as_str()))
                .is_err()
        );
    }
    assert_eq!(p.jwks_requests(), 3, "exactly one refetch per cooldown");
    drop(tokens);
}

/// An RS256-looking token with `kid`, signed by nobody.
fn forged_token(kid: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#)),
        b64.encode(r#"{"sub":"mallory","exp":4000000000}"#),
        b64.encode([7u8; 256])
    )
}

#[test]
fn an_unreachable_or_broken_jwks_is_a_transport_or_response_error() {
    let p = signing_provider(Signing::Es256);
    // Not a key set at all.
    p.set_jwks(Some("<html>not here</html>".into()));
    let err = jwks_client(&p)
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    match &err {
        Error::Response(r) => {
            assert_eq!(r.endpoint, Endpoint::Jwks);
            assert!(matches!(r.problem, ResponseProblem::KeySet(_)), "{r:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("JWKS"), "{err}");
    // Duplicate member names anywhere in the set: refused, not resolved.
    p.set_jwks(Some(r#"{"keys":[],"keys":[]}"#.into()));
    assert!(matches!(
        jwks_client(&p).password_grant(CREDS.user, &CREDS.password(), &[]),
        Err(Error::Response(_))
    ));
}

#[test]
fn opaque_tokens_are_taken_as_they_are_with_their_expires_in() {
    let p = CREDS
        .provider_builder()
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let client = CREDS
        .client_builder(&p)
        .verification(Verification::Opaque)
        .build()
        .unwrap();
    let tokens = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    assert!(!tokens.is_verified());
    assert_eq!(tokens.claims().as_json(), "{}");
    assert!(!tokens.access_token().expose_secret().contains('.'));
    assert_eq!(tokens.expires_in(), Some(3600));
    assert!(tokens.expires_at().is_some());
    // Under the default verification, an opaque token is a malformed JWT.
    let err = CREDS
        .client(&p)
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Jwt(JwtError::Malformed(_) | JwtError::Base64 { .. })
        ),
        "{err:?}"
    );
}

#[test]
fn a_public_client_sends_its_id_in_the_body_and_no_authorization() {
    let p = Provider::builder()
        .public_client("public-app")
        .user(CREDS.user, CREDS.password)
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let client = Client::builder(p.url(), "public-app", "")
        .client_auth(ClientAuth::None)
        .verification(Verification::Opaque)
        .revocation_url(p.revocation_url())
        .build()
        .unwrap();
    let tokens = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    let tokens = client.refresh(&tokens).unwrap();
    client
        .revoke(tokens.refresh_token().unwrap(), TokenTypeHint::RefreshToken)
        .unwrap();
    for record in p.records() {
        assert_eq!(record.auth, SeenAuth::Public, "{record:?}");
        assert!(!record.had_authorization);
    }
    assert_eq!(p.records().len(), 3);
}

#[test]
fn a_public_client_still_needs_the_secret_when_tokens_are_verified_with_it() {
    let err = Client::builder("http://127.0.0.1:1/token", "public-app", "")
        .client_auth(ClientAuth::None)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, Error::Config(c) if c.setting == Setting::ClientSecret),
        "{err:?}"
    );
    // And a confidential client always does.
    let err = Client::builder("http://127.0.0.1:1/token", "app", "")
        .verification(Verification::Opaque)
        .build()
        .unwrap_err();
    assert!(matches!(&err, Error::Config(c) if c.setting == Setting::ClientSecret));
}

#[test]
fn extra_parameters_go_on_both_grants_and_never_on_revocation() {
    let p = CREDS
        .provider_builder()
        .require_param("audience", "https://api.example")
        .start()
        .unwrap();
    // Without it, the provider refuses.
    let err = CREDS
        .client(&p)
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidRequest),
        "{err:?}"
    );
    let client = CREDS
        .client_builder(&p)
        .revocation_url(p.revocation_url())
        .extra_params_encoded("audience=https%3A%2F%2Fapi.example")
        .unwrap()
        .extra_param("realm", "Username-Password-Authentication")
        .build()
        .unwrap();
    let tokens = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    let tokens = client.refresh(&tokens).unwrap();
    client
        .revoke(tokens.refresh_token().unwrap(), TokenTypeHint::RefreshToken)
        .unwrap();
    let records = p.records();
    let sent = |i: usize| records[i].extra_params.clone();
    let expected = vec![
        ("audience".to_owned(), "https://api.example".to_owned()),
        (
            "realm".to_owned(),
            "Username-Password-Authentication".to_owned(),
        ),
    ];
    assert_eq!(sent(1), expected, "password grant");
    assert_eq!(sent(2), expected, "refresh grant");
    assert_eq!(sent(3), Vec::new(), "revocation");
}

#[test]
fn reserved_extra_parameters_are_refused_before_anything_is_sent() {
    let p = CREDS.provider();
    for name in ropc::RESERVED_PARAMS {
        let err = CREDS
            .client_builder(&p)
            .extra_param(name, "x")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(c) if c.setting == Setting::ExtraParams && c.reason.contains(name)),
            "{err:?}"
        );
    }
    for bad in ["a=%zz", "=value", "a=%FF"] {
        assert!(
            CREDS
                .client_builder(&p)
                .extra_params_encoded(bad)
                .and_then(ropc::ClientBuilder::build)
                .is_err(),
            "{bad}"
        );
    }
    assert_eq!(p.requests(), 0);
}

#[test]
fn the_id_token_is_kept_as_it_came() {
    let p = CREDS.provider_builder().id_tokens(true).start().unwrap();
    let tokens = CREDS
        .client(&p)
        .password_grant(CREDS.user, &CREDS.password(), &["openid"])
        .unwrap();
    let id = tokens.id_token().unwrap();
    assert_eq!(id.expose_secret().split('.').count(), 3);
    assert!(format!("{tokens:?}").contains("id_token"));
    assert!(!format!("{tokens:?}").contains(id.expose_secret()));
}

#[test]
fn tokens_with_spaces_and_awkward_characters_survive_refresh_and_the_store() {
    let p = CREDS
        .provider_builder()
        .awkward_tokens(true)
        .start()
        .unwrap();
    let tmp = common::tempdir("any-provider-spaced");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(CREDS.client(&p), store.clone()).unwrap();
    let tokens = session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    let refresh = tokens.refresh_token().unwrap().clone();
    assert!(refresh.expose_secret().contains(' '), "{refresh:?}");
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.refresh_token.as_ref(), Some(&refresh));
    // The next process refreshes with it, as it came.
    let session = Session::with_store(CREDS.client(&p), store.clone()).unwrap();
    let fresh = session.refresh_rejected(tokens.access_token()).unwrap();
    assert_ne!(&fresh, tokens.access_token());
    assert_eq!(p.refresh_grants(), 1);
    tmp.close().unwrap();
}

#[test]
fn a_token_outside_vschar_is_refused_before_it_is_stored_or_used() {
    let p = CREDS.provider();
    let tmp = common::tempdir("any-provider-newline");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(CREDS.client(&p), store.clone()).unwrap();
    for bad in [r"rt\nwith a newline", r"rt\u0000", "r\u{e9}"] {
        p.set_misbehavior(Some(Misbehavior::Reply {
            status: 200,
            content_type: "application/json".into(),
            body: format!(
                r#"{{"access_token":"a.b.c","token_type":"Bearer","refresh_token":"{bad}"}}"#
            ),
        }));
        let err = session
            .login(CREDS.user, &CREDS.password(), &[])
            .unwrap_err();
        assert!(
            matches!(&err, Error::Response(r) if matches!(r.problem, ResponseProblem::InvalidMember { member: "refresh_token", .. })),
            "{err:?}"
        );
        assert!(store.load().unwrap().is_none());
    }
    tmp.close().unwrap();
}

#[test]
fn headers_that_point_elsewhere_are_never_fetched() {
    // A token whose jku/x5u name a second loopback server: it must never
    // hear from ropc, whatever the token says.
    let p = signing_provider(Signing::Es256);
    let elsewhere = signing_provider(Signing::Es256);
    let client = jwks_client(&p);
    client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    for header in [
        format!(r#"{{"alg":"ES256","jku":"{}"}}"#, elsewhere.jwks_url()),
        format!(r#"{{"alg":"ES256","x5u":"{}"}}"#, elsewhere.jwks_url()),
        format!(
            r#"{{"alg":"ES256","kid":"nope","jku":"{}"}}"#,
            elsewhere.jwks_url()
        ),
    ] {
        let token = format!(
            "{}.{}.{}",
            b64.encode(header),
            b64.encode(r#"{"sub":"mallory","exp":4000000000}"#),
            b64.encode([1u8; 64])
        );
        assert!(client.verify_access_token(&Secret::from(token)).is_err());
    }
    assert_eq!(elsewhere.requests(), 0);
    assert_eq!(elsewhere.jwks_requests(), 0);
}

#[test]
fn a_jwks_url_follows_the_token_urls_rules() {
    for url in [
        "http://id.example/jwks",
        "https://u:p@id.example/jwks",
        "ftp://x/",
    ] {
        let err = Client::builder("http://127.0.0.1:1/token", "app", "s")
            .verification(Verification::JwksUrl(url.into()))
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, Error::Config(c) if c.setting == Setting::Verification),
            "{url}: {err:?}"
        );
    }
}

#[test]
fn a_key_set_with_no_usable_key_is_refused_at_build() {
    let only_oct = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}]}"#;
    let keys = KeySet::from_jwks(only_oct.as_bytes()).unwrap();
    assert!(keys.is_empty());
    let err = Client::builder("http://127.0.0.1:1/token", "app", "s")
        .verification(Verification::Keys(keys))
        .build()
        .unwrap_err();
    assert!(matches!(&err, Error::Config(c) if c.setting == Setting::Verification));
}

#[test]
fn a_stored_token_is_verified_with_the_key_source_when_read_back() {
    let p = signing_provider(Signing::EdDsa);
    let tmp = common::tempdir("any-provider-store");
    let dir = tmp.path();
    let store = FileStore::new(dir.join("tokens"));
    let session = Session::with_store(jwks_client(&p), store.clone()).unwrap();
    session.login(CREDS.user, &CREDS.password(), &[]).unwrap();
    let session = Session::with_store(jwks_client(&p), store).unwrap();
    let token = session.access_token().unwrap();
    assert_eq!(
        p.refresh_grants(),
        0,
        "the stored token verified and was used"
    );
    assert!(token.expose_secret().starts_with("eyJ"));
    tmp.close().unwrap();
}

#[test]
fn a_key_set_that_cannot_be_fetched_fails_a_refresh_before_it_is_sent() {
    // A provider that rotates refresh tokens and revokes the family when a
    // rotated one comes back (Auth0, Okta, Keycloak).
    let p = CREDS
        .provider_builder()
        .signing(Signing::Es256)
        .detect_refresh_token_reuse(true)
        .start()
        .unwrap();
    let tokens = jwks_client(&p)
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    // A new process (`ropc refresh`), and the key set cannot be read.
    p.set_jwks(Some("<html>maintenance</html>".into()));
    let client = CREDS
        .client_builder(&p)
        .verification(Verification::JwksUrl(p.jwks_url()))
        .retry(ropc::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.refresh(&tokens).unwrap_err();
    assert!(
        matches!(&err, Error::Response(r) if r.endpoint == Endpoint::Jwks),
        "{err:?}"
    );
    // The refresh token was not spent: had it been, its rotated successor
    // would have been lost with the answer that could not be verified.
    assert_eq!(p.refresh_grants(), 0);
    p.set_jwks(None);
    let again = client.refresh(&tokens).unwrap();
    assert_eq!(again.claims().sub(), Some(CREDS.user));
    assert_eq!(p.reuse_detections(), 0);
}
