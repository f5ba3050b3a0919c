//! Devices in the real world, over loopback and on injected clocks (no test
//! sleeps to make time pass): a wall clock in 1970 or jumping, a reboot, a
//! flaky link and a provider under load, a fleet's refresh points.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::creds::Creds;
use ropc::jwt::JwtError;
use ropc::testing::{DateHeader, Misbehavior, Provider};
use ropc::{
    Clock, Error, ErrorCode, FileStore, Jitter, ManualClock, RetryPolicy, Session, TokenStore,
};

const CREDS: Creds = Creds {
    id: "devices-client",
    secret: "CS-MARKER-devices",
    user: "heidi",
    password: "PW-MARKER-devices",
};

/// Now on the system clock: where the provider's clock is, in these tests.
fn real_now() -> i64 {
    Clock::System.now()
}

/// Waits recorded instead of slept, and the policy that records them.
fn recorded_waits(retries: u32) -> (RetryPolicy, Arc<Mutex<Vec<Duration>>>) {
    let waits = Arc::new(Mutex::new(Vec::new()));
    let policy = {
        let waits = waits.clone();
        RetryPolicy::new()
            .retries(retries)
            .seed(20)
            .sleep_with(move |d| waits.lock().unwrap().push(d))
    };
    (policy, waits)
}

// ---------------------------------------------------------------------------
// A wrong clock

#[test]
fn a_fresh_token_is_checked_against_the_providers_date_when_the_local_clock_is_wrong() {
    let p = CREDS.provider();
    for wrong in [0, real_now() + 2 * 3600, real_now() - 24 * 3600] {
        let client = CREDS
            .client_builder(&p)
            .clock(Clock::Fixed(wrong))
            .build()
            .unwrap();
        let tokens = client
            .password_grant(CREDS.user, &CREDS.password(), &[])
            .unwrap_or_else(|e| panic!("clock at {wrong}: {e}"));
        // Received by the provider's clock, which counts the expiry.
        assert!((tokens.received_at() - real_now()).abs() < 60);
        assert_eq!(tokens.lifetime(), Some(Duration::from_secs(3600)));
    }
}

#[test]
fn without_a_date_a_wrong_clock_refuses_the_fresh_token() {
    let p = CREDS
        .provider_builder()
        .date(DateHeader::None)
        .start()
        .unwrap();
    let client = CREDS
        .client_builder(&p)
        .clock(Clock::Fixed(0))
        .build()
        .unwrap();
    let err = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(err, Error::Jwt(JwtError::IssuedInFuture { now: 0, .. })),
        "{err:?}"
    );
}

#[test]
fn a_token_expired_by_the_date_is_refused_whatever_the_local_clock_says() {
    let p = CREDS.provider();
    p.set_misbehavior(Some(Misbehavior::Expired));
    // By this clock, two hours behind, the token would still be valid.
    let client = CREDS
        .client_builder(&p)
        .clock(Clock::Fixed(real_now() - 2 * 3600))
        .build()
        .unwrap();
    let err = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(err, Error::Jwt(JwtError::Expired { .. })),
        "{err:?}"
    );
}

#[test]
fn a_date_within_the_leeway_leaves_the_local_clock_in_charge() {
    let t = real_now();
    let p = CREDS
        .provider_builder()
        .clock(Clock::Fixed(t))
        .date(DateHeader::Fixed(t + 30))
        .start()
        .unwrap();
    let client = CREDS
        .client_builder(&p)
        .clock(Clock::Fixed(t))
        .build()
        .unwrap();
    let tokens = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    assert_eq!(tokens.received_at(), t);
}

// ---------------------------------------------------------------------------
// Refresh timing on the boot clock

/// A provider and a client on one manual clock (the provider's tokens are
/// stamped by it, and its `Date` too), a file store, and the session.
struct Device {
    clock: ManualClock,
    provider: Provider,
    store: FileStore,
    /// The store's directory, removed when the device is dropped.
    _dir: tempfile::TempDir,
}

impl Device {
    fn new(name: &str) -> Device {
        let clock = ManualClock::new(real_now());
        let provider = CREDS
            .provider_builder()
            .clock(Clock::Manual(clock.clone()))
            .start()
            .unwrap();
        let dir = common::tempdir(name);
        let store = FileStore::new(dir.path().join("tokens"));
        Device {
            clock,
            provider,
            store,
            _dir: dir,
        }
    }

    /// A session as a new process would open it, the device's clock its
    /// own (the provider keeps the true time apart when `set_wall` moves
    /// only the device's).
    fn session(&self, device_clock: &ManualClock) -> Session {
        let client = CREDS
            .client_builder(&self.provider)
            .clock(Clock::Manual(device_clock.clone()))
            .build()
            .unwrap();
        Session::with_store(client, self.store.clone())
            .unwrap()
            .jitter(Jitter::seeded(9))
    }

    fn login(&self, device_clock: &ManualClock) -> ropc::Tokens {
        self.session(device_clock)
            .login(CREDS.user, &CREDS.password(), &[])
            .unwrap()
    }
}

#[test]
fn the_jittered_refresh_point_stays_in_its_window_and_repeated_calls_agree() {
    let d = Device::new("devices-window");
    let device = ManualClock::new(real_now());
    let tokens = d.login(&device);
    let stored = d.store.load().unwrap().unwrap();
    let received = stored.received_at.unwrap();
    let refresh_at = stored.refresh_at.unwrap();
    let exp = tokens.expires_at().unwrap();
    // [exp − skew − w, exp − skew], w = 10 % of an hour.
    assert!(
        refresh_at >= exp - 60 - 360 && refresh_at <= exp - 60,
        "{refresh_at} {exp}"
    );
    assert!(refresh_at > received);
    // Every process agrees: just before the point, no refresh from any;
    // at it, one.
    let before = u64::try_from(refresh_at - received - 1).unwrap();
    device.advance(Duration::from_secs(before));
    for _ in 0..3 {
        d.session(&device).access_token().unwrap();
    }
    assert_eq!(d.provider.refresh_grants(), 0);
    device.advance(Duration::from_secs(1));
    let first = d.session(&device).access_token().unwrap();
    let second = d.session(&device).access_token().unwrap();
    assert_eq!(first, second);
    assert_eq!(d.provider.refresh_grants(), 1);
}

#[test]
fn wall_clock_jumps_within_a_boot_neither_refresh_nor_keep_a_stale_token() {
    let d = Device::new("devices-jumps");
    let device = ManualClock::new(real_now());
    let tokens = d.login(&device);
    let t = device_wall(&device);
    for jump in [2 * 3600, -2 * 3600, -(t - 5)] {
        device.set_wall(t + jump);
        let token = d.session(&device).access_token().unwrap();
        assert_eq!(&token, tokens.access_token(), "wall clock moved by {jump}");
    }
    assert_eq!(d.provider.refresh_grants(), 0);
    // An hour on the boot clock (the wall clock back to where it was): no
    // stale token, whatever the wall clock said along the way.
    device.set_wall(t);
    device.advance(Duration::from_secs(3600));
    d.clock.advance(Duration::from_secs(3600));
    let token = d.session(&device).access_token().unwrap();
    assert_ne!(&token, tokens.access_token());
    assert_eq!(d.provider.refresh_grants(), 1);
}

fn device_wall(clock: &ManualClock) -> i64 {
    Clock::Manual(clock.clone()).now()
}

#[test]
fn a_stored_token_from_another_boot_is_used_only_between_its_receipt_and_refresh_point() {
    let d = Device::new("devices-reboot");
    let device = ManualClock::new(real_now());
    let tokens = d.login(&device);
    let refresh_at = d.store.load().unwrap().unwrap().refresh_at.unwrap();
    // Rebooted ten minutes later, the wall clock right: the token is used.
    device.reboot(Duration::from_secs(30));
    device.advance(Duration::from_secs(600));
    assert_eq!(
        &d.session(&device).access_token().unwrap(),
        tokens.access_token()
    );
    assert_eq!(d.provider.refresh_grants(), 0);
    // Rebooted into 1970 (no real-time clock, NTP not there yet): not
    // used; refreshed, and the new token checked against the provider's
    // Date.
    device.reboot(Duration::from_secs(30));
    device.set_wall(5);
    let fresh = d.session(&device).access_token().unwrap();
    assert_ne!(&fresh, tokens.access_token());
    assert_eq!(d.provider.refresh_grants(), 1);
    // Rebooted with the wall clock past the new token's refresh point.
    let next_refresh = d.store.load().unwrap().unwrap().refresh_at.unwrap();
    assert!(next_refresh >= refresh_at);
    device.reboot(Duration::from_secs(30));
    device.set_wall(next_refresh + 1);
    d.session(&device).access_token().unwrap();
    assert_eq!(d.provider.refresh_grants(), 2);
}

#[test]
fn a_boot_clock_that_went_back_under_the_same_boot_id_counts_as_another_boot() {
    let d = Device::new("devices-container");
    let device = ManualClock::new(real_now());
    let tokens = d.login(&device);
    // A container's own uptime restarted: same boot id, less uptime. The
    // wall clock (right) decides: within the window, the token is used.
    device.set_since_boot(Duration::from_secs(5));
    assert_eq!(
        &d.session(&device).access_token().unwrap(),
        tokens.access_token()
    );
    // With the wall clock before the receipt, it is not.
    device.set_wall(device_wall(&device) - 7200);
    d.session(&device).access_token().unwrap();
    assert_eq!(d.provider.refresh_grants(), 1);
}

#[test]
fn a_store_written_before_receipts_were_kept_still_loads() {
    // As ropc 0.1 wrote it: tokens, expiry and account, no receipt lines.
    let p = CREDS.provider();
    let client = CREDS.client(&p);
    let tokens = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    let template = include_str!("../data/store-before-receipts.txt");
    let text = template
        .replace(
            "{token_url}",
            &p.url().replace(':', "%3A").replace('/', "%2F"),
        )
        .replace("{access_token}", tokens.access_token().expose_secret())
        .replace(
            "{refresh_token}",
            tokens.refresh_token().unwrap().expose_secret(),
        )
        .replace("{expires_at}", &tokens.expires_at().unwrap().to_string());
    let tmp = common::tempdir("devices-old-store");
    let dir = tmp.path();
    let path = dir.join("tokens");
    common::write_private(&path, text);
    let store = FileStore::new(&path);
    let stored = store.load().unwrap().unwrap();
    assert_eq!(stored.received_at, None);
    let session = Session::with_store(client, store.clone()).unwrap();
    assert_eq!(&session.access_token().unwrap(), tokens.access_token());
    assert_eq!(p.refresh_grants(), 0);
    // The next save records the receipt.
    session.refresh_rejected(tokens.access_token()).unwrap();
    assert!(store.load().unwrap().unwrap().refresh_at.is_some());
    tmp.close().unwrap();
}

// ---------------------------------------------------------------------------
// A flaky link, a provider under load

#[test]
fn a_connection_refused_twice_is_retried_then_served() {
    let p = Arc::new(CREDS.provider());
    p.refuse_connections();
    let waits = Arc::new(Mutex::new(Vec::new()));
    let policy = {
        let (p, waits) = (p.clone(), waits.clone());
        RetryPolicy::new().seed(3).sleep_with(move |d| {
            let mut waits = waits.lock().unwrap();
            waits.push(d);
            // The provider is back for the third attempt.
            if waits.len() == 2 {
                p.accept_connections();
            }
        })
    };
    let client = CREDS.client_builder(&p).retry(policy).build().unwrap();
    client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    let waits = waits.lock().unwrap();
    assert_eq!(waits.len(), 2);
    assert!(waits[0] <= Duration::from_millis(500), "{waits:?}");
    assert!(waits[1] <= Duration::from_millis(1000), "{waits:?}");
    assert_eq!(p.requests(), 1);
}

#[test]
fn a_503_with_retry_after_1_is_waited_for_then_served() {
    let p = CREDS.provider();
    p.misbehave_next(
        1,
        Misbehavior::Unavailable {
            status: 503,
            retry_after: Some("1".into()),
        },
    );
    let (policy, waits) = recorded_waits(2);
    CREDS
        .client_builder(&p)
        .retry(policy)
        .build()
        .unwrap()
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(1)]);
    assert_eq!(p.requests(), 2);
}

#[test]
fn a_429_with_retry_after_120_is_not_waited_for() {
    let p = CREDS.provider();
    p.misbehave_next(
        1,
        Misbehavior::Unavailable {
            status: 429,
            retry_after: Some("120".into()),
        },
    );
    let (policy, waits) = recorded_waits(2);
    let err = CREDS
        .client_builder(&p)
        .retry(policy)
        .build()
        .unwrap()
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(err.was_not_processed(), "{err:?}");
    assert!(err.is_transient());
    assert!(waits.lock().unwrap().is_empty());
    assert_eq!(p.requests(), 1);
}

#[test]
fn an_http_date_retry_after_is_measured_against_the_answers_date() {
    let t = 1_900_000_000;
    let p = CREDS
        .provider_builder()
        .date(DateHeader::Fixed(t))
        .start()
        .unwrap();
    let at = httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(t as u64 + 3));
    p.misbehave_next(
        1,
        Misbehavior::Unavailable {
            status: 503,
            retry_after: Some(at),
        },
    );
    let (policy, waits) = recorded_waits(2);
    // The local clock says 1970: it has no say in the wait.
    let err = CREDS
        .client_builder(&p)
        .clock(Clock::Fixed(0))
        .retry(policy)
        .build()
        .unwrap()
        .password_grant(CREDS.user, &CREDS.password(), &[]);
    assert_eq!(*waits.lock().unwrap(), vec![Duration::from_secs(3)]);
    // (The token itself is then checked against that Date, years ahead of
    // its own iat: refused, which is not this test's business.)
    drop(err);
}

#[test]
fn invalid_grant_is_never_retried() {
    let p = CREDS.provider();
    let (policy, waits) = recorded_waits(5);
    let err = CREDS
        .client_builder(&p)
        .retry(policy)
        .build()
        .unwrap()
        .password_grant(CREDS.user, &"wrong".into(), &[])
        .unwrap_err();
    assert!(matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::InvalidGrant));
    assert_eq!(p.requests(), 1);
    assert!(waits.lock().unwrap().is_empty());
}

#[test]
fn temporarily_unavailable_is_retried_and_stays_an_oauth_error() {
    let p = CREDS.provider();
    p.misbehave_next(
        5,
        Misbehavior::Reply {
            status: 503,
            content_type: "application/json".into(),
            body: r#"{"error":"temporarily_unavailable"}"#.into(),
        },
    );
    let (policy, waits) = recorded_waits(2);
    let err = CREDS
        .client_builder(&p)
        .retry(policy)
        .build()
        .unwrap()
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(
        matches!(&err, Error::OAuth(e) if e.response.code == ErrorCode::TemporarilyUnavailable),
        "{err:?}"
    );
    assert_eq!(p.requests(), 3);
    assert_eq!(waits.lock().unwrap().len(), 2);
}

#[test]
fn a_429_or_503_says_it_was_not_processed_whatever_its_body_holds() {
    // Auth0's rate limit answer, and a gateway's JSON 503: an `error`
    // member, but the status says the request was not processed.
    for (status, body) in [
        (
            429,
            r#"{"statusCode":429,"error":"Too Many Requests","message":"Global limit has been reached"}"#,
        ),
        (503, r#"{"error":"server_error"}"#),
    ] {
        let p = CREDS.provider();
        p.misbehave_next(
            2,
            Misbehavior::Reply {
                status,
                content_type: "application/json".into(),
                body: body.into(),
            },
        );
        let (policy, waits) = recorded_waits(2);
        let client = CREDS.client_builder(&p).retry(policy).build().unwrap();
        client
            .password_grant(CREDS.user, &CREDS.password(), &[])
            .unwrap();
        assert_eq!(p.requests(), 3, "{status}");
        assert_eq!(waits.lock().unwrap().len(), 2);
        // Left after the retries, it says so too.
        p.misbehave_next(
            1,
            Misbehavior::Reply {
                status,
                content_type: "application/json".into(),
                body: body.into(),
            },
        );
        let err = CREDS
            .client_builder(&p)
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
            .password_grant(CREDS.user, &CREDS.password(), &[])
            .unwrap_err();
        assert!(matches!(err, Error::OAuth(_)), "{err:?}");
        assert!(err.was_not_processed() && err.is_transient(), "{err:?}");
    }
}

#[test]
fn a_refresh_read_by_the_provider_then_dropped_is_not_resent() {
    let p = CREDS
        .provider_builder()
        .detect_refresh_token_reuse(true)
        .start()
        .unwrap();
    let (policy, waits) = recorded_waits(5);
    let client = CREDS.client_builder(&p).retry(policy).build().unwrap();
    let tokens = client
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    p.misbehave_next(1, Misbehavior::ProcessThenClose);
    let err = client.refresh(&tokens).unwrap_err();
    assert!(err.may_have_reached_provider(), "{err:?}");
    // Sent once: the provider rotated the token, and never saw the old one
    // again, so it revoked nothing.
    assert_eq!(p.refresh_grants(), 1);
    assert_eq!(p.reuse_detections(), 0);
    assert_eq!(p.live_refresh_tokens(), 1);
    assert!(waits.lock().unwrap().is_empty());
}

#[test]
fn a_post_whose_connection_was_dropped_unread_is_not_resent() {
    let p = CREDS.provider();
    p.drop_connections(1);
    let (policy, waits) = recorded_waits(5);
    let err = CREDS
        .client_builder(&p)
        .retry(policy)
        .build()
        .unwrap()
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.may_have_reached_provider());
    assert!(waits.lock().unwrap().is_empty());
    assert_eq!(p.connections(), 0, "no second connection");
}

#[test]
#[cfg(feature = "asymmetric")]
fn a_key_set_fetch_is_retried_after_any_passing_failure() {
    use ropc::testing::Signing;
    let p = CREDS
        .provider_builder()
        .signing(Signing::Es256)
        .start()
        .unwrap();
    let jwks = ropc::Verification::JwksUrl(p.jwks_url());
    let tokens = CREDS
        .client_builder(&p)
        .verification(jwks.clone())
        .build()
        .unwrap()
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap();
    // A fresh client's first fetch meets a gateway error: a GET changes
    // nothing, so it is fetched again.
    p.misbehave_next(1, Misbehavior::Html502);
    let (policy, waits) = recorded_waits(2);
    let client = CREDS
        .client_builder(&p)
        .verification(jwks)
        .retry(policy)
        .build()
        .unwrap();
    client.verify_access_token(tokens.access_token()).unwrap();
    assert_eq!(waits.lock().unwrap().len(), 1);
    assert_eq!(p.jwks_requests(), 3);
}

#[test]
fn retries_can_be_turned_off() {
    let p = CREDS.provider();
    p.misbehave_next(
        1,
        Misbehavior::Unavailable {
            status: 503,
            retry_after: Some("1".into()),
        },
    );
    let err = CREDS
        .client_builder(&p)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
        .password_grant(CREDS.user, &CREDS.password(), &[])
        .unwrap_err();
    assert!(err.was_not_processed());
    assert_eq!(p.requests(), 1);
}
