//! The `ropc` binary against providers that are not the seed's: JWKS URLs,
//! key files, opaque tokens, public clients, extra parameters, and every
//! error of those variables (exit codes per the contract; no secret shown).

use crate::common;

use common::cli::{self, Out};
use common::creds::Creds;
use ropc::testing::{Misbehavior, Provider, Signing};
use serde_json::Value;

const CREDS: Creds = Creds {
    id: "cli-any-client",
    secret: "CS-MARKER-cli-any",
    user: "grace",
    password: "PW-MARKER-cli-any",
};

const HIDDEN: &[&str] = &["PW-MARKER", "CS-MARKER"];

type Env = Vec<(&'static str, String)>;

fn ropc(args: &[&str], env: &Env, stdin: &str) -> Out {
    let out = cli::run(cli::command(args, env), stdin, HIDDEN);
    if out.code != 0 {
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
    out
}

fn env_with(p: &Provider, extra: &[(&'static str, String)]) -> Env {
    let mut env = CREDS.login_env(p.url());
    env.extend(extra.iter().cloned());
    env
}

fn json(out: &Out) -> Value {
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

fn signing(signing: Signing) -> Provider {
    CREDS.provider_builder().signing(signing).start().unwrap()
}

#[test]
fn token_and_refresh_verify_with_the_jwks_url() {
    for s in [Signing::Rs256, Signing::Es256, Signing::EdDsa] {
        let p = signing(s);
        let env = env_with(&p, &[("ROPC_JWKS_URL", p.jwks_url())]);
        let out = json(&ropc(&["token"], &env, &format!("{}\n", CREDS.password)));
        assert_eq!(out["claims"]["sub"], CREDS.user, "{s:?}");
        assert_eq!(out["id_token"], Value::Null);
        let rt = out["refresh_token"].as_str().unwrap().to_owned();
        let out = json(&ropc(&["refresh"], &env, &format!("{rt}\n")));
        assert_eq!(out["claims"]["sub"], CREDS.user);
        // `ropc verify` with the same key source.
        let at = out["access_token"].as_str().unwrap().to_owned();
        let verified = json(&ropc(&["verify"], &env, &format!("{at}\n")));
        assert_eq!(verified["sub"], CREDS.user);
    }
}

#[test]
fn token_and_verify_with_a_keys_file_jwks_or_pem() {
    let p = signing(Signing::Es256);
    let tmp = common::tempdir("cli-any-keys");
    let dir = tmp.path();
    for (name, content) in [
        ("jwks.json", p.jwks_json()),
        ("key.pem", p.public_key_pem()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        let env = env_with(&p, &[("ROPC_JWT_KEYS_FILE", path.display().to_string())]);
        let out = json(&ropc(&["token"], &env, &format!("{}\n", CREDS.password)));
        let at = out["access_token"].as_str().unwrap().to_owned();
        let verified = json(&ropc(&["verify"], &env, &format!("{at}\n")));
        assert_eq!(verified["sub"], CREDS.user);
    }
    assert_eq!(p.jwks_requests(), 0);
    tmp.close().unwrap();
}

#[test]
fn opaque_tokens_with_verify_none_print_null_claims() {
    let p = CREDS
        .provider_builder()
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let env = env_with(&p, &[("ROPC_VERIFY", "none".into())]);
    let out = json(&ropc(&["token"], &env, &format!("{}\n", CREDS.password)));
    assert_eq!(out["claims"], Value::Null);
    assert_eq!(out["expires_in"], 3600);
    // Nothing to verify with: exit 2.
    let out = ropc(&["verify"], &env, "whatever\n");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("ROPC_VERIFY=none"), "{}", out.stderr);
}

#[test]
fn under_the_client_secret_the_failure_names_the_variable_that_fits() {
    let p = signing(Signing::Rs256);
    let out = ropc(
        &["token"],
        &env_with(&p, &[]),
        &format!("{}\n", CREDS.password),
    );
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("RS256"), "{}", out.stderr);
    assert!(out.stderr.contains("ROPC_JWKS_URL"), "{}", out.stderr);
    let opaque = CREDS
        .provider_builder()
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let out = ropc(
        &["token"],
        &env_with(&opaque, &[]),
        &format!("{}\n", CREDS.password),
    );
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("ROPC_VERIFY=none"), "{}", out.stderr);
}

#[test]
fn two_key_sources_at_once_are_exit_2_naming_both() {
    let p = signing(Signing::Es256);
    let keys = common::temp_file("cli-any-two-sources", p.jwks_json());
    let sources = [
        ("ROPC_JWKS_URL", p.jwks_url()),
        ("ROPC_JWT_KEYS_FILE", keys.display().to_string()),
        ("ROPC_VERIFY", "none".to_owned()),
    ];
    let never = common::tempdir("cli-any-never");
    for i in 0..3 {
        for j in (i + 1)..3 {
            let env = env_with(&p, &[sources[i].clone(), sources[j].clone()]);
            for command in ["token", "refresh", "verify", "access"] {
                let mut args = vec![command];
                let store = never.path().join("tokens").display().to_string();
                if command == "access" {
                    args.extend(["--store", &store]);
                }
                let out = ropc(&args, &env, "x\n");
                assert_eq!(out.code, 2, "{command}: {}", out.stderr);
                assert!(out.stderr.contains(sources[i].0), "{}", out.stderr);
                assert!(out.stderr.contains(sources[j].0), "{}", out.stderr);
            }
        }
    }
    assert_eq!(p.requests(), 0);
    keys.close().unwrap();
}

#[test]
fn bad_key_source_values_are_exit_2_before_anything_is_sent() {
    let p = signing(Signing::Es256);
    let not_keys = common::temp_file("cli-any-not-keys", "hello");
    let only_oct = common::temp_file(
        "cli-any-only-oct",
        r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}"#,
    );
    for (var, value, says) in [
        ("ROPC_VERIFY", "yes".to_owned(), "ROPC_VERIFY"),
        (
            "ROPC_JWKS_URL",
            "http://id.example/jwks".to_owned(),
            "ROPC_JWKS_URL",
        ),
        ("ROPC_JWKS_URL", "not a url".to_owned(), "ROPC_JWKS_URL"),
        (
            "ROPC_JWT_KEYS_FILE",
            "/nonexistent/keys".to_owned(),
            "ROPC_JWT_KEYS_FILE",
        ),
        (
            "ROPC_JWT_KEYS_FILE",
            "/dev/zero".to_owned(),
            "ROPC_JWT_KEYS_FILE",
        ),
        (
            "ROPC_JWT_KEYS_FILE",
            not_keys.display().to_string(),
            "ROPC_JWT_KEYS_FILE",
        ),
        (
            "ROPC_JWT_KEYS_FILE",
            only_oct.display().to_string(),
            "no usable key",
        ),
    ] {
        for command in ["token", "verify"] {
            let out = ropc(&[command], &env_with(&p, &[(var, value.clone())]), "x\n");
            assert_eq!(out.code, 2, "{var}={value}: {}", out.stderr);
            assert!(out.stderr.contains(says), "{var}={value}: {}", out.stderr);
        }
    }
    assert_eq!(p.requests(), 0);
    not_keys.close().unwrap();
    only_oct.close().unwrap();
}

#[test]
fn a_jwks_that_cannot_be_fetched_or_read_is_exit_5_or_6() {
    let p = signing(Signing::Es256);
    // Unreachable: exit 5.
    let out = common::on_a_closed_port(
        |port| {
            let env = env_with(
                &p,
                &[("ROPC_JWKS_URL", format!("http://127.0.0.1:{port}/jwks"))],
            );
            ropc(&["token"], &env, &format!("{}\n", CREDS.password))
        },
        |out| out.stderr.contains("connection"),
    );
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("JWKS"), "{}", out.stderr);
    // Not a key set, a 404: exit 6.
    let env = env_with(&p, &[("ROPC_JWKS_URL", p.jwks_url())]);
    p.set_jwks(Some("[]".into()));
    let out = ropc(&["token"], &env, &format!("{}\n", CREDS.password));
    assert_eq!(out.code, 6, "{}", out.stderr);
    let env = env_with(
        &p,
        &[(
            "ROPC_JWKS_URL",
            p.jwks_url().replace("/jwks", "/nothing-here"),
        )],
    );
    let out = ropc(&["token"], &env, &format!("{}\n", CREDS.password));
    assert_eq!(out.code, 6, "{}", out.stderr);
}

#[test]
fn a_public_client_needs_no_secret_unless_tokens_are_verified_with_it() {
    let p = Provider::builder()
        .public_client("cli-public")
        .user(CREDS.user, CREDS.password)
        .opaque_access_tokens(true)
        .start()
        .unwrap();
    let env: Env = vec![
        ("ROPC_TOKEN_URL", p.url().to_owned()),
        ("ROPC_CLIENT_ID", "cli-public".into()),
        ("ROPC_USERNAME", CREDS.user.into()),
        ("ROPC_CLIENT_AUTH", "none".into()),
    ];
    let mut opaque = env.clone();
    opaque.push(("ROPC_VERIFY", "none".into()));
    let out = json(&ropc(&["token"], &opaque, &format!("{}\n", CREDS.password)));
    assert_eq!(out["claims"], Value::Null);
    assert!(!p.records()[0].had_authorization);
    // With the default verification the secret is the key: exit 2 naming it.
    let out = ropc(&["token"], &env, &format!("{}\n", CREDS.password));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("ROPC_CLIENT_SECRET"), "{}", out.stderr);
    assert_eq!(p.requests(), 1);
}

#[test]
fn extra_params_are_sent_with_the_grants_and_reserved_names_refused() {
    let p = CREDS
        .provider_builder()
        .require_param("audience", "https://api.example/")
        .start()
        .unwrap();
    let without = ropc(
        &["token"],
        &env_with(&p, &[]),
        &format!("{}\n", CREDS.password),
    );
    assert_eq!(without.code, 3, "{}", without.stderr);
    assert!(
        without.stderr.contains("invalid_request"),
        "{}",
        without.stderr
    );
    let env = env_with(
        &p,
        &[(
            "ROPC_EXTRA_PARAMS",
            "audience=https%3A%2F%2Fapi.example%2F".into(),
        )],
    );
    let out = json(&ropc(&["token"], &env, &format!("{}\n", CREDS.password)));
    let rt = out["refresh_token"].as_str().unwrap().to_owned();
    json(&ropc(&["refresh"], &env, &format!("{rt}\n")));
    let before = p.requests();
    for bad in [
        "grant_type=client_credentials",
        "audience=x&password=y",
        "scope=admin",
        "client_secret=x",
        "a=%zz",
        "=novalue",
    ] {
        let env = env_with(&p, &[("ROPC_EXTRA_PARAMS", bad.into())]);
        let out = ropc(&["token"], &env, &format!("{}\n", CREDS.password));
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(out.stderr.contains("ROPC_EXTRA_PARAMS"), "{}", out.stderr);
    }
    assert_eq!(p.requests(), before);
}

#[test]
fn the_id_token_is_printed_as_it_came() {
    let p = CREDS.provider_builder().id_tokens(true).start().unwrap();
    let out = json(&ropc(
        &["token"],
        &env_with(&p, &[]),
        &format!("{}\n", CREDS.password),
    ));
    let id = out["id_token"].as_str().unwrap();
    assert_eq!(id.split('.').count(), 3);
}

#[test]
fn access_keeps_spaced_tokens_and_refuses_a_token_with_a_newline() {
    // Tokens that live 30 s, less than the 60 s refresh margin: every run
    // after the first refreshes, with the refresh token read back from the
    // store as it came.
    let p = CREDS
        .provider_builder()
        .awkward_tokens(true)
        .token_lifetime(std::time::Duration::from_secs(30))
        .start()
        .unwrap();
    let tmp = common::tempdir("cli-any-spaced");
    let dir = tmp.path();
    let store = dir.join("store").display().to_string();
    let env = env_with(&p, &[]);
    let first = ropc(
        &["access", "--store", &store],
        &env,
        &format!("{}\n", CREDS.password),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let text = std::fs::read_to_string(&store).unwrap();
    let stored_rt = text
        .lines()
        .find_map(|l| l.strip_prefix("refresh_token "))
        .unwrap()
        .to_owned();
    assert!(stored_rt.contains(' '), "{stored_rt:?}");
    for run in 1..=2 {
        let out = ropc(&["access", "--store", &store], &env, "");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(p.refresh_grants(), run);
    }
    // A refresh token with a newline: exit 6, nothing printed, the store
    // as it was.
    let before = std::fs::read_to_string(&store).unwrap();
    p.set_misbehavior(Some(Misbehavior::Reply {
        status: 200,
        content_type: "application/json".into(),
        body: r#"{"access_token":"x","refresh_token":"a\nb","token_type":"Bearer"}"#.into(),
    }));
    let out = ropc(&["access", "--store", &store], &env, "");
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains("VSCHAR"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&store).unwrap(), before);
    tmp.close().unwrap();
}

#[test]
fn verify_with_a_jwks_url_refuses_a_token_no_key_could_verify_before_fetching_keys() {
    // An empty token, one that is no JWT, an HS256 one, `alg: none`: failed
    // verifications (exit 4), found without asking the provider for its
    // keys — also when they cannot be fetched (exit 5 would say the
    // network failed, not the token).
    let p = signing(Signing::Es256);
    let hs256 = "eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo";
    let none = format!(
        "{}.{}.",
        common::b64(r#"{"alg":"none"}"#),
        common::b64("{}")
    );
    let unreachable = common::on_a_closed_port(|port| port, |_| true);
    for url in [p.jwks_url(), format!("http://127.0.0.1:{unreachable}/jwks")] {
        let env = env_with(&p, &[("ROPC_JWKS_URL", url)]);
        for token in ["", "not a jwt", hs256, &none] {
            let out = ropc(&["verify"], &env, &format!("{token}\n"));
            assert_eq!(out.code, 4, "{token:?}: {}", out.stderr);
        }
    }
    assert_eq!(p.jwks_requests(), 0);
}

#[test]
fn a_jwks_redirect_or_error_status_is_exit_6_and_a_429_or_503_after_the_retries_exit_5() {
    let p = signing(Signing::Es256);
    // The keys are served by another host, which misbehaves for good.
    let keys_host = CREDS.provider();
    keys_host.set_jwks(Some(p.jwks_json()));
    let env = env_with(
        &p,
        &[
            ("ROPC_JWKS_URL", keys_host.jwks_url()),
            ("ROPC_RETRIES", "1".into()),
        ],
    );
    for (misbehavior, code) in [
        (Misbehavior::Redirect(302), 6),
        (Misbehavior::Redirect(307), 6),
        (Misbehavior::Html502, 6),
        (
            Misbehavior::Unavailable {
                status: 503,
                retry_after: Some("0".into()),
            },
            5,
        ),
        (
            Misbehavior::Unavailable {
                status: 429,
                retry_after: None,
            },
            5,
        ),
    ] {
        keys_host.set_misbehavior(Some(misbehavior.clone()));
        for command in ["token", "verify"] {
            let stdin = match command {
                "token" => format!("{}\n", CREDS.password),
                _ => format!("{}\n", forged_es256()),
            };
            let out = ropc(&[command], &env, &stdin);
            assert_eq!(out.code, code, "{command} {misbehavior:?}: {}", out.stderr);
            assert!(out.stderr.contains("JWKS"), "{}", out.stderr);
        }
    }
    // Nothing was sent to the token endpoint: the key set comes first.
    assert_eq!(p.requests(), 0);
}

/// An ES256 token with a `kid`, signed by nobody: a key set is needed to
/// find that out.
fn forged_es256() -> String {
    format!(
        "{}.{}.{}",
        common::b64(r#"{"alg":"ES256","kid":"k"}"#),
        common::b64(r#"{"sub":"mallory"}"#),
        common::b64([1u8; 64])
    )
}

#[test]
fn extra_params_never_go_on_revocation() {
    let p = CREDS
        .provider_builder()
        .require_param("audience", "https://api.example/")
        .start()
        .unwrap();
    let env = env_with(
        &p,
        &[
            (
                "ROPC_EXTRA_PARAMS",
                "audience=https%3A%2F%2Fapi.example%2F".into(),
            ),
            ("ROPC_REVOCATION_URL", p.revocation_url()),
        ],
    );
    let out = json(&ropc(&["token"], &env, &format!("{}\n", CREDS.password)));
    let rt = out["refresh_token"].as_str().unwrap().to_owned();
    let out = ropc(&["revoke"], &env, &format!("{rt}\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tmp = common::tempdir("cli-any-extra-logout");
    let dir = tmp.path();
    let store = dir.join("tokens");
    let store = store.to_str().unwrap();
    let out = ropc(
        &["access", "--store", store],
        &env,
        &format!("{}\n", CREDS.password),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = ropc(&["logout", "--store", store], &env, "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let records = p.records();
    let revocations: Vec<_> = records.iter().filter(|r| r.had_token).collect();
    assert_eq!(revocations.len(), 2);
    for r in revocations {
        assert!(r.extra_params.is_empty(), "{r:?}");
    }
    assert!(
        records
            .iter()
            .filter(|r| r.grant_type.is_some())
            .all(|r| !r.extra_params.is_empty())
    );
    tmp.close().unwrap();
}

#[test]
fn verify_does_not_suggest_verify_none_for_a_token_that_is_no_jwt() {
    // `ropc verify` with ROPC_VERIFY=none is exit 2 (nothing to verify
    // with): suggesting it for a token that is no JWT leads nowhere.
    let p = CREDS.provider();
    let out = ropc(&["verify"], &env_with(&p, &[]), "opaque-token-text\n");
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(!out.stderr.contains("ROPC_VERIFY"), "{}", out.stderr);
}

#[test]
fn verify_with_a_jwks_url_names_every_variable_at_fault_once() {
    let env: Env = vec![
        ("ROPC_JWKS_URL", "http://id.example/jwks".into()),
        ("ROPC_LEEWAY", "soon".into()),
        ("ROPC_TIMEOUT", "0".into()),
        ("ROPC_RETRIES", "many".into()),
    ];
    let out = ropc(&["verify"], &env, "x.y.z\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    for var in [
        "ROPC_JWKS_URL",
        "ROPC_LEEWAY",
        "ROPC_TIMEOUT",
        "ROPC_RETRIES",
    ] {
        assert_eq!(out.stderr.matches(var).count(), 1, "{var}: {}", out.stderr);
    }
}
