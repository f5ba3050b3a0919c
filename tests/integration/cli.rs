//! The `ropc` binary against the loopback provider: every exit code, every
//! source of secrets, and no secret on stdout or stderr.

use crate::common;

use std::time::Duration;

use common::cli::{self, Out};
use common::creds::Creds;
use ropc::testing::Misbehavior;
use serde_json::Value;

const ID: &str = "cli-client";
const SECRET: &str = "CS-MARKER-91b2+/=";
const USER: &str = "carol";
const PASSWORD: &str = "PW-MARKER-7f3a p@ss";
const CREDS: Creds = Creds {
    id: ID,
    secret: SECRET,
    user: USER,
    password: PASSWORD,
};

type Env = Vec<(&'static str, String)>;

/// What `ropc` must never show, whatever happens: the password and the
/// client secret (also the wrong ones some tests send).
const HIDDEN: &[&str] = &["PW-MARKER", "CS-MARKER"];

fn ropc(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Out {
    ropc_in_shell(None, args, env, stdin)
}

/// Runs `ropc` with its address space capped at 256 MiB (`ulimit -v`): an
/// unbounded read then aborts instead of exiting cleanly.
const LIMITED: &str = r#"ulimit -v 262144 && exec "$0" "$@""#;

/// Runs `ropc`, through `/bin/sh -c script` when a script is given (`$0` is
/// the binary, `$@` the arguments). Whatever happened, neither the password
/// nor the client secret is shown; a failure is one line on stderr and
/// nothing on stdout.
fn ropc_in_shell<V: AsRef<std::ffi::OsStr>>(
    script: Option<&str>,
    args: &[&str],
    env: &[(&str, V)],
    stdin: &str,
) -> Out {
    let cmd = match script {
        None => cli::command(args, env),
        Some(script) => cli::shell_command(script, args, env),
    };
    let out = cli::run(cmd, stdin, HIDDEN);
    if out.code != 0 {
        assert!(out.stderr.starts_with("ropc: "), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    out
}

fn run(env: &[(&'static str, String)], args: &[&str], stdin: &str) -> Out {
    ropc_in_shell(None, args, env, stdin)
}

fn json(out: &Out) -> Value {
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn token_with_password_on_stdin_prints_the_contract_object() {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    env.push(("ROPC_SCOPE", "openid email".into()));
    env.push(("ROPC_ISSUER", p.issuer()));
    env.push(("ROPC_AUDIENCE", ID.into()));
    let out = run(&env, &["token"], &format!("{PASSWORD}\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v = json(&out);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "token_type",
        "access_token",
        "refresh_token",
        "expires_in",
        "scope",
        "claims",
    ] {
        assert!(keys.contains(&k), "{k} missing in {keys:?}");
    }
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 3600);
    assert_eq!(v["scope"], "openid email");
    assert_eq!(v["claims"]["sub"], USER);
    assert!(v["access_token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(p.records()[0].scope.as_deref(), Some("openid email"));
}

#[test]
fn password_from_stdin_strips_only_the_line_ending() {
    let p = CREDS.provider();
    let env = CREDS.login_env(p.url());
    assert_eq!(
        run(&env, &["token"], &format!("{PASSWORD}\r\nsecond line\n")).code,
        0
    );
    assert_eq!(run(&env, &["token"], PASSWORD).code, 0, "no newline at all");
    // Trailing spaces are part of the password: wrong password.
    assert_eq!(run(&env, &["token"], &format!("{PASSWORD} \n")).code, 3);
}

#[test]
fn password_from_a_file() {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    let f = common::temp_private_file("pw", format!("{PASSWORD}\n"));
    env.push(("ROPC_PASSWORD_FILE", f.display().to_string()));
    let out = run(&env, &["token"], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    f.close().unwrap();
}

#[test]
fn client_secret_from_a_file() {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    env.retain(|(k, _)| *k != "ROPC_CLIENT_SECRET");
    let f = common::temp_private_file("cs", format!("{SECRET}\n"));
    env.push(("ROPC_CLIENT_SECRET_FILE", f.display().to_string()));
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 0, "{}", out.stderr);
    env.push(("ROPC_CLIENT_SECRET", SECRET.into()));
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("ROPC_CLIENT_SECRET_FILE"),
        "{}",
        out.stderr
    );
    f.close().unwrap();
}

#[test]
fn refresh_reads_the_refresh_token_from_stdin_and_hands_back_the_next_one() {
    let p = CREDS.provider();
    let env = CREDS.login_env(p.url());
    let first = json(&run(&env, &["token"], PASSWORD));
    let rt = first["refresh_token"].as_str().unwrap();
    let out = run(&env, &["refresh"], &format!("{rt}\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let second = json(&out);
    assert_ne!(second["refresh_token"], first["refresh_token"], "rotated");
    assert_eq!(second["claims"]["sub"], USER);
    // The old one was rotated away: refused.
    let out = run(&env, &["refresh"], rt);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("invalid_grant"), "{}", out.stderr);
}

#[test]
fn refresh_without_rotation_prints_the_token_passed_in() {
    let p = CREDS
        .provider_builder()
        .rotate_refresh_tokens(false)
        .start()
        .unwrap();
    let env = CREDS.login_env(p.url());
    let first = json(&run(&env, &["token"], PASSWORD));
    let rt = first["refresh_token"].as_str().unwrap();
    let second = json(&run(&env, &["refresh"], rt));
    assert_eq!(second["refresh_token"], rt);
}

#[test]
fn refresh_with_empty_stdin_is_a_usage_error() {
    let p = CREDS.provider();
    let out = run(&CREDS.login_env(p.url()), &["refresh"], "");
    assert_eq!(out.code, 2);
}

fn verify_env() -> Vec<(&'static str, String)> {
    vec![("ROPC_CLIENT_SECRET", SECRET.into())]
}

#[test]
fn verify_prints_the_claims_exactly() {
    let payload = format!(
        r#"{{"exp":{},"big":18446744073709551615,"neg":-9223372036854775808,"odd":9007199254740993,"f":1.5e3,"s":"a\"b\u00e9"}}"#,
        common::now() + 600
    );
    let token = common::sign(common::HEADER, &payload, SECRET.as_bytes());
    let out = run(&verify_env(), &["verify"], &format!("{token}\n"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim_end(), payload);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["big"].as_u64(), Some(u64::MAX));
    assert_eq!(v["neg"].as_i64(), Some(i64::MIN));
    assert_eq!(v["odd"].as_u64(), Some(9_007_199_254_740_993));
}

#[test]
fn verify_compacts_whitespace_but_keeps_strings() {
    // One expiry for the token and the expected output: a second may tick
    // over between two readings of the clock.
    let exp = common::now() + 600;
    let payload = format!("{{\n \"exp\": {exp},\n \"s\": \"a b\\n\"\n}}");
    let token = common::sign(common::HEADER, &payload, SECRET.as_bytes());
    let out = run(&verify_env(), &["verify"], &token);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{{\"exp\":{exp},\"s\":\"a b\\n\"}}\n"));
}

#[test]
fn verify_rejects_with_exit_4_naming_the_check() {
    let good = common::sign(
        common::HEADER,
        &format!(r#"{{"exp":{},"iss":"me"}}"#, common::now() + 600),
        SECRET.as_bytes(),
    );
    let forged = common::sign(
        common::HEADER,
        &format!(r#"{{"exp":{}}}"#, common::now() + 600),
        b"other key",
    );
    let expired = common::sign(
        common::HEADER,
        &format!(r#"{{"exp":{}}}"#, common::now() - 120),
        SECRET.as_bytes(),
    );
    let cases: Vec<(Env, String, &str)> = vec![
        (verify_env(), forged, "signature"),
        (verify_env(), expired.clone(), "expired"),
        (verify_env(), String::new(), "malformed"),
        (verify_env(), "a.b".into(), "malformed"),
        (
            [verify_env(), vec![("ROPC_ISSUER", "you".into())]].concat(),
            good.clone(),
            "issuer",
        ),
        (
            [verify_env(), vec![("ROPC_AUDIENCE", "api".into())]].concat(),
            good.clone(),
            "aud",
        ),
    ];
    for (env, token, check) in cases {
        let out = run(&env, &["verify"], &token);
        assert_eq!(out.code, 4, "{check}: {}", out.stderr);
        assert!(out.stderr.contains(check), "{check}: {}", out.stderr);
    }
    // A large leeway lets the recently expired token through.
    let env = [verify_env(), vec![("ROPC_LEEWAY", "600".into())]].concat();
    assert_eq!(run(&env, &["verify"], &expired).code, 0);
}

#[test]
fn verify_of_a_token_longer_than_the_cap_exits_4_too_large_however_long() {
    let cap = ropc::jwt::DEFAULT_MAX_TOKEN_SIZE;
    let env: Vec<(&str, &str)> = vec![("ROPC_CLIENT_SECRET", SECRET)];
    for len in [cap + 1, 65_537, 4 << 20] {
        let out = ropc_in_shell(Some(LIMITED), &["verify"], &env, &"a".repeat(len));
        assert_eq!(out.code, 4, "{len}: {}", out.stderr);
        assert!(out.stderr.contains("too large"), "{len}: {}", out.stderr);
    }
    // An endless line, in bounded memory and time.
    let endless = format!("{LIMITED} < /dev/zero");
    let out = ropc_in_shell(Some(&endless), &["verify"], &env, "");
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("too large"), "{}", out.stderr);
    // At the cap it is read and verified (and fails for what it is),
    // however the line ends; one byte more (before its line ending) is too
    // large.
    for ending in ["", "\n", "\r\n"] {
        let out = run(
            &verify_env(),
            &["verify"],
            &format!("{}{ending}", "a".repeat(cap)),
        );
        assert_eq!(out.code, 4, "{ending:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("malformed"),
            "{ending:?}: {}",
            out.stderr
        );
        let out = run(
            &verify_env(),
            &["verify"],
            &format!("{}{ending}", "a".repeat(cap + 1)),
        );
        assert!(
            out.stderr.contains("too large"),
            "{ending:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_wrong_password_exits_3_naming_invalid_grant() {
    let p = CREDS.provider();
    let out = run(&CREDS.login_env(p.url()), &["token"], "not-the-password\n");
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("invalid_grant"), "{}", out.stderr);
}

#[test]
fn a_wrong_client_secret_exits_3_naming_invalid_client() {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    env.retain(|(k, _)| *k != "ROPC_CLIENT_SECRET");
    env.push(("ROPC_CLIENT_SECRET", "CS-MARKER-wrong".into()));
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("invalid_client"), "{}", out.stderr);
}

#[test]
fn an_unreachable_port_exits_5() {
    let out = common::on_a_closed_port(
        |port| {
            let env = CREDS.login_env(&format!("http://127.0.0.1:{port}/token"));
            run(&env, &["token"], PASSWORD)
        },
        |out| out.code == 5,
    );
    assert_eq!(out.code, 5, "{}", out.stderr);
}

#[test]
fn a_timeout_exits_5() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Delay(Duration::from_secs(4))));
    let mut env = CREDS.login_env(p.url());
    env.push(("ROPC_TIMEOUT", "1".into()));
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
}

#[test]
fn a_timeout_while_the_body_arrives_exits_5() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::SlowBody(Duration::from_millis(100))));
    let mut env = CREDS.login_env(p.url());
    env.push(("ROPC_TIMEOUT", "1".into()));
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("timed out"), "{}", out.stderr);
}

#[test]
fn an_oversized_response_exits_6() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Oversized(200_000)));
    let out = run(&CREDS.login_env(p.url()), &["token"], PASSWORD);
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert!(out.stderr.contains("exceeds"), "{}", out.stderr);
}

#[test]
fn malformed_responses_exit_6() {
    for m in [
        Misbehavior::Html502,
        Misbehavior::NotJson,
        Misbehavior::Redirect(307),
        Misbehavior::TokenType("mac".into()),
    ] {
        let p = CREDS.provider();
        p.set_misbehavior(Some(m.clone()));
        let out = run(&CREDS.login_env(p.url()), &["token"], PASSWORD);
        assert_eq!(out.code, 6, "{m:?}: {}", out.stderr);
    }
}

#[test]
fn a_badly_signed_access_token_exits_4() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::WrongKey));
    let out = run(&CREDS.login_env(p.url()), &["token"], PASSWORD);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("signature"), "{}", out.stderr);
}

#[test]
fn configuration_errors_exit_2_naming_the_variable() {
    let p = CREDS.provider();
    let full = CREDS.login_env(p.url());
    for var in [
        "ROPC_TOKEN_URL",
        "ROPC_CLIENT_ID",
        "ROPC_CLIENT_SECRET",
        "ROPC_USERNAME",
    ] {
        let env: Vec<_> = full.iter().filter(|(k, _)| *k != var).cloned().collect();
        let out = run(&env, &["token"], PASSWORD);
        assert_eq!(out.code, 2, "{var}");
        assert!(out.stderr.contains(var), "{var}: {}", out.stderr);
    }
    for (var, value) in [
        ("ROPC_LEEWAY", "soon"),
        ("ROPC_LEEWAY", "-5"),
        ("ROPC_TIMEOUT", "0"),
        ("ROPC_CLIENT_AUTH", "digest"),
        ("ROPC_PASSWORD_FILE", "/nonexistent/pw"),
        ("ROPC_CLIENT_SECRET_FILE", "/nonexistent/cs"),
        ("ROPC_CA_FILE", "/nonexistent/ca.pem"),
    ] {
        let mut env = full.clone();
        if var == "ROPC_CLIENT_SECRET_FILE" {
            env.retain(|(k, _)| *k != "ROPC_CLIENT_SECRET");
        }
        env.push((var, value.into()));
        let out = run(&env, &["token"], PASSWORD);
        assert_eq!(out.code, 2, "{var}={value}: {}", out.stderr);
        assert!(out.stderr.contains(var), "{var}: {}", out.stderr);
    }
    let mut env = full.clone();
    env[0].1 = "http://id.example/token".into();
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("ROPC_TOKEN_URL"), "{}", out.stderr);
}

#[test]
fn no_password_is_a_usage_error() {
    let p = CREDS.provider();
    let out = run(&CREDS.login_env(p.url()), &["token"], "");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("ROPC_PASSWORD_FILE"), "{}", out.stderr);
    assert_eq!(
        run(&CREDS.login_env(p.url()), &["token"], "\n").code,
        2,
        "empty password"
    );
    assert_eq!(p.requests(), 0);
}

#[test]
fn secrets_on_the_command_line_are_refused() {
    let p = CREDS.provider();
    let out = run(&CREDS.login_env(p.url()), &["token", PASSWORD], PASSWORD);
    assert_eq!(out.code, 2);
    assert_eq!(p.requests(), 0);
}

#[test]
fn usage_help_and_version() {
    assert_eq!(ropc(&[], &[], "").code, 2);
    assert_eq!(ropc(&["frobnicate"], &[], "").code, 2);
    let out = ropc(&["--help"], &[], "");
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("ROPC_TOKEN_URL") && out.stdout.contains("Exit status"));
    for cmd in ["token", "refresh", "verify", "access", "logout", "demo"] {
        let out = ropc(&[cmd, "--help"], &[], "");
        assert_eq!(out.code, 0, "{cmd}");
        assert!(
            out.stdout.contains(&format!("ropc {cmd}")),
            "{cmd}: {}",
            out.stdout
        );
    }
    let out = ropc(&["--version"], &[], "");
    assert_eq!(out.stdout, format!("ropc {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn proxy_variables_are_not_honoured() {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
    ] {
        env.push((var, "http://127.0.0.1:9".into()));
    }
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn demo_exits_0() {
    let out = ropc(&["demo"], &[], "");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 2);
    for line in out.stdout.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["claims"]["sub"], "alice");
    }
}

/// `ropc token` with these extra variables, its address space capped at
/// 256 MiB: a file read without a cap would abort, not exit 2.
fn token_with_files(extra: &[(&'static str, &str)], stdin: &str) -> Out {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    for (k, v) in extra {
        env.retain(|(name, _)| name != k);
        if *k == "ROPC_CLIENT_SECRET_FILE" {
            env.retain(|(name, _)| *name != "ROPC_CLIENT_SECRET");
        }
        env.push((k, (*v).to_owned()));
    }
    ropc_in_shell(Some(LIMITED), &["token"], &env, stdin)
}

#[test]
fn every_file_input_is_read_with_a_cap() {
    let mut files = vec![
        ("ROPC_CLIENT_SECRET_FILE", "65536"),
        ("ROPC_PASSWORD_FILE", "65536"),
    ];
    if cfg!(any(feature = "rustls", feature = "native-tls")) {
        files.push(("ROPC_CA_FILE", "1048576"));
    }
    for (var, cap) in files {
        let out = token_with_files(&[(var, "/dev/zero")], PASSWORD);
        assert_eq!(out.code, 2, "{var}: {}", out.stderr);
        assert!(out.stderr.contains(var), "{var}: {}", out.stderr);
        assert!(out.stderr.contains(cap), "{var}: {}", out.stderr);
    }
}

#[test]
fn every_problem_with_a_file_a_variable_names_is_said_with_the_variable_and_the_path() {
    use std::os::unix::fs::PermissionsExt;
    let p = CREDS.provider();
    let tmp = common::tempdir("cli-file-problems");
    let dir = tmp.path();
    let file = |name: &str, content: &[u8], mode: u32| {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.display().to_string()
    };
    let too_large = vec![b'a'; 64 * 1024 + 1];
    // Each kind of file, and what each problem is said with.
    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    for var in ["ROPC_CLIENT_SECRET_FILE", "ROPC_PASSWORD_FILE"] {
        let tag = var.to_lowercase();
        cases.extend([
            (var, file(&format!("{tag}-empty"), b"", 0o600), "is empty"),
            (
                var,
                file(&format!("{tag}-newline"), b"\n", 0o600),
                "is empty",
            ),
            (
                var,
                file(&format!("{tag}-crlf"), b"\r\n", 0o400),
                "is empty",
            ),
            (
                var,
                file(&format!("{tag}-latin1"), b"caf\xe9\n", 0o600),
                "not valid UTF-8",
            ),
            (
                var,
                file(&format!("{tag}-large"), &too_large, 0o600),
                "larger than 65536 bytes",
            ),
            (
                var,
                file(&format!("{tag}-open"), b"x\n", 0o644),
                "(mode 0644)",
            ),
            (
                var,
                dir.join("missing").display().to_string(),
                "cannot read",
            ),
            (var, dir.display().to_string(), "cannot read"),
        ]);
    }
    if cfg!(any(feature = "rustls", feature = "native-tls")) {
        let var = "ROPC_CA_FILE";
        cases.extend([
            (var, file("ca-empty", b"", 0o644), "no PEM certificate"),
            (var, file("ca-text", b"not a certificate\n", 0o644), "PEM"),
            (
                var,
                file("ca-large", &vec![b'a'; 1024 * 1024 + 1], 0o644),
                "larger than 1048576 bytes",
            ),
            (
                var,
                dir.join("missing").display().to_string(),
                "cannot read",
            ),
        ]);
    }
    if cfg!(feature = "asymmetric") {
        let var = "ROPC_JWT_KEYS_FILE";
        cases.extend([
            (var, file("keys-empty", b"", 0o644), "neither JSON"),
            (
                var,
                file("keys-latin1", b"caf\xe9", 0o644),
                "not valid UTF-8",
            ),
            (
                var,
                file("keys-large", &too_large, 0o644),
                "larger than 65536 bytes",
            ),
            (
                var,
                file("keys-none", br#"{"keys":[]}"#, 0o644),
                "no usable key",
            ),
            (
                var,
                dir.join("missing").display().to_string(),
                "cannot read",
            ),
        ]);
    }
    for (var, path, said) in cases {
        let mut env = CREDS.login_env(p.url());
        if var == "ROPC_CLIENT_SECRET_FILE" {
            env.retain(|(k, _)| *k != "ROPC_CLIENT_SECRET");
        }
        env.push((var, path.clone()));
        let out = run(&env, &["token"], PASSWORD);
        assert_eq!(out.code, 2, "{var}={path}: {}", out.stderr);
        assert!(
            out.stderr.starts_with(&format!("ropc: {var}: "))
                && out.stderr.contains(&path)
                && out.stderr.contains(said),
            "{var}={path}, {said}: {}",
            out.stderr
        );
    }
    assert_eq!(p.requests(), 0, "nothing sent");
    tmp.close().unwrap();
}

#[test]
fn an_empty_password_says_where_it_came_from() {
    let p = CREDS.provider();
    let out = run(&CREDS.login_env(p.url()), &["token"], "\r\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr, "ropc: the password on stdin is empty\n");
    assert_eq!(p.requests(), 0);
}

#[test]
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn a_ca_bundle_just_over_its_cap_is_refused_and_one_at_the_cap_is_read() {
    let big = common::temp_file("ca-over-cap", "A".repeat(1024 * 1024 + 1));
    let out = token_with_files(&[("ROPC_CA_FILE", big.to_str().unwrap())], PASSWORD);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("1048576"), "{}", out.stderr);
    // A bundle of exactly 1 MiB (a certificate and blank lines) is read.
    let ca = rcgen::CertifiedIssuer::self_signed(
        rcgen::CertificateParams::new(Vec::<String>::new()).unwrap(),
        rcgen::KeyPair::generate().unwrap(),
    )
    .unwrap();
    let mut pem = ca.pem();
    pem.push_str(&"\n".repeat(1024 * 1024 - pem.len()));
    let at_cap = common::temp_file("ca-at-cap", &pem);
    let out = token_with_files(&[("ROPC_CA_FILE", at_cap.to_str().unwrap())], PASSWORD);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let _ = (big.close(), at_cap.close());
}

#[test]
fn missing_configuration_exits_2_naming_every_missing_variable_at_once() {
    let p = CREDS.provider();
    // Nothing set: every variable the command needs, in one line.
    let cases: [(&str, &str); 3] = [
        (
            "token",
            "ROPC_TOKEN_URL, ROPC_CLIENT_ID, ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) and ROPC_USERNAME are not set",
        ),
        (
            "refresh",
            "ROPC_TOKEN_URL, ROPC_CLIENT_ID and ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) are not set",
        ),
        (
            "verify",
            "ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) is not set",
        ),
    ];
    let none: Env = Vec::new();
    for (command, message) in cases {
        let out = run(&none, &[command], "rt-or-password\n");
        assert_eq!(out.code, 2, "{command}: {}", out.stderr);
        assert_eq!(out.stderr, format!("ropc: {message}\n"), "{command}");
    }
    // Some set: only the others are named; an invalid one is named too.
    let env: Env = vec![
        ("ROPC_CLIENT_SECRET", SECRET.into()),
        ("ROPC_LEEWAY", "soon".into()),
    ];
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "ropc: ROPC_TOKEN_URL, ROPC_CLIENT_ID and ROPC_USERNAME are not set; \
         ROPC_LEEWAY must be a whole number of seconds from 0 to 86400\n"
    );
    // A bad URL is named with the missing variables, not after them.
    let env: Env = vec![("ROPC_TOKEN_URL", "ftp://id.example/token".into())];
    let out = run(&env, &["refresh"], "rt\n");
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(
            "ropc: ROPC_CLIENT_ID and ROPC_CLIENT_SECRET (or ROPC_CLIENT_SECRET_FILE) are not set; \
             ROPC_TOKEN_URL "
        ),
        "{}",
        out.stderr
    );
    assert_eq!(p.requests(), 0);
}

#[test]
fn token_on_a_terminal_prompts_for_the_password_without_echo() {
    let p = CREDS.provider();
    let mut term = cli::Terminal::start(cli::on_a_terminal(&["token"], &CREDS.login_env(p.url())));
    term.wait_for(&format!("password for {USER}: "));
    assert_eq!(p.requests(), 0, "nothing sent before the password is typed");
    term.type_line(PASSWORD);
    // The terminal echoes what is typed unless ropc turned echo off: the
    // runner fails if the password ever shows.
    let out = term.finish(HIDDEN);
    assert_eq!(out.code, 0, "{:?}", out.stdout);
    let line = out.stdout.lines().find(|l| l.starts_with('{')).unwrap();
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["claims"]["sub"], USER);
    assert!(v["access_token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(p.records().len(), 1);
    assert!(p.records()[0].had_password);
}

#[test]
fn on_a_terminal_a_password_file_is_used_without_a_prompt() {
    let p = CREDS.provider();
    let f = common::temp_private_file("pw-terminal", format!("{PASSWORD}\n"));
    let mut env = CREDS.login_env(p.url());
    env.push(("ROPC_PASSWORD_FILE", f.display().to_string()));
    let out = cli::Terminal::start(cli::on_a_terminal(&["token"], &env)).finish(HIDDEN);
    assert_eq!(out.code, 0, "{:?}", out.stdout);
    assert!(!out.stdout.contains("password for"), "{:?}", out.stdout);
    assert!(
        out.stdout.starts_with("{\"token_type\":\"Bearer\""),
        "{:?}",
        out.stdout
    );
    f.close().unwrap();
}

#[test]
fn token_and_refresh_output_write_the_json_to_a_new_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let p = CREDS.provider();
    let env = CREDS.login_env(p.url());
    let tmp = common::tempdir("cli-output");
    let dir = tmp.path();
    let file = dir.join("tokens.json");
    let path = file.to_str().unwrap();
    let out = run(&env, &["token", "--output", path], PASSWORD);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let first: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(first["claims"]["sub"], USER);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let rt = first["refresh_token"].as_str().unwrap();
    let out = run(&env, &["refresh", &format!("--output={path}")], rt);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let second: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    // A refused refresh leaves it as it was.
    let before = std::fs::read(&file).unwrap();
    let out = run(&env, &["refresh", "--output", path], rt);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(dir).unwrap().count(),
        1,
        "no temporary file left"
    );
    tmp.close().unwrap();
}

#[test]
fn a_mistyped_command_is_named_with_the_nearest_one_but_nothing_secret_looking_is_echoed() {
    for (typed, said) in [
        ("tokne", "unknown command `tokne` (did you mean `token`?)"),
        ("acess", "unknown command `acess` (did you mean `access`?)"),
        ("logut", "unknown command `logut` (did you mean `logout`?)"),
        ("list", "unknown command `list` (try `ropc --help`)"),
        (
            "--verison",
            "unknown option `--verison` (did you mean `--version`?)",
        ),
    ] {
        let out = ropc(&[typed], &[], "");
        assert_eq!(out.code, 2, "{typed}");
        assert_eq!(out.stderr, format!("ropc: {said}\n"));
    }
    // Anything that does not look like a command word is not shown: it may
    // be a secret typed in the wrong place (the runner checks the markers).
    for typed in [
        "PW-MARKER-7f3a",
        "CS-MARKER-91b2+/=",
        "hunter2!",
        "correct horse",
        "x".repeat(40).as_str(),
    ] {
        let out = ropc(&[typed], &[], "");
        assert_eq!(out.code, 2, "{typed}");
        assert!(!out.stderr.contains(typed), "{typed}: {}", out.stderr);
        assert!(out.stderr.contains("unknown command"), "{}", out.stderr);
    }
    // The same for the options of a command.
    let out = ropc(&["access", "--stor", "x"], &[], "");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("unknown option `--stor` (did you mean `--store`?)"),
        "{}",
        out.stderr
    );
    let out = ropc(&["token", "--output", "f", "PW-MARKER-7f3a"], &[], "");
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("usage: ropc token"), "{}", out.stderr);
}

#[test]
fn help_with_a_command_prints_that_commands_help() {
    for cmd in ["token", "refresh", "verify", "access", "logout", "demo"] {
        let out = ropc(&["help", cmd], &[], "");
        assert_eq!(out.code, 0, "{cmd}: {}", out.stderr);
        assert_eq!(out.stdout, ropc(&[cmd, "--help"], &[], "").stdout, "{cmd}");
        assert!(
            out.stdout.starts_with(&format!("Usage: ropc {cmd}")),
            "{cmd}"
        );
    }
    assert_eq!(
        ropc(&["help"], &[], "").stdout,
        ropc(&["--help"], &[], "").stdout
    );
    let out = ropc(&["help", "tokne"], &[], "");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("did you mean `token`"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_of_help_is_the_main_help() {
    let main = ropc(&["--help"], &[], "");
    assert_eq!(main.code, 0);
    for args in [
        &["help", "--help"][..],
        &["help", "-h"],
        &["help", "help"],
        &["help"],
    ] {
        let out = ropc(args, &[], "");
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert_eq!(out.stdout, main.stdout, "{args:?}");
    }
}

/// Builds `ropc` with only the `cli` feature (no `testing`, no TLS) into a
/// directory of this test's own, and returns the binary.
fn ropc_without_testing() -> std::path::PathBuf {
    let cargo = std::env::var_os("CARGO").expect("run by cargo, which sets CARGO");
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ropc-without-testing");
    let built = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--bin",
            "ropc",
            "--no-default-features",
            "--features",
            "cli",
        ])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    target.join("debug").join("ropc")
}

#[test]
fn demo_in_a_build_without_testing_says_the_feature_is_not_in_this_build() {
    let bin = ropc_without_testing();
    let out = cli::run(
        {
            let mut cmd = std::process::Command::new(bin);
            cmd.arg("demo")
                .env_clear()
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd
        },
        "",
        HIDDEN,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "ropc: `ropc demo` is not in this build of ropc (it was built without the `testing` feature)\n"
    );
    assert!(
        !out.stderr.contains("cargo"),
        "no build instructions: {}",
        out.stderr
    );
}

/// The build of [`ropc_without_testing`], run with `args` and nothing in
/// its environment.
fn ropc_without_testing_run(bin: &std::path::Path, args: &[&str]) -> Out {
    let mut cmd = std::process::Command::new(bin);
    cmd.args(args)
        .env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    cli::run(cmd, "", HIDDEN)
}

#[test]
fn the_help_of_a_build_without_testing_does_not_offer_demo() {
    let bin = ropc_without_testing();
    let main = ropc_without_testing_run(&bin, &["--help"]);
    assert_eq!(main.code, 0, "{}", main.stderr);
    assert!(main.stdout.contains("Commands:"), "{}", main.stdout);
    assert!(!main.stdout.contains("demo"), "{}", main.stdout);
    assert_eq!(
        ropc_without_testing_run(&bin, &["help"]).stdout,
        main.stdout
    );
    // Asked for by name, its help says it is not in this build.
    for args in [&["demo", "--help"][..], &["help", "demo"]] {
        let out = ropc_without_testing_run(&bin, args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(
            out.stdout.starts_with("Usage: ropc demo")
                && out.stdout.contains("`ropc demo` is not in it"),
            "{args:?}: {}",
            out.stdout
        );
    }
    // The help of a build with it lists it, and says nothing of its absence.
    assert!(ropc(&["--help"], &[], "").stdout.contains("\n  demo "));
    let out = ropc(&["demo", "--help"], &[], "");
    assert!(!out.stdout.contains("not in"), "{}", out.stdout);
}

#[test]
fn a_plain_http_url_to_another_host_is_refused_with_a_command_line_hint() {
    let p = CREDS.provider();
    let mut env = CREDS.login_env(p.url());
    env[0].1 = "http://id.example/token".into();
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "ropc: ROPC_TOKEN_URL must be https: plain http is allowed only to a loopback \
         address (127.0.0.1, ::1, localhost), and ropc has no setting to allow it elsewhere\n"
    );
    assert_eq!(p.requests(), 0);
}

#[test]
fn a_timeout_says_how_long_was_waited_and_which_variable_sets_it() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Delay(Duration::from_secs(4))));
    let mut env = CREDS.login_env(p.url());
    env.push(("ROPC_TIMEOUT", "1".into()));
    let out = run(&env, &["token"], PASSWORD);
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "ropc: transport error: timed out: no complete answer within 1 s (ROPC_TIMEOUT)\n"
    );
}

#[test]
fn a_secret_file_others_can_read_or_write_is_refused_naming_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let p = CREDS.provider();
    for (var, content) in [
        ("ROPC_CLIENT_SECRET_FILE", SECRET),
        ("ROPC_PASSWORD_FILE", PASSWORD),
    ] {
        let f = common::temp_private_file(&format!("mode-{var}"), format!("{content}\n"));
        let mut env = CREDS.login_env(p.url());
        if var == "ROPC_CLIENT_SECRET_FILE" {
            env.retain(|(k, _)| *k != "ROPC_CLIENT_SECRET");
        }
        env.push((var, f.display().to_string()));
        for (mode, accepted) in [
            (0o600, true),
            (0o400, true),
            (0o640, true),
            (0o644, false),
            (0o604, false),
            (0o660, false),
            (0o602, false),
        ] {
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
            let out = run(&env, &["token"], PASSWORD);
            if accepted {
                assert_eq!(out.code, 0, "{var} {mode:o}: {}", out.stderr);
            } else {
                assert_eq!(out.code, 2, "{var} {mode:o}: {}", out.stderr);
                assert!(
                    out.stderr.contains(var) && out.stderr.contains(&format!("mode {mode:04o}")),
                    "{var} {mode:o}: {}",
                    out.stderr
                );
            }
        }
        f.close().unwrap();
    }
    assert_eq!(p.requests(), 6, "nothing sent with a refused file");
}
