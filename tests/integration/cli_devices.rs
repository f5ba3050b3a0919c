//! The `ropc` binary on a device: `ROPC_RETRIES`, `ROPC_VERBOSE`, a
//! provider under load, a clock that is wrong (the provider's clock set
//! years away stands in for the device's: the binary reads the system
//! clock), and `--help`'s longest time.

use crate::common;

use common::cli::{self, Out};
use common::creds::Creds;
use ropc::Clock;
use ropc::testing::{DateHeader, Misbehavior, Provider};

const CREDS: Creds = Creds {
    id: "cli-devices-client",
    secret: "CS-MARKER-cli-devices",
    user: "ivan",
    password: "PW-MARKER-cli-devices",
};

const HIDDEN: &[&str] = &["PW-MARKER", "CS-MARKER"];

type Env = Vec<(&'static str, String)>;

fn env_with(url: &str, extra: &[(&'static str, &str)]) -> Env {
    let mut env = CREDS.login_env(url);
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    env
}

fn token(env: &Env) -> Out {
    cli::run(
        cli::command(&["token"], env),
        &format!("{}\n", CREDS.password),
        HIDDEN,
    )
}

#[test]
fn a_closed_port_is_tried_again_twice_with_a_line_each_when_verbose() {
    let out = common::on_a_closed_port(
        |port| {
            let url = format!("http://127.0.0.1:{port}/token");
            token(&env_with(&url, &[("ROPC_VERBOSE", "1")]))
        },
        |out| out.stderr.contains("connection failed"),
    );
    assert_eq!(out.code, 5, "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stderr);
    assert!(
        lines[0].starts_with("ropc: retry 1 of 2 in "),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("ropc: retry 2 of 2 in "),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("connection failed"), "{}", lines[2]);
}

#[test]
fn retries_0_tries_once_and_retries_are_quiet_unless_verbose() {
    for (retries, verbose, lines) in [("0", "1", 1), ("2", "0", 1)] {
        let out = common::on_a_closed_port(
            |port| {
                let url = format!("http://127.0.0.1:{port}/token");
                token(&env_with(
                    &url,
                    &[("ROPC_RETRIES", retries), ("ROPC_VERBOSE", verbose)],
                ))
            },
            |out| out.stderr.contains("connection failed"),
        );
        assert_eq!(out.code, 5);
        assert_eq!(out.stderr.lines().count(), lines, "{}", out.stderr);
    }
}

#[test]
fn bad_retry_settings_are_exit_2() {
    let p = CREDS.provider();
    for (var, value) in [
        ("ROPC_RETRIES", "-1"),
        ("ROPC_RETRIES", "11"),
        ("ROPC_RETRIES", "two"),
        ("ROPC_VERBOSE", "yes"),
    ] {
        let out = token(&env_with(p.url(), &[(var, value)]));
        assert_eq!(out.code, 2, "{var}={value}: {}", out.stderr);
        assert!(out.stderr.contains(var), "{}", out.stderr);
    }
    assert_eq!(p.requests(), 0);
}

#[test]
fn a_503_with_retry_after_1_is_waited_for_and_a_429_asking_for_120_is_exit_5_at_once() {
    let p = CREDS.provider();
    p.misbehave_next(
        1,
        Misbehavior::Unavailable {
            status: 503,
            retry_after: Some("1".into()),
        },
    );
    let out = token(&env_with(p.url(), &[("ROPC_VERBOSE", "1")]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("ropc: retry 1 of 2 in 1.0 s: provider unavailable (HTTP 503)"),
        "{}",
        out.stderr
    );
    p.misbehave_next(
        1,
        Misbehavior::Unavailable {
            status: 429,
            retry_after: Some("120".into()),
        },
    );
    let before = p.requests();
    let started = std::time::Instant::now();
    let out = token(&env_with(p.url(), &[]));
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("HTTP 429"), "{}", out.stderr);
    assert_eq!(p.requests(), before + 1);
    // Not waited for (two minutes would be unmistakable).
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn temporarily_unavailable_after_the_retries_is_exit_3() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Reply {
        status: 503,
        content_type: "application/json".into(),
        body: r#"{"error":"temporarily_unavailable"}"#.into(),
    }));
    let out = token(&env_with(p.url(), &[("ROPC_RETRIES", "1")]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("temporarily_unavailable"),
        "{}",
        out.stderr
    );
    assert_eq!(p.requests(), 2);
}

#[test]
fn a_429_with_an_error_member_left_after_the_retries_is_exit_5() {
    // Auth0's rate limit answer: JSON with an `error` member, HTTP 429.
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Reply {
        status: 429,
        content_type: "application/json".into(),
        body: r#"{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached"}"#
            .into(),
    }));
    let out = token(&env_with(p.url(), &[("ROPC_RETRIES", "1")]));
    assert_eq!(out.code, 5, "{}", out.stderr);
    assert!(out.stderr.contains("HTTP 429"), "{}", out.stderr);
    assert_eq!(p.requests(), 2);
}

/// A provider whose clock runs `offset` seconds from the system's (the
/// device's clock is the system's, so it is `offset` behind the provider).
fn provider_ahead(offset: i64, date: DateHeader) -> Provider {
    let t = Clock::System.now() + offset;
    let date = match date {
        DateHeader::Clock => DateHeader::Fixed(t),
        other => other,
    };
    CREDS
        .provider_builder()
        .clock(Clock::Fixed(t))
        .date(date)
        .start()
        .unwrap()
}

#[test]
fn a_wrong_local_clock_is_corrected_by_the_date_and_named_without_it() {
    // The device's clock two years behind the provider's.
    // Two years and a day: the seconds the test takes cannot make it less.
    let years = 2 * 365 * 24 * 3600 + 86_400;
    let with_date = provider_ahead(years, DateHeader::Clock);
    let out = token(&env_with(with_date.url(), &[]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let without_date = provider_ahead(years, DateHeader::None);
    let out = token(&env_with(without_date.url(), &[]));
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("issued in the future"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("2 years before the token was issued: the local clock looks wrong"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_says_when_the_local_clock_looks_wrong() {
    let p = provider_ahead(3 * 365 * 24 * 3600, DateHeader::Clock);
    let out = token(&env_with(p.url(), &[]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let at = json["access_token"].as_str().unwrap();
    let env = CREDS.client_env(p.url());
    let out = cli::run(cli::command(&["verify"], &env), &format!("{at}\n"), HIDDEN);
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(
        out.stderr.contains("the local clock looks wrong"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_states_the_longest_a_command_takes_with_the_defaults() {
    let out = cli::run(cli::command(&["--help"], &Env::new()), "", HIDDEN);
    assert_eq!(out.code, 0);
    // 3 attempts of 30 s and 2 waits of at most 10 s, per request.
    let per_request = 3 * ropc::DEFAULT_TIMEOUT.as_secs()
        + u64::from(ropc::DEFAULT_RETRIES) * ropc::MAX_RETRY_AFTER.as_secs();
    assert_eq!(per_request, 110);
    let help = out.stdout.replace('\n', " ");
    assert!(help.contains("= 110 s"), "{help}");
    assert!(help.contains("ROPC_RETRIES"), "{help}");
    assert!(help.contains("ROPC_VERBOSE"), "{help}");
}
