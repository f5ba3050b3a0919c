//! `ropc logout` and `ropc revoke` against the loopback provider's RFC 7009
//! endpoint (`/revoke`): what goes on the wire, what happens to the store
//! whatever the provider says, the exit codes, and no secret on stdout or
//! stderr.

use crate::common;

use std::path::{Path, PathBuf};

use common::cli::{self, Out};
use common::creds::Creds;
use common::tempdir;
use ropc::testing::{Misbehavior, Provider, SeenAuth};
use ropc::{FileStore, TokenStore};

const ID: &str = "revoke-client";
const SECRET: &str = "CS-MARKER-5e0d+/=";
const USER: &str = "dave";
const PASSWORD: &str = "PW-MARKER-c41e p@ss";
const CREDS: Creds = Creds {
    id: ID,
    secret: SECRET,
    user: USER,
    password: PASSWORD,
};

/// What `ropc` must never show, whatever happens: the password and the
/// client secret (also the wrong one some tests send).
const HIDDEN: &[&str] = &["PW-MARKER", "CS-MARKER"];

type Env = Vec<(&'static str, String)>;

/// `ropc ARGS` with exactly `env`. A failure is one line on stderr and
/// nothing on stdout; the markers never show.
fn run(env: &[(&'static str, String)], args: &[&str], stdin: &str) -> Out {
    let out = cli::run(cli::command(args, env), stdin, HIDDEN);
    if out.code != 0 {
        assert!(out.stderr.starts_with("ropc: "), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    out
}

/// The client variables for `p`, and its revocation URL.
fn revoking_env(p: &Provider) -> Env {
    let mut env = CREDS.login_env(p.url());
    env.push(("ROPC_REVOCATION_URL", p.revocation_url()));
    env
}

/// A store at `DIR/tokens` logged in through `ropc access`; its refresh
/// token.
fn logged_in(p: &Provider, dir: &Path) -> (PathBuf, String) {
    let path = dir.join("tokens");
    let out = run(
        &CREDS.login_env(p.url()),
        &["access", "--store", path.to_str().unwrap()],
        PASSWORD,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stored = FileStore::new(&path).load().unwrap().unwrap();
    let rt = stored.refresh_token.unwrap().expose_secret().to_owned();
    (path, rt)
}

/// `ropc refresh` with `rt`: its exit status (0: the token is alive; 3 with
/// `invalid_grant`: it is dead).
fn refresh_status(p: &Provider, rt: &str) -> i32 {
    let out = run(&CREDS.client_env(p.url()), &["refresh"], rt);
    if out.code == 3 {
        assert!(out.stderr.contains("invalid_grant"), "{}", out.stderr);
    }
    out.code
}

fn logout(env: &[(&'static str, String)], store: &Path) -> Out {
    run(env, &["logout", "--store", store.to_str().unwrap()], "")
}

#[test]
fn logout_revokes_the_stored_refresh_token_then_removes_the_store() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-revokes");
    let dir = tmp.path();
    let (store, rt) = logged_in(&p, dir);
    let out = logout(&revoking_env(&p), &store);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{out:?}",
        out = out.stderr
    );
    assert!(!store.exists(), "removed");
    assert_eq!(p.revocations(), 1);
    // One RFC 7009 request: the refresh token with its hint, the client
    // authenticated as at the token endpoint (HTTP Basic by default).
    let record = p.records().into_iter().last().unwrap();
    assert_eq!(record.method, "POST");
    assert_eq!(record.path, "/revoke");
    assert_eq!(record.token_type_hint.as_deref(), Some("refresh_token"));
    assert!(record.had_token);
    assert_eq!(record.auth, SeenAuth::Basic);
    assert!(!record.had_password);
    // The provider forgot it: a refresh with it is refused.
    assert_eq!(refresh_status(&p, &rt), 3);
    tmp.close().unwrap();
}

#[test]
fn logout_authenticates_the_client_as_configured() {
    for (auth, seen) in [
        ("post", SeenAuth::Post),
        ("basic-encoded", SeenAuth::BasicFormEncoded),
    ] {
        let p = CREDS.provider();
        let tmp = tempdir(&format!("logout-auth-{auth}"));
        let dir = tmp.path();
        let (store, rt) = logged_in(&p, dir);
        let mut env = revoking_env(&p);
        env.push(("ROPC_CLIENT_AUTH", auth.into()));
        let out = logout(&env, &store);
        assert_eq!(out.code, 0, "{auth}: {}", out.stderr);
        let record = p.records().into_iter().last().unwrap();
        assert_eq!((record.path.as_str(), record.auth), ("/revoke", seen));
        assert_eq!(refresh_status(&p, &rt), 3, "{auth}");
        tmp.close().unwrap();
    }
}

#[test]
fn logout_without_a_revocation_url_sends_nothing_and_needs_no_variable() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-local");
    let dir = tmp.path();
    let (store, rt) = logged_in(&p, dir);
    let sent = p.requests();
    let out = logout(&Vec::new(), &store);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!store.exists(), "removed");
    assert_eq!(p.requests(), sent, "nothing sent");
    assert_eq!(p.revocations(), 0);
    // Only the local copy is gone: the token itself still works.
    assert_eq!(refresh_status(&p, &rt), 0);
    tmp.close().unwrap();
}

#[test]
fn logout_with_an_unreachable_revocation_endpoint_removes_the_store_and_exits_5() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-unreachable");
    let dir = tmp.path();
    let (store, rt) = logged_in(&p, dir);
    let out = common::on_a_closed_port(
        |port| {
            let mut env = CREDS.login_env(p.url());
            env.push((
                "ROPC_REVOCATION_URL",
                format!("http://127.0.0.1:{port}/revoke"),
            ));
            logout(&env, &store)
        },
        |out| out.code == 5,
    );
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(!store.exists(), "removed all the same");
    assert!(
        out.stderr.contains("removed") && out.stderr.contains("may still be valid"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("connection failed"), "{}", out.stderr);
    assert_eq!(refresh_status(&p, &rt), 0, "still valid, as said");
    tmp.close().unwrap();
}

#[test]
fn logout_refused_by_the_provider_removes_the_store_and_exits_3() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-refused");
    let dir = tmp.path();
    let (store, rt) = logged_in(&p, dir);
    let mut env = revoking_env(&p);
    env.retain(|(k, _)| *k != "ROPC_CLIENT_SECRET");
    env.push(("ROPC_CLIENT_SECRET", "CS-MARKER-wrong".into()));
    let out = logout(&env, &store);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("invalid_client"), "{}", out.stderr);
    assert!(out.stderr.contains("may still be valid"), "{}", out.stderr);
    assert!(!store.exists(), "removed all the same");
    assert_eq!(p.revocations(), 1);
    assert_eq!(refresh_status(&p, &rt), 0, "not revoked");
    tmp.close().unwrap();
}

#[test]
fn logout_with_a_malformed_answer_removes_the_store_and_exits_6() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-malformed");
    let dir = tmp.path();
    let (store, _) = logged_in(&p, dir);
    p.set_misbehavior(Some(Misbehavior::Html502));
    let out = logout(&revoking_env(&p), &store);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains("may still be valid"), "{}", out.stderr);
    assert!(!store.exists(), "removed all the same");
    tmp.close().unwrap();
}

#[test]
fn logout_configuration_errors_are_found_before_anything_is_done() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-config");
    let dir = tmp.path();
    let (store, rt) = logged_in(&p, dir);
    let before = std::fs::read(&store).unwrap();
    let sent = p.requests();
    let with = |changes: &[(&'static str, Option<&str>)]| {
        let mut env = revoking_env(&p);
        for (k, v) in changes {
            env.retain(|(name, _)| name != k);
            if let Some(v) = v {
                env.push((k, (*v).to_owned()));
            }
        }
        env
    };
    let cases: Vec<(Env, &str)> = vec![
        // Plain http to a host that is not loopback: nothing is sent there.
        (
            with(&[("ROPC_REVOCATION_URL", Some("http://id.example/revoke"))]),
            "ROPC_REVOCATION_URL must be https",
        ),
        (
            with(&[("ROPC_REVOCATION_URL", Some("not a url"))]),
            "ROPC_REVOCATION_URL",
        ),
        // The client variables the revocation needs, all named at once.
        (
            with(&[("ROPC_CLIENT_ID", None), ("ROPC_CLIENT_SECRET", None)]),
            "ROPC_CLIENT_ID and ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) are not set",
        ),
        (
            with(&[("ROPC_TOKEN_URL", Some("http://id.example/token"))]),
            "ROPC_TOKEN_URL must be https",
        ),
        // A store of another client or user: its token is not sent.
        (
            with(&[("ROPC_CLIENT_ID", Some("other-client"))]),
            "client id \"revoke-client\" (not \"other-client\")",
        ),
        (
            with(&[("ROPC_USERNAME", Some("mallory"))]),
            "user \"dave\" (not \"mallory\")",
        ),
    ];
    for (env, why) in cases {
        let out = logout(&env, &store);
        assert_eq!(out.code, 2, "{why}: {}", out.stderr);
        assert!(out.stderr.contains(why), "{why}: {}", out.stderr);
        assert!(
            !out.stderr.contains("allow_insecure_http"),
            "{}",
            out.stderr
        );
        assert_eq!(
            std::fs::read(&store).unwrap(),
            before,
            "{why}: left as it is"
        );
        assert_eq!(p.requests(), sent, "{why}: sent");
    }
    assert_eq!(refresh_status(&p, &rt), 0);
    tmp.close().unwrap();
}

/// What a `ropc logout` did to the store: removed it, or refused it
/// (exit 2, saying this) and left it as it was.
enum Then {
    Removed,
    Refused(String),
}

#[test]
fn logout_checks_the_store_against_whatever_is_set_with_or_without_revocation() {
    let p = CREDS.provider();
    // Another provider's token URL: compared, never sent to.
    let other_url = "http://127.0.0.1:1/token";
    let url = || p.url().to_owned();
    let mine: Env = vec![
        ("ROPC_TOKEN_URL", url()),
        ("ROPC_CLIENT_ID", ID.into()),
        ("ROPC_USERNAME", USER.into()),
    ];
    let theirs = |var: &str| -> (&'static str, String) {
        match var {
            "ROPC_TOKEN_URL" => ("ROPC_TOKEN_URL", other_url.to_owned()),
            "ROPC_CLIENT_ID" => ("ROPC_CLIENT_ID", "other-client".into()),
            _ => ("ROPC_USERNAME", "mallory".into()),
        }
    };
    let token_url_differs =
        || Then::Refused(format!("token URL {:?} (not {other_url:?})", p.url()));
    let client_differs = || Then::Refused(format!("client id {ID:?} (not \"other-client\")"));
    let user_differs = || Then::Refused(format!("user {USER:?} (not \"mallory\")"));
    // (what is set besides the revocation variables, whether to revoke, what happens)
    let mut cases: Vec<(Env, bool, Then)> = Vec::new();
    for revoking in [false, true] {
        cases.extend([
            // All of it, and the store's: removed.
            (mine.clone(), revoking, Then::Removed),
            // One of it, the store's: removed.
            (vec![mine[2].clone()], revoking, Then::Removed),
            // One field another account's, the others the store's: refused.
            (
                vec![theirs("ROPC_TOKEN_URL"), mine[1].clone(), mine[2].clone()],
                revoking,
                token_url_differs(),
            ),
            (
                vec![mine[0].clone(), theirs("ROPC_CLIENT_ID"), mine[2].clone()],
                revoking,
                client_differs(),
            ),
            (
                vec![mine[0].clone(), mine[1].clone(), theirs("ROPC_USERNAME")],
                revoking,
                user_differs(),
            ),
            // That field alone.
            (
                vec![theirs("ROPC_TOKEN_URL")],
                revoking,
                token_url_differs(),
            ),
            (vec![theirs("ROPC_USERNAME")], revoking, user_differs()),
        ]);
    }
    // Without revocation nothing needs setting: the store is removed. (With
    // it the client id is needed, and compared.)
    cases.push((Vec::new(), false, Then::Removed));
    cases.push((vec![theirs("ROPC_CLIENT_ID")], false, client_differs()));
    for (i, (set, revoking, then)) in cases.into_iter().enumerate() {
        let tmp = tempdir(&format!("logout-rule-{i}"));
        let dir = tmp.path();
        let (store, rt) = logged_in(&p, dir);
        let before = std::fs::read(&store).unwrap();
        let mut env: Env = Vec::new();
        if revoking {
            env.push(("ROPC_REVOCATION_URL", p.revocation_url()));
            env.push(("ROPC_CLIENT_ID", ID.into()));
            env.push(("ROPC_CLIENT_SECRET", SECRET.into()));
        }
        for (k, v) in &set {
            env.retain(|(name, _)| name != k);
            env.push((k, v.clone()));
        }
        let case = format!("{set:?}, revoking: {revoking}");
        let (sent, revocations) = (p.requests(), p.revocations());
        let out = logout(&env, &store);
        match then {
            Then::Removed => {
                assert_eq!(out.code, 0, "{case}: {}", out.stderr);
                assert!(out.stderr.is_empty(), "{case}: {}", out.stderr);
                assert!(!store.exists(), "{case}: removed");
                if revoking {
                    assert_eq!(p.revocations(), revocations + 1, "{case}");
                    assert_eq!(refresh_status(&p, &rt), 3, "{case}: revoked");
                } else {
                    assert_eq!(p.requests(), sent, "{case}: nothing sent");
                }
            }
            Then::Refused(why) => {
                assert_eq!(out.code, 2, "{case}: {}", out.stderr);
                assert!(
                    out.stderr
                        .contains(&format!("was made for {why}; refusing to")),
                    "{case}: {}",
                    out.stderr
                );
                assert_eq!(
                    std::fs::read(&store).unwrap(),
                    before,
                    "{case}: left as it is"
                );
                assert_eq!(p.requests(), sent, "{case}: nothing sent");
                assert_eq!(refresh_status(&p, &rt), 0, "{case}: not revoked");
            }
        }
        tmp.close().unwrap();
    }
}

#[test]
fn logout_without_revocation_or_configuration_removes_any_ropc_store_it_can_read_back() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-any-store");
    let dir = tmp.path();
    let path = dir.join("tokens");
    let store = FileStore::new(&path);
    // A store made for another token URL, client and user.
    store
        .save(
            &ropc::StoredTokens::new(None, Some("rt-of-someone-else".into()), None).with_account(
                "https://id.example/token",
                "their-app",
                Some("eve"),
            ),
        )
        .unwrap();
    let out = logout(&Vec::new(), &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!path.exists(), "removed");
    // A corrupt one: no account to compare, removed with configuration set.
    common::write_private(&path, "ropc-store 1\nrefresh_token r\n");
    let out = logout(&CREDS.login_env(p.url()), &path);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!path.exists(), "removed");
    // Anything that is not a ropc store stays, configuration or not.
    common::write_private(&path, "my notes\n");
    for env in [Vec::new(), CREDS.login_env(p.url())] {
        let out = logout(&env, &path);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("left alone"), "{}", out.stderr);
        assert_eq!(std::fs::read(&path).unwrap(), b"my notes\n");
    }
    assert_eq!(p.requests(), 0);
    tmp.close().unwrap();
}

#[test]
fn logout_of_a_corrupt_store_with_revocation_removes_it_and_says_its_token_was_not_revoked() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-corrupt-revoking");
    let dir = tmp.path();
    let path = dir.join("tokens");
    common::write_private(&path, "ropc-store 1\nrefresh_token r\n");
    let out = logout(&revoking_env(&p), &path);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("was removed, but its refresh token could not be read")
            && out.stderr.contains("may still be valid"),
        "{}",
        out.stderr
    );
    assert!(!path.exists(), "removed");
    assert_eq!(p.requests(), 0, "nothing to send");
    tmp.close().unwrap();
}

#[test]
fn logout_with_revocation_needs_no_token_url_or_username() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-client-only");
    let dir = tmp.path();
    let (store, rt) = logged_in(&p, dir);
    let env: Env = vec![
        ("ROPC_REVOCATION_URL", p.revocation_url()),
        ("ROPC_CLIENT_ID", ID.into()),
        ("ROPC_CLIENT_SECRET", SECRET.into()),
    ];
    let out = logout(&env, &store);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!store.exists());
    assert_eq!(refresh_status(&p, &rt), 3, "revoked");
    tmp.close().unwrap();
}

#[test]
fn logout_help_states_the_rule() {
    let out = run(&Vec::new(), &["logout", "--help"], "");
    let text = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(
            "The store is checked against whatever configuration is set (ROPC_TOKEN_URL, \
             ROPC_CLIENT_ID, ROPC_USERNAME); a mismatch is exit 2 and leaves the store as it \
             is, with or without revocation; with no configuration set, `logout` without \
             revocation removes any ropc store it can read back."
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn logout_with_nothing_stored_sends_nothing() {
    let p = CREDS.provider();
    let tmp = tempdir("logout-empty");
    let dir = tmp.path();
    let out = logout(&revoking_env(&p), &dir.join("tokens"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(p.requests(), 0);
    tmp.close().unwrap();
}

#[test]
fn revoke_revokes_the_refresh_token_on_stdin() {
    let p = CREDS.provider();
    let env = revoking_env(&p);
    let out = run(&env, &["token"], PASSWORD);
    let tokens: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let out = run(&env, &["revoke"], &format!("{rt}\nsecond line\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let record = p.records().into_iter().last().unwrap();
    assert_eq!(record.path, "/revoke");
    assert_eq!(record.token_type_hint.as_deref(), Some("refresh_token"));
    assert!(record.had_token);
    assert_eq!(record.auth, SeenAuth::Basic);
    assert_eq!(refresh_status(&p, rt), 3);
    // RFC 7009 §2.2: a token the provider does not know is not an error.
    let out = run(&env, &["revoke"], rt);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(p.revocations(), 2);
}

#[test]
fn revoke_needs_no_token_url() {
    let p = CREDS.provider();
    let out = run(&CREDS.login_env(p.url()), &["token"], PASSWORD);
    let tokens: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let env: Env = vec![
        ("ROPC_REVOCATION_URL", p.revocation_url()),
        ("ROPC_CLIENT_ID", ID.into()),
        ("ROPC_CLIENT_SECRET", SECRET.into()),
    ];
    let out = run(&env, &["revoke"], rt);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(refresh_status(&p, rt), 3);
}

#[test]
fn revoke_with_empty_input_is_a_usage_error() {
    let p = CREDS.provider();
    for stdin in ["", "\n", "\r\n"] {
        let out = run(&revoking_env(&p), &["revoke"], stdin);
        assert_eq!(out.code, 2, "{stdin:?}: {}", out.stderr);
        assert!(out.stderr.contains("stdin"), "{}", out.stderr);
    }
    assert_eq!(p.requests(), 0);
}

#[test]
fn revoke_exits_as_any_request_does() {
    let p = CREDS.provider();
    // Refused: a wrong client secret.
    let mut env = revoking_env(&p);
    env.retain(|(k, _)| *k != "ROPC_CLIENT_SECRET");
    env.push(("ROPC_CLIENT_SECRET", "CS-MARKER-wrong".into()));
    let out = run(&env, &["revoke"], "some-refresh-token");
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("invalid_client"), "{}", out.stderr);
    // Malformed: an error page.
    p.set_misbehavior(Some(Misbehavior::Html502));
    let out = run(&revoking_env(&p), &["revoke"], "some-refresh-token");
    assert_eq!(out.code, 6, "{}", out.stderr);
    p.set_misbehavior(None);
    // Unreachable.
    let out = common::on_a_closed_port(
        |port| {
            let mut env = CREDS.client_env(p.url());
            env.push((
                "ROPC_REVOCATION_URL",
                format!("http://127.0.0.1:{port}/revoke"),
            ));
            run(&env, &["revoke"], "some-refresh-token")
        },
        |out| out.code == 5,
    );
    assert_eq!(out.code, 5, "{}", out.stderr);
    // Configuration: no revocation URL, or plain http elsewhere; nothing sent.
    let sent = p.requests();
    let out = run(
        &CREDS.client_env(p.url()),
        &["revoke"],
        "some-refresh-token",
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr, "ropc: ROPC_REVOCATION_URL is not set\n");
    let mut env = CREDS.client_env(p.url());
    env.push(("ROPC_REVOCATION_URL", "http://id.example/revoke".into()));
    let out = run(&env, &["revoke"], "some-refresh-token");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("ROPC_REVOCATION_URL must be https"),
        "{}",
        out.stderr
    );
    assert_eq!(p.requests(), sent);
}

#[test]
fn a_bad_revocation_url_is_a_configuration_error_for_every_command_that_sends() {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    env.push(("ROPC_REVOCATION_URL", "http://id.example/revoke".into()));
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("ROPC_REVOCATION_URL"), "{}", out.stderr);
    assert_eq!(p.requests(), 0);
}

#[test]
fn help_describes_logout_revoke_and_the_revocation_url() {
    let out = run(&Vec::new(), &["--help"], "");
    for text in ["revoke", "ROPC_REVOCATION_URL", "logout --store PATH"] {
        assert!(out.stdout.contains(text), "{text}: {}", out.stdout);
    }
    let out = run(&Vec::new(), &["revoke", "--help"], "");
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.starts_with("Usage: ropc revoke"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("ROPC_REVOCATION_URL"), "{}", out.stdout);
    let out = run(&Vec::new(), &["logout", "--help"], "");
    for text in [
        "ROPC_REVOCATION_URL",
        "token_type_hint=refresh_token",
        "may still be valid",
    ] {
        assert!(out.stdout.contains(text), "{text}: {}", out.stdout);
    }
}
